import numpy as np
import pytest

from tinyedge.analysis import (
    error_indices,
    error_mask,
    error_rate,
    flips,
    jaccard,
    jaccard_containment_baseline,
    jaccard_independent_baseline,
    seed_pair_jaccard,
    top1_agreement,
)


def test_error_set_and_rate_by_hand():
    labels, pred = np.array([0, 1, 2, 3]), np.array([0, 2, 2, 0])
    np.testing.assert_array_equal(error_mask(labels, pred), [False, True, False, True])
    np.testing.assert_array_equal(error_indices(labels, pred), [1, 3])
    assert error_rate(labels, pred) == 0.5  # 2 wrong of 4


def test_error_rate_rejects_empty_and_mismatched():
    with pytest.raises(ValueError, match="empty"):
        error_rate(np.array([], dtype=int), np.array([], dtype=int))
    with pytest.raises(ValueError, match="same length"):
        error_mask(np.array([0, 1]), np.array([0]))


def test_jaccard_by_hand():
    # A = {0, 1}, B = {1, 2}: ∩ = {1}, ∪ = {0, 1, 2} → 1/3.
    assert jaccard(np.array([1, 1, 0, 0]), np.array([0, 1, 1, 0])) == pytest.approx(1 / 3)
    # Identical sets → 1; disjoint → 0; one empty → 0.
    assert jaccard(np.array([1, 0, 1]), np.array([1, 0, 1])) == 1.0
    assert jaccard(np.array([1, 0, 0]), np.array([0, 0, 1])) == 0.0
    assert jaccard(np.array([0, 0, 0]), np.array([0, 1, 0])) == 0.0


def test_jaccard_both_empty_is_one():
    # Two perfect models: 0/0, defined as 1 (identical, empty error sets).
    assert jaccard(np.zeros(4, bool), np.zeros(4, bool)) == 1.0


def test_independent_baseline_by_hand():
    # e_a = e_b = 0.5: 0.25 / (0.5 + 0.5 − 0.25) = 1/3.
    assert jaccard_independent_baseline(0.5, 0.5) == pytest.approx(1 / 3)
    # e_a = 0.2, e_b = 0.4: 0.08 / (0.6 − 0.08) = 0.08 / 0.52.
    assert jaccard_independent_baseline(0.2, 0.4) == pytest.approx(0.08 / 0.52)
    assert jaccard_independent_baseline(0.0, 0.3) == 0.0
    assert jaccard_independent_baseline(0.0, 0.0) == 1.0  # both perfect, as jaccard()
    with pytest.raises(ValueError):
        jaccard_independent_baseline(1.2, 0.1)


def test_containment_baseline_by_hand():
    assert jaccard_containment_baseline(0.2, 0.4) == pytest.approx(0.5)
    assert jaccard_containment_baseline(0.4, 0.2) == pytest.approx(0.5)
    assert jaccard_containment_baseline(0.0, 0.0) == 1.0
    # It is reached when the smaller set lies inside the larger one.
    a, b = np.array([1, 0, 0, 0, 0]), np.array([1, 1, 0, 0, 0])
    assert jaccard(a, b) == jaccard_containment_baseline(0.2, 0.4)


def test_seed_pairs_by_hand():
    # Pairs: (0,1) {0,1}∩{0} / ∪ = 1/2; (0,2) identical = 1; (1,2) = 1/2.
    masks = [np.array([1, 1, 0]), np.array([1, 0, 0]), np.array([1, 1, 0])]
    result = seed_pair_jaccard(masks, n_boot=500, seed=7)
    np.testing.assert_allclose(result.values, [0.5, 1.0, 0.5])
    assert result.n_pairs == 3
    assert result.mean == pytest.approx(2 / 3)
    # Sample std of [.5, 1, .5]: deviations −1/6, 1/3, −1/6 → Σ² = 1/6, /2 → √(1/12).
    assert result.std == pytest.approx(np.sqrt(1 / 12))
    assert 0.5 <= result.ci_low <= result.mean <= result.ci_high <= 1.0
    again = seed_pair_jaccard(masks, n_boot=500, seed=7)
    assert (again.ci_low, again.ci_high) == (result.ci_low, result.ci_high)


def test_seed_pairs_needs_two_seeds():
    with pytest.raises(ValueError, match="at least 2 seeds"):
        seed_pair_jaccard([np.array([1, 0])])


def test_flips_by_hand():
    # y = [0, 1, 2, 3]; A right on 0, 1; B right on 0, 2.
    # c→w: image 1 (A right, B wrong); w→c: image 2; image 3 wrong under both,
    # different wrong classes (0 vs 1). Agreement: only image 0 → 1/4.
    result = flips(np.array([0, 1, 2, 3]), np.array([0, 1, 0, 0]), np.array([0, 2, 2, 1]))
    assert result == (1, 1, 0.25, 4)
    assert top1_agreement(np.array([0, 1, 2]), np.array([0, 2, 2])) == pytest.approx(2 / 3)
