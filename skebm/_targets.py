"""A regressor's targets in standardized units, and back."""

import numpy as np


def standardization(y, sample_weight):
    """Weighted mean and standard deviation of each target column; a
    constant target gets scale 1 and is fitted as it is."""
    mean = np.average(y, axis=0, weights=sample_weight)
    scale = np.sqrt(np.average((y - mean) ** 2, axis=0, weights=sample_weight))
    scale = np.where(scale > 1e-12 * np.maximum(np.abs(mean), 1.0), scale, 1.0)
    return mean, scale


def standardize(y, n_rows, mean, scale):
    """Checked targets of shape (n_rows,) or (n_rows, n_outputs), as
    standardized columns."""
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if y.shape != (n_rows, len(mean)):
        raise ValueError(
            f"y must have shape ({n_rows},) or ({n_rows}, {len(mean)}) to match "
            f"X, got {np.shape(y)}.")
    if not np.isfinite(y).all():
        raise ValueError("Input y contains NaN or infinity.")
    return (y - mean) / scale


def unstandardize(z, mean, scale, columns):
    """Standardized answers of shape (n, n_outputs[, k]) in target units;
    without ``columns``, the single output's axis dropped."""
    extra = (slice(None),) + (None,) * (z.ndim - 2)
    y = z * scale[extra] + mean[extra]
    return y if columns else y[:, 0]
