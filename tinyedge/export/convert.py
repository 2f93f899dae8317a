"""ONNX → full-integer int8 TFLite through onnx2tf and TensorFlow's converter, offline."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from tinyedge.errors import ModelError
from tinyedge.fileio import atomic_path
from tinyedge.layout import TFLITE_NAME

ONNX2TF_SAMPLE = "calibration_image_sample_data_20x128x128x3_float32.npy"


def onnx_to_int8_tflite(
    onnx_path: str | Path,
    calibration_nhwc: np.ndarray,
    out_path: str | Path,
    *,
    timeout: float = 1800,
    fix_batch: bool = False,
) -> Path:
    """Convert ``onnx_path`` to an int8-in/int8-out TFLite model with per-channel weights,
    calibrated on ``calibration_nhwc`` (already-normalized float images, N×H×W×C, or
    feature vectors, N×F); ``fix_batch`` fixes a dynamic batch dimension to 1."""
    return _convert({"source": "onnx", "onnx": str(Path(onnx_path).resolve()),
                     "fix_batch": fix_batch}, onnx_path, calibration_nhwc, out_path, timeout)


def tensorflow_to_int8_tflite(
    source: str,
    model_path: str | Path,
    calibration_nhwc: np.ndarray,
    out_path: str | Path,
    *,
    timeout: float = 1800,
) -> Path:
    """Convert a Keras file (``source`` ``keras``, loaded with ``safe_mode``, traced at
    batch 1) or a SavedModel folder (``savedmodel``) to int8 TFLite as
    :func:`onnx_to_int8_tflite` does."""
    return _convert({"source": source, "model": str(Path(model_path).resolve())},
                    model_path, calibration_nhwc, out_path, timeout)


def _convert(job: dict, model_path: str | Path, calibration_nhwc: np.ndarray,
             out_path: str | Path, timeout: float) -> Path:
    with tempfile.TemporaryDirectory(prefix="tinyedge-onnx2tf-") as scratch:
        work = Path(scratch)
        calib = work / "calibration.npy"
        np.save(calib, calibration_nhwc.astype(np.float32))
        _write_onnx2tf_sample(work / ONNX2TF_SAMPLE, calibration_nhwc)
        produced = work / TFLITE_NAME
        job = {**job, "out_dir": str(work / "out"), "calibration": str(calib),
               "tflite": str(produced)}
        (work / "job.json").write_text(json.dumps(job))
        proc = subprocess.run(
            [sys.executable, "-m", "tinyedge.export.onnx2tf_worker", str(work / "job.json")],
            cwd=work, capture_output=True, text=True, timeout=timeout,
        )
        if proc.returncode != 0 or not produced.is_file():
            tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
            tool = "onnx2tf" if job["source"] == "onnx" else "TensorFlow's converter"
            raise ModelError(f"{tool} could not convert {model_path} to int8 TFLite: {tail}")
        with atomic_path(out_path) as tmp:
            shutil.copyfile(produced, tmp)
    return Path(out_path)


def _write_onnx2tf_sample(path: Path, calibration_nhwc: np.ndarray) -> None:
    """The 20×128×128×3 float32 file onnx2tf would otherwise download, made from the
    user's own calibration images (scaled to [0, 1] and enlarged to about 128×128); zeros
    for a model whose input is not an image (onnx2tf only needs the file to exist)."""
    sample = np.zeros((20, 128, 128, 3), dtype=np.float32)
    if calibration_nhwc.ndim == 4:
        images = np.resize(calibration_nhwc, (20, *calibration_nhwc.shape[1:])).astype(
            np.float32)
        images = (images - images.min()) / max(1e-6, float(images.max() - images.min()))
        factor = max(1, 128 // max(images.shape[1:3]))
        big = images.repeat(factor, axis=1).repeat(factor, axis=2)[:, :128, :128, :3]
        sample[:, : big.shape[1], : big.shape[2], :] = big
    np.save(path, sample)
