"""The prediction record every runtime writes: float PyTorch, host int8 interpreters and
the device all produce the same two files, so analyses never care where results came from.

``predictions.npz``
    ``labels``  int64 (N,)   true class ids of the test images, in test-set order
    ``logits``  (N, C)       float32 for float models; int8 (the raw output tensor) for
                             int8 runtimes
    ``pred``    int64 (N,)   top-1 class (argmax of ``logits``, lowest index on ties)
    ``output_scale``, ``output_zero_point``  scalars, int8 records only: the output
                             tensor's quantization, real = scale · (q − zero_point)
``metrics.json``
    ``runtime``, ``n``, ``num_classes``, ``top1``, ``top5``, ``ece`` (15 bins),
    ``mean_confidence_correct``, ``mean_confidence_wrong``, ``per_class_accuracy``,
    ``class_names``
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinyedge.analysis.calibration import mean_confidence_split
from tinyedge.analysis.metrics import (
    expected_calibration_error,
    per_class_accuracy,
    softmax,
    top_k_accuracy,
)
from tinyedge.errors import TinyedgeError
from tinyedge.fileio import atomic_path, write_json_atomic

PREDICTIONS_NAME = "predictions.npz"
METRICS_NAME = "metrics.json"
ECE_BINS = 15


@dataclass(frozen=True)
class Record:
    labels: np.ndarray
    logits: np.ndarray
    pred: np.ndarray
    output_scale: float | None = None
    output_zero_point: int | None = None

    @property
    def is_quantized(self) -> bool:
        return self.logits.dtype == np.int8

    def real_logits(self) -> np.ndarray:
        """Logits on the real scale (dequantized for int8 records)."""
        if not self.is_quantized:
            return self.logits.astype(np.float64)
        assert self.output_scale is not None and self.output_zero_point is not None
        return self.output_scale * (self.logits.astype(np.float64) - self.output_zero_point)

    def probabilities(self) -> np.ndarray:
        return softmax(self.real_logits())


def argmax_pred(logits: np.ndarray) -> np.ndarray:
    return np.asarray(logits).argmax(axis=1).astype(np.int64)


def make_record(
    labels: np.ndarray,
    logits: np.ndarray,
    output_scale: float | None = None,
    output_zero_point: int | None = None,
) -> Record:
    labels = np.asarray(labels, dtype=np.int64)
    logits = np.asarray(logits)
    if logits.dtype != np.int8:
        logits = logits.astype(np.float32)
    elif output_scale is None or output_zero_point is None:
        raise ValueError("an int8 record needs the output scale and zero point")
    if logits.ndim != 2 or logits.shape[0] != labels.shape[0]:
        raise ValueError(f"logits {logits.shape} do not match labels {labels.shape}")
    return Record(labels, logits, argmax_pred(logits), output_scale, output_zero_point)


def compute_metrics(record: Record, class_names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    probs = record.probabilities()
    split = mean_confidence_split(record.labels, probs)
    per_class = per_class_accuracy(record.labels, record.pred, len(class_names))
    return {
        "n": len(record.labels),
        "num_classes": len(class_names),
        "top1": top_k_accuracy(record.labels, record.real_logits(), 1),
        "top5": top_k_accuracy(record.labels, record.real_logits(), 5),
        "ece": expected_calibration_error(record.labels, probs, ECE_BINS),
        "ece_bins": ECE_BINS,
        # JSON has no NaN: a side with no images (a perfect model has no wrong) is null.
        "mean_confidence_correct": None if np.isnan(split.correct) else split.correct,
        "mean_confidence_wrong": None if np.isnan(split.wrong) else split.wrong,
        "per_class_accuracy": [None if np.isnan(a) else float(a) for a in per_class],
        "class_names": list(class_names),
    }


def write_record(
    folder: str | Path,
    record: Record,
    class_names: tuple[str, ...] | list[str],
    *,
    runtime: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``predictions.npz`` and ``metrics.json`` atomically; return the metrics."""
    folder = Path(folder)
    arrays: dict[str, np.ndarray] = {
        "labels": record.labels,
        "logits": record.logits,
        "pred": record.pred,
    }
    if record.is_quantized:
        arrays["output_scale"] = np.float64(record.output_scale)
        arrays["output_zero_point"] = np.int64(record.output_zero_point)
    with atomic_path(folder / PREDICTIONS_NAME) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    metrics = {"runtime": runtime, **compute_metrics(record, class_names), **(extra or {})}
    write_json_atomic(folder / METRICS_NAME, metrics)
    return metrics


def load_record(folder: str | Path) -> Record:
    path = Path(folder) / PREDICTIONS_NAME
    if not path.is_file():
        raise TinyedgeError(f"no {PREDICTIONS_NAME} in {folder}; run `tinyedge evaluate` first")
    try:
        with np.load(path, allow_pickle=False) as data:
            scale = float(data["output_scale"]) if "output_scale" in data else None
            zero = int(data["output_zero_point"]) if "output_zero_point" in data else None
            return Record(data["labels"], data["logits"], data["pred"], scale, zero)
    except (OSError, ValueError, KeyError) as exc:
        raise TinyedgeError(f"{path} is not a valid prediction record ({exc})") from exc


def load_metrics(folder: str | Path) -> dict[str, Any]:
    return json.loads((Path(folder) / METRICS_NAME).read_text())
