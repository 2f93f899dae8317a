"""On-device figures through QEMU for nucleo-f746 (Cortex-M7; its emulator stand-in is
mps2-an500 with the board's memory limits):

- images/s through the emulator for ScaleCNN c=8, streaming inputs over the serial
  link and preloading them into emulator memory (batch mode);
- exact instructions per inference and per MAC, arena and flash, for every zoo
  configuration that fits the board (untrained weights, as PLATFORM.md's anchors).

Writes bench/results/device_qemu.json.

    .venv/bin/python bench/device_qemu.py [--images 50] [--board nucleo-f746]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tinyedge.data.synthetic import make_synthetic_dataset
from tinyedge.device.evaluate import evaluate_on_device
from tinyedge.device.target import device_target
from tinyedge.export.untrained import export_untrained
from tinyedge.fileio import software_versions, write_json_atomic
from tinyedge.firmware.build import FitError
from tinyedge.models import all_specs, build_model, count_macs, resolve

# PLATFORM.md: TFLite Micro on QEMU mps2-an500, reference kernels, instructions/inference.
TFLM_REFERENCE = {"scalecnn-w8": 32.2e6, "mobilenetv2-w0.35": 86.9e6}


def throughput(board: str, work: Path, images: int) -> dict[str, float]:
    dataset = make_synthetic_dataset(num_classes=100, train_per_class=5,
                                     test_per_class=max(1, images // 100))
    model = export_untrained(resolve("scalecnn", 8), work / "tp", dataset).tflite
    target = device_target(board, model, build_root=work / "build")
    rates = {}
    for mode in ("stream", "batch"):
        started = time.perf_counter()
        evaluate_on_device(model, target, work / f"tp-{mode}", mode=mode, limit=images)
        rates[f"{mode}_images_per_s"] = images / (time.perf_counter() - started)
    return rates


def per_model(board: str, work: Path) -> list[dict]:
    # 100 classes, as the zoo is defined (and as count_macs counts the classifier).
    dataset = make_synthetic_dataset(num_classes=100, train_per_class=2, test_per_class=1)
    rows = []
    for spec in all_specs():
        macs = count_macs(build_model(spec))
        model = export_untrained(spec, work / spec.name, dataset).tflite
        try:
            target = device_target(board, model, build_root=work / "build")
        except FitError as exc:
            rows.append({"model": spec.name, "macs": macs, "fits": False, "reason": str(exc)})
            print(f"{spec.name:<20} does not fit: {exc}")
            continue
        result = evaluate_on_device(model, target, work / f"run-{spec.name}", limit=2)
        device = result["device"]
        instructions = device["per_inference"]["median"]
        row = {"model": spec.name, "macs": macs, "fits": True,
               "instructions_per_inference": instructions,
               "instructions_per_mac": instructions / macs,
               "arena_bytes": device["ram"]["arena_bytes"],
               "peak_ram_bytes": device["ram"]["peak_bytes"],
               "flash_bytes": device["flash"]["used_bytes"],
               "tflm_reference_instructions": TFLM_REFERENCE.get(spec.name)}
        rows.append(row)
        print(f"{spec.name:<20} {instructions / 1e6:8.2f} M instructions  "
              f"{row['instructions_per_mac']:6.2f} per MAC  arena {row['arena_bytes']:>8,} B  "
              f"flash {row['flash_bytes']:>9,} B")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="nucleo-f746")
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rates = throughput(args.board, Path(tmp), args.images)
        print(f"scalecnn-w8 through QEMU: stream {rates['stream_images_per_s']:.1f} img/s, "
              f"batch {rates['batch_images_per_s']:.1f} img/s")
        rows = per_model(args.board, Path(tmp))
    out = args.out / "device_qemu.json"
    write_json_atomic(out, {"board": args.board, "versions": software_versions(),
                            "scalecnn_w8_throughput": rates, "models": rows})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
