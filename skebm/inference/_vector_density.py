"""The density of answers in R^d: exact by quadrature for d <= 2, an
importance-sampling estimate above, and the inverse temperature fitted on
it."""

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp

from ..sampling._random import RowDraws

# exact log-partition: a midpoint grid of _QUAD_NODES^d over the box widened
# by _QUAD_WALLS wall widths; otherwise importance sampling from Gaussian
# kernels of covariance _IS_WIDTH^2 M around chain states
_MAX_QUAD_DIM = 2
# width of the quadratic wall beyond the box (standardized units)
_WALL = 0.5
_QUAD_NODES = 96
_QUAD_WALLS = 4.0
_IS_DRAWS, _IS_WIDTH, _IS_CHAINS = 256, 0.5, 16


class _VectorDensity:
    """The log-partition of a :class:`VectorSpace` (see there)."""

    def quadrature_grid(self, beta):
        """Nodes (m, d) and log cell volume of the exact log-partition."""
        if self.n_answers > _MAX_QUAD_DIM:
            raise ValueError(
                f"the exact density is a quadrature over a grid of answers, "
                f"possible for at most {_MAX_QUAD_DIM} target columns; y has "
                f"{self.n_answers}. Use method='auto' or 'importance' for an "
                "importance-sampling estimate with its standard error.")
        widen = _QUAD_WALLS * _WALL / np.sqrt(beta)
        axes, log_volume = [], 0.0
        for lo, hi in zip(self.low - widen, self.high + widen):
            h = (hi - lo) / _QUAD_NODES
            axes.append(lo + (np.arange(_QUAD_NODES) + 0.5) * h)
            log_volume += np.log(h)
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1), log_volume

    def log_partition(self, energy, X, beta):
        """``log Z(x)``: see :meth:`log_partition_estimate`."""
        return self.log_partition_estimate(energy, X, beta)[0]

    def log_partition_estimate(self, energy, X, beta, method="auto", rng=0):
        """``log Z(x)`` and its standard error: exact (se 0) by quadrature
        for ``d <= 2``, an importance-sampling estimate above.

        ``method`` is ``"auto"``, ``"quadrature"`` (a ValueError above
        ``d = 2``) or ``"importance"``; ``rng`` (an int) seeds the
        importance draws, which every row shares
        (:class:`~skebm.sampling._random.RowDraws`), so that a row's estimate
        does not depend on the rows beside it. Returns two (n_samples,)
        arrays.
        """
        if method not in ("auto", "quadrature", "importance"):
            raise ValueError("method must be 'auto', 'quadrature' or "
                             f"'importance', got {method!r}.")
        n = X.shape[0]
        if method == "quadrature" or (method == "auto"
                                      and self.n_answers <= _MAX_QUAD_DIM):
            nodes, log_volume = self.quadrature_grid(beta)
            nodes = nodes.astype(energy.params_.dtype)
            wall = self._wall(nodes)[0]
            out = np.empty(n)
            empty = np.empty((1, 0, self.n_answers), dtype=nodes.dtype)
            for rows in self._chunks(n, len(nodes) * 64):
                Y = np.broadcast_to(empty, (rows.stop - rows.start, 0,
                                            self.n_answers))
                E, _ = energy.forward(X[rows], Y, nodes)
                out[rows] = logsumexp(-beta * (E + wall), axis=1) + log_volume
            return out, np.zeros(n)
        return self._importance(energy, X, beta, rng)

    def _importance(self, energy, X, beta, rng):
        """Importance sampling of ``Z(x)`` from Gaussian kernels (covariance
        ``0.25 M``) around 16 chains' last 16 states."""
        n, d = X.shape[0], self.n_answers
        log_z, se = np.empty(n), np.empty(n)
        for rows in self._chunks(n, _IS_DRAWS * 256 * d):
            g = energy.network(X[rows])[0]
            m = len(g)
            gen = RowDraws(rng, m)
            centers = self._chains_from_starts(energy, g, beta, _IS_CHAINS,
                                               gen, 16)
            centers = centers.transpose(1, 0, 2, 3).reshape(m, -1, d)
            draws, log_q = _kernel_draws(centers, self._precond(energy, g, beta),
                                         _IS_DRAWS, gen)
            lp = self._target(energy, g, beta)(draws)[0]
            log_w = lp - log_q
            log_z[rows] = logsumexp(log_w, axis=1) - np.log(_IS_DRAWS)
            w = np.exp(log_w - log_w.max(axis=1, keepdims=True))
            se[rows] = w.std(axis=1) / (w.mean(axis=1) * np.sqrt(_IS_DRAWS))
        return log_z, se

    def fit_beta(self, energy, X, z, sample_weight, loss, beta):
        """The loss's own inverse temperature for a loss with a partition
        (NLL); otherwise, or with ``loss=None`` (held-out rows calibrating
        any loss), for ``d <= 2`` the one maximizing the likelihood of (up
        to 500) targets under the quadrature's density, and ``beta``
        unchanged above."""
        if (loss is not None and loss.partition) or self.n_answers > _MAX_QUAD_DIM:
            return beta
        rows = np.linspace(0, len(z) - 1, min(len(z), 500)).astype(int)
        X, z, w = X[rows], z[rows], sample_weight[rows] / sample_weight[rows].sum()
        e_target = self.energies(energy, X, z)
        # one grid, widened for beta = 1
        nodes, log_volume = self.quadrature_grid(1.0)
        E = np.empty((len(z), len(nodes)))
        empty = np.empty((len(z), 0, self.n_answers), dtype=energy.params_.dtype)
        for chunk in self._chunks(len(z), len(nodes) * 64):
            E[chunk] = energy.forward(X[chunk], empty[chunk],
                                      nodes.astype(empty.dtype))[0]
        E += self._wall(nodes)[0]

        def nll(log_b):
            b = np.exp(log_b)
            return float(w @ (b * e_target + logsumexp(-b * E, axis=1))) + log_volume

        center = -np.log(max(float(np.std(E, axis=1).mean()), 1e-12))
        result = minimize_scalar(nll, bounds=(center - 10, center + 10),
                                 method="bounded", options={"xatol": 1e-4})
        return float(np.exp(result.x))


def _kernel_draws(centers, precond, n_draws, gen):
    """Draws from the mixture of Gaussians ``N(c, 0.25 M)`` around each row's
    ``centers`` (n, k, d), and their log density: (n, n_draws, d), (n,
    n_draws)."""
    n, k, d = centers.shape
    var = _IS_WIDTH**2 * np.broadcast_to(precond, (n, 1, d))
    pick = gen.integers(k, size=(n, n_draws))
    draws = (np.take_along_axis(centers, pick[..., None], axis=1)
             + np.sqrt(var) * gen.standard_normal((n, n_draws, d)))
    diff = draws[:, :, None, :] - centers[:, None, :, :]
    log_kernel = (-0.5 * np.sum(diff**2 / var[:, None], axis=-1)
                  - 0.5 * np.sum(np.log(2 * np.pi * var), axis=-1)[:, None])
    return draws, logsumexp(log_kernel, axis=2) - np.log(k)
