"""After a margin loss, beta="auto" also tilts the joint energy's Gibbs
distribution to the targets' location."""

import pickle
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skebm import EnergyRegressor
from skebm.inference import IntervalSpace
from skebm.inference._temperature import fit_tilt


def _nll(logits, nodes, w, target_logits, points, g):
    return w @ (logsumexp(logits + g * nodes, axis=1)
                - logsumexp(target_logits + g * points, axis=1))


@pytest.mark.parametrize("n_points", [1, 4])
def test_fit_tilt_maximizes_the_likelihood_and_matches_the_mean(n_points):
    rng = np.random.default_rng(0)
    n, M, beta = 50, 40, 2.0
    nodes = np.linspace(-3, 3, M)
    logits = -beta * rng.normal(size=(n, M))
    # targets (or cells of n_points points) off to one side of the grid
    points = rng.uniform(0.5, 2.5, (n, 1)) + np.linspace(0, 0.3, n_points)
    target_logits = -beta * rng.normal(size=(n, n_points))
    w = rng.uniform(0.5, 1.5, n)
    w /= w.sum()
    t = fit_tilt(logits, nodes, beta, w, target_logits, points)
    assert t > 0
    g = beta * t
    best = _nll(logits, nodes, w, target_logits, points, g)
    for step in (-1e-3, 1e-3):
        assert _nll(logits, nodes, w, target_logits, points, g + step) > best
    # the optimum's condition: the Gibbs mean, averaged over the rows, is
    # the targets' (their cells' Gibbs mean)
    p = np.exp(logits + g * nodes - logsumexp(logits + g * nodes, axis=1,
                                              keepdims=True))
    q = np.exp(target_logits + g * points
               - logsumexp(target_logits + g * points, axis=1, keepdims=True))
    assert w @ (p @ nodes) == pytest.approx(w @ np.sum(q * points, axis=1),
                                            abs=1e-8)


@pytest.fixture(scope="module")
def skewed():
    # diabetes's target made skewed and positive, as counts and amounts are
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), np.exp((y - y.mean()) / y.std())


def _fit(X, y, **params):
    reg = EnergyRegressor(energy="joint", alpha=1.0, max_iter=30, random_state=0,
                          **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return reg.fit(X, y)


def test_tilt_moves_a_margin_loss_mean_to_the_targets(skewed, monkeypatch):
    # the perceptron's Gibbs mean at its fitted temperature sat above the
    # targets of a skewed target; tilted, the means agree on average
    X, y = skewed
    reg = _fit(X, y, loss="perceptron")
    assert reg.answer_space_.tilt != 0.0
    bias = abs(reg.predict(X).mean() - y.mean()) / y.std()
    monkeypatch.setattr(IntervalSpace, "fit_tilt", lambda self, *args: 0.0)
    untilted = _fit(X, y, loss="perceptron")
    assert untilted.answer_space_.tilt == 0.0
    untilted_bias = abs(untilted.predict(X).mean() - y.mean()) / y.std()
    assert untilted_bias > 0.1
    assert bias < 0.02


def test_tilt_reaches_every_density_method(skewed):
    X, y = skewed
    # untied targets: no cells, the density of a point is exact
    y = y * (1 + 1e-6 * np.random.default_rng(0).random(len(y)))
    reg = _fit(X[:200], y[:200], loss="hinge")
    tilted = reg.answer_space_.without_floor()
    flat = tilted.tilted(0.0)
    energy, beta, t = reg.energy_, reg.beta_, tilted.tilt
    assert tilted.cells is None and t != 0.0
    # the tilt is an energy term -t z: at one x, two answers' log densities
    # differ by beta t times their distance more than untilted
    Xc = reg._check_X(np.repeat(X[200:201], 2, axis=0))
    z = np.array([[-0.5], [1.0]])
    diff = tilted.log_density(energy, Xc, z, beta) - flat.log_density(energy, Xc, z,
                                                                     beta)
    assert diff[1] - diff[0] == pytest.approx(beta * t * 1.5, rel=1e-6)
    # beyond the support the tilt reads the bound, where the wall's tails
    # (untilted half-normals) take over
    lo, hi = tilted.support
    z = np.array([[lo - 0.7], [hi + 0.7]])
    moved = tilted.energies(energy, Xc, z) - flat.energies(energy, Xc, z)
    np.testing.assert_allclose(moved, [-t * lo, -t * hi], rtol=1e-6)
    # means, modes and intervals move the tilt's way
    Xc = reg._check_X(X[200:210])
    for kind in ("mean", "mode"):
        moved = (tilted.predict(energy, Xc, beta, kind)
                 - flat.predict(energy, Xc, beta, kind)) * np.sign(t)
        assert np.all(moved >= 0) and np.any(moved > 0), kind
    u = np.tile([0.05, 0.95], (10, 1))
    moved = (tilted.interval(energy, Xc, beta, u).sum(axis=1)
             - flat.interval(energy, Xc, beta, u).sum(axis=1)) * np.sign(t)
    assert np.all(moved >= 0) and np.any(moved > 0)


def test_no_tilt_under_the_nll_or_a_hand_set_beta(skewed):
    X, y = skewed
    assert _fit(X[:150], y[:150], loss="nll").answer_space_.tilt == 0.0
    assert _fit(X[:150], y[:150], loss="hinge",
                beta=2.0).answer_space_.tilt == 0.0


def test_a_space_pickled_before_the_tilt_is_untilted():
    space = IntervalSpace((-1.0, 1.0))
    del space.tilt
    assert pickle.loads(pickle.dumps(space)).tilt == 0.0


def test_tilted_density_integrates_to_one_past_the_support(skewed):
    # the tilt reads the clipped answer, so the wall's tails beyond the
    # support are the half-normals the partition integrates
    X, y = skewed
    y = y * (1 + 1e-6 * np.random.default_rng(0).random(len(y)))
    reg = _fit(X[:250], y[:250], loss="hinge")
    assert abs(reg.answer_space_.tilt * reg.beta_) > 0.1
    lo, hi = reg.support_
    ys = np.linspace(lo - 3.0 * reg.y_scale_[0], hi + 3.0 * reg.y_scale_[0], 40001)
    fitted = reg.answer_space_
    # the fitted tilt, and steeper ones either way by hand (beta t = -+3)
    for row, tilt in zip(X[250:253], [fitted.tilt, 3.0 / reg.beta_, -3.0 / reg.beta_]):
        reg.answer_space_ = fitted.tilted(tilt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tails are outside the grid
            density = np.exp(reg.predict_log_density(np.tile(row, (len(ys), 1)),
                                                     ys))
        # the partition's 512-cell midpoint rule against this trapezoid
        assert np.trapezoid(density, ys) == pytest.approx(1.0, abs=2e-3)
        mean = np.trapezoid(density * ys, ys)
        assert reg.predict(row[None])[0] == pytest.approx(mean, abs=2e-3 * np.ptp(ys))


def test_warm_start_and_partial_fit_tilts(skewed):
    X, y = skewed
    reg = _fit(X[:200], y[:200], loss="perceptron")
    assert reg.answer_space_.tilt != 0.0
    # a partial_fit batch after the first keeps the tilt (the largest
    # targets alone would move every prediction)
    tilt = reg.answer_space_.tilt
    top = np.argsort(y)[-5:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.partial_fit(X[top], y[top])
    assert reg.answer_space_.tilt == tilt
    # a warm start with a hand-set beta drops it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.set_params(warm_start=True, beta=2.0).fit(X[:200], y[:200])
    assert reg.answer_space_.tilt == 0.0


def test_alpha_auto_tilts_at_the_temperature_it_keeps(skewed):
    # alpha="auto" gives its refit the trial's temperature, fitted to held
    # out rows; a tilt fitted at the refit's own temperature no longer
    # matched the targets' mean at it
    X, y = skewed
    reg = EnergyRegressor(energy="joint", loss="perceptron", max_iter=30,
                          random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X[:120], y[:120])
    assert abs(reg.predict(X[:120]).mean() - y[:120].mean()) / y[:120].std() < 0.02
