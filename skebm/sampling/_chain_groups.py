"""Chains in groups: the unit of randomness, of step tuning and of parallel work.

The chains are cut into ``min(n_chains, 8)`` consecutive groups, a number
that depends on ``n_chains`` only. Each group draws its proposals from its
own random streams, spawned from the fit's ``random_state``, and with
``step_size="auto"`` tunes its own proposal scale. A group therefore evolves
the same way whether it runs beside the others in one vectorized engine or
alone in a joblib worker: the same seed gives the same chains for any
``n_jobs``.

In one process all groups advance together, one call of the log density for
all chains per iteration, as fast as ungrouped chains. With ``n_jobs > 1``
consecutive groups are shared among the workers, each of which runs the same
vectorized engine on its chains.
"""

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from ._metropolis import _random_walk, _Run

_MAX_GROUPS = 8


def _group_sizes(n_chains):
    """Sizes of the chain groups: as equal as possible, larger ones first."""
    n_groups = min(n_chains, _MAX_GROUPS)
    base, extra = divmod(n_chains, n_groups)
    return np.array([base + 1] * extra + [base] * (n_groups - extra), dtype=np.intp)


def _group_streams(gen, n_groups):
    """A (normals, uniforms) pair of Generators per group, spawned from ``gen``."""
    root = np.random.SeedSequence(gen.integers(np.iinfo(np.int64).max, size=4))
    return [
        tuple(np.random.default_rng(s) for s in child.spawn(2))
        for child in root.spawn(n_groups)
    ]


def _concatenate(runs):
    """One run from runs over consecutive chains."""
    firsts = [r.first_invalid for r in runs if r.first_invalid is not None]
    return _Run(
        chain=np.concatenate([r.chain for r in runs], axis=1),
        lp_chain=np.concatenate([r.lp_chain for r in runs], axis=1),
        accepted=np.concatenate([r.accepted for r in runs], axis=1),
        n_accepted=np.concatenate([r.n_accepted for r in runs]),
        step=np.concatenate([r.step for r in runs]),
        n_invalid=sum(r.n_invalid for r in runs),
        # The first in iteration order, then chain order, as one run finds it.
        first_invalid=min(firsts) if firsts else None,
    )


def _run_chain_groups(
    log_target, theta, lp, n_steps, n_burn, thin, step_size, gen, n_jobs=None,
    pbar=None,
):
    """Random-walk Metropolis on groups of chains, in this process or in joblib's.

    Parameters are those of ``_random_walk``, with ``gen`` the fit's
    Generator (the groups' streams are spawned from it) and ``n_jobs`` as in
    joblib (None: one process unless a ``joblib.parallel_config`` says
    otherwise). Returns a ``_Run`` over all chains, with ``step`` the
    proposal scale of each chain.
    """
    sizes = _group_sizes(len(theta))
    streams = _group_streams(gen, len(sizes))
    n_tasks = min(effective_n_jobs(n_jobs), len(sizes))
    if n_tasks == 1:
        return _random_walk(
            log_target, theta, lp, n_steps, n_burn, thin, step_size, streams, pbar,
            group_sizes=sizes,
        )
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    tasks = []
    for groups in np.array_split(np.arange(len(sizes)), n_tasks):
        lo, hi = bounds[groups[0]], bounds[groups[-1] + 1]
        tasks.append((lo, hi, delayed(_random_walk)(
            log_target, theta[lo:hi], lp[lo:hi], n_steps, n_burn, thin, step_size,
            [streams[g] for g in groups], None, group_sizes=sizes[groups],
            chain_offset=lo,
        )))
    results = Parallel(n_jobs=n_jobs, return_as="generator")(job for *_, job in tasks)
    runs = []
    for (lo, hi, _), run in zip(tasks, results):
        runs.append(run)
        if pbar is not None:
            pbar.update(n_steps * (hi - lo))
    return _concatenate(runs)
