"""A structure-aware fuzzer for the model path: mutate real ``.tflite`` exports, then check
that tinyedge either refuses each mutant with one clear line or runs it — under
AddressSanitizer and UndefinedBehaviorSanitizer — exactly like TFLite Micro.

Pieces:
- :func:`mutate`: parses a model into the flatbuffer object API and changes one to three
  fields a crafted file could change (shapes, types, quantization, operator options,
  tensor indices, opcodes, buffers, graph inputs), sometimes a few raw bytes after packing.
- :class:`SanitizedRunner`: compiles the kernels once with ``-fsanitize=address,undefined``
  and, per accepted mutant, the generated ``model.c`` plus ``firmware/host/te_run_main.c``;
  runs it under a timeout; any sanitizer report, crash, error status or hang is a finding.
- :class:`TflmWorker`: the TFLite Micro interpreter in a child process (a crafted model may
  crash TFLite Micro itself, which must not take the harness down).
- :func:`check`: the verdict for one mutant.
Used by ``tests/fuzz/test_fuzz_models.py`` (a bounded run in CI) and
``scripts/fuzz_models.py`` (long runs on demand).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyedge.errors import ModelError
from tinyedge.firmware import kernel_constants
from tinyedge.firmware.host import compile_model_bytes, firmware_root, kernel_sources

CORPUS = Path(__file__).resolve().parents[1] / "fuzz" / "corpus"
INTERESTING = (0, 1, 2, 3, 4, 7, 8, 16, 255, 256, 1 << 15, 65535, 1 << 16, 1 << 24, 1 << 30,
               (1 << 31) - 1, -1, -2, -(1 << 31))
SCALES = (0.0, -1.0, 1e-45, 1e-38, 1e-30, 1e-8, 1e8, 1e30, 3e38, math.inf, math.nan)
SANITIZE = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all",
            "-fno-omit-frame-pointer", "-g", "-O1")
RUN_TIMEOUT_S = 20.0


def corpus() -> list[Path]:
    return sorted(CORPUS.glob("*.tflite"))


# ---------------------------------------------------------------------------- mutation


def _schema():
    from tinyedge.firmware.tflite_reader import schema

    return schema()


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _list(values) -> list:
    """A flatbuffer object-API vector (None, list or numpy array) as a plain list."""
    return [] if values is None else [v.item() if hasattr(v, "item") else v for v in values]


def _int(rng: np.random.Generator) -> int:
    return int(_pick(rng, INTERESTING)) if rng.random() < 0.8 else int(rng.integers(-9, 40))


def _mutate_once(model, rng: np.random.Generator) -> str:
    graph = model.subgraphs[0]
    tensors, ops = _list(graph.tensors), _list(graph.operators)
    kind = _pick(rng, ("shape", "type", "scale", "zero_point", "qdim", "option", "option",
                       "option", "op_io", "opcode", "buffer", "graph_io"))
    if kind == "shape" and tensors:
        t = _pick(rng, tensors)
        if len(_list(t.shape)):
            t.shape = _list(t.shape)
            t.shape[int(rng.integers(len(t.shape)))] = _int(rng)
            return f"shape of {t.name!r} -> {t.shape}"
    if kind == "type" and tensors:
        t = _pick(rng, tensors)
        t.type = int(rng.integers(0, 18))
        return f"type of {t.name!r} -> {t.type}"
    if kind in ("scale", "zero_point", "qdim") and tensors:
        t = _pick(rng, tensors)
        q = t.quantization
        if q is not None and len(_list(q.scale)):
            i = int(rng.integers(len(q.scale)))
            if kind == "scale":
                q.scale = _list(q.scale)
                q.scale[i] = float(_pick(rng, SCALES)) if rng.random() < 0.7 else \
                    float(q.scale[i]) * float(rng.choice([0.5, 2.0, 1e-6, 1e6]))
                return f"scale[{i}] of {t.name!r} -> {q.scale[i]}"
            if kind == "zero_point" and len(_list(q.zeroPoint)):
                q.zeroPoint = _list(q.zeroPoint)
                q.zeroPoint[min(i, len(q.zeroPoint) - 1)] = _pick(
                    rng, (-129, -128, 127, 128, 1000, (1 << 31) - 1, int(rng.integers(-128, 128))))
                return f"zero point of {t.name!r}"
            if kind == "qdim":
                q.quantizedDimension = _pick(rng, (-1, 0, 1, 2, 3, 4, 100))
                return f"quantized dimension of {t.name!r} -> {q.quantizedDimension}"
    if kind == "option" and ops:
        op = _pick(rng, ops)
        opts = op.builtinOptions
        fields = [k for k, v in vars(opts).items() if isinstance(v, int | bool)] if opts else []
        if fields:
            name = _pick(rng, fields)
            value = _int(rng)
            if isinstance(getattr(opts, name), bool):
                value = bool(value % 2)
            setattr(opts, name, value)
            return f"option {name} of operator -> {value}"
    if kind == "op_io" and ops:
        op = _pick(rng, ops)
        which = "inputs" if rng.random() < 0.7 else "outputs"
        values = _list(getattr(op, which))
        if values:
            i = int(rng.integers(len(values)))
            values[i] = _pick(rng, (-1, 0, len(tensors) - 1, len(tensors), 1 << 20,
                                    int(rng.integers(len(tensors)))))
            setattr(op, which, values)
            return f"operator {which}[{i}] -> {values[i]}"
    if kind == "opcode" and _list(model.operatorCodes):
        code = _pick(rng, _list(model.operatorCodes))
        code.builtinCode = int(rng.integers(0, 160))
        code.deprecatedBuiltinCode = min(code.builtinCode, 127)
        return f"opcode -> {code.builtinCode}"
    if kind == "buffer" and _list(model.buffers):
        buffers = [b for b in _list(model.buffers) if b.data is not None and len(b.data)]
        if buffers:
            b = _pick(rng, buffers)
            data = np.asarray(b.data, dtype=np.uint8).copy()
            action = _pick(rng, ("truncate", "extend", "flip"))
            if action == "truncate":
                data = data[: int(rng.integers(len(data)))]
            elif action == "extend":
                data = np.concatenate([data, rng.integers(0, 256, 4, dtype=np.uint8)])
            else:
                for _ in range(1 + int(rng.integers(8))):
                    data[int(rng.integers(len(data)))] = _pick(rng, (0x00, 0x7F, 0x80, 0xFF))
            b.data = data
            return f"buffer {action}"
    if kind == "graph_io":
        which = "inputs" if rng.random() < 0.5 else "outputs"
        values = _list(getattr(graph, which))
        if values and rng.random() < 0.8:
            values[0] = int(rng.integers(-1, len(tensors) + 1))
        else:
            values.append(int(rng.integers(len(tensors))))
        setattr(graph, which, values)
        return f"graph {which} -> {values}"
    return "nothing"


def mutate(seed: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    """A mutant of ``seed`` and a description of what changed."""
    import flatbuffers

    sch = _schema()
    for _ in range(20):
        model = sch.ModelT.InitFromPackedBuf(bytearray(seed), 0)
        changes = [_mutate_once(model, rng) for _ in range(1 + int(rng.integers(3)))]
        try:
            builder = flatbuffers.Builder(1024)
            builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        except Exception:  # a value the field cannot hold: try another mutation
            continue
        data = bytearray(builder.Output())
        if rng.random() < 0.1:
            for _ in range(1 + int(rng.integers(4))):
                data[8 + int(rng.integers(len(data) - 8))] = int(rng.integers(256))
            changes.append("raw bytes")
        return bytes(data), "; ".join(changes)
    return seed, "unchanged"


# ---------------------------------------------------------------------------- running


@dataclass
class Verdict:
    outcome: str  # "refused", "equal", "tflm-refused", or "FAIL"
    detail: str = ""


class SanitizedRunner:
    """Sanitizer builds of generated models (kernels compiled once per variant)."""

    def __init__(self, work: Path, variant: str = "reference", cc: str = "gcc") -> None:
        self.work = work
        self.variant = variant
        self.cc = cc
        root = firmware_root()
        objdir = work / f"kernels-{variant}"
        objdir.mkdir(parents=True, exist_ok=True)
        kernel_constants.write_header(objdir)
        self.includes = [f"-I{root / 'include'}", f"-I{root / 'kernels'}", f"-I{objdir}"]
        self.objects: list[Path] = []
        for src in [*kernel_sources(variant), root / "host" / "te_run_main.c"]:
            obj = objdir / f"{src.parent.name}_{src.stem}.o"
            self._cc(["-c", str(src), "-o", str(obj), *self.includes])
            self.objects.append(obj)

    def _cc(self, args: list[str]) -> None:
        result = subprocess.run([self.cc, "-std=c11", *SANITIZE, *args], capture_output=True,
                                text=True)
        if result.returncode:
            raise RuntimeError(f"sanitizer build failed: {result.stderr[-2000:]}")

    def run(self, generated: dict[str, str], inputs: np.ndarray, output_size: int,
            name: str) -> tuple[np.ndarray | None, str]:
        """(outputs, "") or (None, what went wrong)."""
        case = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.work))
        try:
            for file_name, text in generated.items():
                (case / file_name).write_text(text)
            exe = case / "model"
            self._cc([f"-I{case}", *self.includes, str(case / "model.c"),
                      *map(str, self.objects), "-o", str(exe)])
            (case / "in.bin").write_bytes(np.ascontiguousarray(inputs).tobytes())
            env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0",
                   "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}
            try:
                proc = subprocess.run([str(exe), str(case / "in.bin"), str(case / "out.bin")],
                                      capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                                      env=env)
            except subprocess.TimeoutExpired:
                return None, f"hang: no result within {RUN_TIMEOUT_S:g} s"
            if proc.returncode != 0 or "runtime error" in proc.stderr or \
                    "Sanitizer" in proc.stderr:
                lines = proc.stderr.splitlines()
                summary = [ln for ln in lines if "Sanitizer" in ln or "runtime error" in ln]
                return None, (f"exit {proc.returncode}: " + " | ".join(summary[:3])
                              + "\n" + "\n".join(lines[-15:]))
            out = np.frombuffer((case / "out.bin").read_bytes(), dtype=np.int8)
            return out.reshape(len(inputs), output_size), ""  # raw bytes per row
        finally:
            shutil.rmtree(case, ignore_errors=True)


_WORKER = r"""
import json, sys
import numpy as np
from tflite_micro.python.tflite_micro import runtime
for line in sys.stdin:
    job = json.loads(line)
    try:
        interp = runtime.Interpreter.from_file(job["model"], arena_size=job["arena"])
        x = np.load(job["inputs"])
        rows = []
        for item in x:
            interp.set_input(item[None].reshape(job["shape"]), 0)
            interp.invoke()
            out = np.ascontiguousarray(interp.get_output(0)).reshape(-1)
            rows.append(out.view(np.int8))  # raw bytes (float32 outputs: 4 per value)
        np.save(job["outputs"], np.stack(rows))
        print(json.dumps({"ok": True}), flush=True)
    except Exception as exc:
        print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}), flush=True)
"""


class TflmWorker:
    """TFLite Micro in a child process that is restarted whenever a model crashes it."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.proc: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        if self.proc is None or self.proc.poll() is not None:
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
            self.proc = subprocess.Popen([sys.executable, "-c", _WORKER], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                         text=True, env=env)
        return self.proc

    def run(self, model: Path, inputs: np.ndarray, shape: tuple[int, ...],
            arena: int) -> tuple[np.ndarray | None, str]:
        proc = self._start()
        x_path, y_path = self.work / "tflm_in.npy", self.work / "tflm_out.npy"
        np.save(x_path, inputs)
        y_path.unlink(missing_ok=True)
        job = {"model": str(model), "inputs": str(x_path), "outputs": str(y_path),
               "shape": list(shape), "arena": int(arena)}
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps(job) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            self.close()
            return None, "TFLite Micro crashed on this model"
        reply = json.loads(line)
        if not reply["ok"]:
            return None, reply["error"]
        return np.load(y_path), ""

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def fuzz_inputs(compiled, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random rows of the model's input: int8, or for a float32 input values around
    and far beyond the int8 range of its QUANTIZE, kept where TFLite Micro's conversion to
    int32 is defined (|x / scale| < 2^30; beyond it TFLite Micro has undefined behaviour)."""
    inp = compiled.input
    if inp.dtype != "FLOAT32":
        return rng.integers(-128, 128, size=(n, inp.size), dtype=np.int8)
    (quantize,) = [layer for layer in compiled.layers if layer.kernel == "te_quantize_f32_s8"]
    limit = np.float32(quantize.params["scale"].value) * np.float32(2.0 ** 30)
    x = rng.normal(0, 4, size=(n, inp.size)) * 10.0 ** rng.integers(-3, 4, size=(n, inp.size))
    return np.clip(x.astype(np.float32), -limit, limit)


def check(data: bytes, name: str, runner: SanitizedRunner, tflm: TflmWorker,
          n_inputs: int = 4) -> Verdict:
    """Refused with one line, or accepted, sanitizer-clean and equal to TFLite Micro
    (where TFLite Micro accepts the model too)."""
    try:
        compiled, generated = compile_model_bytes(data, f"{name}.tflite", runner.variant)
    except ModelError as exc:
        message = str(exc)
        if "\n" in message or not message.strip():
            return Verdict("FAIL", f"refusal is not one line: {message!r}")
        return Verdict("refused", message)
    except Exception:
        return Verdict("FAIL", "traceback instead of one line:\n" + traceback.format_exc())
    rng = np.random.default_rng(len(data))
    inp = compiled.input
    inputs = fuzz_inputs(compiled, n_inputs, rng)
    got, problem = runner.run(generated.files, inputs, compiled.output.nbytes, name)
    if got is None:
        return Verdict("FAIL", f"sanitized native run: {problem}")
    model_path = runner.work / f"{name}.tflite"
    model_path.write_bytes(data)
    try:
        expected, why = tflm.run(model_path, inputs, inp.shape, 4 * compiled.arena_size + 65536)
    finally:
        model_path.unlink(missing_ok=True)
    if expected is None:
        return Verdict("tflm-refused", why)
    if expected.shape != got.shape or not np.array_equal(expected, got):
        differ = int((expected != got).sum()) if expected.shape == got.shape else -1
        return Verdict("FAIL", f"accepted but differs from TFLite Micro ({differ} bytes)")
    return Verdict("equal")
