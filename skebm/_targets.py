"""A regressor's targets in standardized units, and back."""

import numpy as np


def standardization(y, sample_weight, floor=0.0):
    """Weighted mean and standard deviation of each column; a column whose
    spread is below 1e-12 of ``max(|mean|, floor)`` is taken for a constant
    and gets scale 1 (a target is then fitted as it is). Targets take
    ``floor=0``, so that a spread of any small unit (1e-200) counts;
    features take 1, so that rounding noise around 0 is not blown up to
    unit variance. The deviations of the rows of positive weight are
    divided by a power of two at most their largest before squaring: the
    scale is exactly the direct computation's wherever that neither
    overflows nor underflows, and stays finite up to float64's largest."""
    mean = np.average(y, axis=0, weights=sample_weight)
    deviation = np.where(np.reshape(sample_weight, (-1, 1)) > 0, y - mean, 0.0)
    unit = np.ldexp(1.0, np.frexp(np.max(np.abs(deviation), axis=0))[1] - 1)
    scale = unit * np.sqrt(np.average((deviation / unit) ** 2, axis=0,
                                      weights=sample_weight))
    scale = np.where(scale > 1e-12 * np.maximum(np.abs(mean), floor), scale, 0.0)
    return mean, np.where(scale > 0, scale, 1.0)


def standardize(y, n_rows, mean, scale):
    """Checked targets of shape (n_rows,) or (n_rows, n_outputs), as
    standardized columns."""
    y = np.asarray(y, dtype=float)
    given = y.shape
    if y.ndim == 1:
        y = y[:, None]
    if y.shape != (n_rows, len(mean)):
        expected = f"({n_rows},) or " if len(mean) == 1 else ""
        raise ValueError(
            f"y must have shape {expected}({n_rows}, {len(mean)}) to match X "
            f"and the {len(mean)} target(s) of the fit, got {given}.")
    if not np.isfinite(y).all():
        raise ValueError("Input y contains NaN or infinity.")
    return (y - mean) / scale


def unstandardize(z, mean, scale, columns):
    """Standardized answers of shape (n, n_outputs[, k]) in target units;
    without ``columns``, the single output's axis dropped."""
    extra = (slice(None),) + (None,) * (z.ndim - 2)
    y = z * scale[extra] + mean[extra]
    return y if columns else y[:, 0]



# A tied value is an atom when its weight is at least _ATOM_RATIO times the
# mean weight per grid cell of the other values within _ATOM_WINDOW cells on
# either side; the targets are censored once atoms hold _ATOM_SHARE of the
# weight. Exact ties have probability zero under a continuous density.
_ATOM_RATIO = 2.0
_ATOM_WINDOW = 8
_ATOM_SHARE = 0.02


def recorded_cells(z, sample_weight, cell, max_half):
    """The cells that targets with atoms stand for, or None.

    A continuous likelihood rewards without bound a density that spikes on
    a value many targets share, so such targets are read as recorded at a
    resolution: each stands for a cell around it. An atom's cell reaches
    halfway to the neighbouring distinct values (the rounding interval of
    an integer or rounded target, the gap around a point mass); every cell
    is at least ``floor`` wide: the smallest gap between distinct values
    (the lattice of the targets), but at least ``cell``.

    Parameters
    ----------
    z : ndarray of shape (n_samples,)
        Standardized targets.
    sample_weight : ndarray of shape (n_samples,)
        Targets of weight zero count as absent.
    cell : float
        The model's resolution.
    max_half : float
        Largest reach of a cell on either side of its value.

    Returns
    -------
    cells : tuple or None
        None when no atoms hold ``_ATOM_SHARE`` of the weight (continuous
        targets: no ties, or ties too light or too dense to matter). Else
        ``(floor, atoms, below, above)``: the sorted atoms and how far
        their cells reach below and above them.
    """
    keep = sample_weight > 0
    values, inverse, counts = np.unique(z[keep], return_inverse=True,
                                        return_counts=True)
    if len(values) == keep.sum() or len(values) < 2:
        return None
    mass = np.bincount(inverse, weights=sample_weight[keep])
    cumulative = np.concatenate([[0.0], np.cumsum(mass)])
    reach = _ATOM_WINDOW * cell
    start = np.searchsorted(values, values - reach, side="left")
    stop = np.searchsorted(values, values + reach, side="right")
    others = cumulative[stop] - cumulative[start] - mass
    atoms = (counts > 1) & (mass >= _ATOM_RATIO * others / (2 * _ATOM_WINDOW))
    if mass[atoms].sum() < _ATOM_SHARE * mass.sum():
        return None
    gaps = np.diff(values) / 2
    floor = min(max(2 * gaps.min(), cell), 2 * max_half)
    # the extreme values' outer side mirrors their inner one
    below = np.concatenate([gaps[:1], gaps])[atoms]
    above = np.concatenate([gaps, gaps[-1:]])[atoms]
    return (float(floor), values[atoms], np.clip(below, floor / 2, max_half),
            np.clip(above, floor / 2, max_half))
