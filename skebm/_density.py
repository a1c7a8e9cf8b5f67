"""The Gibbs distribution of a fitted EnergyRegressor: energies, log
densities, samples and intervals, in the target's original units; and the
held-out log-likelihood by which ``alpha="auto"`` chooses."""

import warnings
from numbers import Real

import numpy as np
from sklearn.utils import check_random_state

from ._targets import standardize, unstandardize


def standardized_log_density(space, energy, X, z, beta, method="auto"):
    """``log p(z|x)`` of standardized targets ``z`` and its standard error
    (zero where the log-partition is exact): two arrays (n_samples,)."""
    with np.errstate(over="ignore"):
        if hasattr(space, "log_density"):
            log_density = space.log_density(energy, X, z, beta)
            return log_density, np.zeros(len(log_density))
        log_gibbs = -beta * space.energies(energy, X, z)
    if hasattr(space, "log_partition_estimate"):
        log_z, std = space.log_partition_estimate(energy, X, beta, method)
    else:
        log_z = space.log_partition(energy, X, beta)
        std = np.zeros(len(log_gibbs))
    return log_gibbs - log_z, std


class GibbsDensityMixin:
    """What a fitted regressor's Gibbs distribution ``p(y|x)`` answers besides
    its prediction, and how it scores the rows ``alpha="auto"`` holds out.
    The host provides ``_check_X``, ``answer_space_``, ``energy_``,
    ``beta_``, ``y_mean_``, ``y_scale_`` and ``_y_2d``."""

    def _standardized(self, X, y):
        z = standardize(y, X.shape[0], self.y_mean_, self.y_scale_)
        space = self.answer_space_
        outside = space.outside(z)
        if outside.any() and self.support_ is not None:
            # a bound of support_ standardizes back only up to rounding
            y = np.asarray(y, dtype=float).reshape(z.shape)
            outside &= (y < self.support_[0]) | (y > self.support_[1])
        outside = outside.any(axis=1)
        if outside.any():
            region = self._answer_region(space, self.y_mean_, self.y_scale_)
            warnings.warn(
                f"{int(outside.sum())} values of y lie outside {region} of the "
                f"{self.energy} energy; beyond it the energy rises as a "
                "quadratic wall. The density stays normalized, but there it is "
                "the wall's, which the training targets never reached: those "
                "rows' log densities are low and say little about the model.",
                UserWarning)
        return z

    def _original(self, z, dtype):
        """Standardized answers in target units, in the inputs' float type
        ``dtype`` (float32 in, float32 out, as Ridge's and MLPRegressor's
        predictions) unless a finite answer would overflow float32."""
        y = unstandardize(z, self.y_mean_, self.y_scale_, self._y_2d)
        if dtype != np.float32:
            return y
        with np.errstate(over="ignore"):
            narrow = y.astype(np.float32)
        return narrow if np.array_equal(np.isfinite(narrow), np.isfinite(y)) else y

    def energies(self, X, y):
        """Energy of each (x, y) pair, in standardized units (for ``joint``
        with one column, under the ceiling of ``answer_space_.floor``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        energies : ndarray of shape (n_samples,)
        """
        X, dtype = self._check_X_and_type(X)
        space, z = self.answer_space_, self._standardized(X, y)
        with np.errstate(over="ignore"):
            if hasattr(space, "capped_energies"):
                energies = space.capped_energies(self.energy_, X, z, self._gibbs_beta)
            else:
                energies = space.energies(self.energy_, X, z)
        # in the input's float type, whichever the architecture computes in
        return energies.astype(dtype, copy=False)

    def predict_log_density(self, X, y, method="auto", return_std=False):
        """``log p(y|x)`` of the Gibbs distribution ``exp(-beta E) / Z(x)``,
        a density over the original target units.

        For ``joint`` the log-partition is a quadrature over 512 grid cells
        plus the two quadratic-wall tails, so the density integrates to one
        over the real line, and the fitted energy is capped so that a share
        of ``1e-4`` of the mass lies evenly on the support and in tails past
        it (user guide, "A floor under the density"); with ``d`` columns,
        over a 96^d grid for ``d <= 2`` and an importance-sampling estimate
        above
        (:class:`~skebm.inference.VectorSpace`). For ``linear`` and ``mlp``
        it is the Gaussian ``N(G(x), y_scale_^2 / beta)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        method : {"auto", "quadrature", "importance"}, default="auto"
            For several columns: exact (a ValueError above two) or estimated.
        return_std : bool, default=False
            Also return the standard error of the estimate (zero where it is
            exact).

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
        std : ndarray of shape (n_samples,)
            Only with ``return_std=True``.
        """
        X = self._check_X(X)
        log_density, std = standardized_log_density(
            self.answer_space_, self.energy_, X, self._standardized(X, y),
            self._gibbs_beta, method)
        log_density -= np.sum(np.log(self.y_scale_))
        return (log_density, std) if return_std else log_density

    def sample_y(self, X, n_samples=1, random_state=None):
        """Draw targets from the Gibbs distribution ``p(y|x)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples_X, n_features)
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        y_samples : ndarray of shape (n_samples_X, n_samples) or \
(n_samples_X, n_samples, n_outputs)
            For a 1-D ``y`` as
            :meth:`sklearn.gaussian_process.GaussianProcessRegressor.sample_y`.
            For a 2-D ``y`` each sample is a whole answer vector,
            ``y_samples[i, j]`` the ``j``-th draw for ``X[i]``: the outputs
            come last, where GaussianProcessRegressor puts the draws.
            Where the targets have atoms (a point mass, counts), a draw
            inside an atom's cell is the atom, as the data record it.
        """
        X, dtype = self._check_X_and_type(X)
        rng = check_random_state(random_state)
        if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive int, got {n_samples!r}.")
        samples = self._original(self.answer_space_.sample(
            self.energy_, X, self._gibbs_beta, n_samples, rng), dtype)
        return samples.transpose(0, 2, 1) if self._y_2d else samples

    def predict_interval(self, X, coverage=0.9):
        """Central interval of the Gibbs distribution ``p(y|x)``: between its
        ``(1 - coverage) / 2`` and ``(1 + coverage) / 2`` quantiles.

        For a multimodal ``p(y|x)`` (``joint``) the interval spans every mode
        it needs to reach the coverage, and the low-density gaps between them.
        For targets recorded as cells (counts, rounded values, point masses;
        user guide) an end that falls in an atom's cell moves to a bound of
        the cell, taking the atom in when the interval holds at least half
        of the cell's probability: ``[2.5, 7.5]`` are the counts 3 to 7.
        Where that leaves the interval holding other than ``coverage``, the
        end in the heavier atom stays and the other moves to hold it.
        One column of the joint energy gives ``answer_space_.floor`` (1e-4)
        of its mass evenly to the whole support and tails past it (user
        guide): intervals of a coverage past about ``1 - 1e-4`` reach toward
        the support's ends and past them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        coverage : float in (0, 1), default=0.9

        Returns
        -------
        interval : ndarray of shape (n_samples, 2) or (n_samples, n_outputs, 2)
        """
        if not isinstance(coverage, Real) or not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1), got {coverage!r}.")
        X, dtype = self._check_X_and_type(X)
        q = np.array([(1 - coverage) / 2, (1 + coverage) / 2])
        u = np.broadcast_to(q, (X.shape[0], 2))
        return self._original(self.answer_space_.interval(
            self.energy_, X, self._gibbs_beta, u), dtype)

    # -- the rows alpha="auto" holds out -----------------------------------------
    def _held_out_score(self, space, energy, held_out, targets, beta, loss):
        """A callable ``(at=None, floored=False) -> (score, beta)`` for the
        rows ``held_out`` (X, y, weights) that ``alpha="auto"`` sets apart,
        with ``targets`` holding the fit's ``y_mean_`` and ``y_scale_``: the
        weighted mean log density of their standardized targets, at the
        temperature that maximizes it with ``beta="auto"`` (``beta`` where
        the space cannot fit one), else at ``beta``; or at the temperature
        ``at``. It checks a trial fit as it trains, and scores its end, under
        the trained energy itself; ``floored`` scores the density that
        predicts, under the ceiling of the space's floor, whose temperature
        the model keeps."""
        X, y, w = held_out
        X = X.astype(energy.params_.dtype, copy=False)
        spaces = {True: space, False: space}
        if hasattr(space, "without_floor"):
            # the held-out rows judge the trained energy itself (with the
            # floor, penalties that fit the bulk sharper and miss more rows
            # would score as well)
            spaces[False] = space.without_floor()
        z = standardize(y, X.shape[0], targets["y_mean_"], targets["y_scale_"])
        # the temperature of the last check: the next one's root-finding
        # starts there
        last = {True: beta, False: beta}
        # the log density as a function of the temperature, of the energy
        # since the last check: a search over temperatures reuses it
        at_beta = {}

        def score(at=None, floored=False):
            scored = spaces[floored]
            with np.errstate(all="ignore"):
                if at is None:
                    at_beta.clear()
                if hasattr(scored, "log_density_function") and floored not in at_beta:
                    at_beta[floored] = scored.log_density_function(energy, X, z)
                function = at_beta.get(floored)
                if at is not None:
                    b = at
                elif self.beta != "auto":
                    b = beta
                elif function is not None:
                    b = function.fit_beta(w, last[floored])
                else:
                    b = scored.fit_beta(energy, X, z, w, None, last[floored])
                if at is None:
                    last[floored] = b
                if function is None:
                    log_density, _ = standardized_log_density(scored, energy, X, z, b)
                else:
                    log_density = function(b)
            return float(np.average(log_density, weights=w)), b

        return score

    def _held_out_noise(self, fits):
        """With several outputs of a Gaussian energy, the trial fits
        ``(model, held_out)`` of one penalty take the outputs' relative noise
        variances from all their held-out rows: the training residuals of a
        flexible ``G`` understate some outputs more than others (a noiseless
        curve's far more than a noisy line's), and one held-out ``beta`` with
        their proportions widened the noisy output's 90% intervals to cover
        0.9995 (user guide)."""
        space = fits[0][0].answer_space_
        if not hasattr(space, "with_column_variance") or space.n_answers == 1:
            return
        squares = sum(
            model.answer_space_.residual_squares(
                model.energy_, model._energy_inputs(X),
                standardize(y, X.shape[0], model.y_mean_, model.y_scale_), w)
            for model, (X, y, w) in fits)
        for model, _ in fits:
            model.answer_space_ = model.answer_space_.with_column_variance(squares)
