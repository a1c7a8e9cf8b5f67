"""What EnergyClassifier and EnergyRegressor share: parameters, and the one
``fit`` that picks an energy, an answer space and a loss from them and hands
them to the training loop."""

import copy
import functools
import inspect
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._alpha_auto import _AUTO_ALPHAS, _AUTO_CHECK_EVERY, AlphaSelectionMixin
from ._calibration import CalibrationMixin
from ._feature_scale import warn_unscaled
from ._restore import restore_on_error
from ._rows import merge_duplicate_rows
from .losses import LOSSES, BaseLoss, get_loss
from .sampling import MHSampler
from .solvers import Objective, Settings, resolve_solver, train
from .solvers._checks import early_stopping_split


# Adam's and SGD's step where neither the loss nor the answer space sets one
_LEARNING_RATE = 1e-3


def _solver_is_stochastic(estimator):
    if estimator.solver == "lbfgs":
        raise AttributeError(
            "partial_fit is only available for the stochastic solvers 'adam' and "
            f"'sgd', not solver={estimator.solver!r}."
        )
    return True


def _skebm_defaults(estimator):
    """The parameter defaults of skebm's estimator class, whatever a user
    subclass's own ``__init__`` sets."""
    cls = next(c for c in type(estimator).__mro__
               if c.__module__.startswith("skebm.") and "__init__" in vars(c))
    return {name: p.default for name, p in inspect.signature(cls).parameters.items()}


def _score_only(scorer):
    """The score of a ``() -> (score, beta)`` held-out scorer."""
    return scorer()[0]


def _cast_inputs(X, dtype):
    """Rows ``X`` (dense or sparse) in the float type an energy trains in;
    a ValueError if a value is beyond its range (it would become inf)."""
    values = X.data if sp.issparse(X) else X
    limit = np.finfo(dtype).max
    if values.size and np.abs(values).max() > limit:
        raise ValueError(
            f"X holds values beyond {np.dtype(dtype).name}'s range (|x| > "
            f"{limit:.3g}), in which this energy trains. Standardize the "
            "features, e.g. with sklearn.preprocessing.StandardScaler.")
    return X.astype(dtype, copy=False)


class BaseEnergyModel(AlphaSelectionMixin, CalibrationMixin, BaseEstimator):
    """Parameters and the fitting procedure of the energy-based models.

    A subclass names its energy registry (``_ENERGIES``) and provides the
    steps that depend on the kind of target: ``_validate_input``,
    ``_encode_targets`` (labels to answer columns, class weights),
    ``_answer_space`` (standardization and the space of answers),
    ``_stratify`` and ``_validation_score``. The fitted attributes of the
    targets (``classes_``, ``y_mean_``, ...) travel from these steps to the
    end of ``fit`` in one dict, so that a failure leaves none behind.
    """

    _ENERGIES = {}
    # rows of positive weight that early stopping's validation score needs
    _MIN_VALIDATION_ROWS = 1
    # partial_fit: later calls keep the first one's tilt (False: none tilts)
    _TILTS_FIRST_BATCH = True

    _parameter_constraints = {
        "loss": [StrOptions(LOSSES.keys()), BaseLoss],
        "hidden_layer_sizes": ["array-like",
                               Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "margin": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions({"auto", "adam", "sgd", "lbfgs"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither"),
                               StrOptions({"auto"})],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [StrOptions({"auto"}),
                       Interval(Integral, 1, None, closed="left")],
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

    def _takes_penalty(self):
        """Whether ``alpha`` reaches the objective: a scale-invariant loss
        (LVQ2) takes none (see :class:`~skebm.solvers.Objective`)."""
        return not get_loss(self.loss, margin=self.margin).scale_invariant

    def _energy_name(self, loss, y):
        """The registered name of the architecture ``energy`` selects for
        ``loss`` and the targets ``y``."""
        return self.energy

    def _hidden(self, loss, energy_name, space):
        """``hidden_layer_sizes`` as a tuple of positive ints; the
        regressor's ``"auto"`` is ``(64, 64)``, or the loss's
        ``joint_hidden_layer_sizes`` for one column of the joint energy."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, str):
            one_column = getattr(space, "n_answers", None) == 1
            joint = loss.joint_hidden_layer_sizes if (
                energy_name == "joint" and one_column) else None
            sizes = (64, 64) if joint is None else joint
        sizes = (sizes,) if isinstance(sizes, Real) else tuple(sizes)
        if any(int(s) != s or s < 1 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must hold positive integers, got {sizes}."
            )
        return tuple(int(s) for s in sizes)

    def _settings(self, loss, energy, energy_name):
        rate = self.learning_rate_init
        settings = Settings(
            solver=self.solver,
            learning_rate_init=_LEARNING_RATE if rate == "auto" else rate,
            momentum=self.momentum, batch_size=self.batch_size,
            max_iter=self.max_iter, tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            early_stopping=self.early_stopping, verbose=self.verbose,
            loss=repr(loss), energy=energy_name)
        # "auto", and the parameters left at skebm's defaults, take the
        # architecture's training defaults, then the loss's, then the answer
        # space's (set in _fit: a schedule for a sampled contrastive term)
        own = {**energy.training_defaults(), **loss.training_defaults(),
               **getattr(self, "_space_defaults", {})}
        defaults = _skebm_defaults(self)
        for name, value in own.items():
            if getattr(self, name) == defaults[name]:
                setattr(settings, name, value)
        return settings

    def _fit(self, X, y, sample_weight, incremental, alpha=None, held_out=None,
             n_iter=None, solver_rows=None, spread=None, y_standardization=None,
             **target_args):
        """``fit`` (``incremental=False``) or one ``partial_fit`` step.

        From the parameters: the loss, the answer space of the targets, and
        the architecture; a warm start or a ``partial_fit`` after the first
        continues the fitted architecture. Then the weights, the rows merged
        for a full-batch solver, the early-stopping split, and the training
        loop. ``alpha="auto"`` passes its penalty, the rows it holds out
        (``held_out``: the fit keeps the parameters that score best on them)
        and the number of iterations its refit runs (``n_iter``); its trial
        fits run the solver of the refit's ``solver_rows`` rows, and those of
        a cross-validation standardize targets as all its rows do
        (``y_standardization``: their scores and temperature are then in
        one unit, the refit's).
        """
        fitted = incremental and self.__sklearn_is_fitted__()
        if incremental and not fitted:
            warn_unscaled(X, type(self).__name__, batch=True)
        # alpha="auto" passes its penalty, and checked the targets itself
        checks_targets = alpha is None and not fitted
        if alpha is None:
            # "auto" without rows to hold out (partial_fit): the alpha_ a
            # previous fit chose (but not an LVQ2 fit's 0), else the middle
            # candidate; none for a loss that takes no penalty
            alpha = self.alpha
            if isinstance(alpha, str):
                alpha = getattr(self, "alpha_", 0.0) or _AUTO_ALPHAS[
                    len(_AUTO_ALPHAS) // 2]
            alpha = alpha if self._takes_penalty() else 0.0
        # a warm start continues the fitted model: its inputs and targets
        # must be of the same kind (as MLPClassifier's)
        warm = not fitted and self.warm_start and self.__sklearn_is_fitted__()
        X, y, sample_weight = self._validate_input(X, y, sample_weight,
                                                   reset=not (fitted or warm))
        if not sample_weight.sum() > 0:
            raise ValueError("sample_weight must have a positive sum.")
        if checks_targets:
            self._check_targets(X, y, sample_weight, incremental)
        keep = fitted or warm
        fixed_beta = None if self.beta == "auto" else self.beta
        loss = get_loss(self.loss, margin=self.margin, beta=fixed_beta)
        energy_name = self._energy_name(loss, y)
        energy_cls = self._ENERGIES[energy_name]
        y, sample_weight, class_scale, fitted_targets = self._encode_targets(
            y, sample_weight, incremental, fitted, **target_args)
        if warm:
            self._check_warm_targets(y, fitted_targets)
        solver = resolve_solver(self.solver, solver_rows or X.shape[0], incremental,
                                loss, energy_cls, self.sampler)
        if self.solver == "auto" and self._samples_answers(energy_cls, y):
            # a sampled contrastive term is noisy: no line search
            solver = "adam"
        n_samples = X.shape[0]
        if solver == "lbfgs":
            X, y, sample_weight = merge_duplicate_rows(X, y, sample_weight)
        # partial_fit continues the fitted answer space, a warm start does not
        space, y = self._answer_space(energy_cls, X, y, sample_weight, fitted,
                                      fitted_targets, loss, spread, y_standardization)
        self._space_defaults = (space.training_defaults(len(y))
                                if hasattr(space, "training_defaults") else {})
        if self.sampler is not None:
            space.check_sampler(self.sampler, loss)
        energy = energy_cls.build(loss, self._hidden(loss, energy_name, space),
                                  self.activation, space)
        X, inputs = self._model_inputs(X, y, sample_weight, fitted)
        if inputs is not None and held_out is not None:
            held_out = (inputs.transform(held_out[0]), *held_out[1:])
        # an architecture may train in a float type of its own
        input_dtype, dtype = X.dtype, getattr(energy, "compute_dtype", None)
        if dtype is not None:
            X = _cast_inputs(X, dtype)
            if held_out is not None:
                held_out = (_cast_inputs(held_out[0], dtype), *held_out[1:])
        keep = keep and energy.same_architecture(self.energy_) and (
            self.energy_.n_features_ == X.shape[1]
            and self.energy_.n_answers_ == space.n_answers)
        if fitted and not keep:
            raise ValueError(
                f"partial_fit continues the fitted {type(self.energy_).__name__}: "
                "energy, hidden_layer_sizes, activation or loss changed since the "
                "first partial_fit and give another architecture; call fit to start "
                "over.")
        # successive partial_fit calls draw on one stream of random numbers (a
        # copy, kept on success: a call that raises leaves the stream as it was)
        rng = copy.deepcopy(self._rng) if keep and incremental else check_random_state(
            self.random_state)

        # alpha="auto"'s trial fits keep their best iterate on its held-out
        # rows; an answer space that anneals a sampled gradient trains to its
        # schedule
        checked = held_out is not None and (
            solver == "lbfgs" or getattr(space, "annealing", None) is None)
        X_val = y_val = sw_val = None
        # early stopping holds out rows of its own where alpha="auto" holds
        # out none: in a fixed penalty's fit and in the refit
        if self.early_stopping and not incremental and not checked:
            X, X_val, y, y_val, sample_weight, sw_val = early_stopping_split(
                X, y, sample_weight, self.validation_fraction, rng,
                self._stratify(y), self._MIN_VALIDATION_ROWS)
            # t_ counts the rows trained on: merged duplicates weigh as many
            n_samples = round(n_samples * sample_weight.sum()
                              / (sample_weight.sum() + sw_val.sum()))
        weight_total = float(sample_weight.sum())
        # the calibration's weights count the rows given: class weights
        # (class_scale) move weight between classes, not the amount of data
        raw_weight = sample_weight * class_scale
        if not incremental:
            # mean one over the training set: a batch mean of weighted losses
            # then estimates the full objective, and weights act as
            # repetitions; partial_fit batches keep their relative weights
            sample_weight = sample_weight * (len(sample_weight) / weight_total)
        if keep:
            energy = copy.deepcopy(self.energy_)
            energy.set_params_vector(energy.params_.astype(X.dtype))
        else:
            energy.initialize(X.shape[1], space.n_answers, rng, dtype=X.dtype,
                              X=X, y=y, sample_weight=sample_weight)
        beta = loss.gibbs_beta(1.0 if fixed_beta is None else fixed_beta)
        # partial_fit's penalty is a fit's to all the rows seen so far, not
        # to its batch alone (user guide, "Solvers")
        weight_seen = weight_total * class_scale + (
            getattr(self, "_weight_seen", 0.0) if keep and incremental else 0.0)
        objective = Objective(energy, space, loss, beta, alpha, weight_seen)

        settings = self._settings(loss, energy, energy_name)
        # held-out checks (the trials', early stopping's) and their patience
        checks = dict(check_every=_AUTO_CHECK_EVERY,
                      min_checks=self._min_checks(loss, solver, energy, settings))
        validation = None
        if checked:
            settings = replace(settings, **checks)
            scorer = self._held_out_score(space, energy, held_out, fitted_targets,
                                          beta, loss)
            validation = functools.partial(_score_only, scorer)
        elif X_val is not None:
            validation = functools.partial(self._validation_score, space, energy,
                                           X_val, y_val, sw_val, beta, loss)
            if solver == "lbfgs":
                # no epochs: a check every so many iterations, as the trials'
                settings = replace(settings, checks_warn=True, **checks)
        if n_iter is not None:
            # all of them, its training loss stalled or not: stopped there,
            # a refit ends on another schedule than its trial's (and under
            # a loss that leaves the energies' scale free, on another scale)
            settings = replace(settings, max_iter=max(1, n_iter),
                               warn_max_iter=n_iter >= settings.max_iter,
                               stop_when_stalled=False)

        def training_score():
            return self._validation_score(space, energy, X, y, sample_weight,
                                          beta, loss)

        previous = vars(self) if keep else None
        space.start_training(y)
        energy.start_training()
        try:
            state = train(objective, X, y, sample_weight, settings, solver, rng,
                          incremental=incremental, previous=previous,
                          validation=validation, training_score=training_score,
                          n_samples=n_samples,
                          annealing=getattr(space, "annealing", None))
        finally:
            space.stop_training()
            energy.stop_training()
        # and predicts in the inputs': as precise, and a row's prediction
        # then does not depend on the rows beside it, as float32 products' do
        energy.set_params_vector(energy.params_.astype(input_dtype, copy=False))
        retilt = not fitted and (self._TILTS_FIRST_BATCH or not incremental)
        with np.errstate(over="ignore", invalid="ignore"):
            beta, space = self._calibrate(space, energy, X, y, raw_weight, loss,
                                          beta, fixed_beta, retilt=retilt)
        self.beta_ = beta
        self.alpha_ = alpha
        self.energy_ = energy
        self.answer_space_ = space
        self._inputs = inputs
        self._loss = loss
        self._rng = rng
        self._weight_seen = weight_seen
        for name, value in {**fitted_targets, **state}.items():
            setattr(self, name, value)
        return self

    def _stratify(self, y):
        return None

    def _model_inputs(self, X, y, sample_weight, continued):
        """The training inputs as the energy reads them (X itself here), and
        what maps new rows to them (None: the identity); ``continued``: a
        ``partial_fit`` after the first."""
        return X, None

    def _energy_inputs(self, X):
        """New rows as the fitted energy reads them, in its parameters' type."""
        inputs = getattr(self, "_inputs", None)
        X = X if inputs is None else inputs.transform(X)
        return X.astype(self.energy_.params_.dtype, copy=False)

    def _samples_answers(self, energy_cls, y):
        """Whether the answer space of targets ``y`` samples its contrastive
        term even without a ``sampler``."""
        return False

    @restore_on_error
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or real targets.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
            The fitted estimator.
        """
        warn_unscaled(X, type(self).__name__)
        if isinstance(self.alpha, str):
            return self._fit_selecting_alpha(X, y, sample_weight)
        return self._fit(X, y, sample_weight, incremental=False)

    # -- inference --------------------------------------------------------------
    def _check_X(self, X):
        return self._check_X_and_type(X)[0]

    def _check_X_and_type(self, X):
        """The inputs an energy reads, and the float type they came in."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32], reset=False)
        return self._energy_inputs(X), X.dtype

    @property
    def _gibbs_beta(self):
        return self.beta_

    def __sklearn_is_fitted__(self):
        return hasattr(self, "energy_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

