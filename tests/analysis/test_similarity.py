"""Float-vs-int8 output similarity: hand-computed cases and the undefined ones."""

import math

import numpy as np
import pytest

from tinyedge.analysis.similarity import (
    cosine_similarity,
    l2_relative_error,
    logit_similarity,
    mae,
    rmse,
)

R = np.array([[1.0, 0.0], [0.0, 1.0]])
X = np.array([[1.0, 0.0], [1.0, 1.0]])


def test_worked_example_of_the_docstring():
    s = logit_similarity(R, X)
    assert s.l2_relative_error == pytest.approx(1 / math.sqrt(2))
    assert s.cosine_similarity == pytest.approx(2 / math.sqrt(6))
    assert s.rmse == pytest.approx(0.5)
    assert s.mae == pytest.approx(0.25)
    assert s.top1_agreement == 0.5  # row 1: argmax 1 vs 0 (lowest index on the tie)
    assert s.n == 2


def test_second_hand_computed_case():
    r = np.array([[3.0, 4.0]])
    x = np.array([[3.0, 1.0]])  # d = [0, -3]
    assert l2_relative_error(r, x) == pytest.approx(3 / 5)
    assert cosine_similarity(r, x) == pytest.approx(13 / (5 * math.sqrt(10)))
    assert rmse(r, x) == pytest.approx(math.sqrt(9 / 2))
    assert mae(r, x) == pytest.approx(1.5)


def test_identical_outputs_are_perfect_and_scaled_ones_keep_the_cosine():
    s = logit_similarity(R * 2 - 0.5, R * 2 - 0.5)
    assert (s.l2_relative_error, s.rmse, s.mae, s.top1_agreement) == (0.0, 0.0, 0.0, 1.0)
    assert s.cosine_similarity == pytest.approx(1.0)
    assert cosine_similarity(R, 3 * R) == pytest.approx(1.0)
    assert cosine_similarity(R, -R) == pytest.approx(-1.0)


def test_undefined_cases():
    zero = np.zeros((2, 2))
    assert math.isnan(l2_relative_error(zero, X))
    assert math.isnan(cosine_similarity(zero, X))
    assert math.isnan(cosine_similarity(R, zero))
    assert rmse(zero, zero) == 0.0
    with pytest.raises(ValueError, match="one shape"):
        logit_similarity(R, X[:1])
    with pytest.raises(ValueError, match="empty"):
        rmse(np.zeros((0, 2)), np.zeros((0, 2)))
    with pytest.raises(ValueError, match="finite"):
        mae(R, np.array([[np.nan, 0.0], [0.0, 1.0]]))
