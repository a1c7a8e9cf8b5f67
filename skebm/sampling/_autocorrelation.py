"""Autocorrelation of MCMC chains, and the effective sample size built on it.

Both are vectorized over chains and dimensions: a chain has shape
(n_steps, n_chains, n_dim), and every autocovariance comes from one FFT.

References
----------
C. J. Geyer, "Practical Markov chain Monte Carlo", Statistical Science 7
(1992), for the initial positive and initial monotone sequence estimators.
A. Vehtari, A. Gelman, D. Simpson, B. Carpenter and P.-C. Bürkner,
"Rank-normalization, folding, and localization: an improved R-hat for
assessing convergence of MCMC", Bayesian Analysis 16 (2021), section 3.2,
for the multi-chain autocorrelation that the effective sample size uses.
"""

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft


def _as_chain(chain, name="chain"):
    chain = np.asarray(chain, dtype=float)
    if chain.ndim != 3:
        raise ValueError(
            f"{name} must have shape (n_steps, n_chains, n_dim), got shape "
            f"{chain.shape}."
        )
    if chain.size and not np.isfinite(chain).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    return chain


def _autocovariance(x):
    """Biased (divided by n) autocovariance along axis 0, lags 0..n-1.

    Returned with the lag as the LAST axis, shape ``x.shape[1:] + (n,)``: the
    FFT runs along contiguous memory, which is what makes it fast.
    """
    n = x.shape[0]
    centered = np.moveaxis(x - x.mean(axis=0), 0, -1).copy()
    # Zero padding to >= 2n turns the circular FFT correlation into the linear one.
    size = next_fast_len(2 * n, real=True)
    spectrum = rfft(centered, n=size, axis=-1)
    np.multiply(spectrum, spectrum.conj(), out=spectrum)
    return irfft(spectrum, n=size, axis=-1)[..., :n] / n


def autocorr_function(chain, max_lag=None):
    """Normalized autocorrelation function of every chain and dimension.

    ``acf[k] = c(k) / c(0)`` with ``c(k) = (1/n) sum_t (x_t - m)(x_{t+k} - m)``
    the autocovariance of one chain about its own mean ``m``, computed for
    all lags at once by FFT. This is the one autocorrelation of the package:
    the effective sample sizes and the trace plots use it.

    Parameters
    ----------
    chain : array-like of shape (n_steps, n_chains, n_dim)
    max_lag : int, default=None
        Largest lag returned; None returns all lags, ``0 .. n_steps - 1``.

    Returns
    -------
    acf : ndarray of shape (n_lags, n_chains, n_dim)
        ``n_lags = max_lag + 1`` (capped at ``n_steps``). ``acf[0] == 1``
        wherever the chain is not constant; NaN where it is.

    See Also
    --------
    effective_sample_size : The effective sample size computed from it.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.sampling import autocorr_function
    >>> x = np.cos(np.pi * np.arange(100))[:, None, None]  # +1, -1, +1, ...
    >>> autocorr_function(x, max_lag=2)[:, 0, 0].round(2)
    array([ 1.  , -0.99,  0.98])
    """
    chain = _as_chain(chain)
    if max_lag is not None and (
        isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer))
        or max_lag < 0
    ):
        raise ValueError(
            f"max_lag must be a non-negative int or None, got {max_lag!r}."
        )
    acov = _autocovariance(chain)  # (n_chains, n_dim, n_steps)
    if max_lag is not None:
        acov = acov[..., : max_lag + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        acf = acov / acov[..., :1]
    return np.moveaxis(acf, -1, 0)


def _geyer_ess(x):
    """Effective sample size of each dimension of chains ``x`` (n, m, d).

    The multi-chain autocorrelation of Vehtari et al. (2021, eq. 10),
    ``rho(t) = 1 - (W - mean_m c_m(t)) / var_plus``, summed by Geyer's
    initial monotone sequence: pairs ``P_k = rho(2k) + rho(2k+1)`` are summed
    while positive, each replaced by the smallest pair before it, and the
    first even lag of the truncated pair is added when positive. The time
    ``tau`` is kept at least ``1 / log10(n m)``, so the size is at most
    ``n m log10(n m)`` (antithetic chains may exceed ``n m``).

    The chains are used as given: splitting and rank normalization are done
    by the caller. NaN where a dimension has no within-chain variance.
    """
    n, m, d = x.shape
    if n < 2 or m < 2:
        return np.full(d, np.nan)
    acov = _autocovariance(x).mean(axis=0).T  # (n, d), averaged over chains
    within = acov[0] * n / (n - 1)
    var_plus = within * (n - 1) / n + x.mean(axis=0).var(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = 1.0 - (within - acov) / var_plus
    rho[0] = 1.0
    # Pairs whose both lags exist and that the positive sequence may read.
    n_pairs = max((n - 1) // 2, 1)
    pairs = rho[: 2 * n_pairs].reshape(n_pairs, 2, d).sum(axis=1)
    # K: the first pair after the 0th that is not positive, else the last one
    # (0 when there is no pair after the 0th).
    stop = ~(pairs[1:] > 0)
    if n_pairs > 1:
        k_stop = np.where(stop.any(axis=0), np.argmax(stop, axis=0) + 1, n_pairs - 1)
    else:
        k_stop = np.zeros(d, dtype=np.intp)
    monotone = np.minimum.accumulate(pairs, axis=0)
    counted = np.arange(n_pairs)[:, None] < k_stop
    tau = -1.0 + 2.0 * np.where(counted, monotone, 0.0).sum(axis=0)
    # The even lag opening pair K: added when positive, or as it is when pair
    # K is not negative (the sequence ran out of lags rather than changing sign).
    rho_k = rho[2 * k_stop, np.arange(d)]
    kept_k = pairs[k_stop, np.arange(d)] >= 0
    tau += np.where(kept_k, rho_k, np.maximum(rho_k, 0.0))
    total = n * m
    tau = np.maximum(tau, 1.0 / np.log10(total))
    ess = total / tau
    ess[~(within > 0) | ~np.isfinite(tau)] = np.nan
    return ess
