"""``tinyedge export``: checkpoint → ONNX → int8 TFLite, verified, with a manifest."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinyedge.analysis.anomaly import reconstruction_error, roc_auc_score
from tinyedge.data import ImageDataset, load_dataset
from tinyedge.errors import CheckpointError, TinyedgeError
from tinyedge.export.convert import onnx_to_int8_tflite
from tinyedge.export.onnx_export import export_onnx, onnx_max_abs_diff
from tinyedge.fileio import _umask, file_entry, write_manifest
from tinyedge.int8 import (
    check_int8_model,
    check_model_io,
    quantize_images,
    run_int8,
    tflm_arena_bytes,
)
from tinyedge.layout import (
    CHECKPOINT_NAME,
    EXPORT_DIR,
    MANIFEST_NAME,
    ONNX_NAME,
    RUNS_DIR,
    TFLITE_NAME,
    stored_path,
)
from tinyedge.models import ModelSpec, count_macs, count_parameters
from tinyedge.progress import Progress, SilentProgress
from tinyedge.records import argmax_pred
from tinyedge.train import float_logits, load_model

ONNX_CHECK_IMAGES = 32


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    onnx: Path
    tflite: Path
    manifest: dict[str, Any]


def default_checkpoint(spec: ModelSpec, seed: int, runs: str | Path = RUNS_DIR) -> Path:
    path = Path(runs) / spec.run_name(seed) / CHECKPOINT_NAME
    if not path.is_file():
        raise CheckpointError(
            f"no trained {spec.name} seed {seed} in {path.parent}; train it first with "
            f"`tinyedge train --arch {spec.arch} --width {spec.width_label} --seed {seed}` "
            "or pass --checkpoint"
        )
    return path


def export_model(
    spec: ModelSpec,
    checkpoint: str | Path,
    out_root: str | Path = EXPORT_DIR,
    *,
    seed: int = 0,
    dataset: ImageDataset | None = None,
    data_root: str | Path | None = None,
    calib_samples: int = 500,
    verify_samples: int = 500,
    progress: Progress | None = None,
) -> ExportResult:
    """Export ``checkpoint`` (which must hold ``spec``) to ``out_root/<run name>/``."""
    progress = progress or SilentProgress()
    for name, value in (("calib_samples", calib_samples), ("verify_samples", verify_samples)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise TinyedgeError(f"{name} must be a whole number ≥ 1, got {value!r}; "
                                "pass --calib-samples/--verify-samples ≥ 1")
    model, _, payload = load_model(checkpoint, expect=spec)
    seed = int(payload.get("seed", seed))
    if dataset is None:
        dataset = load_dataset(payload.get("dataset", "cifar100"), data_root)
    if dataset.num_classes != payload["num_classes"]:
        raise CheckpointError(f"{checkpoint} has {payload['num_classes']} classes but "
                              f"{dataset.name} has {dataset.num_classes}; pass the --dataset "
                              "it was trained on")
    final = Path(out_root) / spec.run_name(seed)
    _check_destination(final)
    created = [p for p in (final.parent, *final.parent.parents) if not p.exists()]
    final.parent.mkdir(parents=True, exist_ok=True)
    # Everything is written into a hidden sibling folder that replaces ``final`` only when
    # complete: an interrupted export leaves the previous export whole (or nothing).
    folder = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=final.parent))
    os.chmod(folder, 0o777 & ~_umask())  # mkdtemp makes 0700; exports are for sharing
    try:
        result = _export_into(folder, final, spec, checkpoint, model, payload, seed, dataset,
                              calib_samples, verify_samples, progress)
        _publish(folder, final)
    except BaseException:  # Ctrl-C included: remove the partial folder
        shutil.rmtree(folder, ignore_errors=True)
        for parent in created:  # and the folders made for it, when still empty
            with contextlib.suppress(OSError):
                parent.rmdir()
        raise
    return result


def _check_destination(final: Path) -> None:
    """An export replaces ``final``: refuse a folder that holds what an export did not write."""
    if final.exists() and not final.is_dir():
        raise TinyedgeError(f"{final} is a file, not an export folder; move it away or pass "
                            "another --out")
    if not final.is_dir():
        return
    ours = {ONNX_NAME, TFLITE_NAME, MANIFEST_NAME}
    foreign = sorted(p.name for p in final.iterdir() if p.name not in ours)
    if foreign:
        raise TinyedgeError(f"{final} holds files an export did not write ({', '.join(foreign[:3])}"
                            f"); move them away or pass another --out (an export replaces "
                            "the folder)")


def _publish(work: Path, final: Path) -> None:
    """Put the finished ``work`` folder at ``final`` (the old export, if any, is removed)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        final.rename(old)
    work.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _entry(path: Path, final: Path) -> dict[str, Any]:
    """The manifest entry of ``path`` (in the work folder) under its final name."""
    return {**file_entry(path), "path": stored_path(final / path.name)}


def _export_into(
    folder: Path,
    final: Path,
    spec: ModelSpec,
    checkpoint: str | Path,
    model: Any,
    payload: dict[str, Any],
    seed: int,
    dataset: ImageDataset,
    calib_samples: int,
    verify_samples: int,
    progress: Progress,
) -> ExportResult:
    mean, std = tuple(payload["normalization"]["mean"]), tuple(payload["normalization"]["std"])
    timings: dict[str, float] = {}

    with _timed(timings, "onnx_s"):
        onnx_path = export_onnx(model, folder / ONNX_NAME)
        check = _normalized(dataset.test_images[:ONNX_CHECK_IMAGES], mean, std)
        onnx_diff = onnx_max_abs_diff(model, onnx_path, _channels_first(check))
    sample = float_logits(model, dataset.test_images[:ONNX_CHECK_IMAGES], mean, std)
    if not (np.isfinite(onnx_diff) and np.isfinite(sample).all()):
        raise CheckpointError(f"{checkpoint} produces NaN or infinite logits (a diverged or "
                              "broken model); retrain it with a lower --lr and --force")
    progress.message(f"ONNX written, max |logit diff| vs PyTorch {onnx_diff:.2e}")

    calib = _calibration_images(dataset, calib_samples, seed)
    with _timed(timings, "tflite_s"):
        tflite_path = onnx_to_int8_tflite(onnx_path, _normalized(calib, mean, std),
                                          folder / TFLITE_NAME)
    signature = check_int8_model(tflite_path)
    check_model_io(tflite_path, signature, dataset,
                   outputs=spec.outputs(int(payload["num_classes"])))
    progress.message(f"int8 TFLite written ({tflite_path.stat().st_size:,} bytes)")

    with _timed(timings, "verify_s"):
        verification = _verify(model, tflite_path, dataset, mean, std, signature,
                               verify_samples, progress, spec.reconstructs)
    figures = {
        "params": count_parameters(model),
        "macs": count_macs(model),
        "onnx_bytes": onnx_path.stat().st_size,
        "tflite_bytes": tflite_path.stat().st_size,
        "onnx_max_abs_logit_diff": onnx_diff,
        "tflm_arena_bytes": tflm_arena_bytes(tflite_path),
        **signature.as_dict(),
        **verification,
        "seconds": timings,
    }
    manifest_path = write_manifest(
        folder, "export",
        inputs={"checkpoint": file_entry(checkpoint), "dataset": dataset.name},
        parameters={
            "arch": spec.arch, "width": spec.width, "seed": seed,
            "num_classes": int(payload["num_classes"]), "class_names": payload["class_names"],
            "normalization": {"mean": list(mean), "std": list(std)},
            "calib_samples": len(calib), "verify_samples": verification["verify_samples"],
            "quantization": "full-integer int8, per-channel weights, int8 input and output",
        },
        outputs={"onnx": _entry(onnx_path, final), "tflite": _entry(tflite_path, final)},
        figures=figures,
        versions=_export_versions(),
    )
    return ExportResult(final, final / ONNX_NAME, final / TFLITE_NAME,
                        json.loads(manifest_path.read_text()))


def _verify(
    model: Any,
    tflite_path: Path,
    dataset: ImageDataset,
    mean: tuple[float, ...],
    std: tuple[float, ...],
    signature: Any,
    samples: int,
    progress: Progress,
    reconstructs: bool = False,
) -> dict[str, Any]:
    """Float vs int8 on a held-out slice of the test split — top-1 agreement for a
    classifier, anomaly scores for a reconstruction model — and whether LiteRT's reference
    kernels equal TFLite Micro byte for byte."""
    images, labels = dataset.test_images[:samples], dataset.test_labels[:samples]
    float_out = float_logits(model, images, mean, std)
    q = quantize_images(images, mean, std, signature.input_scale, signature.input_zero_point)
    tflm = run_int8(tflite_path, q, "tflm", progress=progress)
    ref = run_int8(tflite_path, q, "litert-ref", progress=progress)
    if reconstructs:
        versus = _reconstruction_figures(images, labels, mean, std, signature, q, float_out,
                                         tflm)
    else:
        float_pred, int8_pred = argmax_pred(float_out), argmax_pred(tflm)
        versus = {
            "float_int8_top1_agreement": float((float_pred == int8_pred).mean()),
            "float_top1": float((float_pred == labels).mean()),
            "int8_top1": float((int8_pred == labels).mean()),
            "litert_ref_vs_tflm_top1_agreement": float(
                (argmax_pred(ref) == int8_pred).mean()),
        }
    differ = tflm != ref
    return {
        "verify_samples": len(images),
        **versus,
        "litert_ref_equals_tflm": bool(not differ.any()),
        # LiteRT's reference FULLY_CONNECTED rounds once, TFLite Micro's twice: rare ±1.
        "litert_ref_vs_tflm_differing_bytes": int(differ.sum()),
        "litert_ref_vs_tflm_max_abs_diff": int(np.abs(tflm.astype(int) - ref).max()),
    }


def _reconstruction_figures(images: np.ndarray, labels: np.ndarray, mean: tuple[float, ...],
                            std: tuple[float, ...], signature: Any, q: np.ndarray,
                            float_out: np.ndarray, tflm: np.ndarray) -> dict[str, Any]:
    """A reconstruction model (the autoencoder) has no top-1: the float and int8 anomaly
    scores (reconstruction MSE, each against the input it was given), how far apart they
    are, and the ROC AUC of each where the slice holds normal and anomalous inputs."""
    n = len(images)
    x = _normalized(images, mean, std).reshape(n, -1)
    float_scores = reconstruction_error(x, float_out.reshape(n, -1))
    x_q = signature.input_scale * (q.reshape(n, -1).astype(np.float64)
                                   - signature.input_zero_point)
    y_q = signature.output_scale * (tflm.reshape(n, -1).astype(np.float64)
                                    - signature.output_zero_point)
    int8_scores = reconstruction_error(x_q, y_q)
    float_auc, int8_auc = roc_auc_score(labels, float_scores), roc_auc_score(labels, int8_scores)
    return {
        "float_mean_score": float(float_scores.mean()),
        "int8_mean_score": float(int8_scores.mean()),
        # mean |int8 score − float score| / mean float score
        "float_int8_score_relative_difference": float(
            np.abs(int8_scores - float_scores).mean() / max(float_scores.mean(), 1e-30)),
        "float_auc": None if np.isnan(float_auc) else float(float_auc),
        "int8_auc": None if np.isnan(int8_auc) else float(int8_auc),
    }


def _calibration_images(dataset: ImageDataset, n: int, seed: int) -> np.ndarray:
    """``n`` training images drawn without replacement with a fixed seed."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(dataset.train_images), size=min(n, len(dataset.train_images)),
                     replace=False)
    return dataset.train_images[np.sort(idx)]


def _normalized(images: np.ndarray, mean: tuple[float, ...], std: tuple[float, ...]) -> np.ndarray:
    """uint8 NHWC → normalized float32 NHWC, the training normalisation."""
    return ((images.astype(np.float32) / 255.0 - np.float32(mean)) / np.float32(std)).astype(
        np.float32)


def _channels_first(x: np.ndarray) -> np.ndarray:
    """NHWC → NCHW (PyTorch's layout); feature vectors (N×F) stay as they are."""
    return x.transpose(0, 3, 1, 2) if x.ndim == 4 else x


@contextlib.contextmanager
def _timed(timings: dict[str, float], key: str):
    start = time.perf_counter()
    yield
    timings[key] = time.perf_counter() - start


def _export_versions() -> dict[str, str]:
    versions = {}
    for dist in ("onnx", "onnxruntime", "onnx2tf", "tensorflow", "tflite-micro", "ai-edge-litert"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[dist] = importlib.metadata.version(dist)
    return versions
