"""Requantization constants match TFLite Micro's Prepare-time arithmetic."""

from __future__ import annotations

import pytest

from tinyedge.errors import ModelError
from tinyedge.firmware import quant


@pytest.mark.parametrize(
    ("real", "expected"),
    [
        (0.0, (0, 0)),
        (0.5, (1 << 30, 0)),
        (1.0, (1 << 30, 1)),
        (0.75, (3 << 29, 0)),
        (1 - 2.0**-40, (1 << 30, 1)),  # significand rounds up to 2**31: renormalized
        (2.0**-40, (0, 0)),  # exponent below -31 flushes to zero
        (0.1, (1717986918, -3)),
    ],
)
def test_quantize_multiplier(real: float, expected: tuple[int, int]) -> None:
    assert quant.quantize_multiplier(real) == expected


def test_round_half_away_from_zero() -> None:
    assert [quant.round_half_away(v) for v in (0.5, 1.5, 2.5, -0.5, -2.5)] == [1, 2, 3, -1, -3]


def test_activation_ranges() -> None:
    assert quant.activation_range("NONE", 0.1, 3) == (-128, 127)
    assert quant.activation_range("RELU", 0.1, -10) == (-10, 127)
    assert quant.activation_range("RELU6", 0.05, -128) == (-128, -8)
    with pytest.raises(ModelError, match="TANH"):
        quant.activation_range("TANH", 0.1, 0)


def test_mean_multiplier_folds_count() -> None:
    base, shift = quant.quantize_multiplier(0.5)
    assert quant.mean_multiplier(0.5, 1.0, 4) == (base, shift - 2)  # /4 is exact
    multiplier, new_shift = quant.mean_multiplier(0.5, 1.0, 3)
    assert (multiplier, new_shift) == ((base << 1) // 3, shift - 1)


def test_add_rejects_output_scale_that_needs_a_multiplier_above_one() -> None:
    with pytest.raises(ModelError, match="ADD output scale"):
        quant.add_multipliers(1.0, 1.0, 1e-9)


def test_softmax_params_worked_example_and_saturation() -> None:
    # beta * scale * 2^26 = 2^22 -> 2^30 * 2^(23 - 31); radius floor(31 * 2^26 / 2^23)
    assert quant.softmax_params(1.0, 1 / 16) == {
        "input_multiplier": 1 << 30, "input_left_shift": 23, "diff_min": -248}
    # beyond 2^30 TFLM saturates the multiplier: only differences of 0 and -1 survive
    assert quant.softmax_params(1.0, 64.0) == {
        "input_multiplier": (1 << 31) - 1, "input_left_shift": 30, "diff_min": -1}
    with pytest.raises(ModelError, match="too small"):
        quant.softmax_params(1.0, 2.0**-27)


def test_logistic_params_radius_and_range() -> None:
    p = quant.logistic_params(1 / 16, -3)  # 2^23 = 0.5 * 2^24: multiplier 2^30, shift 24
    assert p == {"input_zero_point": -3, "input_range_radius": 15 * 2**27 // 2**24,
                 "input_multiplier": 1 << 30, "input_left_shift": 24}
    with pytest.raises(ModelError, match="LOGISTIC input scale"):
        quant.logistic_params(16.0, 0)


def test_hard_swish_params_are_q15() -> None:
    p = quant.hard_swish_params(0.02, 5, 0.015, -100)
    assert 0 <= p["reluish_multiplier"] <= 32767 and 0 <= p["output_multiplier"] <= 32767
    assert p["output_exponent"] <= 0
    with pytest.raises(ModelError, match="HARD_SWISH scales"):
        quant.hard_swish_params(0.02, 0, 100.0, 0)  # output scale 640000x the hires input's
