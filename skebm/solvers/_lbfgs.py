"""Full-batch L-BFGS: scipy's L-BFGS-B, or a low-memory two-loop version
for parameter vectors too long for scipy's float64 work arrays."""

import numpy as np
from scipy.optimize import OptimizeResult, minimize

# bytes the correction pairs may take; scipy's L-BFGS-B keeps about 25
# float64 vectors (ten pairs and its work arrays) plus copies of x and the
# gradient, which for the million weights of a wide sparse linear model is
# 300 MB, four times a typical sparse X. Above this budget the two-loop
# version below keeps fewer pairs, in the parameters' dtype.
_MEMORY_BYTES = 32 * 2**20
_MAX_PAIRS, _MIN_PAIRS = 10, 3
_FTOL = 64 * np.finfo(float).eps


def minimize_lbfgs(fun, x0, max_iter, tol, callback=None):
    """Minimize ``fun`` (returning value and gradient) with L-BFGS.

    ``tol`` bounds the largest gradient component at convergence; the run
    also stops once the relative decrease of the value falls below 64
    machine epsilons, or when ``callback(intermediate_result)`` raises
    ``StopIteration``. Returns an ``OptimizeResult`` whose ``status == 1``
    means the limit of iterations or of evaluations was hit, as scipy's.
    """
    max_fun = max(15000, 2 * max_iter)
    pair_bytes = 2 * x0.size * x0.dtype.itemsize
    if 25 * x0.size * 8 <= _MEMORY_BYTES:
        def fun64(x):
            value, grad = fun(x)
            return value, grad.astype(np.float64)

        return minimize(
            fun64, x0.astype(np.float64), method="L-BFGS-B", jac=True,
            callback=callback,
            options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol,
                     "ftol": _FTOL})
    n_pairs = int(np.clip(_MEMORY_BYTES // pair_bytes, _MIN_PAIRS, _MAX_PAIRS))
    return _two_loop_lbfgs(fun, x0, max_iter, max_fun, tol, callback, n_pairs)


def _two_loop_lbfgs(fun, x0, max_iter, max_fun, tol, callback, n_pairs):
    """L-BFGS (Nocedal and Wright 2006, algorithm 7.4) with an Armijo
    backtracking line search, in the dtype of ``x0``."""
    x, trial = x0.copy(), np.empty_like(x0)
    value, grad = fun(x)
    n_fun, n_iter = 1, 0
    pairs = _Pairs(n_pairs, x.size, x.dtype)
    status, message = 0, "CONVERGENCE: NORM OF GRADIENT <= GTOL"
    while np.max(np.abs(grad), initial=0.0) > tol:
        if n_iter >= max_iter:
            status, message = 1, "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"
            break
        direction = pairs.direction(grad)
        slope = float(grad @ direction)
        if slope >= 0:  # lost descent to round-off: restart from the gradient
            pairs.clear()
            direction = pairs.direction(grad)
            slope = float(grad @ direction)
        # a unit quasi-Newton step; without pairs, a unit-length one
        step = 1.0 if pairs.n_stored else 1.0 / max(1.0, float(np.linalg.norm(grad)))
        found = False
        while n_fun < max_fun:
            np.multiply(direction, step, out=trial)
            trial += x
            new_value, new_grad = fun(trial)
            n_fun += 1
            if np.isfinite(new_value) and new_value <= value + 1e-4 * step * slope:
                found = True
                break
            step = _backtrack(step, value, slope, new_value)
            if step < 1e-20:
                break
        if not found:
            status, message = ((1, "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS "
                                "LIMIT") if n_fun >= max_fun
                               else (2, "ABNORMAL: LINE SEARCH FAILED"))
            break
        n_iter += 1
        pairs.add(trial, x, new_grad, grad)
        decrease = value - new_value
        x, trial = trial, x
        value, grad = new_value, new_grad
        if callback is not None:
            try:
                callback(OptimizeResult(x=x, fun=value))
            except StopIteration:
                status, message = 99, "callback requested stop early"
                break
        if decrease <= _FTOL * max(abs(value), abs(value + decrease), 1.0):
            message = "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH"
            break
    return OptimizeResult(x=x, fun=value, jac=grad, nit=n_iter, nfev=n_fun,
                          status=status, message=message, success=status == 0)


class _Pairs:
    """The last ``n_pairs`` correction pairs ``(s, y)`` of L-BFGS, in a ring
    buffer, and the quasi-Newton direction they give."""

    def __init__(self, n_pairs, size, dtype):
        self.s = np.empty((n_pairs, size), dtype=dtype)
        self.y = np.empty_like(self.s)
        self.rho = np.empty(n_pairs)
        self.n_stored, self.newest = 0, -1

    def clear(self):
        self.n_stored = 0

    def add(self, x_new, x, grad_new, grad):
        """Store ``(x_new - x, grad_new - grad)`` unless its curvature is not
        positive (the Armijo search does not exclude that), which would
        make the inverse Hessian estimate indefinite; returns whether it
        was stored."""
        n_pairs = len(self.rho)
        slot = (self.newest + 1) % n_pairs
        np.subtract(x_new, x, out=self.s[slot])
        np.subtract(grad_new, grad, out=self.y[slot])
        curvature = float(self.s[slot] @ self.y[slot])
        if curvature > 1e-10 * float(self.y[slot] @ self.y[slot]):
            self.rho[slot], self.newest = 1.0 / curvature, slot
            self.n_stored = min(self.n_stored + 1, n_pairs)
            return True
        # the slot held the oldest pair, now overwritten: drop it too
        self.n_stored = min(self.n_stored, n_pairs - 1)
        return False

    def direction(self, grad):
        """``-H grad``, H the inverse Hessian estimate of the stored pairs
        (the identity without pairs)."""
        n_pairs = len(self.rho)
        order = [(self.newest - i) % n_pairs for i in range(self.n_stored)]
        q = grad.copy()
        coef = np.empty(len(order))
        for k, i in enumerate(order):
            coef[k] = self.rho[i] * float(self.s[i] @ q)
            q -= coef[k] * self.y[i]
        if order:
            newest = order[0]
            q *= 1.0 / (self.rho[newest] * float(self.y[newest] @ self.y[newest]))
        for k, i in reversed(list(enumerate(order))):
            q += (coef[k] - self.rho[i] * float(self.y[i] @ q)) * self.s[i]
        return np.negative(q, out=q)


def _backtrack(step, value, slope, new_value):
    """The minimizer of the quadratic through the last trial, kept within
    [0.1, 0.5] of the step (a tenth after a non-finite value)."""
    if not np.isfinite(new_value):
        return 0.1 * step
    curvature = new_value - value - step * slope
    shrink = -slope * step / (2.0 * curvature) if curvature > 0 else 0.5
    return step * min(0.5, max(0.1, shrink))
