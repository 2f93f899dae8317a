import numpy as np
import pytest

from tinyedge.analysis import (
    confidence_bins,
    expected_calibration_error,
    mean_confidence_split,
    reliability_curve,
    softmax,
)


def test_bins_are_right_closed_like_ece():
    # 15 bins: 0.6 = 9/15 is the right edge of bin 8; 0.61 → bin 9; 1.0 → 14; 0 → 0.
    np.testing.assert_array_equal(confidence_bins(np.array([0.6, 0.61, 1.0, 0.0])),
                                  [8, 9, 14, 0])


def test_reliability_curve_by_hand():
    # Max probs 0.9 (right), 0.9 (wrong), 0.6 (right).
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.4, 0.6]])
    curve = reliability_curve(np.array([0, 1, 1]), probs)
    assert curve.count.tolist() == [0] * 8 + [1, 0, 0, 0, 0, 2, 0]
    assert curve.accuracy[13] == 0.5 and curve.confidence[13] == pytest.approx(0.9)
    assert curve.accuracy[8] == 1.0 and curve.confidence[8] == pytest.approx(0.6)
    assert np.isnan(curve.accuracy[0]) and np.isnan(curve.confidence[0])
    assert len(curve.edges) == 16 and curve.edges[9] == pytest.approx(0.6)


def test_reliability_curve_reproduces_ece():
    rng = np.random.default_rng(0)
    probs = softmax(rng.normal(size=(300, 5)) * 2)
    labels = rng.integers(0, 5, 300)
    curve = reliability_curve(labels, probs)
    seen = curve.count > 0
    ece = np.sum(curve.count[seen] / 300 * np.abs(curve.accuracy[seen] - curve.confidence[seen]))
    assert ece == pytest.approx(expected_calibration_error(labels, probs))
    assert curve.count.sum() == 300


def test_mean_confidence_split_by_hand():
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.3, 0.7]])
    # Correct: rows 0 (0.9) and 2 (0.7) → 0.8; wrong: row 1 (0.6).
    split = mean_confidence_split(np.array([0, 0, 1]), probs)
    assert split.correct == pytest.approx(0.8) and split.wrong == pytest.approx(0.6)
    perfect = mean_confidence_split(np.array([0]), np.array([[0.8, 0.2]]))
    assert perfect.correct == pytest.approx(0.8) and np.isnan(perfect.wrong)
