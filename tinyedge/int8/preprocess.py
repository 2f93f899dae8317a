"""The one preprocessing step every int8 runtime shares: uint8 images → the model's int8
input (export's verification, host runtimes and the device all call this function)."""

from __future__ import annotations

import numpy as np


def quantize_images(
    images: np.ndarray,
    mean: tuple[float, ...],
    std: tuple[float, ...],
    scale: float,
    zero_point: int,
) -> np.ndarray:
    """uint8 NHWC images → the model's int8 input: q = clamp(round(x / scale) + zero_point)
    with x the training normalisation (pixel/255 − mean) / std, rounding half away from
    zero as TFLite's QUANTIZE does. Every runtime, the device included, gets these bytes."""
    x = (images.astype(np.float64) / 255.0 - np.asarray(mean)) / np.asarray(std)
    scaled = x / scale
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)
    return np.clip(rounded + zero_point, -128, 127).astype(np.int8)
