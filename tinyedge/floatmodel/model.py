"""A user's float model, loaded by the library of its format and run on float32 inputs.

Inputs are given the way tinyedge holds data: images as N×H×W×C (NHWC) float32 already
normalised, feature vectors as N×F. A model that takes channels first (ONNX or PyTorch
exported from PyTorch: 1×C×H×W) gets them transposed; which layout a model takes is read
from its declared input shape (PyTorch modules declare none: images go in as N×C×H×W,
PyTorch's convention). Outputs come back as N×K float32.

Safety (model files are untrusted):

- ``.tflite``, ``.onnx``: data only, run by LiteRT and onnxruntime; an ONNX model that
  points at external weight files is refused (they could name any file).
- Keras ``.keras`` / ``.h5``: loaded with ``safe_mode=True`` and ``compile=False``, so a
  ``Lambda`` layer's pickled Python bytecode is refused, never run.
- PyTorch: no pickle from a user file is loaded except through
  ``torch.load(weights_only=True)`` (the ``--weights`` state dict). TorchScript and
  ``torch.export`` archives hold graphs in their own formats (no Python is run).
- ``module:factory`` imports Python code the user names on the command line: their own
  code, run as they would run it.
- A SavedModel folder holds a TensorFlow graph, which TensorFlow executes (no Python).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tinyedge.errors import ModelError
from tinyedge.fileio import file_entry, sha256_file, stored_path
from tinyedge.floatmodel.formats import FloatFormat, detect_format, split_factory
from tinyedge.progress import Progress, SilentProgress
from tinyedge.records import OutputKind

Layout = Literal["NHWC", "NCHW", "flat"]
BATCH = 64  # rows per call where the model takes any batch size


@dataclass
class FloatModel:
    """A loaded float model. ``declared`` is its input shape as the model states it
    (batch included, None for an unknown size; None when the format states none)."""

    spec: str
    format: FloatFormat
    identity: dict[str, Any]  # the manifest entry: format, path, sha256 (+ weights)
    declared: tuple[int | None, ...] | None
    output_kind: OutputKind | None  # what the graph shows; None when it cannot tell
    parameters: int | None
    _call: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    batch: int = BATCH
    # a PyTorch model's torch.nn.Module (the ExportedProgram of a torch.export archive)
    module: Any = field(default=None, repr=False)

    @property
    def sha256(self) -> str:
        return self.identity["sha256"]

    @property
    def name(self) -> str:
        """How results name the model: the file's stem; ``<module>-<factory>`` for a
        PyTorch factory (``my_pkg.nets:build`` → ``nets-build``)."""
        if self.format == "torch-module":
            module, factory = split_factory(self.spec)
            return f"{Path(module.removesuffix('.py')).name.split('.')[-1]}-{factory}"
        return Path(self.spec.rstrip("/")).stem

    def layout(self, sample: tuple[int, ...]) -> Layout:
        """How one input row of shape ``sample`` ((H, W, C) or (F,)) is fed."""
        if len(sample) != 3:
            return "flat"
        d = self.declared
        if d is None:
            return "NCHW" if self.format.startswith("torch") else "NHWC"
        if len(d) == 4 and tuple(d[1:]) == sample:
            return "NHWC"
        if len(d) == 4 and (d[1], d[2], d[3]) == (sample[2], sample[0], sample[1]):
            return "NCHW"
        if len(d) == 4 and d[1] in (None, sample[2]) and d[3] not in (None, sample[2]):
            return "NCHW"
        return "NHWC"

    def check_input(self, sample: tuple[int, ...], source: str) -> None:
        """Refuse rows of shape ``sample`` the model's declared input cannot take."""
        d = self.declared
        if d is None:
            return
        shape = {"NHWC": sample, "flat": sample,
                 "NCHW": (sample[2], sample[0], sample[1]) if len(sample) == 3 else sample
                 }[self.layout(sample)]
        if len(d) != len(shape) + 1 or any(a is not None and a != b
                                          for a, b in zip(d[1:], shape, strict=True)):
            want = "×".join("?" if a is None else str(a) for a in d)
            raise ModelError(f"{self.spec} takes input of shape {want}, but {source} holds "
                             f"rows of {'×'.join(map(str, sample))}; give data of the "
                             "model's input shape")

    def run(self, x: np.ndarray, progress: Progress | None = None,
            desc: str = "evaluate float") -> np.ndarray:
        """N×H×W×C (or N×F) float32 → N×K float32 outputs, ``batch`` rows per call."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        if self.layout(tuple(x.shape[1:])) == "NCHW":
            x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        bar = (progress or SilentProgress()).task(len(x), desc, unit="img")
        outputs = []
        try:
            for start in range(0, len(x), self.batch):
                out = np.asarray(self._call(x[start:start + self.batch]), dtype=np.float32)
                outputs.append(out.reshape(len(x[start:start + self.batch]), -1))
                bar.advance(len(outputs[-1]))
        except ModelError:
            raise
        except Exception as exc:  # the library's own refusal of this input, as one line
            raise ModelError(f"{self.spec} ({self.format}) failed on the input: "
                             f"{_one_line(exc)}; check the data's shape and the model") from exc
        finally:
            bar.close()
        result = np.concatenate(outputs) if outputs else np.zeros((0, 0), np.float32)
        if result.ndim != 2 or result.shape[1] < 1:
            raise ModelError(f"{self.spec} returned outputs of shape {result.shape}; tinyedge "
                             "evaluates models with one output vector per input")
        return result


def load_float_model(spec: str | Path, weights: str | Path | None = None) -> FloatModel:
    """Load the float model ``spec`` names (see :mod:`tinyedge.floatmodel.formats`);
    ``weights`` is the state dict of a ``module:factory`` model (and only of one)."""
    spec = str(spec)
    fmt = detect_format(spec)
    if (weights is not None) != (fmt == "torch-module"):
        raise ModelError("--weights goes with --model module:factory (a PyTorch network and "
                         "its state dict)" if weights is not None else
                         f"{spec} names a PyTorch factory; pass its state dict with "
                         "--weights FILE.pt")
    loader = _LOADERS[fmt]
    with _quiet_tensorflow():
        return loader(spec, weights)  # type: ignore[operator]


def _identity(fmt: FloatFormat, path: Path) -> dict[str, Any]:
    if path.is_dir():
        return {"format": fmt, "path": stored_path(path), "sha256": folder_sha256(path)}
    return {"format": fmt, **file_entry(path)}


def folder_sha256(folder: Path) -> str:
    """One hash of a folder's files (relative names and contents), in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(sha256_file(path).encode())
    return digest.hexdigest()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:200] + "…") if len(text) > 200 else text or type(exc).__name__


@contextlib.contextmanager
def captured_stderr_fd() -> Iterator[list[str]]:
    """Capture what C code writes to file descriptor 2 (Python's sys.stderr is bypassed)."""
    captured: list[str] = []
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(2)
        try:
            os.dup2(sink.fileno(), 2)
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.append(sink.read().decode(errors="replace"))


@contextlib.contextmanager
def _quiet_tensorflow() -> Iterator[None]:
    """TensorFlow's C++ start-up lines (absl, CUDA probing) stay off the user's terminal."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with captured_stderr_fd():
        yield


# --- TFLite (float) -----------------------------------------------------------------------

def _load_tflite(spec: str, _weights: Any) -> FloatModel:
    from ai_edge_litert.interpreter import Interpreter

    from tinyedge.firmware.tflite_reader import read_model
    from tinyedge.floatmodel.head import graph_output_kind, is_float_graph

    graph = read_model(spec)
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise ModelError(f"{spec}: expected one input and one output, found "
                         f"{len(graph.inputs)} and {len(graph.outputs)}")
    if not is_float_graph(graph):
        raise ModelError(f"{spec} is an int8 model, not a float one; evaluate it with "
                         "--runtime tflm|litert|litert-ref|native (and pair it with its float "
                         "model by --float-model)")
    try:
        interpreter = Interpreter(model_path=spec, num_threads=1)
        interpreter.allocate_tensors()
    except (RuntimeError, ValueError) as exc:
        raise ModelError(f"LiteRT cannot load {spec}: {_one_line(exc)}") from exc
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    shape = tuple(int(v) for v in inp["shape"])

    def call(x: np.ndarray) -> np.ndarray:
        rows = []
        for row in x:
            interpreter.set_tensor(inp["index"], row.reshape(shape))
            interpreter.invoke()
            rows.append(interpreter.get_tensor(out["index"]).reshape(-1).copy())
        return np.stack(rows)

    params = sum(t.size for t in graph.tensors
                 if t.is_constant and t.dtype in ("FLOAT32", "INT8", "FLOAT16")
                 and len(t.shape) >= 1)
    return FloatModel(spec, "tflite", _identity("tflite", Path(spec)), shape,
                      graph_output_kind(graph), params or None, call, batch=1)


# --- Keras and SavedModel -----------------------------------------------------------------

def _load_keras(spec: str, _weights: Any) -> FloatModel:
    import keras

    try:
        model = keras.models.load_model(spec, compile=False, safe_mode=True)
    except Exception as exc:
        text = _one_line(exc)
        if "unsafe" in text.lower() or "lambda" in text.lower() or "safe_mode" in text:
            raise ModelError(f"{spec} holds Python code (a Lambda layer or custom object) that "
                             "tinyedge does not execute from a model file; replace the Lambda "
                             "with built-in layers, or export the model to ONNX or float "
                             "TFLite yourself") from exc
        raise ModelError(f"Keras cannot load {spec}: {text}; save it again with "
                         "model.save('model.keras')") from exc
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ModelError(f"{spec}: expected one input and one output, found "
                         f"{len(model.inputs)} and {len(model.outputs)}")
    declared = tuple(None if d is None else int(d) for d in model.inputs[0].shape)

    def call(x: np.ndarray) -> np.ndarray:
        return np.asarray(model(x, training=False))

    return FloatModel(spec, "keras", _identity("keras", Path(spec)), declared,
                      _keras_output_kind(model), int(model.count_params()), call)


def _keras_output_kind(model: Any) -> OutputKind:
    layer = model.layers[-1]
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", str(activation or "")).lower()
    if type(layer).__name__ == "Softmax" or name in ("softmax", "sigmoid"):
        return "probabilities"
    return "logits"


def _load_savedmodel(spec: str, _weights: Any) -> FloatModel:
    import tensorflow as tf

    try:
        loaded = tf.saved_model.load(spec)
        fn = loaded.signatures["serving_default"]
    except Exception as exc:
        raise ModelError(f"TensorFlow cannot load the SavedModel {spec} with a "
                         f"serving_default signature: {_one_line(exc)}") from exc
    args = fn.structured_input_signature[1]
    if len(args) != 1 or len(fn.structured_outputs) != 1:
        raise ModelError(f"{spec}: expected one input and one output in serving_default, "
                         f"found {len(args)} and {len(fn.structured_outputs)}")
    (key, spec_in), = args.items()
    (out_key,) = fn.structured_outputs
    declared = tuple(None if d is None else int(d) for d in spec_in.shape)
    fixed = declared[0] if declared and declared[0] is not None else None

    def call(x: np.ndarray) -> np.ndarray:
        return fn(**{key: tf.constant(x)})[out_key].numpy()

    return FloatModel(spec, "savedmodel", _identity("savedmodel", Path(spec)), declared, None,
                      None, call, batch=fixed or BATCH)


# --- ONNX ---------------------------------------------------------------------------------

def _load_onnx(spec: str, _weights: Any) -> FloatModel:
    import onnx
    import onnxruntime as ort

    try:
        proto = onnx.load(spec, load_external_data=False)
    except Exception as exc:
        raise ModelError(f"{spec} is not a readable ONNX model ({_one_line(exc)}); export it "
                         "again") from exc
    external = [t.name for t in proto.graph.initializer
                if t.data_location == onnx.TensorProto.EXTERNAL]
    if external:
        raise ModelError(f"{spec} keeps weights in external files ({external[0]}, …), which "
                         "tinyedge does not follow; save it as one file "
                         "(onnx.save(model, path, save_as_external_data=False))")
    try:
        session = ort.InferenceSession(proto.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelError(f"onnxruntime cannot load {spec}: {_one_line(exc)}") from exc
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or len(outputs) != 1:
        raise ModelError(f"{spec}: expected one input and one output, found {len(inputs)} "
                         f"and {len(outputs)}")
    declared = tuple(d if isinstance(d, int) and d > 0 else None for d in inputs[0].shape)
    name = inputs[0].name

    def call(x: np.ndarray) -> np.ndarray:
        return session.run(None, {name: x})[0]

    params = sum(math.prod(t.dims) for t in proto.graph.initializer
                 if t.data_type == onnx.TensorProto.FLOAT and len(t.dims) >= 1)
    batch = declared[0] if declared and declared[0] is not None else BATCH
    return FloatModel(spec, "onnx", _identity("onnx", Path(spec)), declared,
                      _onnx_output_kind(proto), params or None, call, batch=batch)


def _onnx_output_kind(proto: Any) -> OutputKind:
    producer = {o: n for n in proto.graph.node for o in n.output}
    tensor = proto.graph.output[0].name
    while (node := producer.get(tensor)) is not None and node.op_type in (
            "Reshape", "Flatten", "Identity", "Squeeze", "Cast"):
        tensor = node.input[0]
    return ("probabilities" if node is not None and node.op_type in ("Softmax", "Sigmoid")
            else "logits")


# --- PyTorch ------------------------------------------------------------------------------

def _torch_model(spec: str, fmt: FloatFormat, module: Any, identity: dict[str, Any],
                 kind: OutputKind | None) -> FloatModel:
    import torch

    params = None
    with contextlib.suppress(Exception):
        params = sum(int(p.numel()) for p in module.parameters()) or None

    def call(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = module(torch.from_numpy(x))
        if isinstance(out, (tuple, list)):
            out = out[0]
        return out.detach().float().cpu().numpy()

    return FloatModel(spec, fmt, identity, None, kind, params, call, module=module)


def _load_torchscript(spec: str, _weights: Any) -> FloatModel:
    import torch

    try:
        module = torch.jit.load(spec, map_location="cpu").eval()
    except Exception as exc:
        raise ModelError(f"{spec} is not a loadable TorchScript file ({_one_line(exc)}); "
                         "save it again with torch.jit.save") from exc
    kind: OutputKind | None = None
    with contextlib.suppress(Exception):
        text = str(module.inlined_graph)
        ret = text.strip().splitlines()[-2] if text.strip() else ""
        kind = "probabilities" if ("softmax" in ret or "sigmoid" in ret) else None
    return _torch_model(spec, "torchscript", module, _identity("torchscript", Path(spec)), kind)


def _load_torch_export(spec: str, _weights: Any) -> FloatModel:
    import torch

    try:
        program = torch.export.load(spec)
        module = program.module()
    except Exception as exc:
        raise ModelError(f"{spec} is not a loadable torch.export archive ({_one_line(exc)}); "
                         "save it again with torch.export.save") from exc
    declared = None
    with contextlib.suppress(Exception):  # the example's shape; a dynamic batch says so
        declared = tuple(int(d) for d in program.example_inputs[0][0].shape)
    kind: OutputKind = "logits"
    nodes = [n for n in program.graph.nodes if n.op == "call_function"]
    if nodes and any(w in str(nodes[-1].target) for w in ("softmax", "sigmoid")):
        kind = "probabilities"
    model = _torch_model(spec, "torch-export", module, _identity("torch-export", Path(spec)),
                         kind)
    model.declared = declared
    model.module = program  # torch.onnx.export takes the ExportedProgram itself
    model.batch = declared[0] if declared and declared[0] == 1 else BATCH
    return model


def _load_torch_module(spec: str, weights: str | Path) -> FloatModel:
    import torch

    module_name, factory_name = split_factory(spec)
    factory = getattr(_import_user_module(module_name, spec), factory_name, None)
    if not callable(factory):
        raise ModelError(f"{module_name} has no callable {factory_name}; pass "
                         "module:factory naming a function that returns the nn.Module")
    try:
        module = factory()
    except Exception as exc:
        raise ModelError(f"{spec}() raised {type(exc).__name__}: {_one_line(exc)}") from exc
    if not isinstance(module, torch.nn.Module):
        raise ModelError(f"{spec}() returned {type(module).__name__}, not a torch.nn.Module")
    weights = Path(weights)
    if not weights.is_file():
        raise ModelError(f"--weights {weights} does not exist; pass the state dict file "
                         "(torch.save(model.state_dict(), path))")
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(f"--weights {weights} is not a state dict tinyedge loads safely "
                         f"(weights_only=True: {_one_line(exc)}); save it with "
                         "torch.save(model.state_dict(), path)") from exc
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ModelError(f"--weights {weights} holds a {type(state).__name__}, not a state "
                         "dict; save it with torch.save(model.state_dict(), path)")
    try:
        module.load_state_dict(state)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ModelError(f"--weights {weights} does not fit {spec}(): {_one_line(exc)}; pass "
                         "the state dict saved from this network") from exc
    identity = {"format": "torch-module", "factory": spec, **file_entry(weights)}
    return _torch_model(spec, "torch-module", module.eval(), identity, None)


def _import_user_module(name: str, spec: str) -> Any:
    """Import ``name``: a ``.py`` path, or a module importable from the current folder."""
    try:
        if name.endswith(".py"):
            path = Path(name)
            if not path.is_file():
                raise ModelError(f"{path} does not exist; pass path/to/models.py:factory")
            loader_spec = importlib.util.spec_from_file_location(
                f"tinyedge_user_{path.stem}", path)
            assert loader_spec is not None and loader_spec.loader is not None
            module = importlib.util.module_from_spec(loader_spec)
            loader_spec.loader.exec_module(module)
            return module
        cwd = str(Path.cwd())
        added = cwd not in sys.path
        if added:
            sys.path.insert(0, cwd)
        try:
            return importlib.import_module(name)
        finally:
            if added:
                sys.path.remove(cwd)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"cannot import {name} for {spec} ({type(exc).__name__}: "
                         f"{_one_line(exc)}); run tinyedge from the folder that holds the "
                         "package, or pass path/to/models.py:factory") from exc


_LOADERS: dict[str, Callable[[str, Any], FloatModel]] = {
    "tflite": _load_tflite,
    "keras": _load_keras,
    "savedmodel": _load_savedmodel,
    "onnx": _load_onnx,
    "torchscript": _load_torchscript,
    "torch-export": _load_torch_export,
    "torch-module": _load_torch_module,
}
