"""``alpha="auto"``: the penalty chosen by held-out likelihood (its trial
fits and refit are scheduled by ``_alpha_trials``)."""

import copy
import warnings
from contextlib import contextmanager
from numbers import Integral

import numpy as np
from sklearn import config_context, get_config
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

from ._alpha_trials import _along_path, _best, _report_trials, _Trials
from ._experts import join, refit_quietly, second_expert
from ._held_out import pooled_score
from ._input_box import InputBox
from ._rows import merge_duplicate_rows
from .losses import get_loss

# alpha="auto": the penalties tried, and the share of rows held out to score them
_AUTO_ALPHAS = (0.1, 1.0, 10.0)
# and one more for answer vectors the joint energy samples, whose network
# overfits at 10 on a few hundred rows (user guide, "Vectors as answers")
_AUTO_ALPHAS_VECTORS = _AUTO_ALPHAS + (100.0,)
_AUTO_VALIDATION = 0.2
# below this many distinct rows the trials are those of a cross-validation,
# and below the minimum (of a cross-validation, of one split) there are none;
# either way a trial holds out a fifth of the rows
_AUTO_FOLDS, _AUTO_FOLDS_MAX_ROWS = round(1 / _AUTO_VALIDATION), 200
_AUTO_MIN_ROWS = {False: 10, True: 20}
# above this many distinct rows the trials fit a random draw of this many
# (and hold out a fifth of it), and the chosen penalty is fitted on all the
# rows: trials on all of them would copy the data and take a fit's time each
_AUTO_TRIAL_MAX_ROWS = 50_000
# the trial fits of alpha="auto" score the rows it holds out every so many
# iterations (epochs)
_AUTO_CHECK_EVERY = 10


class AlphaSelectionMixin:
    """``fit`` with ``alpha="auto"`` for :class:`BaseEnergyModel`, whose
    ``_fit`` runs each trial and the refit."""

    # alpha="auto" refits its chosen penalty on all the data up to this many
    # distinct rows, and above it keeps the trial fitted on 80% of them (as
    # scikit-learn's early stopping keeps a fit without its validation rows)
    _AUTO_REFIT_MAX_ROWS = np.inf

    def _fit_selecting_alpha(self, X, y, sample_weight):
        """``alpha="auto"``: each of :meth:`_alpha_candidates` (for a
        scale-invariant loss, which takes no penalty, 0 alone) is fitted on
        80% of the distinct rows (keeping the iterate that scores best on the other
        20%), its temperature fitted to those rows with
        ``beta="auto"`` (a flexible model's training residuals understate its
        noise), and scored by their log-likelihood; the best is refitted on
        all the data for as many iterations (``_fit``'s ``n_iter``: a
        stalled training loss does not end it), in threads from the moment
        one is free (:meth:`_Trials.in_threads`), and takes its ``beta_``
        to its own energies' scale (:meth:`_carry_temperature`).
        Past ``_AUTO_REFIT_MAX_ROWS`` rows the best trial is kept, and the
        trials are a regularization path (:func:`_along_path`); past
        ``_AUTO_TRIAL_MAX_ROWS`` the trials fit a draw of the rows and the
        refit, alone after them, runs the chosen trial's iterations.
        Few rows make each trial a cross-validation instead
        (:func:`_validation_splits`, :func:`~skebm._held_out.pooled_score`).
        The split is of the rows merged with their duplicates, so that
        weights still act as repetitions."""
        warm = self.warm_start and self.__sklearn_is_fitted__()
        Xv, yv, wv = self._validate_input(X, y, sample_weight, reset=not warm)
        if wv.sum() > 0:
            self._check_targets(Xv, yv, wv, incremental=False)
        if warm:
            # before the trials, which would run only for the refit to refuse
            codes, _, _, targets = self._encode_targets(yv, wv, False, False)
            self._check_warm_targets(codes, targets)
        if yv.ndim == 1:
            y = yv  # a column vector is warned about once, not again at the refit
        classes = self._trial_classes(yv)
        # classes are merged by their index: labels need not be numbers
        codes = yv if classes is None else np.searchsorted(classes, yv)
        rows = merge_duplicate_rows(Xv, codes.reshape(len(codes), -1), wv)
        X_m, y_m, w_m = rows[0], rows[1].reshape((-1,) + yv.shape[1:]), rows[2]
        labels, target_args = None, {}
        trial_settings = self._trial_settings(yv, wv)
        if classes is not None:
            labels, y_m, target_args = y_m, classes[y_m], {"classes": classes}
        spread = self._auto_spread(X_m, y_m, w_m)
        # a warm start refits here, continuing its fitted parameters: the
        # count the trials chose from scratch does not apply
        refit_needed = warm or len(w_m) <= self._AUTO_REFIT_MAX_ROWS
        refitted, caught, expert = None, [], None
        splits = _validation_splits(len(w_m), self._samples_in_training(y_m), labels)
        if not all(self._trial_can_fit(y_m[train], w_m[train]) for train, _ in splits):
            # a part the trials would train on cannot be fitted (a target
            # that varies in few rows, all held out): none are run
            splits = []
        # trials on a draw of the rows: the refit is the one fit of them all,
        # run alone after the trials, with no second expert (whose refit
        # would double it). It runs the trial's count of epochs: with
        # batches of a 200th of the rows above 40000, an epoch is 200 steps
        # on the draw and on all the rows alike
        drawn = len(splits) == 1 and sum(map(len, splits[0])) < len(w_m)
        refit_needed = refit_needed or drawn
        # no penalty applies (LVQ2): the trials would be one fit three times,
        # and alpha_ says that none was used; the one kept chooses the
        # iterations and beta
        candidates = self._alpha_candidates(y_m)
        if not splits:
            # 10 (0 for LVQ2): 100 cost two columns of 15 rows up to 0.8 R^2
            alpha, selected, folds = min(candidates[-1], _AUTO_ALPHAS[-1]), None, []
        else:
            y_standardization = None
            if len(splits) > 1:
                # each trial misses a fold: the chosen penalty is refitted
                refit_needed = True
                # the folds score and fit one temperature in the refit's units
                y_standardization = self._y_standardization(y_m, w_m)
            callers_state = _callers_state()
            trial_fits = {}
            # each part's rows copied once, for every trial to read: a copy
            # per trial, two or three side by side, took the peak memory of
            # a million rows to 3.2 times the data's
            parts = [((X_m[train], y_m[train], w_m[train]),
                      (X_m[val], y_m[val], w_m[val])) for train, val in splits]

            def trial(candidate, start=None):
                fits = []
                for training, held_out in parts:
                    # unfitted, so not warm-started (but from a trial
                    # ``start``: _along_path); the penalty is _fit's
                    # (set_params would fail on a subclass hiding parameters)
                    model = clone(self)
                    for name, value in trial_settings.items():
                        setattr(model, name, value)
                    # trials run side by side: verbose output is a line
                    # each once they end (_report_trials)
                    model.verbose = False
                    if start is not None:
                        model._take_fit(start)
                        # from the best iterate, not from the last one and
                        # the running average of a loss that averages
                        model._iterate = model._average = None
                        model.warm_start = True
                    with callers_state():
                        # the refit's solver: its n_iter counts the same steps
                        model._fit(*training,
                                   incremental=False, alpha=candidate,
                                   held_out=held_out, solver_rows=Xv.shape[0],
                                   spread=spread, y_standardization=y_standardization,
                                   **target_args)
                    if drawn:
                        # a draw's trial is scored and read, never continued:
                        # its optimizer's state (Adam's moments, twice the
                        # parameters) would stay beside the next trials'
                        model._optimizer = model._iterate = model._average = None
                    fits.append((model, held_out))
                trial_fits[candidate] = fits
                return score(fits)

            def score(fits):
                if self.beta == "auto":
                    self._held_out_noise(fits)
                scored = [(model, model._held_out_score(
                    model.answer_space_, model.energy_,
                    (model._energy_inputs(held_out[0]), *held_out[1:]),
                    vars(model), model.beta_, model._loss), held_out[2].sum())
                    for model, held_out in fits]
                with callers_state():
                    return pooled_score(scored, self.beta == "auto")

            # every refit starts where its trial did, a generator's state too
            trials_state = copy.deepcopy(self.random_state)

            def refit(candidate, chosen):
                model = clone(self)
                # in a worker, beside the trials: quiet
                model.verbose = False
                model.random_state = copy.deepcopy(trials_state)
                with callers_state():
                    model._fit(X, y, sample_weight, incremental=False, alpha=candidate,
                               n_iter=getattr(chosen, "_best_n_iter", None),
                               spread=spread)
                return model

            # independent trials in OpenMP's number of threads (numpy releases
            # the GIL), one BLAS thread each; in turn with random_state=None,
            # whose global generator threads would draw in any order, and
            # on a draw: small-batch steps then hold the GIL (two mlp trials
            # on 40000 rows took 1.55 s side by side, 0.40 s each in turn),
            # and two fits' working memory is what large data can least spare
            n_threads = 1 if self.random_state is None or drawn else min(
                len(candidates), _openmp_effective_n_threads())
            # the refit runs in a worker when it starts from scratch and its
            # seed is an int: a generator passed as random_state is the user's
            # to advance, and a refit started early and not kept would draw
            # from it
            in_worker = (refit_needed and not warm and not drawn
                         and isinstance(self.random_state, Integral))
            if not refit_needed and len(candidates) > 1:
                results = _along_path(trial, candidates, n_threads)
            else:
                runner = _Trials(trial, refit if in_worker else None, candidates)
                if n_threads > 1:
                    results, refitted, caught = runner.in_threads(n_threads)
                else:
                    results = runner.in_turn()
            scores, models = zip(*results)
            best = _best(scores)
            alpha, selected = candidates[best], models[best]
            if self.verbose:
                _report_trials(candidates, scores, best)
            folds = [model for model, _ in trial_fits[alpha]]
            if not warm and not drawn and self.beta == "auto":
                expert = second_expert(scores, models,
                                       [trial_fits[c] for c in candidates], score)
            trial_fits.clear()
            parts.clear()  # the copies, before a refit on all the rows
            if drawn:
                results = models = None  # nor the other trials: the refit is large
        if refitted is not None:
            self._take_fit(refitted)
            if self.verbose:
                print(f"Refit at alpha={alpha:g} on all the rows (beside the "
                      f"trials): {self.n_iter_} iterations, loss = {self.loss_:.8f}")
            for message in caught:
                warnings.warn(message, stacklevel=2)
        elif selected is not None and not refit_needed:
            self._take_fit(selected)
            if expert is not None:
                # the trials fitted the same rows: their product is at hand
                joined = join(self, models[expert[0]], expert)
                self.beta_ = self.beta_ if joined is None else joined.beta_
            if isinstance(self._inputs, InputBox):
                # the rows the trial held out are training rows too
                self._inputs = self._inputs.widened(Xv, wv)
            train = splits[0][0]
            self._noise_at_least_training(X_m[train], y_m[train], w_m[train])
            self._retilt(Xv, yv, wv)
            return self
        else:
            if self.verbose:
                print(f"Refit at alpha={alpha:g} on all the rows:")
            # a second expert's refit warns only what this one did not
            with warnings.catch_warnings(record=expert is not None) as record:
                self._fit(X, y, sample_weight, incremental=False, alpha=alpha,
                          n_iter=None if warm else getattr(selected, "_best_n_iter",
                                                           None),
                          spread=spread)
            caught = [w.message for w in record or []]
            for message in caught:
                warnings.warn(message, stacklevel=2)
        if expert is not None:
            other = refit_quietly(refit, candidates[expert[0]], models[expert[0]],
                                  caught)
            selected = join(self, other, expert) or selected
        if selected is not None and self.beta == "auto":
            self._carry_temperature(folds, selected.beta_, X_m, w_m)
            self._take_noise(selected)
            self._noise_at_least_training(Xv, yv, wv)
            self._retilt(Xv, yv, wv)
        return self

    def _held_out_noise(self, fits):
        """Give the trial fits ``(model, held_out)`` of one penalty the
        shape of their noise measured on all their held-out rows, before
        their temperature is fitted there: nothing here; see the
        regressor."""

    def _trial_can_fit(self, y, sample_weight):
        """Whether a trial can train on the targets ``y`` of one part of
        the rows: yes here; see the regressor."""
        return True

    def _auto_spread(self, X, y, sample_weight):
        """What every fit of ``alpha="auto"`` shares (``_fit``'s ``spread``):
        nothing here; see the regressor."""
        return None

    def _trial_classes(self, y):
        """The classes of targets ``y``, which every trial fit must know
        (a class its training rows lack may be held out) and its splits
        stratify: None for real targets; see the classifier."""
        return None

    def _samples_in_training(self, y):
        """Whether a fit to targets ``y`` samples its contrastive term (a
        ``sampler``, or several target columns of the joint energy): seconds
        of epochs even on a few rows."""
        return self.sampler is not None or self._samples_targets(y)

    def _samples_targets(self, y):
        """Whether the answer space of targets ``y`` samples without a
        ``sampler`` (several target columns of the joint energy)."""
        loss = get_loss(self.loss, margin=self.margin)
        energy_cls = self._ENERGIES[self._energy_name(loss, y)]
        return self._samples_answers(energy_cls, y.reshape(len(y), -1))

    def _alpha_candidates(self, y):
        """The penalties of the trials for targets ``y``: none where no
        penalty applies (LVQ2), and ``_AUTO_ALPHAS_VECTORS`` for answers
        that training samples (several target columns of the joint energy)."""
        if not self._takes_penalty():
            return (0.0,)
        return _AUTO_ALPHAS_VECTORS if self._samples_targets(y) else _AUTO_ALPHAS

    def _trial_settings(self, y, sample_weight):
        """Parameters of every trial fit resolved on all the rows' targets
        ``y`` and weights, so that the trials and the refit fit one
        objective: none here; see the classifier."""
        return {}

    def _min_checks(self, loss, solver, energy, settings):
        """The fewest held-out checks (every ``_AUTO_CHECK_EVERY``
        iterations) without improvement that end a run, a trial's or early
        stopping's: the settings' own here; see the classifier."""
        return settings.min_checks

    def _y_standardization(self, y, sample_weight):
        """The targets' mean and scale that a cross-validation's trials share
        (``_fit``'s ``y_standardization``): none here; see the regressor."""
        return None

    def _take_fit(self, model):
        """Take the fitted state of ``model``, a trial fit of this estimator,
        keeping what validating all the rows set (``n_features_in_``,
        ``feature_names_in_``)."""
        for name, value in vars(model).items():
            fitted = name.endswith("_") or (name.startswith("_")
                                            and not name.startswith("__"))
            if fitted and name not in ("n_features_in_", "feature_names_in_"):
                setattr(self, name, value)


def _callers_state():
    """A context manager factory that sets, in a worker thread, the calling
    thread's scikit-learn configuration and numpy error state (callback
    included): both are per thread."""
    config = get_config()
    errstate = {**np.geterr(), "call": np.geterrcall()}

    @contextmanager
    def callers_state():
        with config_context(**config), np.errstate(**errstate):
            yield

    return callers_state


def _validation_splits(n_rows, sampled, labels=None):
    """The (train, held-out) row indices of the trials: one fixed split
    holding out ``_AUTO_VALIDATION`` of the rows (a deterministic solver
    keeps a deterministic fit), or below ``_AUTO_FOLDS_MAX_ROWS`` rows the
    ``_AUTO_FOLDS`` folds of a cross-validation, whose held-out rows are
    too few one split at a time to rank penalties or fit a temperature
    (but not for ``sampled`` fits, whose epochs would take five times as
    long). No split below ``_AUTO_MIN_ROWS`` rows (one split's minimum for
    ``sampled`` fits), and above ``_AUTO_TRIAL_MAX_ROWS`` one split of a
    random draw of that many. The rows' class ``labels``, if given,
    stratify the splits (and the draw) where every class can have a row in
    each part."""
    rows = np.arange(n_rows)
    if n_rows < _AUTO_MIN_ROWS[sampled]:
        return []
    counts = [] if labels is None else np.unique(labels, return_counts=True)[1]

    def stratify(smaller_part):
        # each part must be able to hold a row of every class
        fits = len(counts) and counts.min() >= 2 and len(counts) <= smaller_part
        return labels if fits else None

    if n_rows > _AUTO_TRIAL_MAX_ROWS:
        rows, _ = train_test_split(
            rows, train_size=_AUTO_TRIAL_MAX_ROWS, random_state=0,
            stratify=stratify(min(_AUTO_TRIAL_MAX_ROWS, n_rows - _AUTO_TRIAL_MAX_ROWS)))
        rows.sort()
        labels = None if labels is None else labels[rows]
        counts = [] if labels is None else np.unique(labels, return_counts=True)[1]
    if len(rows) >= _AUTO_FOLDS_MAX_ROWS or sampled or len(rows) < n_rows:
        return [train_test_split(rows, test_size=_AUTO_VALIDATION, random_state=0,
                                 stratify=stratify(len(rows) * _AUTO_VALIDATION))]
    if len(counts) and counts.min() >= _AUTO_FOLDS:
        folds = StratifiedKFold(_AUTO_FOLDS, shuffle=True, random_state=0)
        return list(folds.split(rows, labels))
    return list(KFold(_AUTO_FOLDS, shuffle=True, random_state=0).split(rows))
