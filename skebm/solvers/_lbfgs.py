"""Full-batch L-BFGS-B through scipy."""

import numpy as np
from scipy.optimize import minimize


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
