"""An interval of the real line: quadrature on a grid, refined locally."""

import copy

import numpy as np
from sklearn.utils import gen_batches

from .._targets import recorded_cells
from ._base import AnswerSpace
from ._cells import TargetCells, hold_coverage
from ._grid_density import (cell_centers, floored_log_densities, grid_cdf,
                            grid_moments, grid_probabilities, grid_quantiles,
                            row_blocks, row_logsumexp)
from ._interval_calibration import IntervalCalibration
from ._interval_training import N_TRAIN_GRID, IntervalCandidates

# The grid of inference (log-partition, mode, mean, quantiles), finer than
# the training's, and the points that refine the mode.
_N_PREDICT_GRID = 512
_N_REFINE = 17
# Standardized units: the support is the training range padded by
# _PAD_FRACTION of its width plus _PAD; beyond it the energy rises as a
# quadratic wall of width _WALL, so the Gibbs distribution is proper on R.
_PAD_FRACTION = 0.2
_PAD = 0.5
_WALL = 0.5
# the share of the predictive distribution spread evenly over the support
# and, past it, in the wall's tails (user guide, "a floor under the
# density"): it costs at most -log(1 - _FLOOR) = 1e-4 nats a row, and caps
# what a target inside the support but far from every training answer
# costs at about log(width / _FLOOR) nats
_FLOOR = 1e-4
# rows of targets' cells whose energies are computed at a time
_CELL_CHUNK_ROWS = 2048
# epsilon="auto" for the margin losses: 2 sqrt(2) times the targets'
# conditional spread (two noisy targets of one input differ by less 95% of
# the time), within these bounds (user guide)
_EPSILON_BOUNDS = (0.5, 2.0)


class IntervalSpace(IntervalCandidates, IntervalCalibration, AnswerSpace):
    """One real answer in a bounded interval, searched on a grid.

    The support is the (standardized) training range, padded; beyond it the
    energy rises as a quadratic wall, so that the Gibbs distribution is a
    proper density on the real line. Training candidates are the target and
    a grid of 128 points shifted at random every mini-batch to one of 16
    places (over the batches, a midpoint rule of 2048 points for the
    partition; the fixed midpoint grid for L-BFGS), plus
    the two wall tails. Inference uses 512 points: the mode is refined
    locally around the best grid point, and the mean, quantiles, samples and
    log-partition come from the piecewise-uniform density on the grid with
    half-normal tails (with ``cells``, the mean, its spread and the samples
    read an answer in an atom's cell as the atom: the value recorded). With
    a ``sampler`` the NLL's contrastive term is the
    kept states of random-walk Metropolis chains on ``p(y|x)``.

    Parameters
    ----------
    support : tuple of float
        ``(low, high)``, in the standardized units of the targets.
    epsilon : float, default=2.0
        Radius of the ball around the target whose answers do not count as
        incorrect: two standard deviations of the targets, wider than the
        noise of most real conditionals. :meth:`set_spread` narrows it to the
        conditional spread (``epsilon="auto"`` of ``EnergyRegressor``).
    sampler : MHSampler or None, default=None
    persistent_chains : bool, default=False
        Keep every training sample's chains between updates (persistent
        contrastive divergence) instead of restarting them at the target.
    cells : TargetCells or None, default=None
        The cells that targets recorded at a resolution stand for (None:
        points). Then the NLL is that of the target's cell, ``-log P(cell)``,
        by quadrature over points inside it, and the target's density is
        the cell's mean density ``P(cell) / width``: a spike on a value many
        targets share gains nothing beyond its cell.
    floor : float in [0, 1), default=1e-4
        A ceiling on the energy at inference: the energy is
        ``-log(exp(-beta E) + K(x, y)) / beta``, a soft minimum of ``E`` and
        a level ``K`` set so that the Gibbs distribution gives the share
        ``floor`` of its mass evenly to the support and, beyond it, to tails
        that fall as the wall does at ``beta = 1``. A target
        unlike any in training then costs a bounded number of nats. The
        training losses, :meth:`score` (early stopping) and :meth:`energies`
        see ``E`` itself, and so does the held-out score of ``alpha="auto"``
        (:meth:`without_floor`); ``fit_beta`` fits the temperature of the
        density that predicts, the floor included.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.inference import IntervalSpace
    >>> space = IntervalSpace.from_targets(np.array([[-1.0], [1.0]]), np.ones(2))
    >>> space.support
    (-1.9, 1.9)
    """

    # a space pickled before the floor existed predicts as it did
    floor = 0.0

    def __init__(self, support, epsilon=2.0, sampler=None, persistent_chains=False,
                 cells=None, floor=_FLOOR):
        if not 0 <= floor < 1:
            raise ValueError(f"floor must be in [0, 1), got {floor!r}.")
        self.support = support
        self.cells = cells
        self.floor = floor
        self.epsilon = epsilon
        self.spread = None
        self.tilt = 0.0
        self.sampler = sampler
        self.persistent_chains = persistent_chains
        self._chains = None

    @classmethod
    def from_targets(cls, z, sample_weight, **params):
        """The space spanning the standardized targets ``z`` of positive
        weight (samples of weight zero count as absent), with the
        cells of targets that share values (an integer or rounded target,
        a point mass), see :func:`skebm._targets.recorded_cells`."""
        weight = sample_weight[sample_weight > 0]
        z = z[sample_weight > 0, 0]
        if np.ptp(z) == 0:
            raise ValueError(
                "energy='joint' needs a target that varies: y is constant (for "
                "example 1 sample), and the Gibbs distribution of a constant is "
                "a point mass that no grid of answers holds. Use "
                "energy='linear', which fits the constant (a fit of 1 sample "
                "needs a number as beta).")
        pad = _PAD_FRACTION * np.ptp(z) + _PAD
        cell = (np.ptp(z) + 2 * pad) / N_TRAIN_GRID
        cells = recorded_cells(z, weight, cell, pad)
        return cls((float(z.min() - pad), float(z.max() + pad)),
                   cells=None if cells is None else TargetCells(*cells), **params)

    n_answers = 1
    spans_targets = True  # its grid spans the training targets
    # spaces pickled before the tilt
    tilt = 0.0

    def set_spread(self, spread):
        """Set ``epsilon`` to ``2 sqrt(2) spread`` (bounded), for targets whose
        conditional standard deviation is about ``spread``."""
        self.spread = spread
        # a spread that could not be estimated (NaN) keeps the widest ball
        radius = np.nan_to_num(2 * np.sqrt(2) * spread, nan=np.inf)
        self.epsilon = float(np.clip(radius, *_EPSILON_BOUNDS))

    # -- the support and its walls ---------------------------------------------
    def clip(self, z):
        """Answers moved into the support."""
        return np.clip(z, *self.support)

    def outside(self, z):
        """Which answers lie outside the support."""
        lo, hi = self.support
        return (z < lo) | (z > hi)

    def wall_energy(self, z):
        """Energy added beyond the support."""
        lo, hi = self.support
        outside = np.maximum(lo - z, 0.0) + np.maximum(z - hi, 0.0)
        return 0.5 * (outside / _WALL) ** 2

    @staticmethod
    def _log_tail_mass(beta):
        # integral over d > 0 of exp(-beta d^2 / (2 WALL^2))
        return np.log(_WALL) + 0.5 * np.log(np.pi / (2 * beta))

    # -- inference -----------------------------------------------------------------
    def energies(self, energy, X, z):
        """Energy of each (x, z) pair, the wall included, without the
        ceiling of ``floor`` (see :meth:`capped_energies`): (n_samples,)."""
        E, _ = energy.forward(X, self.clip(z).astype(energy.params_.dtype))
        # the tilt reads the clipped answer: past the support the wall's
        # tails are the untilted half-normals the partition integrates
        return E[:, 0] + self.wall_energy(z[:, 0]) - self.tilt * self.clip(z[:, 0])

    def capped_energies(self, energy, X, z, beta):
        """The energies whose Gibbs distribution the predictions use: those
        of :meth:`energies` under the ceiling of ``floor``: (n_samples,)."""
        E = self.energies(energy, X, z)
        if not self.floor:
            return E
        log_k = (self._log_floor_density(z[:, 0]) - np.log1p(-self.floor)
                 + self._log_partition(energy, X, beta))
        with np.errstate(invalid="ignore"):
            return -np.logaddexp(-beta * E, log_k) / beta

    def log_density(self, energy, X, z, beta):
        """``log p(z|x)`` of the Gibbs distribution of the capped energies,
        or with ``cells`` the log of the cell's mean density over points at
        the prediction grid's spacing (its probability over its width):
        (n_samples,)."""
        log_z = self._log_partition(energy, X, beta)[:, None]
        if self.cells is None:
            points = z[:, :1]
            E = self.energies(energy, X, z)[:, None]
        else:
            points, E = self._cell_energies(energy, X, z)
        log_p = -beta * E - log_z
        if not self.floor:
            return row_logsumexp(log_p) - np.log(log_p.shape[1])
        # each point's own share: a cell may reach past the support
        return floored_log_densities(log_p + np.log1p(-self.floor),
                                     self._log_floor_density(points))[1]

    def _floor_shares(self):
        """The floor's share of the support, and of each wall tail."""
        lo, hi = self.support
        tail = np.exp(self._log_tail_mass(1.0))
        return (hi - lo) / (hi - lo + 2 * tail), tail / (hi - lo + 2 * tail)

    def _log_floor_density(self, points):
        """Log density of the floor's share at ``points``: even over the
        support, and beyond it falling as the wall's tails at ``beta = 1``,
        so that a target just past the support costs about what one just
        inside does (user guide)."""
        lo, hi = self.support
        with np.errstate(divide="ignore"):
            inside = np.log(self.floor * self._floor_shares()[0] / (hi - lo))
        return inside - self.wall_energy(points)

    def without_floor(self):
        """A view of this space whose predictions read ``E`` itself."""
        space = copy.copy(self)
        space.floor = 0.0
        return space

    def _cell_energies(self, energy, X, z):
        """The points of each target's cell at the prediction grid's spacing
        and their energies, the wall included: two arrays (n, n_points)."""
        lo, hi = self.support
        cells, _, _ = self.cells.points(z[:, 0], (hi - lo) / _N_PREDICT_GRID)
        E = np.empty(cells.shape)
        # a row has a few points, not the grid's 514: chunks of 2048 rows,
        # whose bases a fit's checks keep between checks (blocks of 256
        # rows took more bases than the cache holds)
        for rows in gen_batches(X.shape[0], _CELL_CHUNK_ROWS):
            E[rows], _ = energy.forward(
                X[rows], self.clip(cells[rows]).astype(energy.params_.dtype))
        E += self.wall_energy(cells) - self.tilt * self.clip(cells)
        return cells, np.clip(E, -1e100, 1e100)

    def _grid(self, dtype):
        grid, h = cell_centers(self.support, _N_PREDICT_GRID)
        return grid.astype(dtype), h

    def _grid_energies(self, energy, X):
        """Energies at the low edge, the prediction grid's nodes and the high
        edge: (n, M + 2), in float64."""
        grid, _ = self._grid(energy.params_.dtype)
        edges = np.tile(np.array(self.support, dtype=grid.dtype), (X.shape[0], 1))
        with np.errstate(over="ignore"):
            E, _ = energy.forward(X, edges, grid)
        shift = self.tilt * self._nodes()
        out = np.empty((X.shape[0], len(grid) + 2))
        for rows in row_blocks(X.shape[0]):
            block = np.concatenate([E[rows, :1], E[rows, 2:], E[rows, 1:2]], axis=1)
            # an energy that overflowed to -inf (a density collapsing onto a
            # spike, as with integer targets) must not give inf - inf below;
            # clipped in float64, where the bounds exist
            np.clip(np.subtract(block, shift, out=out[rows]), -1e100, 1e100,
                    out=out[rows])
        return out

    def _nodes(self):
        """The answers of ``_grid_energies``' columns: the edges stand for
        the wall tails."""
        lo, hi = self.support
        return np.concatenate([[lo], self._grid(np.float64)[0], [hi]])

    def _gibbs_logits(self, E, beta):
        """Log quadrature weights times Gibbs factors of ``_grid_energies``:
        the low tail, the grid cells, the high tail."""
        logits = -beta * E
        logits[:, [0, -1]] += self._log_tail_mass(beta)
        logits[:, 1:-1] += np.log(self._grid(np.float64)[1])
        return logits

    def _logits(self, energy, X, beta):
        """``_gibbs_logits`` on the prediction grid (n, M + 2), and the
        energies of its nodes."""
        E = self._grid_energies(energy, X)
        return self._gibbs_logits(E, beta), E[:, 1:-1]

    def log_partition(self, energy, X, beta):
        """``log Z(x)``, a quadrature over the grid cells and the two wall
        tails (the ceiling of ``floor`` adds its share): (n_samples,)."""
        return self._log_partition(energy, X, beta) - np.log1p(-self.floor)

    def _log_partition(self, energy, X, beta):
        out = np.empty(X.shape[0])
        for rows in row_blocks(X.shape[0]):
            out[rows] = row_logsumexp(self._logits(energy, X[rows], beta)[0])
        return out

    def _with_floor(self, probs):
        """Cell probabilities of ``_gibbs_logits`` under the ceiling of
        ``floor``: its share spread evenly over the grid cells, and over the
        wall tails as :meth:`_log_floor_density`. (Quantiles and moments
        read a tail as the Gibbs part's, of scale ``_WALL / sqrt(beta)``:
        the floor's ``1e-4`` of scale ``_WALL`` shows only past a coverage
        of ``1 - 1e-4``.)"""
        if self.floor:
            cells, tail = self._floor_shares()
            probs = (1 - self.floor) * probs
            probs[:, 1:-1] += self.floor * cells / (probs.shape[1] - 2)
            probs[:, [0, -1]] += self.floor * tail
        return probs

    def predict(self, energy, X, beta, kind):
        """The Gibbs distribution's ``"mean"`` (with atoms, of the value
        recorded) or its ``"mode"`` (the argmin of the energy, refined around
        the best grid point): (n, 1)."""
        lo, hi = self.support
        grid, h = self._grid(energy.params_.dtype)
        tiles = self._recorded_tiles()
        out = np.empty(X.shape[0])
        for rows in row_blocks(X.shape[0]):
            logits, E = self._logits(energy, X[rows], beta)
            if kind == "mean":
                probs = self._with_floor(grid_probabilities(logits))
                out[rows] = grid_moments(probs, self.support, _WALL / np.sqrt(beta),
                                         tiles)[0]
            else:
                best = grid[np.argmin(E, axis=1)]
                local = best[:, None] + np.linspace(-h, h, _N_REFINE)
                local = np.clip(local, lo, hi).astype(grid.dtype)
                with np.errstate(over="ignore"):
                    E_local, _ = energy.forward(X[rows], local)
                E_local = E_local - self.tilt * local
                out[rows] = local[np.arange(len(local)), np.argmin(E_local, axis=1)]
        return out[:, None]

    def predict_std(self, energy, X, beta):
        """Standard deviation of the Gibbs distribution (with atoms, of the
        value recorded): (n, 1)."""
        p = self._cell_probabilities(energy, X, beta)
        _, variance = grid_moments(p, self.support, _WALL / np.sqrt(beta),
                                   self._recorded_tiles())
        return np.sqrt(variance)[:, None]

    def _recorded_tiles(self):
        """With atoms, the moments of the value recorded on each cell of the
        prediction grid (an answer in an atom's cell reads as the atom: the
        data fix the cell's probability, not where in it the mass lies);
        else None, the cells' own."""
        if self.cells is None:
            return None
        return self.cells.tile_moments(self.support, _N_PREDICT_GRID)

    def tilted(self, tilt):
        """A copy of this space whose energies are tilted by ``tilt``."""
        space = copy.copy(self)
        space.tilt = float(tilt)
        return space

    def _cell_probabilities(self, energy, X, beta):
        """Probabilities of the low tail, the grid cells and the high tail."""
        probs = np.empty((X.shape[0], _N_PREDICT_GRID + 2))
        for rows in row_blocks(X.shape[0]):
            logits, _ = self._logits(energy, X[rows], beta)
            probs[rows] = self._with_floor(grid_probabilities(logits))
        return probs

    def quantiles(self, energy, X, beta, u):
        """Inverse CDF at ``u`` of shape (n, k) of the piecewise-uniform grid
        density with half-normal tails: (n, 1, k)."""
        probs = self._cell_probabilities(energy, X, beta)
        return grid_quantiles(probs, self.support, _WALL / np.sqrt(beta), u)

    def interval(self, energy, X, beta, levels):
        """The quantiles at ``levels`` (n, 2); with atoms, ends inside an
        atom's cell move to the cell's bounds, and the interval holds the
        probability between the levels (:func:`hold_coverage`)."""
        probs = self._cell_probabilities(energy, X, beta)
        tail = _WALL / np.sqrt(beta)
        ends = grid_quantiles(probs, self.support, tail, levels)
        if self.cells is None:
            return ends
        return hold_coverage(
            self.cells, ends[:, 0], levels,
            lambda z, rows: grid_cdf(probs[rows], self.support, z),
            lambda u, rows: grid_quantiles(probs[rows], self.support, tail, u)[:, 0],
        )[:, None, :]

    def sample(self, energy, X, beta, n_samples, rng):
        """Draws from ``p(y|x)`` by inverting its CDF, as recorded (an
        answer in an atom's cell is the atom): (n, 1, n_samples)."""
        u = rng.uniform(size=(X.shape[0], n_samples))
        z = self.quantiles(energy, X, beta, u)
        return z if self.cells is None else self.cells.record(z)

    def score(self, energy, X, z, sample_weight, beta, kind):
        """Weighted R^2 of the prediction (without the floor: early stopping
        judges ``E`` itself, as training does)."""
        from sklearn.metrics import r2_score

        pred = self.without_floor().predict(energy, X, beta, kind)
        return float(r2_score(z, pred.reshape(z.shape), sample_weight=sample_weight))
