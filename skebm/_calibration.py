"""The Gibbs distribution fitted after training: its temperature, the
noise of each output of a Gaussian energy, and the tilt toward the targets'
location after a margin loss."""

import numpy as np

from ._targets import standardize


class CalibrationMixin:
    """``_calibrate`` (the last step of ``BaseEnergyModel._fit``), and what
    ``alpha="auto"`` redoes once it sets ``beta_`` from its trial's
    (:meth:`_carry_temperature`): the noise's shape and the tilt."""

    def _calibrate(self, space, energy, X, y, sample_weight, loss, beta, fixed_beta,
                   retilt=True):
        """The fitted model's ``beta`` (the loss's, ``fixed_beta``, or fitted
        to the training rows) and its space. After a margin loss with
        ``beta="auto"``, a space that can (``fit_tilt``) also tilts the
        Gibbs distribution to the targets' location, refitting a free
        temperature once at the tilt; ``retilt=False`` (a ``partial_fit``
        batch after the first, which alone would set every prediction's
        location) keeps the space's tilt."""
        if fixed_beta is None:
            if hasattr(space, "with_column_variance"):
                space = space.with_column_variance(space.residual_squares(
                    energy, X, y, sample_weight))
            beta = space.fit_beta(energy, X, y, sample_weight, loss, beta)
        if not (retilt and self._tilts(space, loss)):
            return beta, space
        space = _tilted(space, energy, X, y, sample_weight, beta)
        if fixed_beta is None:
            beta = space.fit_beta(energy, X, y, sample_weight, loss, beta)
        return beta, space

    def _tilts(self, space, loss):
        return self.beta == "auto" and not loss.partition and hasattr(space, "fit_tilt")

    def _retilt(self, X, y, sample_weight):
        """Refit the tilt (see :meth:`_calibrate`) at ``beta_`` to all the
        validated rows ``X, y``: ``alpha="auto"`` sets ``beta_`` after its
        refit, from its trial's, or keeps a trial fitted on part of them."""
        space = self.answer_space_
        if not self._tilts(space, self._loss):
            return
        X, z, sample_weight = self._calibration_rows(X, y, sample_weight)
        with np.errstate(over="ignore", invalid="ignore"):
            self.answer_space_ = _tilted(space, self.energy_, X, z, sample_weight,
                                         self.beta_)

    def _calibration_rows(self, X, y, sample_weight):
        """Validated rows as the fitted energy reads them: its inputs, the
        targets in its units, and the weights (the classifier's override
        encodes classes and weighs them by ``class_weight``)."""
        z = standardize(y, X.shape[0], self.y_mean_, self.y_scale_)
        return self._energy_inputs(X), z, sample_weight

    def _noise_at_least_training(self, X, y, sample_weight):
        """Raise a Gaussian energy's held-out noise variance, ``c_j /
        beta_`` for each output ``j``, to the mean squared residual of the
        rows ``X, y`` that the fit trained on where it is lower: no held-out
        rows can show less noise than the fit leaves on its own training
        rows, and the mean square of a few dozen heavy-tailed residuals is
        more often too small than too large (ISLR's Credit: the mlp
        energy's 90% intervals covered 0.72 of new rows; user guide)."""
        space = self.answer_space_
        if self.beta != "auto" or not hasattr(space, "residual_squares"):
            return
        X, z, sample_weight = self._calibration_rows(X, y, sample_weight)
        c = 1.0 if space.column_variance is None else space.column_variance
        training = space.residual_squares(self.energy_, X, z,
                                          sample_weight) / np.sum(sample_weight)
        variance = np.maximum(c / self.beta_, training)
        self.answer_space_ = space.with_column_variance(variance)
        self.beta_ = 1.0 / float(np.mean(variance))

    def _carry_temperature(self, trials, beta, X, sample_weight):
        """Set a refit's ``beta_`` from ``beta``, the temperature that
        ``alpha="auto"`` fitted to the rows its ``trials`` (one fit, or a
        cross-validation's folds) held out. A loss with a partition fixed
        the energies' scale, and the refit keeps ``beta``. Other losses
        leave the scale to the fit's path (the perceptron's grows with its
        mistakes): the refit's energies of the same rows spread 1.4 to 7
        times as wide as its trial's on Mroz's labour participation (user
        guide), so the refit takes the temperature at which its
        probabilities of the rows ``X`` (the trials' merged rows, weighted
        by ``sample_weight`` alone: one distribution matched to another)
        come closest, in cross-entropy, to the trials' mean probabilities
        of them at ``beta``. Both sides' energies are untilted, as ``beta``
        was fitted to the held-out rows; :meth:`_retilt` then fits the tilt
        at ``beta_``."""
        space = self.answer_space_
        self.beta_ = beta
        if self._loss.partition or not hasattr(space, "match_beta"):
            return
        space = self.answer_space_ = space.tilted(None)
        with np.errstate(all="ignore"):
            reference = np.mean([trial.answer_space_.proba(
                trial.energy_.energies(trial._energy_inputs(X)).astype(np.float64),
                beta) for trial in trials], axis=0)
            if np.all(np.isfinite(reference)):
                self.beta_ = space.match_beta(self.energy_, self._energy_inputs(X),
                                              sample_weight, reference)

    def _take_noise(self, model):
        """Take the outputs' relative noise variances of ``model``, the
        trial whose ``beta_`` ``alpha="auto"`` keeps (a Gaussian energy's
        several outputs; others have none)."""
        c = getattr(model.answer_space_, "column_variance", None)
        if c is not None:
            self.answer_space_ = self.answer_space_.with_column_variance(c)


def _tilted(space, energy, X, z, sample_weight, beta):
    """``space`` tilted to the likelihood of the standardized targets ``z``
    at ``beta``."""
    return space.tilted(space.fit_tilt(energy, X, z, sample_weight, beta))
