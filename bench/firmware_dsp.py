"""Cortex-M DSP kernels vs the reference kernels on the emulated cores, exact instruction
counts (QEMU ``-icount``), for every zoo configuration that fits nucleo-f746.

Per configuration and kernel variant (reference, cortexm_dsp) and core (Cortex-M7: QEMU
mps2-an500, the nucleo-f746 stand-in; Cortex-M4: mps2-an386): instructions per
inference and per MAC, the ratio to PLATFORM.md's TFLite Micro anchors (M7), peak RAM
(static + arena + measured stack high-water mark) and flash of the nucleo-f746 image, and
instructions per MAC by op type (per-layer profile). Then the emulator's throughput for
ScaleCNN c=8 in batch mode (inputs preloaded into emulator memory, results streamed
back), extrapolated to 10,000 images. Models are exported untrained with 100 classes, as
the anchors were measured. Writes bench/results/firmware_dsp.json.

    .venv/bin/python bench/firmware_dsp.py [--only scalecnn-w8 mobilenetv2-w0.35]
        [--throughput-images 200] [--no-throughput | --throughput-only]
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path

import numpy as np

from tinyedge.boards import load_board
from tinyedge.data.synthetic import make_synthetic_dataset
from tinyedge.export.untrained import export_untrained
from tinyedge.fileio import software_versions, write_json_atomic
from tinyedge.firmware.build import FitError, build_firmware
from tinyedge.firmware.host import compile_model
from tinyedge.firmware.smoke import run_smoke
from tinyedge.firmware.suite import SuiteCase, build_suite, run_suite
from tinyedge.int8 import check_int8_model
from tinyedge.models import all_specs, build_model, count_macs

RESULTS = Path(__file__).resolve().parent / "results" / "firmware_dsp.json"
VARIANTS = ("reference", "cortexm_dsp")
# Core -> (board whose limits are enforced, mps2 board for the per-layer suite image).
CORES = {"cortex-m7": ("nucleo-f746", "mps2-an500"), "cortex-m4": ("mps2-an386", "mps2-an386")}
# PLATFORM.md, "Anchors to beat": TFLite Micro on QEMU mps2-an500, instructions/inference.
ANCHORS = {
    "scalecnn-w8": {"tflm_reference": 32.2e6, "tflm_cmsis_nn": 9.35e6},
    "mobilenetv2-w0.35": {"tflm_reference": 86.9e6, "tflm_cmsis_nn": 21.3e6},
}


def layer_macs(layer) -> int:
    """Multiply-accumulates of one lowered conv / depthwise / fully-connected layer."""
    if layer.op == "CONV_2D":
        out, f = layer.dims("output"), layer.dims("filter")
        return int(np.prod(out)) * f[1] * f[2] * f[3]
    if layer.op == "DEPTHWISE_CONV_2D":
        out, f = layer.dims("output"), layer.dims("filter")
        return int(np.prod(out)) * f[1] * f[2]
    if layer.op == "FULLY_CONNECTED":
        f = layer.dims("filter")
        return f[2] * f[3] * layer.dims("input")[2]
    return 0


def op_kind(layer) -> str:
    if layer.op == "CONV_2D":
        f = layer.dims("filter")
        return f"CONV_2D {f[1]}x{f[2]}"
    return layer.op


def by_op(model: Path, variant: str, layers: list[int]) -> dict[str, dict]:
    compiled, _ = compile_model(model, variant)
    acc: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for layer, n in zip(compiled.layers, layers, strict=True):
        acc[op_kind(layer)][0] += n
        acc[op_kind(layer)][1] += layer_macs(layer)
    return {k: {"instructions": n, "macs": m,
                "instructions_per_mac": round(n / m, 3) if m else None}
            for k, (n, m) in sorted(acc.items(), key=lambda kv: -kv[1][0])}


def measure(name: str, model: Path, macs: int, work: Path) -> dict:
    row: dict = {"model": name, "macs": macs}
    size = int(np.prod(check_int8_model(model).input_shape))
    inputs = np.random.default_rng(0).integers(-128, 128, size=(1, size), dtype=np.int8)
    for core, (board, suite_board) in CORES.items():
        for variant in VARIANTS:
            key = f"{core}/{variant}"
            build = build_firmware(board, model, work / f"{name}-{core}-{variant}",
                                   target="emulator", app="smoke", variant=variant)
            smoke = run_smoke(load_board(board), build.elf, timeout_s=600)
            elf = build_suite(suite_board, [SuiteCase(model, inputs)],
                              work / f"suite-{name}-{core}-{variant}", variant, profile=True)
            (result,) = run_suite(suite_board, elf, 1)
            mem = build.memory
            row[key] = {
                "instructions_per_inference": result.instructions[0],
                "instructions_per_mac": round(result.instructions[0] / macs, 3),
                "zero_image_instructions": smoke.instructions,
                "peak_ram_bytes": mem.ram_static + mem.ram_arena + smoke.stack_used,
                "arena_bytes": mem.ram_arena, "static_bytes": mem.ram_static,
                "stack_used_bytes": smoke.stack_used,
                "flash_bytes": mem.flash_used, "flash_code_bytes": mem.flash_code,
                "flash_weights_bytes": mem.flash_weights,
                "by_op": by_op(model, variant, result.layers),
            }
        ref = row[f"{core}/reference"]["instructions_per_inference"]
        dsp = row[f"{core}/cortexm_dsp"]["instructions_per_inference"]
        row[f"{core}/speedup_vs_reference"] = round(ref / dsp, 2)
    base = name.rsplit("-s", 1)[0]
    if base in ANCHORS:
        dsp = row["cortex-m7/cortexm_dsp"]["instructions_per_inference"]
        row["anchors"] = {k: {"instructions": v, "ratio_dsp_to_anchor": round(dsp / v, 3)}
                          for k, v in ANCHORS[base].items()}
    return row


def throughput(model: Path, work: Path, images: int, dataset) -> dict:
    """Batch mode through the protocol firmware (tinyedge.device), images/s on this host.
    The images are the 100-class synthetic test split the model was exported for, given as
    --data (the name "synthetic" alone would re-create the 10-class set)."""
    from tinyedge.data.user_data import load_user_data
    from tinyedge.device.evaluate import evaluate_on_device
    from tinyedge.device.target import device_target

    path = work / "tp-images.npz"
    np.savez(path, images=dataset.test_images[:images], labels=dataset.test_labels[:images])
    data = load_user_data(path)
    target = device_target("nucleo-f746", model, build_root=work / "tp-build")
    evaluate_on_device(model, target, work / "tp-warm", mode="batch", limit=8, data=data)
    started = time.perf_counter()
    evaluate_on_device(model, target, work / "tp", mode="batch", limit=images, data=data)
    seconds = time.perf_counter() - started
    rate = images / seconds
    return {"model": "scalecnn-w8 (untrained, 100 classes)", "images": images,
            "seconds": round(seconds, 2), "images_per_s": round(rate, 1),
            "extrapolated_10000_images_s": round(10_000 / rate, 1),
            "note": "one emulator process; the device path can shard over 2 (jobs=2)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="zoo names without seed, e.g. scalecnn-w8")
    parser.add_argument("--throughput-images", type=int, default=200)
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--throughput-only", action="store_true",
                        help="measure only the throughput, into the existing JSON")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    dataset = make_synthetic_dataset(num_classes=100, train_per_class=2, test_per_class=20)
    if args.throughput_only:
        import json

        from tinyedge.models import resolve

        with tempfile.TemporaryDirectory() as tmp:
            model = export_untrained(resolve("scalecnn", 8), Path(tmp) / "tp", dataset).tflite
            tp = throughput(model, Path(tmp), args.throughput_images, dataset)
        data = json.loads(args.out.read_text())
        write_json_atomic(args.out, data | {"throughput": tp})
        print(f"throughput: {tp}")
        return
    rows, skipped = [], []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tp_model = None
        for spec in all_specs():
            if args.only and spec.name.rsplit("-s", 1)[0] not in args.only:
                continue
            model = export_untrained(spec, work / spec.name, dataset).tflite
            if spec.name.rsplit("-s", 1)[0] == "scalecnn-w8":
                tp_model = model
            try:
                row = measure(spec.name, model, count_macs(build_model(spec)), work)
            except FitError as exc:
                skipped.append({"model": spec.name, "reason": str(exc)})
                print(f"{spec.name:<22} does not fit nucleo-f746", flush=True)
                continue
            rows.append(row)
            m7, m4 = row["cortex-m7/cortexm_dsp"], row["cortex-m4/cortexm_dsp"]
            print(f"{spec.name:<22} M7 {m7['instructions_per_mac']:5.2f}/MAC "
                  f"({row['cortex-m7/speedup_vs_reference']:.1f}x ref)  M4 "
                  f"{m4['instructions_per_mac']:5.2f}/MAC "
                  f"({row['cortex-m4/speedup_vs_reference']:.1f}x ref)  peak RAM "
                  f"{m7['peak_ram_bytes']:,} B  flash {m7['flash_bytes']:,} B", flush=True)
        tp = None
        if not args.no_throughput and tp_model is not None:
            tp = throughput(tp_model, work, args.throughput_images, dataset)
            print(f"throughput: {tp['images_per_s']} images/s, 10,000 images in "
                  f"{tp['extrapolated_10000_images_s']} s", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(args.out, {"versions": software_versions(), "cores": CORES,
                                 "weights": "untrained, 100 classes (as the anchors)",
                                 "counter": "QEMU -icount exact instructions",
                                 "models": rows, "not_fitting": skipped, "throughput": tp})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
