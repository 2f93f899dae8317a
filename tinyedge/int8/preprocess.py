"""The one preprocessing step every int8 runtime shares: uint8 images → the model's int8
input (export's verification, host runtimes and the device all call this function), or the
normalised float32 input of a model that quantizes its own input."""

from __future__ import annotations

import numpy as np

from tinyedge.int8.signature import Int8Signature


def normalize_images(images: np.ndarray, mean: tuple[float, ...], std: tuple[float, ...]
                     ) -> np.ndarray:
    """uint8 NHWC images → x = (pixel/255 − mean) / std per channel, in float64."""
    return (images.astype(np.float64) / 255.0 - np.asarray(mean)) / np.asarray(std)


def model_input(images: np.ndarray, mean: tuple[float, ...], std: tuple[float, ...],
                signature: Int8Signature) -> np.ndarray:
    """uint8 images → what the model takes: int8 (:func:`quantize_images` with its input
    scale and zero point), or for a float32 input the normalised values as float32, which
    the model's own QUANTIZE rounds (on every runtime and the device alike)."""
    if signature.input_dtype == "float32":
        return normalize_images(images, mean, std).astype(np.float32)
    return quantize_images(images, mean, std, signature.input_scale,
                           signature.input_zero_point)


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
    return quantize_values(normalize_images(images, mean, std), scale, zero_point)


def quantize_values(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """Real values → int8: q = clamp(round(x / scale) + zero_point, −128, 127), rounding
    half away from zero as TFLite's QUANTIZE does (float features a user gives an int8
    model go through here, images through :func:`quantize_images`)."""
    scaled = np.asarray(x, dtype=np.float64) / scale
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)
    return np.clip(rounded + zero_point, -128, 127).astype(np.int8)
