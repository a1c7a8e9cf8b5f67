"""Held-out scoring of a fitted sampler: the log pointwise predictive density."""

import numpy as np
from scipy.special import logsumexp

from ._densities import _pointwise

# Samples per block: keeps the (block, n_obs) log-likelihood matrix near 16 MB.
_CELLS = 2**21


def _log_pointwise_predictive_density(log_likelihood, vectorized, samples, X):
    """``log mean_s exp(log_likelihood(theta_s, x))`` for each row ``x`` of X.

    Evaluated in blocks of samples, each reduced with logsumexp, so memory
    stays bounded whatever the number of samples.
    """
    n_obs = X.shape[0]
    chunk = max(1, _CELLS // max(n_obs, 1))
    partial = [
        logsumexp(
            _pointwise(log_likelihood, vectorized, samples[s : s + chunk], X), axis=0
        )
        for s in range(0, len(samples), chunk)
    ]
    return logsumexp(np.stack(partial), axis=0) - np.log(len(samples))
