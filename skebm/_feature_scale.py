"""A warning for features far from unit scale, for which the energies'
initialization, the L2 penalty and the losses' fixed margins are not set."""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils.sparsefuncs import mean_variance_axis

# rows whose moments are summed at a time: a float64 block of 0.5 MB,
# not a copy of X, is the memory the check costs
_BLOCK_VALUES = 2**16

# a column is far from unit scale past this standard deviation, or a mean
# this many standard deviations (at least one unit) from zero
_FAR = 10.0


def warn_unscaled(X, name, batch=False):
    """Warn that ``X`` (as given to ``fit``) has columns far from unit scale.

    So are the columns of a dense ``X`` that all vary little: standard
    deviations below 1 / ``_FAR`` and ranges below 1, which indicator
    columns (one-hot, rare flags: a range of 1) are not. Not for a
    ``partial_fit`` ``batch``, which can be a narrow slice of features at
    unit scale.

    On raw features (wine's proline, standard deviation 314; diabetes's
    serum measurements, 34) several accepted pairs fitted silently useless
    models: one class for every row, a nearly flat regression, a joint
    energy's predictions seven times past the targets' range, where the
    same pairs behind a StandardScaler scored 0.95 to 0.99 accuracy. An X
    that is not numeric is left for validation to refuse.
    """
    try:
        if not sp.issparse(X):
            X = np.asarray(X)
        if X.dtype.kind not in "biufO":  # complex, text: validation's to refuse
            return
        if sp.issparse(X):
            if X.format not in ("csr", "csc") or X.dtype.kind != "f":
                X = sp.csr_array(X, dtype=float)
            with np.errstate(all="ignore"):  # float32 squares past 3.4e38
                mean, var = mean_variance_axis(X, axis=0)
        elif X.ndim != 2 or X.shape[0] < 2:
            return
        else:
            mean, var, spread = _column_moments(X)
    except (TypeError, ValueError):
        return
    with np.errstate(all="ignore"):
        std = np.sqrt(var)
        far = (std > _FAR) | (np.abs(mean) > _FAR * np.maximum(std, 1.0))
    # a variance past float32's range is far; a mean that is not, X's values
    # are (validation's to refuse)
    far &= np.isfinite(mean)
    if not (far.any() or batch or sp.issparse(X)):
        # every column small: the penalty, as strong against weights that
        # must be large, flattens the fit (scikit-learn's diabetes, standard
        # deviations 0.048: MCE on the joint energy, 3-fold CV R^2 0.16
        # against Ridge's 0.41). Sparse columns are small by nature (tf-idf)
        varying = std > 0
        if varying.any() and np.all((std < 1.0 / _FAR) & (spread < 1.0) | ~varying):
            far = varying
    if far.any():
        warnings.warn(
            f"{int(far.sum())} of X's {len(far)} columns are far from unit scale "
            f"(standard deviations up to {std[far].max():.3g}, means up to "
            f"{np.abs(mean[far]).max():.3g} in magnitude). {name}'s energies, "
            "penalty and margins are set for standardized features, and a fit "
            "on raw ones can be useless (one class for every row, a flat "
            "regression). Put a StandardScaler before it: make_pipeline("
            f"StandardScaler(), {name}(...)).", UserWarning)


def _column_moments(X):
    """Each column's mean, variance and range in float64, NaN left out,
    summed over blocks of rows (two passes)."""
    step = max(1, _BLOCK_VALUES // max(1, X.shape[1]))
    blocks = [slice(start, start + step) for start in range(0, X.shape[0], step)]
    count = np.zeros(X.shape[1])
    total = np.zeros(X.shape[1])
    low, high = np.full(X.shape[1], np.nan), np.full(X.shape[1], np.nan)
    with np.errstate(all="ignore"):
        for rows in blocks:
            block = np.asarray(X[rows], dtype=np.float64)
            seen = ~np.isnan(block)
            count += seen.sum(axis=0)
            total += np.where(seen, block, 0.0).sum(axis=0)
            low = np.fmin(low, np.fmin.reduce(block, axis=0))
            high = np.fmax(high, np.fmax.reduce(block, axis=0))
        mean = total / count
        squares = np.zeros(X.shape[1])
        for rows in blocks:
            deviation = np.asarray(X[rows], dtype=np.float64) - mean
            squares += np.where(np.isnan(deviation), 0.0, deviation**2).sum(axis=0)
        return mean, squares / count, high - low
