"""The answer spaces' contract (skebm/inference/), each checked against a
computation that does not share its code: brute-force enumeration, a closed
form, or scipy's adaptive quadrature.

Sampled quantities are compared with the exact ones within the standard
error of the mean over independent seeded runs (``_within_mc_error``: a
false alarm once in 1000 seeds); quadrature on the spaces' grids within the
midpoint rule's error bound at their cell width.
"""

import itertools

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import logsumexp, softmax

from skebm import MHSampler
from skebm.energies import JointEnergy, LinearEnergy, Potentials
from skebm.inference import (ClassSpace, IntervalSpace, LabelVectorSpace, Step,
                             VectorSpace)
from skebm.inference._label_search import Enumeration, all_label_vectors
from skebm.losses import NLLLoss, get_loss


def _within_mc_error(runs, exact, draws_per_run=None):
    """Whether the mean over the first axis of ``runs`` lies within its
    Monte Carlo error of ``exact`` in every entry: Student's t with a
    Bonferroni correction over the entries, so that a correct sampler fails
    once in 1000 seeds, whatever the number of entries.

    For visit frequencies pass ``draws_per_run``: a rare answer that no run
    visited has a spread of zero, so the standard error is at least that of
    as many independent draws (correlated chains only add to it).
    """
    runs = np.asarray(runs, dtype=float)
    n_runs, n_entries = len(runs), runs[0].size
    se = runs.std(axis=0, ddof=1) / np.sqrt(n_runs)
    if draws_per_run is not None:
        se = np.maximum(se, np.sqrt(exact * (1 - exact) / (n_runs * draws_per_run)))
    k = stats.t.ppf(1 - 1e-3 / (2 * n_entries), df=n_runs - 1)
    return np.all(np.abs(runs.mean(axis=0) - exact) <= k * se + 1e-12)


# -- classes ---------------------------------------------------------------

@pytest.fixture
def linear_classes():
    rng = np.random.default_rng(0)
    energy = LinearEnergy().initialize(3, 5, random_state=0)
    energy.params_[:] = rng.normal(size=energy.params_.size)
    return energy, rng.normal(size=(4, 3)), rng.integers(5, size=4)


def test_class_log_partition_is_the_sum_over_classes_and_does_not_overflow():
    E = np.random.default_rng(1).normal(scale=3.0, size=(6, 5))
    exact = np.log(np.exp(-2.0 * E).sum(axis=1))
    np.testing.assert_allclose(ClassSpace.log_partition(E, 2.0), exact, rtol=1e-12)
    # energies far below zero: exp(2e4) overflows, the log-sum-exp must not
    np.testing.assert_allclose(ClassSpace.log_partition(E - 1e4, 2.0),
                               exact + 2e4, rtol=1e-12)
    np.testing.assert_allclose(ClassSpace.proba(E - 1e4, 2.0).sum(axis=1), 1.0)


def test_class_candidates_give_the_loss_the_most_offending_class(linear_classes):
    energy, X, y = linear_classes
    E, _, cand = ClassSpace(5).candidates(energy, X, y, Step(1.0, np.random.RandomState(0)))
    np.testing.assert_array_equal(E, energy.energies(X))
    np.testing.assert_array_equal(cand.correct, y)
    hinge = get_loss("hinge")
    value, _ = hinge.value_gradient(E, cand.correct, cand.incorrect)
    rows = np.arange(len(y))
    offending = np.array([np.delete(E[i], y[i]).min() for i in rows])
    np.testing.assert_allclose(
        value, np.maximum(0.0, hinge.margin + E[rows, y] - offending))


def test_class_sampled_contrast_is_the_gibbs_distribution(linear_classes):
    energy, X, y = linear_classes
    beta = 2.5  # away from 1, so that a contrast at the wrong temperature fails
    space = ClassSpace(5, sampler=MHSampler(n_steps=60, n_chains=50, burn_in=20))
    runs = [space.candidates(energy, X, y, Step(beta, np.random.RandomState(k)))[2].contrast
            for k in range(40)]
    np.testing.assert_allclose(np.sum(runs, axis=-1), 1.0)
    assert _within_mc_error(runs, softmax(-beta * energy.energies(X), axis=1),
                            draws_per_run=50 * 40)


# -- an interval of the real line --------------------------------------------

@pytest.fixture(scope="module")
def interval():
    """A random joint energy on a standardized support, no floor."""
    space = IntervalSpace((-1.5, 1.5), floor=0.0)
    energy = JointEnergy.build(NLLLoss(), (8,), "tanh", answers=space)
    energy = energy.initialize(2, 1, random_state=0)
    rng = np.random.default_rng(1)
    energy.params_[:] = rng.normal(scale=0.5, size=energy.params_.size)
    return space, energy, rng.normal(size=(3, 2)), 1.7


def _quad_density(space, energy, x, beta):
    """The Gibbs density of one row by adaptive quadrature over the whole
    line: (density function, log-partition)."""
    lo, hi = space.support

    def energy_at(z):
        z = np.atleast_1d(np.asarray(z, dtype=float))
        return space.energies(energy, np.repeat(x[None], len(z), axis=0), z[:, None])

    shift = energy_at(np.linspace(lo, hi, 2001)).min()
    pieces = [(-np.inf, lo), (lo, hi), (hi, np.inf)]

    def f(z):
        return np.exp(-beta * (energy_at(z)[0] - shift))

    total = sum(integrate.quad(f, a, b, epsrel=1e-11, limit=500)[0] for a, b in pieces)
    log_z = np.log(total) - beta * shift
    return (lambda z: np.exp(-beta * energy_at(z)[0] - log_z)), log_z


def _quad_moments(density, support):
    pieces = [(-np.inf, support[0]), support, (support[1], np.inf)]
    mean = sum(integrate.quad(lambda z: z * density(z), a, b, limit=500)[0]
               for a, b in pieces)
    var = sum(integrate.quad(lambda z: (z - mean) ** 2 * density(z), a, b, limit=500)[0]
              for a, b in pieces)
    return mean, np.sqrt(var)


def test_interval_inference_agrees_with_adaptive_quadrature(interval):
    space, energy, X, beta = interval
    reference = [_quad_density(space, energy, x, beta) for x in X]
    # the space's midpoint rule errs by (width h^2 / 24) max|f''|; with
    # cells of 3/512 and this energy's curvature that is below 1e-5
    np.testing.assert_allclose(space.log_partition(energy, X, beta),
                               [log_z for _, log_z in reference], atol=1e-4)
    moments = np.array([_quad_moments(p, space.support) for p, _ in reference])
    np.testing.assert_allclose(space.predict(energy, X, beta, "mean")[:, 0],
                               moments[:, 0], atol=1e-4)
    np.testing.assert_allclose(space.predict_std(energy, X, beta)[:, 0],
                               moments[:, 1], atol=1e-4)
    u = np.tile([0.05, 0.3, 0.5, 0.9, 0.999], (len(X), 1))
    q = space.quantiles(energy, X, beta, u)[:, 0]
    cdf = [[integrate.quad(p, -np.inf, v, limit=500)[0] for v in row]
           for (p, _), row in zip(reference, q)]
    np.testing.assert_allclose(cdf, u, atol=1e-4)


def test_interval_mode_is_the_argmin_of_a_dense_grid(interval):
    space, energy, X, beta = interval
    lo, hi = space.support
    dense = np.linspace(lo, hi, 30001)
    expected = [dense[np.argmin(space.energies(energy, np.repeat(x[None], dense.size, 0),
                                                dense[:, None]))] for x in X]
    # refined locally: within a small fraction of a training cell (3/128)
    np.testing.assert_allclose(space.predict(energy, X, beta, "mode")[:, 0],
                               expected, atol=3 / 128 / 16)


def test_interval_floor_mixes_in_its_share_of_mass(interval):
    space, energy, X, beta = interval
    floored = IntervalSpace(space.support, floor=0.01)
    # the floor takes 1% of the mass: Z grows by 1 / (1 - 0.01) ...
    np.testing.assert_allclose(floored.log_partition(energy, X, beta)
                               - space.log_partition(energy, X, beta),
                               -np.log1p(-0.01), rtol=1e-10)
    # ... and the capped energies are the density that integrates to it
    lo, hi = floored.support
    for x, log_z in zip(X, floored.log_partition(energy, X, beta)):
        f = lambda z: np.exp(-beta * floored.capped_energies(  # noqa: E731
            energy, x[None], np.array([[z]]), beta)[0])
        total = sum(integrate.quad(f, a, b, epsrel=1e-10, limit=500)[0]
                    for a, b in [(-np.inf, lo), (lo, hi), (hi, np.inf)])
        assert np.log(total) == pytest.approx(log_z, abs=1e-4)


def test_interval_candidates_hold_the_partition_and_the_epsilon_ball(interval):
    space, energy, X, beta = interval
    z = np.random.default_rng(2).uniform(-1.2, 1.2, size=(len(X), 1))
    E, _, cand = space.candidates(energy, X, z, Step(beta, None, None, True))
    np.testing.assert_array_equal(cand.correct, 0)
    np.testing.assert_allclose(E[:, 0], space.energies(energy, X, z), rtol=1e-6)
    # 128 training cells: the midpoint error grows as their width squared
    np.testing.assert_allclose(logsumexp(-beta * E + cand.log_weights, axis=1),
                               space.log_partition(energy, X, beta), atol=2e-3)
    E, _, cand = space.candidates(energy, X, z, Step(beta, None, None, False))
    assert cand.incorrect.shape == E.shape and not cand.incorrect[:, 0].any()
    lo, hi = space.support
    grid = lo + (np.arange(128) + 0.5) * (hi - lo) / 128
    on_grid = cand.incorrect[:, -128:]
    np.testing.assert_array_equal(on_grid, np.abs(grid - z) > space.epsilon)


def test_interval_sampled_contrast_is_unbiased(interval):
    space, energy, X, beta = interval
    sampled = IntervalSpace(space.support, floor=0.0, sampler=MHSampler(
        n_steps=400, burn_in=100, n_chains=8, step_size=0.8))
    z = np.zeros((len(X), 1))
    # the gradient's projections on a few fixed directions: hundreds of
    # entries would each need a far wider band for the same false alarms
    directions = np.random.default_rng(3).standard_normal((4, energy.params_.size))
    runs = []
    for seed in range(24):
        E, cache, cand = sampled.candidates(energy, X, z, Step(beta, np.random.RandomState(seed),
                                                                None, True))
        runs.append(directions @ energy.backward(cache, cand.contrast.astype(E.dtype)))
    # the exact expectation: 8192 midpoints and the two tails beyond the support
    lo, hi = space.support
    n_nodes = 8192
    nodes = np.r_[lo, lo + (np.arange(n_nodes) + 0.5) * (hi - lo) / n_nodes, hi]
    E, cache = energy.forward(X, np.empty((len(X), 0)), nodes)
    tail = space._log_tail_mass(beta)
    log_w = np.r_[tail, np.full(n_nodes, np.log((hi - lo) / n_nodes)), tail]
    gibbs = softmax(-beta * E + log_w, axis=1)
    assert _within_mc_error(runs, directions @ energy.backward(cache, gibbs))


# -- label vectors -----------------------------------------------------------

def _potentials(n, n_labels, coupling, seed):
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.normal(0.0, coupling, (n_labels, n_labels)), 1)
    return Potentials(rng.normal(size=n), rng.normal(0.5, 1.0, (n, n_labels)),
                      upper + upper.T)


def _every_vector(pot):
    """All 2^L label vectors, enumerated here, and their energies (n, 2^L)."""
    L = pot.unary.shape[1]
    V = np.array(list(itertools.product([0.0, 1.0], repeat=L)))
    pairs = 0.5 * np.einsum("kl,lm,km->k", V, pot.pairs, V)
    return V, pot.const[:, None] + pot.unary @ V.T + pairs


def _codes(V, Y):
    return np.array([np.flatnonzero((V == row).all(axis=1))[0] for row in Y])


class _FixedPotentials:
    """An energy whose potentials do not depend on X."""

    def __init__(self, pot):
        self.pot = pot

    def potentials(self, X):
        return self.pot, None


@pytest.mark.parametrize("n_labels", [6, 12])  # one block, and split sums
def test_label_log_partition_is_the_sum_over_all_vectors(n_labels):
    pot = _potentials(7, n_labels, 1.5, n_labels)
    _, E = _every_vector(pot)
    np.testing.assert_allclose(LabelVectorSpace(n_labels).log_partition(pot, 0.8),
                               logsumexp(-0.8 * E, axis=1), rtol=1e-10)


def test_label_most_offending_is_the_lowest_other_vector():
    pot = _potentials(30, 6, 1.5, 1)
    V, E = _every_vector(pot)
    Y = np.random.default_rng(2).random((30, 6)) < 0.5
    found = Enumeration(6).most_offending(pot, Y)
    assert (found != Y).any(axis=1).all()
    codes = _codes(V, Y)
    np.testing.assert_allclose(E[np.arange(30), _codes(V, found)],
                               [np.delete(E[i], codes[i]).min() for i in range(30)])


def test_independent_labels_are_exact_at_any_length():
    beta = 0.8
    pot = _potentials(5, 20, 0.0, 3)  # no interactions
    space = LabelVectorSpace(20, independent=True)
    np.testing.assert_allclose(
        space.log_partition(pot, beta),
        -beta * pot.const + np.log1p(np.exp(-beta * pot.unary)).sum(axis=1))
    pot = _potentials(5, 8, 0.0, 3)
    V, E = _every_vector(pot)
    space = LabelVectorSpace(8, independent=True)
    np.testing.assert_allclose(space.marginals(pot, beta),
                               softmax(-beta * E, axis=1) @ V, atol=1e-12)
    np.testing.assert_array_equal(space.argmin(pot), V[E.argmin(axis=1)] > 0)
    np.testing.assert_array_equal(space.decision(pot) > 0, space.argmin(pot))


def test_exact_label_samples_follow_the_gibbs_distribution():
    beta, n_draws = 0.8, 20000
    pot = _potentials(2, 4, 1.5, 5)
    V, E = _every_vector(pot)
    draws = LabelVectorSpace(4).sample(pot, beta, n_draws, random_state=0)
    for row, p in zip(draws, softmax(-beta * E, axis=1)):
        counts = np.bincount(_codes(V, row), minlength=len(V))
        assert stats.chisquare(counts, n_draws * p).pvalue > 1e-3


@pytest.mark.parametrize("n_labels, partition", [(6, True), (12, True), (12, False)])
def test_exact_label_candidates(n_labels, partition):
    beta = 0.8
    pot = _potentials(10, n_labels, 1.0, 7)
    V, E_all = _every_vector(pot)
    Y = (np.random.default_rng(3).random((10, n_labels)) < 0.4).astype(int)
    space = LabelVectorSpace(n_labels, partition=partition)
    E, _, cand = space.candidates(_FixedPotentials(pot), np.zeros((10, 1)), Y,
                                  Step(beta, np.random.RandomState(0), None, partition))
    rows, codes = np.arange(10), _codes(V, Y)
    np.testing.assert_allclose(E[rows, cand.correct], E_all[rows, codes])
    if partition:
        log_w = 0.0 if cand.log_weights is None else cand.log_weights
        np.testing.assert_allclose(logsumexp(-beta * E + log_w, axis=1),
                                   logsumexp(-beta * E_all, axis=1), rtol=1e-10)
    else:
        incorrect = (cand.incorrect if cand.incorrect is not None
                     else np.arange(E.shape[1]) != cand.correct[:, None])
        np.testing.assert_allclose(np.where(incorrect, E, np.inf).min(axis=1),
                                   [np.delete(E_all[i], codes[i]).min() for i in rows])


def test_searched_label_partition_is_a_lower_bound():
    beta = 0.8
    pot = _potentials(10, 12, 1.0, 7)
    _, E_all = _every_vector(pot)
    Y = (np.random.default_rng(3).random((10, 12)) < 0.4).astype(int)
    space = LabelVectorSpace(12, max_enumerated_labels=0)
    E, _, cand = space.candidates(_FixedPotentials(pot), np.zeros((10, 1)), Y,
                                  Step(beta, np.random.RandomState(0), None, True))
    log_w = 0.0 if cand.log_weights is None else cand.log_weights
    assert np.all(logsumexp(-beta * E + log_w, axis=1)
                  <= logsumexp(-beta * E_all, axis=1) + 1e-10)


def test_label_sampled_contrast_is_the_gibbs_distribution():
    beta = 1.3
    pot = _potentials(3, 4, 1.5, 5)
    V, E = _every_vector(pot)
    Y = (np.random.default_rng(5).random((3, 4)) < 0.5).astype(int)
    space = LabelVectorSpace(4, sampler=MHSampler(n_steps=60, n_chains=20, burn_in=20))
    runs = [space.candidates(_FixedPotentials(pot), np.zeros((3, 1)), Y,
                             Step(beta, np.random.RandomState(k), None, True))[2].contrast
            for k in range(30)]
    # the space's columns are its own enumeration of the vectors
    order = _codes(V, all_label_vectors(4))
    assert _within_mc_error(runs, softmax(-beta * E, axis=1)[:, order],
                            draws_per_run=20 * 40)


# -- vectors in R^d ------------------------------------------------------------

class _GaussianEnergy:
    """``E(x, y) = |y - A x|^2 / (2 s^2)``: the Gibbs distribution is
    ``N(A x, s^2 / beta)`` in each output."""

    params_ = np.zeros(1)

    def __init__(self, A, s):
        self.A, self.s = A, s

    def network(self, X):
        return X @ self.A.T, None

    def _energy(self, g, Y):
        return 0.5 * np.sum((Y - g[:, None, :]) ** 2, axis=-1) / self.s ** 2

    def forward(self, X, Y, grid=None, G=None):
        g = self.network(X)[0] if G is None else G[0]
        E = self._energy(g, Y)
        if grid is not None:
            on_grid = np.broadcast_to(grid, (len(g),) + grid.shape)
            E = np.concatenate([E, self._energy(g, on_grid)], axis=1)
        return E, None

    def answer_gradient(self, g, Y):
        return self._energy(g, Y), (Y - g[:, None, :]) / self.s ** 2


@pytest.fixture
def gaussian_vectors():
    rng = np.random.default_rng(0)
    A, s = 0.3 * rng.normal(size=(2, 3)), 0.3
    X = rng.normal(size=(5, 3))
    z = X @ A.T + s * rng.standard_normal((5, 2))
    # starts on both sides of the answers, as a box of several targets has
    space = VectorSpace.from_targets(np.vstack([z, z + 2, z - 2]), np.ones(15))
    return space, _GaussianEnergy(A, s), X, z


def test_vector_quadrature_partition_is_the_gaussian_normalizer(gaussian_vectors):
    space, energy, X, _ = gaussian_vectors
    beta = 1.5
    np.testing.assert_allclose(space.log_partition(energy, X, beta),
                               np.log(2 * np.pi * energy.s ** 2 / beta), atol=1e-3)


def test_vector_descent_finds_the_minimum(gaussian_vectors):
    space, energy, X, _ = gaussian_vectors
    centre = energy.network(X)[0]
    starts = np.random.default_rng(1).normal(size=(len(X), 4, 2))
    found, lowest = space.argmin(energy, X, starts)
    np.testing.assert_allclose(found, centre, atol=1e-4)
    np.testing.assert_allclose(lowest, 0.0, atol=1e-6)
    np.testing.assert_allclose(space.predict(energy, X, 1.5, "mode"), centre, atol=1e-4)


def test_vector_samples_follow_the_gibbs_distribution(gaussian_vectors):
    space, energy, X, _ = gaussian_vectors
    beta = 1.5
    draws = space.sample(energy, X[:1], beta, 4000, np.random.RandomState(0))
    u = (draws[0] - energy.network(X[:1])[0].T) / (energy.s / np.sqrt(beta))
    for column in u:  # 4000 independent chains' last states
        assert stats.kstest(column, "norm").pvalue > 1e-3


def test_vector_temperature_has_its_closed_form():
    rng = np.random.default_rng(0)
    energy = _GaussianEnergy(0.3 * rng.normal(size=(2, 3)), 0.3)
    X = rng.normal(size=(400, 3))
    z = energy.network(X)[0] + 0.5 * rng.standard_normal((400, 2))
    space = VectorSpace.from_targets(z, np.ones(400))
    beta = space.fit_beta(energy, X, z, np.ones(400), None, 1.0)
    # the likelihood of N(Ax, s^2/beta) peaks at beta = d / (2 mean E)
    mean_energy = 0.5 * np.sum((z - energy.network(X)[0]) ** 2, axis=1).mean() / 0.09
    assert beta == pytest.approx(2 / (2 * mean_energy), rel=1e-4)
