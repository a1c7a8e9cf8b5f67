"""Random numbers for the engines: a fast generator from a scikit-learn
``random_state``, and draws that every row of a batch shares."""

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state


def _generator(random_state):
    """A fast numpy Generator seeded from a scikit-learn ``random_state``; a
    Generator or :class:`RowDraws` is used as it is."""
    if isinstance(random_state, (np.random.Generator, RowDraws)):
        return random_state
    rng = check_random_state(random_state)
    return np.random.default_rng(rng.randint(np.iinfo(np.int32).max, size=4))


class RowDraws:
    """Draws for arrays whose first axis runs over ``n_rows`` rows, the same
    for every row: one row's draws, broadcast (read-only views).

    A Monte Carlo estimate that inference returns as a function of its row
    (the Gibbs mean of several target columns, a sampled log-partition, the
    marginals of many labels) then does not depend on the rows beside it,
    in one call or across the chunks of one, as a prediction of
    scikit-learn's does not: each chunk takes a ``RowDraws`` of the same
    seed. The rows' estimates stay unbiased, their errors correlated. Draws
    that are returned as draws (``sample_y``) take a plain generator, so
    that two equal rows get independent draws.

    Parameters
    ----------
    random_state : int
        The seed, the same for every chunk of a call.
    n_rows : int
    """

    def __init__(self, random_state, n_rows):
        if not isinstance(random_state, Integral):
            raise TypeError("RowDraws needs an int seed, the same for every "
                            f"chunk of a call; got {random_state!r}.")
        self._gen = _generator(random_state)
        self.n_rows = n_rows

    def _shared(self, method, size, *args):
        size = tuple(np.atleast_1d(size))
        if size[0] != self.n_rows:
            raise ValueError(f"Draws for {self.n_rows} rows need a first axis of "
                             f"that size; got the shape {size}.")
        return np.broadcast_to(getattr(self._gen, method)(*args, size=size[1:]),
                               size)

    def standard_normal(self, size):
        return self._shared("standard_normal", size)

    def uniform(self, low=0.0, high=1.0, size=None):
        return self._shared("uniform", size, low, high)

    def random(self, size):
        return self._shared("random", size)

    def integers(self, low, high=None, size=None):
        return self._shared("integers", size, low, high)

    def choice(self, *args, **kwargs):
        """``Generator.choice``, whose draws have no axis of rows."""
        return self._gen.choice(*args, **kwargs)
