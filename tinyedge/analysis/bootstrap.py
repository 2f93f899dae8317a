"""Resampling statistics: mean ± std and a percentile bootstrap confidence interval."""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np

from tinyedge.analysis._validate import as_finite_vector

Statistic = Literal["mean", "median"]
_STATISTICS = {"mean": np.mean, "median": np.median}


class MeanStd(NamedTuple):
    mean: float
    std: float
    n: int


class BootstrapCI(NamedTuple):
    estimate: float
    low: float
    high: float
    confidence: float
    n_boot: int


def mean_std(values: np.ndarray, ddof: int = 1) -> MeanStd:
    """Mean and standard deviation of a 1-D sample.

    std = sqrt(Σ (x_i − x̄)² / (n − ddof)); the default ``ddof=1`` is the sample standard
    deviation. Undefined when n ≤ ddof: std is NaN then (one value has no spread to
    estimate). Example: [1, 2, 3] → mean 2, std 1 (ddof 1).
    """
    x = as_finite_vector(values, "values")
    std = float(np.std(x, ddof=ddof)) if len(x) > ddof else float("nan")
    return MeanStd(float(x.mean()), std, len(x))


def bootstrap_ci(
    values: np.ndarray,
    n_boot: int = 10_000,
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
    statistic: Statistic = "mean",
) -> BootstrapCI:
    """Percentile bootstrap confidence interval of a statistic of a 1-D sample.

    Draw ``n_boot`` resamples of size n with replacement (from ``np.random.default_rng(seed)``,
    so a fixed seed gives a fixed interval), compute the statistic of each, and return the
    (1 − c)/2 and (1 + c)/2 quantiles of those values (c = ``confidence``), next to the
    statistic of the sample itself. The resampled units are assumed exchangeable; for
    Jaccard over seed pairs they are not independent (pairs share seeds), so the interval is
    descriptive. One value gives a zero-width interval. Example: [2, 2, 2] → (2, 2, 2).
    """
    x = as_finite_vector(values, "values")
    if n_boot < 1:
        raise ValueError(f"n_boot must be ≥ 1, got {n_boot}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if statistic not in _STATISTICS:
        raise ValueError(f"statistic must be one of {sorted(_STATISTICS)}, got {statistic!r}")
    stat = _STATISTICS[statistic]
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(n_boot, len(x)))
    boots = stat(x[idx], axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(boots, [tail, 1.0 - tail])
    return BootstrapCI(float(stat(x)), float(low), float(high), confidence, n_boot)
