"""The inverse temperature of a Gibbs distribution, fitted by maximum
likelihood on the training data when the loss did not fix the energy scale."""

import numpy as np
from scipy.optimize import brentq

# the root's tolerance in log(beta): machine precision, so that weighted and
# repeated rows agree
_XTOL, _RTOL = 1e-14, 1e-15
_MAX_NEWTON_STEPS = 100
# a Newton step this small leaves an error of the order of its square
_LAST_NEWTON_STEP = 1e-9


def fit_inverse_temperature(nll_gradient, energy_spread, curvature=False,
                            start=None):
    """The ``beta`` at which ``nll_gradient(beta)``, the derivative of a
    negative log-likelihood convex in ``beta``, is zero.

    The root is bracketed within nine decades around ``1 / energy_spread``,
    the scale at which energy differences are of order one, and found to
    machine precision (so that weighted and repeated rows agree); at a
    boundary of the bracket the boundary is returned. With
    ``curvature=True``, ``nll_gradient(beta)`` returns the first and the
    second derivative, and Newton steps in ``log(beta)`` from ``start`` (the
    bracket's center if None), safeguarded by bisection, replace Brent's
    method: four or five evaluations from a start near the root, not 18.
    """
    spread = energy_spread if np.isfinite(energy_spread) and energy_spread > 0 \
        else 1.0
    center = -np.log(spread)
    low, high = center - 4.5 * np.log(10), center + 4.5 * np.log(10)

    def derivatives(t):
        # d/dt of the NLL at beta = e^t, and its derivative in t
        out = nll_gradient(np.exp(t))
        if not curvature:
            return out, None
        first, second = out
        return first, np.exp(t) * second

    if not curvature:
        if derivatives(low)[0] >= 0:
            return float(np.exp(low))
        if derivatives(high)[0] <= 0:
            return float(np.exp(high))
        return float(np.exp(brentq(lambda t: derivatives(t)[0], low, high,
                                   xtol=_XTOL, rtol=_RTOL)))
    good_start = start is not None and np.isfinite(start) and start > 0
    t = np.clip(np.log(start), low, high) if good_start else center
    return float(np.exp(_safe_newton(derivatives, low, high, t)))


def _safe_newton(derivatives, low, high, t):
    """Root of an increasing function in ``[low, high]``: Newton steps from
    ``t``, bisection whenever a step leaves the bracket that the evaluations
    so far have narrowed. An end of the bracket is evaluated only when a
    step would pass it, and returned when the function has not changed sign
    there (the root lies beyond)."""
    below = above = False  # whether low / high are evaluations of the sign
    for _ in range(_MAX_NEWTON_STEPS):
        value, slope = derivatives(t)
        if value == 0:
            return t
        if value < 0:
            low, below = t, True
        else:
            high, above = t, True
        after = t - value / slope if slope > 0 else np.nan
        if abs(after - t) <= _LAST_NEWTON_STEP and low < after < high:
            return after
        if not low < after < high:
            if value < 0 and not above:
                if derivatives(high)[0] <= 0:
                    return high
                above = True
            elif value > 0 and not below:
                if derivatives(low)[0] >= 0:
                    return low
                below = True
            after = 0.5 * (low + high)
        if abs(after - t) <= _XTOL + _RTOL * abs(t) or high - low <= _XTOL:
            return after
        t = after
    return t
