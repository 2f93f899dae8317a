"""Shared input checks for the analysis functions (raise ``ValueError`` on misuse)."""

from __future__ import annotations

import numpy as np


def as_mask(mask: np.ndarray, name: str = "mask") -> np.ndarray:
    """A 1-D boolean array (0/1 integers are accepted)."""
    arr = np.asarray(mask)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.dtype != bool:
        if arr.size and not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{name} must be boolean (or 0/1)")
        arr = arr.astype(bool)
    return arr


def same_length(*arrays: np.ndarray) -> None:
    lengths = {len(a) for a in arrays}
    if len(lengths) > 1:
        raise ValueError(f"arrays must have the same length, got {sorted(lengths)}")


def as_rate(value: float, name: str) -> float:
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {v}")
    return v


def as_finite_vector(values: np.ndarray, name: str, min_len: int = 1) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if len(arr) < min_len:
        raise ValueError(f"{name} needs at least {min_len} values, got {len(arr)}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite")
    return arr
