"""Solvers that update a flat parameter vector in place.

``adam`` and ``sgd`` take one mini-batch gradient at a time; ``lbfgs`` is
scipy's full-batch L-BFGS-B. All three are shared by the estimators.
"""

import numpy as np
from scipy.optimize import minimize


class AdamOptimizer:
    """Adam (Kingma & Ba, 2014) on a flat parameter vector.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        Updated in place.
    learning_rate_init : float
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates.
    epsilon : float
        Guards the division by the second moment.
    """

    def __init__(self, params, learning_rate_init=1e-3, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8):
        self.params = params
        self.learning_rate_init = learning_rate_init
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.ms = np.zeros_like(params)
        self.vs = np.zeros_like(params)

    def update(self, grad):
        """Take one step along ``grad``."""
        self.t += 1
        self.ms *= self.beta_1
        self.ms += (1 - self.beta_1) * grad
        self.vs *= self.beta_2
        self.vs += (1 - self.beta_2) * grad * grad
        lr = (self.learning_rate_init * np.sqrt(1 - self.beta_2**self.t)
              / (1 - self.beta_1**self.t))
        self.params -= lr * self.ms / (np.sqrt(self.vs) + self.epsilon)

    def rebind(self, params):
        """Continue on another parameter vector of the same size."""
        self.params = params


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

    def rebind(self, params):
        """Continue on another parameter vector of the same size."""
        self.params = params


def minimize_lbfgs(fun, x0, max_iter, tol, callback=None):
    """Minimize ``fun`` (returning value and gradient) with L-BFGS-B.

    Returns scipy's ``OptimizeResult``; ``status == 1`` means the iteration
    limit was hit.
    """
    return minimize(
        fun,
        x0.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        callback=callback,
        options={
            "maxiter": max_iter,
            "maxfun": max(15000, 2 * max_iter),
            "gtol": tol,
            "ftol": 64 * np.finfo(float).eps,
        },
    )
