"""Class labels as indices, with class weights folded into the sample
weights; what alpha="auto"'s trial fits need of them."""

import numpy as np
from sklearn.utils import compute_class_weight

from ._alpha_auto import _AUTO_CHECK_EVERY, _AUTO_VALIDATION


def encode_classes(y, sample_weight, class_weight, incremental, fitted_classes,
                   classes):
    """Class indices, weights and the classes of a classifier's targets.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,)
    class_weight : dict, "balanced" or None
    incremental : bool
        A ``partial_fit`` call, whose classes come from ``classes`` or the
        fitted model.
    fitted_classes : ndarray or None
        ``classes_`` of the model being continued.
    classes : array-like or None
        ``partial_fit``'s ``classes``; for a fit, those of all the rows when
        ``y`` is part of them.

    Returns
    -------
    y_idx : ndarray of int
    sample_weight : ndarray
        Times the class weights.
    penalty_scale : float
        The factor that keeps the penalty's amount of data: class weights
        move weight between classes without changing it.
    fitted_targets : dict
        ``{"classes_": classes_}``.
    """
    if incremental:
        if fitted_classes is None and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit.")
        if classes is not None:
            classes = np.unique(classes)
            if fitted_classes is not None and not np.array_equal(
                    classes, fitted_classes):
                raise ValueError(
                    f"classes={classes.tolist()} differs from the classes "
                    f"{fitted_classes.tolist()} of the fitted model.")
        classes_ = fitted_classes if fitted_classes is not None else classes
    else:
        # the classes of all the rows, for alpha="auto"'s trial fits on part
        classes_ = np.unique(y if classes is None else classes)
    unseen = np.setdiff1d(np.unique(y), classes_)
    if unseen.size:
        raise ValueError(
            f"y has labels {unseen.tolist()} that are not among the classes "
            f"{classes_.tolist()} of the first call to fit or partial_fit.")
    if len(classes_) < 2:
        raise ValueError(
            "EnergyClassifier needs samples of at least two classes; got "
            f"one class: {classes_.tolist()[0]!r}.")
    y_idx = np.searchsorted(classes_, y)
    fitted_targets = {"classes_": classes_}
    if class_weight is None:
        return y_idx, sample_weight, 1.0, fitted_targets
    if incremental and class_weight == "balanced":
        raise ValueError(
            "class_weight='balanced' is not supported by partial_fit: one "
            "batch does not tell the class frequencies. Pass a dict.")
    full = class_weight_vector(class_weight, classes_, y, sample_weight)
    weighted = sample_weight * full[y_idx].astype(sample_weight.dtype)
    if not weighted.sum() > 0:
        raise ValueError("sample_weight must have a positive sum.")
    # class weights move weight between classes; the amount of data, which
    # the penalty is weighed against, stays that of sample_weight
    return (y_idx, weighted, float(sample_weight.sum()) / float(weighted.sum()),
            fitted_targets)



def class_weight_vector(class_weight, classes_, y, sample_weight=None):
    """The weight of each of ``classes_``: a dict's (1 for a class it does
    not name, whether or not ``y`` holds it); ``"balanced"`` inversely
    proportional to the classes' total ``sample_weight`` in ``y`` (so that
    integer weights act as repeated rows, as in LogisticRegression; 1 for
    the classes without weight)."""
    if isinstance(class_weight, dict):
        if any(not w >= 0 for w in class_weight.values()):
            raise ValueError(f"class_weight must not be negative (or NaN): got "
                             f"{class_weight!r}.")
        return compute_class_weight(class_weight, classes=classes_, y=y)
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight,
                                                                  dtype=float)
    totals = np.bincount(np.searchsorted(classes_, y), weights=w,
                         minlength=len(classes_))
    present = totals > 0
    full = np.ones(len(classes_))
    full[present] = totals.sum() / (present.sum() * totals[present])
    return full


class ClassTrialsMixin:
    """What ``alpha="auto"``'s trial fits (:class:`AlphaSelectionMixin`)
    need of class targets: the classes, the class weights of all the rows,
    the score of the rows held out, and the rows the tilt is refitted to."""

    def _calibration_rows(self, X, y, sample_weight):
        """Validated rows as the fitted energy reads them: inputs, class
        indices, and the weights times the class weights, at their own total
        (one column of classes; label vectors have no tilt)."""
        y, weighted, scale, _ = encode_classes(y, sample_weight, self.class_weight,
                                               False, None, self.classes_)
        return self._energy_inputs(X), y, weighted * scale

    def _trial_classes(self, y):
        return np.unique(y) if y.ndim == 1 else None

    def _min_checks(self, loss, solver, energy, settings):
        # L-BFGS on a margin loss, where its most offending class changes,
        # can cross a plateau of a hundred iterations or more over which the
        # held-out score drifts down before it rises (ggplot2's diamonds,
        # the log loss: 1.08 nats at 10 iterations, 1.085 at 100, 0.98 at
        # 300): a linear energy's run, whose iterations are cheap, goes on
        # to max_iter and keeps its best check (user guide, "Solvers")
        if solver == "lbfgs" and not loss.partition and energy.full_batch:
            return max(settings.min_checks,
                       -(-settings.max_iter // _AUTO_CHECK_EVERY))
        return settings.min_checks

    def _trial_settings(self, y, sample_weight):
        # "balanced" weighs the rows given, not the trials' merged ones or
        # their part of them; a dict names the classes a part may lack
        if self.class_weight is None or y.ndim != 1:
            return {}
        classes = np.unique(y)
        weights = class_weight_vector(self.class_weight, classes, y, sample_weight)
        return {"class_weight": dict(zip(classes.tolist(), weights.tolist()))}

    def _held_out_score(self, space, energy, held_out, targets, beta, loss):
        """A callable ``(at=None, floored=False) -> (score, beta)`` for the
        rows ``held_out`` (X, labels, weights) that ``alpha="auto"`` sets
        apart: their mean log probability, weighted as the objective weighs
        them, at the temperature fitted to them with ``beta="auto"``
        (:meth:`ClassSpace.fit_beta`: NLL keeps its own), else at ``beta``;
        or at the temperature ``at``. Classes have no floor: ``floored``
        changes nothing. The energies are untilted: the tilt is fitted after
        the temperature (:meth:`_carry_temperature`)."""
        X, y, w = held_out
        X = X.astype(energy.params_.dtype, copy=False)
        classes = targets["classes_"]
        y = np.searchsorted(classes, y)
        if getattr(space, "tilt", None) is not None:
            space = space.tilted(None)
        if self.class_weight is not None:
            # weighted by class as the training rows are, at their own total:
            # class weights move weight between classes, not the amount of
            # data that the temperature's smoothing counts
            weighted = w * class_weight_vector(self.class_weight, classes,
                                               classes[y])[y]
            total = weighted.sum()
            w = weighted * (w.sum() / total) if total > 0 else weighted
        if not w.sum() > 0:
            # only rows of a class weighted zero: none counts more
            w = np.ones_like(w)
        rows = np.arange(len(y))

        def score(at=None, floored=False):
            with np.errstate(all="ignore"):
                if at is not None:
                    b = at
                elif self.beta == "auto":
                    # the pseudo-observations weigh as in a fit on all rows
                    b = space.fit_beta(energy, X, y, w, loss, beta,
                                       total_weight=w.sum() / _AUTO_VALIDATION)
                else:
                    b = beta
                energies = energy.energies(X).astype(np.float64)
                log_p = space.log_proba(energies, b)[rows, y]
            return float(np.average(log_p, weights=w)), b

        return score
