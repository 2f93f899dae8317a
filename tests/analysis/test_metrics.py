import numpy as np
import pytest

from tinyedge.analysis import (
    expected_calibration_error,
    per_class_accuracy,
    softmax,
    top_k_accuracy,
)


def test_softmax_rows_and_shift_invariance():
    p = softmax(np.array([[0.0, np.log(3.0)], [1000.0, 1000.0]]))
    np.testing.assert_allclose(p, [[0.25, 0.75], [0.5, 0.5]])


def test_top_k_by_hand():
    labels = np.array([0, 1, 2])
    scores = np.array([[0.6, 0.3, 0.1], [0.7, 0.2, 0.1], [0.1, 0.5, 0.4]])
    assert top_k_accuracy(labels, scores, 1) == pytest.approx(1 / 3)
    assert top_k_accuracy(labels, scores, 2) == pytest.approx(3 / 3)
    assert top_k_accuracy(labels, scores, 5) == 1.0  # k larger than classes = all


def test_top_1_ties_go_to_lower_index():
    assert top_k_accuracy(np.array([0, 1]), np.array([[1.0, 1.0], [2.0, 2.0]]), 1) == 0.5


def test_per_class_accuracy_by_hand_with_empty_class():
    acc = per_class_accuracy(np.array([0, 0, 1, 1, 1]), np.array([0, 1, 1, 1, 0]), 3)
    np.testing.assert_allclose(acc[:2], [0.5, 2 / 3])
    assert np.isnan(acc[2])


def test_ece_by_hand():
    # Two images at confidence 0.9, one right: one bin, |0.5 − 0.9| = 0.4.
    probs = np.array([[0.9, 0.1], [0.9, 0.1]])
    assert expected_calibration_error(np.array([0, 1]), probs) == pytest.approx(0.4)
    # Bins (15 equal-width): 0.6 → bin 9 (0.6 ≤ 9/15), 0.95 → bin 14. Both correct:
    # (1/2)|1 − 0.6| + (1/2)|1 − 0.95| = 0.2 + 0.025.
    probs = np.array([[0.6, 0.4], [0.05, 0.95]])
    assert expected_calibration_error(np.array([0, 1]), probs) == pytest.approx(0.225)


def test_ece_bin_edges_are_right_closed():
    # 0.6 is exactly the upper edge of bin 9 (9/15 = 0.6); 0.61 falls in bin 10.
    # Same bin → (|1−0.6| + |0−0.6|)/2 averaged first: acc 0.5, conf 0.6 → 0.1.
    probs = np.array([[0.6, 0.4], [0.4, 0.6]])
    assert expected_calibration_error(np.array([0, 0]), probs) == pytest.approx(0.1)
    # Different bins → each alone: ½|1−0.6| + ½|0−0.61| = 0.505.
    probs = np.array([[0.6, 0.4], [0.39, 0.61]])
    assert expected_calibration_error(np.array([0, 0]), probs) == pytest.approx(0.505)


def test_perfectly_calibrated_is_zero():
    probs = np.array([[0.75, 0.25]] * 4)
    assert expected_calibration_error(np.array([0, 0, 0, 1]), probs) == pytest.approx(0.0)
