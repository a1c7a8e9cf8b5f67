"""The temperature and the tilt of an :class:`~skebm.inference.IntervalSpace`'s
Gibbs distribution, fitted to targets after training."""

import numpy as np

from ._grid_density import floored_log_densities, row_logsumexp
from ._temperature import (fit_floored_temperature, fit_inverse_temperature, fit_tilt,
                           grid_nll_derivatives)

# a temperature or a tilt is one parameter: a few thousand rows pin it down
_MAX_TEMPERATURE_ROWS = 4000


class IntervalCalibration:
    """Calibration for :class:`~skebm.inference.IntervalSpace`, which provides
    the grid's energies and logits, ``cells``, ``floor`` and ``tilted``."""

    def fit_beta(self, energy, X, z, sample_weight, loss, beta):
        """The loss's own inverse temperature for a loss with a partition
        (NLL), which fixes the energy scale; otherwise, or with
        ``loss=None`` (held-out rows calibrating any loss), the one
        maximizing the likelihood of the targets under the grid's density,
        its floor included
        (:func:`~skebm.inference._temperature.fit_floored_temperature`)."""
        if loss is not None and loss.partition:
            return beta
        X, z, sample_weight = _few_rows(X, z, sample_weight)
        E, e, points = self._target_energies(energy, X, z)
        e_target, e_cells = (e[:, 0], None) if self.cells is None else (None, e)
        spread = float(np.std(E[:, 1:-1], axis=1).mean())

        def fit(w, start):
            nll_gradient = grid_nll_derivatives(
                lambda b: self._gibbs_logits(E, b), E, w / w.sum(), e_target, e_cells)
            return fit_inverse_temperature(nll_gradient, spread, curvature=True,
                                           start=start)

        if not self.floor:
            return fit(sample_weight, beta)
        return fit_floored_temperature(fit, self._log_densities(E, e, points),
                                       sample_weight, spread, start=beta)

    def log_density_function(self, energy, X, z):
        """:meth:`log_density` as a function of ``beta`` alone, the energies
        computed once: a callable ``beta -> (n_samples,)``."""
        log_densities = self._log_densities(*self._target_energies(energy, X, z))
        return lambda beta: log_densities(beta)[1]

    def _target_energies(self, energy, X, z):
        """The grid's energies (:meth:`_grid_energies`), and the energies
        of the targets and their points (the points of their cells): three
        arrays (n, M + 2), (n, k) and (n, k), in float64."""
        E = self._grid_energies(energy, X)
        if self.cells is not None:
            points, e = self._cell_energies(energy, X, z)
            return E, e, points
        e = np.clip(self.energies(energy, X, z).astype(np.float64), -1e100, 1e100)
        return E, e[:, None], z[:, :1]

    def _log_densities(self, E, e, points):
        """A callable ``beta -> (gibbs, total)``: each row's log density
        under the floor (:func:`floored_log_densities`) from the energies of
        :meth:`_target_energies`."""
        inside = ~self.outside(points) if self.floor else np.zeros(points.shape, bool)
        with np.errstate(divide="ignore"):
            log_floor = self._log_floor_density()

        def log_densities(b):
            log_p = (np.log1p(-self.floor) - b * e
                     - row_logsumexp(self._gibbs_logits(E, b))[:, None])
            return floored_log_densities(log_p, log_floor, inside)

        return log_densities

    def fit_tilt(self, energy, X, z, sample_weight, beta):
        """The tilt ``t`` of the Gibbs distribution, ``p(z|x) ∝ exp(-beta (E
        - t z))``, maximizing the likelihood of the targets at ``beta``: it
        moves the distribution's location, which a margin loss leaves where
        its contrastive terms balanced, so that its mean is about the
        targets' on average (:func:`~skebm.inference._temperature.fit_tilt`)."""
        space = self.tilted(0.0)
        X, z, sample_weight = _few_rows(X, z, sample_weight)
        E, e_points, points = space._target_energies(energy, X, z)
        return fit_tilt(space._gibbs_logits(E, beta), self._nodes(), beta,
                        sample_weight / sample_weight.sum(), -beta * e_points,
                        self.clip(points).astype(np.float64))


def _few_rows(X, z, sample_weight):
    """At most ``_MAX_TEMPERATURE_ROWS`` rows, evenly spaced."""
    if X.shape[0] <= _MAX_TEMPERATURE_ROWS:
        return X, z, sample_weight
    rows = np.linspace(0, X.shape[0] - 1, _MAX_TEMPERATURE_ROWS).astype(int)
    return X[rows], z[rows], sample_weight[rows]
