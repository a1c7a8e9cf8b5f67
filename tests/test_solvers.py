"""The solvers: L-BFGS for long parameter vectors, and the blocked objective."""

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import rosen, rosen_der
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skebm import EnergyClassifier, EnergyRegressor
from skebm.solvers import _lbfgs
from skebm.energies import JointEnergy, LinearEnergy, MLPEnergy
from skebm.losses import LVQ2Loss, MCELoss, NLLLoss
from skebm.solvers import Settings, resolve_solver, train
from skebm.solvers._checks import Checks
from skebm.solvers._objective import Objective


def _rosenbrock(x):
    return float(rosen(x)), rosen_der(x)


@pytest.mark.parametrize("n_pairs", [3, 10])
def test_two_loop_lbfgs_finds_the_minimum_of_rosenbrock(n_pairs):
    x0 = np.full(20, -1.2)
    result = _lbfgs._two_loop_lbfgs(_rosenbrock, x0, max_iter=2000,
                                    max_fun=20000, tol=1e-6, callback=None,
                                    n_pairs=n_pairs)
    assert result.status == 0, result.message
    np.testing.assert_allclose(result.x, 1.0, atol=1e-4)


def test_two_loop_lbfgs_keeps_the_dtype_and_stops_on_request():
    seen = []

    def callback(intermediate_result):
        seen.append(intermediate_result.fun)
        if len(seen) == 3:
            raise StopIteration

    x0 = np.full(6, -1.2, dtype=np.float32)
    result = _lbfgs._two_loop_lbfgs(
        lambda x: (float(rosen(x)), rosen_der(x).astype(np.float32)), x0,
        max_iter=100, max_fun=1000, tol=1e-6, callback=callback, n_pairs=5)
    assert result.x.dtype == np.float32
    assert result.nit == 3 and result.status == 99
    assert seen == sorted(seen, reverse=True)  # every step decreased the value


def test_two_loop_lbfgs_reports_the_iteration_limit():
    result = _lbfgs._two_loop_lbfgs(_rosenbrock, np.full(4, -1.2), max_iter=5,
                                    max_fun=1000, tol=1e-10, callback=None,
                                    n_pairs=3)
    assert result.status == 1 and result.nit == 5


@pytest.mark.parametrize("loader, kw", [
    (load_digits, {}),
    (load_breast_cancer, {}),
    (load_breast_cancer, {"loss": "log"}),
])
def test_low_memory_lbfgs_fits_as_well_as_scipys(monkeypatch, loader, kw):
    # a budget of one byte sends every fit to the two-loop version with its
    # fewest pairs; on these smooth convex objectives both reach the same
    # optimum (a kinked loss such as hinge stops where its kinks stall it)
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    # a fixed alpha: fits run to convergence (alpha="auto" refits for the
    # iterations its trials chose)
    reference = EnergyClassifier(alpha=0.5, random_state=0, **kw).fit(X, y)
    monkeypatch.setattr(_lbfgs, "_MEMORY_BYTES", 1)
    low_memory = EnergyClassifier(alpha=0.5, random_state=0, **kw).fit(X, y)
    # the objective is the mean loss: 1e-3 of it is far below one sample's
    assert low_memory.loss_ == pytest.approx(reference.loss_, rel=0.05, abs=1e-3)
    agreement = np.mean(low_memory.predict(X) == reference.predict(X))
    assert agreement > 0.98


@pytest.mark.parametrize("n_rows", [1, 128, 150])
@pytest.mark.parametrize("sparse", [None, sp.csr_matrix, sp.csr_array])
@pytest.mark.parametrize("Estimator, loss, energy", [
    (EnergyClassifier, "nll", "linear"),
    (EnergyClassifier, "hinge", "mlp"),
    (EnergyRegressor, "nll", "joint"),
])
def test_the_objective_in_blocks_equals_the_objective_in_one_piece(
        monkeypatch, n_rows, sparse, Estimator, loss, energy):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((150, 6))
    y = rng.randint(3, size=150) if Estimator is EnergyClassifier \
        else X[:, 0] + 0.1 * rng.standard_normal(150)
    model = Estimator(loss=loss, energy=energy, max_iter=3, random_state=0)
    with pytest.warns(Warning):  # max_iter is too small on purpose
        model.fit(X, y)
    X_in = X[:n_rows] if sparse is None else sparse(X[:n_rows])
    if Estimator is EnergyRegressor:  # the answer space's standardized units
        y = ((y - model.y_mean_[0]) / model.y_scale_[0])[:, None]
    y = y[:n_rows]
    objective = Objective(model.energy_, model.answer_space_, model._loss,
                          model.beta_, 1.0, 150.0)
    weights = rng.uniform(0.5, 1.5, n_rows)
    whole = objective(X_in, y, weights)
    monkeypatch.setattr(type(model.answer_space_), "block_rows", 32)
    blocks = objective(X_in, y, weights)
    assert blocks[0] == pytest.approx(whole[0], rel=1e-12)
    # summed in the energy's float type: float32 for the joint energy
    scale = np.finfo(whole[1].dtype).eps * np.abs(whole[1]).max()
    np.testing.assert_allclose(blocks[1], whole[1], rtol=1e-10,
                               atol=max(1e-14, 8 * scale))


def test_the_objective_hands_no_subnormal_gradients_to_the_energy(monkeypatch):
    # a sharp fit's grid probabilities, scaled by the rows' weights, underflow
    # to subnormals, on which the energy's backward products run slowly
    rng = np.random.RandomState(0)
    X = rng.standard_normal((200, 3))
    y = X[:, 0] + 1e-3 * rng.standard_normal(200)
    model = EnergyRegressor(energy="joint", alpha=0.1, max_iter=40,
                            random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    seen = []
    backward = model.energy_.backward

    def spy(cache, d_energies):
        seen.append(d_energies.copy())
        return backward(cache, d_energies)

    monkeypatch.setattr(model.energy_, "backward", spy)
    z = ((y - model.y_mean_[0]) / model.y_scale_[0])[:, None]
    # a large inverse temperature makes most of the grid's probabilities tiny
    Objective(model.energy_, model.answer_space_, model._loss, 1e3, 1.0,
              200.0)(X, z, np.full(200, 1e-3))
    (d_energies,) = seen
    tiny = np.finfo(d_energies.dtype).tiny
    assert np.any(d_energies == 0)
    assert not np.any((d_energies != 0) & (np.abs(d_energies) < tiny))


def test_two_loop_lbfgs_skips_negative_curvature_and_converges():
    # a double well: near 0 the curvature is negative
    def double_well(x):
        return float(np.sum(x**4 / 4 - x**2 / 2)), x**3 - x

    x0 = np.linspace(-0.3, 0.3, 40) + 0.01
    result = _lbfgs._two_loop_lbfgs(double_well, x0, max_iter=500,
                                    max_fun=5000, tol=1e-8, callback=None,
                                    n_pairs=3)
    assert result.status == 0, result.message
    np.testing.assert_allclose(np.abs(result.x), 1.0, atol=1e-6)


def _quadratic_pairs(pairs, rng, A, n):
    steps = rng.standard_normal((n, A.shape[0]))
    for s in steps:
        assert pairs.add(s, np.zeros_like(s), A @ s, np.zeros_like(s))
    return steps


def test_pairs_satisfy_the_secant_condition():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((6, 6))
    A = M @ M.T + np.eye(6)
    pairs = _lbfgs._Pairs(3, 6, np.float64)
    steps = _quadratic_pairs(pairs, rng, A, 5)  # the ring wraps around
    # H y_k = s_k for the newest pair, and -grad without pairs
    np.testing.assert_allclose(pairs.direction(A @ steps[-1]), -steps[-1])
    g = rng.standard_normal(6)
    pairs.clear()
    np.testing.assert_allclose(pairs.direction(g), -g)


def test_a_rejected_pair_in_a_full_ring_drops_the_overwritten_oldest():
    rng = np.random.default_rng(1)
    M = rng.standard_normal((5, 5))
    A = M @ M.T + np.eye(5)
    pairs = _lbfgs._Pairs(3, 5, np.float64)
    steps = _quadratic_pairs(pairs, rng, A, 3)
    s = rng.standard_normal(5)
    assert not pairs.add(s, np.zeros(5), -s, np.zeros(5))  # curvature < 0
    assert pairs.n_stored == 2
    reference = _lbfgs._Pairs(3, 5, np.float64)
    for step in steps[1:]:
        reference.add(step, np.zeros(5), A @ step, np.zeros(5))
    g = rng.standard_normal(5)
    np.testing.assert_allclose(pairs.direction(g), reference.direction(g))


def test_two_loop_lbfgs_reports_the_evaluation_limit_as_scipy_does():
    result = _lbfgs._two_loop_lbfgs(_rosenbrock, np.full(4, -1.2), max_iter=100,
                                    max_fun=5, tol=1e-10, callback=None,
                                    n_pairs=3)
    assert result.status == 1 and "EVALUATIONS" in result.message


def test_auto_batch_size_is_200_rows_or_a_200th_of_the_samples():
    from skebm.solvers._settings import auto_batch_size
    assert [auto_batch_size(n) for n in (1, 150, 200, 40_000, 40_400, 10**6)] \
        == [1, 150, 200, 200, 202, 5000]


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_weights_the_penalty_alone_moves_decay_to_zero_not_to_subnormals(solver):
    # a dead unit's weights see only the L2 penalty's gradient; without a
    # flush they end as subnormal numbers, on which matrix products crawl
    from skebm.solvers._adam import AdamOptimizer
    from skebm.solvers._sgd import SGDOptimizer
    params = np.array([1.0, 0.1, 1e-3, 1e-6], dtype=np.float32)
    optimizer = (AdamOptimizer(params, 1e-3) if solver == "adam"
                 else SGDOptimizer(params, 1e-2))
    for _ in range(20_000):
        optimizer.update((1e-4 if solver == "adam" else 1.0) * params)
    tiny = np.finfo(np.float32).tiny
    assert not np.any((params != 0) & (np.abs(params) < tiny))
    assert np.all(np.abs(params) < 1e-3)


def test_adam_pickles_without_scratch_and_continues_in_the_new_dtype():
    import pickle

    from skebm.solvers._adam import AdamOptimizer
    rng = np.random.default_rng(0)
    params = rng.standard_normal(50).astype(np.float32)
    adam = AdamOptimizer(params, 1e-2)
    for _ in range(3):
        adam.update(rng.standard_normal(50).astype(np.float32))
    copy = pickle.loads(pickle.dumps(adam))
    assert copy._scratch is None and copy.t == 3
    grad = rng.standard_normal(50).astype(np.float32)
    adam.update(grad)
    copy.update(grad)
    np.testing.assert_array_equal(copy.params, adam.params)
    copy.rebind(copy.params.astype(np.float64))
    copy.update(grad.astype(np.float64))
    assert copy.ms.dtype == copy.vs.dtype == copy.params.dtype == np.float64


def test_lbfgs_with_a_validation_score_keeps_its_best_check_and_stops():
    # Rosenbrock from -1.2 towards its minimum at 1: the iterates pass near
    # 0.5, the validation's optimum, then leave it; the run keeps the best
    # checked iterate and stops 3 checks (30 iterations) after it
    target = np.full(20, 0.5)

    class Rosenbrock:
        energy = SimpleNamespace(params_=np.full(20, -1.2))

        def __call__(self, X, y, sample_weight):
            return _rosenbrock(self.energy.params_)

    objective = Rosenbrock()
    params = objective.energy.params_

    def validation():
        return -float(np.sum((params - target) ** 2))

    settings = Settings(solver="lbfgs", learning_rate_init=1e-3, momentum=0.9,
                        batch_size="auto", max_iter=1000, tol=1e-8,
                        n_iter_no_change=10, early_stopping=False, verbose=False,
                        check_every=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        state = train(objective, np.empty((1, 0)), None, None, settings,
                      "lbfgs", None, validation=validation)
    scores = state["validation_scores_"]
    best = int(np.argmax(scores))
    assert 0 < best < len(scores) - 1
    assert len(scores) == best + 1 + 3 and state["n_iter_"] == 10 * len(scores)
    assert state["_best_n_iter"] == 10 * (best + 1)
    assert state["best_validation_score_"] == scores[best] == validation()


@pytest.mark.parametrize("average", [False, True])
def test_adam_with_checks_keeps_its_best_checked_epoch_and_stops(average):
    # Adam walks from 0 to 1 in each coordinate; the validation's optimum is
    # 0.5 on the way. Averaged iterates (the perceptron's) are what is scored
    # and kept.
    rng = np.random.RandomState(0)

    class Walk:
        energy = SimpleNamespace(params_=np.zeros(3))
        loss = SimpleNamespace(average_iterates=average)
        space = None

        def __call__(self, X, y, sample_weight, rng, rows=None):
            r = self.energy.params_ - 1.0
            return 0.5 * float(r @ r), r.copy()

    objective = Walk()
    params = objective.energy.params_

    def validation():
        return -float(np.sum((params - 0.5) ** 2))

    settings = Settings(solver="adam", learning_rate_init=0.01, momentum=0.9,
                        batch_size="auto", max_iter=1000, tol=1e-8,
                        n_iter_no_change=10, early_stopping=False, verbose=False,
                        check_every=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        state = train(objective, np.zeros((4, 1)), np.zeros(4), np.ones(4),
                      settings, "adam", rng, validation=validation,
                      training_score=validation)
    scores = state["validation_scores_"]
    best = int(np.argmax(scores))
    assert 0 < best and len(scores) == best + 1 + 3
    assert state["n_iter_"] == 10 * len(scores) < 1000
    assert state["_best_n_iter"] == 10 * (best + 1)
    assert state["best_validation_score_"] == scores[best] == validation()


def test_a_nan_check_ranks_last_not_first():
    # an overflowed first check must not hold the best place against the
    # finite scores after it
    scores = iter([np.nan, -5.0, -1.0, -0.5, -0.6, -0.7, -0.8])
    settings = Settings(solver="lbfgs", learning_rate_init=1e-3, momentum=0.9,
                        batch_size="auto", max_iter=100, tol=1e-8,
                        n_iter_no_change=10, early_stopping=False, verbose=False,
                        check_every=10)
    checks = Checks(settings, lambda: next(scores))
    params = np.zeros(1)
    stops = []
    for k in range(7):
        params[0] = k
        stops.append(checks.check(params, 10 * (k + 1)))
    assert checks.best_n_iter == 40 and checks.best_params[0] == 3
    assert stops == [False] * 6 + [True]


@pytest.mark.parametrize("energy, solver", [
    (JointEnergy, "adam"), (MLPEnergy, "lbfgs"), (LinearEnergy, "lbfgs")])
@pytest.mark.parametrize("loss", [LVQ2Loss, MCELoss])
def test_a_saturating_loss_trains_the_joint_energy_with_adam(energy, solver, loss):
    # LVQ2 and MCE are flat outside a window: one full-batch step of the
    # joint energy, whose most offending answer moves over the support, can
    # leave every sample there (LVQ2 on concrete: R^2 -2.3)
    assert loss.saturates and not NLLLoss.saturates
    assert resolve_solver("auto", 500, False, loss(), energy, None) == solver
    assert resolve_solver("auto", 500, False, NLLLoss(), energy, None) == "lbfgs"


class _RecordedWalk:
    """Adam's walk from 0 towards 1 in each coordinate, recording the
    parameters it is called at (a loss that averages, or not)."""

    def __init__(self, average):
        self.energy = SimpleNamespace(params_=np.zeros(3))
        self.loss = SimpleNamespace(average_iterates=average)
        self.space = None
        self.seen = []

    def __call__(self, X, y, sample_weight, rng, rows=None):
        if rows is not None:  # a step's (the last step's check passes none)
            self.seen.append(self.energy.params_.copy())
        r = self.energy.params_ - 1.0
        return 0.5 * float(r @ r), r.copy()


def _walk(objective, max_iter, score, previous=None):
    settings = Settings(solver="adam", learning_rate_init=0.01, momentum=0.9,
                        batch_size=1, max_iter=max_iter, tol=1e-8,
                        n_iter_no_change=100, early_stopping=False, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return train(objective, np.zeros((4, 1)), np.zeros(4), np.ones(4), settings,
                     "adam", np.random.RandomState(0), previous=previous,
                     training_score=score)


def test_warm_start_goes_on_with_the_running_average():
    # the first fit keeps its last iterate (it scores better than the
    # average, which lags behind); the warm start's average still goes on
    # over every update of both fits, not from that iterate
    objective = _RecordedWalk(average=True)
    params = objective.energy.params_
    first = _walk(objective, 3, lambda: -float(np.sum((params - 1) ** 2)))
    np.testing.assert_array_equal(params, first["_iterate"])
    second = _walk(objective, 2, lambda: -float(np.sum(params ** 2)), previous=first)
    iterates = objective.seen[1:] + [second["_iterate"]]
    assert len(iterates) == 4 * 5 == second["_n_averaged"]
    np.testing.assert_allclose(params, np.mean(iterates, axis=0), rtol=1e-12)


def test_a_fit_that_does_not_average_leaves_no_iterate_to_resume():
    # an averaging fit, then one that does not average, then an averaging
    # warm start: the last goes on from the second fit's parameters
    averaging = _RecordedWalk(average=True)
    params = averaging.energy.params_
    first = _walk(averaging, 2, lambda: -float(np.sum(params ** 2)))
    plain = _RecordedWalk(average=False)
    plain.energy = averaging.energy
    params += 0.5
    second = _walk(plain, 1, None, previous=first)
    assert second["_iterate"] is None
    after_second = params.copy()
    third = _walk(averaging, 1, lambda: -float(np.sum(params ** 2)),
                  previous={**first, **second})
    np.testing.assert_array_equal(averaging.seen[-4], after_second)
    assert third["_n_averaged"] == 4


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_a_run_that_must_not_stop_when_stalled_runs_all_and_warns_only_if_never_stalled(
        solver, monkeypatch):
    # alpha="auto"'s refit repeats its trial's count: a loss that stalls
    # (tol=1e3: from the first iteration) does not end it, and counts as
    # converged for max_iter's warning; a loss still improving at the end
    # warns. L-BFGS is scipy's run reduced to its callbacks, the objective
    # falling by 1 an iteration (scipy's own tests would stop it first)
    from scipy.optimize import OptimizeResult

    def callbacks_only(fun, x0, max_iter, tol, callback=None):
        for nit in range(1, max_iter + 1):
            try:
                callback(OptimizeResult(fun=-float(nit), x=x0))
            except StopIteration:
                return OptimizeResult(x=x0, fun=-float(nit), nit=nit, status=99)
        return OptimizeResult(x=x0, fun=-float(max_iter), nit=max_iter, status=1)

    monkeypatch.setattr("skebm.solvers._training.minimize_lbfgs", callbacks_only)
    rng = np.random.RandomState(0)

    class Descent:
        energy = SimpleNamespace(params_=np.zeros(3))
        loss = SimpleNamespace(average_iterates=False)
        space = None

        def __call__(self, X, y, sample_weight, rng=None, rows=None):
            r = self.energy.params_ - 1.0
            return 0.5 * float(r @ r), r.copy()

    X, y, w = np.zeros((4, 1)), np.zeros(4), np.ones(4)
    # (the first iteration improves on no loss at all; the next 11 do not)
    for tol, stop, n_iter, warns in [(1e3, True, 12, False), (1e3, False, 30, False),
                                     (1e-8, False, 30, True)]:
        settings = Settings(solver=solver, learning_rate_init=0.01, momentum=0.9,
                            batch_size="auto", max_iter=30, tol=tol,
                            n_iter_no_change=10, early_stopping=False, verbose=False,
                            stop_when_stalled=stop)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            state = train(Descent(), X, y, w, settings, solver, rng)
        assert state["n_iter_"] == n_iter, (tol, stop)
        assert [c.category for c in caught] == [ConvergenceWarning] * warns, (tol, stop)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_update_rules_are_scikit_learns(solver):
    # the same steps as MLPClassifier's optimizers (Adam; SGD with
    # Nesterov momentum at a constant rate), an independent implementation
    from sklearn.neural_network._stochastic_optimizers import (
        AdamOptimizer as SkAdam, SGDOptimizer as SkSGD)

    from skebm.solvers._adam import AdamOptimizer
    from skebm.solvers._sgd import SGDOptimizer
    rng = np.random.default_rng(0)
    params = rng.standard_normal(30)
    reference = params.copy()
    if solver == "adam":
        ours, theirs = AdamOptimizer(params, 0.01), SkAdam([reference], 0.01)
    else:
        ours = SGDOptimizer(params, 0.01, momentum=0.9)
        theirs = SkSGD([reference], 0.01, "constant", momentum=0.9, nesterov=True)
    for _ in range(20):
        grad = rng.standard_normal(30)
        ours.update(grad)
        theirs.update_params([reference], [grad])
    np.testing.assert_allclose(params, reference, rtol=1e-12, atol=1e-14)
