"""A warning for features far from unit scale, for which the energies'
initialization, the L2 penalty and the losses' fixed margins are not set."""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils.sparsefuncs import mean_variance_axis

# a column is far from unit scale past this standard deviation, or a mean
# this many standard deviations (at least one unit) from zero
_FAR = 10.0


def warn_unscaled(X, name):
    """Warn that ``X`` (as given to ``fit``) has columns far from unit scale.

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
            mean, var = mean_variance_axis(sp.csr_array(X, dtype=float), axis=0)
        else:
            X = X.astype(float)
            if X.ndim != 2 or X.shape[0] < 2:
                return
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # NaN columns
                mean, var = np.nanmean(X, axis=0), np.nanvar(X, axis=0)
    except (TypeError, ValueError):
        return
    with np.errstate(all="ignore"):
        std = np.sqrt(var)
        far = (std > _FAR) | (np.abs(mean) > _FAR * np.maximum(std, 1.0))
    far &= np.isfinite(mean) & np.isfinite(std)
    if far.any():
        warnings.warn(
            f"{int(far.sum())} of X's {len(far)} columns are far from unit scale "
            f"(standard deviations up to {std[far].max():.3g}, means up to "
            f"{np.abs(mean[far]).max():.3g} in magnitude). {name}'s energies, "
            "penalty and margins are set for standardized features, and a fit "
            "on raw ones can be useless (one class for every row, a flat "
            "regression). Put a StandardScaler before it: make_pipeline("
            f"StandardScaler(), {name}(...)).", UserWarning)
