"""Censored targets on an interval: each target stands for a cell (the
resolution at which it was recorded), and its likelihood is the probability
of the cell, a quadrature over a few points inside it."""

import numpy as np

from ._grid_density import cell_centers, grid_probabilities, row_logsumexp


class TargetCells:
    """The cell each target stands for, in standardized units.

    An atom's cell is ``[atom - below, atom + above]``; any other value's is
    ``floor`` wide, centered on it.

    Parameters
    ----------
    floor : float
    atoms : ndarray of shape (n_atoms,)
        Sorted.
    below, above : ndarray of shape (n_atoms,)

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.inference._cells import TargetCells
    >>> cells = TargetCells(0.1, np.array([0.0]), np.array([0.5]), np.array([0.5]))
    >>> cells.bounds(np.array([0.0, 2.0]))
    (array([-0.5 ,  1.95]), array([0.5 , 2.05]))
    """

    def __init__(self, floor, atoms, below, above):
        self.floor = floor
        self.atoms = atoms
        self.below = below
        self.above = above

    @property
    def widest(self):
        """Width of the widest cell."""
        return float(max(self.floor, np.max(self.below + self.above)))

    def bounds(self, z):
        """``(low, high)`` of the cells of values ``z`` of shape (n,)."""
        k = np.clip(np.searchsorted(self.atoms, z), 0, len(self.atoms) - 1)
        atom = self.atoms[k] == z
        half = self.floor / 2
        return (z - np.where(atom, self.below[k], half),
                z + np.where(atom, self.above[k], half))

    def _atom_cells(self):
        """``(low, high)`` of the atoms' cells; where two overlap, both end
        at the middle of the overlap, so that no answer falls in two."""
        low, high = self.atoms - self.below, self.atoms + self.above
        overlap = high[:-1] > low[1:]
        middle = (high[:-1] + low[1:]) / 2
        high[:-1] = np.where(overlap, middle, high[:-1])
        low[1:] = np.where(overlap, middle, low[1:])
        return low, high

    def record(self, z):
        """The values recorded for answers ``z`` (any shape): an answer
        inside an atom's cell is the atom, any other is itself."""
        low, high = self._atom_cells()
        k = np.clip(np.searchsorted(high, z), 0, len(self.atoms) - 1)
        return np.where((low[k] <= z) & (z <= high[k]), self.atoms[k], z)

    def tile_moments(self, support, n_tiles):
        """Mean and mean square of the recorded value (:meth:`record`) of an
        answer uniform on each of ``n_tiles`` equal tiles of ``support``:
        two arrays of shape (n_tiles,)."""
        grid, h = cell_centers(support, n_tiles)
        first, second = grid.copy(), grid**2 + h**2 / 12
        low, high = self._atom_cells()
        tiles, _ = tile_overlap(grid[0], h, n_tiles, low, high)
        # the part [left, right] of each tile inside each atom's cell moves
        # from its own moments to the atom's
        left = np.maximum(grid[tiles] - h / 2, low[:, None])
        right = np.maximum(np.minimum(grid[tiles] + h / 2, high[:, None]), left)
        share = (right - left) / h
        atom = self.atoms[:, None]
        np.add.at(first, tiles, share * (atom - (left + right) / 2))
        np.add.at(second, tiles,
                  share * (atom**2 - (left**2 + left * right + right**2) / 3))
        return first, second

    def points(self, z, spacing, shift=0.5):
        """Quadrature points of the cells of ``z`` at a spacing of at most
        ``spacing``, one at ``shift`` across each of the equal slices of a
        cell (each slice weighs its width): points (n, n_points), low, high."""
        low, high = self.bounds(z)
        n_points = max(1, int(np.ceil(self.widest / spacing - 1e-9)))
        return low[:, None] + (np.arange(n_points) + shift) / n_points * (
            high - low)[:, None], low, high


def snap_to_atoms(cells, ends, cdf):
    """Interval ends (n, 2) that fall inside an atom's cell, moved to a bound
    of the cell: the interval takes the atom in when it holds at least half
    of the cell's probability, and leaves it out otherwise.

    A count or a rounded value is either inside an interval or not; this
    rule keeps the coverage at its level on average, where taking every
    atom an end touches would over-cover and taking none would under-cover.
    ``cdf(z)`` gives the CDF at points ``z`` (n, k).
    """
    return _snap(cells, ends, cdf)[0]


def _snap(cells, ends, cdf):
    """:func:`snap_to_atoms`, and the probability of the cell each end
    fell in (0 outside every atom's cell): two arrays (n, 2)."""
    atoms = cells.atoms
    right = np.clip(np.searchsorted(atoms, ends), 0, len(atoms) - 1)
    left = np.maximum(right - 1, 0)

    def contains(k):
        return (atoms[k] - cells.below[k] <= ends) & (ends <= atoms[k] + cells.above[k])

    # the atom on either side whose cell holds the end (the nearer if both)
    nearer_left = np.abs(atoms[left] - ends) < np.abs(atoms[right] - ends)
    k = np.where(contains(left) & (~contains(right) | nearer_left), left, right)
    low = atoms[k] - cells.below[k]
    high = atoms[k] + cells.above[k]
    inside = (low <= ends) & (ends <= high)
    F_low, F_end, F_high = np.split(cdf(np.hstack([low, ends, high])), 3, axis=1)
    half = 0.5 * (F_high - F_low)
    take_in = np.column_stack([F_high[:, 0] - F_end[:, 0] >= half[:, 0],
                               F_end[:, 1] - F_low[:, 1] >= half[:, 1]])
    snapped = np.where(take_in, np.column_stack([low[:, 0], high[:, 1]]),
                       np.column_stack([high[:, 0], low[:, 1]]))
    out = np.where(inside, snapped, ends)
    # both ends in one heavy cell, each leaving it out (or the lower end
    # leaving out the atom the upper one takes in): take it in
    empty = (out[:, 0] > out[:, 1]) | ((out[:, 0] == out[:, 1]) & inside.all(axis=1))
    out[empty] = np.column_stack([low[empty, 0], high[empty, 1]])
    return out, np.where(inside, 2 * half, 0.0)


def hold_coverage(cells, ends, levels, cdf, quantile):
    """:func:`snap_to_atoms`, holding the probability between the levels.

    Snapping moves each end by up to half its atom's probability, so that
    an interval of counts with many zeros, whose lower end takes them all
    in, held far more than asked (90% intervals covered 0.95 and more).
    Where the snapped interval holds other than ``levels[:, 1] - levels[:,
    0]``, the end in the heavier atom's cell stays and the other moves to
    the quantile at which the interval holds that much, and snaps in turn
    (on average, right).

    Parameters
    ----------
    cells : TargetCells
    ends : ndarray of shape (n, 2)
        The quantiles at ``levels``.
    levels : ndarray of shape (n, 2)
    cdf, quantile : callable
        ``cdf(z, rows)`` (inside the support) and ``quantile(u, rows)`` of
        the rows ``rows`` (a slice or a boolean mask), for points ``z`` or
        levels ``u`` of shape (n_rows, k).

    Returns
    -------
    ends : ndarray of shape (n, 2)
    """
    everything = slice(None)
    snapped, mass = _snap(cells, ends, lambda z: cdf(z, everything))
    # an end left as it was is at its level (``cdf`` reads the support only:
    # in a tail it would give the tail's whole mass)
    F = np.where(snapped == ends, levels, cdf(snapped, everything))
    coverage = levels[:, 1] - levels[:, 0]
    off = np.abs(F[:, 1] - F[:, 0] - coverage) > 1e-9
    keep_low = mass[:, 0] >= mass[:, 1]
    out = snapped.copy()
    for rows, side, sign in ((off & keep_low, 1, 1.0), (off & ~keep_low, 0, -1.0)):
        if not rows.any():
            continue
        u = levels[rows].copy()
        u[:, side] = np.clip(F[rows, 1 - side] + sign * coverage[rows], 0.0, 1.0)
        moved = quantile(u, rows)
        moved[:, 1 - side] = out[rows, 1 - side]
        out[rows, side] = snap_to_atoms(cells, moved,
                                        lambda z: cdf(z, rows))[:, side]
    # a coverage below half the kept atom's probability snaps the moved end
    # onto the kept one: the first snap's interval, then
    empty = out[:, 0] >= out[:, 1]
    out[empty] = snapped[empty]
    return out


def tile_overlap(start, h, n_tiles, low, high):
    """The grid tiles that each row's cell ``[low, high]`` may overlap, and
    how much of each lies in the cell.

    Tile ``j`` is ``[g_j - h/2, g_j + h/2]`` around the node ``g_j = start +
    j h``. A cell overlaps a run of a few tiles, so only a window of them
    per row is returned (tiles of the window outside the cell overlap 0).

    Returns
    -------
    tiles : ndarray of shape (n, n_window)
        Indices of distinct tiles, in ``[0, n_tiles)``.
    overlap : ndarray of shape (n, n_window)
    """
    n_window = min(n_tiles, int(np.ceil(np.max(high - low, initial=0.0) / h)) + 2)
    first = np.floor((low - start) / h - 0.5).astype(np.intp)
    first = np.clip(first, 0, n_tiles - n_window)
    tiles = first[:, None] + np.arange(n_window)
    nodes = start + tiles * h
    left = np.maximum(nodes - h / 2, low[:, None])
    right = np.minimum(nodes + h / 2, high[:, None])
    return tiles, np.clip(right - left, 0.0, h)


def log_mean_gibbs(E, beta):
    """``log mean_j exp(-beta E_j)`` over each row's cell points: (n,)."""
    return row_logsumexp(-beta * np.asarray(E, dtype=np.float64)) - np.log(E.shape[1])


def censor(energies, log_w, contrast, cells, beta):
    """Turn the NLL of the target's energy (column 0) into the NLL of its cell.

    The NLL loss is ``E_0 + (1/beta) log sum_k w_k exp(-beta E_k)`` with
    gradient ``onehot(0) - contrast``. Adding ``beta (E_cell - E_0)`` to
    every log weight of a row, where ``E_cell = -(1/beta) log mean_j
    exp(-beta E_j)`` over the cell's points, makes its value ``E_cell +
    (1/beta) log Z``, minus the log of the cell's probability over ``beta``
    (up to ``log delta``); the softmax is unchanged. Its gradient is the
    cell's Gibbs weights ``r`` minus the partition's ``p``, so ``contrast``
    becomes ``p - r + onehot(0)``.

    Parameters
    ----------
    energies : ndarray of shape (n, n_columns)
    log_w : ndarray of shape (n, n_columns)
        Log quadrature weights, changed in place.
    contrast : ndarray of shape (n, n_columns) or None
        The sampled Gibbs probabilities, or None for the quadrature's.
    cells : slice
        Columns of the cell's points.
    beta : float

    Returns
    -------
    contrast : ndarray of shape (n, n_columns)
    """
    E = energies.astype(np.float64, copy=False)
    log_cell = log_mean_gibbs(E[:, cells], beta)
    log_w += (-log_cell - beta * E[:, 0])[:, None]
    if contrast is None:
        logits = np.multiply(E, -beta)
        contrast = grid_probabilities(np.add(logits, log_w, out=logits))
    else:
        contrast = contrast.astype(np.float64, copy=True)
    # the cell's Gibbs weights, exp(-beta E_j) / (n_points exp(log_cell))
    contrast[:, cells] -= grid_probabilities(-beta * E[:, cells])
    contrast[:, 0] += 1.0
    return contrast.astype(energies.dtype, copy=False)
