"""Confusion matrices, their difference, flipped images and class flows against cases
worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tinyedge.analysis import (
    Flow,
    class_flows,
    confusion_difference,
    confusion_matrix,
    flipped_images,
    flips,
)


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    m = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 0]), 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [2, 0, 1]]
    assert m.dtype == np.int64


def test_confusion_difference_is_b_minus_a_and_rows_sum_to_zero():
    labels = np.array([0, 0, 1])
    d = confusion_difference(labels, np.array([0, 0, 1]), np.array([0, 1, 1]), 2)
    assert d.tolist() == [[-1, 1], [0, 0]]
    rng = np.random.default_rng(0)
    y, a, b = (rng.integers(0, 5, 200) for _ in range(3))
    assert (confusion_difference(y, a, b, 5).sum(axis=1) == 0).all()


def test_flipped_images_are_the_flips_counted():
    labels = np.array([0, 1, 2, 3])
    a, b = np.array([0, 0, 2, 3]), np.array([1, 1, 2, 0])
    got = flipped_images(labels, a, b)
    assert got.correct_to_wrong.tolist() == [0, 3]
    assert got.wrong_to_correct.tolist() == [1]
    f = flips(labels, a, b)
    assert (f.correct_to_wrong, f.wrong_to_correct) == (2, 1)


def test_class_flows_sorted_by_count_then_classes():
    a, b = np.array([0, 0, 0, 1, 2]), np.array([1, 1, 2, 1, 0])
    assert class_flows(a, b) == [Flow(0, 1, 2), Flow(0, 2, 1), Flow(2, 0, 1)]
    assert class_flows(a, b, top=1) == [Flow(0, 1, 2)]


def test_class_flows_of_identical_predictions_are_empty():
    assert class_flows(np.array([3, 1, 2]), np.array([3, 1, 2])) == []


@pytest.mark.parametrize("call", [
    lambda: confusion_matrix(np.array([0, 3]), np.array([0, 1]), 3),
    lambda: confusion_matrix(np.array([0, 1]), np.array([0]), 2),
    lambda: class_flows(np.array([0]), np.array([1]), top=-1),
])
def test_bad_input_is_refused(call):
    with pytest.raises(ValueError):
        call()
