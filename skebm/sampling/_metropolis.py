"""The native random-walk Metropolis engine: every chain in one numpy step."""

import numpy as np

from ._densities import _as_log_values

# Random numbers are drawn in blocks of about this many values.
_BLOCK = 2**15


def _target_rate(n_dim):
    # 0.44 is optimal in one dimension and 0.234 as n_dim grows (Roberts,
    # Gelman and Gilks 1997; Gelman, Roberts and Gilks 1996); interpolate.
    return 0.234 + 0.206 / n_dim


def _one_stream(gen):
    """Blocks of normals then log-uniforms, all chains from one Generator."""

    def draw(size, n_chains, n_dim):
        z = gen.standard_normal((size, n_chains, n_dim))
        return z, -gen.standard_exponential((size, n_chains))

    return draw


def _group_streams(streams):
    """Blocks drawn group by group, each group from its own two Generators.

    ``streams`` holds a (normals, uniforms) pair of Generators per group of
    chains. Separate streams, drawn step-major, make a group's numbers the
    same however the iterations are cut into blocks and whichever other
    groups run beside it.
    """

    def draw(size, sizes, n_dim):
        z = [gz.standard_normal((size, n, n_dim)) for (gz, _), n in zip(streams, sizes)]
        u = [gu.standard_exponential((size, n)) for (_, gu), n in zip(streams, sizes)]
        if len(z) == 1:
            return z[0], -u[0]
        return np.concatenate(z, axis=1), -np.concatenate(u, axis=1)

    return draw


class _Run:
    """What one run of the engine produced (see ``_random_walk``)."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


def _random_walk(
    log_target, theta, lp, n_steps, n_burn, thin, step_size, gen, pbar=None,
    group_sizes=None, chain_offset=0,
):
    """Random-walk Metropolis; the engine behind ``_mh_gaussian`` and MHSampler.

    All chains advance in one vectorized step (``_walk_chains``); a single
    chain takes ``_walk_one_chain``, which gives the identical chain with
    Python floats where arrays of one element would cost microseconds per
    iteration. See ``_walk_chains`` for the parameters.
    """
    walk = _walk_one_chain if len(theta) == 1 else _walk_chains
    return walk(log_target, theta, lp, n_steps, n_burn, thin, step_size, gen, pbar,
                group_sizes, chain_offset)


def _walk_chains(
    log_target, theta, lp, n_steps, n_burn, thin, step_size, gen, pbar=None,
    group_sizes=None, chain_offset=0,
):
    """Random-walk Metropolis on all chains at once.

    With ``group_sizes`` None, ``gen`` is one Generator and ``"auto"`` tunes
    one proposal scale on all chains. Otherwise the chains form consecutive
    groups of the given sizes, ``gen`` holds a (normals, uniforms) pair of
    Generators per group, and ``"auto"`` tunes one scale per group: a group
    then evolves exactly as it would if run alone. ``chain_offset`` numbers
    the chains in messages. ``pbar`` is advanced by draws (chains times
    iterations).
    """
    n_chains, n_dim = theta.shape
    theta, lp = theta.copy(), lp.copy()
    kept = range(n_burn, n_steps, thin)
    chain = np.empty((len(kept), n_chains, n_dim))
    lp_chain = np.empty((len(kept), n_chains))
    accepted = np.empty((len(kept), n_chains), dtype=bool)
    n_accepted = np.zeros(n_chains, dtype=np.intp)
    n_invalid, first_invalid = 0, None

    grouped = group_sizes is not None
    if grouped:
        sizes = np.asarray(group_sizes, dtype=np.intp)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        member = np.repeat(np.arange(len(sizes)), sizes)
        draw, noise_shape = _group_streams(gen), sizes
    else:
        sizes = np.array([n_chains])
        draw, noise_shape = _one_stream(gen), n_chains
    tune = isinstance(step_size, str)
    if tune:
        # Floats for one group (the cheapest arithmetic), arrays for several.
        rate, n_averaged = _target_rate(n_dim), 0
        log_step = np.zeros(len(sizes)) if grouped else 0.0
        averaged = np.zeros(len(sizes)) if grouped else 0.0
        scale = np.ones((n_chains, 1)) if grouped else 1.0
    else:
        scale = float(step_size)
    block = max(1, min(n_steps, _BLOCK // (n_chains * n_dim)))
    shape = (n_chains,)
    copyto, ndarray, inf = np.copyto, np.ndarray, np.inf

    t = 0
    while t < n_steps:
        adapting = tune and t < n_burn
        size = min(block, (n_burn if adapting else n_steps) - t)
        z, log_u = draw(size, noise_shape, n_dim)
        if not adapting:
            z *= scale
        lp_props = np.empty((size, n_chains))
        accepts = np.empty((size, n_chains), dtype=bool)
        for i in range(size):
            prop = theta + (z[i] * scale if adapting else z[i])
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
                    if grouped:
                        # A NaN log density is a rejection: probability 0.
                        log_prob = np.fmax(np.minimum(lp_prop - lp, 0.0), -inf)
                        mean = np.add.reduceat(np.exp(log_prob), starts) / sizes
                    else:
                        mean = np.exp(np.minimum(lp_prop - lp, 0.0)).mean()
                        if mean != mean:
                            mean = accept.mean()
                k = t + i + 1
                log_step += (mean - rate) / k**0.6
                if grouped:
                    scale = np.exp(log_step[member])[:, None]
                else:
                    scale = np.exp(log_step)
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
        offsets = np.arange(t, t + size) - n_burn
        keep = (offsets >= 0) & (offsets % thin == 0)
        accepted[offsets[keep] // thin] = accepts[keep]
        if not (lp_props < inf).all():
            if np.isposinf(lp_props).any():
                i, c = np.argwhere(np.isposinf(lp_props))[0]
                raise ValueError(
                    "The log density returned +inf (iteration "
                    f"{t + i}, chain {c + chain_offset}): the target is not a "
                    "proper density."
                )
            bad = np.isnan(lp_props)
            if first_invalid is None:
                i, c = np.argwhere(bad)[0]
                first_invalid = (t + i, c + chain_offset)
            n_invalid += int(bad.sum())
        t += size
        if pbar is not None:
            pbar.update(size * n_chains)
        if tune and t == n_burn:
            final = np.exp(averaged / max(n_averaged, 1))
            scale = final[member][:, None] if grouped else float(final)
    if grouped:
        step = scale[:, 0].copy() if tune else np.full(n_chains, scale)
    else:
        step = np.full(n_chains, scale)
    return _Run(
        chain=chain, lp_chain=lp_chain, accepted=accepted, n_accepted=n_accepted,
        step=step, n_invalid=n_invalid, first_invalid=first_invalid,
    )


def _walk_one_chain(
    log_target, theta, lp, n_steps, n_burn, thin, step_size, gen, pbar=None,
    group_sizes=None, chain_offset=0,
):
    """``_walk_chains`` for one chain: the same numbers, the same arithmetic."""
    n_dim = theta.shape[1]
    x, current = theta[0].copy(), float(lp[0])
    one = getattr(log_target, "one", None)  # a scalar function's own call
    if one is None:

        def one(row):
            value = log_target(row[None])
            if value.__class__ is not np.ndarray or value.shape != (1,):
                value = _as_log_values(value, 1, "log_prob", row[None])
            return float(value[0])

    kept = range(n_burn, n_steps, thin)
    chain = np.empty((len(kept), 1, n_dim))
    lp_chain = np.empty((len(kept), 1))
    accepted = np.zeros((len(kept), 1), dtype=bool)
    n_accepted, n_invalid, first_invalid = 0, 0, None
    if group_sizes is None:
        draw, noise_shape = _one_stream(gen), 1
    else:
        draw, noise_shape = _group_streams(gen), np.asarray(group_sizes)
    tune = isinstance(step_size, str)
    if tune:
        rate, n_averaged, log_step, averaged = _target_rate(n_dim), 0, 0.0, 0.0
    scale = 1.0 if tune else float(step_size)
    block = max(1, min(n_steps, _BLOCK // n_dim))
    inf, exp = np.inf, np.exp

    t = 0
    while t < n_steps:
        adapting = tune and t < n_burn
        size = min(block, (n_burn if adapting else n_steps) - t)
        z, log_u = draw(size, noise_shape, n_dim)
        z = z[:, 0]
        if not adapting:
            z *= scale
        log_u = log_u[:, 0].tolist()
        for i in range(size):
            prop = x + (z[i] * scale if adapting else z[i])
            value = one(prop)
            accept = log_u[i] + current < value  # False for NaN
            if not value < inf:
                if value == inf:
                    raise ValueError(
                        f"The log density returned +inf (iteration {t + i}, chain "
                        f"{chain_offset}): the target is not a proper density."
                    )
                n_invalid += 1
                if first_invalid is None:
                    first_invalid = (t + i, chain_offset)
            if adapting:
                # As _walk_chains: a NaN log density has acceptance probability 0.
                diff = value - current
                mean = 0.0 if diff != diff else float(exp(min(diff, 0.0)))
                k = t + i + 1
                log_step += (mean - rate) / k**0.6
                scale = exp(log_step)
                if 2 * k > n_burn:
                    averaged += log_step
                    n_averaged += 1
            if accept:
                x, current = prop, value
                n_accepted += 1
            k = t + i - n_burn
            if k >= 0 and k % thin == 0:
                chain[k // thin] = x
                lp_chain[k // thin] = current
                accepted[k // thin] = accept
        t += size
        if pbar is not None:
            pbar.update(size)
        if tune and t == n_burn:
            scale = float(exp(averaged / max(n_averaged, 1)))
    return _Run(
        chain=chain, lp_chain=lp_chain, accepted=accepted,
        n_accepted=np.array([n_accepted], dtype=np.intp), step=np.array([float(scale)]),
        n_invalid=n_invalid, first_invalid=first_invalid,
    )


def _mh_gaussian(
    log_target, theta, lp, n_steps, n_burn, thin, step_size, gen, pbar=None,
    accepted=None,
):
    """Random-walk Metropolis on all chains at once.

    ``theta`` (n_chains, n_dim) and ``lp`` (n_chains,) are the finite starting
    states. With ``step_size="auto"`` the common proposal scale follows a
    Robbins-Monro recursion on its logarithm during burn-in and is then frozen
    at the average of the second half of burn-in, so the kept iterations come
    from one fixed, valid Metropolis kernel. ``pbar`` is advanced by draws
    (chains times iterations). ``accepted``, if given, is a bool array of
    shape (n_kept, n_chains) that receives whether the proposal of each kept
    iteration was accepted.

    Returns chain, log_prob_chain, n_accepted (per chain), step, the number
    of NaN log densities and where the first one occurred.
    """
    run = _random_walk(
        log_target, theta, lp, n_steps, n_burn, thin, step_size, gen, pbar
    )
    if accepted is not None:
        accepted[...] = run.accepted
    first = run.first_invalid
    where = None if first is None else f"iteration {first[0]}, chain {first[1]}"
    return (run.chain, run.lp_chain, run.n_accepted, float(run.step[0]),
            run.n_invalid, where)
