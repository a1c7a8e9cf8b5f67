"""Held-out scoring of a fitted sampler: the log pointwise predictive density."""

import warnings

import numpy as np
from scipy.special import logsumexp
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ._densities import _pointwise

# Samples per block: keeps the (block, n_obs) log-likelihood matrix near 16 MB.
_CELLS = 2**21


def _blocks(log_likelihood, vectorized, samples, X):
    """The log-likelihood matrix of ``samples`` at the rows of ``X``, in
    blocks of samples (a vectorized callable gets one block at a time)."""
    chunk = max(1, _CELLS // max(X.shape[0], 1))
    for s in range(0, len(samples), chunk):
        yield _pointwise(log_likelihood, vectorized, samples[s : s + chunk], X)


def _log_pointwise_predictive_density(log_likelihood, vectorized, samples, X):
    """``log mean_s exp(log_likelihood(theta_s, x))`` for each row ``x`` of X.

    Each block of samples is reduced with logsumexp, so memory stays bounded
    whatever the number of samples.
    """
    partial = [logsumexp(block, axis=0)
               for block in _blocks(log_likelihood, vectorized, samples, X)]
    return logsumexp(np.stack(partial), axis=0) - np.log(len(samples))


def _pointwise_log_likelihood(log_likelihood, vectorized, chain, X):
    """The log-likelihood of every kept draw of ``chain`` (n_kept, n_chains,
    n_dim) at each row of ``X``: shape (n_chains, n_kept, n_obs), ArviZ's
    order."""
    n_kept, n_chains, n_dim = chain.shape
    ll = np.empty((n_kept * n_chains, X.shape[0]))
    start = 0
    for block in _blocks(log_likelihood, vectorized, chain.reshape(-1, n_dim), X):
        ll[start:start + len(block)] = block
        start += len(block)
    _warn_of_nan_rows(np.isnan(ll).any(axis=0), "their pointwise log-likelihoods "
                      "are NaN, and so are az.loo's and az.waic's estimates")
    return np.moveaxis(ll.reshape(n_kept, n_chains, -1), 0, 1)


def _warn_of_nan_rows(nan, consequence):
    """Warn of the rows of X (a boolean mask ``nan``) whose
    log_likelihood was NaN, and of its ``consequence``."""
    rows = np.flatnonzero(nan)
    if rows.size:
        warnings.warn(
            f"log_likelihood returned NaN at {rows.size} row(s) of X (first: "
            f"row {rows[0]}); {consequence}. Return -inf where a row has no "
            "probability.", UserWarning)


class HeldOutScoreMixin:
    """``score`` and ``score_samples`` of a sampler fitted with a
    ``log_likelihood``: the log pointwise predictive density of new rows."""

    def _has_log_likelihood(self):
        # a template with neither callable scores: GridSearchCV over
        # log_likelihood asks the template before it sets one
        if self.log_likelihood is None and self.log_prob is not None:
            raise AttributeError(
                "score needs log_likelihood: a log_prob alone has no held-out data "
                "to score."
            )
        return True

    @available_if(_has_log_likelihood)
    def score_samples(self, X):
        """Log pointwise predictive density of each row of ``X``.

        ``log mean_s exp(log_likelihood(theta_s, x))`` over the kept samples
        ``theta_s``, computed stably with logsumexp.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_obs, n_features)

        Returns
        -------
        lppd : ndarray of shape (n_obs,)
        """
        lppd = _log_pointwise_predictive_density(
            self.log_likelihood, self.vectorized, self.samples_, self._check_data(X)
        )
        _warn_of_nan_rows(np.isnan(lppd), "their scores, and score's mean, are NaN")
        return lppd

    def _check_data(self, X):
        """New rows of the data of ``log_likelihood``, validated as fit's."""
        check_is_fitted(self)
        return validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)

    @available_if(_has_log_likelihood)
    def score(self, X, y=None):
        """Mean log pointwise predictive density of held-out ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_obs, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
            Higher is better, so GridSearchCV can compare priors and models.
        """
        return float(np.mean(self.score_samples(X)))
