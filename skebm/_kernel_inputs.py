"""Kernel ridge predictions of the targets as extra inputs: out of sample
(leave-one-out) for the training rows, so that the energy learns how far
to trust them from errors it will meet on new rows."""

import numpy as np
import scipy.sparse as sp
from sklearn.metrics.pairwise import rbf_kernel

from ._rows import merge_duplicate_rows
from ._targets import standardization

# at most this many training rows serve as the kernel's centers (a Nystrom
# approximation beyond it)
_MAX_CENTERS = 1000
# the ridge is fitted to at most this many rows (its n x centers arrays
# then take about 160 MB each); the other rows read its predictions, out of
# its sample as they are
_MAX_ROWS = 20000
# rows per block of the kernel between rows to predict and the centers
_BLOCK_ROWS = 4096
# candidate bandwidths, times 1 / (n_features * Var(X)) (scikit-learn's
# gamma="scale"), and ridge penalties (against weights that sum to one: a
# near-noiseless target takes 1e-8); the pair with the smallest
# leave-one-out error is kept
_GAMMA_FACTORS = (0.25, 0.5, 1.0, 2.0)
_PENALTIES = np.logspace(-9, 1, 21)
# eigenvalues of the centers' kernel below this fraction of the largest are
# dropped (the kernel matrix of close centers is near singular)
_EIGEN_FLOOR = 1e-10
# rows a conditional spread is estimated from
_SPREAD_ROWS = 500
# the median absolute value of a normal variable, times this, is its
# standard deviation
_MAD_TO_STD = 1.4826


class KernelRidgeInputs:
    """An RBF kernel ridge regression of the targets, whose predictions are
    appended to the inputs.

    :meth:`fit_transform` chooses the bandwidth and the penalty by the
    exact leave-one-out error of the ridge (a closed form) and appends, for
    each training row, the prediction of the ridge fitted without it: a
    flexible energy trained on in-sample predictions, which are closer to
    the targets than predictions on new rows are, would trust them too
    much. Beyond ``_MAX_ROWS`` rows the ridge is fitted to that many, and
    the others read its predictions, out of its sample as they are.
    :meth:`transform` appends the predictions of the fitted ridge.

    Parameters
    ----------
    random_state : numpy.random.Generator
        Picks the centers when there are more than ``_MAX_CENTERS`` rows,
        and the rows the ridge is fitted to when there are more than
        ``_MAX_ROWS``.
    """

    def __init__(self, random_state):
        self.random_state = random_state

    def fit_transform(self, X, y, sample_weight):
        """``[X, leave-one-out predictions of y]`` for standardized targets
        ``y`` (n, d)."""
        dtype = X.dtype
        X = np.asarray(X, dtype=np.float64)
        n = X.shape[0]
        rows = np.arange(n) if n <= _MAX_ROWS else np.sort(
            self.random_state.choice(n, _MAX_ROWS, replace=False))
        w = sample_weight[rows]
        w = w / w.sum() if w.sum() > 0 else np.full(len(rows), 1.0 / len(rows))
        X_fit, y_fit = X[rows], y[rows]
        centers = np.arange(len(rows)) if len(rows) <= _MAX_CENTERS else np.sort(
            self.random_state.choice(len(rows), _MAX_CENTERS, replace=False))
        self.centers_ = X_fit[centers]
        variance = float(np.sum(w @ (X_fit - w @ X_fit) ** 2))
        scale = 1.0 / max(variance, np.finfo(float).tiny)
        best = None
        for factor in _GAMMA_FACTORS:
            fit = self._path(X_fit, y_fit, w, factor * scale)
            if best is None or fit["error"] < best["error"]:
                best = fit
        self.gamma_, self.penalty_ = best["gamma"], best["penalty"]
        self.loo_error_ = best["error"]
        self.coef_, self.intercept_ = best["coef"], best["intercept"]
        prediction = np.empty((n, y.shape[1]))
        prediction[rows] = best["loo"]
        rest = np.setdiff1d(np.arange(n), rows)
        prediction[rest] = self._predict(X[rest])
        return np.hstack([X, prediction]).astype(dtype, copy=False)

    def transform(self, X):
        """``[X, ridge predictions]``."""
        prediction = self._predict(np.asarray(X, dtype=np.float64))
        return np.hstack([X, prediction.astype(X.dtype, copy=False)])

    def _predict(self, X):
        out = np.empty((X.shape[0], self.coef_.shape[1]))
        for start in range(0, X.shape[0], _BLOCK_ROWS):
            block = slice(start, start + _BLOCK_ROWS)
            K = rbf_kernel(X[block], self.centers_, gamma=self.gamma_)
            out[block] = K @ self.coef_ + self.intercept_
        return out

    def _path(self, X, y, w, gamma):
        """The penalty of smallest leave-one-out error at bandwidth
        ``gamma``, its coefficients and leave-one-out predictions."""
        # features Z = K(X, C) K(C, C)^-1/2, so that Z Z^T = K(X, X) when
        # every row is a center
        K_nc = rbf_kernel(X, self.centers_, gamma=gamma)
        lam, V = np.linalg.eigh(rbf_kernel(self.centers_, gamma=gamma))
        kept = lam > _EIGEN_FLOOR * lam[-1]
        root = V[:, kept] / np.sqrt(lam[kept])
        Z = K_nc @ root
        del K_nc
        z_mean, y_mean = w @ Z, w @ y
        Zc = Z - z_mean
        sw = np.sqrt(w)[:, None]
        U, s, Vt = np.linalg.svd(sw * Zc, full_matrices=False)
        Uy = U.T @ (sw * (y - y_mean))
        best = None
        for penalty in _PENALTIES:
            coef_z = Vt.T @ ((s / (s * s + penalty))[:, None] * Uy)
            fitted = Zc @ coef_z + y_mean
            # the intercept's leverage w_i, and the penalized part's (zero
            # for a row of weight zero, whose prediction is out of sample)
            leverage = w + (U * U) @ (s * s / (s * s + penalty))
            loo = y - (y - fitted) / (1.0 - np.minimum(leverage, 1 - 1e-12))[:, None]
            error = float(w @ np.sum((y - loo) ** 2, axis=1))
            if best is None or error < best["error"]:
                best = dict(error=error, penalty=penalty, loo=loo, coef_z=coef_z)
        coef_z = best.pop("coef_z")
        best.update(gamma=gamma, coef=root @ coef_z, intercept=y_mean - z_mean @ coef_z)
        return best


def conditional_spread(X, z, sample_weight, random_state):
    """The spread of standardized targets ``z`` (n, d) around their
    conditional mean: a robust standard deviation (1.4826 times the
    weighted median absolute value, the root mean square over the columns)
    of the leave-one-out errors of the kernel ridge of ``z`` on standardized
    features, on at most ``_SPREAD_ROWS`` distinct rows of positive weight
    (duplicates merged, so that weights act as repetitions). The errors'
    RMS would be ruled by the few large errors of a skewed or heavy-tailed
    target, and give its bulk a spread it does not have. An overestimate
    where the ridge misses structure. NaN for sparse ``X`` (its dense rows
    could be too wide) or when the ridge fails."""
    if sp.issparse(X):
        return np.nan
    X, z, w = merge_duplicate_rows(np.asarray(X, dtype=np.float64),
                                   np.asarray(z, dtype=np.float64), sample_weight)
    if len(w) > _SPREAD_ROWS:
        rows = np.sort(random_state.choice(len(w), _SPREAD_ROWS, replace=False))
        X, z, w = X[rows], z[rows], w[rows]
    # one bandwidth for all columns: they must share a scale
    mean, scale = standardization(X, w, floor=1.0)
    X = (X - mean) / scale
    ridge = KernelRidgeInputs(random_state)
    try:
        # its appended columns: each row's leave-one-out prediction
        errors = np.abs(z - ridge.fit_transform(X, z, w)[:, -z.shape[1]:])
    except np.linalg.LinAlgError:
        return np.nan
    deviations = [_MAD_TO_STD * _weighted_median(column, w) for column in errors.T]
    return float(np.sqrt(np.mean(np.square(deviations))))


def _weighted_median(values, weights):
    """The smallest of ``values`` with at least half the weight at or below it."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return values[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])]
