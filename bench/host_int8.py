"""Benchmark the host int8 runtimes per zoo configuration: µs per image of TFLite Micro,
LiteRT (XNNPACK), LiteRT reference kernels and tinyedge's native build, measured in the
same run on the same inputs, and the native build's speed-up over TFLite Micro.

Single-thread figures are CPU time of the calling thread (time.thread_time), so other
processes on a shared machine do not inflate them; every runtime here runs an image in
the calling thread (LiteRT with num_threads=1). The native build is measured at each step
of its optimisation so the table says what each step buys:

    native-ref        the reference kernels (one output at a time, the device's oracle)
    native-portable   the host_simd algorithm in portable C (-DTE_HOST_PORTABLE)
    native            host_simd on this CPU (AVX-512 VNNI when present), one thread
    native-2t         the same over all cores, wall time per image (threads across images)

Every native variant's outputs are checked equal to TFLite Micro's on the timed images.
Models are the zoo's untrained exports with 100 classes (as PLATFORM.md's anchors).
Writes bench/results/host_int8.json.

    python bench/host_int8.py [--zoo-only scalecnn-w4,mobilenetv2-w0.10] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from tinyedge.fileio import write_json_atomic
from tinyedge.firmware.host import build_native
from tinyedge.int8 import prepare_int8

RESULTS = Path(__file__).resolve().parent / "results" / "host_int8.json"
MIN_SECONDS = 0.6  # of CPU time per runtime and model (after one warm-up image)
MAX_IMAGES = 64


def machine() -> dict:
    """The machine the figures were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    flags = subprocess.run(["gcc", "-march=native", "-dM", "-E", "-x", "c", os.devnull],
                           capture_output=True, text=True).stdout
    isa = [name for name in ("AVX2", "AVX512F", "AVX512VNNI", "AVX512VBMI")
           if f"__{name}__" in flags]
    return {"cpu": model, "cores": os.cpu_count(), "isa": isa,
            "python": platform.python_version(), "load_1min": os.getloadavg()[0]}


def per_image_cpu(run, inputs: np.ndarray) -> tuple[float, np.ndarray]:
    """µs of thread CPU time per image, one image per call, until MIN_SECONDS."""
    run(inputs[:1])  # warm-up
    outputs, spent, n = [], 0.0, 0
    while n < len(inputs) and (spent < MIN_SECONDS or n < 2):
        start = time.thread_time()
        outputs.append(run(inputs[n:n + 1]))
        spent += time.thread_time() - start
        n += 1
    return spent / n * 1e6, np.concatenate(outputs)


def native_batch(native, inputs: np.ndarray, threads: int) -> float:
    """µs per image over the whole batch: CPU time for one thread, wall time for more."""
    clock = time.thread_time if threads == 1 else time.perf_counter
    native.run(inputs[:2], threads)
    best = float("inf")
    for _ in range(5):  # best of five: the machine is shared
        start = clock()
        native.run(inputs, threads)
        best = min(best, clock() - start)
    return best / len(inputs) * 1e6


def bench(path: Path, build_dir: Path) -> dict:
    row: dict = {"model": path.parent.name}
    probe = build_native(path, build_dir, "reference")
    rng = np.random.default_rng(0)
    inputs = rng.integers(-128, 128, size=(MAX_IMAGES, *probe.input_shape[1:]), dtype=np.int8)
    reference = None
    for runtime in ("tflm", "litert", "litert-ref"):
        run = prepare_int8(path, runtime)
        us, outputs = per_image_cpu(lambda x, run=run: run(x), inputs)
        row[f"{runtime}_us"] = round(us, 1)
        if runtime == "tflm":
            reference = outputs
    natives = {
        "native-ref": build_native(path, build_dir, "reference"),
        "native-portable": build_native(path, build_dir, "host_simd",
                                        extra_flags=("-march=native", "-DTE_HOST_PORTABLE")),
        "native": build_native(path, build_dir, "host_simd"),
    }
    for name, native in natives.items():
        got = native.run(inputs[:len(reference)], 1)
        row[f"{name}_equal_tflm"] = bool(np.array_equal(got, reference))
        row[f"{name}_us"] = round(native_batch(native, inputs, 1), 1)
    row["native_vector_path"] = natives["native"].vector_path
    row["native-2t_us"] = round(native_batch(natives["native"], inputs, os.cpu_count() or 1), 1)
    for name in ("native-ref", "native-portable", "native", "native-2t"):
        row[f"{name}_speedup_vs_tflm"] = round(row["tflm_us"] / row[f"{name}_us"], 1)
    row["native_vs_litert"] = round(row["native_us"] / row["litert_us"], 2)
    return row


def zoo_models(work: Path, only: set[str] | None) -> list[Path]:
    from tinyedge.data.synthetic import make_synthetic_dataset
    from tinyedge.export.untrained import export_untrained
    from tinyedge.models import all_specs

    dataset = make_synthetic_dataset(num_classes=100, train_per_class=2, test_per_class=1)
    paths = []
    for spec in all_specs():
        if only and spec.name not in only:
            continue
        existing = sorted((work / spec.name).rglob("model_int8.tflite"))
        paths.append(existing[0] if existing else
                     export_untrained(spec, work / spec.name, dataset).tflite)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zoo-only", default="", help="comma-separated zoo names (default all)")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for exports and builds, reused when it holds them")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="te-bench-host-"))
    only = {name for name in args.zoo_only.split(",") if name} or None
    rows = []
    for path in zoo_models(work, only):
        rows.append(bench(path, work / "native"))
        r = rows[-1]
        print(f"{r['model']:<20} tflm {r['tflm_us']:>9.1f} µs  litert {r['litert_us']:>7.1f}  "
              f"native {r['native_us']:>7.1f} ({r['native_speedup_vs_tflm']:.1f}x tflm, "
              f"2t {r['native-2t_speedup_vs_tflm']:.1f}x)  equal "
              f"{r['native_equal_tflm'] and r['native-portable_equal_tflm']}", flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(RESULTS, {"machine": machine(), "results": rows})
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
