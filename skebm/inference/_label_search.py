"""Inference over label vectors {0,1}^L with the pairwise energy
``E(v) = c + u . v + sum_{l<m} P_lm v_l v_m``: exact enumeration in chunks of
rows, and local search (iterated conditional modes with pair moves) from
several starts, both vectorized over rows and starts."""

import functools

import numpy as np
from scipy.special import logsumexp, softmax

from ..sampling._binary import pairwise_energy

# rows per chunk of an enumeration: chunk x 2^L energies stay about 32 MB
_CHUNK_CELLS = 2**22
# rows x starts x L x L cells of one batch of pair moves
_PAIR_CELLS = 2**22
_MAX_SWEEPS = 100
_MAX_ROUNDS = 50


@functools.lru_cache(maxsize=8)
def _all_vectors(n_labels):
    codes = np.arange(2**n_labels)
    V = ((codes[:, None] >> np.arange(n_labels)) & 1).astype(np.float64)
    V.setflags(write=False)
    return V


def all_label_vectors(n_labels, dtype=np.float64):
    """Every label vector of length ``n_labels``, row ``k`` the binary digits
    of ``k`` (label ``l`` is bit ``l``): shape (2^L, L)."""
    return _all_vectors(n_labels).astype(dtype, copy=False)


def label_codes(V):
    """An int64 key per label vector (the last axis): its binary number for up
    to 52 labels (label ``l`` is bit ``l``), beyond that a fixed random 64-bit
    hash (equal vectors get equal keys; unequal ones collide with probability
    about 2^-64)."""
    V = np.asarray(V)
    L = V.shape[-1]
    if L <= 52:
        # exact in float64 and one BLAS product
        return (V.astype(np.float64) @ np.exp2(np.arange(L))).astype(np.int64)
    weights = np.random.default_rng(0).integers(
        np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=L, dtype=np.int64)
    with np.errstate(over="ignore"):
        return (V.astype(np.int64) * weights).sum(axis=-1)


def _row_chunks(n, n_cells):
    step = max(1, _CHUNK_CELLS // max(n_cells, 1))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def _quadratic(V, pairs):
    return 0.5 * ((V @ pairs) * V).sum(axis=1)


def enumerated_energies(pot, V, quadratic=None):
    """Energies of the rows of ``pot`` against every vector of ``V``; the
    pairwise part ``quadratic`` (one per vector) when already computed."""
    E = pot.unary @ V.T
    E += _quadratic(V, pot.pairs) if quadratic is None else quadratic
    E += pot.const[:, None]
    return E


class Enumeration:
    """Exact inference by enumerating all 2^L label vectors, in chunks of rows.

    Parameters
    ----------
    n_labels : int
    """

    def __init__(self, n_labels):
        self.n_labels = n_labels

    def _blocks(self, pot):
        V = all_label_vectors(self.n_labels, pot.unary.dtype)
        q = _quadratic(V, pot.pairs)
        for rows in _row_chunks(pot.unary.shape[0], V.shape[0]):
            yield rows, V, enumerated_energies(_take(pot, rows), V, q)

    def argmin(self, pot):
        """Lowest-energy vector of each row (the first in code order on a tie)
        and its energy."""
        n, L = pot.unary.shape
        best, energy = np.empty((n, L), dtype=bool), np.empty(n)
        for rows, V, E in self._blocks(pot):
            k = np.argmin(E, axis=1)
            best[rows] = V[k] > 0
            energy[rows] = E[np.arange(len(k)), k]
        return best, energy

    def most_offending(self, pot, target):
        """The lowest-energy vector other than ``target`` (n, L) of each row."""
        n, L = target.shape
        best = np.empty((n, L), dtype=bool)
        codes = label_codes(target)
        for rows, V, E in self._blocks(pot):
            E[np.arange(E.shape[0]), codes[rows]] = np.inf
            best[rows] = V[np.argmin(E, axis=1)] > 0
        return best

    def log_partition(self, pot, beta):
        """``log sum_v exp(-beta E(v))`` of each row."""
        out = np.empty(pot.unary.shape[0])
        for rows, _, E in self._blocks(pot):
            out[rows] = logsumexp(-beta * E, axis=1)
        return out

    def marginals(self, pot, beta):
        """``P(v_l = 1)`` under the Gibbs distribution: (n, L)."""
        out = np.empty(pot.unary.shape)
        for rows, V, E in self._blocks(pot):
            out[rows] = softmax(-beta * E, axis=1) @ V
        return out

    def max_marginals(self, pot):
        """Lowest energy with label ``l`` off and with it on: two (n, L)."""
        off, on = np.empty(pot.unary.shape), np.empty(pot.unary.shape)
        for rows, V, E in self._blocks(pot):
            # vector k has label l as bit l: the top label splits the vectors
            # into two contiguous halves, and their elementwise minimum is the
            # minimum over it, to be split by the next label down
            M = E
            for l in range(self.n_labels - 1, -1, -1):
                half = M.shape[1] // 2
                low, high = M[:, :half], M[:, half:]
                off[rows, l], on[rows, l] = low.min(axis=1), high.min(axis=1)
                M = np.minimum(low, high)
        return off, on

    def sample(self, pot, beta, n_samples, gen):
        """Draws from the Gibbs distribution by inverting its CDF:
        (n, n_samples, L) bool."""
        n, L = pot.unary.shape
        out = np.empty((n, n_samples, L), dtype=bool)
        for rows, V, E in self._blocks(pot):
            cdf = np.cumsum(softmax(-beta * E, axis=1), axis=1)
            cdf[:, -1] = 1.0
            m = cdf.shape[0]
            u = gen.random((m, n_samples))
            # one searchsorted for all rows: offset row i by i
            offsets = np.arange(m)[:, None]
            k = np.searchsorted((cdf + offsets).ravel(), (u + offsets).ravel(),
                                side="right").reshape(m, n_samples)
            k = np.minimum(k - offsets * V.shape[0], V.shape[0] - 1)
            out[rows] = V[k] > 0
        return out


def _take(pot, rows):
    return type(pot)(pot.const[rows], pot.unary[rows], pot.pairs)


def _tolerance(pot):
    scale = 1.0 + np.abs(pot.unary).max(initial=0.0) + np.abs(pot.pairs).sum(
        axis=1).max(initial=0.0)
    return 1e-12 * scale


def local_search(pot, starts, clamp=None):
    """Iterated conditional modes with pair moves, from several starts.

    Each start descends by single-label changes (set label ``l`` on exactly
    when that lowers the energy, labels in turn, until no change), then by
    the best change of two labels at once where it lowers the energy, and
    again by single changes, until neither helps: a local minimum for the
    Hamming distance 2.

    Parameters
    ----------
    pot : potentials with ``const`` (n,), ``unary`` (n, L), ``pairs`` (L, L)
    starts : ndarray of bool of shape (n, s, L)
    clamp : ndarray of int of shape (n, s), default=None
        A label each start keeps at its starting value (-1: none).

    Returns
    -------
    states : ndarray of bool of shape (n, s, L)
    energies : ndarray of shape (n, s)
    """
    n, s, L = starts.shape
    # in float64 whatever the model's dtype: the strict descent's tolerance
    # is far below float32's resolution
    pot = type(pot)(*(np.asarray(a, dtype=np.float64) for a in pot))
    states = np.array(starts, dtype=bool)
    step = max(1, _PAIR_CELLS // max(s * L * L, 1))
    for i in range(0, n, step):
        rows = slice(i, min(i + step, n))
        states[rows] = _descend(_take(pot, rows), states[rows],
                                None if clamp is None else clamp[rows],
                                _tolerance(pot))
    return states, pairwise_energy(states, pot.unary, pot.pairs, pot.const)


def _descend(pot, state, clamp, tol):
    """Local search on (n, s, L) starts; each round works only on the chains
    that the previous round's pair move changed."""
    n, s, L = state.shape
    P = pot.pairs
    st = state.reshape(n * s, L).copy()
    field = np.repeat(pot.unary, s, axis=0) + st @ P
    free = np.ones(st.shape, dtype=bool)
    if clamp is not None:
        free = clamp.reshape(-1, 1) != np.arange(L)
    active = np.arange(n * s)
    for _ in range(_MAX_ROUNDS):
        v, f, ok = st[active], field[active], free[active]
        for _ in range(_MAX_SWEEPS):
            changed = False
            for l in range(L):
                # the change of energy when label l flips is (1 - 2 v_l) field_l
                fl = f[:, l]
                idx = np.flatnonzero(ok[:, l] & ((fl < -tol) != v[:, l])
                                     & (np.abs(fl) > tol))
                if idx.size:
                    d = 1.0 - 2.0 * v[idx, l]
                    v[idx, l] ^= True
                    f[idx] += d[:, None] * P[l]
                    changed = True
            if not changed:
                break
        st[active], field[active] = v, f
        if L < 2:
            break
        d = 1.0 - 2.0 * v
        single = np.where(ok, d * f, np.inf)
        delta = single[:, :, None] + single[:, None, :]
        delta += d[:, :, None] * d[:, None, :] * P
        delta[:, np.arange(L), np.arange(L)] = np.inf
        flat = delta.reshape(len(active), L * L)
        best = np.argmin(flat, axis=1)
        moved = np.flatnonzero(flat[np.arange(len(active)), best] < -tol)
        if not moved.size:
            break
        active = active[moved]
        a, b = np.divmod(best[moved], L)
        for idx in (a, b):
            d = 1.0 - 2.0 * st[active, idx]
            st[active, idx] ^= True
            field[active] += d[:, None] * P[idx]
    return st.reshape(n, s, L)


def flips(target, max_distance):
    """Every vector at Hamming distance 1 (and 2 if ``max_distance`` is 2)
    from each row of ``target`` (n, L): (n, L [+ L(L-1)/2], L) bool."""
    n, L = target.shape
    eye = np.eye(L, dtype=bool)
    masks = [eye]
    if max_distance >= 2 and L > 1:
        a, b = np.triu_indices(L, 1)
        masks.append(eye[a] | eye[b])
    masks = np.concatenate(masks)
    return target[:, None, :] ^ masks[None, :, :]


def search_starts(pot, n_random, gen, extra=None):
    """Starts of the local search: all labels off, the independent decisions
    (label ``l`` on where ``u_l < 0``), ``extra`` states (n, k, L), and
    ``n_random`` uniform random vectors: (n, s, L) bool."""
    n, L = pot.unary.shape
    parts = [np.zeros((n, 1, L), dtype=bool), (pot.unary < 0)[:, None, :]]
    if extra is not None:
        parts.append(np.asarray(extra, dtype=bool))
    if n_random:
        parts.append(gen.random((n, n_random, L)) < 0.5)
    return np.concatenate(parts, axis=1)


def search_argmin(pot, n_random, gen, extra=None):
    """Best local minimum over the starts of :func:`search_starts`, improved
    until no single label, forced to its other value with the rest searched
    again, gives a lower energy. Returns the vectors (n, L), their energies
    (n,), and the lowest energy found with each label at the value opposite
    to the returned vector's (n, L)."""
    n, L = pot.unary.shape
    pot = type(pot)(*(np.asarray(a, dtype=np.float64) for a in pot))
    states, energies = local_search(pot, search_starts(pot, n_random, gen, extra))
    rows = np.arange(n)
    k = np.argmin(energies, axis=1)
    best, energy = states[rows, k], energies[rows, k]
    # the local minima of the other starts bound the energy with a label
    # opposite to the best vector's
    opposite = states != best[:, None, :]
    bound = np.where(opposite, energies[:, :, None], np.inf).min(axis=1)
    clamp = np.broadcast_to(np.arange(L), (n, L))
    for attempt in range(L + 1):
        # each label forced to its other value, the others searched again
        forced, e_forced = local_search(pot, best[:, None, :] ^ np.eye(L, dtype=bool),
                                        clamp)
        j = np.argmin(e_forced, axis=1)
        better = e_forced[rows, j] < energy - _tolerance(pot)
        if not better.any() or attempt == L:
            break
        best = np.where(better[:, None], forced[rows, j], best)
        energy = np.where(better, e_forced[rows, j], energy)
        bound = np.where(better[:, None], np.inf, bound)
    return best, energy, np.maximum(np.minimum(e_forced, bound), energy[:, None])
