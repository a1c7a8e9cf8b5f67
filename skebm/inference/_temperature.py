"""The inverse temperature of a Gibbs distribution, fitted by maximum
likelihood on the training data when the loss did not fix the energy scale."""

import numpy as np
from scipy.optimize import brentq


def fit_inverse_temperature(nll_gradient, energy_spread):
    """The ``beta`` at which ``nll_gradient(beta)``, the derivative of a
    negative log-likelihood convex in ``beta``, is zero.

    The root is bracketed within nine decades around ``1 / energy_spread``,
    the scale at which energy differences are of order one, and found to
    machine precision (so that weighted and repeated rows agree); at a
    boundary of the bracket the boundary is returned.
    """
    spread = energy_spread if np.isfinite(energy_spread) and energy_spread > 0 \
        else 1.0
    low, high = -np.log(spread) - 4.5 * np.log(10), -np.log(spread) + 4.5 * np.log(10)

    def gradient(t):
        return nll_gradient(np.exp(t))

    if gradient(low) >= 0:
        return float(np.exp(low))
    if gradient(high) <= 0:
        return float(np.exp(high))
    return float(np.exp(brentq(gradient, low, high, xtol=1e-14, rtol=1e-15)))
