import numpy as np
import pytest
from scipy.signal import lfilter

from skebm.sampling import (
    autocorr_function,
    effective_sample_size,
    integrated_time,
    split_r_hat,
)


def ar1(rho, n_steps, n_chains, seed):
    """AR(1) chains with unit marginal variance; tau = (1 + rho) / (1 - rho)."""
    noise = np.random.default_rng(seed).standard_normal((n_steps, n_chains, 1))
    x = lfilter([np.sqrt(1 - rho**2)], [1, -rho], noise, axis=0)
    return x[200:]  # drop the start-up transient


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_integrated_time_of_ar1(rho):
    chain = ar1(rho, 20000, 16, seed=1)
    expected = (1 + rho) / (1 - rho)
    # Relative error of Sokal's estimator ~ sqrt(2 (2 M + 1) / N), M ~ 5 tau:
    # below 4% here, so 15% is about four standard errors.
    assert integrated_time(chain)[0] == pytest.approx(expected, rel=0.15)
    n = chain.shape[0] * chain.shape[1]
    assert effective_sample_size(chain)[0] == pytest.approx(n / expected, rel=0.15)


def test_autocorr_function_is_normalized_and_decays():
    acf = autocorr_function(ar1(0.8, 5000, 4, seed=2))
    assert acf.shape == (4800, 4, 1)
    np.testing.assert_allclose(acf[0], 1.0)
    np.testing.assert_allclose(acf[1].mean(), 0.8, atol=0.05)


def test_constant_dimension_gives_nan_not_a_warning():
    chain = np.random.default_rng(0).standard_normal((500, 3, 2))
    chain[:, :, 1] = 4.0
    tau = integrated_time(chain)
    assert np.isfinite(tau[0]) and np.isnan(tau[1])
    assert np.isnan(split_r_hat(chain)[1])


def test_one_constant_chain_is_ignored_by_the_time():
    chain = ar1(0.5, 4000, 4, seed=3)
    reference = integrated_time(chain[:, :3])
    chain[:, 3] = 0.0
    np.testing.assert_allclose(integrated_time(chain), reference)


def test_split_r_hat():
    rng = np.random.default_rng(4)
    mixed = rng.standard_normal((2000, 4, 1))
    assert abs(split_r_hat(mixed)[0] - 1) < 0.01
    # Chains centred on different values, as when stuck in separate modes.
    apart = mixed + np.array([-3.0, -3.0, 3.0, 3.0])[None, :, None]
    assert split_r_hat(apart)[0] > 2
    # One drifting chain: the split halves disagree.
    drift = mixed[:, :1] + np.linspace(0, 6, 2000)[:, None, None]
    assert split_r_hat(drift)[0] > 1.5
    assert np.isnan(split_r_hat(mixed[:3])[0])


def test_chain_shape_is_checked():
    with pytest.raises(ValueError, match="n_steps, n_chains, n_dim"):
        integrated_time(np.zeros((10, 2)))
