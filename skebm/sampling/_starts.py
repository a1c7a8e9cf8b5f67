"""Starting states of the chains: the user's ``init``, checked and jittered."""

import numpy as np

from ._densities import _format_theta


def _initial_states(init, n_chains, log_target, step, gen):
    """Initial states (n_chains, n_dim) and their finite log densities.

    ``init`` is one point, shape (n_dim,) or a scalar, or one point per chain,
    shape (n_chains, n_dim). One point is used as is by a single chain; with
    several chains, each starts from it jittered by a Gaussian of standard
    deviation ``0.1 * step``, or from the point itself where the jittered
    start has zero probability.
    """
    if init is None:
        raise ValueError(
            "init is required: a starting point of shape (n_dim,) or one per "
            "chain, shape (n_chains, n_dim)."
        )
    try:
        init = np.asarray(init, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"init must be numeric, got {init!r}.") from exc
    if init.ndim == 0:
        init = init.reshape(1)
    one_per_chain = init.ndim == 2 and init.shape[0] == n_chains
    if init.ndim > 2 or init.size == 0 or (init.ndim == 2 and not one_per_chain):
        raise ValueError(
            f"init has shape {init.shape}; expected (n_dim,) or (n_chains, "
            f"n_dim) with n_chains={n_chains}."
        )
    if not np.isfinite(init).all():
        raise ValueError("init must be finite.")
    if init.ndim == 2:
        lp = log_target(init)
        bad = ~np.isfinite(lp)
        if bad.any():
            raise ValueError(
                "init has zero probability (or an invalid log density) for "
                f"chains {np.flatnonzero(bad).tolist()}: log density "
                f"{lp[bad].tolist()} at {_format_theta(init[bad])}."
            )
        return init.copy(), lp
    lp0 = log_target(init[None])[0]
    if not np.isfinite(lp0):
        raise ValueError(
            "init has zero probability (or an invalid log density): log "
            f"density {lp0} at init={_format_theta(init)}."
        )
    theta = np.repeat(init[None], n_chains, axis=0)
    lp = np.full(n_chains, lp0)
    if n_chains > 1:
        jittered = theta + 0.1 * step * gen.standard_normal(theta.shape)
        lp_jit = log_target(jittered)
        ok = np.isfinite(lp_jit)  # a jittered chain off the support stays put
        theta[ok], lp[ok] = jittered[ok], lp_jit[ok]
    return theta, lp
