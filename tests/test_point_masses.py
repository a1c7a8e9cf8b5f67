"""Point masses, rounded and count-valued targets with energy='joint': the
targets stand for cells, and the NLL is that of the cells."""

import copy
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold

from skebm import EnergyRegressor
from skebm._targets import recorded_cells
from skebm.inference import IntervalSpace
from skebm.inference._cells import (TargetCells, hold_coverage, log_mean_gibbs,
                                   snap_to_atoms, tile_overlap)
from skebm.inference import _grid_density
from skebm.inference._grid_density import grid_cdf, grid_quantiles


def _space(y, sample_weight=None):
    z = ((y - y.mean()) / y.std())[:, None]
    w = np.ones(len(y)) if sample_weight is None else sample_weight
    return IntervalSpace.from_targets(z, w), y.std()


def _point_mass(n, seed=0):
    # log-counts: a third zeros, the rest log(1 + k) spreading with x (the
    # NLL used to pile the mass onto the zeros: CV R^2 0.01, Ridge's 0.42)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    rng.random(n)  # the stream the figures were measured on
    mean = np.exp(0.8 + 2 * (0.5 * X[:, 0] - 0.3 * X[:, 1]))
    return X, np.log1p(rng.negative_binomial(2, 2 / (2 + mean)))


def _counts(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, rng.poisson(np.exp(0.6 + 0.5 * X[:, 0])).astype(float)


def test_continuous_targets_are_points():
    rng = np.random.default_rng(0)
    assert _space(rng.normal(size=300))[0].cells is None
    # diabetes is integer-valued, but its lattice is far finer than the grid
    assert _space(load_diabetes().target)[0].cells is None


def test_integer_target_cells_reach_halfway():
    y = np.repeat(np.arange(3.0, 9.0), [10, 53, 200, 180, 60, 18])
    space, scale = _space(y)
    cells = space.cells
    assert cells.floor == pytest.approx(1 / scale)
    np.testing.assert_allclose(cells.atoms * scale + y.mean(), np.arange(3.0, 9.0))
    np.testing.assert_allclose(cells.below, 0.5 / scale)
    np.testing.assert_allclose(cells.above, 0.5 / scale)


def test_point_mass_is_an_atom_with_a_grid_cell():
    rng = np.random.default_rng(0)
    y = np.where(rng.random(400) < 1 / 3, 0.0, rng.lognormal(0.3, 0.5, 400))
    space, scale = _space(y)
    lo, hi = space.support
    zero = -y.mean() / scale
    np.testing.assert_array_equal(space.cells.atoms, [zero])
    assert space.cells.floor == pytest.approx((hi - lo) / 128)
    # weight zero counts as absent: without the zeros, no atom
    assert recorded_cells(y, (y > 0).astype(float), 0.05, 1.0) is None


def test_point_mass_r2_near_ridge_and_mean_not_dragged():
    X, y = _point_mass(450)
    ridge, joint, pred = [], [], np.empty_like(y)
    for train, test in KFold(3, shuffle=True, random_state=0).split(X):
        ridge.append(r2_score(y[test], Ridge().fit(X[train], y[train]).predict(
            X[test])))
        reg = EnergyRegressor(energy="joint", random_state=0).fit(X[train], y[train])
        pred[test] = reg.predict(X[test])
        joint.append(r2_score(y[test], pred[test]))
    assert np.mean(joint) >= np.mean(ridge) - 0.03
    # the mean is 0.95; the density collapsed onto the zeros predicted 0.42
    assert abs(pred.mean() - y.mean()) < 0.1


@pytest.fixture(scope="module")
def count_fit():
    X, y = _counts(1000)
    reg = EnergyRegressor(energy="joint", random_state=0).fit(X[:500], y[:500])
    return reg, X, y


def test_count_density_is_a_probability_per_unit(count_fit):
    reg, X, y = count_fit
    log_density = reg.predict_log_density(X[500:], y[500:])
    # each count's cell is one unit wide: the density is its probability
    assert np.all(np.isfinite(log_density)) and np.all(log_density <= 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # counts beyond the grid
        total = sum(np.exp(reg.predict_log_density(X[500:520], np.full(20, k)))
                    for k in np.arange(-5.0, 25.0))
    np.testing.assert_allclose(total, 1.0, atol=1e-3)
    # not absurdly good: at most 0.5 nat below a Gaussian of the residual
    # spread (whose entropy the Poisson's is close to at this mean), and
    # usable: no worse than it
    residual = y[:500] - Ridge().fit(X[:500], y[:500]).predict(X[:500])
    gaussian = 0.5 * np.log(2 * np.pi * np.e * residual.var())
    assert gaussian - 0.5 < -log_density.mean() < gaussian


def test_floor_spreads_its_share_over_the_cells_inside_the_support(count_fit):
    reg, X, y = count_fit
    bare = copy.copy(reg)
    bare.answer_space_ = reg.answer_space_.without_floor()
    floor = reg.answer_space_.floor
    counts = np.arange(-5.0, 25.0)  # cells covering the support and beyond
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # counts beyond the grid
        totals = [sum(np.exp(model.predict_log_density(X[500:520], np.full(20, k)))
                      for k in counts) for model in (reg, bare)]
    # the floor takes its share from the Gibbs mass and gives it to the
    # support, the parts of the edge cells beyond it excluded (counting
    # those gave 1e-5 too much); 1e-6 bounds the cells' point quadrature
    np.testing.assert_allclose(totals[0] - 1, (1 - floor) * (totals[1] - 1),
                               atol=1e-6)


def test_log_density_of_the_temperature_alone_is_log_density(count_fit):
    # the function a search over temperatures reads, its energies computed
    # once: for cells (counts) and, the cells dropped, points; beyond and
    # inside the support; with and without the floor
    reg, X, y = count_fit
    inputs = reg._energy_inputs(X[500:600])
    z = ((np.r_[y[500:595], -3.0, 40.0, 2.0, 5.0, 9.0] - reg.y_mean_)
         / reg.y_scale_)[:, None]
    points = copy.copy(reg.answer_space_)
    points.cells = None
    for space in (reg.answer_space_, reg.answer_space_.without_floor(), points):
        at_beta = space.log_density_function(reg.energy_, inputs, z)
        for beta in (0.3, reg.beta_, 4.0):
            np.testing.assert_allclose(
                at_beta(beta), space.log_density(reg.energy_, inputs, z, beta),
                rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cells", [True, False])
def test_grid_computations_in_blocks_give_what_one_piece_does(count_fit, monkeypatch,
                                                              cells):
    # the prediction grid's rows go CACHE_ROWS at a time (to stay in cache):
    # blocks of 7 rows, the last one short, give what one piece of 100 does
    reg, X, y = count_fit
    inputs = reg._energy_inputs(X[500:600])
    z = ((y[500:600] - reg.y_mean_) / reg.y_scale_)[:, None]
    w = np.linspace(0.5, 2.0, 100)
    space = copy.copy(reg.answer_space_)
    if not cells:
        space.cells = None

    def computed():
        at_beta = space.log_density_function(reg.energy_, inputs, z)
        return [at_beta(reg.beta_), at_beta.fit_beta(w, 1.0),
                space.fit_beta(reg.energy_, inputs, z, w, None, 1.0),
                space.fit_tilt(reg.energy_, inputs, z, w, reg.beta_),
                space.log_density(reg.energy_, inputs, z, reg.beta_),
                space.predict(reg.energy_, inputs, reg.beta_, "mean"),
                space.predict(reg.energy_, inputs, reg.beta_, "mode"),
                space.predict_std(reg.energy_, inputs, reg.beta_),
                space.interval(reg.energy_, inputs, reg.beta_,
                               np.tile([0.05, 0.95], (100, 1)))]

    monkeypatch.setattr(_grid_density, "CACHE_ROWS", 1000)
    whole = computed()
    monkeypatch.setattr(_grid_density, "CACHE_ROWS", 7)
    for blocked, one_piece in zip(computed(), whole):
        np.testing.assert_allclose(blocked, one_piece, rtol=1e-9, atol=1e-12)
    # and the temperature is the one the likelihood peaks at
    assert whole[1] == pytest.approx(whole[2], rel=1e-9)


def test_checks_of_held_out_cells_keep_their_bases_while_training(count_fit,
                                                                 monkeypatch):
    # a fit's checks of held-out cells reuse the bases the energy keeps
    # while training (computed per block of 256 rows, 1000 rows' cells took
    # more bases than it keeps, and every check recomputed them)
    reg, X, y = count_fit
    energy, space = copy.deepcopy(reg.energy_), reg.answer_space_
    inputs = reg._energy_inputs(X).astype(energy.params_.dtype)
    z = ((y - reg.y_mean_) / reg.y_scale_)[:, None]
    training = [np.linspace(-1, 1, 131), np.linspace(-1, 1, 500)[:, None]]
    computed = []
    basis = type(energy).basis
    monkeypatch.setattr(type(energy), "basis",
                        lambda self, a: computed.append(a.shape) or basis(self, a))

    def check():
        for answers in training:
            energy._kept_basis(answers)
        at_beta = space.log_density_function(energy, inputs, z)
        return at_beta(at_beta.fit_beta(np.ones(len(y)), reg.beta_))

    energy.start_training()
    first = check()
    assert computed
    computed.clear()
    np.testing.assert_array_equal(check(), first)
    assert computed == []


def test_count_interval_coverage(count_fit):
    reg, X, y = count_fit
    interval = reg.predict_interval(X[500:])
    covered = np.mean((y[500:] >= interval[:, 0]) & (y[500:] <= interval[:, 1]))
    # the band; 3 Monte Carlo standard errors of 500 draws around
    # 0.9 are 0.04
    assert 0.85 <= covered <= 0.95
    # among the counts seen more than once (atoms) the ends are bounds of
    # the counts' cells: which counts are inside is never ambiguous
    values, counts = np.unique(y[:500], return_counts=True)
    atoms = values[counts > 1]
    seen = (interval > atoms.min() - 0.51) & (interval < atoms.max() + 0.5)
    assert seen.mean() > 0.9
    np.testing.assert_allclose(interval[seen] % 1, 0.5, atol=1e-9)


def test_interval_ends_take_an_atom_in_when_it_holds_half_its_cell():
    cells = TargetCells(0.1, np.array([0.0, 1.0, 2.0]), np.full(3, 0.5),
                        np.full(3, 0.5))

    def cdf(z):  # uniform on [-0.5, 2.5]
        return np.clip((z + 0.5) / 3.0, 0.0, 1.0)

    ends = np.array([[0.2, 1.7],    # 0.3 of 0's cell, 0.2 of 2's: both out
                     [-0.2, 1.2],   # 0.7 of 0's cell, 0.7 of 1's: both in
                     [0.0, 1.0],    # exactly half of each: in
                     [0.05, 2.6],   # 0.45 of 0's cell: out; beyond: as it is
                     [1.05, 0.95]])  # both ends in 1's cell: taken in
    np.testing.assert_allclose(snap_to_atoms(cells, ends, cdf), [
        [0.5, 1.5], [-0.5, 1.5], [-0.5, 1.5], [0.5, 2.6], [0.5, 1.5]])


@pytest.mark.parametrize("masses, central, expected", [
    # the zeros hold more than the lower tail: the upper end comes down
    ((0.5, 0.2, 0.1, 0.08, 0.06, 0.06), [-0.5, 4.5], [-0.5, 3.5]),
    # the top count more than the upper tail: the lower end goes up
    ((0.06, 0.06, 0.08, 0.1, 0.2, 0.5), [0.5, 5.5], [1.5, 5.5])])
def test_an_interval_holds_its_coverage_where_an_atom_widened_an_end(
        masses, central, expected):
    # counts 0 to 5 of these probabilities, each uniform on its cell: the
    # central 90% interval takes the heavy end's count in, and holds 0.94
    cells = TargetCells(0.1, np.arange(6.0), np.full(6, 0.5), np.full(6, 0.5))
    edges, bounds = np.r_[0.0, np.cumsum(masses)], np.arange(7.0) - 0.5

    def cdf(z, rows=None):
        return np.interp(z, bounds, edges)

    def quantile(u, rows=None):
        return np.interp(u, edges, bounds)

    levels = np.array([[0.05, 0.95]])
    np.testing.assert_allclose(snap_to_atoms(cells, quantile(levels), cdf), [central])
    out = hold_coverage(cells, quantile(levels), levels, cdf, quantile)
    np.testing.assert_allclose(out, [expected])
    assert np.diff(cdf(out))[0, 0] == pytest.approx(0.88)


def test_holding_the_coverage_keeps_tails_and_small_coverages():
    # counts 0 to 5, 1% of the mass in a tail beyond each end of the
    # support [-0.5, 5.5]; the CDF, as the grid's, reads the support only
    cells = TargetCells(0.1, np.arange(6.0), np.full(6, 0.5), np.full(6, 0.5))
    inner = 0.01 + 0.98 * np.r_[0.0, np.cumsum([0.8, 0.1, 0.05, 0.03, 0.01, 0.01])]
    bounds = np.arange(7.0) - 0.5

    def cdf(z, rows=None):
        return np.interp(z, bounds, inner)

    def quantile(u, rows=None):
        return np.interp(u, np.r_[0.0, inner, 1.0], np.r_[-1.5, bounds, 6.5])

    def interval(levels):
        levels = np.array([levels])
        return hold_coverage(cells, quantile(levels), levels, cdf, quantile)[0]

    # ends in the tails, neither in a cell: as they are (the CDF of the
    # lower one read the whole tail, and the upper end went to 6.5)
    np.testing.assert_allclose(interval([0.004, 0.996]), [-1.1, 6.1])
    # a coverage below half the zeros' probability: their cell, not the
    # empty interval at -0.5 that moving the upper end gave
    np.testing.assert_allclose(interval([0.35, 0.65]), [-0.5, 0.5])


def test_grid_quantiles_invert_the_grid_cdf():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(12), size=5)
    u = rng.uniform(probs[:, :1] + 1e-9, 1 - probs[:, -1:] - 1e-9, size=(5, 7))
    z = grid_quantiles(probs, (-1.0, 2.0), 0.5, u)[:, 0]
    assert np.all((-1.0 <= z) & (z <= 2.0))
    np.testing.assert_allclose(grid_cdf(probs, (-1.0, 2.0), z), u, atol=1e-12)


def test_tile_overlap_window_holds_every_overlapping_tile():
    # the window of tiles per cell must miss none: the overlaps it returns
    # are those of all tiles, cells at the grid's ends and wider than a
    # tile included
    rng = np.random.default_rng(0)
    start, h, n_tiles = -2.0, 0.25, 20
    low = rng.uniform(-3.0, 3.0, size=500)
    high = low + rng.choice([1e-3, 0.1, 0.25, 0.6, 1.3], size=500)
    tiles, overlap = tile_overlap(start, h, n_tiles, low, high)
    nodes = start + np.arange(n_tiles) * h
    every = np.clip(np.minimum(nodes + h / 2, high[:, None])
                    - np.maximum(nodes - h / 2, low[:, None]), 0.0, h)
    assert np.all((tiles >= 0) & (tiles < n_tiles))
    assert np.all(np.diff(tiles, axis=1) == 1)
    dense = np.zeros_like(every)
    np.put_along_axis(dense, tiles, overlap, axis=1)
    np.testing.assert_allclose(dense, every, atol=1e-12)


# with 75 rows on the atom the likelihood climbs toward it until the floor
# would explain a tenth of the rows, and stops there: 9.2, the Gibbs fit's
# own peak 7.0
@pytest.mark.parametrize("n_atom, rel", [(45, 0.05), (75, 0.5)])
def test_floored_temperature_is_no_fit_of_the_floor_alone(n_atom, rel):
    # rows on an atom, whose density grows with beta without bound, the
    # rest Gaussian residuals of 1 (their own peak at beta 1): under a
    # floor the likelihood climbed to the search's edge, leaving every other
    # row to the floor (PSID1976's hours, 43% zeros: held-out beta 2699,
    # test coverage 0.40; AER's Affairs, 75% zeros: held-out beta 7358,
    # the Gibbs part explaining 0.73 of the weight, its atom's rows)
    from skebm.inference._temperature import fit_floored_temperature

    atom = np.arange(100) < n_atom
    log_floor = -5.0

    def log_densities(b):
        gibbs = np.where(atom, np.log(b), 0.5 * np.log(b / (2 * np.pi)) - b / 2)
        return gibbs, np.logaddexp(gibbs, log_floor)

    def fit(w, start, max_steps=None):
        # the weighted Gibbs likelihood's maximum, in closed form, within
        # the search's bracket (as fit_inverse_temperature's)
        with np.errstate(divide="ignore"):
            peak = (w[atom].sum() + 0.5 * w[~atom].sum()) / (0.5 * w[~atom].sum())
        return min(peak, 10**4.5)

    beta = fit_floored_temperature(fit, log_densities, np.ones(100), 1.0)
    gibbs, total = log_densities(beta)
    assert np.mean(np.exp(gibbs - total)) >= 0.9
    # near the Gibbs fit's own peak, not at the bracket's edge
    assert beta == pytest.approx(fit(np.ones(100), None), rel=rel)


def test_record_reads_an_answer_in_an_atoms_cell_as_the_atom():
    cells = TargetCells(0.1, np.array([0.0, 1.0, 1.4]), np.full(3, 0.5),
                        np.full(3, 0.5))
    z = np.array([-0.6, -0.5, 0.3, 0.7, 1.19, 1.21, 1.9, 1.91])
    # the cells of 1 and 1.4 overlap: each takes its side of 1.2
    np.testing.assert_array_equal(cells.record(z),
                                  [-0.6, 0.0, 0.0, 1.0, 1.0, 1.4, 1.4, 1.91])
    # cells that do not overlap keep their bounds, however far from the middle
    cells = TargetCells(0.1, np.array([0.0, 1.0]), np.array([0.1, 0.8]),
                        np.array([0.1, 0.5]))
    np.testing.assert_array_equal(cells.record(np.array([0.15, 0.3, 0.6])),
                                  [0.15, 1.0, 1.0])


def test_tile_moments_are_those_of_recorded_uniform_answers():
    cells = TargetCells(0.1, np.array([0.0, 1.0, 1.4]), np.array([0.5, 0.5, 0.3]),
                        np.array([0.5, 0.5, 0.45]))
    support, n_tiles = (-1.3, 2.7), 40
    first, second = cells.tile_moments(support, n_tiles)
    # each tile by a midpoint rule of 4000 answers
    h = (support[1] - support[0]) / n_tiles
    u = support[0] + (np.arange(n_tiles)[:, None] + (np.arange(4000) + 0.5) / 4000) * h
    recorded = cells.record(u)
    np.testing.assert_allclose(first, recorded.mean(axis=1), atol=1e-4)
    np.testing.assert_allclose(second, (recorded**2).mean(axis=1), atol=1e-4)


@pytest.fixture(scope="module")
def rare_counts():
    # counts that are mostly 0 (77%), as doctor visits are
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 3))
    rate = np.exp(-1.5 + 0.7 * X[:, 0])
    y = rng.poisson(rate).astype(float)
    reg = EnergyRegressor(energy="joint", random_state=0).fit(X[:500], y[:500])
    return reg, X[500:], rate[500:], y


def test_mean_of_a_count_is_that_of_the_recorded_counts(rare_counts):
    reg, X, rate, y = rare_counts
    pred = reg.predict(X)
    # the mass of the zeros' cell [-1/2, 1/2] lay mostly above 0, and the
    # mean of the continuous density read it there: 0.44 where the rate
    # averages 0.27 (RMSE 0.18 to the rate). Within 3 standard errors of
    # the targets' mean, and near the rate:
    assert abs(pred.mean() - rate.mean()) < 3 * y[:500].std() / np.sqrt(500)
    assert np.sqrt(np.mean((pred - rate) ** 2)) < 0.1


def test_samples_of_a_count_are_counts_with_the_predicted_moments(rare_counts):
    reg, X, _, y = rare_counts
    n = 4000
    mean, std = reg.predict(X[:20], return_std=True)
    samples = reg.sample_y(X[:20], n_samples=n, random_state=0)
    atoms = np.unique(y[:500])
    atoms = atoms[np.unique(y[:500], return_counts=True)[1] > 1]
    # the atoms' cells reach 0.5 either side (the outer ones mirror their
    # inner side); what lies beyond them is the continuous density's
    inside = (samples >= atoms.min() - 0.5) & (samples <= atoms.max() + 0.5)
    assert inside.mean() > 0.95  # 0.988: the density spills a little past them
    nearest = np.abs(samples[inside][:, None] - atoms).min(axis=1)
    np.testing.assert_allclose(nearest, 0.0, atol=1e-9)
    # 4.5 standard errors: 20 rows, each well inside
    np.testing.assert_array_less(np.abs(samples.mean(axis=1) - mean),
                                 4.5 * std / np.sqrt(n))
    np.testing.assert_allclose(samples.std(axis=1), std, rtol=0.1)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_binary_target_cells_stay_inside_the_support():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] + rng.normal(size=200) > 0).astype(float)
    reg = EnergyRegressor(energy="joint", random_state=0, alpha=1.0,
                          max_iter=30).fit(X, y)
    lo, hi = reg.answer_space_.support
    low, high = reg.answer_space_.cells.bounds(reg.answer_space_.cells.atoms)
    assert lo <= low.min() and high.max() <= hi
    # each class's density is its cell's probability over the cell's width
    width = (high - low) * reg.y_scale_[0]
    p = (np.exp(reg.predict_log_density(X, np.zeros(200))) * width[0]
         + np.exp(reg.predict_log_density(X, np.ones(200))) * width[1])
    assert np.all(p <= 1 + 1e-6) and np.all(p > 0.9)


def test_an_end_snaps_to_the_cell_that_holds_it_not_the_nearest_atom():
    # 0's cell reaches to 0.9, 1's starts at 0.95: 0.8 is nearer 1 but in 0's
    cells = TargetCells(0.1, np.array([0.0, 1.0]), np.array([0.5, 0.05]),
                        np.array([0.9, 0.5]))

    def cdf(z):  # uniform on [-0.5, 1.5]
        return np.clip((z + 0.5) / 2.0, 0.0, 1.0)

    np.testing.assert_allclose(
        snap_to_atoms(cells, np.array([[0.8, 1.45]]), cdf), [[0.9, 1.5]])


def test_log_mean_gibbs_is_scipys_logsumexp_including_infinite_energies():
    from scipy.special import logsumexp
    rng = np.random.default_rng(0)
    E = rng.normal(0, 300, (50, 17))
    E[0] = np.inf            # a cell of infinite energy: probability 0
    E[1, :4] = np.inf
    E[2, 3] = -np.inf        # an energy that overflowed downwards
    with np.errstate(over="ignore", invalid="ignore"):
        expected = logsumexp(-2.0 * E, axis=1) - np.log(17)
    got = log_mean_gibbs(E, 2.0)
    assert got[0] == -np.inf and got[2] == np.inf
    np.testing.assert_allclose(got[3:], expected[3:], rtol=1e-13)
    assert got[1] == pytest.approx(expected[1], rel=1e-13)


# an M-step whose weighted fit runs off to infinity (where the likelihood
# is NaN), or lands where the likelihood is NaN, used to be taken, and every
# later step from it; the climb stops where it stood
@pytest.mark.parametrize("off", [np.inf, 2.0])
def test_floored_temperature_takes_no_step_to_a_non_finite_likelihood(off):
    from skebm.inference._temperature import fit_floored_temperature

    def log_densities(b):
        if b != 1.0 and np.isfinite(b):
            return np.full(50, np.nan), np.full(50, np.nan)
        with np.errstate(invalid="ignore"):
            gibbs = np.full(50, 0.5 * np.log(b / (2 * np.pi)) - b / 2)
            return gibbs, np.logaddexp(gibbs, -5.0)

    calls = []

    def fit(w, start, max_steps=None):
        calls.append(start)
        return 1.0 if len(calls) == 1 else off

    beta = fit_floored_temperature(fit, log_densities, np.ones(50), 1.0)
    assert len(calls) > 1 and beta == 1.0
