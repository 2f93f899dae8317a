"""The prediction record every runtime writes: float PyTorch, host int8 interpreters and
the device all produce the same two files, so analyses never care where results came from.

``predictions.npz``
    ``labels``  int64 (N,)   true class ids of the test images, in test-set order
    ``logits``  (N, C)       float32 for float models; int8 (the raw output tensor) for
                             int8 runtimes
    ``pred``    int64 (N,)   top-1 class (argmax of ``logits``, lowest index on ties)
    ``output_scale``, ``output_zero_point``  scalars, int8 records only: the output
                             tensor's quantization, real = scale · (q − zero_point)
    ``indices`` int64 (N,)   each row's index in the split (``--limit N``: 0 … N−1);
                             absent in older records, read as 0 … N−1
    ``outputs`` str scalar   what the model's outputs are: ``logits`` (confidences are
                             their softmax) or ``probabilities`` (a model that ends in
                             SOFTMAX/LOGISTIC: confidences are the outputs themselves);
                             absent in older records, read as ``logits``
``metrics.json``
    ``runtime``, ``n``, ``num_classes``, ``top1``, ``top5``, ``ece`` (15 bins),
    ``mean_confidence_correct``, ``mean_confidence_wrong``, ``per_class_accuracy``,
    ``class_names``, ``outputs`` (``logits`` or ``probabilities``, as above)

Which images a record covers is part of its identity: the evaluating stage writes
:func:`image_set` (dataset, split, hash of the whole split) into its manifest's
``inputs.images``, and ``indices`` says which of those images the rows are. Two records are
compared only on the same image set, over the indices both hold.

An anomaly-detection (reconstruction) model has no classes; its record is the anomaly
variant below (:func:`write_anomaly_record`): ``metrics.json`` says ``"task": "anomaly"``
and holds the score figures instead of top-1/ECE, ``predictions.npz`` the raw int8
outputs and one score per input instead of logits and class predictions.
"""

from __future__ import annotations

import hashlib
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tinyedge.analysis.anomaly import roc_auc_score
from tinyedge.analysis.calibration import mean_confidence_split
from tinyedge.analysis.metrics import (
    expected_calibration_error,
    per_class_accuracy,
    softmax,
    top_k_accuracy,
)
from tinyedge.errors import TinyedgeError
from tinyedge.fileio import Fields, atomic_path, read_json_object, write_json_atomic
from tinyedge.layout import METRICS_NAME, PREDICTIONS_NAME

ECE_BINS = 15

# What a classifier's outputs are: logits (confidence = softmax of them) or probabilities
# (the model ends in SOFTMAX or LOGISTIC; confidence = the outputs as they are). Applying
# softmax to probabilities would flatten every confidence towards 1/C.
OutputKind = Literal["logits", "probabilities"]
OUTPUT_KINDS: tuple[OutputKind, ...] = ("logits", "probabilities")


@dataclass(frozen=True)
class Record:
    labels: np.ndarray
    logits: np.ndarray
    pred: np.ndarray
    output_scale: float | None = None
    output_zero_point: int | None = None
    indices: np.ndarray | None = None  # index in the split of each row; None = 0 … N−1
    output_kind: OutputKind = "logits"

    def image_indices(self) -> np.ndarray:
        """Each row's index in the evaluated split (0 … N−1 unless recorded otherwise)."""
        if self.indices is None:
            return np.arange(len(self.labels), dtype=np.int64)
        return self.indices

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
        """Class probabilities: the softmax of the logits, or for a model whose outputs
        are probabilities already, those outputs (clipped to [0, 1] against rounding)."""
        if self.output_kind == "probabilities":
            return np.clip(self.real_logits(), 0.0, 1.0)
        return softmax(self.real_logits())


def argmax_pred(logits: np.ndarray) -> np.ndarray:
    return np.asarray(logits).argmax(axis=1).astype(np.int64)


def make_record(
    labels: np.ndarray,
    logits: np.ndarray,
    output_scale: float | None = None,
    output_zero_point: int | None = None,
    indices: np.ndarray | None = None,
    output_kind: OutputKind = "logits",
) -> Record:
    """A validated record; ``indices`` (each row's index in the split) defaults to
    0 … N−1, the first N images (``--limit N``); ``output_kind`` says whether the outputs
    are logits or probabilities."""
    if output_kind not in OUTPUT_KINDS:
        raise ValueError(f"output_kind must be one of {OUTPUT_KINDS}, got {output_kind!r}")
    labels = np.asarray(labels, dtype=np.int64)
    logits = np.asarray(logits)
    if logits.dtype != np.int8:
        logits = logits.astype(np.float32)
    elif output_scale is None or output_zero_point is None:
        raise ValueError("an int8 record needs the output scale and zero point")
    if logits.ndim != 2 or logits.shape[0] != labels.shape[0]:
        raise ValueError(f"logits {logits.shape} do not match labels {labels.shape}")
    if logits.dtype != np.int8 and not np.isfinite(logits).all():
        broken = int((~np.isfinite(logits)).any(axis=1).sum())
        raise TinyedgeError(
            f"the model's outputs are NaN or infinite for {broken}"
            f" of {len(logits)} images (an untrained, diverged or broken model); fix the "
            "model (a zoo model: retrain it with a lower --lr and `--force`)")
    if indices is not None:
        indices = np.asarray(indices, dtype=np.int64)
        if (indices.shape != labels.shape or (len(indices) and indices.min() < 0)
                or len(np.unique(indices)) != len(indices)):
            raise ValueError(f"indices must be {len(labels)} distinct indices ≥ 0")
    return Record(labels, logits, argmax_pred(logits), output_scale, output_zero_point,
                  indices, output_kind)


def image_set(dataset: str, split: str, images: np.ndarray, labels: np.ndarray
              ) -> dict[str, Any]:
    """The identity of an evaluated split, for a manifest's ``inputs.images``:
    ``{"dataset", "split", "size", "sha256"}`` where sha256 hashes the whole split's
    images (as stored, before any normalisation) and labels, so another dataset, another
    split or a changed file never passes for the same images. Which of them a record holds
    is its ``indices``."""
    images = np.ascontiguousarray(images)
    labels = np.ascontiguousarray(labels, dtype=np.int64)
    digest = hashlib.sha256()
    digest.update(f"{images.dtype.str}{images.shape}".encode())
    digest.update(images.tobytes())
    digest.update(labels.tobytes())
    return {"dataset": dataset, "split": split, "size": len(labels),
            "sha256": digest.hexdigest()}


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
        "outputs": record.output_kind,
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
        "indices": record.image_indices(),
        "outputs": np.array(record.output_kind),
    }
    if record.is_quantized:
        arrays["output_scale"] = np.float64(record.output_scale)
        arrays["output_zero_point"] = np.int64(record.output_zero_point)
    metrics = {"runtime": runtime, **compute_metrics(record, class_names), **(extra or {})}
    bad = [k for k, v in metrics.items() if isinstance(v, float) and not math.isfinite(v)]
    if bad:  # checked before anything is written: no record without its metrics
        raise TinyedgeError(f"the metrics {', '.join(bad)} are NaN or infinite (a broken "
                            "model); nothing was written — retrain or re-export the model")
    with atomic_path(folder / PREDICTIONS_NAME) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    write_json_atomic(folder / METRICS_NAME, metrics)
    return metrics


_RECORD_FIX = "run `tinyedge evaluate` again for this runtime"


def load_record(folder: str | Path) -> Record:
    """Read and validate ``folder/predictions.npz``; any problem raises
    :class:`TinyedgeError` naming the file and the array."""
    path = Path(folder) / PREDICTIONS_NAME
    if not path.exists():
        raise TinyedgeError(f"no {PREDICTIONS_NAME} in {folder}; run `tinyedge evaluate` first")
    if not path.is_file():
        raise TinyedgeError(f"{path} is not a regular file; delete it and {_RECORD_FIX}")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in ("labels", "logits", "pred") if k not in data.files]
            if missing:
                raise TinyedgeError(f"{path} lacks the array(s) {', '.join(missing)}; "
                                    f"{_RECORD_FIX}")
            arrays = {k: data[k] for k in data.files
                      if k in ("labels", "logits", "pred", "output_scale", "output_zero_point",
                               "indices", "outputs")}
    except TinyedgeError:
        raise
    except (OSError, ValueError, KeyError, EOFError, TypeError, MemoryError,
            zipfile.BadZipFile) as exc:
        raise TinyedgeError(f"{path} is not a valid prediction record ({type(exc).__name__}: "
                            f"{str(exc)[:80]}); {_RECORD_FIX}") from exc
    return _checked_record(path, arrays)


def _checked_record(path: Path, a: dict[str, np.ndarray]) -> Record:
    def bad(name: str, expected: str) -> TinyedgeError:
        arr = a.get(name)
        got = "missing" if arr is None else f"{arr.dtype} {tuple(arr.shape)}"
        return TinyedgeError(f"{path}: array '{name}' must be {expected}, got {got}; "
                             f"{_RECORD_FIX}")

    labels, logits, pred = a["labels"], a["logits"], a["pred"]
    if logits.ndim != 2 or logits.shape[0] < 1 or logits.shape[1] < 2 or not (
            logits.dtype == np.int8 or logits.dtype.kind == "f"):
        raise bad("logits", "a non-empty N×C (C ≥ 2) int8 or float array")
    n, c = logits.shape
    for name, arr in (("labels", labels), ("pred", pred)):
        if arr.ndim != 1 or arr.shape[0] != n or arr.dtype.kind not in "iu":
            raise bad(name, f"{n} integers (one per row of logits)")
        if n and (arr.min() < 0 or arr.max() >= c):
            raise bad(name, f"class ids in 0…{c - 1}")
    if logits.dtype != np.int8 and not np.isfinite(logits).all():
        raise bad("logits", "finite numbers (it holds NaN or infinity)")
    scale = zero = None
    if logits.dtype == np.int8:
        s, z = a.get("output_scale"), a.get("output_zero_point")
        if s is None or s.shape != () or s.dtype.kind != "f" or not (
                np.isfinite(s) and s > 0):
            raise bad("output_scale", "a finite scalar > 0 (int8 records need it)")
        if z is None or z.shape != () or z.dtype.kind not in "iu" or not -128 <= z <= 127:
            raise bad("output_zero_point", "an integer scalar in -128…127")
        scale, zero = float(s), int(z)
    indices = a.get("indices")
    if indices is not None and (
            indices.ndim != 1 or indices.shape[0] != n or indices.dtype.kind not in "iu"
            or (n and indices.min() < 0) or len(np.unique(indices)) != n):
        raise bad("indices", f"{n} distinct integers ≥ 0 (one per row of logits)")
    kind = a.get("outputs")
    if kind is not None and (kind.shape != () or kind.dtype.kind != "U"
                             or str(kind) not in OUTPUT_KINDS):
        raise bad("outputs", f"one of {', '.join(OUTPUT_KINDS)}")
    return Record(labels.astype(np.int64), logits, pred.astype(np.int64), scale, zero,
                  None if indices is None else indices.astype(np.int64),
                  "logits" if kind is None else str(kind))  # type: ignore[arg-type]


def load_metrics(folder: str | Path, record: Record | None = None) -> dict[str, Any]:
    """Read and validate ``folder/metrics.json`` (against ``record`` when given: the same
    number of images and classes); raises :class:`TinyedgeError` naming the field."""
    path = Path(folder) / METRICS_NAME
    metrics = read_json_object(path, _RECORD_FIX)
    f = Fields(path, metrics, _RECORD_FIX)
    f.string("runtime")
    n = f.integer("n", low=1)
    c = f.integer("num_classes", low=2)
    for key in ("top1", "top5", "ece"):
        f.number(key, low=0.0, high=1.0, optional=key == "top5")
    for key in ("mean_confidence_correct", "mean_confidence_wrong"):
        f.number(key, low=0.0, high=1.0, optional=True)
    f.array("per_class_accuracy", c, item="number", low=0.0, high=1.0, nullable_items=True)
    f.array("class_names", c, item="string")
    if record is not None:
        if n != len(record.labels):
            raise f.fail("n", f"the {len(record.labels)} images of {PREDICTIONS_NAME}")
        if c != record.logits.shape[1]:
            raise f.fail("num_classes", f"the {record.logits.shape[1]} classes of "
                         f"{PREDICTIONS_NAME}")
    return metrics


# --- anomaly detection: a reconstruction model's record ---------------------------------

ANOMALY_TASK = "anomaly"  # metrics.json "task" of an anomaly record; absent = classifier
ANOMALY_CLASSES = ("normal", "anomalous")  # what anomaly labels 0 and 1 stand for
ANOMALY_SCORE = "mse"  # the score: mean squared reconstruction error per input


@dataclass(frozen=True)
class AnomalyRecord:
    """A reconstruction model's evaluation: ``labels`` 0 (normal) / 1 (anomalous) per
    input, its raw ``outputs`` (N, F; int8, or float32 from a model that dequantizes its
    own output) with the int8 output quantization, and ``scores`` (N,) the mean squared
    error of the dequantised output against the dequantised input."""

    labels: np.ndarray
    outputs: np.ndarray
    scores: np.ndarray
    output_scale: float
    output_zero_point: int
    indices: np.ndarray | None = None

    def image_indices(self) -> np.ndarray:
        if self.indices is None:
            return np.arange(len(self.labels), dtype=np.int64)
        return self.indices


def headline_figures(metrics: dict[str, Any]) -> dict[str, Any]:
    """The figures a manifest repeats from a record's metrics: top-1, top-5, ECE and n of
    a classifier; n, mean and median score and AUC of an anomaly record."""
    keys = (("n", "mean_score", "median_score", "auc") if metrics.get("task") == ANOMALY_TASK
            else ("top1", "top5", "ece", "n"))
    return {k: metrics[k] for k in keys}


def record_task(folder: str | Path) -> str:
    """``"anomaly"`` when ``folder/metrics.json`` says so, else ``"classify"`` (also when it
    cannot be read: :func:`load_metrics` then names the problem)."""
    try:
        metrics = read_json_object(Path(folder) / METRICS_NAME, _RECORD_FIX)
    except TinyedgeError:
        return "classify"
    return ANOMALY_TASK if metrics.get("task") == ANOMALY_TASK else "classify"


def anomaly_metrics(record: AnomalyRecord) -> dict[str, Any]:
    """``task``, ``score``, ``n``, ``n_normal``, ``n_anomalous``, ``mean_score``,
    ``median_score`` and ``auc`` (ROC AUC of the scores for anomalous vs normal; null
    unless both kinds are present)."""
    labels, scores = record.labels, record.scores
    auc = roc_auc_score(labels, scores)
    return {"task": ANOMALY_TASK, "score": ANOMALY_SCORE, "n": len(labels),
            "n_normal": int((labels == 0).sum()), "n_anomalous": int((labels == 1).sum()),
            "mean_score": float(np.mean(scores)), "median_score": float(np.median(scores)),
            "auc": None if math.isnan(auc) else auc}


def write_anomaly_record(folder: str | Path, record: AnomalyRecord, *, runtime: str,
                         extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write an anomaly record's ``predictions.npz`` (``labels``, ``outputs``, ``scores``,
    ``indices``, ``output_scale``, ``output_zero_point``) and ``metrics.json`` atomically;
    return the metrics."""
    folder = Path(folder)
    metrics = {"runtime": runtime, **anomaly_metrics(record), **(extra or {})}
    bad = [k for k, v in metrics.items() if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        raise TinyedgeError(f"the metrics {', '.join(bad)} are NaN or infinite (a broken "
                            "model); nothing was written — re-export the model")
    with atomic_path(folder / PREDICTIONS_NAME) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, labels=record.labels, outputs=record.outputs, scores=record.scores,
                 indices=record.image_indices(),
                 output_scale=np.float64(record.output_scale),
                 output_zero_point=np.int64(record.output_zero_point))
    write_json_atomic(folder / METRICS_NAME, metrics)
    return metrics


def load_anomaly_record(folder: str | Path) -> AnomalyRecord:
    """Read and validate an anomaly record's ``predictions.npz``; any problem raises
    :class:`TinyedgeError` naming the file and the array."""
    path = Path(folder) / PREDICTIONS_NAME
    if not path.is_file():
        raise TinyedgeError(f"no {PREDICTIONS_NAME} in {folder}; run `tinyedge evaluate` "
                            "first")
    names = ("labels", "outputs", "scores", "indices", "output_scale", "output_zero_point")
    try:
        with np.load(path, allow_pickle=False) as data:
            a = {k: data[k] for k in names if k in data.files}
    except (OSError, ValueError, KeyError, EOFError, TypeError, MemoryError,
            zipfile.BadZipFile) as exc:
        raise TinyedgeError(f"{path} is not a valid anomaly record ({type(exc).__name__}); "
                            f"{_RECORD_FIX}") from exc

    def bad(name: str, expected: str) -> TinyedgeError:
        arr = a.get(name)
        got = "missing" if arr is None else f"{arr.dtype} {tuple(arr.shape)}"
        return TinyedgeError(f"{path}: array '{name}' must be {expected}, got {got}; "
                             f"{_RECORD_FIX}")

    outputs = a.get("outputs")
    if (outputs is None or outputs.ndim != 2 or outputs.dtype not in (np.int8, np.float32)
            or 0 in outputs.shape or not np.isfinite(outputs).all()):
        raise bad("outputs", "a non-empty N×F int8 (or finite float32) array")
    n = len(outputs)
    labels, scores = a.get("labels"), a.get("scores")
    if labels is None or labels.shape != (n,) or labels.dtype.kind not in "iu" or not \
            np.isin(labels, (0, 1)).all():
        raise bad("labels", f"{n} labels, each 0 (normal) or 1 (anomalous)")
    if scores is None or scores.shape != (n,) or scores.dtype.kind != "f" or not (
            np.isfinite(scores).all() and (scores >= 0).all()):
        raise bad("scores", f"{n} finite scores ≥ 0")
    s, z = a.get("output_scale"), a.get("output_zero_point")
    if s is None or s.shape != () or s.dtype.kind != "f" or not (np.isfinite(s) and s > 0):
        raise bad("output_scale", "a finite scalar > 0")
    if z is None or z.shape != () or z.dtype.kind not in "iu" or not -128 <= z <= 127:
        raise bad("output_zero_point", "an integer scalar in -128…127")
    indices = a.get("indices")
    if indices is not None and (indices.shape != (n,) or indices.dtype.kind not in "iu"
                                or indices.min() < 0 or len(np.unique(indices)) != n):
        raise bad("indices", f"{n} distinct integers ≥ 0")
    return AnomalyRecord(labels.astype(np.int64), outputs, scores.astype(np.float64),
                         float(s), int(z), None if indices is None else indices.astype(np.int64))


def load_anomaly_metrics(folder: str | Path, record: AnomalyRecord) -> dict[str, Any]:
    """Read and validate an anomaly record's ``metrics.json`` against ``record``."""
    path = Path(folder) / METRICS_NAME
    metrics = read_json_object(path, _RECORD_FIX)
    f = Fields(path, metrics, _RECORD_FIX)
    f.string("runtime")
    if f.integer("n", low=1) != len(record.labels):
        raise f.fail("n", f"the {len(record.labels)} inputs of {PREDICTIONS_NAME}")
    for key in ("mean_score", "median_score"):
        f.number(key, low=0.0)
    f.number("auc", low=0.0, high=1.0, optional=True)
    return metrics
