"""A small results tree written with the real record writer from synthetic arrays.

Two architectures × three widths, seed 0, runtimes float and tflm everywhere, litert on
one variant and an emulated device (first 60 images, ``--limit 60``) on another. Errors
are placed by hand so the expected statistics can be worked out on paper; see
:data:`HAND` for the one variant whose numbers the tests check literally.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinyedge.fileio import file_entry, write_json_atomic, write_manifest
from tinyedge.records import make_record, write_record

N, C = 120, 10
LABELS = np.arange(N) % C
CLASS_NAMES = [f"class-{i}" for i in range(C)]
SCALE, ZERO = 0.125, -3
DEVICE_LIMIT = 60

# (arch, width, params, float errors, tflm errors) — error sets as index ranges.
VARIANTS = [
    ("scalecnn", 4, 1_000, range(0, 30), range(2, 33)),
    ("scalecnn", 8, 4_000, range(0, 10), range(5, 15)),
    ("scalecnn", 16, 16_000, range(0, 4), range(0, 5)),
    ("mobilenetv2", 0.35, 2_000, range(10, 34), range(10, 36)),
    ("mobilenetv2", 0.5, 5_000, range(10, 22), range(12, 22)),
    ("mobilenetv2", 1.0, 20_000, range(10, 16), range(10, 16)),
]
# scalecnn-w8: float errors {0..9}, tflm errors {5..14} → ∩ 5, ∪ 15, Jaccard 1/3;
# right→wrong = images 10..14 (5), wrong→right = images 0..4 (5). Every wrong answer is
# class label+1, so images 5..9 agree; 10 of 120 differ → agreement 110/120.
HAND = {"variant": "scalecnn-w8-s0", "jaccard": 1 / 3, "correct_to_wrong": 5,
        "wrong_to_correct": 5, "agreement": 110 / 120}


def predictions(errors: range | list[int]) -> np.ndarray:
    pred = LABELS.copy()
    idx = np.asarray(list(errors), dtype=np.int64)
    pred[idx] = (LABELS[idx] + 1) % C
    return pred


def float_logits(pred: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 1.0, size=(len(pred), C))
    rows = np.arange(len(pred))
    logits[rows, pred] = logits.max(axis=1) + rng.uniform(0.1, 5.0, size=len(pred))
    return logits.astype(np.float32)


def int8_logits(pred: np.ndarray, seed: int) -> np.ndarray:
    """Quantized logits whose argmax is ``pred``; ``seed`` varies the other bytes."""
    rng = np.random.default_rng(seed)
    q = rng.integers(-60, 0, size=(len(pred), C))
    q[np.arange(len(pred)), pred] = rng.integers(20, 120, size=len(pred))
    return q.astype(np.int8)


# The device's per-layer profile and the build's layer table (memory.json): layer 0 is a
# conv of 4,000 MACs at 600,000 instructions (150 per MAC, 60 % of 1,000,000), layer 1 a
# max-pool (no MACs), layer 2 a fully connected layer of 1,000 MACs at 100,000 (100 per MAC).
PROFILE = (600_000, 300_000, 100_000)
LAYERS = [
    {"index": 0, "op": "CONV_2D", "kernel": "te_conv_2d_s8", "input_shape": [1, 8, 8, 3],
     "output_shape": [1, 8, 8, 4], "macs": 4_000},
    {"index": 1, "op": "MAX_POOL_2D", "kernel": "te_max_pool_2d_s8",
     "input_shape": [1, 8, 8, 4], "output_shape": [1, 4, 4, 4], "macs": 0},
    {"index": 2, "op": "FULLY_CONNECTED", "kernel": "te_fully_connected_s8",
     "input_shape": [1, 64], "output_shape": [1, 10], "macs": 1_000},
]


def memory_json() -> dict:
    return {
        "board": "nucleo-f746", "target": "emulator",
        "flash": {"limit": 1_048_576, "used": 65_000, "code": 60_000, "weights": 5_000},
        "ram": {"limit": 327_680, "used": 32_192, "arena": 20_000, "static": 4_000,
                "stack": 8_192},
        "layers": LAYERS,
        "arena": {"bytes": 20_000, "buffers": [
            {"name": "input", "kind": "tensor", "bytes": 768, "offset": 0, "first": 0,
             "last": 0},
            {"name": "conv", "kind": "tensor", "bytes": 1_024, "offset": 1_024, "first": 0,
             "last": 1},
            {"name": "scratch of layer 0", "kind": "scratch", "bytes": 256, "offset": 2_048,
             "first": 0, "last": 0},
            {"name": "pool", "kind": "tensor", "bytes": 256, "offset": 0, "first": 1,
             "last": 2},
            {"name": "logits", "kind": "tensor", "bytes": 10, "offset": 256, "first": 2,
             "last": 3}]},
    }


def device_json() -> dict:
    return {
        "board": "nucleo-f746", "emulated": True, "counter": "instructions",
        "per_inference": {"min": 900_000, "median": 1_000_000, "max": 1_100_000,
                          "n": DEVICE_LIMIT},
        "per_layer": [{"layer": i, "instructions": count} for i, count in enumerate(PROFILE)],
        "latency_s": 1_000_000 / 216e6,
        "latency_basis": "instructions at the board clock, 1 instruction per cycle",
        "clock_hz": 216_000_000,
        "clock": {"hz": 216_000_000, "source": "the board's rated clock (1 instruction per cycle)",
                  "reported_by": "emulator model", "rated_hz": 216_000_000},
        "ram": {"static_bytes": 4_000, "arena_bytes": 20_000, "stack_used_bytes": 1_500,
                "stack_reserved_bytes": 8_192, "peak_bytes": 25_500},
        "flash": {"code_bytes": 60_000, "weights_bytes": 5_000, "used_bytes": 65_000,
                  "limit_bytes": 1_048_576},
        "energy": {"joules_per_inference": 3.3 * 0.1 * 1_000_000 / 216e6,
                   "method": "estimated", "basis": "3.3 V × 100 mA × latency"},
    }


def write_run(folder: Path, record, runtime: str, model: str) -> None:
    write_record(folder, record, CLASS_NAMES, runtime=runtime,
                 extra={"model": model, "dataset": "synthetic"})


def build_tree(root: Path) -> Path:
    results = root / "results"
    for i, (arch, width, params, float_err, tflm_err) in enumerate(VARIANTS):
        name = f"{arch}-w{width:g}-s0"
        run_dir = root / "runs" / name
        write_manifest(run_dir, "train", figures={"params": params})
        base = results / name
        write_run(base / "float", make_record(LABELS, float_logits(predictions(float_err), i)),
                  "float", name)
        write_manifest(base / "float", "evaluate",
                       inputs={"checkpoint": {"path": str(run_dir / "checkpoint.pt")}})
        tflm = int8_logits(predictions(tflm_err), 100 + i)
        write_run(base / "tflm", make_record(LABELS, tflm, SCALE, ZERO), "tflm", name)
        if name == "scalecnn-w8-s0":
            litert = tflm.copy()
            litert[:, 0] = np.clip(litert[:, 0].astype(int) + (np.arange(N) % 3 == 0), -128,
                                   127).astype(np.int8)
            litert[14] = int8_logits(LABELS[14:15], 7)[0]  # tflm wrong, litert right
            write_run(base / "litert", make_record(LABELS, litert, SCALE, ZERO), "litert",
                      name)
        if name == "scalecnn-w4-s0":
            dev = make_record(LABELS[:DEVICE_LIMIT], tflm[:DEVICE_LIMIT], SCALE, ZERO)
            write_run(base / "device-nucleo-f746", dev, "device-nucleo-f746", name)
            write_json_atomic(base / "device-nucleo-f746" / "device.json", device_json())
            build = root / "build" / "nucleo-f746" / name
            write_json_atomic(build / "memory.json", memory_json())
            write_manifest(base / "device-nucleo-f746", "evaluate",
                           inputs={"memory": file_entry(build / "memory.json")})
    return results
