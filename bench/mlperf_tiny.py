"""The MLPerf Tiny reference models on the emulated Cortex-M7 (QEMU mps2-an500, the
nucleo-f746 stand-in) and Cortex-M4 (mps2-an386): exact instructions per inference
(QEMU ``-icount``) with the reference and cortexm_dsp kernels, peak RAM (static + arena +
measured stack high-water mark) and flash of the image, beside TFLite Micro's arena for
the same model on the host (the ``tflite-micro`` interpreter). The models are exported
untrained, calibrated on synthetic inputs of their shapes (tinyedge.export.untrained), with
their published class counts; measurement as in bench/firmware_dsp.py. Writes
bench/results/mlperf_tiny.json.

    .venv/bin/python bench/mlperf_tiny.py [--only resnet8-w16 dscnn-w64]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from firmware_dsp import CORES, measure

from tinyedge.export.untrained import export_untrained, synthetic_dataset_for
from tinyedge.fileio import software_versions, write_json_atomic
from tinyedge.models import build_model, count_macs, reference_specs

RESULTS = Path(__file__).resolve().parent / "results" / "mlperf_tiny.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="model names, e.g. resnet8-w16")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for spec in reference_specs():
            if args.only and spec.name not in args.only:
                continue
            dataset = synthetic_dataset_for(spec, train_per_class=10, test_per_class=2)
            export = export_untrained(spec, work / spec.name, dataset)
            model = build_model(spec, dataset.num_classes)
            row = measure(spec.name, export.tflite, count_macs(model), work)
            row["tflm_arena_bytes"] = export.manifest["figures"]["tflm_arena_bytes"]
            row["tflite_bytes"] = export.manifest["figures"]["tflite_bytes"]
            rows.append(row)
            m7, m4 = row["cortex-m7/cortexm_dsp"], row["cortex-m4/cortexm_dsp"]
            print(f"{spec.name:<20} M7 {m7['instructions_per_inference']:>12,} "
                  f"M4 {m4['instructions_per_inference']:>12,} instructions (cortexm_dsp)  "
                  f"peak RAM {m7['peak_ram_bytes']:,} B  flash {m7['flash_bytes']:,} B  "
                  f"TFLM arena {row['tflm_arena_bytes']:,} B", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(args.out, {"versions": software_versions(), "cores": CORES,
                                 "weights": "untrained; synthetic calibration inputs",
                                 "counter": "QEMU -icount exact instructions",
                                 "models": rows})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
