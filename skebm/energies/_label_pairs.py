"""Energies of label vectors: the per-label energies of any classifier
architecture, with learned pairwise label interactions added on top."""

from typing import NamedTuple

import numpy as np
from scipy.special import expit

from ._network import output_map


class Potentials(NamedTuple):
    """The pairwise energy of label vectors of a batch of inputs.

    ``E(x_i, v) = const_i + unary_i . v + sum_{l<m} pairs_lm v_l v_m``."""

    const: np.ndarray
    unary: np.ndarray
    pairs: np.ndarray


class _ScoreLoss:
    # what a base architecture is built for: its energies as they are
    name, contrastive, energy_domain = "nll", True, "real"


class LabelPairEnergy:
    """Per-label energies of a base architecture plus pairwise interactions.

    The base architecture (any classifier energy, initialized with one
    answer per label) gives per-label energies ``s(x)`` of shape (n, L); a
    learned offset ``b`` per label is added (so that an architecture of
    non-negative energies, such as ``distance``, can switch a label on), and
    a learned symmetric interaction matrix ``W`` (zero diagonal). The energy
    of a label vector ``v`` presented to a loss depends on ``output``:

    - ``"score"``: ``E(x, v) = (s(x) + b) . v + sum_{l<m} W_lm v_l v_m``;
    - ``"softplus"`` (losses that need non-negative or positive energies):
      each label costs ``softplus(u_l)`` when on and ``softplus(-u_l)`` when
      off (``u = s + b``), each pair ``softplus(W_lm)`` when both are on and
      ``softplus(-W_lm)`` otherwise. This is the score energy plus a smooth
      term that does not depend on ``v`` (``softplus(u) - softplus(-u) =
      u``): the same order of the label vectors, the same mode, and
      ``E > 0``;
    - ``"code"`` (the energy loss, which pulls no wrong answer up): the
      regression architecture ``E(x, v) = 1/2 ||(I - W) v - g(x)||^2`` with
      ``g = -(s + b)`` and ``W`` any zero-diagonal matrix: each label is
      regressed on the input and on the other labels, and ``E >= 0`` has no
      collapsed minimum. Its pairwise energy is the off-diagonal part of
      ``(I - W)^T (I - W)``.

    Every form is a pairwise energy over label vectors, which
    :meth:`potentials` returns; the answer space searches, enumerates or
    samples over it and hands back the gradient with respect to the
    potentials, which :meth:`backward_potentials` takes into the flat
    parameter vector ``[base parameters, b, W]``.

    Parameters
    ----------
    base : architecture
        Built (not initialized) classifier energy, in its score form.
    interactions : bool, default=True
        Learn ``W``; with False labels interact only through the input.
    output : {"score", "softplus", "code"}, default="score"

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.energies import LabelPairEnergy, LinearEnergy
    >>> energy = LabelPairEnergy(LinearEnergy()).initialize(4, 3, random_state=0)
    >>> pot, _ = energy.potentials(np.ones((2, 4)))
    >>> pot.unary.shape, pot.pairs.shape
    ((2, 3), (3, 3))
    """

    def __init__(self, base, interactions=True, output="score"):
        self.base = base
        self.interactions = interactions
        self.output = output

    @classmethod
    def build(cls, base_cls, loss, hidden_layer_sizes=(), activation="relu",
              answers=None, interactions=True):
        """The label-vector energy over ``base_cls`` that ``loss`` asks for."""
        base = base_cls.build(_ScoreLoss(), hidden_layer_sizes, activation, answers)
        return cls(base, interactions, output_map(loss, "code"))

    @property
    def full_batch(self):
        return self.base.full_batch

    def training_defaults(self):
        return self.base.training_defaults()

    def start_training(self):
        """The base architecture's :meth:`start_training`."""
        self.base.start_training()

    def stop_training(self):
        """The base architecture's :meth:`stop_training`."""
        self.base.stop_training()

    def same_architecture(self, other):
        """Whether fitted ``other`` has this architecture."""
        return (type(other) is type(self) and self.output == other.output
                and self.interactions == other.interactions
                and self.base.same_architecture(other.base))

    # -- parameters -------------------------------------------------------
    def _n_pairs(self, L):
        if not self.interactions:
            return 0
        return L * (L - 1) if self.output == "code" else L * (L - 1) // 2

    def initialize(self, n_features, n_answers, random_state=None,
                   dtype=np.float64, X=None, y=None, sample_weight=None):
        """Initialize the base with one answer per label (a ``distance``
        base puts its prototypes at the mean of the rows having each label),
        the offsets so that each label's mean energy is zero, and ``W = 0``.
        """
        L = n_answers
        self.n_features_, self.n_answers_ = n_features, L
        data = {}
        if X is not None and y is not None and np.any(y):
            rows, labels = np.nonzero(y)
            w = None if sample_weight is None else sample_weight[rows]
            data = dict(X=X[rows], y=labels, sample_weight=w)
        self.base.initialize(n_features, L, random_state, dtype=dtype, **data)
        nb = self.base.params_.size
        flat = np.zeros(nb + L + self._n_pairs(L), dtype=dtype)
        flat[:nb] = self.base.params_
        self.penalized_ = np.zeros(flat.size, dtype=bool)
        self.penalized_[:nb] = self.base.penalized_
        # W of the code form is a regression weight, penalized as one; the
        # interactions of the other forms are the intercepts of the pairwise
        # terms and, like intercepts, are not (a penalty on W ties labels
        # that exclude each other to a weak, wrong dependence)
        self.penalized_[nb + L:] = self.output == "code"
        self.set_params_vector(flat)
        if X is not None:
            s = self.base.energies(X)
            w = np.ones(s.shape[0]) if sample_weight is None else sample_weight
            self._offsets[...] = -np.average(s, axis=0, weights=w)
        return self

    def set_params_vector(self, params):
        """Point the named arrays at a new flat parameter vector."""
        self.params_ = params
        L = self.n_answers_
        nb = params.size - L - self._n_pairs(L)
        self.base.set_params_vector(params[:nb])
        self._offsets = params[nb:nb + L]
        self._w = params[nb + L:]

    @property
    def offsets_(self):
        """Learned offset of each label's energy, shape (L,)."""
        return self._offsets

    def _matrix(self):
        L = self.n_answers_
        W = np.zeros((L, L), dtype=self.params_.dtype)
        if not self.interactions:
            return W
        if self.output == "code":
            W[~np.eye(L, dtype=bool)] = self._w
            return W
        W[np.triu_indices(L, 1)] = self._w
        return W + W.T

    @property
    def interactions_(self):
        """The pairwise energy ``P`` of label vectors (symmetric, zero
        diagonal): switching labels ``l`` and ``m`` on together costs
        ``P[l, m]`` more than the sum of switching each on alone."""
        P = self._pairs_and_matrix()[0]
        return P

    def _pairs_and_matrix(self):
        W = self._matrix()
        if self.output != "code":
            return W, W
        R = np.eye(self.n_answers_, dtype=W.dtype) - W
        M = R.T @ R
        return M - np.diag(np.diag(M)), R

    # -- energies ---------------------------------------------------------
    def potentials(self, X):
        """The pairwise energy of label vectors for each input.

        Returns
        -------
        potentials : Potentials
        cache : object
            What :meth:`backward_potentials` needs.
        """
        s, base_cache = self.base.forward(X)
        s = s + self._offsets
        P, R = self._pairs_and_matrix()
        n = s.shape[0]
        if self.output == "score":
            const, unary = np.zeros(n, dtype=s.dtype), s
        elif self.output == "softplus":
            const = np.logaddexp(0.0, -s).sum(axis=1)
            const += np.logaddexp(0.0, -self._w).sum()
            unary = s
        else:
            g = -s
            const = 0.5 * np.einsum("ij,ij->i", g, g)
            unary = -(g @ R) + 0.5 * np.einsum("ij,ij->j", R, R)
        return Potentials(const, unary, P), (base_cache, s, R)

    def energies(self, X):
        """Per-label energies ``u(x)`` (the unary potentials): (n, L)."""
        return self.potentials(X)[0].unary

    def backward_potentials(self, cache, d_const, d_unary, d_pairs):
        """Gradient of ``sum(d_const * const) + sum(d_unary * unary) +
        sum_{l<m} d_pairs[l, m] * pairs[l, m]`` with respect to the flat
        parameter vector (``d_pairs`` symmetric)."""
        base_cache, s, R = cache
        grad = np.zeros_like(self.params_)
        L = self.n_answers_
        upper = d_pairs[np.triu_indices(L, 1)] if self.interactions else 0.0
        if self.output == "score":
            d_s, d_w = d_unary, upper
        elif self.output == "softplus":
            d_s = d_unary - d_const[:, None] * expit(-s)
            d_w = upper - d_const.sum() * expit(-self._w)
        else:
            g = -s
            d_g = d_const[:, None] * g - d_unary @ R.T
            # const and unary depend on M = R^T R through sum S * M
            S = 0.5 * d_pairs
            S[np.diag_indices(L)] = 0.5 * d_unary.sum(axis=0)
            d_R = -(g.T @ d_unary) + 2.0 * R @ S
            d_w = -d_R[~np.eye(L, dtype=bool)]
            d_s = -d_g
        nb = grad.size - L - self._n_pairs(L)
        grad[:nb] = self.base.backward(base_cache, d_s)
        grad[nb:nb + L] = d_s.sum(axis=0)
        if self.interactions:
            grad[nb + L:] = d_w
        return grad

    def backward(self, cache, d_energies):
        """Gradient of ``sum(d_energies * energies)`` over the candidate label
        vectors that the answer space's ``cache`` describes."""
        return self.backward_potentials(cache.network,
                                        *cache.potential_gradient(d_energies))


class _OverLabelVectors:
    """A registered classifier architecture as an estimator's fit uses it:
    built as it is over classes, as a :class:`LabelPairEnergy` over it on
    label vectors (an answer space with ``label_vectors = True``)."""

    # label vectors are discrete: a full-batch step moves the most offending
    # one by whole labels, as among classes
    searched_answers = False

    def __init__(self, cls, interactions):
        self.cls = cls
        self.interactions = interactions

    @property
    def full_batch(self):
        return self.cls.full_batch

    def build(self, loss, hidden_layer_sizes=(), activation="relu", answers=None):
        if getattr(answers, "label_vectors", False):
            return LabelPairEnergy.build(self.cls, loss, hidden_layer_sizes,
                                         activation, answers, self.interactions)
        return self.cls.build(loss, hidden_layer_sizes, activation, answers)


def over_label_vectors(registry, interactions=True):
    """The classifier registry, each architecture built over label vectors as
    a :class:`LabelPairEnergy` (with learned ``interactions`` or without)."""
    return {name: _OverLabelVectors(cls, interactions)
            for name, cls in registry.items()}
