"""An independent model of an int8 FULLY_CONNECTED output under the two rounding schemes
of TFLite's fixed-point requantization:

- double rounding (TFLite Micro's reference): SaturatingRoundingDoublingHighMul, then
  RoundingDivideByPOT;
- single rounding (TFLITE_SINGLE_ROUNDING builds): one rounding shift of acc·M.
"""

from __future__ import annotations

import math

import numpy as np


def quantize_multiplier(real: float) -> tuple[int, int]:
    mantissa, exponent = math.frexp(real)
    q = round(mantissa * (1 << 31))
    if q == 1 << 31:
        q //= 2
        exponent += 1
    return q, exponent


def _double(acc: int, m: int, shift: int) -> int:
    acc *= 1 << max(shift, 0)
    product = acc * m
    nudge = (1 << 30) if product >= 0 else 1 - (1 << 30)
    high = int((product + nudge) / (1 << 31))  # truncation toward zero, as in C
    right = max(-shift, 0)
    mask = (1 << right) - 1
    remainder = high & mask
    threshold = (mask >> 1) + (1 if high < 0 else 0)
    return (high >> right) + (1 if remainder > threshold else 0)


def _single(acc: int, m: int, shift: int) -> int:
    total = 31 - shift
    return (acc * m + (1 << (total - 1))) >> total


def fc_outputs(x: np.ndarray, x_zero: int, x_scale: float, weights: np.ndarray,
               w_scales: tuple[float, ...], bias: np.ndarray, out_scale: float, out_zero: int,
               rounding: str) -> np.ndarray:
    """int8 outputs of y = W·(x − x_zero) + b requantized with ``rounding``."""
    requant = _double if rounding == "double" else _single
    acc = weights.astype(np.int64) @ (x.astype(np.int64) - x_zero) + bias.astype(np.int64)
    out = []
    for j, a in enumerate(acc):
        scale = w_scales[j] if len(w_scales) > 1 else w_scales[0]
        m, shift = quantize_multiplier(x_scale * scale / out_scale)
        out.append(requant(int(a), m, shift) + out_zero)
    return np.clip(out, -128, 127).astype(np.int8)
