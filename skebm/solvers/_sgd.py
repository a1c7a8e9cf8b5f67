"""Stochastic gradient descent with Nesterov momentum on a flat parameter
vector."""

import numpy as np

from .._underflow import flush


class SGDOptimizer:
    """Stochastic gradient descent with Nesterov momentum.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        Updated in place.
    learning_rate_init : float
    momentum : float
        0 gives plain SGD.
    """

    def __init__(self, params, learning_rate_init=0.01, momentum=0.9):
        self.params = params
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.velocity = np.zeros_like(params)

    def update(self, grad):
        """Take one step along ``grad``."""
        self.velocity *= self.momentum
        self.velocity -= self.learning_rate_init * grad
        # Nesterov: step with the look-ahead velocity
        self.params += self.momentum * self.velocity
        self.params -= self.learning_rate_init * grad
        # the penalty decays a dead unit's weights geometrically, into
        # subnormal numbers that slow matrix products (see AdamOptimizer)
        flush(self.params)

    def rebind(self, params):
        """Continue on another parameter vector of the same size."""
        self.params = params
