"""Anomaly-detection metrics as pure functions on arrays: the reconstruction error of an
autoencoder per input (its anomaly score) and the ROC AUC of such scores against
normal (0) / anomalous (1) labels. ``*_error`` is lower-is-better per input; a higher
anomaly score means "more anomalous"; ``roc_auc_score`` is higher-is-better.
"""

from __future__ import annotations

import numpy as np

from tinyedge.analysis._validate import as_finite_vector, as_mask, same_length


def reconstruction_error(inputs: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """Mean squared error per row, as MLPerf Tiny's anomaly-detection benchmark scores an
    input: ``mse_i = (1/F) · Σ_f (outputs[i, f] − inputs[i, f])²`` over the F values of row
    i (any trailing shape is flattened). Both arrays must have the same shape, ≥ 1 value
    per row, finite values.

    Example: inputs [[0, 0], [1, 1]], outputs [[1, 1], [1, 3]] → [1.0, 2.0].
    """
    x = np.asarray(inputs, dtype=np.float64)
    y = np.asarray(outputs, dtype=np.float64)
    if x.shape != y.shape or x.ndim < 2 or x.shape[0] < 1 or x[0].size < 1:
        raise ValueError(f"inputs {x.shape} and outputs {y.shape} must have one shared "
                         "shape N×F (N, F ≥ 1)")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("inputs and outputs must be finite")
    diff = (y - x).reshape(len(x), -1)
    return np.mean(diff * diff, axis=1)


def roc_auc_score(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve of ``scores`` (higher = more anomalous) for binary
    ``labels`` (1 = anomalous, 0 = normal), by the Mann–Whitney rank statistic:

        AUC = (R₁ − n₁(n₁ + 1)/2) / (n₁ · n₀)

    where n₁, n₀ are the numbers of anomalous and normal inputs and R₁ is the sum of the
    anomalous inputs' ranks among all scores (rank 1 = lowest; tied scores share the mean
    of their ranks). Equivalently: the probability that a random anomalous input scores
    above a random normal one, a tie counting one half. Undefined (NaN) when either class
    is empty.

    Examples: labels [0, 0, 1, 1], scores [.1, .4, .35, .8] → 0.75; labels [0, 1],
    scores [1, 1] (a tie) → 0.5; labels [0, 0, 1], scores [1, 2, 2] → 0.75.
    """
    positive = as_mask(labels, "labels")
    s = as_finite_vector(scores, "scores")
    same_length(positive, s)
    n1 = int(positive.sum())
    n0 = len(positive) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = _midranks(s)
    r1 = float(ranks[positive].sum())
    return (r1 - n1 * (n1 + 1) / 2) / (n1 * n0)


def _midranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ``values``, ties given the mean of the ranks they span."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    # Start of each run of equal values, and each run's mean rank (first + last) / 2.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]  # exclusive
    run_rank = (starts + 1 + ends) / 2.0
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(run_rank, ends - starts)
    return ranks
