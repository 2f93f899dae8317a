"""int8 inference on the host: TFLite Micro (the reference), LiteRT with its optimized or
reference kernels, and tinyedge's own C runtime built for the host."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np

from tinyedge.errors import ModelError, TinyedgeError
from tinyedge.floatmodel.model import captured_stderr_fd as _captured_stderr_fd
from tinyedge.progress import Progress, SilentProgress

Runtime = Literal["tflm", "litert", "litert-ref", "native"]
RUNTIMES: tuple[str, ...] = ("tflm", "litert", "litert-ref", "native")


def prepare_int8(model_path: str | Path, runtime: str,
                 ) -> Callable[[np.ndarray, Progress | None], np.ndarray]:
    """Load (or, for ``native``, compile) ``runtime`` for ``model_path`` once; return a
    function running int8 inputs (N×H×W×C) to int8 outputs (N×C). Callers time this step
    apart from inference: a cold native build costs seconds that are not throughput."""
    if runtime not in RUNTIMES:
        raise TinyedgeError(f"unknown runtime {runtime!r}; valid runtimes: {', '.join(RUNTIMES)}")
    if runtime == "native":
        from tinyedge.firmware.host import build_native

        model = build_native(model_path, variant="host_simd")  # bit-exact, faster
        return lambda inputs, progress=None: model.run(inputs)
    invoke = _tflm(model_path) if runtime == "tflm" else _litert(model_path, runtime)

    def run(inputs: np.ndarray, progress: Progress | None = None) -> np.ndarray:
        bar = (progress or SilentProgress()).task(len(inputs), f"evaluate {runtime}",
                                                  unit="img")
        outputs = []
        for x in inputs:
            outputs.append(invoke(x[None]))
            bar.advance(1)
        bar.close()
        return np.concatenate(outputs).reshape(len(inputs), -1)

    return run


def run_int8(
    model_path: str | Path,
    inputs: np.ndarray,
    runtime: str,
    *,
    progress: Progress | None = None,
) -> np.ndarray:
    """Run int8 ``inputs`` (N×H×W×C) through ``runtime``; return the int8 outputs (N×C)."""
    return prepare_int8(model_path, runtime)(inputs, progress)


# TFLite Micro's Python interpreter defaults to an arena of 10× the model file, too small
# for a model with small weights and large activations; larger arenas are tried in turn.
TFLM_ARENA_STEPS = (None, 1 << 20, 1 << 22, 1 << 24, 1 << 26, 1 << 28)


def _load_tflm(model_path: str | Path):
    """The TFLite Micro interpreter for ``model_path`` with the first arena that fits; one
    ModelError line (with TFLM's own explanation) when none does."""
    from tflite_micro.python.tflite_micro import runtime

    last: Exception | None = None
    text: list[str] = []
    for arena in TFLM_ARENA_STEPS:
        try:
            with _captured_stderr_fd() as text:  # TFLM explains a refusal on fd 2
                return runtime.Interpreter.from_file(str(model_path), arena_size=arena)
        except (RuntimeError, ValueError) as exc:
            last = exc
            said = (str(exc) + "".join(text)).lower()
            if not any(word in said for word in ("arena", "allocate", "buffer")):
                break  # not a memory problem: a bigger arena will not help
    raise ModelError(f"TFLite Micro cannot load {model_path}: {last}{_first_line(text)}")


def _tflm(model_path: str | Path) -> Callable[[np.ndarray], np.ndarray]:
    interpreter = _load_tflm(model_path)

    def invoke(x: np.ndarray) -> np.ndarray:
        # TFLM may reuse the input buffer for intermediates: set it before every invoke.
        interpreter.set_input(x, 0)
        interpreter.invoke()
        return interpreter.get_output(0).copy()

    return invoke


def _litert(model_path: str | Path, runtime: str) -> Callable[[np.ndarray], np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = OpResolverType.BUILTIN_REF if runtime == "litert-ref" else OpResolverType.AUTO
    try:
        with _captured_stderr_fd() as text:  # LiteRT logs to fd 2 (INFO lines, refusals)
            interpreter = Interpreter(model_path=str(model_path), num_threads=1,
                                      experimental_op_resolver_type=resolver)
            interpreter.allocate_tensors()
    except (RuntimeError, ValueError) as exc:
        raise ModelError(f"LiteRT cannot load {model_path}: {exc}{_first_line(text)}") from exc
    inp = interpreter.get_input_details()[0]["index"]
    out = interpreter.get_output_details()[0]["index"]

    def invoke(x: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(inp, x)
        interpreter.invoke()
        return interpreter.get_tensor(out).copy()

    return invoke


def _first_line(captured: list[str]) -> str:
    """The first line a C library wrote to stderr, as a clause of a one-line error."""
    lines = [line.strip() for line in "".join(captured).splitlines()
             if line.strip() and not line.startswith("INFO:")]
    return f" ({lines[0][:200]})" if lines else ""


def tflm_arena_bytes(model_path: str | Path) -> int:
    """Arena bytes TFLite Micro's recording allocator reports for ``model_path``."""
    interpreter = _load_tflm(model_path)
    with _captured_stderr_fd() as text:
        interpreter.print_allocations()
    match = re.search(r"[Aa]rena allocation total (\d+) bytes", "".join(text))
    if match is None:
        raise TinyedgeError("could not read TFLite Micro's arena size from print_allocations()")
    return int(match.group(1))
