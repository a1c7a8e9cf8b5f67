"""Chains through emcee's ensemble sampler, for ``move`` other than "gaussian"."""

import copy
from numbers import Real

import emcee
import numpy as np

from ._densities import _format_theta

_NAMED_MOVES = {"stretch": emcee.moves.StretchMove, "de": emcee.moves.DEMove}


class _NaNCounter:
    """A log target that turns NaN into ``-inf`` (a rejection) and counts it.

    emcee would reject a NaN proposal too, but silently; the count lets
    ``MHSampler`` warn once per fit, naming the first offending ``theta``.
    An error (the user's, or +inf) is kept in ``error`` for the sampling loop
    to raise, the call returning ``-inf``: raised through emcee, it came
    with emcee's own printed traceback before skebm's message.
    """

    def __init__(self, log_target):
        self.log_target = log_target
        self.n_invalid = 0
        self.first_invalid = None
        self.error = None

    def __call__(self, theta):
        try:
            lp = self.log_target(theta)
            if np.isposinf(lp).any():
                raise ValueError(
                    "The log density returned +inf at theta="
                    f"{_format_theta(theta[np.isposinf(lp)][0])}: the target is not "
                    "a proper density."
                )
        except Exception as exc:
            if self.error is None:
                self.error = exc
            return np.full(len(theta), -np.inf)
        if not (lp < np.inf).all():
            invalid = np.isnan(lp)
            if self.first_invalid is None:
                self.first_invalid = f"theta={_format_theta(theta[invalid][0])}"
            self.n_invalid += int(invalid.sum())
            lp = np.where(invalid, -np.inf, lp)
        return lp


def _emcee_moves(move):
    """``move`` as emcee takes it (a fit's own copy), and its Move instances.

    A name, a Move instance, or a list of Moves or of ``(Move, weight)``
    pairs, as ``emcee.EnsembleSampler(moves=...)`` accepts.
    """
    if isinstance(move, str):
        move = _NAMED_MOVES[move]()
        return move, [move]
    if isinstance(move, emcee.moves.Move):
        move = copy.deepcopy(move)
        return move, [move]
    # bare Moves weigh 1; emcee itself takes a list of one form or the other
    pairs = [m if isinstance(m, tuple) else (m, 1.0) for m in copy.deepcopy(move)]
    if not pairs or not all(
        len(p) == 2 and isinstance(p[0], emcee.moves.Move)
        and isinstance(p[1], Real) and not isinstance(p[1], bool)
        and 0 < p[1] < np.inf for p in pairs
    ):
        raise ValueError(
            "move as a list must hold emcee Moves or (Move, weight) pairs with "
            f"finite weights > 0, as emcee.EnsembleSampler takes them; got {move!r}."
        )
    return pairs, [m for m, _ in pairs]


def _run_emcee(move, log_target, theta, lp, n_steps, n_burn, thin, gen, pbar=None):
    """Run ``emcee.EnsembleSampler`` with the chains as walkers.

    Parameters
    ----------
    move : {"stretch", "de"}, emcee.moves.Move or list
        A Move instance, or a list of Moves or of ``(Move, weight)`` pairs;
        deep-copied, so a fit never changes the user's.
    log_target : callable
        ``theta (n, n_dim) -> (n,)``.
    theta, lp : ndarray of shape (n_chains, n_dim) and (n_chains,)
        Starting states and their finite log densities.
    n_steps, n_burn, thin : int
    gen : numpy.random.Generator
        Seeds emcee's RandomState.
    pbar : tqdm or None
        Advanced by ``n_chains`` draws per iteration.

    Returns
    -------
    chain : ndarray of shape (n_kept, n_chains, n_dim)
    lp_chain : ndarray of shape (n_kept, n_chains)
    accepted : ndarray of bool of shape (n_kept, n_chains)
        Whether the proposal of each kept iteration was accepted, read off
        the full chain as a change of state (a continuous proposal repeats
        the current state with probability zero).
    n_accepted : ndarray of shape (n_chains,)
    n_invalid, first_invalid : int and str or None
        Number of NaN log densities, and where the first one was.
    """
    n_chains, n_dim = theta.shape
    label = move if isinstance(move, (str, emcee.moves.Move)) else "the list"
    move, instances = _emcee_moves(move)
    ensemble = any(isinstance(m, emcee.moves.RedBlueMove) for m in instances)
    # differential evolution proposes along the difference of two chains of
    # the other half of the ensemble: each half needs two
    de = any(isinstance(m, emcee.moves.DEMove) for m in instances)
    least = max(2 * n_dim, 4 if de else 0)
    if ensemble and n_chains < least:
        why = " (differential evolution: two per half)" if de and least == 4 else ""
        raise ValueError(
            f"move={label!r} is an ensemble move: it needs n_chains >= "
            f"{least}{why}, got n_chains={n_chains}."
        )
    counted = _NaNCounter(log_target)
    sampler = emcee.EnsembleSampler(
        n_chains, n_dim, counted, moves=move, vectorize=True
    )
    rs = np.random.RandomState(gen.integers(np.iinfo(np.int32).max))
    state = emcee.State(theta, log_prob=lp, random_state=rs.get_state())
    check_start = ensemble and n_chains > 1
    for _ in sampler.sample(
        state, iterations=n_steps, skip_initial_state_check=not check_start
    ):
        if counted.error is not None:
            raise counted.error
        if pbar is not None:
            pbar.update(n_chains)
    full = sampler.get_chain()
    moved = np.any(full != np.concatenate([theta[None], full[:-1]]), axis=2)
    return (
        full[n_burn::thin],
        sampler.get_log_prob()[n_burn::thin],
        moved[n_burn::thin],
        sampler.backend.accepted.astype(np.intp),
        counted.n_invalid,
        counted.first_invalid,
    )
