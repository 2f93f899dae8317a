"""Requantization constants computed exactly as TFLite Micro computes them at Prepare time.

Scales arrive as float32 in the model; TFLM widens them to double before dividing, rounds
with ``std::round`` (half away from zero) and stores a Q31 significand plus an exponent.
"""

from __future__ import annotations

import math

import numpy as np

from tinyedge.errors import ModelError

INT8_MIN = -128
INT8_MAX = 127
ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def round_half_away(x: float) -> int:
    """``std::round``: nearest integer, ties away from zero (Python's round() is banker's)."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def quantize_multiplier(real: float, what: str = "multiplier",
                        saturate: bool = False) -> tuple[int, int]:
    """Split ``real`` into (q, shift) with real ~= q * 2**(shift - 31), q in [2**30, 2**31).

    Example: 0.5 -> (1073741824, 0); 1.0 -> (1073741824, 1); 0.0 -> (0, 0). An exponent
    above 30 is refused, or with ``saturate`` clamped to (2**31 - 1, 30) as TFLM does.
    """
    if not math.isfinite(real) or real < 0:
        raise ModelError(f"{what} {real!r} is not a finite non-negative number")
    if real == 0.0:
        return 0, 0
    significand, shift = math.frexp(real)
    q = round_half_away(significand * (1 << 31))
    if q == 1 << 31:  # rounding carried into the next power of two
        q //= 2
        shift += 1
    if shift < -31:  # too small to represent: TFLM flushes to zero
        return 0, 0
    if shift > 30 and saturate:
        return (1 << 31) - 1, 30
    if shift > 30:
        raise ModelError(f"{what} {real!r} is too large for int32 fixed point (exponent {shift})")
    return q, shift


def quantize_multiplier_smaller_than_one(real: float, what: str = "multiplier") -> tuple[int, int]:
    """As TFLM's QuantizeMultiplierSmallerThanOneExp: only 0 < real < 1 is accepted."""
    if not 0.0 < real < 1.0:
        raise ModelError(f"{what} {real!r} must lie in (0, 1) for int8 ADD")
    return quantize_multiplier(real, what)


def conv_multipliers(
    input_scale: float, filter_scales: list[float], output_scale: float, channels: int
) -> tuple[list[int], list[int]]:
    """Per-output-channel (multiplier, shift) of conv/depthwise/FC; a single filter scale is
    broadcast over the channels, as TFLM's PopulateConvolutionQuantizationParams does."""
    scales = filter_scales if len(filter_scales) == channels else filter_scales[:1] * channels
    pairs = [
        quantize_multiplier(float(input_scale) * float(s) / float(output_scale), "conv scale")
        for s in scales
    ]
    return [m for m, _ in pairs], [s for _, s in pairs]


def activation_range(activation: str, scale: float, zero_point: int) -> tuple[int, int]:
    """Clamp range of a fused activation, in float32 like CalculateActivationRangeQuantized."""

    def quantize(value: float) -> int:
        with np.errstate(over="ignore", divide="ignore"):
            ratio = float(np.float32(value) / np.float32(scale))
        if not abs(ratio) < 2.0**31:  # TFLM casts this to int32: undefined beyond
            raise ModelError(
                f"output scale {scale!r} is too small for fused {activation}: the bound "
                f"{value} quantizes outside int32; re-export the model")
        return zero_point + round_half_away(ratio)

    if activation == "NONE":
        return INT8_MIN, INT8_MAX
    if activation == "RELU":
        return max(INT8_MIN, quantize(0.0)), INT8_MAX
    if activation == "RELU6":
        return max(INT8_MIN, quantize(0.0)), min(INT8_MAX, quantize(6.0))
    if activation == "RELU_N1_TO_1":
        return max(INT8_MIN, quantize(-1.0)), min(INT8_MAX, quantize(1.0))
    raise ModelError(f"unsupported fused activation {activation}; supported: {ACTIVATIONS}")


def mean_multiplier(
    input_scale: float, output_scale: float, count: int
) -> tuple[int, int]:
    """MEAN's requantization with the 1/count factor folded in, as TFLM's QuantizedMeanOrSum:
    the multiplier is widened by 2**floor(log2 count) (clamped so nothing overflows), divided
    by count with truncation, and the exponent lowered to match."""
    multiplier, shift = quantize_multiplier(float(input_scale) / float(output_scale), "MEAN scale")
    extra = min(count.bit_length() - 1, 32, 31 + shift)
    multiplier = (multiplier << extra) // count
    if multiplier >= 1 << 31:
        raise ModelError(f"MEAN multiplier overflows for count {count}")
    return multiplier, shift - extra


def add_multipliers(
    scale1: float, scale2: float, output_scale: float, left_shift: int = 20
) -> dict[str, int]:
    """ADD's five constants (TFLM's int8 scheme: inputs rescaled to twice the larger input
    scale after a 2**20 headroom shift, then the sum rescaled to the output)."""
    twice_max = 2.0 * float(max(np.float32(scale1), np.float32(scale2)))
    m1, s1 = quantize_multiplier_smaller_than_one(float(scale1) / twice_max, "ADD input1 scale")
    m2, s2 = quantize_multiplier_smaller_than_one(float(scale2) / twice_max, "ADD input2 scale")
    mo, so = quantize_multiplier_smaller_than_one(
        twice_max / ((1 << left_shift) * float(output_scale)), "ADD output scale"
    )
    return {
        "left_shift": left_shift,
        "input1_multiplier": m1,
        "input1_shift": s1,
        "input2_multiplier": m2,
        "input2_shift": s2,
        "output_multiplier": mo,
        "output_shift": so,
    }


def nearest_indices(in_size: int, out_size: int, align_corners: bool,
                    half_pixel_centers: bool) -> list[int]:
    """The input index RESIZE_NEAREST_NEIGHBOR reads for each of ``out_size`` outputs along
    one axis, as TFLite Micro computes it in single precision: scale = in / out (or
    (in - 1) / (out - 1) with align_corners), (i + offset) * scale floored (rounded half
    away from zero with align_corners), at most in - 1 (and at least 0 with half-pixel
    centers)."""
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    offset = f32(0.5) if half_pixel_centers else f32(0.0)
    indices = []
    for i in range(out_size):
        value = float((f32(i) + offset) * scale)  # a float32 result, exact as a double
        index = min(round_half_away(value) if align_corners else math.floor(value),
                    in_size - 1)
        indices.append(max(0, index) if half_pixel_centers else index)
    return indices


def input_radius(integer_bits: int, left_shift: int) -> int:
    """TFLM's CalculateInputRadius: the largest input difference whose rescaled value still
    fits Q<integer_bits>, floor((2**integer_bits - 1) * 2**(31 - integer_bits) / 2**shift)."""
    return math.floor(((1 << integer_bits) - 1) * (1 << (31 - integer_bits))
                      / (1 << left_shift))


SOFTMAX_DIFF_BITS = 5  # integer bits of the scaled differences (Q5.26)
SOFTMAX_OUTPUT = (1.0 / 256, -128)  # the int8 scale and zero point TFLM requires


def softmax_params(beta: float, input_scale: float) -> dict[str, int]:
    """int8 SOFTMAX's constants, as TFLM's PreprocessSoftmaxScaling: beta * input_scale
    scaled to Q5.26, capped at 2**31 - 1, must be at least 1 (a non-negative shift).

    Example: beta 1, scale 1/16 -> multiplier 2**30, left shift 23, diff_min -248."""
    if not (math.isfinite(beta) and beta > 0):  # TFLM would cap an infinite beta silently
        raise ModelError(f"SOFTMAX beta {beta!r} must be a finite positive number; "
                         "re-export the model")
    real = min(float(beta) * float(input_scale) * (1 << (31 - SOFTMAX_DIFF_BITS)),
               (1 << 31) - 1.0)
    if not real >= 1.0:
        raise ModelError(
            f"SOFTMAX beta {beta!r} times input scale {input_scale!r} is too small for the "
            "int8 kernel (TFLite Micro requires beta * scale >= 2^-26); re-export the model")
    multiplier, shift = quantize_multiplier(real, "SOFTMAX scale", saturate=True)
    return {"input_multiplier": multiplier, "input_left_shift": shift,
            "diff_min": -input_radius(SOFTMAX_DIFF_BITS, shift)}


LOGISTIC_INPUT_BITS = 4  # integer bits of the scaled input (Q4.27)


def logistic_params(input_scale: float, input_zero_point: int) -> dict[str, int]:
    """int8 LOGISTIC's constants, as TFLM's logistic Prepare: input_scale * 2**27 split by
    frexp (no carry correction), and the saturation radius for that shift."""
    significand, shift = math.frexp(float(input_scale) * (1 << (31 - LOGISTIC_INPUT_BITS)))
    multiplier = round_half_away(significand * (1 << 31))
    if not 0 <= shift <= 30 or multiplier >= 1 << 31:
        raise ModelError(
            f"LOGISTIC input scale {input_scale!r} is outside what the int8 kernel handles "
            "(about 2^-28 to 8); re-export the model")
    return {"input_zero_point": input_zero_point,
            "input_range_radius": input_radius(LOGISTIC_INPUT_BITS, shift),
            "input_multiplier": multiplier, "input_left_shift": shift}


def _q15_multiplier(real: float, what: str) -> tuple[int, int]:
    """TFLM's QuantizeMultiplier then DownScaleInt32ToInt16Multiplier."""
    q, shift = quantize_multiplier(real, what)
    q16 = (1 << 15) - 1 if q >= (1 << 31) - 1 - (1 << 15) else (q + (1 << 15)) >> 16
    return q16, shift


def hard_swish_params(input_scale: float, input_zero_point: int, output_scale: float,
                      output_zero_point: int) -> dict[str, int]:
    """int8 HARD_SWISH's constants, computed in float32 as TFLM's Prepare does: the input
    on a "hires" scale input/128, rescaled to the output and to the gate's scale 3/32768."""
    f32 = np.float32
    hires = f32(1.0 / 128.0) * f32(input_scale)
    out_mult, out_exp = _q15_multiplier(float(hires / f32(output_scale)), "HARD_SWISH scale")
    gate_mult, gate_exp = _q15_multiplier(float(hires / (f32(3.0) / f32(32768.0))),
                                          "HARD_SWISH gate scale")
    if not -15 <= out_exp <= 0 or not -15 <= gate_exp <= 16:
        raise ModelError(
            f"HARD_SWISH scales (input {input_scale!r}, output {output_scale!r}) are outside "
            "what the int8 kernel handles; re-export the model")
    return {"input_zero_point": input_zero_point, "output_zero_point": output_zero_point,
            "reluish_multiplier": gate_mult, "reluish_exponent": gate_exp,
            "output_multiplier": out_mult, "output_exponent": out_exp}
