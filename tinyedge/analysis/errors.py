"""Error sets and how they overlap: Jaccard, its two baselines, seed pairs, flips (SPEC §7).

A model's error set is E = {i : pred_i ≠ label_i}, held as a boolean mask over the test
images (test-set order), so two models' sets compare elementwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import NamedTuple

import numpy as np

from tinyedge.analysis._validate import as_mask, as_rate, same_length
from tinyedge.analysis.bootstrap import bootstrap_ci, mean_std


class SeedPairJaccard(NamedTuple):
    values: np.ndarray  # Jaccard of each seed pair (i < j), in lexicographic pair order
    mean: float
    std: float  # sample std over pairs (ddof 1); NaN for a single pair
    ci_low: float
    ci_high: float
    n_pairs: int


class Flips(NamedTuple):
    correct_to_wrong: int  # right under A, wrong under B
    wrong_to_correct: int  # wrong under A, right under B
    agreement: float  # fraction of images where A and B predict the same class
    n: int


def _labels_pred(labels: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels, pred = np.asarray(labels), np.asarray(pred)
    if labels.ndim != 1 or pred.ndim != 1:
        raise ValueError(f"labels and pred must be 1-D, got {labels.shape} and {pred.shape}")
    same_length(labels, pred)
    return labels, pred


def error_mask(labels: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Boolean mask of the error set: ``mask[i] = pred[i] != labels[i]``.

    Example: labels [0, 1, 2], pred [0, 2, 2] → [False, True, False].
    """
    labels, pred = _labels_pred(labels, pred)
    return pred != labels


def error_indices(labels: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Indices of the misclassified images, ascending (int64).

    Example: labels [0, 1, 2], pred [1, 1, 0] → [0, 2].
    """
    return np.flatnonzero(error_mask(labels, pred)).astype(np.int64)


def error_rate(labels: np.ndarray, pred: np.ndarray) -> float:
    """e = |E| / N; undefined (ValueError) for an empty test set.

    Example: labels [0, 1, 2, 3], pred [0, 1, 0, 0] → 0.5.
    """
    mask = error_mask(labels, pred)
    if len(mask) == 0:
        raise ValueError("the error rate of an empty test set is undefined")
    return float(mask.mean())


def jaccard(mask_a: np.ndarray, mask_b: np.ndarray) -> float:
    """J(A, B) = |E_A ∩ E_B| / |E_A ∪ E_B| of two error masks over the same images.

    Both sets empty (two perfect models): 0/0, defined here as **1.0** — the two error
    sets are identical, and J = 1 means "the same errors". One empty set gives 0.
    Example: A = [1, 1, 0, 0], B = [0, 1, 1, 0] → ∩ = 1, ∪ = 3 → 1/3.
    """
    a, b = as_mask(mask_a, "mask_a"), as_mask(mask_b, "mask_b")
    same_length(a, b)
    union = int(np.count_nonzero(a | b))
    if union == 0:
        return 1.0
    return int(np.count_nonzero(a & b)) / union


def jaccard_independent_baseline(e_a: float, e_b: float) -> float:
    """Expected Jaccard if the two models erred independently at rates e_a and e_b.

    P(both wrong) = e_a·e_b and P(either wrong) = e_a + e_b − e_a·e_b, so
    J = e_a·e_b / (e_a + e_b − e_a·e_b). Both rates 0: 1.0, as in :func:`jaccard`.
    Example: e_a = e_b = 0.5 → 0.25 / 0.75 = 1/3.
    """
    a, b = as_rate(e_a, "e_a"), as_rate(e_b, "e_b")
    union = a + b - a * b
    return 1.0 if union == 0 else a * b / union


def jaccard_containment_baseline(e_a: float, e_b: float) -> float:
    """Largest Jaccard possible at error rates e_a and e_b: the smaller error set lies
    inside the larger, J = min(e) / max(e). Both rates 0: 1.0, as in :func:`jaccard`.

    Example: e_a = 0.2, e_b = 0.4 → 0.5.
    """
    a, b = as_rate(e_a, "e_a"), as_rate(e_b, "e_b")
    return 1.0 if max(a, b) == 0 else min(a, b) / max(a, b)


def seed_pair_jaccard(
    masks: Sequence[np.ndarray] | np.ndarray,
    n_boot: int = 10_000,
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> SeedPairJaccard:
    """Jaccard of the error sets of every pair of seeds, summarised over the pairs.

    With S seeds there are S·(S−1)/2 pairs; the result holds each pair's J, their mean, the
    sample std (ddof 1), and a percentile bootstrap CI of the mean over pairs
    (:func:`tinyedge.analysis.bootstrap.bootstrap_ci`, deterministic for a given ``seed``).
    Needs at least two seeds. Example: masks [1,1,0], [1,0,0], [1,1,0] → pairs
    (0,1) 1/2, (0,2) 1, (1,2) 1/2 → mean 2/3.
    """
    arrays = [as_mask(m, f"masks[{i}]") for i, m in enumerate(masks)]
    if len(arrays) < 2:
        raise ValueError(f"seed-pair Jaccard needs at least 2 seeds, got {len(arrays)}")
    same_length(*arrays)
    values = np.array([jaccard(a, b) for a, b in combinations(arrays, 2)])
    stats = mean_std(values)
    ci = bootstrap_ci(values, n_boot=n_boot, confidence=confidence, seed=seed)
    return SeedPairJaccard(values, stats.mean, stats.std, ci.low, ci.high, len(values))


def top1_agreement(pred_a: np.ndarray, pred_b: np.ndarray) -> float:
    """Fraction of images on which two models predict the same top-1 class (labels are
    not needed). Undefined (ValueError) for no images. Example: [0, 1, 2] vs [0, 2, 2] → 2/3.
    """
    a, b = _labels_pred(pred_a, pred_b)
    if len(a) == 0:
        raise ValueError("agreement over an empty test set is undefined")
    return float((a == b).mean())


def flips(labels: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> Flips:
    """Changes of correctness from model A (e.g. float) to model B (e.g. int8).

    correct→wrong = #{i : a_i = y_i, b_i ≠ y_i}; wrong→correct = #{i : a_i ≠ y_i, b_i = y_i};
    agreement = #{i : a_i = b_i} / N. A wrong→wrong image that changes its wrong class
    counts as neither flip but lowers the agreement. Example: y [0, 1, 2, 3],
    a [0, 1, 0, 0], b [0, 2, 2, 1] → c→w 1 (image 1), w→c 1 (image 2), agreement 1/4.
    """
    labels, a = _labels_pred(labels, pred_a)
    _, b = _labels_pred(labels, pred_b)
    ok_a, ok_b = a == labels, b == labels
    return Flips(
        correct_to_wrong=int(np.count_nonzero(ok_a & ~ok_b)),
        wrong_to_correct=int(np.count_nonzero(~ok_a & ok_b)),
        agreement=top1_agreement(a, b),
        n=len(labels),
    )
