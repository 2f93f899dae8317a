"""Benchmark the firmware runtime's host build against the TFLite Micro interpreter.

For each int8 ``.tflite`` given on the command line: arena bytes planned by tinyedge
(reference and optimized kernel variants) vs TFLite Micro's arena (its tensor plan, the
"head", and the total with its runtime structures), and images per second of the native
host build vs the tflite-micro Python interpreter. Writes bench/results/firmware_runtime.json.

    python bench/firmware_runtime.py export/scalecnn-w4/model_int8.tflite ...
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tinyedge.fileio import write_json_atomic
from tinyedge.firmware.host import build_native
from tinyedge.firmware.planner import lower_bound

RESULTS = Path(__file__).resolve().parent / "results" / "firmware_runtime.json"


def tflm_arena(path: Path) -> dict[str, int]:
    """Parse the RecordingMicroAllocator report, which TFLM prints to fd 2 from C."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_file(str(path))
    with tempfile.TemporaryFile(mode="w+") as capture:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            interpreter.print_allocations()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        report = capture.read()
    figures = {}
    for key in ("total", "head", "tail"):
        match = re.search(rf"Arena allocation {key} (\d+) bytes", report)
        figures[f"tflm_arena_{key}_bytes"] = int(match.group(1)) if match else -1
    return figures


def tflm_us_per_image(path: Path, inputs: np.ndarray) -> float:
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_file(str(path))
    start = time.perf_counter()
    for x in inputs:
        interpreter.set_input(x[None], 0)
        interpreter.invoke()
        interpreter.get_output(0)
    return (time.perf_counter() - start) / len(inputs) * 1e6


def native_us_per_image(native, inputs: np.ndarray, threads: int) -> float:
    native.run(inputs[:4], threads)  # warm up
    best = float("inf")
    for _ in range(3):  # best of three: the machine is shared
        start = time.perf_counter()
        native.run(inputs, threads)
        best = min(best, time.perf_counter() - start)
    return best / len(inputs) * 1e6


def bench(path: Path, build_dir: Path, n_native: int, n_tflm: int) -> dict:
    row: dict = {"model": str(path)}
    rng = np.random.default_rng(0)
    tflm_us = None
    for variant in ("reference", "optimized"):
        native = build_native(path, build_dir, variant)
        compiled = native.compiled
        inputs = rng.integers(-128, 128, size=(n_native, *native.input_shape[1:]), dtype=np.int8)
        if tflm_us is None:
            tflm_us = tflm_us_per_image(path, inputs[:n_tflm])
            row |= {"layers": len(compiled.layers), "tensor_bytes": compiled.tensor_bytes,
                    "tflm_us_per_image": round(tflm_us, 1)} | tflm_arena(path)
        for threads in (1, 2):
            us = native_us_per_image(native, inputs, threads)
            row[f"{variant}_us_per_image_{threads}t"] = round(us, 1)
            row[f"{variant}_speedup_{threads}t"] = round(tflm_us / us, 2)
        row[f"{variant}_arena_bytes"] = compiled.arena_size
        row[f"{variant}_arena_lower_bound"] = lower_bound(compiled.buffers)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--images", type=int, default=400)
    parser.add_argument("--tflm-images", type=int, default=100)
    parser.add_argument("--build-dir", type=Path, default=None)
    args = parser.parse_args()
    build_dir = args.build_dir or Path(tempfile.mkdtemp(prefix="te-bench-"))
    rows = [bench(p, build_dir, args.images, args.tflm_images) for p in args.models]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(RESULTS, {"cpu_count": os.cpu_count(), "results": rows})
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
