import numpy as np
import pytest

from tinyedge.analysis import bootstrap_ci, mean_std


def test_mean_std_by_hand():
    assert mean_std(np.array([1.0, 2.0, 3.0])) == (2.0, 1.0, 3)  # Σ(dev²)=2, /(3−1) → 1
    single = mean_std(np.array([4.0]))
    assert single.mean == 4.0 and np.isnan(single.std)


def test_bootstrap_constant_sample_has_zero_width():
    assert bootstrap_ci(np.array([2.0, 2.0, 2.0]), n_boot=100)[:3] == (2.0, 2.0, 2.0)


def test_bootstrap_contains_mean_and_is_deterministic():
    x = np.array([0.1, 0.4, 0.35, 0.2, 0.5, 0.3])
    ci = bootstrap_ci(x, n_boot=2000, seed=3)
    assert ci.estimate == pytest.approx(x.mean())
    assert x.min() <= ci.low < ci.estimate < ci.high <= x.max()
    assert bootstrap_ci(x, n_boot=2000, seed=3) == ci
    assert bootstrap_ci(x, n_boot=2000, seed=4) != ci
    # A generator is accepted too and used as is.
    assert bootstrap_ci(x, n_boot=2000, seed=np.random.default_rng(3)) == ci


def test_bootstrap_rejects_bad_options():
    with pytest.raises(ValueError):
        bootstrap_ci(np.array([1.0]), confidence=1.0)
    with pytest.raises(ValueError):
        bootstrap_ci(np.array([1.0]), statistic="mode")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        bootstrap_ci(np.array([]))
