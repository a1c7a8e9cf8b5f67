"""The feed-forward network every architecture is built on, with all its
parameters in one flat vector."""

import copy
import math

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils.extmath import safe_sparse_dot


def _relu(z):
    return np.maximum(z, 0, out=z)


def _logistic(z):
    # exp(-z) overflows to inf for very negative z, giving the right limit 0
    with np.errstate(over="ignore"):
        return np.divide(1.0, 1.0 + np.exp(-z, out=z), out=z)


# activation, and its derivative expressed through the activation's output
_ACTIVATIONS = {
    "identity": (lambda z: z, lambda a: 1.0),
    # a mask: multiplying by it costs less than a float copy of it
    "relu": (_relu, lambda a: a > 0),
    "tanh": (lambda z: np.tanh(z, out=z), lambda a: 1.0 - a**2),
    "logistic": (_logistic, lambda a: a * (1.0 - a)),
}


# the softplus output's last layer starts this much smaller than Glorot's:
# every answer at nearly one energy, every target inside LVQ2's window
_FLAT_START = 0.1


class _BaseEnergy:
    """A feed-forward network ``g`` followed by a head mapping ``g(x)`` to
    energies.

    Subclasses set the network's output width (``_n_outputs``), the head
    (``_head``, ``_head_backward``) and any extra parameters.
    """

    def __init__(self, hidden_layer_sizes=(), activation="relu"):
        self.hidden_layer_sizes = tuple(hidden_layer_sizes)
        self.activation = activation

    @classmethod
    def build(cls, loss, hidden_layer_sizes=(), activation="relu", answers=None):
        """The architecture that an estimator's parameters and its loss ask
        for; a ValueError names a loss/architecture pair that is ill-posed.

        Parameters
        ----------
        loss : BaseLoss
        hidden_layer_sizes : tuple of int
        activation : str
        answers : answer space, default=None
            The answer space the energy is trained on (the support of a
            continuous answer).
        """
        return cls(hidden_layer_sizes, activation)

    def start_training(self):
        """Begin a fit: an architecture may keep what its repeated
        evaluations share (see :meth:`stop_training`)."""

    def stop_training(self):
        """End a fit: drop what :meth:`start_training` let it keep."""

    def same_architecture(self, other):
        """Whether fitted ``other`` has this architecture, so that a warm
        start or ``partial_fit`` can continue from its parameters."""
        # a product of experts is their networks side by side: it continues
        # as one network of their summed widths
        widths = tuple(getattr(other, "n_experts", 1) * h
                       for h in self.hidden_layer_sizes)
        return (type(other) is type(self)
                and other.hidden_layer_sizes == widths
                and other.activation == self.activation
                and getattr(other, "output", None) == getattr(self, "output", None))

    def adds_outputs(self, other):
        """Whether the energy of fitted ``other`` and this one's add as their
        networks' outputs do (a head linear in ``g(x)``, of one answer
        basis), so that :func:`product_of_experts` can join them: not by
        default."""
        return False

    def training_defaults(self):
        """Solver settings in place of skebm's defaults (``"auto"``, or
        parameters left at them): a linear model (``full_batch``) steps
        0.01 with Adam and SGD. Adam moves each weight by about its step an
        update, and a linear energy's weights are as large as the targets'
        dependence on the inputs, which hidden layers share out among
        their units: at 0.001, 10 passes of ``partial_fit`` in batches of
        100 rows left diabetes at R^2 0.17 and Boston 0.26 (0.37 and 0.60
        at 0.01; Ridge 0.39 and 0.67; user guide, "Solvers")."""
        return {"learning_rate_init": 1e-2} if self.full_batch else {}

    # -- parameters -------------------------------------------------------
    # whether a full-batch solver is cheap at any data size (linear models)
    full_batch = False
    # networks side by side: see product_of_experts
    n_experts = 1
    # the float type the energy trains in (None: its inputs'); it predicts
    # in its inputs'
    compute_dtype = None
    # whether the most offending answer is searched among a continuum of
    # answers (a grid, chains) rather than found among classes or in closed form
    searched_answers = False
    # whether L2 applies to the parameters after the network's (prototypes),
    # and to the intercepts of the output layer
    _penalize_extra = False
    _penalize_output_intercepts = False
    # whether a softplus output starts flat (see initialize); an energy
    # whose _init_extra sets a start of its own says no
    _flat_softplus_start = True

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
        # zeros, not empty: the scaling below must not meet NaN garbage in
        # parameters that _init_extra sets afterwards
        self.params_ = np.zeros(sum(sizes_flat), dtype=dtype)
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
        if self._penalize_output_intercepts:
            self.penalized_[offsets[2 * n_layers - 1] : offsets[2 * n_layers]] = True
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
        if self._flat_softplus_start and getattr(self, "output", None) == "softplus":
            # from Glorot's start, LVQ2 found many targets' energy far above
            # the best wrong answer's, where it is flat, and left them there
            # (the joint energy's 3-fold CV R^2 on the UCI energy set -0.59,
            # Ridge 0.91; one class for every row of raw iris)
            self.coefs_[-1] *= _FLAT_START
            self.intercepts_[-1] *= _FLAT_START
        self._init_extra(rng, X, y, sample_weight)
        return self

    def _init_extra(self, rng, X, y, sample_weight):
        pass

    @staticmethod
    def _views(flat, shapes):
        views, start = [], 0
        for shape in shapes:
            size = math.prod(shape)
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
            if sp.issparse(activations[i]):
                grads[2 * i][...] = activations[i].T @ delta
            else:
                np.matmul(activations[i].T, delta, out=grads[2 * i])
            grads[2 * i + 1][...] = delta.sum(axis=0)
            if i > 0:
                delta = delta @ self.coefs_[i].T
                delta *= deriv(activations[i])
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


def product_of_experts(energies, weights):
    """The energy ``sum_k weights[k] * energies[k]`` of fitted energies that
    add as their outputs do (:meth:`_BaseEnergy.adds_outputs`), as one network:
    their hidden layers side by side (the first layer's weight matrices
    side by side, the later hidden layers' block-diagonal), and the output
    layer their weighted sum (its matrices stacked, times the weights). The
    density ``exp(-E)`` is then proportional to the product of theirs, each
    raised to its weight. Returns None for energies that do not add so."""
    first = energies[0]
    if not first.hidden_layer_sizes or first._extra or not all(
            first.adds_outputs(e) and e.activation == first.activation
            and e.hidden_layer_sizes == first.hidden_layer_sizes
            and e.n_features_ == first.n_features_ and not e._extra
            for e in energies[1:]):
        return None
    product = copy.deepcopy(first)
    product.n_experts = first.n_experts * len(energies)
    product.hidden_layer_sizes = tuple(len(energies) * h
                                       for h in first.hidden_layer_sizes)
    product.initialize(first.n_features_, first.n_answers_, random_state=0,
                       dtype=first.params_.dtype)
    product.params_[:] = 0
    last = len(first.coefs_) - 1
    for m, (energy, weight) in enumerate(zip(energies, weights)):
        for i, (coef, intercept) in enumerate(zip(energy.coefs_, energy.intercepts_)):
            n_in, n_out = coef.shape
            rows = slice(None) if i == 0 else slice(m * n_in, (m + 1) * n_in)
            if i == last:
                product.coefs_[i][rows] = weight * coef
                product.intercepts_[i] += weight * intercept
            else:
                cols = slice(m * n_out, (m + 1) * n_out)
                product.coefs_[i][rows, cols] = coef
                product.intercepts_[i][cols] = intercept
    return product


def require_hidden_layers(hidden_layer_sizes, name):
    """``hidden_layer_sizes`` of an MLP architecture: at least one layer."""
    if not hidden_layer_sizes:
        raise ValueError(f"energy={name!r} needs at least one hidden layer; use "
                         "energy='linear' for none.")
    return hidden_layer_sizes


def output_map(loss, collapse_map):
    """How an architecture of unconstrained sign presents its energies to
    ``loss``: as they are (``"score"``), through a softplus for the losses
    that need non-negative energies, or through ``collapse_map`` (a
    non-negative map whose minimum is not a collapse to -inf) for the loss
    that pulls no wrong answer up."""
    if not loss.contrastive:
        return collapse_map
    if loss.energy_domain != "real":
        return "softplus"
    return "score"
