import numpy as np
import pytest

from tinyedge.analysis import (
    alpha_over_seeds,
    broken_power_law,
    compare_scaling_models,
    fit_broken_power_law,
    fit_power_law,
    information_criteria,
    local_exponents,
)

SIZES = np.logspace(4, 8, 10)  # 10 sizes, 1e4 … 1e8 parameters
# A clearly broken law: slope 0.05 below N_b = 1e6, 0.6 above, bend over ~0.3 e-folds.
BROKEN_THETA = (np.log(2.0), 0.05, 0.6, np.log(1e6), 0.3)


def _noisy(e: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    return e * np.exp(np.random.default_rng(seed).normal(0.0, sigma, len(e)))


def test_exact_power_law_recovers_alpha_and_r2():
    # N [10, 100], e [0.1, 0.01]: one decade of N, one decade of e → α = 1, b = ln 1 = 0.
    fit = fit_power_law(np.array([10.0, 100.0]), np.array([0.1, 0.01]))
    assert fit.alpha == pytest.approx(1.0) and fit.intercept == pytest.approx(0.0, abs=1e-12)
    fit = fit_power_law(SIZES, 2.0 * SIZES**-0.5)
    assert fit.alpha == pytest.approx(0.5) and fit.intercept == pytest.approx(np.log(2.0))
    assert fit.r2 == pytest.approx(1.0) and fit.rss == pytest.approx(0.0, abs=1e-20)


def test_r2_by_hand():
    # x = ln N = [0, 1, 2], y = ln e = [0, −2, −2]: slope −1 (α = 1), b = −1/3;
    # residuals [1/3, −2/3, 1/3] → RSS 2/3; TSS (4/3)² + 2·(2/3)² = 8/3 → R² = 0.75.
    fit = fit_power_law(np.exp([0.0, 1.0, 2.0]), np.exp([0.0, -2.0, -2.0]))
    assert fit.alpha == pytest.approx(1.0)
    assert fit.intercept == pytest.approx(-1 / 3)
    assert fit.rss == pytest.approx(2 / 3)
    assert fit.r2 == pytest.approx(0.75)


def test_flat_curve_is_alpha_zero_r2_one():
    fit = fit_power_law(np.array([1e4, 1e5, 1e6]), np.full(3, 0.3))
    assert fit.alpha == 0.0 and fit.r2 == 1.0


def test_power_law_rejects_bad_input():
    with pytest.raises(ValueError, match="2 distinct sizes"):
        fit_power_law(np.array([10.0, 10.0]), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="> 0"):
        fit_power_law(np.array([10.0, 100.0]), np.array([0.1, 0.0]))


def test_local_exponents_of_a_known_curve():
    # ln(1/0.5)/ln 10 = log10 2; ln(0.5/0.05)/ln 10 = 1. Input order does not matter.
    np.testing.assert_allclose(
        local_exponents(np.array([100.0, 1.0, 10.0]), np.array([0.05, 1.0, 0.5])),
        [np.log10(2.0), 1.0])
    # On an exact power law every local exponent equals α.
    np.testing.assert_allclose(local_exponents(SIZES, 3 * SIZES**-0.3), np.full(9, 0.3))


def test_alpha_over_seeds_by_hand():
    n = np.array([10.0, 100.0, 1000.0])
    params = np.concatenate([n, n])
    error = np.concatenate([n**-1.0, n**-0.5])
    seeds = np.array([0, 0, 0, 1, 1, 1])
    per_seed, mean, std = alpha_over_seeds(params, error, seeds)
    assert per_seed == pytest.approx({0: 1.0, 1: 0.5})
    assert mean == pytest.approx(0.75)
    assert std == pytest.approx(0.5 / np.sqrt(2))  # sample std of two values |a−b|/√2


def test_information_criteria_by_hand():
    # RSS/n = 1 → n·ln 1 = 0; AIC = 2·3 = 6; BIC = 3·ln 8.
    aic, bic = information_criteria(8.0, 8, 3)
    assert aic == pytest.approx(6.0) and bic == pytest.approx(3 * np.log(8))


def test_broken_power_law_shape():
    # Equal exponents reduce to a single power law A·N^(−α).
    theta = (np.log(3.0), 0.4, 0.4, np.log(1e6), 0.5)
    np.testing.assert_allclose(broken_power_law(SIZES, theta), 3.0 * SIZES**-0.4)
    # Far from the break the local slopes are α1 and α2.
    far = np.array([1.0, 10.0, 1e11, 1e12])
    slopes = local_exponents(far, broken_power_law(far, BROKEN_THETA))
    assert slopes[0] == pytest.approx(0.05, abs=1e-3)
    assert slopes[2] == pytest.approx(0.6, abs=1e-3)


def test_broken_law_is_recovered_and_preferred():
    error = _noisy(broken_power_law(SIZES, BROKEN_THETA), 0.005, seed=0)
    fit = fit_broken_power_law(SIZES, error)
    assert fit.alpha1 == pytest.approx(0.05, abs=0.05)
    assert fit.alpha2 == pytest.approx(0.6, abs=0.05)
    assert np.log10(fit.n_break) == pytest.approx(6.0, abs=0.3)
    result = compare_scaling_models(SIZES, error)
    assert result.verdict == "broken power law"
    assert result.aic_broken < result.aic_power_law and result.bic_broken < result.bic_power_law


def test_single_law_is_preferred_on_a_single_law():
    noisy = _noisy(3.0 * SIZES**-0.3, 0.01, seed=1)
    assert compare_scaling_models(SIZES, noisy).verdict == "power law"
    # Exact: both fits reach the RSS floor; the penalty picks the simpler law.
    exact = compare_scaling_models(SIZES[:6], 3.0 * SIZES[:6] ** -0.3)
    assert exact.verdict == "power law" and exact.aic_broken > exact.aic_power_law


def test_too_few_sizes_skip_the_broken_fit():
    result = compare_scaling_models(SIZES[:5], 3.0 * SIZES[:5] ** -0.3)
    assert result.broken is None and result.aic_broken is None
    assert result.verdict == "power law"
    with pytest.raises(ValueError, match="6 distinct sizes"):
        fit_broken_power_law(SIZES[:5], 3.0 * SIZES[:5] ** -0.3)


def test_aicc_by_hand():
    from tinyedge.analysis import aicc

    assert aicc(6.0, 10, 3) == pytest.approx(10.0)  # 6 + 2·3·4/(10 − 3 − 1)
    assert aicc(6.0, 4, 3) is None  # n ≤ k + 1


def test_aicc_criterion_on_a_clear_break():
    error = _noisy(broken_power_law(SIZES, BROKEN_THETA), 0.005, seed=0)
    result = compare_scaling_models(SIZES, error, criterion="aicc")
    assert result.verdict == "broken power law"
    assert result.aicc_broken < result.aicc_power_law
    with pytest.raises(ValueError, match="criterion"):
        compare_scaling_models(SIZES, error, criterion="r2")  # type: ignore[arg-type]


def test_broken_law_jacobian_matches_finite_differences():
    from tinyedge.analysis.scaling import _broken_log, _broken_log_jacobian

    x = np.log(SIZES)
    theta = np.array([0.7, 0.1, 0.5, 13.0, 0.4])
    numeric = np.empty((len(x), 5))
    for j in range(5):
        step = np.zeros(5)
        step[j] = 1e-6
        numeric[:, j] = (_broken_log(x, *(theta + step)) - _broken_log(x, *(theta - step))) / 2e-6
    np.testing.assert_allclose(_broken_log_jacobian(x, theta), numeric, rtol=1e-6, atol=1e-8)
