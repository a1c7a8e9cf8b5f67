"""The box of the training inputs, which the joint energy clips new rows to:
beyond it the network's linear extrapolation moves and sharpens the whole
energy profile over the answers, with no data to check it."""

import numpy as np


class InputBox:
    """Clip rows to the per-feature range of the training rows, then hand
    them to ``then`` (the kernel ridge inputs), if given.

    A row beyond the box is answered as the nearest point of the box is, as
    a tree ensemble answers it: on small or heavy-tailed data a row that
    extrapolates one feature is common, and there the network's energy
    profile has no data behind it.

    Parameters
    ----------
    then : object with ``fit_transform(X, y, sample_weight)`` and
        ``transform(X)``, default=None
        The next step of the inputs.
    """

    def __init__(self, then=None):
        self.then = then

    def fit_transform(self, X, y, sample_weight):
        """The training rows (inside their own box), through ``then``."""
        self.low_, self.high_ = X.min(axis=0), X.max(axis=0)
        return X if self.then is None else self.then.fit_transform(X, y, sample_weight)

    def widened(self, X):
        """A box that also holds the rows ``X`` (a later ``partial_fit``
        batch), with the same ``then``."""
        box = InputBox(self.then)
        box.low_ = np.minimum(self.low_, X.min(axis=0))
        box.high_ = np.maximum(self.high_, X.max(axis=0))
        return box

    def transform(self, X):
        """Rows clipped to the box, through ``then``."""
        X = np.clip(X, self.low_.astype(X.dtype), self.high_.astype(X.dtype))
        return X if self.then is None else self.then.transform(X)
