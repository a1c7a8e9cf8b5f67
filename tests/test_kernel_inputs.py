"""The kernel ridge predictions the joint energy reads above two target
columns."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import brentq
from scipy.stats import norm
from sklearn.metrics.pairwise import rbf_kernel

import skebm._kernel_inputs as kernel_inputs
from skebm import EnergyRegressor
from skebm._kernel_inputs import KernelRidgeInputs, conditional_spread


def _ridge_prediction(Z, y, w, penalty, Z_new):
    """Weighted ridge with an unpenalized intercept, solved directly:
    ``min sum w_j (y_j - b - Z_j c)^2 + penalty |c|^2``."""
    mean_z, mean_y = w @ Z / w.sum(), w @ y / w.sum()
    Zc = Z - mean_z
    c = np.linalg.solve(Zc.T @ (Zc * w[:, None]) + penalty * np.eye(Z.shape[1]),
                        Zc.T @ ((y - mean_y) * w[:, None]))
    return mean_y + (Z_new - mean_z) @ c


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = np.c_[np.sin(2 * X[:, 0]), X[:, 1] * X[:, 2], np.cos(X[:, 2])]
    y += 0.1 * rng.normal(size=y.shape)
    w = rng.uniform(0.5, 2.0, 40)
    return X, y, w


def test_leave_one_out_predictions_are_exact(data, monkeypatch):
    # one bandwidth and one penalty, so that the refits know which to use
    monkeypatch.setattr(kernel_inputs, "_GAMMA_FACTORS", (1.0,))
    monkeypatch.setattr(kernel_inputs, "_PENALTIES", np.array([0.01]))
    X, y, w = data
    inputs = KernelRidgeInputs(np.random.default_rng(0))
    out = inputs.fit_transform(X, y, w)
    np.testing.assert_array_equal(out[:, :3], X)
    # the features whose Gram matrix is the kernel: K^(1/2)
    K = rbf_kernel(X, gamma=inputs.gamma_)
    lam, V = np.linalg.eigh(K)
    keep = lam > 1e-10 * lam[-1]
    Z = K @ V[:, keep] / np.sqrt(lam[keep])
    wn = w / w.sum()
    for i in range(len(X)):
        rest = np.arange(len(X)) != i
        expected = _ridge_prediction(Z[rest], y[rest], wn[rest], 0.01, Z[i:i + 1])
        np.testing.assert_allclose(out[i, 3:], expected[0], rtol=1e-7, atol=1e-9)
    X_new = np.random.default_rng(1).normal(size=(5, 3))
    Z_new = rbf_kernel(X_new, X, gamma=inputs.gamma_) @ V[:, keep] / np.sqrt(lam[keep])
    np.testing.assert_allclose(inputs.transform(X_new)[:, 3:],
                               _ridge_prediction(Z, y, wn, 0.01, Z_new),
                               rtol=1e-7, atol=1e-9)


def test_choice_has_the_smallest_leave_one_out_error(data):
    X, y, w = data
    inputs = KernelRidgeInputs(np.random.default_rng(0))
    loo = inputs.fit_transform(X, y, w)[:, 3:]
    wn = w / w.sum()
    chosen = wn @ np.sum((y - loo) ** 2, axis=1)
    # a smooth target: a kernel ridge beats the mean, and the search keeps
    # the best of its own candidates
    assert chosen < 0.5 * (wn @ np.sum((y - wn @ y) ** 2, axis=1))
    scale = 1.0 / np.sum(wn @ (X - wn @ X) ** 2)
    for factor in kernel_inputs._GAMMA_FACTORS:
        other = inputs._path(X, y, wn, factor * scale)
        assert chosen <= other["error"] * (1 + 1e-12)


def test_rows_of_weight_zero_read_the_full_ridge(data):
    # a row of weight zero takes no part in the fit: its leave-one-out
    # prediction is the full ridge's (it was 0 / 0 once)
    X, y, w = data
    w = w.copy()
    w[:5] = 0.0
    inputs = KernelRidgeInputs(np.random.default_rng(0))
    out = inputs.fit_transform(X, y, w)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[:5], inputs.transform(X[:5]), rtol=1e-9,
                               atol=1e-12)


def test_many_rows_use_a_subset_of_centers(data, monkeypatch):
    monkeypatch.setattr(kernel_inputs, "_MAX_CENTERS", 10)
    X, y, w = data
    inputs = KernelRidgeInputs(np.random.default_rng(0))
    out = inputs.fit_transform(X, y, w)
    assert inputs.centers_.shape == (10, 3)
    assert np.isfinite(out).all()


def test_rows_beyond_the_fitted_ones_read_its_predictions(data, monkeypatch):
    # the ridge is fitted to 25 of 40 rows: the other 15 are out of its
    # sample and read its predictions, as new rows do (in blocks of 7)
    X, y, w = data
    monkeypatch.setattr(kernel_inputs, "_MAX_ROWS", 25)
    monkeypatch.setattr(kernel_inputs, "_BLOCK_ROWS", 7)
    inputs = KernelRidgeInputs(np.random.default_rng(0))
    out = inputs.fit_transform(X, y, w)
    assert inputs.centers_.shape == (25, 3)
    fitted = (X[:, None, :] == inputs.centers_[None]).all(axis=2).any(axis=1)
    assert fitted.sum() == 25
    np.testing.assert_allclose(out[~fitted], inputs.transform(X[~fitted]),
                               rtol=1e-12)
    # the fitted rows read leave-one-out predictions, not in-sample ones
    assert not np.allclose(out[fitted], inputs.transform(X[fitted]))
    # blocks of 7 rows give the predictions of one block
    monkeypatch.setattr(kernel_inputs, "_BLOCK_ROWS", 4096)
    np.testing.assert_allclose(out[~fitted], inputs.transform(X[~fitted]),
                               rtol=1e-12)


def test_float32_inputs_stay_float32(data):
    X, y, w = data
    inputs = KernelRidgeInputs(np.random.default_rng(0))
    assert inputs.fit_transform(X.astype(np.float32), y, w).dtype == np.float32
    assert inputs.transform(X.astype(np.float32)).dtype == np.float32


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_regressor_reads_kernel_predictions_above_two_columns(data):
    X, y, _ = data
    reg = EnergyRegressor(energy="joint", alpha=1e-3, max_iter=3, random_state=0)
    reg.fit(X, y)
    assert reg.energy_.n_features_ == 3 + 3
    # new rows read the predictions of the ridge fitted to every row
    expected = reg._inputs.transform(X[:4])
    np.testing.assert_array_equal(reg._check_X(X[:4]), expected)
    assert reg.predict(X).shape == (40, 3)
    # partial_fit continues with the same ridge, not a new one
    ridge = reg._inputs.then
    reg.partial_fit(X[:10], y[:10])
    assert reg._inputs.then is ridge
    # as does a model pickled before the input box, whose inputs are the ridge
    reg._inputs = ridge
    reg.partial_fit(X[:10], y[:10])
    assert reg._inputs is ridge
    # a warm-started fit reads leave-one-out predictions of its own rows
    reg.set_params(warm_start=True).fit(X[:30], y[:30])
    assert reg._inputs.then is not ridge and reg._inputs.then.centers_.shape[0] == 30
    # two columns and sparse inputs read X alone, other energies X unclipped
    assert EnergyRegressor(energy="joint", max_iter=2, alpha=1e-3).fit(
        X, y[:, :2])._inputs.then is None
    assert EnergyRegressor(energy="mlp", max_iter=2, alpha=1e-3).fit(
        X, y)._inputs is None
    assert EnergyRegressor(energy="joint", max_iter=2, alpha=1e-3).fit(
        sp.csr_matrix(X), y).energy_.n_features_ == 3


def _noisy_target(rng, n, noise):
    X = rng.uniform(-2, 2, size=(n, 2))
    y = np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] ** 2 + noise
    return X, (y - y.mean()) / y.std(), y.std()


def test_conditional_spread_estimates_the_noise():
    # a smooth mean plus noise of known deviation: 1.4826 times the median
    # absolute value of n Gaussian residuals has a relative standard error
    # of about 1.17 / sqrt(n)
    rng = np.random.default_rng(0)
    n, sigma = 400, 0.2
    X, z, scale = _noisy_target(rng, n, sigma * rng.normal(size=n))
    spread = conditional_spread(X, z[:, None], np.ones(n), np.random.RandomState(0))
    assert abs(spread / (sigma / scale) - 1) < 3 * 1.17 / np.sqrt(n)
    # rows of weight zero are left out, weights act as repetitions, the
    # columns' scales do not matter; sparse X gives no estimate (NaN)
    w = np.r_[np.ones(n), np.zeros(50)]
    X_more, z_more = np.r_[X, rng.normal(size=(50, 2))], np.r_[z, rng.normal(size=50)]
    assert conditional_spread(X_more, z_more[:, None], w, np.random.RandomState(0)
                              ) == pytest.approx(spread)
    # a feature that is 0 but for rounding (as a scaler makes of a constant)
    # stays near 0, not blown up to unit variance (a dimension of noise)
    rounding = (X[:, :1] + 0.3) - 0.3 - X[:, :1]
    assert np.ptp(rounding) > 0
    assert conditional_spread(np.c_[X, rounding], z[:, None], np.ones(n),
                              np.random.RandomState(0)) == pytest.approx(spread)
    twice = conditional_spread(np.r_[X, X], np.r_[z, z][:, None], np.ones(2 * n),
                               np.random.RandomState(0))
    weighted = conditional_spread(X, z[:, None], np.full(n, 2.0),
                                  np.random.RandomState(0))
    assert twice == pytest.approx(weighted) == pytest.approx(spread)
    assert conditional_spread(X * [1000.0, 0.001], z[:, None], np.ones(n),
                              np.random.RandomState(0)) == pytest.approx(spread)
    assert np.isnan(conditional_spread(sp.csr_matrix(X), z[:, None], np.ones(n),
                                       np.random.RandomState(0)))


def test_conditional_spread_follows_the_bulk_under_heavy_tails():
    # a tenth of the residuals ten times wider: the errors' RMS (3.3 times
    # the bulk's deviation) is ruled by them; the spread stays near the
    # mixture's robust deviation (1.4826 times its median absolute value,
    # solved below), above it only by the ridge's own error, which the wide
    # residuals inflate
    rng = np.random.default_rng(1)
    n, sigma, wide = 600, 0.2, rng.random(600) < 0.1
    noise = sigma * rng.normal(size=n) * np.where(wide, 10.0, 1.0)
    X, z, scale = _noisy_target(rng, n, noise)
    median = brentq(lambda m: 0.9 * (2 * norm.cdf(m / sigma) - 1)
                    + 0.1 * (2 * norm.cdf(m / (10 * sigma)) - 1) - 0.5, 1e-6, 10)
    expected = 1.4826 * median / scale
    spread = conditional_spread(X, z[:, None], np.ones(n), np.random.RandomState(0))
    ridge = KernelRidgeInputs(np.random.RandomState(0))
    ridge.fit_transform((X - X.mean(0)) / X.std(0), z[:, None], np.ones(n))
    rms = np.sqrt(ridge.loo_error_)
    assert expected <= spread < 1.5 * expected
    assert rms > 2 * spread


def test_conditional_spread_reads_a_subset_of_many_rows(monkeypatch):
    monkeypatch.setattr(kernel_inputs, "_SPREAD_ROWS", 100)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2))
    z = np.sin(X[:, :1]) + 0.3 * rng.normal(size=(300, 1))
    calls = []
    fit = KernelRidgeInputs.fit_transform

    def spy(self, X, y, w):
        calls.append(len(X))
        return fit(self, X, y, w)

    monkeypatch.setattr(KernelRidgeInputs, "fit_transform", spy)
    conditional_spread(X, z, np.ones(300), np.random.RandomState(0))
    assert calls == [100]
