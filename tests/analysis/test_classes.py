import numpy as np
import pytest

from tinyedge.analysis import (
    bottom_k_accuracy,
    class_extremes,
    gini,
    null_gini,
    top_k_class_accuracy,
)


def test_gini_by_hand():
    # [0, 0, 1, 1]: 8 ordered pairs with |Δ| = 1, n² = 16, mean ½ → 8 / (2·16·½) = 0.5.
    assert gini(np.array([0.0, 0.0, 1.0, 1.0])) == pytest.approx(0.5)
    # Equal values → 0; one class holds everything → (n − 1)/n.
    assert gini(np.full(5, 0.7)) == 0.0
    assert gini(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(3 / 4)
    # [1, 2, 3]: Σ|Δ| over ordered pairs = 2·(1 + 2 + 1) = 8, n² = 9, mean 2 → 8/36.
    assert gini(np.array([1.0, 2.0, 3.0])) == pytest.approx(8 / 36)
    # Order does not matter.
    assert gini(np.array([3.0, 1.0, 2.0])) == pytest.approx(8 / 36)


def test_gini_all_zero_is_zero():
    assert gini(np.zeros(4)) == 0.0


def test_gini_nan_policy():
    x = np.array([0.0, np.nan, 0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="nan='omit'"):
        gini(x)
    assert gini(x, nan="omit") == pytest.approx(0.5)
    with pytest.raises(ValueError):
        gini(np.array([-0.1, 0.5]))


def test_null_gini():
    # p = 1 (or 0): every class accuracy is exactly 1 → Gini 0 in every draw.
    assert null_gini(1.0, 100, 100, n_sim=50)[:3] == (0.0, 0.0, 0.0)
    assert null_gini(0.0, 100, 100, n_sim=50)[:3] == (0.0, 0.0, 0.0)
    small = null_gini(0.5, 10, 100, n_sim=300, seed=1)
    large = null_gini(0.5, 10_000, 100, n_sim=300, seed=1)
    assert small.low <= small.mean <= small.high
    # Binomial noise shrinks like 1/√n: ×1000 images → ~×1/31.6 Gini.
    assert large.mean < 0.01 < small.mean
    assert large.mean == pytest.approx(small.mean / np.sqrt(1000), rel=0.25)
    assert null_gini(0.5, 10, 100, n_sim=300, seed=1) == small


def test_bottom_and_top_k_by_hand():
    acc = np.array([0.9, 0.1, 0.5, 0.3])
    assert bottom_k_accuracy(acc, 2) == pytest.approx(0.2)  # (0.1 + 0.3)/2
    assert top_k_class_accuracy(acc, 2) == pytest.approx(0.7)  # (0.9 + 0.5)/2
    assert bottom_k_accuracy(acc, 4) == top_k_class_accuracy(acc, 4) == pytest.approx(0.45)
    with pytest.raises(ValueError, match="k must be"):
        bottom_k_accuracy(acc, 5)


def test_class_extremes_default_ks():
    acc = np.arange(100) / 100  # classes at 0.00, 0.01, …, 0.99
    out = class_extremes(acc)
    assert out["bottom5"] == pytest.approx(0.02)  # mean of 0.00…0.04
    assert out["top5"] == pytest.approx(0.97)  # mean of 0.95…0.99
    assert out["bottom10"] == pytest.approx(0.045)
    assert out["bottom20"] == pytest.approx(0.095)
    assert out["top20"] == pytest.approx(0.895)
    assert class_extremes(np.array([0.9, 0.1, 0.5, 0.3]), ks=(2, 5)) == pytest.approx(
        {"bottom2": 0.2, "top2": 0.7})
