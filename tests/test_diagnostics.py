"""Tests of skebm.sampling's convergence diagnostics.

The reference is ArviZ, whose rank-normalized R-hat and bulk/tail ESS are
the definitions of Vehtari et al. (2021): on the same draws, R-hat must agree
within 1e-3 and the ESS within 1% (they agree to rounding). Statistical
tolerances come from the Monte Carlo error of the estimator; seeds are fixed.
"""

import warnings

import numpy as np
import pytest
from scipy.signal import lfilter

from skebm.sampling import (
    MHSampler,
    autocorr_function,
    effective_sample_size,
    integrated_time,
    r_hat,
)

R_HAT_ATOL = 1e-3  # agreement promised with ArviZ
ESS_RTOL = 0.01


def arviz():
    with warnings.catch_warnings():
        # ArviZ 0.2x announces its coming 1.0 refactor on import.
        warnings.simplefilter("ignore", FutureWarning)
        return pytest.importorskip("arviz")


def ar1(rho, n_steps, n_chains, seed, n_dim=1, offsets=0.0):
    """AR(1) chains with unit marginal variance; tau = (1 + rho) / (1 - rho)."""
    noise = np.random.default_rng(seed).standard_normal((n_steps + 200, n_chains, n_dim))
    x = lfilter([np.sqrt(1 - rho**2)], [1, -rho], noise, axis=0)[200:]
    return x + np.reshape(offsets, (1, -1, 1))


def arviz_values(chain):
    """ArviZ's rank R-hat, split R-hat and bulk, tail, mean ESS of a chain."""
    az = arviz()
    data = az.convert_to_dataset({"x": np.moveaxis(chain, 0, 1)})  # (chain, draw, dim)
    return {
        "rank": az.rhat(data, method="rank")["x"].values,
        "split": az.rhat(data, method="split")["x"].values,
        **{m: az.ess(data, method=m)["x"].values for m in ("bulk", "tail", "mean")},
    }


def sticky_constant_chain():
    chain = ar1(0.5, 1000, 4, seed=6, n_dim=2)
    chain[:, 3] = 0.3  # one chain never moved
    return chain


CHAINS = {
    "well mixed, 3 dims": lambda: np.random.default_rng(0).standard_normal((1000, 4, 3)),
    "odd length": lambda: np.random.default_rng(1).standard_normal((1001, 4, 2)),
    "AR(1) 0.5": lambda: ar1(0.5, 2000, 4, seed=2, n_dim=2),
    # The acceptance case: sticky chains that have not mixed.
    "sticky AR(1) 0.95, offset means": lambda: ar1(
        0.95, 1000, 4, seed=3, n_dim=3, offsets=[0.0, 0.5, -0.5, 1.0]),
    "very sticky AR(1) 0.99": lambda: ar1(0.99, 500, 4, seed=4, n_dim=2),
    "antithetic AR(1) -0.6": lambda: ar1(-0.6, 1000, 4, seed=5),
    "Cauchy draws": lambda: np.random.default_rng(7).standard_t(1, size=(1000, 4, 2)),
    "ties (rounded)": lambda: np.round(ar1(0.8, 1000, 4, seed=8, n_dim=2)),
    "one chain stuck": sticky_constant_chain,
    "short": lambda: ar1(0.9, 10, 3, seed=9, n_dim=2),
}


@pytest.mark.parametrize("case", list(CHAINS))
def test_agrees_with_arviz(case):
    chain = CHAINS[case]()
    ref = arviz_values(chain)
    np.testing.assert_allclose(r_hat(chain), ref["rank"], rtol=0, atol=R_HAT_ATOL)
    np.testing.assert_allclose(r_hat(chain, "split"), ref["split"], rtol=0, atol=R_HAT_ATOL)
    for method in ("bulk", "tail", "mean"):
        np.testing.assert_allclose(effective_sample_size(chain, method), ref[method],
                                   rtol=ESS_RTOL)


def test_sticky_chains_are_flagged_like_arviz_does():
    chain = CHAINS["sticky AR(1) 0.95, offset means"]()
    assert np.all(r_hat(chain) > 1.1)
    # About 40 draws per independent one, times the offsets' disagreement.
    assert np.all(effective_sample_size(chain) < chain.shape[0] * chain.shape[1] / 40)


@pytest.mark.filterwarnings(
    "ignore:The chains have not converged:sklearn.exceptions.ConvergenceWarning")
def test_sampler_attributes_agree_with_arviz():
    def banana(theta):  # a curved target: the two dimensions mix differently
        return -0.5 * (theta[:, 0] ** 2 + (theta[:, 1] - theta[:, 0] ** 2) ** 2 / 0.1)

    mh = MHSampler(banana, vectorized=True, init=[0.0, 0.0], n_chains=6, n_steps=3001,
                   random_state=0).fit()
    ref = arviz_values(mh.chain_)
    np.testing.assert_allclose(mh.r_hat_, ref["rank"], rtol=0, atol=R_HAT_ATOL)
    np.testing.assert_allclose(mh.ess_, ref["bulk"], rtol=ESS_RTOL)
    np.testing.assert_allclose(mh.ess_tail_, ref["tail"], rtol=ESS_RTOL)
    n_draws = mh.chain_.shape[0] * mh.chain_.shape[1]
    np.testing.assert_allclose(mh.autocorr_time_, n_draws / mh.ess_, rtol=1e-12)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_integrated_time_of_ar1(rho):
    chain = ar1(rho, 20000, 16, seed=1)
    expected = (1 + rho) / (1 - rho)
    n = chain.shape[0] * chain.shape[1]
    # Relative standard error of a truncated autocorrelation sum with window M
    # is about sqrt(2 (2 M + 1) / N) (Sokal); Geyer's sequence stops near
    # M = 3 tau. Four standard errors.
    tol = 4 * np.sqrt(2 * (2 * (3 * expected + 1) + 1) / n)
    assert integrated_time(chain)[0] == pytest.approx(expected, rel=tol)
    assert effective_sample_size(chain)[0] == pytest.approx(n / expected, rel=tol)
    assert effective_sample_size(chain, "mean")[0] == pytest.approx(n / expected, rel=tol)


def test_antithetic_chains_have_more_than_n_effective_draws():
    chain = ar1(-0.6, 5000, 4, seed=10)
    n = chain.shape[0] * chain.shape[1]
    ess = effective_sample_size(chain)[0]
    assert n < ess <= n * np.log10(n)  # tau = 0.25, capped at n log10(n)


def test_autocorr_function_is_normalized_and_decays():
    acf = autocorr_function(ar1(0.8, 5000, 4, seed=2))
    assert acf.shape == (5000, 4, 1)
    np.testing.assert_allclose(acf[0], 1.0)
    # Each chain's lag-k estimate has a standard error of about
    # sqrt((1 + rho^2) / (1 - rho^2) / n) = 0.03 at lag 1 (Bartlett).
    np.testing.assert_allclose(acf[1, :, 0], 0.8, atol=4 * 0.03)
    np.testing.assert_allclose(acf[3, :, 0].mean(), 0.8**3, atol=4 * 0.05 / 2)
    short = autocorr_function(ar1(0.8, 5000, 4, seed=2), max_lag=10)
    np.testing.assert_array_equal(short, acf[:11])


def test_rank_r_hat_sees_scale_differences_split_r_hat_misses():
    rng = np.random.default_rng(11)
    chain = rng.standard_normal((2000, 4, 1)) * np.array([1.0, 1.0, 1.0, 4.0])[None, :, None]
    assert abs(r_hat(chain, "split")[0] - 1) < 0.01  # same location: blind
    assert r_hat(chain)[0] > 1.05  # the folded draws disagree


def test_r_hat_flags_disagreeing_chains():
    rng = np.random.default_rng(4)
    mixed = rng.standard_normal((2000, 4, 1))
    # R-hat - 1 is O(1 / n) for agreeing chains.
    assert abs(r_hat(mixed)[0] - 1) < 0.01
    # Chains centred on different values, as when stuck in separate modes.
    offsets = np.array([-1.0, -1.0, 1.0, 1.0])[None, :, None]
    apart = mixed + 3 * offsets
    assert r_hat(apart, "split")[0] > 2
    assert r_hat(apart)[0] > 1.5
    # Ranks bound the rank R-hat: once the groups are perfectly separated it
    # no longer grows with the distance (about 1.7), unlike the split R-hat.
    far, farther = mixed + 30 * offsets, mixed + 300 * offsets
    assert r_hat(far)[0] == pytest.approx(r_hat(farther)[0], rel=1e-12)
    assert r_hat(farther, "split")[0] > 5 * r_hat(far, "split")[0]
    # One drifting chain: its split halves disagree.
    drift = mixed[:, :1] + np.linspace(0, 6, 2000)[:, None, None]
    assert r_hat(drift)[0] > 1.5
    assert np.isnan(r_hat(mixed[:3])[0]) and np.isnan(effective_sample_size(mixed[:3])[0])


def test_a_stuck_chain_is_not_ignored():
    chain = sticky_constant_chain()
    moving = chain[:, :3]
    assert np.all(np.abs(r_hat(moving) - 1) < 0.01)
    # R-hat is what sees it: the stuck chain has no within-chain spread.
    assert np.all(r_hat(chain) > 1.5)


def test_constant_dimension_gives_nan_without_warnings():
    chain = np.random.default_rng(0).standard_normal((500, 3, 2))
    chain[:, :, 1] = 4.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = [r_hat(chain), r_hat(chain, "split"), integrated_time(chain),
                  *(effective_sample_size(chain, m) for m in ("bulk", "tail", "mean"))]
        acf = autocorr_function(chain)
    for v in values:
        assert np.isfinite(v[0]) and np.isnan(v[1])
    assert np.isnan(acf[:, :, 1]).all()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: integrated_time(np.zeros((10, 2))), "n_steps, n_chains, n_dim"),
        (lambda: r_hat(np.full((10, 2, 1), np.nan)), "NaN or infinite"),
        (lambda: r_hat(np.zeros((10, 2, 1)), method="folded"), "method"),
        (lambda: effective_sample_size(np.zeros((10, 2, 1)), method="median"), "method"),
        (lambda: autocorr_function(np.zeros((10, 2, 1)), max_lag=-1), "max_lag"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
