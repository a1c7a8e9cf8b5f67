"""An interval of the real line: quadrature on a grid, refined locally."""

import numpy as np
from sklearn.utils import gen_batches

from ..sampling._metropolis import _generator, _mh_gaussian
from .._targets import recorded_cells
from ._base import AnswerSpace, Candidates, check_random_walk
from ._cells import TargetCells, censor, log_mean_gibbs, snap_to_atoms, tile_overlap
from ._grid_density import (cell_centers, grid_cdf, grid_moments,
                            grid_probabilities, grid_quantiles, row_logsumexp)
from ._temperature import fit_inverse_temperature, grid_nll_derivatives

# Candidate answers per training batch, and the finer grid of inference
# (log-partition, mode, mean, quantiles).
_N_TRAIN_GRID = 128
_N_PREDICT_GRID = 512
_N_REFINE = 17
# Standardized units: the support is the training range padded by
# _PAD_FRACTION of its width plus _PAD; beyond it the energy rises as a
# quadratic wall of width _WALL, so the Gibbs distribution is proper on R.
_PAD_FRACTION = 0.2
_PAD = 0.5
_WALL = 0.5
# rows per chunk at inference, so that chunk x grid stays a few MB
_CHUNK_CELLS = 2**20
_MAX_TEMPERATURE_ROWS = 4000
# epsilon="auto" for the margin losses: 2 sqrt(2) times the targets'
# conditional spread (two noisy targets of one input differ by less 95% of
# the time), within these bounds (user guide)
_EPSILON_BOUNDS = (0.5, 2.0)


class IntervalSpace(AnswerSpace):
    """One real answer in a bounded interval, searched on a grid.

    The support is the (standardized) training range, padded; beyond it the
    energy rises as a quadratic wall, so that the Gibbs distribution is a
    proper density on the real line. Training candidates are the target and
    a grid of 128 points shifted at random every mini-batch (an unbiased
    quadrature of the partition; the fixed midpoint grid for L-BFGS), plus
    the two wall tails. Inference uses 512 points: the mode is refined
    locally around the best grid point, and the mean, quantiles, samples and
    log-partition come from the piecewise-uniform density on the grid with
    half-normal tails. With a ``sampler`` the NLL's contrastive term is the
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

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.inference import IntervalSpace
    >>> space = IntervalSpace.from_targets(np.array([[-1.0], [1.0]]), np.ones(2))
    >>> space.support
    (-1.9, 1.9)
    """

    def __init__(self, support, epsilon=2.0, sampler=None, persistent_chains=False,
                 cells=None):
        self.support = support
        self.cells = cells
        self.epsilon = epsilon
        self.spread = None
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
                "energy='linear', which fits the constant.")
        pad = _PAD_FRACTION * np.ptp(z) + _PAD
        cell = (np.ptp(z) + 2 * pad) / _N_TRAIN_GRID
        cells = recorded_cells(z, weight, cell, pad)
        return cls((float(z.min() - pad), float(z.max() + pad)),
                   cells=None if cells is None else TargetCells(*cells), **params)

    n_answers = 1

    def set_spread(self, spread):
        """Set ``epsilon`` to ``2 sqrt(2) spread`` (bounded), for targets whose
        conditional standard deviation is about ``spread``."""
        self.spread = spread
        # a spread that could not be estimated (NaN) keeps the widest ball
        radius = np.nan_to_num(2 * np.sqrt(2) * spread, nan=np.inf)
        self.epsilon = float(np.clip(radius, *_EPSILON_BOUNDS))

    def check_sampler(self, sampler, loss):
        super().check_sampler(sampler, loss)
        check_random_walk(sampler)

    def start_training(self, z):
        if self.persistent_chains and self.sampler is not None:
            # one row of chains per training sample, started at its target
            self._chains = np.repeat(self.clip(z[:, :1]).astype(float),
                                     self.sampler.n_chains, axis=1)

    def stop_training(self):
        self._chains = None

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

    # -- training ------------------------------------------------------------------
    def candidates(self, energy, X, z, step):
        y = z[:, 0]
        n = X.shape[0]
        lo, hi = self.support
        m = _N_TRAIN_GRID
        h = (hi - lo) / m
        shift = 0.5 if step.rng is None else step.rng.uniform()
        dtype = energy.params_.dtype
        grid = (lo + (np.arange(m) + shift) * h).astype(dtype)
        y_in = np.clip(y, lo, hi)
        g, activations = energy.network(X)
        columns = [y_in[:, None]]
        n_cells = 0
        if self.cells is not None:
            # the cell's points move with the grid's shift: an unbiased
            # quadrature of the cell, as the grid is of the partition
            cells, low, high = self.cells.points(y, h, shift)
            n_cells = cells.shape[1]
            columns.append(self.clip(cells))
        n_sampled = 0
        if self.sampler is not None:
            samples = self._sample(energy, g, y_in, step)
            n_sampled = samples.shape[1]
            columns.append(np.clip(samples, lo, hi))
        Y = np.concatenate(columns, axis=1).astype(dtype)
        # the edges carry the quadratic-wall tails of the partition
        shared = np.concatenate([[lo, hi], grid]).astype(dtype)
        energies, cache = energy.forward(X, Y, shared, G=(g, activations))
        energies[:, 0] += self.wall_energy(y)
        in_cell = slice(1, 1 + n_cells)
        if n_cells:
            energies[:, in_cell] += self.wall_energy(cells)
        n_cols = energies.shape[1]
        first = 1 + n_cells + n_sampled
        incorrect = None
        if not step.partition:
            incorrect = np.zeros((n, n_cols), dtype=bool)
            incorrect[:, first + 2:] = np.abs(grid - y[:, None]) > self.epsilon
        log_w = np.empty((n, n_cols))
        log_w[:, :first] = -np.inf
        log_w[:, first:first + 2] = self._log_tail_mass(step.beta)
        log_w[:, first + 2:] = np.log(h)
        contrast = None
        if n_sampled:
            contrast = np.zeros((n, n_cols), dtype=energies.dtype)
            contrast[:, 1 + n_cells:first] = 1.0 / n_sampled
        if n_cells:
            # the cell's points replace the grid over the cell
            log_w[:, in_cell] = np.log((high - low) / n_cells)[:, None]
            tiles, overlap = tile_overlap(lo + shift * h, h, m, low, high)
            with np.errstate(divide="ignore"):
                log_w[np.arange(n)[:, None], first + 2 + tiles] = np.log(h - overlap)
            contrast = censor(energies, log_w, contrast, in_cell, step.beta)
            return energies, cache, Candidates(np.zeros(n, dtype=np.intp),
                                               incorrect, log_w, contrast)
        # the target is a node of the quadrature too (trapezoid rule on the
        # grid with it inserted): on the grid alone a deterministic (L-BFGS)
        # fit can push each target's energy below every node's and the
        # estimated log-partition without bound
        j = np.clip(np.floor((y_in - lo) / h - shift).astype(np.intp), 0, m - 2)
        a = np.clip(y_in - grid[j], 0.0, h)
        rows = np.arange(n)
        log_w[:, 0] = np.log(h / 2)
        log_w[rows, first + 2 + j] = np.log(h - (h - a) / 2)
        log_w[rows, first + 3 + j] = np.log(h - a / 2)
        return energies, cache, Candidates(np.zeros(n, dtype=np.intp), incorrect,
                                           log_w, contrast)

    def _sample(self, energy, g, y_start, step):
        """Kept states of random-walk Metropolis chains on ``p(y|x)``, started
        at the targets or where the batch's persistent chains stopped:
        (n, n_kept * n_chains)."""
        s = self.sampler
        n, n_chains = len(y_start), s.n_chains
        persistent = self._chains is not None and step.rows is not None

        def log_target(theta):
            Y = theta.reshape(n, n_chains)
            E, _ = energy._answer_head(g, self.clip(Y), None)
            return (-step.beta * (E + self.wall_energy(Y))).ravel()

        if persistent:
            theta = self._chains[step.rows].reshape(-1, 1)
        else:
            theta = np.repeat(y_start, n_chains)[:, None].astype(float)
        chain, *_ = _mh_gaussian(log_target, theta, log_target(theta), s.n_steps,
                                 s._burn_in_steps(), s.thin, s.step_size,
                                 _generator(step.rng))
        kept = chain[:, :, 0].reshape(-1, n, n_chains)
        if persistent:
            self._chains[step.rows] = kept[-1]
        return kept.transpose(1, 0, 2).reshape(n, -1)

    # -- inference -----------------------------------------------------------------
    def energies(self, energy, X, z):
        """Energy of each (x, z) pair, the wall included: (n_samples,)."""
        E, _ = energy.forward(X, self.clip(z).astype(energy.params_.dtype))
        return E[:, 0] + self.wall_energy(z[:, 0])

    def log_gibbs(self, energy, X, z, beta):
        """``-beta E(x, z)``, or with ``cells`` the log of the mean Gibbs
        factor ``mean exp(-beta E)`` over points of the cell of ``z`` at the
        prediction grid's spacing: (n_samples,). Minus the log-partition,
        the log density of ``z`` (the cell's probability over its width)."""
        if self.cells is None:
            return -beta * self.energies(energy, X, z)
        return log_mean_gibbs(self._cell_energies(energy, X, z), beta)

    def _cell_energies(self, energy, X, z):
        lo, hi = self.support
        cells, _, _ = self.cells.points(z[:, 0], (hi - lo) / _N_PREDICT_GRID)
        E = np.empty(cells.shape)
        for rows in self._chunks(X.shape[0]):
            E[rows], _ = energy.forward(
                X[rows], self.clip(cells[rows]).astype(energy.params_.dtype))
        return np.clip(E + self.wall_energy(cells), -1e100, 1e100)

    def _chunks(self, n):
        return gen_batches(n, max(1, _CHUNK_CELLS // _N_PREDICT_GRID))

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
        # an energy that overflowed to -inf (a density collapsing onto a
        # spike, as with integer targets) must not give inf - inf below;
        # clipped in float64, where the bounds exist
        E = np.clip(E.astype(np.float64, copy=False), -1e100, 1e100)
        return np.concatenate([E[:, :1], E[:, 2:], E[:, 1:2]], axis=1)

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
        tails: (n_samples,)."""
        out = np.empty(X.shape[0])
        for rows in self._chunks(X.shape[0]):
            out[rows] = row_logsumexp(self._logits(energy, X[rows], beta)[0])
        return out

    def predict(self, energy, X, beta, kind):
        """The Gibbs distribution's ``"mean"`` or its ``"mode"`` (the argmin
        of the energy, refined around the best grid point): (n, 1)."""
        lo, hi = self.support
        grid, h = self._grid(energy.params_.dtype)
        out = np.empty(X.shape[0])
        for rows in self._chunks(X.shape[0]):
            logits, E = self._logits(energy, X[rows], beta)
            if kind == "mean":
                out[rows] = grid_moments(grid_probabilities(logits), self.support,
                                         _WALL / np.sqrt(beta))[0]
            else:
                best = grid[np.argmin(E, axis=1)]
                local = best[:, None] + np.linspace(-h, h, _N_REFINE)
                local = np.clip(local, lo, hi).astype(grid.dtype)
                with np.errstate(over="ignore"):
                    E_local, _ = energy.forward(X[rows], local)
                out[rows] = local[np.arange(len(local)), np.argmin(E_local, axis=1)]
        return out[:, None]

    def predict_std(self, energy, X, beta):
        """Standard deviation of the Gibbs distribution: (n, 1)."""
        p = self._cell_probabilities(energy, X, beta)
        _, variance = grid_moments(p, self.support, _WALL / np.sqrt(beta))
        return np.sqrt(variance)[:, None]

    def fit_beta(self, energy, X, z, sample_weight, loss, beta):
        """The loss's own inverse temperature for a loss with a partition
        (NLL), which fixes the energy scale; otherwise, or with
        ``loss=None`` (held-out rows calibrating any loss), the one
        maximizing the likelihood of the targets under the grid's density."""
        if loss is not None and loss.partition:
            return beta
        if X.shape[0] > _MAX_TEMPERATURE_ROWS:
            # one parameter: a few thousand rows pin it down
            rows = np.linspace(0, X.shape[0] - 1, _MAX_TEMPERATURE_ROWS).astype(int)
            X, z, sample_weight = X[rows], z[rows], sample_weight[rows]
        E = self._grid_energies(energy, X)
        e_target = e_cells = None
        if self.cells is not None:
            e_cells = self._cell_energies(energy, X, z)
        else:
            e_target = np.clip(self.energies(energy, X, z).astype(np.float64),
                               -1e100, 1e100)
        nll_gradient = grid_nll_derivatives(
            lambda b: self._gibbs_logits(E, b), E,
            sample_weight / sample_weight.sum(), e_target, e_cells)
        return fit_inverse_temperature(nll_gradient,
                                       float(np.std(E[:, 1:-1], axis=1).mean()),
                                       curvature=True, start=beta)

    def _cell_probabilities(self, energy, X, beta):
        """Probabilities of the low tail, the grid cells and the high tail."""
        probs = np.empty((X.shape[0], _N_PREDICT_GRID + 2))
        for rows in self._chunks(X.shape[0]):
            logits, _ = self._logits(energy, X[rows], beta)
            probs[rows] = grid_probabilities(logits)
        return probs

    def quantiles(self, energy, X, beta, u):
        """Inverse CDF at ``u`` of shape (n, k) of the piecewise-uniform grid
        density with half-normal tails: (n, 1, k)."""
        probs = self._cell_probabilities(energy, X, beta)
        return grid_quantiles(probs, self.support, _WALL / np.sqrt(beta), u)

    def interval(self, energy, X, beta, levels):
        """The quantiles at ``levels`` (n, 2); with atoms, ends inside an
        atom's cell move to the cell's bounds (:func:`snap_to_atoms`)."""
        probs = self._cell_probabilities(energy, X, beta)
        ends = grid_quantiles(probs, self.support, _WALL / np.sqrt(beta), levels)
        if self.cells is None:
            return ends
        return snap_to_atoms(self.cells, ends[:, 0],
                             lambda z: grid_cdf(probs, self.support, z))[:, None, :]

    def sample(self, energy, X, beta, n_samples, rng):
        """Draws from ``p(y|x)`` by inverting its CDF: (n, 1, n_samples)."""
        u = rng.uniform(size=(X.shape[0], n_samples))
        return self.quantiles(energy, X, beta, u)

    def score(self, energy, X, z, sample_weight, beta, kind):
        """Weighted R^2 of the prediction, for early stopping."""
        from sklearn.metrics import r2_score

        pred = self.predict(energy, X, beta, kind)
        return float(r2_score(z, pred.reshape(z.shape), sample_weight=sample_weight))
