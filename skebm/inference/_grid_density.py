"""The predictive distribution on an interval: uniform within each cell of
a regular grid over the support, with half-normal tails beyond its ends.
Its cell probabilities from their logits, its CDF and quantiles, for
rows of cell probabilities, and a row's log density under a floor."""

import numpy as np
from scipy.special import ndtri
from sklearn.utils import gen_batches

from .._underflow import flushed_exp

# rows that a computation over the prediction grid takes at a time: their
# float64 temporaries (256 x 514, 1 MB each) stay in a core's cache. The
# log partitions of 5000 rows took 9 ms so against 23 ms in one piece, and
# predict(X, return_std=True) of 25339 rows 0.49 s against 0.61 s in
# chunks of 2048 rows
CACHE_ROWS = 256


def row_blocks(n_rows):
    """Slices of ``n_rows`` rows, ``CACHE_ROWS`` (read at each call) at a
    time."""
    return gen_batches(n_rows, CACHE_ROWS)


def grid_cdf(probs, support, z):
    """CDF at points ``z`` (n, k) inside the support; ``probs`` (n, M + 2)
    holds the low tail's, the M cells' and the high tail's probabilities."""
    lo, hi = support
    n_cells = probs.shape[1] - 2
    t = np.clip((z - lo) / (hi - lo) * n_cells, 0.0, n_cells)
    j = np.minimum(t.astype(np.intp), n_cells - 1)
    before = np.take_along_axis(np.cumsum(probs, axis=1), j, axis=1)
    return before + np.take_along_axis(probs, j + 1, axis=1) * (t - j)


def cell_centers(support, n_cells):
    """The midpoints of ``n_cells`` equal cells over the support, and their
    width."""
    lo, hi = support
    h = (hi - lo) / n_cells
    return lo + (np.arange(n_cells) + 0.5) * h, h


def grid_moments(probs, support, tail_sd, cell_moments=None):
    """Mean and variance (n,) of the density of cell probabilities ``probs``
    (n, M + 2), whose half-normal tails have scale ``tail_sd``.

    ``cell_moments``, two arrays (M,), replace the mean and mean square of
    each cell's uniform density (those of a value recorded from it)."""
    lo, hi = support
    if cell_moments is None:
        grid, h = cell_centers(support, probs.shape[1] - 2)
        # cells are uniform of width h: variance h^2 / 12 within each
        cell_moments = grid, grid**2 + h**2 / 12
    # the half-normal tails' first and second moments about their edges
    tail_mean, tail_square = tail_sd * np.sqrt(2 / np.pi), tail_sd**2
    mean = (probs[:, 1:-1] @ cell_moments[0] + probs[:, 0] * (lo - tail_mean)
            + probs[:, -1] * (hi + tail_mean))
    square = (probs[:, 1:-1] @ cell_moments[1]
              + probs[:, 0] * (lo**2 - 2 * lo * tail_mean + tail_square)
              + probs[:, -1] * (hi**2 + 2 * hi * tail_mean + tail_square))
    return mean, np.maximum(square - mean**2, 0.0)


def grid_quantiles(probs, support, tail_sd, u):
    """Inverse CDF at ``u`` (n, k): (n, 1, k). The tails are half-normal of
    scale ``tail_sd`` beyond the support's ends."""
    lo, hi = support
    n, k = u.shape
    M = probs.shape[1] - 2
    h = (hi - lo) / M
    cdf = np.cumsum(probs, axis=1)
    cdf[:, -1] = 1.0
    # one searchsorted for all rows: offset row i by i
    offsets = np.arange(n)[:, None]
    cell = np.searchsorted((cdf + offsets).ravel(), (u + offsets).ravel(),
                           side="right")
    cell = np.minimum(cell.reshape(n, k) - offsets * (M + 2), M + 1)
    before = np.where(cell > 0, np.take_along_axis(
        cdf, np.maximum(cell - 1, 0), axis=1), 0.0)
    mass = np.take_along_axis(probs, cell, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.clip(np.where(mass > 0, (u - before) / mass, 0.5), 0, 1)
    out = lo + (cell - 1 + frac) * h
    # frac runs away from the edge for the high tail and toward it for the
    # low tail
    low_tail = cell == 0
    high_tail = cell == M + 1
    out[low_tail] = lo - tail_sd * ndtri(np.clip(1 - frac[low_tail] / 2, 0.5,
                                                 1 - 1e-16))
    out[high_tail] = hi + tail_sd * ndtri(np.clip(0.5 + frac[high_tail] / 2, 0.5,
                                                  1 - 1e-16))
    return out[:, None, :]


def grid_probabilities(logits):
    """Row-wise ``softmax(logits)``, in plain numpy: scipy's ``logsumexp``
    checks cost more than the sum on these small grids (a quarter of a
    joint fit)."""
    p = flushed_exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return p


def row_logsumexp(logits):
    """``log sum exp(logits)`` over the last axis in plain numpy, as
    :func:`grid_probabilities` is (scipy's checks cost more than the sum on
    a grid, a batch's cell points or the kernels of a chain's jumps):
    ``logits.shape[:-1]``."""
    top = logits.max(axis=-1)
    # a row whose largest entry is infinite is not shifted: its sum is then
    # -inf (all -inf) or inf, not nan
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore", over="ignore"):
        return np.log(flushed_exp(logits - top[..., None]).sum(axis=-1)) + top


def floored_log_densities(log_p, log_floor):
    """Each row's log density under a floor: ``log_p`` (n, k), a Gibbs
    part's log density at one or several points of the row's target (the
    points of its cell), and ``log_floor`` (n, k) the floor's, which adds
    to it; a row's density is its points' mean.
    Returns the Gibbs part's and the whole's, two arrays (n,)."""
    with np.errstate(invalid="ignore"):
        total = np.logaddexp(log_p, log_floor)
    k = np.log(log_p.shape[1])
    return row_logsumexp(log_p) - k, row_logsumexp(total) - k
