"""Squared distances to learned class prototypes."""

import numpy as np
from scipy import sparse
from sklearn.utils.extmath import safe_sparse_dot

from ._network import _ACTIVATIONS, _BaseEnergy


class DistanceEnergy(_BaseEnergy):
    """Squared distance to learned class prototypes.

    ``E_k(x) = ||h(x) - p_k||^2 / D``, with ``h`` the identity (no hidden
    layers) or the last hidden layer of an MLP, and ``D`` the embedding width,
    so that energies keep the same scale whatever the width. Prototypes start
    at the class means of the initial embedding.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=()
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.energies import DistanceEnergy
    >>> X, y = np.array([[0.0, 0.0], [2.0, 2.0]]), np.array([0, 1])
    >>> energy = DistanceEnergy().initialize(2, 2, random_state=0, X=X, y=y)
    >>> energy.energies(X).round()
    array([[0., 4.],
           [4., 0.]])
    """

    def __init__(self, hidden_layer_sizes=(), activation="relu"):
        super().__init__(hidden_layer_sizes, activation)

    @classmethod
    def build(cls, loss, hidden_layer_sizes=(), activation="relu", answers=None):
        if not loss.contrastive and hidden_layer_sizes:
            raise ValueError(
                f"loss={loss.name!r} with energy='distance' and a learned "
                f"embedding (hidden_layer_sizes={hidden_layer_sizes}) is "
                "ill-posed: nothing pulls the energies of wrong classes up, so "
                "the embedding and every prototype collapse to one point. Use "
                "hidden_layer_sizes=() (prototypes in input space, which this "
                "loss moves to the class means) or a contrastive loss."
            )
        return cls(hidden_layer_sizes, activation)

    def _n_outputs(self, n_features, n_answers):
        # the embedding is the input itself or the last hidden layer
        return 0

    @property
    def _penalize_extra(self):
        # In input space the prototypes are the model's weights, and L2 shrinks
        # them toward the origin (the mean of standardized data). In a learned
        # embedding they act as output weights 2 p / D, whose scale follows the
        # embedding's: a penalty on p would hold them D^2 / 4 times tighter
        # than an MLP's output layer and keep the model near linear.
        return not self.hidden_layer_sizes

    def _embedding_dim(self, n_features):
        return self.hidden_layer_sizes[-1] if self.hidden_layer_sizes else n_features

    def _extra_shapes(self, n_features, n_answers):
        return [(n_answers, self._embedding_dim(n_features))]

    @property
    def prototypes_(self):
        return self._extra[0]

    def _network_forward(self, X):
        # with hidden layers, the last one keeps its activation: it is the embedding
        act, _ = _ACTIVATIONS[self.activation]
        activations = [X]
        for coef, intercept in zip(self.coefs_, self.intercepts_):
            z = safe_sparse_dot(activations[-1], coef)
            z += intercept
            activations.append(act(z))
        return activations

    def _network_backward(self, activations, delta, grad):
        if self.coefs_:
            _, deriv = _ACTIVATIONS[self.activation]
            delta = delta * deriv(activations[-1])
            return super()._network_backward(activations, delta, grad)
        return self._views(grad, self._shapes)

    def _init_extra(self, rng, X, y, sample_weight):
        protos = self.prototypes_
        protos[...] = rng.normal(scale=0.01, size=protos.shape)
        if X is None:
            return
        h = self._network_forward(X)[-1]
        w = np.ones(len(y)) if sample_weight is None else sample_weight
        counts = np.bincount(y, weights=w, minlength=protos.shape[0])
        sums = safe_sparse_dot(_one_hot(y, protos.shape[0], w).T, h, dense_output=True)
        overall = np.asarray(h.T @ w).ravel() / w.sum()
        seen = counts > 0
        protos[seen] += sums[seen] / counts[seen, None]
        protos[~seen] += overall

    def _head(self, h):
        p = self.prototypes_
        if sparse.issparse(h):
            # sparse arrays sum to 1-D, sparse matrices to a column
            h_sq = np.asarray(h.multiply(h).sum(axis=1)).reshape(-1, 1)
        else:
            h_sq = np.einsum("ij,ij->i", h, h)[:, None]
        d2 = h_sq - 2.0 * safe_sparse_dot(h, p.T, dense_output=True)
        d2 += np.einsum("ij,ij->i", p, p)
        # the expanded form can dip below zero by rounding
        return np.maximum(d2, 0.0) / p.shape[1]

    def _head_backward(self, h, d_energies):
        p = self.prototypes_
        scale = 2.0 / p.shape[1]
        col = d_energies.sum(axis=0)
        d_p = scale * (p * col[:, None]
                       - safe_sparse_dot(d_energies.T, h, dense_output=True))
        if not self.coefs_:
            return None, [d_p]
        d_h = scale * (h * d_energies.sum(axis=1, keepdims=True) - d_energies @ p)
        return d_h, [d_p]


def _one_hot(y, n, weights):
    return sparse.csr_matrix((weights, (np.arange(len(y)), y)), shape=(len(y), n))
