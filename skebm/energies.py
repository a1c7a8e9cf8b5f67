"""Energy architectures for discrete answers.

An architecture holds its parameters, computes the ``(n_samples, n_answers)``
energy matrix of a batch of inputs against every answer, and back-propagates a
gradient of the same shape into its parameters. It knows nothing about losses.

All parameters live in one flat vector ``params_`` and the named arrays
(``coefs_``, ``intercepts_``, ``prototypes_``) are views into it, so that the
solvers update the whole model in one vectorized step and L-BFGS can drive the
same memory.
"""

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.utils import check_random_state
from sklearn.utils.extmath import safe_sparse_dot

__all__ = ["LinearEnergy", "MLPEnergy", "DistanceEnergy", "ENERGIES"]


def _relu(z):
    return np.maximum(z, 0, out=z)


def _logistic(z):
    # exp(-z) overflows to inf for very negative z, giving the right limit 0
    with np.errstate(over="ignore"):
        return np.divide(1.0, 1.0 + np.exp(-z, out=z), out=z)


# activation, and its derivative expressed through the activation's output
_ACTIVATIONS = {
    "identity": (lambda z: z, lambda a: 1.0),
    "relu": (_relu, lambda a: (a > 0).astype(a.dtype)),
    "tanh": (lambda z: np.tanh(z, out=z), lambda a: 1.0 - a**2),
    "logistic": (_logistic, lambda a: a * (1.0 - a)),
}


class _BaseEnergy:
    """A feed-forward network ``g`` followed by a head mapping ``g(x)`` to
    energies.

    Subclasses set the network's output width (``_n_outputs``), the head
    (``_head``, ``_head_backward``) and any extra parameters.
    """

    def __init__(self, hidden_layer_sizes=(), activation="relu"):
        self.hidden_layer_sizes = tuple(hidden_layer_sizes)
        self.activation = activation

    # -- parameters -------------------------------------------------------
    # whether L2 applies to the parameters after the network's (prototypes)
    _penalize_extra = False

    def _n_outputs(self, n_features, n_answers):
        raise NotImplementedError

    def _extra_shapes(self, n_features, n_answers):
        return []

    def initialize(self, n_features, n_answers, random_state=None,
                   dtype=np.float64, X=None, y=None, sample_weight=None):
        """Allocate and randomly initialize the parameters.

        ``X``, ``y`` (answer columns) and ``sample_weight``, when given, let an
        architecture start from the data (prototypes at weighted class means).
        """
        rng = check_random_state(random_state)
        self.n_features_ = n_features
        self.n_answers_ = n_answers
        sizes = [n_features, *self.hidden_layer_sizes,
                 self._n_outputs(n_features, n_answers)]
        sizes = [s for s in sizes if s]
        shapes = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            shapes += [(fan_in, fan_out), (fan_out,)]
        n_layers = len(shapes) // 2
        shapes += self._extra_shapes(n_features, n_answers)
        sizes_flat = [int(np.prod(s)) for s in shapes]
        self.params_ = np.empty(sum(sizes_flat), dtype=dtype)
        views = self._views(self.params_, shapes)
        self.coefs_ = views[0 : 2 * n_layers : 2]
        self.intercepts_ = views[1 : 2 * n_layers : 2]
        self._extra = views[2 * n_layers :]
        # L2 applies to the network's weights, not to its intercepts
        self.penalized_ = np.zeros(self.params_.size, dtype=bool)
        offsets = np.cumsum([0, *sizes_flat])
        for k in range(0, 2 * n_layers, 2):
            self.penalized_[offsets[k] : offsets[k + 1]] = True
        self.penalized_[offsets[2 * n_layers] :] = self._penalize_extra
        self._shapes = shapes

        factor = 2.0 if self.activation == "logistic" else 6.0
        for coef, intercept in zip(self.coefs_, self.intercepts_):
            # Glorot & Bengio (2010) uniform initialization
            bound = np.sqrt(factor / (coef.shape[0] + coef.shape[1]))
            coef[...] = rng.uniform(-bound, bound, coef.shape)
            intercept[...] = rng.uniform(-bound, bound, intercept.shape)
        if not self.hidden_layer_sizes:
            # a linear model starts near zero, all classes nearly tied, as
            # LogisticRegression does; the noise breaks the ties
            self.params_ *= 0.01
        self._init_extra(rng, X, y, sample_weight)
        return self

    def _init_extra(self, rng, X, y, sample_weight):
        pass

    @staticmethod
    def _views(flat, shapes):
        views, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            views.append(flat[start : start + size].reshape(shape))
            start += size
        return views

    def set_params_vector(self, params):
        """Point the named arrays at a new flat parameter vector."""
        self.params_ = params
        views = self._views(params, self._shapes)
        n_layers = len(self.coefs_)
        self.coefs_ = views[0 : 2 * n_layers : 2]
        self.intercepts_ = views[1 : 2 * n_layers : 2]
        self._extra = views[2 * n_layers :]

    # -- network ----------------------------------------------------------
    def _network_forward(self, X):
        act, _ = _ACTIVATIONS[self.activation]
        activations = [X]
        n_layers = len(self.coefs_)
        for i, (coef, intercept) in enumerate(zip(self.coefs_, self.intercepts_)):
            z = safe_sparse_dot(activations[-1], coef)
            z += intercept
            if i < n_layers - 1:
                z = act(z)
            activations.append(z)
        return activations

    def _network_backward(self, activations, delta, grad):
        _, deriv = _ACTIVATIONS[self.activation]
        grads = self._views(grad, self._shapes)
        n_layers = len(self.coefs_)
        for i in range(n_layers - 1, -1, -1):
            grads[2 * i][...] = safe_sparse_dot(activations[i].T, delta)
            grads[2 * i + 1][...] = delta.sum(axis=0)
            if i > 0:
                delta = (delta @ self.coefs_[i].T) * deriv(activations[i])
        return grads

    # -- energies ---------------------------------------------------------
    def forward(self, X):
        """Energies of the inputs against every answer.

        Returns
        -------
        energies : ndarray of shape (n_samples, n_answers)
        cache : object
            What :meth:`backward` needs.
        """
        activations = self._network_forward(X)
        return self._head(activations[-1]), activations

    def energies(self, X):
        """Energy matrix of shape (n_samples, n_answers)."""
        return self.forward(X)[0]

    def backward(self, cache, d_energies):
        """Gradient of ``sum(d_energies * energies)`` with respect to the flat
        parameter vector."""
        grad = np.zeros_like(self.params_)
        delta, extra_grads = self._head_backward(cache[-1], d_energies)
        views = self._network_backward(cache, delta, grad)
        for view, g in zip(views[2 * len(self.coefs_) :], extra_grads):
            view[...] = g
        return grad


class _ScoreEnergy(_BaseEnergy):
    """``E_k(x) = -g_k(x)``; with ``output="softplus"`` ``softplus(-g_k(x))``;
    with ``output="code"`` the squared distance of the score vector to the
    one-hot code of class k, ``E_k(x) = 1/2 ||g(x) - e_k||^2``.

    The code output is non-negative, orders the classes as ``-g`` does
    (``E_k = 1/2 ||g||^2 - g_k + 1/2``), and at a perfect fit puts the correct
    class at 0 and the others at 1; it is the regression architecture with
    which the tutorial's energy loss is well posed.
    """

    def __init__(self, hidden_layer_sizes=(), activation="relu", output="score"):
        super().__init__(hidden_layer_sizes, activation)
        self.output = output

    def _n_outputs(self, n_features, n_answers):
        return n_answers

    def _head(self, g):
        if self.output == "score":
            return -g
        if self.output == "softplus":
            return np.logaddexp(0.0, -g)
        return 0.5 * (np.einsum("ij,ij->i", g, g)[:, None] - 2.0 * g + 1.0)

    def _head_backward(self, g, d_energies):
        if self.output == "score":
            return -d_energies, []
        if self.output == "softplus":
            return -d_energies * expit(-g), []
        return g * d_energies.sum(axis=1, keepdims=True) - d_energies, []


class LinearEnergy(_ScoreEnergy):
    """Linear energy ``E_k(x) = -(x @ w_k + b_k)``.

    Parameters
    ----------
    output : {"score", "softplus", "code"}, default="score"
        ``"softplus"`` maps the scores to the positive energies
        ``softplus(-g(x))``, ``"code"`` to ``1/2 ||g(x) - e_k||^2`` (see the
        user guide).

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.energies import LinearEnergy
    >>> energy = LinearEnergy().initialize(n_features=4, n_answers=3, random_state=0)
    >>> energy.energies(np.ones((2, 4))).shape
    (2, 3)
    """

    def __init__(self, output="score"):
        super().__init__((), "identity", output)


class MLPEnergy(_ScoreEnergy):
    """Multilayer-perceptron energy ``E_k(x) = -g_k(x)``.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
    output : {"score", "softplus", "code"}, default="score"
        As for :class:`LinearEnergy`.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.energies import MLPEnergy
    >>> energy = MLPEnergy((8,)).initialize(n_features=4, n_answers=3, random_state=0)
    >>> energy.energies(np.ones((2, 4))).shape
    (2, 3)
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", output="score"):
        super().__init__(hidden_layer_sizes, activation, output)


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


ENERGIES = {"linear": LinearEnergy, "mlp": MLPEnergy, "distance": DistanceEnergy}


# -- continuous answers ---------------------------------------------------------
#
# For regression an answer is a real vector, so the candidates are inputs of
# the energy rather than columns of its output. These architectures take the
# candidate answers ``Y`` of every sample (and optionally a ``grid`` shared by
# the whole batch) and return the ``(n_samples, n_candidates)`` energy matrix
# the losses consume, with the same flat parameter vector and backward pass.


class _AnswerEnergy(_BaseEnergy):
    """A network ``G(x)`` of width ``n_answers`` followed by a head scoring
    candidate answers against ``G(x)``."""

    def _n_outputs(self, n_features, n_answers):
        return n_answers

    def network(self, X):
        """``G(X)`` and the activations :meth:`backward` needs."""
        activations = self._network_forward(X)
        return activations[-1], activations

    def forward(self, X, Y, grid=None, G=None):
        """Energies of per-sample candidates ``Y`` and shared ``grid``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_candidates[, n_targets])
        grid : ndarray of shape (n_grid,), default=None
            Answers shared by every sample, appended as columns.
        G : tuple, default=None
            ``network(X)``, when already computed.

        Returns
        -------
        energies : ndarray of shape (n_samples, n_candidates + n_grid)
        cache : object
        """
        g, activations = self.network(X) if G is None else G
        energies, head_cache = self._answer_head(g, Y, grid)
        return energies, (activations, Y, grid, head_cache)

    def backward(self, cache, d_energies):
        activations, Y, grid, head_cache = cache
        grad = np.zeros_like(self.params_)
        d_g = self._answer_head_backward(activations[-1], Y, grid, head_cache,
                                         d_energies)
        self._network_backward(activations, d_g, grad)
        return grad


class QuadraticEnergy(_AnswerEnergy):
    """``E(x, y) = 1/2 ||y - G(x)||^2`` with a linear (no hidden layer) or
    MLP ``G``: regression as an energy, minimized by ``y = G(x)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.energies import QuadraticEnergy
    >>> energy = QuadraticEnergy().initialize(n_features=3, n_answers=1,
    ...                                       random_state=0)
    >>> energy.forward(np.ones((2, 3)), np.zeros((2, 5, 1)))[0].shape
    (2, 5)
    """

    def __init__(self, hidden_layer_sizes=(), activation="relu"):
        super().__init__(hidden_layer_sizes, activation)

    def _answer_head(self, g, Y, grid):
        if grid is not None:
            raise ValueError("QuadraticEnergy takes per-sample answers only.")
        diff = Y - g[:, None, :]
        return 0.5 * np.einsum("ncd,ncd->nc", diff, diff), diff

    def _answer_head_backward(self, g, Y, grid, diff, d_energies):
        return -np.einsum("nc,ncd->nd", d_energies, diff)


class JointEnergy(_AnswerEnergy):
    """A scalar energy of (x, y) that can be low at several y for one x.

    ``E(x, y) = G(x) . psi(y)``: an MLP ``G`` of x (no hidden layer: linear)
    whose last layer is bilinear with fixed Gaussian bumps ``psi_k(y) =
    exp(-(y - c_k)^2 / (2 w^2))`` of the answer. Any energy profile over y in
    the span of the bumps, so any number of modes, is reachable for each x,
    and the energy of a whole grid of answers is one matrix product. With
    ``quadratic=True`` the basis also holds ``y`` and ``y^2 / 2``, so that
    ``E`` contains the Gaussian family ``a(x) y + b(x) y^2 / 2``: a mode
    that moves smoothly with x then needs two outputs of ``G`` rather than
    a pattern over many bumps.
    ``output="softplus"`` maps it to ``log(1 + exp(G . psi))`` > 0 for the
    losses that need non-negative energies; ``output="square"`` to
    ``(G . psi)^2 / 2`` >= 0, for the energy loss, whose minimum is then
    the collapsed surface ``E = 0`` rather than ``-inf``.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
    centers : array-like of shape (n_bumps,)
        Centers ``c_k`` of the bumps.
    width : float
        Width ``w`` of the bumps.
    output : {"score", "softplus", "square"}, default="score"
    quadratic : bool, default=False
        Append ``y`` and ``y^2 / 2`` to the bumps. ``initialize`` takes
        ``n_answers=n_basis``, the number of bumps plus 2 if ``quadratic``.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.energies import JointEnergy
    >>> energy = JointEnergy((8,), centers=np.linspace(-3, 3, 16), width=0.4)
    >>> energy = energy.initialize(n_features=2, n_answers=16, random_state=0)
    >>> E, _ = energy.forward(np.ones((4, 2)), np.zeros((4, 1)),
    ...                       grid=np.linspace(-3, 3, 50))
    >>> E.shape
    (4, 51)
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", centers=(0.0,),
                 width=1.0, output="score", quadratic=False):
        super().__init__(hidden_layer_sizes, activation)
        self.centers = np.asarray(centers, dtype=float)
        self.width = float(width)
        self.output = output
        self.quadratic = quadratic

    @property
    def n_basis(self):
        """Length of ``psi(y)``."""
        return len(self.centers) + 2 * bool(self.quadratic)

    def _n_outputs(self, n_features, n_answers):
        if n_answers != self.n_basis:
            raise ValueError(f"JointEnergy has {self.n_basis} answer features; "
                             f"initialize it with n_answers={self.n_basis}, not "
                             f"{n_answers}.")
        return n_answers

    def basis(self, y):
        """``psi(y)``: shape ``y.shape + (n_basis,)``."""
        y = np.asarray(y)
        z = (y[..., None] - self.centers) / self.width
        psi = np.exp(-0.5 * z * z)
        if self.quadratic:
            psi = np.concatenate([psi, y[..., None], 0.5 * y[..., None] ** 2],
                                 axis=-1)
        return psi.astype(self.params_.dtype, copy=False)

    def _answer_head(self, g, Y, grid):
        psi_y = self.basis(Y)
        scores = [np.einsum("nk,nck->nc", g, psi_y)]
        psi_grid = None
        if grid is not None:
            psi_grid = self.basis(grid)
            scores.append(g @ psi_grid.T)
        s = np.concatenate(scores, axis=1) if len(scores) > 1 else scores[0]
        if self.output == "softplus":
            return np.logaddexp(0.0, s), (psi_y, psi_grid, s)
        if self.output == "square":
            return 0.5 * s * s, (psi_y, psi_grid, s)
        return s, (psi_y, psi_grid, None)

    def _answer_head_backward(self, g, Y, grid, head_cache, d_energies):
        psi_y, psi_grid, s = head_cache
        if s is None:
            d_s = d_energies
        elif self.output == "square":
            d_s = d_energies * s
        else:
            d_s = d_energies * expit(s)
        c = psi_y.shape[1]
        d_g = np.einsum("nc,nck->nk", d_s[:, :c], psi_y)
        if psi_grid is not None:
            d_g += d_s[:, c:] @ psi_grid
        return d_g


__all__ += ["QuadraticEnergy", "JointEnergy"]
