"""Classification metrics as pure functions on arrays (SPEC §7).

Shapes: ``labels`` (N,) integer class ids; ``scores`` (N, C) logits or probabilities
(any monotone scores for top-k); ``probs`` (N, C) rows summing to 1.
"""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, computed in float64 with the row maximum subtracted."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def top_k_accuracy(labels: np.ndarray, scores: np.ndarray, k: int = 1) -> float:
    """Fraction of rows whose label is among the k highest scores.

    Ties are broken by the lower class index, as ``argmax`` does. Example: labels [0, 1],
    scores [[.6, .4], [.7, .3]] → top-1 = 0.5, top-2 = 1.0.
    """
    labels = np.asarray(labels)
    scores = np.asarray(scores)
    if len(labels) == 0:
        raise ValueError("top-k accuracy of an empty set is undefined")
    k = min(k, scores.shape[1])
    # A stable sort on the negated scores keeps the lower index first among ties.
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float((top == labels[:, None]).any(axis=1).mean())


def per_class_accuracy(labels: np.ndarray, pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Accuracy within each true class, shape (num_classes,); NaN for a class with no
    test images. Example: labels [0, 0, 1], pred [0, 1, 1] → [0.5, 1.0]."""
    labels = np.asarray(labels)
    correct = np.asarray(pred) == labels
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    hits = np.bincount(labels, weights=correct, minlength=num_classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, hits / counts, np.nan)


def expected_calibration_error(
    labels: np.ndarray, probs: np.ndarray, n_bins: int = 15
) -> float:
    """ECE = Σ_b (n_b / N) · |acc_b − conf_b| over ``n_bins`` equal-width bins of the
    maximum probability on (0, 1]; bin b holds confidences in ((b−1)/B, b/B].

    Example: confidences [0.9, 0.9] with one correct → one bin, |0.5 − 0.9| = 0.4.
    """
    probs = np.asarray(probs, dtype=np.float64)
    labels = np.asarray(labels)
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    # Right-closed bins: a confidence of exactly b/B belongs to bin b−1 (0-based).
    bins = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        in_bin = bins == b
        if in_bin.any():
            total += in_bin.mean() * abs(correct[in_bin].mean() - conf[in_bin].mean())
    return float(total)
