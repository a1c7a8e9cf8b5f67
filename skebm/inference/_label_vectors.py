"""Label vectors {0,1}^L (multi-label targets): exact enumeration while 2^L
is small, local search and Metropolis-Hastings beyond."""

import numpy as np
from sklearn.utils import check_random_state

from ..sampling._binary import mh_label_vectors, pairwise_energy
from ..sampling._random import RowDraws, _generator
from ._base import AnswerSpace, Candidates
from ._label_search import (
    Enumeration,
    all_label_vectors,
    enumerated_energies,
    flips,
    label_codes,
    local_search,
    search_argmin,
    search_starts,
)
from ._label_sums import (
    Independent,
    SplitSum,
    fit_label_temperature,
    independent_free,
    split_rows,
)

# approximate path: random starts of the local search at inference and in
# training; chains, sweeps and burn-in sweeps of the Metropolis-Hastings runs
# for marginals and samples (inference) and for the NLL's candidates (training)
_N_RANDOM_STARTS = 8
_N_TRAIN_RANDOM_STARTS = 2
_INFER_CHAINS, _INFER_SWEEPS, _INFER_BURN_IN = 8, 150, 30
_TRAIN_CHAINS, _TRAIN_SWEEPS = 4, 4
# the training candidates include every vector within this Hamming distance of
# the target while L is at most _MAX_LABELS_DISTANCE_2, distance 1 beyond
_MAX_LABELS_DISTANCE_2 = 32
_MAX_TEMPERATURE_ROWS = 4000
# the exact path lists all 2^L vectors to the loss up to this many labels;
# beyond, the partition is a split sum and the most offending answer is found
# by enumeration in chunks
_FLAT_TRAINING_LABELS = 10


class _LabelCache:
    """What the energy's ``backward`` needs: the network's cache and the map
    from ``dL/dE`` over the candidates to ``dL/d(potentials)``.

    ``vectors`` are the first candidates, label vectors shared by all rows
    (K, L) or per row (n, K, L); ``extra``, if any, maps the gradient of the
    remaining columns (free energies of a :class:`SplitSum`, or of
    independent labels) to the potentials.
    """

    def __init__(self, network, vectors, extra=None):
        self.network = network
        self.vectors = vectors
        self.extra = extra

    def potential_gradient(self, d_energies):
        V = self.vectors
        K = V.shape[-2]
        D = d_energies[:, :K]
        if V.ndim == 2:  # the same candidates for every row: (K, L)
            d_unary = D @ V
            weighted = V * D.sum(axis=0)[:, None]
        else:  # candidates of each row: (n, K, L)
            d_unary = np.einsum("nk,nkl->nl", D, V)
            weighted = (V * D[:, :, None]).reshape(-1, V.shape[2])
            V = V.reshape(-1, V.shape[2])
        d_pairs = weighted.T @ V
        d_const = D.sum(axis=1)
        if self.extra is not None:
            dc, du, dp = self.extra(d_energies[:, K:])
            d_const, d_unary, d_pairs = d_const + dc, d_unary + du, d_pairs + dp
        d_pairs[np.diag_indices_from(d_pairs)] = 0.0
        return d_const, d_unary, d_pairs


class LabelVectorSpace(AnswerSpace):
    """Label vectors ``{0,1}^L``: the answers of a multi-label classifier.

    The energy of a label vector is pairwise,
    ``E(x, v) = c(x) + u(x) . v + sum_{l<m} P_lm v_l v_m`` (see
    :class:`~skebm.energies.LabelPairEnergy`). While
    ``L <= max_enumerated_labels`` inference is exact: all 2^L vectors are
    enumerated (vectorized, in chunks of rows), every loss sees them all, and
    the most offending incorrect answer is the lowest-energy vector other than
    the target. Beyond, inference is a search:

    - the argmin: iterated conditional modes with moves of two labels at
      once, from several starts (all labels off, the independent decisions
      ``u_l < 0``, random vectors), then each label forced to its other value
      and the rest searched again while that finds a lower energy;
    - the most offending incorrect answer: the lowest energy among every
      vector at Hamming distance 1 or 2 from the target and the local minima
      reached from the target and from the starts above (not counting the
      target itself);
    - the NLL's log-partition: the log-sum-exp over the distinct vectors
      that these candidates and short Metropolis-Hastings chains
      (:func:`~skebm.sampling.mh_label_vectors`, single- and two-label flips)
      visit, a lower bound that the chains make tight where the Gibbs
      distribution concentrates, and whose gradient is exact for that set;
    - marginals and samples: Metropolis-Hastings chains started at the
      argmin; marginals are Rao-Blackwellized (the mean of each label's
      conditional probability).

    With a ``sampler``, on either path, the NLL's contrastive term is the
    visit frequencies of its chains, started at the target.

    Parameters
    ----------
    n_labels : int
    max_enumerated_labels : int, default=16
        Enumerate the 2^L label vectors while ``L`` is at most this.
    sampler : MHSampler or None, default=None
    partition : bool, default=True
        Whether the loss uses the log-partition (chains are run for it).
    contrastive : bool, default=True
        Whether the loss looks at answers other than the target.
    independent : bool, default=False
        Whether the labels have no interactions (``P = 0``): inference is
        then exact at any ``L``, the Gibbs distribution being a product over
        labels.
    seed : int, default=0
        Seed of the random starts and chains of inference, and of training
        steps that ask for a deterministic objective (L-BFGS).

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.energies import Potentials
    >>> from skebm.inference import LabelVectorSpace
    >>> pot = Potentials(np.zeros(1), np.array([[-1.0, -1.0, 0.5]]),
    ...                  np.array([[0.0, 3.0, 0.0], [3.0, 0.0, 0.0],
    ...                            [0.0, 0.0, 0.0]]))
    >>> space = LabelVectorSpace(3)
    >>> space.argmin(pot).astype(int)  # labels 0 and 1 exclude each other
    array([[1, 0, 0]])
    >>> space.marginals(pot, beta=1.0).round(2)
    array([[0.45, 0.45, 0.38]])
    """

    #: marks the space for the architectures built over it
    label_vectors = True

    def __init__(self, n_labels, max_enumerated_labels=16, sampler=None,
                 partition=True, contrastive=True, independent=False, seed=0):
        self.n_labels = n_labels
        self.independent = independent
        self.max_enumerated_labels = max_enumerated_labels
        self.sampler = sampler
        self.partition = partition
        self.contrastive = contrastive
        self.seed = seed

    @property
    def n_answers(self):
        """Width of the per-label energies: one column per label."""
        return self.n_labels

    @property
    def exact(self):
        """Whether inference enumerates every label vector."""
        return self.n_labels <= self.max_enumerated_labels

    def _gen(self, random_state=None):
        return _generator(self.seed if random_state is None else random_state)

    def _row_draws(self, pot):
        """The random starts and chains of inference: the same draws for
        every row (:class:`~skebm.sampling._random.RowDraws`), so that a row's
        answer and marginals do not depend on the rows beside it."""
        return RowDraws(self.seed, pot.unary.shape[0])

    # -- training --------------------------------------------------------------
    def candidates(self, energy, X, Y, step):
        pot, network = energy.potentials(X)
        Y = np.asarray(Y, dtype=bool)
        gen = self._gen(step.rng)
        if self.independent and self.sampler is None:
            return self._independent_candidates(pot, network, Y, step.beta)
        if self.exact and (self.n_labels <= _FLAT_TRAINING_LABELS or (
                self.sampler is None)):
            return self._exact_candidates(pot, network, Y, step.beta, gen)
        L = self.n_labels
        columns = [Y[:, None, :]]
        if self.contrastive:
            columns.append(flips(Y, 2 if L <= _MAX_LABELS_DISTANCE_2 else 1))
        if self.partition and self.sampler is None:
            # chains from the target and from the independent decisions
            half = _TRAIN_CHAINS // 2
            init = np.concatenate([np.repeat(Y[:, None, :], half, axis=1),
                                   np.repeat((pot.unary < 0)[:, None, :],
                                             _TRAIN_CHAINS - half, axis=1)], axis=1)
            states, _, _ = mh_label_vectors(pot.unary, pot.pairs, step.beta, init,
                                            _TRAIN_SWEEPS, gen)
            columns.append(states.transpose(1, 0, 2, 3).reshape(len(Y), -1, L))
        elif self.contrastive and not self.partition:
            starts = search_starts(pot, _N_TRAIN_RANDOM_STARTS, gen, Y[:, None, :])
            columns.append(local_search(pot, starts)[0])
        n_fixed = sum(c.shape[1] for c in columns)
        if self.partition and self.sampler is not None:
            columns.append(self._chains(pot, Y, step.beta, gen))
        C = np.concatenate(columns, axis=1)
        keys = label_codes(C)
        log_weights = contrast = None
        if self.partition:
            log_weights = _first_occurrence(keys)
            if self.sampler is not None:
                contrast = np.zeros(keys.shape)
                contrast[:, n_fixed:] = 1.0 / (C.shape[1] - n_fixed)
        Cf = C.astype(pot.unary.dtype)
        E = pairwise_energy(Cf, pot.unary, pot.pairs, pot.const)
        return E, _LabelCache(network, Cf), Candidates(
            np.zeros(len(Y), dtype=np.intp), keys != keys[:, :1], log_weights,
            contrast)

    def _independent_candidates(self, pot, network, Y, beta):
        """Exact candidates for labels without interactions, at any ``L``: for
        a partition the target and the free energy, for a margin the target,
        the mode and the mode with its cheapest label flipped."""
        n = len(Y)
        if self.partition:
            return self._with_free_energies(pot, network, Y,
                                            *independent_free(pot, beta))
        columns = [Y[:, None, :]]
        if self.contrastive:
            mode = pot.unary < 0
            cheapest = np.argmin(np.abs(pot.unary), axis=1)
            second = mode.copy()
            second[np.arange(n), cheapest] ^= True
            columns += [mode[:, None, :], second[:, None, :]]
        C = np.concatenate(columns, axis=1)
        keys = label_codes(C)
        Cf = C.astype(pot.unary.dtype)
        E = pairwise_energy(Cf, pot.unary, pot.pairs, pot.const)
        return E, _LabelCache(network, Cf), Candidates(
            np.zeros(n, dtype=np.intp), keys != keys[:, :1])

    def _exact_candidates(self, pot, network, Y, beta, gen):
        """Every vector of a flat enumeration while ``L`` is small; beyond,
        the target and the split's free energies (a partition), or the target
        and the lowest-energy other vector (a margin), found by enumeration
        in chunks."""
        n, L = Y.shape
        if L <= _FLAT_TRAINING_LABELS:
            V = all_label_vectors(L, pot.unary.dtype)
            E = enumerated_energies(pot, V)
            contrast = None
            if self.sampler is not None:
                states = self._chains(pot, Y, beta, gen)
                index = label_codes(states) + (np.arange(n) * V.shape[0])[:, None]
                contrast = np.bincount(index.ravel(), minlength=E.size).reshape(
                    E.shape) / states.shape[1]
            return E, _LabelCache(network, V), Candidates(
                label_codes(Y).astype(np.intp), contrast=contrast)
        if self.partition:
            split = SplitSum(pot, beta)
            return self._with_free_energies(pot, network, Y, split.free,
                                            split.potential_gradient)
        columns = [Y[:, None, :]]
        if self.contrastive:
            columns.append(Enumeration(L).most_offending(pot, Y)[:, None, :])
        C = np.concatenate(columns, axis=1).astype(pot.unary.dtype)
        E = pairwise_energy(C, pot.unary, pot.pairs, pot.const)
        return E, _LabelCache(network, C), Candidates(np.zeros(n, dtype=np.intp))

    @staticmethod
    def _with_free_energies(pot, network, Y, free, gradient):
        """The target's energy, then free energies whose log-sum-exp is the
        log-partition (the target's column left out of it)."""
        C = Y[:, None, :].astype(pot.unary.dtype)
        E = np.column_stack([pairwise_energy(C, pot.unary, pot.pairs, pot.const),
                             free])
        log_weights = np.zeros(E.shape)
        log_weights[:, 0] = -np.inf
        return E, _LabelCache(network, C, gradient), Candidates(
            np.zeros(len(Y), dtype=np.intp), log_weights=log_weights)

    def _chains(self, pot, Y, beta, gen):
        """Kept states of the sampler's chains, started at the targets:
        (n, n_kept * n_chains, L)."""
        s = self.sampler
        init = np.repeat(Y[:, None, :], s.n_chains, axis=1)
        states, _, _ = mh_label_vectors(pot.unary, pot.pairs, beta, init, s.n_steps,
                                        gen, burn_in=s._burn_in_steps())
        return states.transpose(1, 0, 2, 3).reshape(len(Y), -1, self.n_labels)

    def check_sampler(self, sampler, loss):
        super().check_sampler(sampler, loss)
        if sampler._burn_in_steps() >= sampler.n_steps:
            raise ValueError("the sampler keeps no state: burn_in must be smaller "
                             "than n_steps.")

    # -- inference -------------------------------------------------------------
    @property
    def _exact(self):
        """The exact engine: the product over independent labels, the
        enumeration, or None (search and sampling)."""
        if self.independent:
            return Independent()
        return Enumeration(self.n_labels) if self.exact else None

    @property
    def _split(self):
        # exact sums by the split beat the flat enumeration past 2^10 vectors
        return self.exact and not self.independent and (
            self.n_labels > _FLAT_TRAINING_LABELS)

    def argmin(self, pot):
        """The lowest-energy label vector of each row: (n, L) bool."""
        if self.independent:
            return Independent.argmin(pot)
        if self.exact:
            return Enumeration(self.n_labels).argmin(pot)[0]
        return search_argmin(pot, _N_RANDOM_STARTS, self._row_draws(pot))[0]

    def decision(self, pot):
        """Max-marginal differences: for each label, the lowest energy with
        it off minus the lowest with it on, (n, L). Positive exactly for the
        labels of :meth:`argmin` (where the mode is unique); on the
        approximate path the lowest energy on the mode's other side is an
        upper bound, found by search."""
        if self._exact is not None:
            off, on = self._exact.max_marginals(pot)
            return off - on
        best, energy, other = search_argmin(pot, _N_RANDOM_STARTS,
                                            self._row_draws(pot))
        return np.where(best, other - energy[:, None], energy[:, None] - other)

    def _run(self, pot, beta, n_chains, n_sweeps, burn_in, gen):
        mode = self.argmin(pot)
        init = np.repeat(mode[:, None, :], n_chains, axis=1)
        return mh_label_vectors(pot.unary, pot.pairs, beta, init, n_sweeps, gen,
                                burn_in=burn_in)

    def marginals(self, pot, beta):
        """``P(v_l = 1 | x)`` under the Gibbs distribution: (n, L)."""
        if self._split:
            return split_rows(pot, beta, "marginals")
        if self._exact is not None:
            return self._exact.marginals(pot, beta)
        return self._run(pot, beta, _INFER_CHAINS, _INFER_SWEEPS, _INFER_BURN_IN,
                         self._row_draws(pot))[1]

    def sample(self, pot, beta, n_samples, random_state):
        """Label vectors drawn from the Gibbs distribution:
        (n, n_samples, L) bool; on the approximate path one state of each of
        ``n_samples`` chains after the burn-in."""
        gen = _generator(check_random_state(random_state))
        if self._exact is not None:
            return self._exact.sample(pot, beta, n_samples, gen)
        states = self._run(pot, beta, n_samples, _INFER_BURN_IN + 1, _INFER_BURN_IN,
                           gen)[0]
        return states[-1]

    def log_partition(self, pot, beta):
        """``log sum_v exp(-beta E(v))`` of each row, exact (enumeration, or
        the product over independent labels)."""
        if self._exact is None:
            raise ValueError(
                f"The log-partition over the 2^{self.n_labels} label vectors is "
                "only computed exactly: set max_enumerated_labels >= "
                f"{self.n_labels} (the cost grows as 2^L).")
        if self._split:
            return split_rows(pot, beta, "log_partition")
        return self._exact.log_partition(pot, beta)

    def score(self, energy, X, Y, sample_weight, beta):
        """Weighted subset accuracy of the argmin, for early stopping."""
        pred = self.argmin(energy.potentials(X)[0])
        return float(np.average(np.all(pred == Y.astype(bool), axis=1),
                                weights=sample_weight))

    def fit_beta(self, energy, X, Y, sample_weight, loss, beta):
        """Inverse temperature of the Gibbs distribution: the loss's own for a
        loss with a partition (NLL), which fixes the energy scale; otherwise
        fitted to the training label vectors (their likelihood on the exact
        path, on at most 4000 rows and 2^22 / 2^L of them, at least 64; their
        pseudo-likelihood beyond): see ``_label_sums.fit_label_temperature``.
        """
        if loss.partition:
            return beta
        how = "pseudo" if self.independent or not self.exact else "flat"
        # a few thousand rows pin one parameter down; an enumeration's cost
        # grows as rows x 2^L
        n_max = _MAX_TEMPERATURE_ROWS if how != "flat" else min(
            _MAX_TEMPERATURE_ROWS, max(64, 2**22 >> self.n_labels))
        if X.shape[0] > n_max:
            rows = np.linspace(0, X.shape[0] - 1, n_max).astype(int)
            X, Y, sample_weight = X[rows], Y[rows], sample_weight[rows]
        with np.errstate(over="ignore", invalid="ignore"):
            pot = energy.potentials(X)[0]
        return fit_label_temperature(pot, Y, sample_weight, how)


def _first_occurrence(keys):
    """Log-weights counting each distinct key of a row once: 0 at its first
    column, -inf at repeats."""
    order = np.argsort(keys, axis=1, kind="stable")
    sorted_keys = np.take_along_axis(keys, order, axis=1)
    repeat = np.zeros(keys.shape, dtype=bool)
    repeat[:, 1:] = sorted_keys[:, 1:] == sorted_keys[:, :-1]
    log_weights = np.empty(keys.shape)
    np.put_along_axis(log_weights, order, np.where(repeat, -np.inf, 0.0), axis=1)
    return log_weights
