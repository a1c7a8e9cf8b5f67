"""Exact sums over all label vectors without listing them one by one: the
product over independent labels, and the meet-in-the-middle split of the
labels into two halves for pairwise energies."""

import numpy as np
from scipy.special import expit, logsumexp, softmax

from ..sampling._binary import pairwise_energy
from ._label_search import all_label_vectors, enumerated_energies
from ._temperature import fit_inverse_temperature


class Independent:
    """Exact inference for labels without interactions (``pairs = 0``), at
    any ``L``: the Gibbs distribution is a product over labels."""

    @staticmethod
    def argmin(pot):
        return pot.unary < 0

    @staticmethod
    def log_partition(pot, beta):
        return -beta * pot.const + np.logaddexp(0.0, -beta * pot.unary).sum(axis=1)

    @staticmethod
    def marginals(pot, beta):
        return expit(-beta * pot.unary)

    @staticmethod
    def max_marginals(pot):
        # up to the lowest energy of the other labels, shared by both
        return np.zeros_like(pot.unary), pot.unary

    @staticmethod
    def sample(pot, beta, n_samples, gen):
        p = expit(-beta * pot.unary)
        return gen.random((p.shape[0], n_samples, p.shape[1])) < p[:, None, :]

    @staticmethod
    def free_energy(pot, beta):
        """``-(1/beta) log Z`` and its gradient with respect to ``unary``
        (the marginals): (n,), (n, L)."""
        free = pot.const - np.logaddexp(0.0, -beta * pot.unary).sum(axis=1) / beta
        return free, expit(-beta * pot.unary)


class SplitSum:
    """The partition over all 2^L label vectors of a pairwise energy, by
    splitting the labels into a first half ``A`` and the rest ``B``.

    ``E(a, b) = c + e_A(a) + e_B(b) + a^T P_AB b``, where the coupling
    ``C(a, b) = a^T P_AB b`` does not depend on the input. So for each row
    ``sum_b exp(-beta (e_B(b) + C(a, b)))`` is one product of an
    (n, 2^|B|) matrix with the (2^|B|, 2^|A|) matrix ``exp(-beta C)``: the
    free energy of every half-vector ``a``,
    ``F(a) = c + e_A(a) - (1/beta) log sum_b exp(-beta (e_B(b) + C(a, b)))``,
    costs n 2^L multiply-adds in BLAS and n 2^(L/2) memory, and
    ``log Z = logsumexp_a(-beta F(a))``. The gradient of ``F(a)`` is the
    expectation of the energy's gradient over ``b`` given ``a``:
    :meth:`potential_gradient` takes ``dL/dF`` (n, 2^|A|) to ``dL/d`` of the
    potentials with three such products.

    Parameters
    ----------
    pot : Potentials
    beta : float

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import logsumexp
    >>> from skebm.energies import Potentials
    >>> from skebm.inference._label_search import (all_label_vectors,
    ...                                            enumerated_energies)
    >>> from skebm.inference._label_sums import SplitSum
    >>> rng = np.random.default_rng(0)
    >>> P = np.triu(rng.normal(size=(5, 5)), 1)
    >>> pot = Potentials(np.zeros(2), rng.normal(size=(2, 5)), P + P.T)
    >>> split = SplitSum(pot, beta=1.0)
    >>> E = enumerated_energies(pot, all_label_vectors(5))
    >>> np.allclose(logsumexp(-split.free, axis=1), logsumexp(-E, axis=1))
    True
    """

    def __init__(self, pot, beta):
        L = pot.unary.shape[1]
        h = L // 2
        dtype = pot.unary.dtype
        self.VA = all_label_vectors(h, dtype)
        self.VB = all_label_vectors(L - h, dtype)
        self.h, self.beta = h, beta
        P = pot.pairs
        VA, VB = self.VA, self.VB
        eA = pot.unary[:, :h] @ VA.T + 0.5 * ((VA @ P[:h, :h]) * VA).sum(axis=1)
        eB = pot.unary[:, h:] @ VB.T + 0.5 * ((VB @ P[h:, h:]) * VB).sum(axis=1)
        C = -beta * (self.VA @ P[:h, h:] @ self.VB.T)
        # each exponential scaled by its own maximum, then the logs put back
        mB = (-beta * eB).max(axis=1, keepdims=True)
        self.G = np.exp(-beta * eB - mB)
        mC = C.max(axis=1, keepdims=True)
        self.K = np.exp(C - mC)
        self.T = self.G @ self.K.T
        with np.errstate(divide="ignore"):
            log_sum = np.log(self.T) + mB + mC.T
        self.free = pot.const[:, None] + eA - log_sum / beta

    def log_partition(self):
        """``log sum_v exp(-beta E(v))`` of each row."""
        return logsumexp(-self.beta * self.free, axis=1)

    def marginals(self):
        """``P(v_l = 1)`` of each row: the gradient of the free energy
        ``-(1/beta) log Z`` with respect to the unary potentials."""
        return self.potential_gradient(softmax(-self.beta * self.free, axis=1))[1]

    def potential_gradient(self, d_free):
        """``dL/d(const, unary, pairs)`` from ``dL/dF`` (n, 2^|A|)."""
        h = self.h
        with np.errstate(divide="ignore", invalid="ignore"):
            Q = np.where(self.T > 0, d_free / self.T, 0.0)
        R = (Q @ self.K) * self.G
        d_unary = np.concatenate([d_free @ self.VA, R @ self.VB], axis=1)
        L = d_unary.shape[1]
        d_pairs = np.zeros((L, L), dtype=d_unary.dtype)
        d_pairs[:h, :h] = (self.VA * d_free.sum(axis=0)[:, None]).T @ self.VA
        d_pairs[h:, h:] = (self.VB * R.sum(axis=0)[:, None]).T @ self.VB
        d_pairs[:h, h:] = self.VA.T @ ((Q.T @ self.G) * self.K) @ self.VB
        d_pairs[h:, :h] = d_pairs[:h, h:].T
        d_pairs[np.diag_indices(L)] = 0.0
        return d_free.sum(axis=1), d_unary, d_pairs


def independent_free(pot, beta):
    """The free energy of independent labels as one column, and the map of
    its gradient to the potentials."""
    free, marginals = Independent.free_energy(pot, beta)

    def gradient(d_free):
        return (d_free[:, 0], d_free * marginals,
                (marginals * d_free).T @ marginals)

    return free[:, None], gradient


def split_rows(pot, beta, what):
    """``SplitSum(...).what()`` in chunks of rows."""
    n, L = pot.unary.shape
    out = np.empty((n, L) if what == "marginals" else n)
    step = max(1, 2**22 // 2 ** ((L + 1) // 2))
    for i in range(0, n, step):
        rows = slice(i, min(i + step, n))
        part = type(pot)(pot.const[rows], pot.unary[rows], pot.pairs)
        out[rows] = getattr(SplitSum(part, beta), what)()
    return out


def fit_label_temperature(pot, Y, sample_weight, how):
    """The inverse temperature maximizing the likelihood of the label
    vectors ``Y``, by enumeration (``how="flat"``: stable at any ``beta``,
    where the split's halves would underflow), or (``"pseudo"``) their
    pseudo-likelihood, the product over labels of each label's probability
    given the others: cheap at any ``L`` and the likelihood itself for
    independent labels, but overconfident where labels predict each other.
    The targets are smoothed by one pseudo-observation of a uniform label
    vector, so that separable training data do not drive ``beta`` to
    infinity."""
    pot = type(pot)(*(np.asarray(a, dtype=np.float64) for a in pot))
    Y = np.asarray(Y, dtype=bool)
    w = sample_weight / sample_weight.sum()
    smooth = 1.0 / (sample_weight.sum() + 1.0)
    if how == "pseudo":
        # the energy of flipping each label of the target; its probability
        # given the other labels is expit(b delta)
        delta = (1.0 - 2.0 * Y) * (pot.unary + Y @ pot.pairs)

        def nll_gradient(b):
            grad = -(1 - smooth / 2) * delta * expit(-b * delta)
            grad += smooth / 2 * delta * expit(b * delta)
            return float(w @ grad.sum(axis=1))

        return fit_inverse_temperature(nll_gradient, float(np.abs(delta).mean()))
    # the energy of the target, smoothed by the mean energy of all vectors
    upper = np.triu_indices(Y.shape[1], 1)
    mean = pot.const + pot.unary.sum(axis=1) / 2 + pot.pairs[upper].sum() / 4
    e_target = pairwise_energy(Y[:, None, :], pot.unary, pot.pairs, pot.const)[:, 0]
    target = (1 - smooth) * e_target + smooth * mean
    E = enumerated_energies(pot, all_label_vectors(Y.shape[1]))

    def expected_energy(b):
        return (softmax(-b * E, axis=1) * E).sum(axis=1)

    def nll_gradient(b):
        # d/db of b E_target + log sum_v exp(-b E(v))
        return float(w @ (target - expected_energy(b)))

    return fit_inverse_temperature(nll_gradient, float(np.std(E, axis=1).mean()))
