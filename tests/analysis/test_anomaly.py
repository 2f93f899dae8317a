"""The anomaly score (MSE per input) and the ROC AUC, against hand-computed cases."""

from itertools import product

import numpy as np
import pytest

from tinyedge.analysis.anomaly import reconstruction_error, roc_auc_score


def test_reconstruction_error_is_the_mean_squared_error_per_row():
    got = reconstruction_error(np.array([[0, 0], [1, 1]]), np.array([[1, 1], [1, 3]]))
    np.testing.assert_allclose(got, [1.0, 2.0])
    # trailing shapes are flattened per row: (1·1 + 0 + 0 + 2·2) / 4
    x = np.zeros((1, 2, 2))
    y = np.array([[[1.0, 0.0], [0.0, -2.0]]])
    np.testing.assert_allclose(reconstruction_error(x, y), [1.25])


@pytest.mark.parametrize("x, y", [(np.zeros((2, 3)), np.zeros((2, 4))),
                                  (np.zeros(3), np.zeros(3)),
                                  (np.zeros((0, 3)), np.zeros((0, 3))),
                                  (np.zeros((1, 2)), np.array([[0.0, np.nan]]))])
def test_reconstruction_error_refuses_mismatched_empty_or_nonfinite(x, y):
    with pytest.raises(ValueError):
        reconstruction_error(x, y)


@pytest.mark.parametrize("labels, scores, auc", [
    ([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.75),  # 3 of 4 (anomalous, normal) pairs right
    ([0, 1], [1.0, 1.0], 0.5),  # a tie counts one half
    ([0, 0, 1], [1.0, 2.0, 2.0], 0.75),  # (2 > 1) + ½ (2 = 2), over 2 pairs
    ([1, 1, 0, 0], [3.0, 3.0, 3.0, 1.0], 0.75),  # ties across and within the classes
    ([0, 0, 1, 1], [0.0, 1.0, 2.0, 3.0], 1.0),
    ([0, 0, 1, 1], [3.0, 2.0, 1.0, 0.0], 0.0),
    ([0, 1, 0, 1], [5.0, 5.0, 5.0, 5.0], 0.5),  # all tied
])
def test_roc_auc_matches_hand_computed_cases(labels, scores, auc):
    assert roc_auc_score(np.array(labels), np.array(scores)) == pytest.approx(auc)


def test_roc_auc_equals_the_pairwise_definition_on_random_ties():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 60)
    scores = rng.integers(0, 5, 60).astype(float)  # many ties
    pos, neg = scores[labels == 1], scores[labels == 0]
    pairs = [1.0 if p > q else 0.5 if p == q else 0.0 for p, q in product(pos, neg)]
    assert roc_auc_score(labels, scores) == pytest.approx(np.mean(pairs))


def test_roc_auc_is_undefined_with_one_class_and_refuses_bad_input():
    assert np.isnan(roc_auc_score(np.array([0, 0]), np.array([1.0, 2.0])))
    assert np.isnan(roc_auc_score(np.array([1]), np.array([1.0])))
    with pytest.raises(ValueError):
        roc_auc_score(np.array([0, 2]), np.array([1.0, 2.0]))  # labels must be 0/1
    with pytest.raises(ValueError):
        roc_auc_score(np.array([0, 1]), np.array([1.0]))
    with pytest.raises(ValueError):
        roc_auc_score(np.array([0, 1]), np.array([1.0, np.inf]))
