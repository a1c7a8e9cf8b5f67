"""Tests of skebm.sampling.

Statistical tolerances come from the Monte Carlo error of the run under test,
k * std / sqrt(ess) with k = 4, never from tuning; seeds are fixed.
"""

import importlib.util
import pathlib
import pickle
import re
import sys
import warnings

import emcee
import numpy as np
import pytest
from joblib import parallel_config
from scipy import stats
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skebm.sampling import integrated_time
from skebm.sampling import MHSampler, categorical_frequencies, mh_categorical

K = 4.0  # Monte Carlo standard errors allowed
# many tests run chains far too short to converge, on purpose; the warning
# that says so has tests of its own (test_fit_warns_where_chains_disagree)
pytestmark = [pytest.mark.filterwarnings(
    f"ignore:{message}:sklearn.exceptions.ConvergenceWarning")
    for message in ("The chains have not converged", "The chains did not move",
                    "Only [0-9]+ draws? per chain")]
EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "plot_mh_estimate_std.py"


# Module-level callables, so that fitted samplers pickle.
def location_loglik(theta, X):
    return -0.5 * np.sum((X - theta[0]) ** 2, axis=1)


def location_loglik_vec(theta, X):
    return -0.5 * np.sum((X[None, :, :] - theta[:, None, :1]) ** 2, axis=2)


def wide_prior(theta):
    return -0.5 * np.sum(theta**2) / 100.0


def wide_prior_vec(theta):
    return -0.5 * np.sum(theta**2, axis=1) / 100.0


def wrong_prior(theta):  # confidently centred far from the data
    return -0.5 * np.sum((theta + 5.0) ** 2) / 0.01


def std_normal_vec(theta):
    return -0.5 * np.sum(theta**2, axis=1)


def std_normal(theta):
    return -0.5 * float(np.sum(theta**2))


MEAN_2D = np.array([1.0, -2.0])
COV_2D = np.array([[1.0, 1.2], [1.2, 4.0]])  # correlation 0.6
PREC_2D = np.linalg.inv(COV_2D)


def correlated_gaussian(theta):
    d = theta - MEAN_2D
    return -0.5 * np.einsum("ni,ij,nj->n", d, PREC_2D, d)


def student_t3(theta):
    return -2.0 * np.log1p(theta[:, 0] ** 2 / 3.0)


def two_modes(theta):
    x = theta[:, 0]
    return np.logaddexp(-0.5 * (x + 10) ** 2, -0.5 * (x - 10) ** 2)


def nan_above_one(theta):
    return np.nan if theta[0] > 1 else -0.5 * theta[0] ** 2


def nan_above_one_vec(theta):
    return np.where(theta[:, 0] > 1, np.nan, -0.5 * theta[:, 0] ** 2)


def raises_above_half(theta):
    if np.max(theta) > 0.5:
        raise ValueError("boom")
    return -0.5 * float(np.sum(theta**2))


def plus_inf_above_three(theta):
    return np.where(theta[:, 0] > 3, np.inf, -0.5 * theta[:, 0] ** 2)


def positive_prior_vec(theta):
    return np.where(theta[:, 0] > 0, 0.0, -np.inf)


def loglik_positive_only_vec(theta, X):
    assert np.all(theta[:, 0] > 0), "likelihood evaluated outside the prior"
    return location_loglik_vec(theta, X)


def load_example():
    spec = importlib.util.spec_from_file_location("plot_mh_estimate_std", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fit_gaussian_chain(**params):
    defaults = dict(vectorized=True, init=[0.0], n_steps=300, n_chains=4, random_state=0)
    return MHSampler(std_normal_vec, **{**defaults, **params}).fit()


# ---------------------------------------------------------------- estimator API


def test_pipeline_score_equals_manual_composition():
    X = np.random.default_rng(0).normal(2.0, 1.0, size=(200, 1))
    mh = MHSampler(log_likelihood=location_loglik_vec, log_prior=wide_prior_vec,
                   vectorized=True, init=[0.0], n_steps=400, random_state=0)
    pipe = make_pipeline(StandardScaler(), mh).fit(X[:150])
    scaler = StandardScaler().fit(X[:150])
    manual = clone(mh).fit(scaler.transform(X[:150]))
    assert pipe.score(X[150:]) == pytest.approx(manual.score(scaler.transform(X[150:])))


def test_grid_search_prefers_the_prior_that_fits_held_out_data():
    X = np.random.default_rng(1).normal(2.0, 1.0, size=(150, 1))
    mh = MHSampler(log_likelihood=location_loglik, init=[0.0], n_steps=400,
                   random_state=0)
    search = GridSearchCV(mh, {"log_prior": [wide_prior, wrong_prior]}, cv=3).fit(X)
    assert search.best_params_["log_prior"] is wide_prior
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and scores[0] > scores[1] + 1.0


def test_clone_and_pickle_round_trip():
    X = np.random.default_rng(2).normal(size=(50, 1))
    mh = MHSampler(log_likelihood=location_loglik, log_prior=wide_prior, init=0.0,
                   n_steps=200, random_state=3)
    cloned = clone(mh)
    assert cloned.get_params() == mh.get_params() and not hasattr(cloned, "chain_")
    mh.fit(X)
    restored = pickle.loads(pickle.dumps(mh))
    np.testing.assert_array_equal(restored.chain_, mh.chain_)
    assert restored.score(X) == mh.score(X)


def test_feature_names_are_kept():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"a": np.linspace(-1, 1, 20)})
    mh = MHSampler(log_likelihood=location_loglik, init=0.0, n_steps=50, random_state=0)
    assert list(mh.fit(X).feature_names_in_) == ["a"]


def test_score_is_the_log_pointwise_predictive_density():
    rng = np.random.default_rng(4)
    X, X_test = rng.normal(size=(40, 1)), rng.normal(size=(7, 1))
    mh = MHSampler(log_likelihood=location_loglik_vec, log_prior=wide_prior_vec,
                   vectorized=True, init=[0.0], n_steps=300, random_state=0).fit(X)
    ll = location_loglik_vec(mh.samples_, X_test)
    expected = logsumexp(ll, axis=0) - np.log(len(mh.samples_))
    np.testing.assert_allclose(mh.score_samples(X_test), expected, rtol=1e-12)
    assert mh.score(X_test) == pytest.approx(expected.mean(), rel=1e-12)
    # The non-vectorized path evaluates the same samples the same way.
    scalar = clone(mh).set_params(vectorized=False, log_likelihood=location_loglik,
                                  log_prior=wide_prior).fit(X)
    np.testing.assert_array_equal(scalar.samples_, mh.samples_)
    np.testing.assert_allclose(scalar.score_samples(X_test), expected, rtol=1e-12)


def scale_loglik(theta, X):  # a location fixed at 0, a free log scale
    return -0.5 * np.sum(X**2, axis=1) * np.exp(-2 * theta[0]) - theta[0]


def test_grid_search_over_likelihoods_from_a_template_without_one():
    # GridSearchCV asks the template for score before it sets a likelihood
    X = np.random.default_rng(1).normal(2.0, 1.0, size=(150, 1))
    mh = MHSampler(log_prior=wide_prior, init=[0.0], n_steps=400, random_state=0)
    assert hasattr(mh, "score")
    search = GridSearchCV(mh, {"log_likelihood": [scale_loglik, location_loglik]},
                          cv=3).fit(X)
    assert search.best_params_["log_likelihood"] is location_loglik


def test_fit_warns_where_chains_disagree_or_too_few_draws_are_kept():
    # a logistic regression's posterior from zeros, at the default step:
    # chains that have not reached its mass (means of -0.2 for an intercept
    # of -13), which said nothing but through r_hat_
    rng = np.random.default_rng(0)
    X = np.c_[np.ones(32), rng.normal(size=(32, 3)) * [1.0, 3.0, 1.0]]
    y = (X @ [-13.0, 2.8, 0.1, 2.4] + rng.logistic(size=32) > -13).astype(float)

    def logit_loglik(theta, data):
        z = data[:, :4] @ theta
        return data[:, 4] * z - np.logaddexp(0, z)

    mh = MHSampler(log_likelihood=logit_loglik, init=np.zeros(4), n_steps=500,
                   random_state=0)
    with pytest.warns(ConvergenceWarning, match="not converged"):
        mh.fit(np.c_[X, y])
    assert np.max(mh.r_hat_) > 1.1
    few = MHSampler(std_normal_vec, vectorized=True, init=[0.0], n_steps=1000,
                    burn_in=998, random_state=0)
    with pytest.warns(ConvergenceWarning, match="Only 2 draws per chain"):
        few.fit()
    assert np.isnan(few.r_hat_).all()
    # no proposal accepted: every draw is the start, and R-hat is 0 / 0
    stuck = MHSampler(std_normal_vec, vectorized=True, init=[0.0], n_chains=1,
                      step_size=1e8, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"did not move in dimension\(s\) \[0\]"):
        stuck.fit()
    assert stuck.n_accepted_.sum() == 0
    # a run that converged says nothing
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        MHSampler(std_normal_vec, vectorized=True, init=[0.0], n_steps=2000,
                  random_state=0).fit()


def test_score_warns_of_rows_whose_likelihood_is_nan():
    # it returned NaN silently, where fit warns of NaN log densities
    def nan_at_negative(theta, X):
        return np.where(X[:, 0] < 0, np.nan, location_loglik(theta, X))

    X = np.linspace(0.5, 1.5, 20)[:, None]
    mh = MHSampler(log_likelihood=nan_at_negative, log_prior=wide_prior, init=[1.0],
                   n_steps=200, random_state=0).fit(X)
    with pytest.warns(UserWarning, match=r"NaN at 2 row\(s\) of X \(first: row 1\)"):
        lppd = mh.score_samples([[1.0], [-1.0], [0.0], [-2.0]])
    assert np.isnan(lppd).tolist() == [False, True, False, True]
    # and so does the export that az.loo reads
    if importlib.util.find_spec("arviz") is not None:
        with pytest.warns(UserWarning, match="NaN at 1 row.*az.loo"):
            arviz()
            mh.to_arviz([[-1.0], [1.0]])


def test_sparse_data_reach_the_likelihood_as_given():
    sparse = pytest.importorskip("scipy.sparse")
    X = np.random.default_rng(3).normal(1.0, 1.0, size=(30, 2))
    X[X < 0.5] = 0.0
    seen = []

    def loglik(theta, data):
        seen.append(sparse.issparse(data))
        data = data.toarray() if sparse.issparse(data) else data
        return -0.5 * np.sum((data - theta[0]) ** 2, axis=1)

    dense = MHSampler(log_likelihood=loglik, init=[0.0], n_steps=200,
                      random_state=0).fit(X)
    assert not any(seen)
    csr = clone(dense).fit(sparse.csr_matrix(X))
    np.testing.assert_array_equal(csr.chain_, dense.chain_)
    assert all(seen[len(seen) // 2:])
    assert csr.score(sparse.csr_matrix(X[:5])) == dense.score(X[:5])


def test_score_needs_a_likelihood():
    mh = fit_gaussian_chain()
    assert not hasattr(mh, "score") and not hasattr(mh, "score_samples")


# ---------------------------------------------------------------- seed example


def test_seed_example():
    example = load_example()
    problem = example.make_seed_problem(0)
    assert problem.exact_mean == pytest.approx(
        example.closed_form_mean(problem.observed, problem.mu), rel=1e-9
    )
    mh = example.seed_sampler(problem, random_state=0).fit(problem.observed)
    assert mh.chain_.shape == (37500, 1, 1)
    # the stationary acceptance rate, int int q(s'|s) min(p(s), p(s')) ds ds'
    # for the N(s, 0.5) proposal, by quadrature of the exact posterior p
    # (0.170: the slides' "about 8500" of 50000)
    density = example.exact_posterior(problem.observed, problem.mu)[0]
    sd = problem.exact_mean / np.sqrt(2 * len(problem.observed))
    s = np.linspace(problem.exact_mean - 15 * sd, problem.exact_mean + 15 * sd, 2001)
    p = density(s)
    rate = (stats.norm.pdf(s[:, None] - s, scale=0.5) * np.minimum.outer(p, p)).sum() \
        * (s[1] - s[0]) ** 2
    accepted = mh.accepted_chain_[:, 0].astype(float)
    tau = emcee.autocorr.integrated_time(accepted, quiet=True)[0]
    se = np.sqrt(len(accepted) * rate * (1 - rate) * tau)
    assert abs(accepted.sum() - len(accepted) * rate) < K * se
    mcse = mh.std_[0] / np.sqrt(mh.ess_[0])
    assert mh.ess_[0] > 1000  # the tolerance below is a real one
    assert abs(mh.mean_[0] - problem.exact_mean) < K * mcse


def test_seed_example_script_runs(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    example = load_example()
    example.main(save=tmp_path / "figure.png")
    assert (tmp_path / "figure.png").stat().st_size > 0
    out = capsys.readouterr().out
    assert "accepted proposals" in out and "exact posterior mean" in out


# ---------------------------------------------------------------- statistics


def test_correlated_gaussian_mean_and_covariance():
    mh = MHSampler(correlated_gaussian, vectorized=True, init=[0.0, 0.0], n_chains=8,
                   n_steps=6000, random_state=0).fit()
    ess = mh.ess_.min()
    assert ess > 1000
    sd = np.sqrt(np.diag(COV_2D))
    assert np.all(np.abs(mh.mean_ - MEAN_2D) < K * sd / np.sqrt(mh.ess_))
    # Var of a sample covariance of Gaussians: (S_ii S_jj + S_ij^2) / n.
    se_cov = np.sqrt((np.outer(sd**2, sd**2) + COV_2D**2) / ess)
    assert np.all(np.abs(np.cov(mh.samples_.T) - COV_2D) < K * se_cov)
    assert np.all(np.abs(mh.r_hat_ - 1) < 0.02)


def test_heavy_tailed_target_matches_by_kolmogorov_smirnov():
    mh = MHSampler(student_t3, vectorized=True, init=[0.0], n_chains=8,
                   n_steps=12000, random_state=0).fit()
    lag = int(np.ceil(3 * mh.autocorr_time_[0]))
    thinned = mh.chain_[::lag, :, 0].ravel()
    assert len(thinned) > 1000
    assert stats.kstest(thinned, stats.t(df=3).cdf).pvalue > 0.01
    # The test has power: a Gaussian of the same variance is rejected.
    assert stats.kstest(thinned, stats.norm(scale=np.sqrt(3)).cdf).pvalue < 0.01


def test_discrete_target_frequencies():
    p = np.array([[0.5, 0.3, 0.15, 0.05, 0.0], [0.1, 0.1, 0.1, 0.1, 0.6]])
    with np.errstate(divide="ignore"):
        log_p = np.log(p) + 3.0  # unnormalized
    states, rate = mh_categorical(log_p, n_chains=20, n_steps=3000,
                                  random_state=0, burn_in=100)
    assert states.shape == (2900, 2, 20) and 0 < rate < 1
    freq = categorical_frequencies(states, 5)
    assert freq[0, 4] == 0.0  # the forbidden state is never visited
    for i, j in zip(*np.nonzero(p)):
        indicator = (states[:, i, :] == j)[:, :, None].astype(float)
        ess = states.shape[0] * states.shape[2] / integrated_time(indicator)[0]
        assert abs(freq[i, j] - p[i, j]) < K * np.sqrt(p[i, j] * (1 - p[i, j]) / ess)


def test_r_hat_flags_chains_stuck_in_separate_modes():
    init = np.array([[-10.0], [-10.0], [10.0], [10.0]])
    mh = MHSampler(two_modes, vectorized=True, init=init, n_steps=2000, step_size=0.5,
                   random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"not converged: split R-hat .* \[0\]"):
        mh.fit()
    assert np.all(mh.chain_[:, :2] < 0) and np.all(mh.chain_[:, 2:] > 0)  # stuck
    # The rank R-hat of perfectly separated chains is bounded (about 1.7).
    assert mh.r_hat_[0] > 1.5
    one_mode = MHSampler(two_modes, vectorized=True, init=init[:2] + [[0.5], [-0.5]],
                         n_chains=2, n_steps=2000, step_size=1.0, random_state=0)
    assert abs(one_mode.fit().r_hat_[0] - 1) < 0.05


@pytest.mark.parametrize("n_dim, scale", [(1, 1.0), (1, 1e-3), (5, 1.0)])
def test_auto_step_size_reaches_the_target_acceptance(n_dim, scale):
    mh = MHSampler(lambda t: std_normal_vec(t / scale), vectorized=True,
                   init=np.zeros(n_dim), n_chains=16, n_steps=3000, random_state=0).fit()
    moved = np.any(np.diff(mh.chain_, axis=0) != 0, axis=2)  # the frozen kernel
    target = 0.234 + 0.206 / n_dim
    assert abs(moved.mean() - target) < 0.05
    # The optimal scale of a Gaussian random walk is about 2.4 sd / sqrt(n_dim).
    # Each group of chains tunes its own scale: 8 groups of 2 chains here.
    assert mh.step_size_.shape == (16,) and len(np.unique(mh.step_size_)) == 8
    assert np.all((0.5 < mh.step_size_ / (2.4 * scale / np.sqrt(n_dim)))
                  & (mh.step_size_ / (2.4 * scale / np.sqrt(n_dim)) < 2))


def test_emcee_gaussian_move_matches_the_native_kernel_statistically():
    native = MHSampler(std_normal_vec, vectorized=True, init=[0.0], n_chains=16,
                       n_steps=2000, step_size=2.4, random_state=0).fit()
    via_emcee = clone(native).set_params(move=emcee.moves.GaussianMove(2.4**2)).fit()
    assert via_emcee.step_size_ is None
    for mh in (native, via_emcee):
        assert abs(mh.mean_[0]) < K / np.sqrt(mh.ess_[0])
    # a random walk N(0, s^2) on N(0, 1) accepts (2 / pi) arctan(2 / s) of
    # its proposals at stationarity; the 16 chains are independent
    rate = 2 / np.pi * np.arctan(2 / 2.4)
    for mh in (native, via_emcee):
        per_chain = mh.accepted_chain_.mean(axis=0)
        se = per_chain.std(ddof=1) / np.sqrt(len(per_chain))
        assert abs(per_chain.mean() - rate) < K * se


@pytest.mark.parametrize("move", ["stretch", "de"])
def test_emcee_ensemble_moves(move):
    mh = MHSampler(correlated_gaussian, vectorized=True, init=[0.0, 0.0], n_chains=16,
                   n_steps=2000, move=move, random_state=0).fit()
    assert mh.chain_.shape == (1000, 16, 2)
    sd = np.sqrt(np.diag(COV_2D))
    assert np.all(np.abs(mh.mean_ - MEAN_2D) < K * sd / np.sqrt(mh.ess_))
    again = clone(mh).fit()
    np.testing.assert_array_equal(again.chain_, mh.chain_)


def test_a_list_of_weighted_emcee_moves_is_mixed_as_emcee_mixes_it():
    moves = [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    mh = MHSampler(correlated_gaussian, vectorized=True, init=[0.0, 0.0], n_chains=16,
                   n_steps=2000, move=moves, random_state=0).fit()
    sd = np.sqrt(np.diag(COV_2D))
    assert np.all(np.abs(mh.mean_ - MEAN_2D) < K * sd / np.sqrt(mh.ess_))
    assert moves[0][0] is mh.move[0][0]  # the user's list is not changed
    plain = clone(mh).set_params(move=[emcee.moves.StretchMove()]).fit()
    assert plain.chain_.shape == mh.chain_.shape
    # both forms in one list (emcee itself failed on it, in numpy)
    mixed = [(emcee.moves.DEMove(), 0.8), emcee.moves.StretchMove()]
    assert clone(mh).set_params(move=mixed).fit().chain_.shape == mh.chain_.shape
    with pytest.raises(ValueError, match="n_chains >= 4"):
        clone(mh).set_params(n_chains=3).fit()
    for bad in ([], [(emcee.moves.DEMove(), 0.0)], [(emcee.moves.DEMove(), np.inf)],
                [(emcee.moves.DEMove(), True)], ["stretch"]):
        with pytest.raises(ValueError, match="emcee Moves or \\(Move, weight\\)"):
            clone(mh).set_params(move=bad).fit()


# ---------------------------------------------------------------- mechanics


def test_same_seed_same_chain_and_vectorization_does_not_change_it():
    a, b = fit_gaussian_chain(), fit_gaussian_chain()
    np.testing.assert_array_equal(a.chain_, b.chain_)
    assert not np.array_equal(fit_gaussian_chain(random_state=1).chain_, a.chain_)
    scalar = MHSampler(std_normal, init=[0.0], n_steps=300, n_chains=4, random_state=0)
    np.testing.assert_array_equal(scalar.fit().chain_, a.chain_)
    rs = np.random.RandomState(0)
    c, d = fit_gaussian_chain(random_state=rs), fit_gaussian_chain(random_state=rs)
    assert not np.array_equal(c.chain_, d.chain_)  # a RandomState instance advances


def test_rejections_repeat_the_state_and_bookkeeping_agrees():
    mh = fit_gaussian_chain(n_steps=400, burn_in=0, step_size=3.0)
    moved = np.any(np.diff(mh.chain_, axis=0) != 0, axis=2)
    # With burn_in=0 every iteration after the first is kept.
    np.testing.assert_array_equal(moved.sum(axis=0) + 1 >= mh.n_accepted_, True)
    assert np.all(mh.n_accepted_ - moved.sum(axis=0) <= 1)
    np.testing.assert_allclose(mh.log_prob_chain_, std_normal_vec(mh.samples_).reshape(400, 4))
    np.testing.assert_allclose(mh.acceptance_rate_, mh.n_accepted_ / 400)
    assert mh.samples_.shape == (1600, 1)
    np.testing.assert_array_equal(mh.samples_[4:8], mh.chain_[1])


@pytest.mark.parametrize("step_size", ["auto", 0.8])
@pytest.mark.parametrize("groups", [None, [1]])
def test_one_chain_fast_path_is_the_vectorized_engine(step_size, groups):
    from skebm.sampling._chain_groups import _group_streams
    from skebm.sampling._metropolis import _random_walk, _walk_chains

    theta = np.array([[0.3, -0.2]])
    lp = nan_above_one_vec(theta)
    runs = []
    for walk in (_random_walk, _walk_chains):  # one chain: the float fast path
        gen = np.random.default_rng(5)
        streams = gen if groups is None else _group_streams(gen, 1)
        runs.append(walk(nan_above_one_vec, theta, lp, 900, 300, 2, step_size,
                         streams, None, groups))
    fast, general = runs
    assert fast.n_invalid == general.n_invalid > 0
    assert fast.first_invalid == general.first_invalid
    for name in ["chain", "lp_chain", "accepted", "n_accepted", "step"]:
        np.testing.assert_array_equal(getattr(fast, name), getattr(general, name))


@pytest.mark.parametrize("returns", [float, np.asarray, np.atleast_1d, lambda v: [v]])
def test_one_chain_of_a_scalar_density_calls_it_directly_to_the_same_chain(returns):
    # one chain of a scalar function skips the batch of one around each call
    runs = []
    for fn, vectorized in [(lambda t: returns(nan_above_one(t)), False),
                           (nan_above_one_vec, True)]:
        mh = MHSampler(fn, vectorized=vectorized, init=[0.3, -0.2], n_chains=1,
                       n_steps=600, step_size=0.8, random_state=0)
        with pytest.warns(UserWarning, match="NaN"):
            runs.append(mh.fit())
    for name in ["chain_", "log_prob_chain_"]:
        np.testing.assert_array_equal(*(getattr(run, name) for run in runs))
    # valid at the start, so that the chain's own call meets the bad value
    def low_after_the_start(theta):
        return 0.0 if theta[0] == 0.0 else "low"

    with pytest.raises(TypeError, match="log_prob must return a float, got str .low."):
        MHSampler(low_after_the_start, init=[0.0], n_chains=1, n_steps=5).fit()


def test_thin_and_burn_in_select_iterations():
    full = fit_gaussian_chain(n_steps=100, burn_in=0, step_size=1.0)
    for burn_in, thin in [(10, 3), (0.25, 1), (0.25, 4)]:
        part = fit_gaussian_chain(n_steps=100, burn_in=burn_in, thin=thin, step_size=1.0)
        start = burn_in if isinstance(burn_in, int) else 25
        np.testing.assert_array_equal(part.chain_, full.chain_[start::thin])


def only_at_one_tenth(theta):
    return 0.0 if theta[0] == 0.1 else -np.inf


def test_init_handling():
    # Every move away from 0.1 is rejected, so the chain shows where it started.
    one = MHSampler(only_at_one_tenth, init=0.1, n_chains=1, n_steps=5, burn_in=0,
                    step_size=1.0, random_state=0).fit()
    np.testing.assert_array_equal(one.chain_, 0.1)
    assert one.n_accepted_[0] == 0
    many = fit_gaussian_chain(init=0.1, n_chains=4, n_steps=1, burn_in=0, step_size=1e-9)
    assert len(np.unique(many.chain_[0, :, 0])) == 4  # jittered
    per_chain = np.array([[-1.0], [0.0], [1.0], [2.0]])
    explicit = fit_gaussian_chain(init=per_chain, n_steps=1, burn_in=0, step_size=1e-9)
    np.testing.assert_allclose(explicit.chain_[0], per_chain, atol=1e-7)


def test_jittered_starts_off_the_support_fall_back_to_init():
    X = np.ones((5, 1))
    mh = MHSampler(log_likelihood=loglik_positive_only_vec, log_prior=positive_prior_vec,
                   vectorized=True, init=[1e-3], n_chains=8, n_steps=50, step_size=1.0,
                   random_state=0).fit(X)
    assert np.all(mh.chain_ > 0)  # and the likelihood never saw theta <= 0


@pytest.mark.parametrize("move", ["gaussian", "stretch"])
def test_progress_bar_is_tqdm_on_stderr_and_changes_nothing(capsys, move):
    quiet = fit_gaussian_chain(move=move)
    assert capsys.readouterr() == ("", "")
    shown = fit_gaussian_chain(progress=True, move=move)
    out, err = capsys.readouterr()
    assert out == ""
    # tqdm's closing line: description, 100%, the bar and the count of draws
    # (300 iterations of 4 chains).
    assert re.search(r"MHSampler: 100%\|[^|]+\| 1\.20k/1\.20k \[", err)
    np.testing.assert_array_equal(shown.chain_, quiet.chain_)
    np.testing.assert_array_equal(shown.n_accepted_, quiet.n_accepted_)


def test_accepted_chain_records_each_kept_proposal():
    full = fit_gaussian_chain(n_steps=400, burn_in=0, step_size=2.0)
    moved = np.any(np.diff(full.chain_, axis=0) != 0, axis=2)
    np.testing.assert_array_equal(full.accepted_chain_[1:], moved)
    np.testing.assert_array_equal(full.accepted_chain_.sum(axis=0), full.n_accepted_)
    part = fit_gaussian_chain(n_steps=400, burn_in=100, thin=3, step_size=2.0)
    np.testing.assert_array_equal(part.accepted_chain_, full.accepted_chain_[100::3])
    ensemble = fit_gaussian_chain(n_steps=400, burn_in=0, move="stretch")
    moved = np.any(np.diff(ensemble.chain_, axis=0) != 0, axis=2)
    np.testing.assert_array_equal(ensemble.accepted_chain_[1:], moved)
    np.testing.assert_array_equal(ensemble.accepted_chain_.sum(axis=0),
                                  ensemble.n_accepted_)


def arviz():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # ArviZ 0.2x on import
        return pytest.importorskip("arviz")


@pytest.mark.parametrize("move", ["gaussian", "stretch"])
def test_to_arviz_summary_agrees_with_the_sampler(move):
    az = arviz()
    mh = MHSampler(correlated_gaussian, vectorized=True, init=[0.0, 0.0], n_chains=8,
                   n_steps=2001, thin=2, move=move, random_state=0).fit()
    idata = mh.to_arviz()
    assert isinstance(idata, az.InferenceData)
    assert idata.posterior["theta"].dims == ("chain", "draw", "theta_dim")
    np.testing.assert_array_equal(idata.posterior["theta"].values,
                                  np.moveaxis(mh.chain_, 0, 1))
    np.testing.assert_array_equal(idata.sample_stats["lp"].values, mh.log_prob_chain_.T)
    np.testing.assert_array_equal(idata.sample_stats["accepted"].values,
                                  mh.accepted_chain_.T)
    assert ("step_size" in idata.sample_stats) == (move == "gaussian")
    summary = az.summary(idata, round_to="none")
    assert list(summary.index) == ["theta[0]", "theta[1]"]
    np.testing.assert_allclose(summary["r_hat"], mh.r_hat_, rtol=0, atol=1e-3)
    np.testing.assert_allclose(summary["ess_bulk"], mh.ess_, rtol=0.01)
    np.testing.assert_allclose(summary["ess_tail"], mh.ess_tail_, rtol=0.01)
    np.testing.assert_allclose(summary["mean"], mh.mean_, rtol=1e-12)


def test_to_arviz_holds_the_pointwise_likelihood_for_loo():
    # without it az.loo raised "log likelihood not found"
    az = arviz()
    X = np.random.default_rng(2).normal(1.0, 1.0, size=(25, 1))
    mh = MHSampler(log_likelihood=location_loglik_vec, log_prior=wide_prior_vec,
                   vectorized=True, init=[0.0], n_steps=400, thin=2,
                   random_state=0).fit(X)
    idata = mh.to_arviz(X)
    ll = idata.log_likelihood["obs"]
    assert ll.dims == ("chain", "draw", "obs_dim") and ll.shape == (4, 100, 25)
    np.testing.assert_allclose(
        ll.values, np.moveaxis(location_loglik_vec(mh.samples_, X).reshape(
            100, 4, 25), 0, 1), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Pareto k of few draws
        loo = az.loo(idata, pointwise=True)
    # the lppd it starts from is the sampler's own score of the same rows
    lppd = logsumexp(ll.values.reshape(-1, 25), axis=0) - np.log(400)
    np.testing.assert_allclose(lppd, mh.score_samples(X), rtol=1e-10)
    assert np.isfinite(loo.elpd_loo) and loo.elpd_loo < lppd.sum()
    assert "log_likelihood" not in mh.to_arviz().groups()
    with pytest.raises(ValueError, match="has a log_prob, no log_likelihood"):
        fit_gaussian_chain().to_arviz(X)


def test_to_arviz_without_arviz_says_how_to_install_it(monkeypatch):
    mh = fit_gaussian_chain()
    monkeypatch.setitem(sys.modules, "arviz", None)  # import arviz fails
    with pytest.raises(ImportError, match="pip install arviz"):
        mh.to_arviz()
    with pytest.raises(NotFittedError):
        MHSampler(std_normal).to_arviz()


def assert_same_run(a, b):
    for name in ["chain_", "log_prob_chain_", "accepted_chain_", "n_accepted_",
                 "step_size_"]:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize(
    "params",
    [
        # 11 chains: 8 groups of 2, 2, 2, 1, 1, 1, 1, 1; auto tuning per group.
        dict(log_prob=correlated_gaussian, vectorized=True, init=[0.0, 0.0],
             n_chains=11, n_steps=600, thin=3),
        dict(log_prob=std_normal, init=[0.5], n_chains=4, n_steps=300, step_size=1.5),
        dict(log_likelihood=location_loglik_vec, log_prior=positive_prior_vec,
             vectorized=True, init=[1.0], n_chains=6, n_steps=300, burn_in=100),
    ],
)
def test_same_seed_same_result_whatever_n_jobs(params):
    X = np.random.default_rng(0).normal(1.0, 1.0, size=(20, 1))
    serial = MHSampler(random_state=3, **params).fit(X)
    parallel = clone(serial).set_params(n_jobs=2).fit(X)
    assert_same_run(serial, parallel)
    with parallel_config(n_jobs=2):  # n_jobs=None follows joblib's context
        assert_same_run(serial, clone(serial).fit(X))
    assert not np.array_equal(clone(serial).set_params(random_state=4).fit(X).chain_,
                              serial.chain_)


def test_n_jobs_keeps_nan_warnings_errors_and_the_progress_bar(capsys):
    mh = MHSampler(nan_above_one_vec, vectorized=True, init=[0.0], n_chains=4,
                   n_steps=500, step_size=1.0, random_state=0)
    with pytest.warns(UserWarning, match="NaN") as serial_warning:
        serial = mh.fit()
    with pytest.warns(UserWarning, match="NaN") as parallel_warning:
        parallel = clone(mh).set_params(n_jobs=2, progress=True).fit()
    assert_same_run(serial, parallel)
    # Same count, same first offending iteration and chain.
    assert str(serial_warning[0].message) == str(parallel_warning[0].message)
    assert "100%" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"log_prob raised ValueError: boom"):
        MHSampler(raises_above_half, init=[0.0], n_steps=200, step_size=1.0,
                  n_jobs=2, random_state=0).fit()


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(n_steps=0), "n_steps"),
        (dict(n_chains=0), "n_chains"),
        (dict(step_size=-1.0), "step_size"),
        (dict(step_size="big"), "step_size"),
        (dict(burn_in=1.5), "burn_in"),
        (dict(burn_in=-1), "burn_in"),
        (dict(thin=0), "thin"),
        (dict(move="hamiltonian"), "move"),
        (dict(vectorized="yes"), "vectorized"),
        (dict(n_jobs="two"), "n_jobs"),
        (dict(n_jobs=1.5), "n_jobs"),
        (dict(burn_in=300), "drops all"),
        (dict(burn_in=0), "burn_in > 0"),
        (dict(move="stretch", n_chains=1), "n_chains >= 2"),
        # emcee's DEMove failed inside numpy ("a must be greater than 0")
        (dict(move="de", n_chains=3), "n_chains >= 4"),
    ],
)
def test_invalid_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        fit_gaussian_chain(**params)


def test_target_specification_errors():
    with pytest.raises(ValueError, match="One of log_prob or log_likelihood"):
        MHSampler(init=0.0).fit()
    with pytest.raises(ValueError, match="not both"):
        MHSampler(std_normal, log_likelihood=location_loglik, init=0.0).fit(np.ones((3, 1)))
    with pytest.raises(ValueError, match="needs data"):
        MHSampler(log_likelihood=location_loglik, init=0.0).fit()


@pytest.mark.parametrize(
    "init, match",
    [
        (None, "init is required"),
        ([[0.0], [1.0]], "shape"),  # 2 rows for 4 chains
        (np.zeros((4, 1, 1)), "shape"),
        ([], "shape"),
        ([np.nan], "finite"),
        (["a"], "numeric"),
    ],
)
def test_bad_init(init, match):
    with pytest.raises(ValueError, match=match):
        fit_gaussian_chain(init=init)


def test_init_with_zero_probability():
    mh = MHSampler(log_likelihood=location_loglik_vec, log_prior=positive_prior_vec,
                   vectorized=True, init=[-1.0], n_steps=10)
    with pytest.raises(ValueError, match=r"zero probability .*-inf at init=\[-1\.\]"):
        mh.fit(np.ones((3, 1)))
    per_chain = np.array([[1.0], [-1.0], [2.0], [3.0]])
    with pytest.raises(ValueError, match=r"zero probability .*chains \[1\]"):
        mh.set_params(init=per_chain).fit(np.ones((3, 1)))


@pytest.mark.parametrize("vectorized", [False, True])
@pytest.mark.parametrize("move", ["gaussian", "stretch"])
def test_nan_log_density_is_a_rejection_with_one_warning(vectorized, move):
    fn = nan_above_one_vec if vectorized else nan_above_one
    mh = MHSampler(fn, vectorized=vectorized, init=[0.0], n_chains=4, n_steps=500,
                   step_size=1.0, move=move, random_state=0)
    with pytest.warns(UserWarning, match="NaN") as record:
        mh.fit()
    assert sum("NaN" in str(w.message) for w in record) == 1
    assert mh.chain_.max() <= 1 and np.all(np.isfinite(mh.log_prob_chain_))


@pytest.mark.parametrize("move", ["gaussian", "stretch"])
@pytest.mark.parametrize("vectorized", [False, True])
def test_raising_log_density_names_theta(vectorized, move, capsys):
    def rows(theta):  # vectorized but otherwise identical
        return np.array([raises_above_half(row) for row in theta])

    fn = rows if vectorized else raises_above_half
    mh = MHSampler(fn, vectorized=vectorized, init=[0.0], n_steps=200, step_size=1.0,
                   move=move, random_state=0)
    with pytest.raises(ValueError, match=r"log_prob raised ValueError: boom at theta=") as exc:
        mh.fit()
    assert str(exc.value.__cause__) == "boom"
    # through emcee too, the one message: emcee printed a traceback of its own
    assert capsys.readouterr() == ("", "")


def test_raising_likelihood_is_named_too():
    def bad(theta, X):
        raise ZeroDivisionError("no")
    mh = MHSampler(log_likelihood=bad, init=[0.0], n_steps=10)
    with pytest.raises(ZeroDivisionError, match=r"log_likelihood raised .*theta=\[0\.\]"):
        mh.fit(np.ones((3, 1)))


def test_a_refit_keeps_nothing_of_another_fit_it_does_not_make():
    # a fit that raises leaves the earlier fit whole (not its samples beside
    # the new data's columns), and a fit without data has no columns
    X = np.ones((10, 1))
    mh = MHSampler(log_likelihood=lambda t, X: -(X[:, 0] - t[0]) ** 2, init=[0.0],
                   n_steps=100, random_state=0).fit(X)
    samples = mh.samples_.copy()
    mh.set_params(log_likelihood=lambda t, X: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        mh.fit(np.ones((10, 2)))
    assert mh.n_features_in_ == 1 and np.array_equal(mh.samples_, samples)
    mh.set_params(log_likelihood=None, log_prob=lambda t: -t @ t).fit()
    assert not hasattr(mh, "n_features_in_") and mh.samples_.shape[1] == 1


@pytest.mark.parametrize("move", ["gaussian", "stretch"])
def test_plus_inf_log_density_is_an_error(move):
    mh = MHSampler(plus_inf_above_three, vectorized=True, init=[0.0], n_steps=500,
                   step_size=2.0, move=move, random_state=0)
    with pytest.raises(ValueError, match=r"\+inf") as exc:
        mh.fit()
    # through emcee, the one parameter vector as a flat array (it was 2-D)
    assert "[[" not in str(exc.value)


def test_wrong_output_shape_is_an_error():
    mh = MHSampler(lambda theta: 0.0, vectorized=True, init=[0.0], n_steps=10)
    with pytest.raises(ValueError, match=r"returned shape \(\) .* expected \(4,\)"):
        mh.fit()


@pytest.mark.parametrize("returned, error, match", [
    # the shapes the user's function saw and gave, not the batch's
    (lambda theta: theta, ValueError,
     r"theta of shape \(2,\); it returned shape \(2,\) at theta=\[0\. 0\.\]"),
    (lambda theta: "a", TypeError, r"got str 'a' at theta=\[0\. 0\.\]"),
    # numpy reads None as NaN, which would pass for a zero probability
    (lambda theta: None, TypeError, r"got NoneType"),
])
def test_a_scalar_log_prob_returning_no_float_is_named(returned, error, match):
    mh = MHSampler(returned, init=np.zeros(2), n_steps=10)
    with pytest.raises(error, match=match):
        mh.fit()
    assert not hasattr(mh, "samples_")


@pytest.mark.parametrize("vectorized", [False, True])
def test_a_summed_likelihood_is_refused_at_fit(vectorized):
    # score(X) needs a value per observation: a sum was accepted and failed
    # only there, after the chains had run
    def summed(theta, X):
        return -0.5 * np.sum((X[:, 0] - np.atleast_2d(theta)[:, :1]) ** 2, axis=-1)

    mh = MHSampler(log_likelihood=summed, vectorized=vectorized, init=[0.0],
                   n_steps=10)
    with pytest.raises(ValueError, match=r"one value per observation, shape "
                                         r"\((\d+, )?5,?\)") as exc:
        mh.fit(np.ones((5, 1)))
    assert not hasattr(mh, "samples_")
    # skebm's check refused the value: the user's function raised nothing
    assert str(exc.value).startswith("log_likelihood returned shape (")
    assert "raised" not in str(exc.value)


@pytest.mark.parametrize("vectorized", [False, True])
@pytest.mark.parametrize("returned, match", [
    (lambda theta, X: float(X.sum()), r"returned shape \(\); .* shape \((\d, )?5,?\)"),
    (lambda theta, X: np.zeros(X.shape[0] + 1), r"shape \((\d, )?5,?\)"),
    (lambda theta, X: None, r"returned NoneType|returned shape \(\)"),
    (lambda theta, X: [1.0, [2.0]], r"returned list, not an array of floats"),
])
def test_a_log_likelihood_of_the_wrong_shape_is_named_as_such(vectorized, returned,
                                                               match):
    # vectorized, a sum was reported as the user's function raising "len()
    # of unsized object", and one row of values for all chains as expecting
    # the shape of the values returned
    mh = MHSampler(log_likelihood=returned, vectorized=vectorized, init=[0.0],
                   n_steps=10)
    with pytest.raises(ValueError, match=match) as exc:
        mh.fit(np.ones((5, 1)))
    assert "raised" not in str(exc.value)
    # a ValueError as log_prob's check raises, not a private subclass
    assert type(exc.value) is ValueError


# ---------------------------------------------------------------- discrete engine


def test_mh_categorical_mechanics():
    log_p = np.log(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]))
    states, rate = mh_categorical(log_p, n_chains=3, n_steps=50, random_state=0)
    assert states.shape == (50, 2, 3) and np.issubdtype(states.dtype, np.integer)
    again, _ = mh_categorical(log_p, n_chains=3, n_steps=50, random_state=0)
    np.testing.assert_array_equal(states, again)
    init = np.array([[2, 2, 2], [0, 0, 0]])
    started, _ = mh_categorical(log_p, 3, 1, 0, init=init)
    assert started.shape == (1, 2, 3)
    single, rate1 = mh_categorical(np.zeros((4, 1)), 2, 5, 0)
    assert rate1 == 0.0 and not single.any()


def test_mh_categorical_uniform_start_covers_allowed_states_only():
    log_p = np.array([[0.0, -np.inf, 0.0, -np.inf]])
    states, rate = mh_categorical(log_p, n_chains=1000, n_steps=1, random_state=0)
    assert set(np.unique(states)) == {0, 2}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(log_p=np.zeros(3)), "shape"),
        (dict(log_p=np.array([[0.0, np.nan]])), "NaN"),
        (dict(log_p=np.array([[-np.inf, -np.inf]])), "allow no state"),
        (dict(init=np.array([[1]])), "forbidden"),
        (dict(init=np.array([[5]])), r"\[0, 2\)"),
        (dict(init=np.array([[0, 0]])), "shape"),
        (dict(burn_in=10), "smaller than n_steps"),
        (dict(n_chains=0), "n_chains"),
    ],
)
def test_mh_categorical_errors(kwargs, match):
    args = dict(log_p=np.array([[0.0, -np.inf]]), n_chains=1, n_steps=10,
                random_state=0)
    with pytest.raises(ValueError, match=match):
        mh_categorical(**{**args, **kwargs})


def test_categorical_frequencies_counts():
    rng = np.random.default_rng(0)
    states = rng.integers(0, 4, size=(30, 5, 3))
    freq = categorical_frequencies(states, 4)
    expected = np.array([[np.mean(states[:, i] == j) for j in range(4)] for i in range(5)])
    np.testing.assert_allclose(freq, expected)
    with pytest.raises(ValueError):
        categorical_frequencies(states, 3)
