"""Energies of the classes as negative scores of a linear model or an MLP."""

import numpy as np
from scipy.special import expit

from ._network import _BaseEnergy, output_map, require_hidden_layers


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

    full_batch = True

    def __init__(self, output="score"):
        super().__init__((), "identity", output)

    @classmethod
    def build(cls, loss, hidden_layer_sizes=(), activation="relu", answers=None):
        return cls(output_map(loss, "code"))


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

    @classmethod
    def build(cls, loss, hidden_layer_sizes=(100,), activation="relu", answers=None):
        hidden = require_hidden_layers(hidden_layer_sizes, "mlp")
        return cls(hidden, activation, output_map(loss, "code"))
