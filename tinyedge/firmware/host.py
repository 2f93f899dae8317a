"""Host build of the generated C model: a shared library, cached by content hash, that
evaluates many int8 inputs quickly. Used for fast evaluation and for bit-exactness tests.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import math
import os
import platform
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyedge import resources
from tinyedge.errors import ModelError, TinyedgeError
from tinyedge.firmware import kernel_constants
from tinyedge.firmware.codegen import GeneratedSource, generate
from tinyedge.firmware.compiler import KERNEL_VARIANTS, CompiledModel, compile_graph
from tinyedge.firmware.tflite_reader import Tensor, parse_model

CFLAGS = ("-std=c11", "-O3", "-fPIC", "-shared", "-pthread", "-Wall", "-Wextra")


def firmware_root() -> Path:
    """The ``firmware/`` source tree shipped next to the package."""
    root = resources.firmware_dir()
    if not (root / "include" / "te_kernels.h").is_file():
        raise TinyedgeError(f"firmware sources not found at {root}; reinstall tinyedge")
    return root


def default_build_dir() -> Path:
    env = os.environ.get("TINYEDGE_NATIVE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "tinyedge" / "native"


def kernel_sources(variant: str = "reference") -> list[Path]:
    """One file per op: the variant's file when it has one, else the reference file."""
    if variant not in KERNEL_VARIANTS:
        raise TinyedgeError(
            f"unknown kernel variant {variant!r}; choose one of {', '.join(KERNEL_VARIANTS)}"
        )
    kernels = firmware_root() / "kernels"
    sources = []
    for ref in sorted((kernels / "reference").glob("*.c")):
        override = kernels / variant / ref.name
        sources.append(override if override.is_file() else ref)
    return sources


def compile_model_bytes(
    data: bytes, source_name: str, variant: str = "reference"
) -> tuple[CompiledModel, GeneratedSource]:
    """Validate, lower and generate C for a model held in memory."""
    compiled = compile_graph(parse_model(data, source=source_name), variant=variant)
    sha = hashlib.sha256(data).hexdigest()
    return compiled, generate(compiled, sha, source_name)


def compile_model(
    model_path: str | Path, variant: str = "reference"
) -> tuple[CompiledModel, GeneratedSource]:
    """Validate, lower and generate C for the model at ``model_path``."""
    path = Path(model_path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model {path}: {exc.strerror or exc}") from exc
    return compile_model_bytes(data, path.name, variant)


def write_sources(
    model_path: str | Path, out_dir: str | Path, variant: str = "reference"
) -> list[Path]:
    """Write the generated ``model.c``/``model.h`` for ``model_path`` into ``out_dir``."""
    _, generated = compile_model(model_path, variant)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generated.files.items():
        tmp = out / f".{name}.tmp"
        tmp.write_text(text)
        tmp.replace(out / name)
        written.append(out / name)
    return written


@dataclass
class NativeModel:
    """A loaded host build of one model."""

    library_path: Path
    compiled: CompiledModel

    def __post_init__(self) -> None:
        self._lib = ctypes.CDLL(str(self.library_path))
        fn = self._lib.te_host_run_batch
        fn.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.c_void_p, ctypes.c_int32]
        fn.restype = ctypes.c_int32
        self._run = fn
        path = self._lib.te_host_vector_path
        path.restype = ctypes.c_int32
        self.vector_path = bool(path())

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.compiled.input.shape

    def run(self, inputs: np.ndarray, threads: int | None = None) -> np.ndarray:
        """The outputs, one row per input; ``inputs`` is (N, *input shape without batch) or a
        single input, of the model input's type (int8, or float32 for a model that
        quantizes its own input); the outputs are of the model output's type."""
        x = _as_batch(inputs, self.compiled.input)
        n = x.shape[0]
        out = np.empty((n, self.compiled.output.size), dtype=self.compiled.output.numpy_dtype)
        workers = threads if threads is not None else min(os.cpu_count() or 1, 8)
        status = self._run(x.ctypes.data, n, out.ctypes.data, workers)
        if status == _TE_ERROR_UNSUPPORTED:
            raise ModelError(f"the native build {self.library_path} was compiled for another "
                             "CPU (AVX-512 VNNI); delete it or set TINYEDGE_NATIVE_CACHE to a "
                             "folder of this machine")
        if status != 0:
            raise ModelError(f"native model failed with status {status}")
        return out


def _as_batch(inputs: np.ndarray, model_input: Tensor) -> np.ndarray:
    """(N, per-item size) contiguous copy of a batch (N, *item shape) or of one input, where
    the item shape is the model input without its batch-1 dimension (the compiler refuses
    batch > 1). Anything else is refused before it reaches C."""
    x = np.asarray(inputs)
    if x.dtype != model_input.numpy_dtype:
        fix = ("quantize them with the model's input scale and zero point"
               if model_input.dtype == "INT8" else "the model quantizes its float32 input itself")
        raise InputError(f"inputs must be {model_input.numpy_dtype}, got {x.dtype}; {fix}")
    shape = tuple(model_input.shape)
    item = shape[1:] if len(shape) >= 2 else shape
    if len(shape) >= 2 and shape[0] != 1:
        raise InputError(f"model input {list(shape)} has batch {shape[0]}; only batch 1 runs")
    if x.shape in (item, shape):
        x = x.reshape(1, -1)
    elif x.ndim < 1 or tuple(x.shape[1:]) != item:
        raise InputError(f"inputs of shape {list(x.shape)} do not fit model input "
                         f"{list(shape)}: pass (N, {', '.join(map(str, item))})")
    x = np.ascontiguousarray(x.reshape(x.shape[0], -1))
    assert x.shape[1] == math.prod(item)  # what the C side copies per input
    return x


class InputError(TinyedgeError):
    """Input arrays that do not match the model's input tensor."""


_TE_ERROR_UNSUPPORTED = -2  # te_status in firmware/include/te_kernels.h


@functools.cache
def _compiler_id(cc: str) -> str:
    try:
        return subprocess.run([cc, "--version"], capture_output=True, text=True).stdout
    except OSError as exc:
        raise TinyedgeError(f"host C compiler {cc!r} not found; install gcc") from exc


def _target_macros(cc: str, flags: list[str]) -> str:
    """The instruction-set macros the flags enable here (-march=native differs per CPU)."""
    return _macros(cc, tuple(f for f in flags if f.startswith("-m")))


@functools.cache
def _macros(cc: str, machine_flags: tuple[str, ...]) -> str:
    try:
        return subprocess.run([cc, *machine_flags, "-dM", "-E", "-x", "c", os.devnull],
                              capture_output=True, text=True).stdout
    except OSError as exc:
        raise TinyedgeError(f"host C compiler {cc!r} not found; install gcc") from exc


def _sources_key(paths: list[Path], cc: str, flags: list[str]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    h.update(" ".join([cc, *flags, platform.machine(), _compiler_id(cc)]).encode())
    h.update(_target_macros(cc, flags).encode())  # what -march=native means on this CPU
    h.update(kernel_constants.c_header().encode())
    return h.hexdigest()[:24]


def _headers() -> list[Path]:
    root = firmware_root()
    return sorted((root / "include").glob("*.h")) + sorted((root / "kernels").rglob("*.h"))


def build_native(
    model_path: str | Path,
    build_dir: str | Path | None = None,
    variant: str = "reference",
    cc: str = "gcc",
    extra_flags: tuple[str, ...] = ("-march=native",),
) -> NativeModel:
    """Generate, compile (or reuse a cached build) and load the host library for a model.
    The kernels are compiled once per variant, compiler and flags and shared by every
    model's library (only the generated model and the batch runner are compiled per
    model)."""
    sources = kernel_sources(variant)
    compiled, generated = compile_model(model_path, variant)
    flags = [*CFLAGS, *extra_flags]
    cache = Path(build_dir or default_build_dir())
    kernels_key = _sources_key([*sources, *_headers()], cc, flags)
    objects = _kernel_objects(sources, cc, flags, cache / f"kernels-{kernels_key}")
    h = hashlib.sha256(f"{generated.digest}\0{kernels_key}".encode())
    h.update((firmware_root() / "host" / "te_host.c").read_bytes())
    target = cache / h.hexdigest()[:24]
    library = target / "libtemodel.so"
    if not library.is_file():
        _compile(generated, objects, cc, flags, target)
    return NativeModel(library, compiled)


def _includes(*extra: Path) -> list[str]:
    root = firmware_root()
    return [*(f"-I{p}" for p in extra), f"-I{root / 'include'}", f"-I{root / 'kernels'}"]


def _publish(work: Path, target: Path, product: str) -> None:
    """Move a finished build folder into place (another process may have won the race)."""
    try:
        work.rename(target)
    except OSError:  # another process finished the same build first
        if not (target / product).is_file():
            shutil.copytree(work, target, dirs_exist_ok=True)
    else:
        work.mkdir()  # let TemporaryDirectory clean up an empty directory


def _kernel_objects(sources: list[Path], cc: str, flags: list[str], target: Path) -> list[Path]:
    """One object per kernel source, compiled once into ``target``."""
    objects = [target / f"{source.stem}.o" for source in sources]
    if all(o.is_file() for o in objects):
        return objects
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".kernels-") as tmp:
        work = Path(tmp)
        kernel_constants.write_header(work)
        cmd = [cc, *flags, *_includes(work), "-c", *(str(s) for s in sources)]
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=work)
        if result.returncode != 0:
            raise TinyedgeError(f"host build failed ({cc}):\n{result.stderr[-4000:]}")
        _publish(work, target, objects[-1].name)
    return objects


def _compile(
    generated: GeneratedSource, objects: list[Path], cc: str, flags: list[str], target: Path
) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    root = firmware_root()
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp:
        work = Path(tmp)
        for name, text in generated.files.items():
            (work / name).write_text(text)
        kernel_constants.write_header(work)  # te_host.c reads the host_simd geometry
        cmd = [
            cc, *flags, *_includes(work), str(work / "model.c"),
            str(root / "host" / "te_host.c"), *(str(o) for o in objects),
            "-o", str(work / "libtemodel.so"),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise TinyedgeError(f"host build failed ({cc}):\n{result.stderr[-4000:]}")
        _publish(work, target, "libtemodel.so")


def run_native(
    model_path: str | Path,
    inputs: np.ndarray,
    build_dir: str | Path | None = None,
    variant: str = "reference",
    threads: int | None = None,
) -> np.ndarray:
    """Evaluate ``inputs`` (N × input shape without batch) on the host build of the model;
    returns the outputs, shape (N, output size) (see :meth:`NativeModel.run`)."""
    return build_native(model_path, build_dir, variant).run(inputs, threads)
