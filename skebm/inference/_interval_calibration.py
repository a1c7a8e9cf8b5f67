"""The temperature and the tilt of an :class:`~skebm.inference.IntervalSpace`'s
Gibbs distribution, fitted to targets after training."""

import numpy as np

from ._grid_density import floored_log_densities, row_blocks, row_logsumexp
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
        rows = _few_rows(X.shape[0])
        energies = self._target_energies(energy, X[rows], z[rows])
        return self._fit_beta(*energies, sample_weight[rows], beta)

    def _fit_beta(self, E, e, points, sample_weight, start):
        """:meth:`fit_beta` from the energies of :meth:`_target_energies`."""
        e_target, e_cells = (e[:, 0], None) if self.cells is None else (None, e)
        spread = float(np.std(E[:, 1:-1], axis=1).mean())

        def fit(w, start, max_steps=None):
            nll_gradient = grid_nll_derivatives(
                lambda b, rows: self._gibbs_logits(E[rows], b), E, w / w.sum(),
                e_target, e_cells)
            return fit_inverse_temperature(nll_gradient, spread, curvature=True,
                                           start=start, max_steps=max_steps)

        if not self.floor:
            return fit(sample_weight, start)
        return fit_floored_temperature(fit, self._log_densities(E, e, points),
                                       sample_weight, spread, start=start)

    def log_density_function(self, energy, X, z):
        """:meth:`log_density` as a function of ``beta`` alone, the energies
        computed once: a callable ``beta -> (n_samples,)``, whose
        ``fit_beta(sample_weight, start)`` is :meth:`fit_beta` (``loss=None``)
        of the same rows."""
        return _TemperatureFunction(self, self._target_energies(energy, X, z))

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
        log_floor = self._log_floor_density(points)

        def log_densities(b):
            log_z = np.empty(len(E))
            for rows in row_blocks(len(E)):
                log_z[rows] = row_logsumexp(self._gibbs_logits(E[rows], b))
            log_p = np.log1p(-self.floor) - b * e - log_z[:, None]
            return floored_log_densities(log_p, log_floor)

        return log_densities

    def fit_tilt(self, energy, X, z, sample_weight, beta):
        """The tilt ``t`` of the Gibbs distribution, ``p(z|x) ∝ exp(-beta (E
        - t z))``, maximizing the likelihood of the targets at ``beta``: it
        moves the distribution's location, which a margin loss leaves where
        its contrastive terms balanced, so that its mean is about the
        targets' on average (:func:`~skebm.inference._temperature.fit_tilt`)."""
        space = self.tilted(0.0)
        rows = _few_rows(X.shape[0])
        E, e_points, points = space._target_energies(energy, X[rows], z[rows])
        sample_weight = sample_weight[rows]
        return fit_tilt(space._gibbs_logits(E, beta), self._nodes(), beta,
                        sample_weight / sample_weight.sum(), -beta * e_points,
                        self.clip(points).astype(np.float64))


def _few_rows(n_rows):
    """At most ``_MAX_TEMPERATURE_ROWS`` of ``n_rows`` rows, evenly spaced:
    an index."""
    if n_rows <= _MAX_TEMPERATURE_ROWS:
        return slice(None)
    return np.linspace(0, n_rows - 1, _MAX_TEMPERATURE_ROWS).astype(int)


class _TemperatureFunction:
    """:meth:`IntervalCalibration.log_density_function`: a check of a trial
    fit fits its temperature and scores its rows from one evaluation of the
    grid's energies (which took as long as the temperature's fit)."""

    def __init__(self, space, energies):
        self.space, self.energies = space, energies
        self._log_densities = space._log_densities(*energies)

    def __call__(self, beta):
        return self._log_densities(beta)[1]

    def fit_beta(self, sample_weight, start):
        rows = _few_rows(len(sample_weight))
        return self.space._fit_beta(*(a[rows] for a in self.energies),
                                    sample_weight[rows], start)
