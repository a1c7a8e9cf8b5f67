"""What EnergyClassifier and EnergyRegressor share: parameters, the objective
and the training loop over the solvers."""

import copy
import functools
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches
from sklearn.utils._param_validation import Interval, StrOptions
from threadpoolctl import threadpool_limits

from ._solvers import AdamOptimizer, SGDOptimizer, minimize_lbfgs
from .losses import LOSSES, BaseLoss
from .sampling import MHSampler


class _CallableName(str):
    """The name held by the ``energy`` parameter, callable as the ``energy``
    method of the estimator that holds it."""

    def __new__(cls, value, owner):
        self = super().__new__(cls, value)
        self._owner = owner
        return self

    def __call__(self, *args, **kwargs):
        return self._owner._energy_matrix(*args, **kwargs)

    def __reduce__(self):
        return str, (str(self),)


class _EnergyParameterAndMethod:
    """``estimator.energy`` is both the ``energy`` parameter (the architecture
    name, for ``get_params`` and grid searches) and the ``energy(X)`` method
    of DESIGN.md; Python allows one attribute per name, so the attribute is a
    string that can be called. ``get_params`` returns the plain value."""

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        value = obj.__dict__["energy"]
        return _CallableName(value, obj) if isinstance(value, str) else value

    def __set__(self, obj, value):
        obj.__dict__["energy"] = value


class BaseEnergyModel(BaseEstimator):
    """Parameters, objective and solvers shared by the energy-based models.

    Subclasses provide ``_batch_energies(energy, X, y)`` (energies, cache,
    answer columns and incorrect-answer mask for a batch), ``_validation_score``
    and the architecture.
    """

    _parameter_constraints = {
        "loss": [StrOptions(set(LOSSES)), BaseLoss],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "margin": [Interval(Real, 0, None, closed="neither")],
        "beta": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions({"auto", "adam", "sgd", "lbfgs"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "sampler": [None, MHSampler],
    }

    energy = _EnergyParameterAndMethod()

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params["energy"] = self.__dict__["energy"]
        return params

    def _hidden(self):
        """``hidden_layer_sizes`` as a tuple of positive ints."""
        sizes = self.hidden_layer_sizes
        sizes = (sizes,) if isinstance(sizes, Real) else tuple(sizes)
        if any(int(s) != s or s < 1 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must hold positive integers, got {sizes}."
            )
        if self.energy == "mlp" and not sizes:
            raise ValueError("energy='mlp' needs at least one hidden layer; use "
                             "energy='linear' for none.")
        return tuple(int(s) for s in sizes)

    # -- objective --------------------------------------------------------
    def _objective(self, energy, X, y, sample_weight, rng=None):
        """Mean weighted loss plus L2 penalty, and its gradient.

        ``sample_weight`` is normalized to mean one over the training set, so
        the batch mean is an unbiased estimate of the full objective. The
        penalty is ``alpha / 2 ||W||^2`` divided by the total sample weight:
        the objective is the weighted sum of the losses plus the penalty,
        divided by the total weight, as in LogisticRegression and Ridge.
        """
        energies, cache, answers, incorrect = self._batch_energies(energy, X, y)
        with np.errstate(over="ignore", invalid="ignore"):
            values, d_energies = self._loss_value_gradient(
                energies, answers, incorrect, rng
            )
        n = energies.shape[0]
        weights = sample_weight / n
        value = float(weights @ values)
        d_energies *= weights[:, None]
        grad = energy.backward(cache, d_energies)
        if self.alpha and not self._training_loss.scale_invariant:
            penalized = energy.params_ * self._penalty_mask
            value += 0.5 * self._penalty_scale * float(penalized @ energy.params_)
            grad += self._penalty_scale * penalized
        return value, grad

    def _loss_value_gradient(self, energies, answers, incorrect, rng):
        return self._training_loss.value_gradient(energies, answers, incorrect)

    def _diverged(self, epoch, solver):
        if solver == "lbfgs":
            setting, advice = "", "Standardize the features (StandardScaler)"
        else:
            setting = f" and learning_rate_init={self.learning_rate_init}"
            advice = ("Lower learning_rate_init or standardize the features "
                      "(StandardScaler)")
        return ValueError(
            f"Training diverged: the {self._training_loss!r} loss became non-finite "
            f"at iteration {epoch} with energy={self.energy!r}, solver={solver!r}"
            f"{setting}. {advice}. The estimator was left as it was before this "
            "call."
        )

    # -- training ---------------------------------------------------------
    def _train(self, energy, loss, X, y, sample_weight, X_val, y_val, sw_val, rng,
               incremental, weight_total, resume=None, n_samples=None):
        """Run the solver on ``energy`` with ``loss``; return the fitted-state
        attributes.

        ``weight_total`` is the total sample weight of the training data (of
        the batch, for ``partial_fit``), which the L2 penalty is divided by.
        ``n_samples`` is the number of rows before identical ones were
        merged, which ``t_`` counts (default: ``X.shape[0]``).

        ``resume`` says whether ``energy`` continues the fitted model (so
        counters, loss curve and optimizer state carry on); by default,
        whenever ``partial_fit`` or ``warm_start`` could continue. Wrap the
        public methods in :func:`restore_on_error` so that a failure leaves the
        estimator as it was.
        """
        if resume is None:
            resume = incremental or self._warm
        self._training_loss = loss
        self._penalty_mask = energy.penalized_.astype(energy.params_.dtype)
        self._penalty_scale = self.alpha / weight_total
        solver = self._resolve_solver(X.shape[0], incremental, loss)
        state = {
            "n_iter_": getattr(self, "n_iter_", 0) if resume else 0,
            "t_": getattr(self, "t_", 0) if resume else 0,
            "loss_curve_": list(getattr(self, "loss_curve_", [])) if resume else [],
            "solver_": solver,
        }
        # the products are small (mini-batches, or data sets that L-BFGS takes
        # whole): BLAS threads cost more than they save, up to 10x on a
        # loaded 2-core machine
        with threadpool_limits(limits=1, user_api="blas"):
            if solver == "lbfgs":
                self._train_lbfgs(energy, X, y, sample_weight, state,
                                  X.shape[0] if n_samples is None else n_samples)
            else:
                try:
                    self._train_stochastic(energy, X, y, sample_weight, X_val,
                                           y_val, sw_val, rng, incremental,
                                           resume, state, solver)
                finally:
                    self._batch_index = None
        return state

    def _resolve_solver(self, n_samples, incremental, loss):
        """``"auto"``: full-batch L-BFGS for linear energies and up to
        ``_AUTO_LBFGS_MAX_SAMPLES`` samples otherwise; Adam for larger
        networks, ``partial_fit``, early stopping, a sampled (noisy) gradient
        and losses that only train stochastically."""
        if self.solver == "lbfgs" and self.sampler is not None:
            raise ValueError(
                "solver='lbfgs' cannot use a sampler: its line search needs an "
                "exact gradient, and the sampled contrastive term is noisy. Use "
                "solver='adam', 'sgd' or 'auto'.")
        if self.solver != "auto":
            return self.solver
        if (incremental or loss.stochastic_only or self.sampler is not None
                or self.early_stopping):
            return "adam"
        if self.energy == "linear" or n_samples <= _AUTO_LBFGS_MAX_SAMPLES:
            return "lbfgs"
        return "adam"

    def _train_lbfgs(self, energy, X, y, sample_weight, state, n_samples):
        dtype = energy.params_.dtype

        def fun(theta):
            # no random numbers: the line search needs one deterministic
            # objective (a sampler is refused with L-BFGS)
            energy.params_[...] = theta
            value, grad = self._objective(energy, X, y, sample_weight)
            return value, grad.astype(np.float64)

        curve = []

        def record(intermediate_result):
            curve.append(float(intermediate_result.fun))
            if self.verbose:
                print(f"Iteration {state['n_iter_'] + len(curve)}, "
                      f"loss = {curve[-1]:.8f}")

        result = minimize_lbfgs(fun, energy.params_, self.max_iter, self.tol,
                                callback=record)
        if not np.isfinite(result.fun) or not np.all(np.isfinite(result.x)):
            raise self._diverged(result.nit, "lbfgs")
        energy.params_[...] = result.x.astype(dtype)
        state["loss_curve_"] += curve
        state["n_iter_"] += result.nit
        state["t_"] += result.nit * n_samples
        state["best_loss_"] = float(result.fun)
        state["loss_"] = float(result.fun)
        state["validation_scores_"] = None
        state["best_validation_score_"] = None
        if result.status == 1:
            warnings.warn(
                f"lbfgs reached max_iter={self.max_iter} before converging. "
                "Increase max_iter or standardize the features.",
                ConvergenceWarning,
            )

    def _make_optimizer(self, params, solver):
        if solver == "adam":
            return AdamOptimizer(params, self.learning_rate_init)
        return SGDOptimizer(params, self.learning_rate_init, self.momentum)

    def _train_stochastic(self, energy, X, y, sample_weight, X_val, y_val, sw_val,
                          rng, incremental, resume, state, solver):
        optimizer = getattr(self, "_optimizer", None)
        if resume and isinstance(optimizer, _OPTIMIZERS[solver]) \
                and optimizer.params.shape == energy.params_.shape:
            optimizer = copy.deepcopy(optimizer)
            optimizer.rebind(energy.params_)
            optimizer.learning_rate_init = self.learning_rate_init
            if solver == "sgd":
                optimizer.momentum = self.momentum
        else:
            optimizer = self._make_optimizer(energy.params_, solver)
        n_samples = X.shape[0]
        batch_size = (min(200, n_samples) if self.batch_size == "auto"
                      else min(self.batch_size, n_samples))
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True.")
        early = self.early_stopping
        best_loss = getattr(self, "best_loss_", None) if resume else None
        best_loss = np.inf if best_loss is None else best_loss
        best_score = -np.inf
        best_params = None
        no_improvement = 0
        scores = []
        converged = False
        for _ in range(1 if incremental else self.max_iter):
            order = rng.permutation(n_samples)
            total = 0.0
            for batch in gen_batches(n_samples, batch_size):
                idx = order[batch]
                # which training rows the batch holds (persistent chains)
                self._batch_index = None if incremental else idx
                value, grad = self._objective(
                    energy, X[idx], y[idx], sample_weight[idx], rng
                )
                if not np.isfinite(value):
                    raise self._diverged(state["n_iter_"] + 1, solver)
                optimizer.update(grad)
                total += value * len(idx)
            state["n_iter_"] += 1
            state["t_"] += n_samples
            epoch_loss = total / n_samples
            state["loss_curve_"].append(epoch_loss)
            if self.verbose:
                print(f"Iteration {state['n_iter_']}, loss = {epoch_loss:.8f}")
            if not np.all(np.isfinite(energy.params_)):
                raise self._diverged(state["n_iter_"], solver)

            if early:
                score = self._validation_score(energy, X_val, y_val, sw_val)
                scores.append(score)
                if score > best_score:
                    best_params = energy.params_.copy()
                if score < best_score + self.tol:
                    no_improvement += 1
                else:
                    no_improvement = 0
                best_score = max(best_score, score)
                if self.verbose:
                    print(f"Validation score: {score:.6f}")
            else:
                if epoch_loss > best_loss - self.tol:
                    no_improvement += 1
                else:
                    no_improvement = 0
                best_loss = min(best_loss, epoch_loss)
            if no_improvement > self.n_iter_no_change:
                converged = True
                if self.verbose:
                    print(f"Stopped: no improvement of more than tol={self.tol} "
                          f"for {self.n_iter_no_change} consecutive epochs.")
                break
        if not incremental and not converged:
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )
        if early:
            energy.params_[...] = best_params
            state["validation_scores_"] = scores
            state["best_validation_score_"] = best_score
            state["best_loss_"] = None
        else:
            state["validation_scores_"] = None
            state["best_validation_score_"] = None
            state["best_loss_"] = best_loss
        state["loss_"] = state["loss_curve_"][-1]
        state["_optimizer"] = optimizer

    @property
    def _warm(self):
        return self.warm_start and hasattr(self, "energy_")


def restore_on_error(method):
    """Leave the estimator exactly as it was when ``method`` raises: no
    half-updated model, no new ``n_features_in_`` beside old parameters."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        saved = dict(self.__dict__)
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    return wrapper


_OPTIMIZERS = {"adam": AdamOptimizer, "sgd": SGDOptimizer}
# for networks, above this many samples a full-batch iteration costs more than
# an Adam epoch gains; below it L-BFGS converges in fewer passes and needs no
# step size. Linear energies are cheap enough for L-BFGS at any size.
_AUTO_LBFGS_MAX_SAMPLES = 10_000
