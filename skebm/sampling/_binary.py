"""Metropolis-Hastings over label vectors {0,1}^L with a pairwise energy,
for many targets and chains at once."""

from numbers import Integral

import numpy as np
from scipy.special import expit

from ._random import _generator


def pairwise_energy(states, unary, pairs, const=None):
    """Energy ``c + u . v + sum_{l<m} P_lm v_l v_m`` of label vectors.

    Parameters
    ----------
    states : array-like of shape (n, ..., L), 0/1
        Label vectors; the leading axis runs over targets, the middle ones
        (chains, candidates) share the target's energy.
    unary : ndarray of shape (n, L)
    pairs : ndarray of shape (L, L)
        Symmetric, zero diagonal.
    const : ndarray of shape (n,), default=None

    Returns
    -------
    energies : ndarray of shape (n, ...)
    """
    v = np.asarray(states, dtype=unary.dtype)
    shape = (unary.shape[0],) + (1,) * (v.ndim - 2) + (unary.shape[1],)
    e = (v * unary.reshape(shape)).sum(axis=-1)
    e += 0.5 * ((v @ pairs) * v).sum(axis=-1)
    if const is not None:
        e += const.reshape(shape[:-1])
    return e


def mh_label_vectors(unary, pairs, beta, init, n_sweeps, random_state,
                     burn_in=0, pair_flips=True):
    """Metropolis-Hastings over label vectors, every chain in one numpy step.

    The target of the chains of row ``i`` is ``p(v) ~ exp(-beta E_i(v))``
    with ``E_i(v) = u_i . v + sum_{l<m} P_lm v_l v_m``. One sweep proposes
    to flip each label in turn (single flips, systematic scan), then, with
    ``pair_flips``, ``L // 2`` flips of two labels at once chosen at random,
    which move a chain between label sets of equal size (a swap) where single
    flips would have to cross a high-energy set. Each proposal is accepted
    with probability ``min(1, exp(-beta dE))``. The local field ``u + P v``
    is kept up to date, so a proposal costs O(L) per chain.

    Parameters
    ----------
    unary : ndarray of shape (n, L)
    pairs : ndarray of shape (L, L)
        Symmetric, zero diagonal.
    beta : float
    init : array-like of shape (n, n_chains, L), 0/1
        Starting states.
    n_sweeps : int
        Sweeps, burn-in included.
    random_state : int, RandomState, Generator, RowDraws or None
        The draws have the rows first, ``(n, n_chains, ...)``, so that a
        :class:`~skebm.sampling._random.RowDraws` gives every row the same.
    burn_in : int, default=0
        Sweeps whose states are not kept.
    pair_flips : bool, default=True

    Returns
    -------
    states : ndarray of bool of shape (n_sweeps - burn_in, n, n_chains, L)
        The state after each kept sweep.
    conditionals : ndarray of shape (n, L)
        Mean over kept sweeps and chains of ``p(v_l = 1 | v_-l)``: the
        Rao-Blackwellized estimate of the marginals, of lower variance than
        the visit frequencies.
    acceptance_rate : float

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.sampling import mh_label_vectors
    >>> u = np.array([[-1.0, 0.5]])            # one target, two labels
    >>> P = np.zeros((2, 2))                   # independent labels
    >>> init = np.zeros((1, 20, 2), dtype=bool)
    >>> states, marginals, rate = mh_label_vectors(u, P, 1.0, init, 500, 0,
    ...                                            burn_in=50)
    >>> states.shape
    (450, 1, 20, 2)
    >>> marginals.round(2)                     # exact: expit(1), expit(-0.5)
    array([[0.73, 0.38]])
    """
    unary = np.asarray(unary, dtype=float)
    pairs = np.asarray(pairs, dtype=float)
    state = np.array(init, dtype=bool)
    n, L = unary.shape
    if state.ndim != 3 or state.shape[0] != n or state.shape[2] != L:
        raise ValueError(f"init must have shape (n, n_chains, L) = ({n}, n_chains, "
                         f"{L}), got {state.shape}.")
    if pairs.shape != (L, L):
        raise ValueError(f"pairs must have shape ({L}, {L}), got {pairs.shape}.")
    for name, value, low in [("n_sweeps", n_sweeps, 1), ("burn_in", burn_in, 0)]:
        if not isinstance(value, Integral) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
    if burn_in >= n_sweeps:
        raise ValueError(f"burn_in={burn_in} must be smaller than "
                         f"n_sweeps={n_sweeps}.")
    gen = _generator(random_state)
    c = state.shape[1]
    R = n * c
    state = state.reshape(R, L)
    field = np.repeat(unary, c, axis=0) + state @ pairs
    n_pairs = L // 2 if pair_flips and L > 1 else 0
    out = np.empty((n_sweeps - burn_in, n, c, L), dtype=bool)
    cond = np.zeros((n, L))
    accepted = 0
    rows = np.arange(R)
    for t in range(n_sweeps):
        log_u = np.log(gen.random((n, c, L + n_pairs))).reshape(R, -1).T
        for l in range(L):
            d = 1.0 - 2.0 * state[:, l]
            idx = np.flatnonzero(log_u[l] < -beta * d * field[:, l])
            state[idx, l] ^= True
            field[idx] += d[idx, None] * pairs[l]
            accepted += idx.size
        if n_pairs:
            a = gen.integers(0, L, size=(n, c, n_pairs)).reshape(R, -1).T
            b = (a + gen.integers(1, L, size=(n, c, n_pairs)).reshape(R, -1).T) % L
        for k in range(n_pairs):
            ak, bk = a[k], b[k]
            da = 1.0 - 2.0 * state[rows, ak]
            db = 1.0 - 2.0 * state[rows, bk]
            delta = da * field[rows, ak] + db * field[rows, bk]
            delta += da * db * pairs[ak, bk]
            idx = np.flatnonzero(log_u[L + k] < -beta * delta)
            ai, bi = ak[idx], bk[idx]
            state[idx, ai] ^= True
            state[idx, bi] ^= True
            field[idx] += da[idx, None] * pairs[ai] + db[idx, None] * pairs[bi]
            accepted += idx.size
        if t >= burn_in:
            out[t - burn_in] = state.reshape(n, c, L)
            cond += expit(-beta * field).reshape(n, c, L).mean(axis=1)
    rate = accepted / (n_sweeps * (L + n_pairs) * R)
    return out, cond / (n_sweeps - burn_in), rate
