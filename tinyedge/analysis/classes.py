"""How evenly accuracy is spread over classes: Gini, its binomial null, bottom-/top-k
(SPEC §7). Inputs are per-class accuracy vectors (see :func:`per_class_accuracy`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np

NanPolicy = Literal["raise", "omit"]
DEFAULT_KS = (5, 10, 20)


class NullGini(NamedTuple):
    mean: float
    low: float  # (1 − confidence)/2 quantile of the simulated Ginis
    high: float  # (1 + confidence)/2 quantile
    confidence: float
    n_sim: int


def _per_class(values: np.ndarray, nan: NanPolicy) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"per-class values must be 1-D, got shape {x.shape}")
    if nan not in ("raise", "omit"):
        raise ValueError(f"nan must be 'raise' or 'omit', got {nan!r}")
    if np.isnan(x).any():
        if nan == "raise":
            raise ValueError("per-class values contain NaN (a class with no test images); "
                             "pass nan='omit' to drop those classes")
        x = x[~np.isnan(x)]
    if len(x) == 0:
        raise ValueError("no classes to summarise")
    if not np.isfinite(x).all() or (x < 0).any():
        raise ValueError("per-class values must be finite and ≥ 0")
    return x


def _gini_rows(x: np.ndarray) -> np.ndarray:
    """Gini of each row of a 2-D array of non-negative values (sorted-rank form)."""
    n = x.shape[1]
    s = np.sort(x, axis=1)
    weights = 2.0 * np.arange(1, n + 1) - n - 1  # (2i − n − 1), i = 1..n
    total = s.sum(axis=1)
    # The weights sum to 0, so shifting by the row minimum leaves the numerator unchanged
    # and makes it exactly 0 for equal values (no cancellation error).
    numerator = (s - s[:, :1]) @ weights
    with np.errstate(invalid="ignore", divide="ignore"):
        g = numerator / (n * total)
    return np.where(total > 0, g, 0.0)


def gini(values: np.ndarray, nan: NanPolicy = "raise") -> float:
    """Gini coefficient of a per-class accuracy vector x_1..x_n (all ≥ 0).

    G = Σ_i Σ_j |x_i − x_j| / (2 n² x̄): the mean absolute difference over all ordered
    pairs divided by twice the mean, computed as Σ_i (2i − n − 1)·x_(i) / (n Σ x) on the
    sorted values. 0 = every class equally accurate; the maximum (n − 1)/n = one class
    holds all the accuracy. All-zero accuracy (x̄ = 0, 0/0) is defined as **0**: the
    classes are equal. NaN (a class with no test images) raises unless ``nan="omit"``.
    Example: [0, 0, 1, 1] → ordered pairs with |Δ| = 1: 8, n² = 16, x̄ = ½ → 8/16 = 0.5.
    """
    x = _per_class(values, nan)
    return float(_gini_rows(x[None, :])[0])


def null_gini(
    p: float,
    n_per_class: int,
    num_classes: int,
    n_sim: int = 2_000,
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> NullGini:
    """Gini expected from sampling noise alone: every class has the same true accuracy p
    and n_per_class test images, so each measured class accuracy is Binomial(n, p)/n.

    Monte Carlo: ``n_sim`` draws of the ``num_classes`` accuracies from
    ``np.random.default_rng(seed)`` (deterministic for a seed), the Gini of each; returns
    their mean and central ``confidence`` interval. A measured Gini above ``high`` is more
    unequal than chance. p = 0 or 1 gives exactly 0 (no noise); the null shrinks like
    1/√n. Example: p = 1 → every draw [1, …, 1] → mean = low = high = 0.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if n_per_class < 1 or num_classes < 1 or n_sim < 1:
        raise ValueError("n_per_class, num_classes and n_sim must be ≥ 1")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    rng = np.random.default_rng(seed)
    acc = rng.binomial(n_per_class, p, size=(n_sim, num_classes)) / n_per_class
    g = _gini_rows(acc)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(g, [tail, 1.0 - tail])
    return NullGini(float(g.mean()), float(low), float(high), confidence, n_sim)


def _k_extreme(values: np.ndarray, k: int, nan: NanPolicy, lowest: bool) -> float:
    x = _per_class(values, nan)
    if not 1 <= k <= len(x):
        raise ValueError(f"k must be in [1, {len(x)}] (the number of classes), got {k}")
    s = np.sort(x)
    return float((s[:k] if lowest else s[-k:]).mean())


def bottom_k_accuracy(per_class: np.ndarray, k: int, nan: NanPolicy = "raise") -> float:
    """Mean accuracy of the k least accurate classes (ties do not change the mean).

    Undefined (ValueError) for k < 1 or k > number of classes.
    Example: [0.9, 0.1, 0.5, 0.3], k = 2 → (0.1 + 0.3)/2 = 0.2.
    """
    return _k_extreme(per_class, k, nan, lowest=True)


def top_k_class_accuracy(per_class: np.ndarray, k: int, nan: NanPolicy = "raise") -> float:
    """Mean accuracy of the k most accurate classes (ties do not change the mean).

    Undefined (ValueError) for k < 1 or k > number of classes.
    Example: [0.9, 0.1, 0.5, 0.3], k = 2 → (0.9 + 0.5)/2 = 0.7.
    """
    return _k_extreme(per_class, k, nan, lowest=False)


def class_extremes(
    per_class: np.ndarray, ks: Sequence[int] = DEFAULT_KS, nan: NanPolicy = "raise"
) -> dict[str, float]:
    """Bottom-k and top-k mean accuracies for each k (SPEC: k = 5, 10, 20), keyed
    ``"bottom5"``, ``"top5"``, …; a k larger than the number of classes is skipped.

    Example: [0.9, 0.1, 0.5, 0.3], ks (2, 5) → {"bottom2": 0.2, "top2": 0.7}.
    """
    n = len(_per_class(per_class, nan))
    out: dict[str, float] = {}
    for k in ks:
        if k <= n:
            out[f"bottom{k}"] = bottom_k_accuracy(per_class, k, nan)
            out[f"top{k}"] = top_k_class_accuracy(per_class, k, nan)
    return out
