"""Benchmark the firmware runtime's host build against the TFLite Micro interpreter.

For each int8 ``.tflite`` given on the command line, or for every zoo configuration
with ``--zoo`` (exported untrained with 100 classes, as PLATFORM.md's anchors): arena bytes
planned by tinyedge (reference and host_simd kernel variants) vs TFLite Micro's arena (its
tensor plan, the "head", and the total with its runtime structures) and their ratio,
flash bytes of the firmware (code + weights), and images per second of the native host
build vs the tflite-micro Python interpreter. Writes bench/results/firmware_runtime.json.

    python bench/firmware_runtime.py export/scalecnn-w4/model_int8.tflite ...
    python bench/firmware_runtime.py --zoo [--images 100 --tflm-images 10]
"""

from __future__ import annotations

import argparse
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
    for variant in ("reference", "host_simd"):
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
    row["arena_ratio_vs_tflm"] = round(row["reference_arena_bytes"]
                                       / row["tflm_arena_total_bytes"], 3)
    return row | flash_bytes(path)


def flash_bytes(path: Path, board: str = "mps2-an500") -> dict:
    """Firmware flash (code + weights) measured from a real cross build on a 4 MB board;
    for models larger than that, the fit check's estimate (weights + code budget)."""
    from tinyedge.boards import load_board
    from tinyedge.firmware.build import FitError, build_firmware, estimate_memory
    from tinyedge.firmware.host import compile_model

    try:
        with tempfile.TemporaryDirectory() as tmp:
            memory = build_firmware(board, path, Path(tmp) / "fw").memory
        return {"flash_code_bytes": memory.flash_code, "flash_weights_bytes":
                memory.flash_weights, "flash_bytes": memory.flash_code + memory.flash_weights,
                "flash_measured": True}
    except FitError:
        estimate = estimate_memory(load_board(board), compile_model(path, "reference")[0])
        return {"flash_code_bytes": estimate.flash_code, "flash_weights_bytes":
                estimate.flash_weights, "flash_bytes": estimate.flash_code +
                estimate.flash_weights, "flash_measured": False}


def zoo_models(work: Path) -> list[Path]:
    from tinyedge.data.synthetic import make_synthetic_dataset
    from tinyedge.export.untrained import export_untrained
    from tinyedge.models import all_specs

    dataset = make_synthetic_dataset(num_classes=100, train_per_class=2, test_per_class=1)
    return [export_untrained(spec, work / spec.name, dataset).tflite for spec in all_specs()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--zoo", action="store_true", help="every zoo configuration")
    parser.add_argument("--images", type=int, default=400)
    parser.add_argument("--tflm-images", type=int, default=100)
    parser.add_argument("--build-dir", type=Path, default=None)
    args = parser.parse_args()
    build_dir = args.build_dir or Path(tempfile.mkdtemp(prefix="te-bench-"))
    models = list(args.models) + (zoo_models(build_dir / "zoo") if args.zoo else [])
    if not models:
        parser.error("give .tflite models or --zoo")
    rows = []
    for path in models:
        rows.append(bench(path, build_dir, args.images, args.tflm_images))
        r = rows[-1]
        print(f"{path.parent.name:<22} arena {r['reference_arena_bytes']:>9,} B = "
              f"{r['arena_ratio_vs_tflm']:.2f}× TFLM's {r['tflm_arena_total_bytes']:>9,} B   "
              f"flash {r['flash_bytes']:>10,} B   native {r['host_simd_speedup_1t']:.1f}× "
              "tflm", flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(RESULTS, {"cpu_count": os.cpu_count(), "results": rows})
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
