"""Metropolis-Hastings over a few discrete states, for many targets at once."""

from numbers import Integral

import numpy as np

from ._metropolis import _BLOCK
from ._random import _generator


def mh_categorical(log_p, n_chains, n_steps, random_state, init=None, burn_in=0):
    """Metropolis-Hastings over ``m`` states for ``n`` independent targets.

    Each proposal is uniform among the other ``m - 1`` states and is accepted
    with probability ``min(1, exp(log_p[new] - log_p[old]))``. All ``n *
    n_chains`` chains advance in one vectorized step.

    Parameters
    ----------
    log_p : array-like of shape (n, m)
        Unnormalized log-probabilities; ``-inf`` marks forbidden states.
    n_chains : int
        Chains per target.
    n_steps : int
        Iterations, burn-in included.
    random_state : int, RandomState instance or None
    init : array-like of int of shape (n, n_chains), default=None
        Starting states; uniform over the allowed states when None.
    burn_in : int, default=0
        Iterations to drop.

    Returns
    -------
    states : ndarray of int of shape (n_steps - burn_in, n, n_chains)
    acceptance_rate : float
        Accepted fraction of all proposals, burn-in included.

    See Also
    --------
    categorical_frequencies : Visit frequencies of the returned states.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.sampling import categorical_frequencies, mh_categorical
    >>> log_p = np.log([[0.5, 0.3, 0.2, 1.0]])
    >>> log_p[0, 3] = -np.inf  # a forbidden state
    >>> states, rate = mh_categorical(log_p, n_chains=50, n_steps=1000,
    ...                               random_state=0, burn_in=100)
    >>> states.shape
    (900, 1, 50)
    >>> categorical_frequencies(states, 4).round(1)
    array([[0.5, 0.3, 0.2, 0. ]])
    """
    log_p = np.asarray(log_p, dtype=float)
    if log_p.ndim != 2 or log_p.shape[1] == 0:
        raise ValueError(
            f"log_p must have shape (n, m) with m >= 1, got {log_p.shape}."
        )
    if np.isnan(log_p).any() or np.isposinf(log_p).any():
        raise ValueError("log_p must not contain NaN or +inf.")
    for name, value, low in [("n_chains", n_chains, 1), ("n_steps", n_steps, 1),
                             ("burn_in", burn_in, 0)]:
        if not isinstance(value, Integral) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
    if burn_in >= n_steps:
        raise ValueError(f"burn_in={burn_in} must be smaller than n_steps={n_steps}.")
    n, m = log_p.shape
    allowed = log_p > -np.inf
    empty = ~allowed.any(axis=1)
    if empty.any():
        rows = np.flatnonzero(empty).tolist()
        raise ValueError(f"Rows {rows} of log_p allow no state.")
    gen = _generator(random_state)
    if init is None:
        # The k-th allowed state of each row, k uniform.
        k = np.floor(gen.random((n, n_chains)) * allowed.sum(axis=1)[:, None])
        state = (np.cumsum(allowed, axis=1)[:, None, :] <= k[:, :, None]).sum(axis=2)
    else:
        state = np.asarray(init)
        if state.shape != (n, n_chains) or not np.issubdtype(state.dtype, np.integer):
            raise ValueError(
                f"init must be an int array of shape (n, n_chains) = {(n, n_chains)}, "
                f"got {state.dtype} {state.shape}."
            )
        if (state < 0).any() or (state >= m).any():
            raise ValueError(f"init states must lie in [0, {m}).")
        if not allowed[np.arange(n)[:, None], state].all():
            raise ValueError("init puts chains on forbidden (-inf) states.")
    state = state.astype(np.intp)
    out = np.empty((n_steps - burn_in, n, n_chains), dtype=np.intp)
    if m == 1:
        out[...] = 0
        return out, 0.0

    flat = log_p.ravel()
    offset = (np.arange(n) * m)[:, None]
    lp = flat[offset + state]
    n_accepted = 0
    block = max(1, min(n_steps, _BLOCK // (n * n_chains)))
    t = 0
    while t < n_steps:
        size = min(block, n_steps - t)
        shifts = gen.integers(1, m, size=(size, n, n_chains))
        log_u = -gen.standard_exponential((size, n, n_chains))
        for i in range(size):
            new = state + shifts[i]
            new[new >= m] -= m
            lp_new = flat[offset + new]
            accept = log_u[i] < lp_new - lp
            np.copyto(state, new, where=accept)
            np.copyto(lp, lp_new, where=accept)
            n_accepted += np.count_nonzero(accept)
            if t + i >= burn_in:
                out[t + i - burn_in] = state
        t += size
    return out, n_accepted / (n_steps * n * n_chains)


def categorical_frequencies(states, m):
    """Visit frequency of each state for each target.

    Parameters
    ----------
    states : array-like of int of shape (n_steps, n, n_chains)
        As returned by :func:`mh_categorical`.
    m : int
        Number of states.

    Returns
    -------
    frequencies : ndarray of shape (n, m)
        Rows sum to one.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.sampling import categorical_frequencies
    >>> states = np.array([[[0, 1]], [[0, 0]]])  # 2 steps, 1 target, 2 chains
    >>> categorical_frequencies(states, 3)
    array([[0.75, 0.25, 0.  ]])
    """
    states = np.asarray(states)
    if states.ndim != 3 or not np.issubdtype(states.dtype, np.integer):
        raise ValueError("states must be an int array of shape (n_steps, n, n_chains).")
    if states.size and (states.min() < 0 or states.max() >= m):
        raise ValueError(f"states must lie in [0, {m}).")
    n_steps, n, n_chains = states.shape
    index = states + (np.arange(n) * m)[:, None]
    counts = np.bincount(index.ravel(), minlength=n * m).reshape(n, m)
    return counts / max(n_steps * n_chains, 1)
