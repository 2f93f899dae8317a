"""Calibration beyond ECE: the reliability curve and mean confidence on right vs wrong
answers (SPEC §7). Confidence = the maximum probability of each row of ``probs``; for
int8 records use the softmax of the dequantized logits (``Record.probabilities``)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class ReliabilityCurve(NamedTuple):
    edges: np.ndarray  # (n_bins + 1,) bin b covers (edges[b], edges[b+1]]
    accuracy: np.ndarray  # (n_bins,) fraction correct in each bin; NaN when empty
    confidence: np.ndarray  # (n_bins,) mean confidence in each bin; NaN when empty
    count: np.ndarray  # (n_bins,) int64 images per bin


class ConfidenceSplit(NamedTuple):
    correct: float  # mean confidence over correctly classified images; NaN if none
    wrong: float  # mean confidence over misclassified images; NaN if none


def _confidence_correct(labels: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probs = np.asarray(probs, dtype=np.float64)
    labels = np.asarray(labels)
    if probs.ndim != 2 or labels.ndim != 1 or len(labels) != len(probs):
        raise ValueError(f"need labels (N,) and probs (N, C), got {labels.shape}, {probs.shape}")
    if len(labels) == 0:
        raise ValueError("calibration of an empty test set is undefined")
    return probs.max(axis=1), probs.argmax(axis=1) == labels


def confidence_bins(conf: np.ndarray, n_bins: int = 15) -> np.ndarray:
    """0-based bin of each confidence among ``n_bins`` equal-width, right-closed bins on
    (0, 1]: bin b holds (b/B, (b+1)/B]; 0 goes to bin 0 — the same rule as
    :func:`expected_calibration_error`. Example (B = 15): 0.6 → 8, 0.61 → 9, 1.0 → 14.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be ≥ 1, got {n_bins}")
    conf = np.asarray(conf, dtype=np.float64)
    return np.clip(np.ceil(conf * n_bins).astype(np.int64) - 1, 0, n_bins - 1)


def reliability_curve(labels: np.ndarray, probs: np.ndarray, n_bins: int = 15) -> ReliabilityCurve:
    """Per-bin accuracy, mean confidence and count over ``n_bins`` equal-width bins of the
    maximum probability (the data of a reliability diagram).

    acc_b = (1/n_b) Σ_{i∈b} 1[pred_i = y_i], conf_b = (1/n_b) Σ_{i∈b} max_c p_ic; empty bins
    are NaN (count 0). ECE = Σ_b (n_b/N)·|acc_b − conf_b| over non-empty bins.
    Example (B = 15): confidences [0.9, 0.9, 0.6], correct [1, 0, 1] → bin 13:
    n 2, acc ½, conf 0.9; bin 8 (0.6 is its right edge): n 1, acc 1, conf 0.6.
    """
    conf, correct = _confidence_correct(labels, probs)
    bins = confidence_bins(conf, n_bins)
    count = np.bincount(bins, minlength=n_bins).astype(np.int64)
    hits = np.bincount(bins, weights=correct.astype(np.float64), minlength=n_bins)
    conf_sum = np.bincount(bins, weights=conf, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(count > 0, hits / count, np.nan)
        confidence = np.where(count > 0, conf_sum / count, np.nan)
    return ReliabilityCurve(np.linspace(0.0, 1.0, n_bins + 1), accuracy, confidence, count)


def mean_confidence_split(labels: np.ndarray, probs: np.ndarray) -> ConfidenceSplit:
    """Mean maximum probability over the correctly and over the wrongly classified images.

    A side with no images is NaN (e.g. ``wrong`` for a perfect model).
    Example: max probs [0.9, 0.6, 0.7], correct [1, 0, 1] → correct 0.8, wrong 0.6.
    """
    conf, correct = _confidence_correct(labels, probs)
    right = float(conf[correct].mean()) if correct.any() else float("nan")
    wrong = float(conf[~correct].mean()) if (~correct).any() else float("nan")
    return ConfidenceSplit(right, wrong)
