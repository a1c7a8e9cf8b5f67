"""The native random-walk Metropolis engine: every chain in one numpy step."""

import numpy as np
from sklearn.utils import check_random_state

from ._densities import _as_log_values

# Random numbers are drawn in blocks of about this many values.
_BLOCK = 2**15


def _generator(random_state):
    """A fast numpy Generator seeded from a scikit-learn ``random_state``."""
    rng = check_random_state(random_state)
    return np.random.default_rng(rng.randint(np.iinfo(np.int32).max, size=4))


def _target_rate(n_dim):
    # 0.44 is optimal in one dimension and 0.234 as n_dim grows (Roberts,
    # Gelman and Gilks 1997; Gelman, Roberts and Gilks 1996); interpolate.
    return 0.234 + 0.206 / n_dim


def _mh_gaussian(
    log_target, theta, lp, n_steps, n_burn, thin, step_size, gen, pbar=None
):
    """Random-walk Metropolis on all chains at once.

    ``theta`` (n_chains, n_dim) and ``lp`` (n_chains,) are the finite starting
    states. With ``step_size="auto"`` the common proposal scale follows a
    Robbins-Monro recursion on its logarithm during burn-in and is then frozen
    at the average of the second half of burn-in, so the kept iterations come
    from one fixed, valid Metropolis kernel.

    Returns chain, log_prob_chain, n_accepted (per chain), step, the number
    of NaN log densities and where the first one occurred.
    """
    n_chains, n_dim = theta.shape
    theta, lp = theta.copy(), lp.copy()
    n_kept = len(range(n_burn, n_steps, thin))
    chain = np.empty((n_kept, n_chains, n_dim))
    lp_chain = np.empty((n_kept, n_chains))
    n_accepted = np.zeros(n_chains, dtype=np.intp)
    n_invalid, first_invalid = 0, None

    tune = isinstance(step_size, str)
    if tune:
        log_step, rate, averaged, n_averaged = 0.0, _target_rate(n_dim), 0.0, 0
    step = 1.0 if tune else float(step_size)
    block = max(1, min(n_steps, _BLOCK // (n_chains * n_dim)))
    shape = (n_chains,)
    copyto, ndarray, inf = np.copyto, np.ndarray, np.inf

    t = 0
    while t < n_steps:
        adapting = tune and t < n_burn
        size = min(block, (n_burn if adapting else n_steps) - t)
        z = gen.standard_normal((size, n_chains, n_dim))
        if not adapting:
            z *= step
        log_u = -gen.standard_exponential((size, n_chains))
        lp_props = np.empty((size, n_chains))
        accepts = np.empty((size, n_chains), dtype=bool)
        for i in range(size):
            prop = theta + (z[i] * step if adapting else z[i])
            lp_prop = log_target(prop)
            if lp_prop.__class__ is not ndarray or lp_prop.shape != shape:
                lp_prop = _as_log_values(lp_prop, n_chains, "log_prob", prop)
            lp_props[i] = lp_prop
            # Not log_u < lp_prop - lp: inf - inf would warn. NaN compares
            # False, so an invalid log density is a rejection.
            accept = log_u[i] + lp < lp_prop
            accepts[i] = accept
            if adapting:
                # The mean acceptance probability is a less noisy signal than
                # the accept/reject outcomes.
                with np.errstate(invalid="ignore"):
                    prob = np.exp(np.minimum(lp_prop - lp, 0.0)).mean()
                if prob != prob:
                    prob = accept.mean()
                k = t + i + 1
                log_step += (prob - rate) / k**0.6
                step = np.exp(log_step)
                if 2 * k > n_burn:
                    averaged += log_step
                    n_averaged += 1
            copyto(theta, prop, where=accept[:, None])
            copyto(lp, lp_prop, where=accept)
            k = t + i - n_burn
            if k >= 0 and k % thin == 0:
                chain[k // thin] = theta
                lp_chain[k // thin] = lp
        n_accepted += accepts.sum(axis=0)
        if not (lp_props < inf).all():
            if np.isposinf(lp_props).any():
                i, c = np.argwhere(np.isposinf(lp_props))[0]
                raise ValueError(
                    "The log density returned +inf (iteration "
                    f"{t + i}, chain {c}): the target is not a proper density."
                )
            bad = np.isnan(lp_props)
            if first_invalid is None:
                i, c = np.argwhere(bad)[0]
                first_invalid = f"iteration {t + i}, chain {c}"
            n_invalid += int(bad.sum())
        t += size
        if pbar is not None:
            pbar.update(size)
        if tune and t == n_burn:
            step = float(np.exp(averaged / max(n_averaged, 1)))
    return chain, lp_chain, n_accepted, step, n_invalid, first_invalid
