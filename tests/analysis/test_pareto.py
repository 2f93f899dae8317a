"""Pareto front of accuracy vs cost against cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tinyedge.analysis import pareto_front


def test_dominated_points_are_off_the_front():
    # point 2 is beaten by point 1 (cheaper, more accurate); point 3 by points 0 and 1
    got = pareto_front(np.array([1, 2, 3, 2]), np.array([0.5, 0.7, 0.6, 0.4]))
    assert got.tolist() == [True, True, False, False]


def test_ties_stay_on_the_front_and_equal_cost_keeps_the_better():
    got = pareto_front(np.array([1.0, 1.0, 1.0]), np.array([0.8, 0.8, 0.6]))
    assert got.tolist() == [True, True, False]


def test_nan_is_never_on_the_front_and_does_not_dominate():
    got = pareto_front(np.array([np.nan, 2.0, 3.0]), np.array([0.99, 0.5, 0.6]))
    assert got.tolist() == [False, True, True]


def test_empty_and_mismatched_input():
    assert pareto_front(np.array([]), np.array([])).tolist() == []
    with pytest.raises(ValueError):
        pareto_front(np.array([1.0, 2.0]), np.array([0.5]))
