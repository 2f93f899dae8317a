"""Export wall time per variant, and host int8 throughput of each runtime.

For ScaleCNN c=8 and MobileNetV2 m=0.35 (100 classes, CIFAR-shaped synthetic data,
untrained weights with realistic BatchNorm statistics): time `export_model` end to end
(ONNX, int8 TFLite, verification), then time tflm / litert / litert-ref / native on the
same int8 inputs. Writes bench/results/export_and_host_int8.json.

    .venv/bin/python bench/export_and_host_int8.py [--images 300]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from tinyedge.data.synthetic import make_synthetic_dataset
from tinyedge.export.untrained import export_untrained
from tinyedge.fileio import software_versions, write_json_atomic
from tinyedge.int8 import RUNTIMES, quantize_images, run_int8
from tinyedge.models import resolve

VARIANTS = (("scalecnn", 8), ("mobilenetv2", 0.35))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=300, help="images per runtime")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    dataset = make_synthetic_dataset(num_classes=100, train_per_class=5,
                                     test_per_class=max(1, args.images // 100))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for arch, width in VARIANTS:
            started = time.perf_counter()
            result = export_untrained(resolve(arch, width), Path(tmp) / arch, dataset,
                                      calib_samples=500, verify_samples=100)
            export_s = time.perf_counter() - started
            f = result.manifest["figures"]
            norm = result.manifest["parameters"]["normalization"]
            inputs = quantize_images(dataset.test_images, norm["mean"], norm["std"],
                                     f["input_scale"], f["input_zero_point"])
            row = {"model": resolve(arch, width).name, "export_s": export_s,
                   "export_stages_s": f["seconds"], "images": len(inputs)}
            outputs = {}
            for runtime in RUNTIMES:
                run_int8(result.tflite, inputs[:2], runtime)  # load, build and warm caches
                started = time.perf_counter()
                outputs[runtime] = run_int8(result.tflite, inputs, runtime)
                row[f"{runtime}_images_per_s"] = len(inputs) / (time.perf_counter() - started)
            row["native_equals_tflm"] = bool(np.array_equal(outputs["native"], outputs["tflm"]))
            row["litert_ref_equals_tflm"] = bool(
                np.array_equal(outputs["litert-ref"], outputs["tflm"]))
            row["native_speedup_vs_tflm"] = row["native_images_per_s"] / row["tflm_images_per_s"]
            rows.append(row)
            print(f"{row['model']:<20} export {export_s:5.1f} s   " + "   ".join(
                f"{r} {row[f'{r}_images_per_s']:7.0f} img/s" for r in RUNTIMES))
    out = args.out / "export_and_host_int8.json"
    write_json_atomic(out, {"versions": software_versions(), "results": rows})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
