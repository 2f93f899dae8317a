"""How close a deployed model's outputs are to the float model's: the output-similarity
figures on-target validation tools report (X-CUBE-AI's "validate", MLTK), as pure
functions on two (N, C) arrays of real-valued logits — ``reference`` (float) and
``candidate`` (an int8 runtime's dequantised logits, real = scale · (q − zero_point)).

Every figure is over all N·C values of the arrays flattened (r = reference, x = candidate,
d = x − r, M = N·C):

* ``l2_relative_error`` = ‖d‖₂ / ‖r‖₂ — lower is better; undefined (NaN) when r is all 0;
* ``cosine_similarity`` = ⟨r, x⟩ / (‖r‖₂ ‖x‖₂) — higher is better, 1 = same direction;
  undefined (NaN) when either is all 0;
* ``rmse`` = √(Σ d² / M) and ``mae`` = Σ |d| / M — lower is better, in logit units;
* ``top1_agreement`` = fraction of rows whose argmax (lowest index on ties) is the same.

Worked example: r = [[1, 0], [0, 1]], x = [[1, 0], [1, 1]] → d = [[0, 0], [1, 0]];
‖d‖ = 1, ‖r‖ = √2 → L2 relative error 1/√2 ≈ 0.7071; ⟨r, x⟩ = 2, ‖x‖ = √3 → cosine
2/√6 ≈ 0.8165; RMSE √(1/4) = 0.5; MAE 1/4 = 0.25; argmax rows [0, 1] vs [0, 0] → agreement
0.5.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class LogitSimilarity(NamedTuple):
    l2_relative_error: float
    cosine_similarity: float
    rmse: float
    mae: float
    top1_agreement: float
    n: int  # rows compared


def _pair(reference: np.ndarray, candidate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r = np.asarray(reference, dtype=np.float64)
    x = np.asarray(candidate, dtype=np.float64)
    if r.ndim != 2 or r.shape != x.shape:
        raise ValueError(f"reference and candidate must be N×C arrays of one shape, got "
                         f"{r.shape} and {x.shape}")
    if r.shape[0] == 0 or r.shape[1] == 0:
        raise ValueError("similarity of empty arrays is undefined")
    if not (np.isfinite(r).all() and np.isfinite(x).all()):
        raise ValueError("reference and candidate must be finite")
    return r, x


def l2_relative_error(reference: np.ndarray, candidate: np.ndarray) -> float:
    """‖x − r‖₂ / ‖r‖₂ over all values; NaN when r is all 0. Example: r [[1, 0], [0, 1]],
    x [[1, 0], [1, 1]] → 1/√2."""
    r, x = _pair(reference, candidate)
    norm = float(np.linalg.norm(r))
    return float(np.linalg.norm(x - r)) / norm if norm > 0 else math.nan


def cosine_similarity(reference: np.ndarray, candidate: np.ndarray) -> float:
    """⟨r, x⟩ / (‖r‖₂ ‖x‖₂) over all values; NaN when either is all 0. Example:
    r [[1, 0], [0, 1]], x [[1, 0], [1, 1]] → 2/√6."""
    r, x = _pair(reference, candidate)
    norms = float(np.linalg.norm(r)) * float(np.linalg.norm(x))
    return float(np.sum(r * x)) / norms if norms > 0 else math.nan


def rmse(reference: np.ndarray, candidate: np.ndarray) -> float:
    """√(mean of (x − r)²) over all values. Example: r [[1, 0], [0, 1]], x [[1, 0], [1, 1]]
    → 0.5."""
    r, x = _pair(reference, candidate)
    return float(np.sqrt(np.mean((x - r) ** 2)))


def mae(reference: np.ndarray, candidate: np.ndarray) -> float:
    """Mean of |x − r| over all values. Example: r [[1, 0], [0, 1]], x [[1, 0], [1, 1]]
    → 0.25."""
    r, x = _pair(reference, candidate)
    return float(np.mean(np.abs(x - r)))


def logit_similarity(reference: np.ndarray, candidate: np.ndarray) -> LogitSimilarity:
    """All the figures of the module docstring for one pair of (N, C) logit arrays."""
    r, x = _pair(reference, candidate)
    agreement = float(np.mean(r.argmax(axis=1) == x.argmax(axis=1)))
    return LogitSimilarity(l2_relative_error(r, x), cosine_similarity(r, x), rmse(r, x),
                           mae(r, x), agreement, r.shape[0])
