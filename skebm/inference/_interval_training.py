"""The candidate answers an :class:`~skebm.inference.IntervalSpace`
hands the training losses: the target, a shifted grid over the support, the
points of the target's cell, and the states of Metropolis chains."""

import numpy as np

from ..sampling._metropolis import _mh_gaussian
from ..sampling._random import _generator
from ._base import Candidates, check_random_walk
from ._cells import censor, tile_overlap

# candidate answers per training batch
N_TRAIN_GRID = 128
# the grid's random shifts: one of this many, evenly spaced, so that an
# energy can keep the grid's basis at each (a batch's grid stands for a
# midpoint rule of N_TRAIN_GRID * N_TRAIN_SHIFTS points, not for the integral)
N_TRAIN_SHIFTS = 16


class IntervalCandidates:
    """Training for :class:`~skebm.inference.IntervalSpace`, which provides
    ``support``, ``cells``, ``epsilon``, ``sampler``, ``persistent_chains``,
    ``clip``, ``wall_energy`` and ``_log_tail_mass``."""

    # rows the training objective evaluates at a time: their candidates'
    # float64 logits (2048 x 131 x 8 bytes, 2 MB) stay in a core's cache.
    # One L-BFGS evaluation of 8000 rows took 20.6 ms in blocks of 2048
    # against 26.0 in one; at 2500 rows or fewer blocks gained nothing
    block_rows = 2048

    def check_sampler(self, sampler, loss):
        super().check_sampler(sampler, loss)
        check_random_walk(sampler)

    def start_training(self, z):
        # a stochastic batch's targets are rows of these (energy.forward's rows)
        self._answers = self.clip(z[:, :1])
        if self.persistent_chains and self.sampler is not None:
            # one row of chains per training sample, started at its target
            self._chains = np.repeat(self._answers.astype(float),
                                     self.sampler.n_chains, axis=1)

    def stop_training(self):
        self._chains = None
        self.__dict__.pop("_answers", None)

    def candidates(self, energy, X, z, step):
        y = z[:, 0]
        n = X.shape[0]
        lo, hi = self.support
        m = N_TRAIN_GRID
        h = (hi - lo) / m
        shift = 0.5 if step.rng is None else (
            (step.rng.randint(N_TRAIN_SHIFTS) + 0.5) / N_TRAIN_SHIFTS)
        dtype = energy.params_.dtype
        grid = (lo + (np.arange(m) + shift) * h).astype(dtype)
        y_in = np.clip(y, lo, hi)
        g, activations = energy.network(X)
        columns = [y_in[:, None]]
        n_cells = 0
        if self.cells is not None:
            # the cell's points move with the grid's shift: a quadrature of
            # the cell at the fine grid's points, as the grid is of the
            # partition
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
        given = {}
        if (step.rows is not None and Y.shape[1] == 1
                and getattr(energy, "keeps_answer_rows", False)
                and getattr(self, "_answers", None) is not None):
            given["rows"] = (self._answers, step.rows)
        energies, cache = energy.forward(X, Y, shared, G=(g, activations), **given)
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
        # float64 whatever the energies' type, so that the loss sums the
        # partition in float64: in float32 its rounding slowed L-BFGS
        # (user guide, "Solvers")
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
