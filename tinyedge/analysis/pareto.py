"""Pareto front of accuracy against a cost (latency, RAM, flash): the models no other
model beats on both at once."""

from __future__ import annotations

import numpy as np


def pareto_front(cost: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Boolean mask of the Pareto-optimal points when ``cost`` is to be minimised and
    ``score`` maximised. Point i is on the front unless some j *dominates* it:
    ``cost_j ≤ cost_i`` and ``score_j ≥ score_i`` with at least one strict inequality.
    Identical points do not dominate each other (both stay on the front). A point with a
    NaN cost or score is undefined and never on the front.

    Example: cost [1, 2, 3, 2], score [0.5, 0.7, 0.6, 0.4] → [True, True, False, False]
    (point 2 is beaten by point 1: cheaper and more accurate; point 3 by points 0 and 1).
    """
    cost = np.asarray(cost, dtype=np.float64)
    score = np.asarray(score, dtype=np.float64)
    if cost.ndim != 1 or cost.shape != score.shape:
        raise ValueError(f"cost and score must be 1-D of one length, got {cost.shape} and "
                         f"{score.shape}")
    valid = np.isfinite(cost) & np.isfinite(score)
    c, s = cost[valid], score[valid]
    no_worse = (c[None, :] <= c[:, None]) & (s[None, :] >= s[:, None])  # [i, j]: j vs i
    better = (c[None, :] < c[:, None]) | (s[None, :] > s[:, None])
    dominated = (no_worse & better).any(axis=1)
    out = np.zeros(cost.shape, dtype=bool)
    out[np.flatnonzero(valid)] = ~dominated
    return out
