"""MCMC convergence diagnostics: rank-normalized R-hat, bulk and tail ESS.

Every function takes a chain of shape (n_steps, n_chains, n_dim) and returns
one value per dimension, vectorized over dimensions. The definitions are
those of Vehtari et al. (2021), which Stan, ArviZ and posterior report:

* chains are split in halves (the middle draw of an odd length is dropped),
  so that a chain that drifts disagrees with itself;
* rank normalization replaces every draw by the normal quantile of its rank
  among all draws, ``Phi^-1((r - 3/8) / (S + 1/4))`` (ties get their
  average rank), so that the diagnostics exist for heavy tails and are
  invariant under monotone transformations;
* folding, ``|x - median(x)|``, makes R-hat see chains that share a
  location but differ in scale.

References
----------
A. Vehtari, A. Gelman, D. Simpson, B. Carpenter and P.-C. Bürkner,
"Rank-normalization, folding, and localization: an improved R-hat for
assessing convergence of MCMC", Bayesian Analysis 16 (2021) 667-718.
A. Gelman et al., "Bayesian Data Analysis", 3rd ed. (2013), section 11.4,
for the split-chain potential scale reduction factor.
"""

import numpy as np
from scipy.special import ndtri

from ._autocorrelation import _as_chain, _geyer_ess

# Below this many steps per chain the diagnostics are NaN (as in ArviZ).
_MIN_STEPS = 4
_ESS_METHODS = ("bulk", "tail", "mean")
_R_HAT_METHODS = ("rank", "split")


def _split(chain):
    """(n, m, d) -> (n // 2, 2 m, d): first halves, then second halves."""
    half = chain.shape[0] // 2
    return np.concatenate([chain[:half], chain[chain.shape[0] - half :]], axis=1)


def _average_ranks(a):
    """Ranks 1..S along the last axis of ``a`` (d, S), ties getting their average."""
    d, size = a.shape
    order = np.argsort(a, axis=1)
    ordered = np.take_along_axis(a, order, axis=1)
    starts = np.ones((d, size), dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    starts = starts.ravel()
    first = np.flatnonzero(starts)  # where each run of equal values begins
    last = np.append(first[1:], d * size) - 1
    average = (first % size + last % size) / 2.0 + 1.0
    ranks = np.empty((d, size))
    np.put_along_axis(ranks, order, average[np.cumsum(starts) - 1].reshape(d, size), 1)
    return ranks


def _rank_normalize(x):
    """Normal scores of the ranks of all draws of each dimension, pooled."""
    n, m, d = x.shape
    size = n * m
    ranks = _average_ranks(x.reshape(size, d).T)
    return ndtri((ranks.T - 0.375) / (size + 0.25)).reshape(n, m, d)


def _r_hat(x):
    """Potential scale reduction factor of chains x (n, m, d), already split."""
    n = x.shape[0]
    within = x.var(axis=0, ddof=1).mean(axis=0)
    between_over_n = x.mean(axis=0).var(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(((n - 1) / n * within + between_over_n) / within)


def _tail_indicators(chain):
    """Indicators ``x <= q`` of the 5% and 95% quantiles, shape (n, m, 2 d).

    The quantiles are those of all draws of each dimension, pooled.
    """
    d = chain.shape[2]
    q = np.quantile(chain.reshape(-1, d), [0.05, 0.95], axis=0)
    return np.concatenate([chain <= q[0], chain <= q[1]], axis=2).astype(float)


def _diagnose(chain):
    """r_hat (rank), bulk ESS and tail ESS of a valid chain, sharing the work."""
    n, m, d = chain.shape
    if n < _MIN_STEPS:
        nan = np.full(d, np.nan)
        return nan, nan.copy(), nan.copy()
    split = _split(chain)
    bulk = _rank_normalize(split)
    folded = _rank_normalize(np.abs(split - np.median(split, axis=(0, 1))))
    r_hat = np.fmax(_r_hat(bulk), _r_hat(folded))
    r_hat[np.isnan(_r_hat(bulk))] = np.nan
    ess = _geyer_ess(np.concatenate([bulk, _split(_tail_indicators(chain))], axis=2))
    return r_hat, ess[:d], np.fmin(ess[d : 2 * d], ess[2 * d :])


def r_hat(chain, method="rank"):
    """Potential scale reduction factor (R-hat) of every dimension.

    Compares the variance between (split) chains with the variance within
    them. Values close to 1 say the chains agree; chains that have not
    forgotten their starts, are stuck in different modes or have different
    scales give values above 1. Vehtari et al. (2021) recommend running
    longer when it exceeds 1.01.

    Parameters
    ----------
    chain : array-like of shape (n_steps, n_chains, n_dim)
    method : {"rank", "split"}, default="rank"
        ``"rank"``: the maximum of the rank-normalized split R-hat and the
        rank-normalized folded split R-hat (Vehtari et al. 2021), as
        ArviZ's ``rhat(method="rank")``. ``"split"``: the classic split
        R-hat of the draws themselves (Gelman et al. 2013).

    Returns
    -------
    r_hat : ndarray of shape (n_dim,)
        NaN with fewer than 4 steps, or where every draw of a dimension is
        the same.

    See Also
    --------
    effective_sample_size : How many independent draws the chain is worth.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.sampling import r_hat
    >>> x = np.random.default_rng(0).standard_normal((1000, 4, 2))
    >>> bool(np.all(np.abs(r_hat(x) - 1) < 0.01))
    True
    >>> x[:, :2] += 1.0  # two chains sit one standard deviation away
    >>> bool(np.all(r_hat(x) > 1.1))
    True
    """
    chain = _as_chain(chain)
    if method not in _R_HAT_METHODS:
        raise ValueError(f"method must be one of {_R_HAT_METHODS}, got {method!r}.")
    if chain.shape[0] < _MIN_STEPS:
        return np.full(chain.shape[2], np.nan)
    if method == "split":
        return _r_hat(_split(chain))
    return _diagnose(chain)[0]


def effective_sample_size(chain, method="bulk"):
    """Effective sample size (ESS) of every dimension, over all chains.

    The number of independent draws that would estimate the same quantity
    as precisely, from split chains with Geyer's initial monotone sequence
    (Vehtari et al. 2021, section 3.2).

    Parameters
    ----------
    chain : array-like of shape (n_steps, n_chains, n_dim)
    method : {"bulk", "tail", "mean"}, default="bulk"
        ``"bulk"``: ESS of the rank-normalized draws, for the center of the
        distribution (means, medians). ``"tail"``: the smaller ESS of the
        indicators of the 5% and 95% quantiles, for the tails (intervals).
        ``"mean"``: ESS of the draws themselves, for the mean when the
        variance is finite. ArviZ's ``ess`` methods of the same names.

    Returns
    -------
    ess : ndarray of shape (n_dim,)
        At most ``n_steps * n_chains * log10(n_steps * n_chains)``; NaN with
        fewer than 4 steps or where a dimension does not vary within chains.

    See Also
    --------
    integrated_time : ``n_steps * n_chains`` divided by the bulk ESS.
    autocorr_function : The autocorrelation that the ESS sums.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.sampling import effective_sample_size
    >>> x = np.random.default_rng(0).standard_normal((1000, 4, 1))
    >>> bool(3500 < effective_sample_size(x)[0] < 4500)  # independent draws
    True
    """
    chain = _as_chain(chain)
    if method not in _ESS_METHODS:
        raise ValueError(f"method must be one of {_ESS_METHODS}, got {method!r}.")
    if chain.shape[0] < _MIN_STEPS:
        return np.full(chain.shape[2], np.nan)
    if method == "mean":
        return _geyer_ess(_split(chain))
    if method == "bulk":
        return _geyer_ess(_rank_normalize(_split(chain)))
    d = chain.shape[2]
    ess = _geyer_ess(_split(_tail_indicators(chain)))
    return np.fmin(ess[:d], ess[d:])


def integrated_time(chain):
    """Integrated autocorrelation time implied by the bulk ESS.

    ``tau = n_steps * n_chains / effective_sample_size(chain)``: the number
    of steps of one chain that are worth one independent draw. For a
    stationary chain it estimates ``1 + 2 sum_{k>=1} rho(k)``, the sum of
    the autocorrelations, read by Geyer's initial monotone sequence; this is
    what ``MHSampler.autocorr_time_`` holds.

    Parameters
    ----------
    chain : array-like of shape (n_steps, n_chains, n_dim)

    Returns
    -------
    tau : ndarray of shape (n_dim,)
        In units of the stored steps; NaN where the ESS is.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.signal import lfilter
    >>> from skebm.sampling import integrated_time
    >>> noise = np.random.default_rng(0).standard_normal((20000, 4, 1))
    >>> x = lfilter([1.0], [1.0, -0.5], noise, axis=0)  # AR(1), tau = 3
    >>> bool(abs(integrated_time(x)[0] - 3.0) < 0.3)
    True
    """
    chain = _as_chain(chain)
    return chain.shape[0] * chain.shape[1] / effective_sample_size(chain, "bulk")
