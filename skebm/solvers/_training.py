"""The one training loop every estimator shares: epochs of a stochastic
solver or one run of L-BFGS, early stopping, divergence checks."""

import copy
import warnings
from dataclasses import replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches
from threadpoolctl import threadpool_limits

from ._adam import AdamOptimizer
from ._checks import Checks
from ._lbfgs import minimize_lbfgs
from ._sgd import SGDOptimizer
from ._settings import auto_batch_size

_OPTIMIZERS = {"adam": AdamOptimizer, "sgd": SGDOptimizer}
# a stochastic run whose epoch loss grows past this many times the call's
# first batch's, before its first step (or 1), has diverged, finite or not:
# a step too large multiplies the loss every epoch (1.4, 117, 3.4e4, ...
# 9.8e22 in ten)
_BLOW_UP = 1e8
# nor is the last step of a run observed by a later batch: one that
# multiplies its own batch's loss by this much has diverged (a partial_fit
# at learning_rate_init=1 after a fit of the mlp energy: 1.2 to 2.3e4, R^2
# -46730, returned without a word)
_STEP_BLOW_UP = 1e3


def _diverged(settings, iteration, solver, how="became non-finite"):
    if solver == "lbfgs":
        setting, advice = "", "Standardize the features (StandardScaler)"
    else:
        setting = f" and learning_rate_init={settings.learning_rate_init}"
        advice = ("Lower learning_rate_init or standardize the features "
                  "(StandardScaler)")
    return ValueError(
        f"Training diverged: the {settings.loss} loss {how} at "
        f"iteration {iteration} with energy={settings.energy!r}, "
        f"solver={solver!r}{setting}. {advice}. The estimator was left as it "
        "was before this call."
    )


def train(objective, X, y, sample_weight, settings, solver, rng, *,
          incremental=False, previous=None, validation=None, training_score=None,
          n_samples=None, annealing=None):
    """Run ``solver`` on ``objective.energy.params_`` in place.

    Parameters
    ----------
    objective : Objective
    X, y, sample_weight : training data, weights of mean one
    settings : Settings
    solver : {"lbfgs", "adam", "sgd"}
    rng : RandomState
        Shuffles the epochs and draws random candidates.
    incremental : bool
        One epoch on a batch (``partial_fit``).
    previous : dict or None
        The fitted state to continue (counters, loss curve, optimizer), or
        None to start afresh.
    validation : callable or None
        ``validation() -> score`` of the current parameters, for early
        stopping.
    training_score : callable or None
        The same on the training data, for a loss that averages its
        iterates.
    n_samples : int, default=None
        Rows the user passed, which ``t_`` counts (default ``len(X)``).
    annealing : tuple (share, factor) or None, default=None
        An answer space's ``annealing``: a stochastic fit (not
        ``partial_fit``) ends with ``share`` of ``max_iter`` epochs (at least
        one) at ``factor`` times the learning rate, whose iterates' mean is
        the fit (Polyak-Ruppert; a loss that averages keeps its own): a
        sampled gradient keeps the iterate wandering at the scale of the
        step (the user guide measures it). Such a fit runs to its
        schedule: reaching ``max_iter`` does not warn.
        Early stopping applies in each phase; the scores of both are kept,
        and the best parameters of either.

    Returns
    -------
    state : dict
        The fitted-state attributes: ``n_iter_``, ``t_``, ``loss_curve_``,
        ``loss_``, ``best_loss_``, ``validation_scores_``,
        ``best_validation_score_``, ``solver_`` and ``_optimizer``; and,
        for a loss that averages, the last iterate, the running average and
        its count (``_iterate``, ``_average``, ``_n_averaged``: a warm start
        goes on from them, after early stopping too).
    """
    kwargs = dict(validation=validation, training_score=training_score,
                  n_samples=n_samples)
    if annealing is None or incremental or solver == "lbfgs":
        return _run(objective, X, y, sample_weight, settings, solver, rng,
                    incremental=incremental, previous=previous, **kwargs)
    # a fit to this schedule ends at its last epoch by design: the loss that
    # would tell convergence is a sampled estimate, so no phase warns
    settings = replace(settings, warn_max_iter=False)
    # at least one epoch: a short fit ends annealed too
    last = max(1, int(round(annealing[0] * settings.max_iter)))
    if not last < settings.max_iter:
        return _run(objective, X, y, sample_weight, settings, solver, rng,
                    previous=previous, **kwargs)
    state = _run(objective, X, y, sample_weight,
                 replace(settings, max_iter=settings.max_iter - last),
                 solver, rng, previous=previous, **kwargs)
    annealed = replace(settings, max_iter=last,
                       learning_rate_init=settings.learning_rate_init * annealing[1])
    params = objective.energy.params_
    # early stopping restored the first phase's best parameters
    first_best = params.copy() if state.get("validation_scores_") is not None else None
    annealed_state = _run(objective, X, y, sample_weight, annealed, solver, rng,
                          previous={**(previous or {}), **state},
                          average_iterates=True, **kwargs)
    if first_best is not None:
        # early stopping: one record of scores, and the best parameters of
        # both phases
        annealed_state["validation_scores_"] = (state["validation_scores_"]
                                                + annealed_state["validation_scores_"])
        if state["best_validation_score_"] > annealed_state["best_validation_score_"]:
            params[...] = first_best
            annealed_state["best_validation_score_"] = state["best_validation_score_"]
    return annealed_state


def _run(objective, X, y, sample_weight, settings, solver, rng, *,
         incremental=False, previous=None, validation=None, training_score=None,
         n_samples=None, average_iterates=False):
    """:func:`train` at one learning rate; ``average_iterates``: a stochastic
    solver's fit is the mean of its iterates (a loss that averages keeps
    its own average)."""
    previous = previous or {}
    state = {
        "n_iter_": previous.get("n_iter_", 0),
        "t_": previous.get("t_", 0),
        "loss_curve_": list(previous.get("loss_curve_", [])),
        "solver_": solver,
        # where a loss's average goes on (none after a fit that does not
        # average, for a later warm start)
        "_iterate": None, "_average": None, "_n_averaged": 0,
    }
    n_samples = X.shape[0] if n_samples is None else n_samples
    # the products are small (mini-batches, or data sets that L-BFGS takes
    # whole): BLAS threads cost more than they save, up to 10x on a loaded
    # 2-core machine
    with threadpool_limits(limits=1, user_api="blas"):
        if solver == "lbfgs":
            _train_lbfgs(objective, X, y, sample_weight, settings, state, n_samples,
                         validation if settings.check_every else None)
        else:
            _train_stochastic(objective, X, y, sample_weight, settings, solver,
                              state, rng, incremental, previous, validation,
                              training_score, average_iterates)
    return state


def _train_lbfgs(objective, X, y, sample_weight, settings, state, n_samples,
                 validation=None):
    """One run of L-BFGS; with ``validation``, it keeps the parameters of
    the best of the scores checked every ``check_every`` iterations."""
    params = objective.energy.params_
    checks = None if validation is None else Checks(settings, validation)

    def fun(theta):
        # no random numbers: the line search needs one deterministic objective
        params[...] = theta
        return objective(X, y, sample_weight)

    curve = []
    # best objective, iterations without improving it, whether it stalled
    best = [np.inf, 0, False]

    def record(intermediate_result):
        curve.append(float(intermediate_result.fun))
        if settings.verbose:
            print(f"Iteration {state['n_iter_'] + len(curve)}, "
                  f"loss = {curve[-1]:.8f}")
        # the stochastic solvers' rule: converged once the objective has not
        # improved by tol for n_iter_no_change iterations (a kinked loss never
        # brings the gradient below tol)
        best[1] = best[1] + 1 if curve[-1] > best[0] - settings.tol else 0
        best[0] = min(best[0], curve[-1])
        if best[1] > settings.n_iter_no_change and validation is None:
            best[2] = True
            if settings.stop_when_stalled:
                raise StopIteration
        if validation is not None and len(curve) % settings.check_every == 0:
            params[...] = intermediate_result.x
            if checks.check(params, len(curve)):
                raise StopIteration

    result = minimize_lbfgs(fun, params, settings.max_iter, settings.tol,
                            callback=record)
    if not np.isfinite(result.fun) or not np.all(np.isfinite(result.x)):
        raise _diverged(settings, result.nit, "lbfgs")
    params[...] = result.x.astype(params.dtype)
    state["loss_curve_"] += curve
    state["n_iter_"] += result.nit
    state["t_"] += result.nit * n_samples
    state["best_loss_"] = state["loss_"] = float(result.fun)
    state["validation_scores_"] = state["best_validation_score_"] = None
    if validation is not None:
        # the parameters kept are the best check's, not the last iterate's
        # (as the stochastic solvers' early stopping, no best_loss_)
        state["best_loss_"] = None
        checks.finish(params, len(curve), state)
        if (result.status == 1 and settings.checks_warn and settings.warn_max_iter
                and checks.still_improving()):
            warnings.warn(
                f"lbfgs reached max_iter={settings.max_iter} while the held-out "
                "score was still improving. Increase max_iter.",
                ConvergenceWarning)
        return
    if result.status == 1 and settings.warn_max_iter and not best[2]:
        warnings.warn(
            # (unscaled features have a warning of their own, at fit)
            f"lbfgs reached max_iter={settings.max_iter} before converging. "
            "Increase max_iter.",
            ConvergenceWarning,
        )


def _check_last_step(objective, X, y, sample_weight, rng, idx, before, settings,
                     iteration, solver):
    """Raise divergence where the run's last step, which no later batch
    saw, multiplied its batch's loss by ``_STEP_BLOW_UP`` or made it
    non-finite. The batch is evaluated again as if unchecked: on a copy of
    ``rng``, of the answer space (whose chains adapt their step as they
    sample) and as new rows (persistent chains are left as they are)."""
    probe = copy.copy(objective)
    probe.space = copy.copy(objective.space)
    after, _ = probe(X[idx], y[idx], sample_weight[idx], copy.deepcopy(rng))
    if not np.isfinite(after):
        raise _diverged(settings, iteration, solver)
    if after > _STEP_BLOW_UP * max(abs(before), 1.0):
        raise _diverged(settings, iteration, solver,
                        f"grew from {before:.3g} to {after:.3g} in the last step")


def _optimizer(params, settings, solver, previous):
    """The previous optimizer, continued on ``params``, or a new one."""
    old = previous.get("_optimizer")
    if isinstance(old, _OPTIMIZERS[solver]) and old.params.shape == params.shape:
        optimizer = copy.deepcopy(old)
        optimizer.rebind(params)
        optimizer.learning_rate_init = settings.learning_rate_init
        if solver == "sgd":
            optimizer.momentum = settings.momentum
        return optimizer
    if solver == "adam":
        return AdamOptimizer(params, settings.learning_rate_init)
    return SGDOptimizer(params, settings.learning_rate_init, settings.momentum)


def _train_stochastic(objective, X, y, sample_weight, settings, solver, state,
                      rng, incremental, previous, validation, training_score,
                      average_iterates=False):
    params = objective.energy.params_
    # a loss's average goes on over fits, or gives way to the last iterate
    loss_averages = objective.loss.average_iterates
    averaging = loss_averages or average_iterates
    if loss_averages and previous.get("_iterate") is not None:
        # the running average (not the fitted parameters, which may be the
        # last iterate: below) goes on, the solver from its last iterate
        average = previous.get("_average")
        average = np.array(params if average is None else average, dtype=params.dtype)
        n_averaged = previous["_n_averaged"]
        params[...] = previous["_iterate"]
    elif averaging:
        average, n_averaged = params.copy(), 0
    optimizer = _optimizer(params, settings, solver, previous)
    n_samples = X.shape[0]
    batch_size = (auto_batch_size(n_samples) if settings.batch_size == "auto"
                  else min(settings.batch_size, n_samples))
    if settings.early_stopping and incremental:
        raise ValueError("partial_fit does not support early_stopping=True.")
    checks = (Checks(settings, validation)
              if settings.check_every and not incremental else None)

    def at_average(evaluate):
        # validation scores the fitted parameters: the average, when averaging
        if not averaging:
            return evaluate()
        iterate = params.copy()
        params[...] = average
        try:
            return evaluate()
        finally:
            params[...] = iterate

    early = settings.early_stopping and checks is None
    best_loss = previous.get("best_loss_")
    best_loss = np.inf if best_loss is None else best_loss
    best_score, best_params = -np.inf, None
    no_improvement, scores, converged = 0, [], False
    # the loss of this call's first batch, before any step, is the
    # reference: a warm start or a partial_fit batch of other weights may
    # start far from an earlier call's loss, and a step too large can blow
    # up within the first epoch, whose mean then hides it
    start = None
    for epoch in range(1, 2 if incremental else settings.max_iter + 1):
        order = rng.permutation(n_samples)
        total = 0.0
        for batch in gen_batches(n_samples, batch_size):
            idx = order[batch]
            # which training rows the batch holds (persistent chains); a
            # partial_fit batch holds new samples
            value, grad = objective(X[idx], y[idx], sample_weight[idx], rng,
                                    rows=None if incremental else idx)
            if not np.isfinite(value):
                raise _diverged(settings, state["n_iter_"] + 1, solver)
            if start is None:
                start = abs(value)
            optimizer.update(grad)
            if averaging:
                n_averaged += 1
                average += (params - average) / n_averaged
            total += value * len(idx)
            last = idx, value
        state["n_iter_"] += 1
        state["t_"] += n_samples
        epoch_loss = total / n_samples
        state["loss_curve_"].append(epoch_loss)
        if settings.verbose:
            print(f"Iteration {state['n_iter_']}, loss = {epoch_loss:.8f}")
        if not np.all(np.isfinite(params)):
            raise _diverged(settings, state["n_iter_"], solver)
        if epoch_loss > _BLOW_UP * max(start, 1.0):
            raise _diverged(settings, state["n_iter_"], solver,
                            f"grew from {start:.3g} to {epoch_loss:.3g}")

        if checks is not None:
            if epoch % settings.check_every:
                continue
            if at_average(lambda: checks.check(params, epoch)):
                converged = True
                break
            continue
        if early:
            score = at_average(validation)
            scores.append(score)
            # (a NaN score, of a diverging fit, keeps at least the first)
            if score > best_score or best_params is None:
                best_params = (average if averaging else params).copy()
            no_improvement = no_improvement + 1 if score < best_score + settings.tol \
                else 0
            best_score = max(best_score, score)
            if settings.verbose:
                print(f"Validation score: {score:.6f}")
        else:
            no_improvement = no_improvement + 1 \
                if epoch_loss > best_loss - settings.tol else 0
            best_loss = min(best_loss, epoch_loss)
        if no_improvement > settings.n_iter_no_change:
            converged = True
            if early or settings.stop_when_stalled:
                if settings.verbose:
                    print(f"Stopped: no improvement of more than tol={settings.tol} "
                          f"for {settings.n_iter_no_change} consecutive epochs.")
                break
    _check_last_step(objective, X, y, sample_weight, rng, *last, settings,
                     state["n_iter_"], solver)
    if (not incremental and not converged and settings.warn_max_iter
            and checks is None):
        warnings.warn(
            f"Stochastic optimizer: maximum iterations ({settings.max_iter}) "
            "reached and the optimization hasn't converged yet.",
            ConvergenceWarning,
        )
    if loss_averages:
        state["_iterate"], state["_n_averaged"] = params.copy(), n_averaged
        state["_average"] = average.copy()
    if checks is not None:
        if averaging:
            params[...] = average
        checks.finish(params, epoch, state)
        state["best_loss_"] = None
    elif loss_averages:
        # the average, unless the last iterate scores better on the training
        # data (a short run, whose average lags behind)
        last = training_score()
        params[...] = average
        # a margin for rounding: weights and repeated rows must choose alike
        if last > training_score() + 1e-9:
            params[...] = state["_iterate"]
    elif averaging:
        params[...] = average
    if early:
        params[...] = best_params
        state["validation_scores_"] = scores
        state["best_validation_score_"] = best_score
        state["best_loss_"] = None
    elif checks is None:
        state["validation_scores_"] = state["best_validation_score_"] = None
        state["best_loss_"] = best_loss
    state["loss_"] = state["loss_curve_"][-1]
    state["_optimizer"] = optimizer
