"""MCMC convergence diagnostics, vectorized over chains and dimensions.

Every function takes a chain of shape (n_steps, n_chains, n_dim) and returns
one value per dimension.

References
----------
A. D. Sokal, "Monte Carlo Methods in Statistical Mechanics: Foundations and
New Algorithms" (1997), for the integrated autocorrelation time and its
automated window.
A. Gelman et al., "Bayesian Data Analysis", 3rd ed. (2013), section 11.4,
for the split-chain potential scale reduction factor.
"""

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft


def _as_chain(chain):
    chain = np.asarray(chain, dtype=float)
    if chain.ndim != 3:
        raise ValueError(
            "chain must have shape (n_steps, n_chains, n_dim), got shape "
            f"{chain.shape}."
        )
    return chain


def autocorr_function(chain):
    """Normalized autocorrelation function of every chain and dimension.

    Parameters
    ----------
    chain : array-like of shape (n_steps, n_chains, n_dim)

    Returns
    -------
    acf : ndarray of shape (n_steps, n_chains, n_dim)
        ``acf[0] == 1`` wherever the chain is not constant; NaN where it is.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.sampling import autocorr_function
    >>> x = np.cos(np.pi * np.arange(100))[:, None, None]  # +1, -1, +1, ...
    >>> autocorr_function(x)[:3, 0, 0].round(2)
    array([ 1.  , -0.99,  0.98])
    """
    chain = _as_chain(chain)
    n = chain.shape[0]
    centered = chain - chain.mean(axis=0)
    # Zero padding to >= 2n turns the circular FFT correlation into the linear one.
    spectrum = rfft(centered, n=next_fast_len(2 * n), axis=0)
    acov = irfft(spectrum * spectrum.conj(), axis=0)[:n]
    with np.errstate(invalid="ignore", divide="ignore"):
        return acov / acov[0]


def integrated_time(chain, c=5.0):
    """Integrated autocorrelation time with Sokal's automated window.

    The autocorrelation functions of the chains are averaged, and
    ``tau(M) = 1 + 2 sum_{k=1}^{M} rho(k)`` is read at the smallest window
    ``M >= c * tau(M)`` (or at the end of the chain if there is none).

    Parameters
    ----------
    chain : array-like of shape (n_steps, n_chains, n_dim)
    c : float, default=5.0
        Window constant.

    Returns
    -------
    tau : ndarray of shape (n_dim,)
        In units of the stored steps; NaN for a dimension in which every chain
        is constant.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.sampling import integrated_time
    >>> x = np.random.default_rng(0).standard_normal((4000, 4, 1))
    >>> bool(abs(integrated_time(x)[0] - 1.0) < 0.2)
    True
    """
    acf = autocorr_function(chain)
    n = acf.shape[0]
    # Constant chains (NaN acf) carry no information about the correlation.
    moving = ~np.isnan(acf[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(moving, acf, 0.0).sum(axis=1) / moving.sum(axis=0)
    taus = 2.0 * np.cumsum(rho, axis=0) - 1.0
    below = np.arange(n)[:, None] < c * taus
    window = np.where(below.all(axis=0), n - 1, np.argmin(below, axis=0))
    tau = taus[window, np.arange(taus.shape[1])]
    tau[np.isnan(rho[0])] = np.nan
    return tau


def effective_sample_size(chain, c=5.0):
    """Effective number of independent draws, ``n_steps * n_chains / tau``.

    Parameters
    ----------
    chain : array-like of shape (n_steps, n_chains, n_dim)
    c : float, default=5.0
        Window constant of :func:`integrated_time`.

    Returns
    -------
    ess : ndarray of shape (n_dim,)

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.sampling import effective_sample_size
    >>> x = np.random.default_rng(0).standard_normal((1000, 4, 1))
    >>> bool(3000 < effective_sample_size(x)[0] < 5000)  # independent draws
    True
    """
    chain = _as_chain(chain)
    return chain.shape[0] * chain.shape[1] / integrated_time(chain, c=c)


def split_r_hat(chain):
    """Split-chain potential scale reduction factor (Gelman-Rubin R-hat).

    Each chain is cut into halves (the middle draw is dropped when the length
    is odd) and the between-half variance is compared with the within-half
    variance. Values close to 1 indicate the chains agree; chains stuck in
    different modes give values well above 1.

    Parameters
    ----------
    chain : array-like of shape (n_steps, n_chains, n_dim)

    Returns
    -------
    r_hat : ndarray of shape (n_dim,)
        NaN when there are fewer than 4 steps or the chains are constant.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.sampling import split_r_hat
    >>> x = np.random.default_rng(0).standard_normal((1000, 4, 2))
    >>> bool(np.all(np.abs(split_r_hat(x) - 1) < 0.01))
    True
    """
    chain = _as_chain(chain)
    n_steps, n_chains, n_dim = chain.shape
    half = n_steps // 2
    if half < 2:
        return np.full(n_dim, np.nan)
    halves = np.concatenate([chain[:half], chain[n_steps - half :]], axis=1)
    within = halves.var(axis=0, ddof=1).mean(axis=0)
    between_over_n = halves.mean(axis=0).var(axis=0, ddof=1)
    var_plus = (half - 1) / half * within + between_over_n
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(var_plus / within)
