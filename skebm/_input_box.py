"""The box of the training inputs, which the joint energy clips new rows to:
beyond it a ReLU network extrapolates linearly, and with it the whole
energy profile over the answers, with no data to check it."""

import numpy as np
import scipy.sparse as sp


class InputBox:
    """Clip rows to the per-feature range of the training rows of positive
    weight, then hand them to ``then``, if given. A row beyond the box is
    answered as the nearest point of the box is, as a tree ensemble
    answers it.

    Parameters
    ----------
    then : object, default=None
        The next step of the inputs (the kernel ridge inputs), with
        ``fit_transform(X, y, sample_weight)`` and ``transform(X)``.

    Attributes
    ----------
    low_, high_ : ndarray of shape (n_features,)
        The box.
    """

    def __init__(self, then=None):
        self.then = then

    def fit_transform(self, X, y, sample_weight):
        """The training rows (inside their own box), through ``then``."""
        self.low_, self.high_ = _range(X, sample_weight)
        return X if self.then is None else self.then.fit_transform(X, y, sample_weight)

    def widened(self, X, sample_weight):
        """A box that also holds the rows ``X`` of positive weight (a later
        ``partial_fit`` batch), with the same ``then``."""
        low, high = _range(X, sample_weight)
        box = InputBox(self.then)
        box.low_, box.high_ = np.fmin(self.low_, low), np.fmax(self.high_, high)
        return box

    def transform(self, X):
        """Rows clipped to the box (dense: the box was fitted on dense
        rows), through ``then``."""
        if sp.issparse(X):
            X = X.toarray()
        X = np.clip(X, self.low_.astype(X.dtype), self.high_.astype(X.dtype))
        return X if self.then is None else self.then.transform(X)


def _range(X, sample_weight):
    """Per-feature min and max of the rows of positive weight (NaN where
    there are none, which ``np.fmin`` and ``np.fmax`` pass over)."""
    X = X.toarray() if sp.issparse(X) else X
    rows = X[np.asarray(sample_weight) > 0]
    if len(rows) == 0:
        return np.full(X.shape[1], np.nan), np.full(X.shape[1], np.nan)
    return rows.min(axis=0), rows.max(axis=0)
