"""Sampling: the Metropolis-Hastings engines, MHSampler and its diagnostics.

:class:`MHSampler` runs random-walk Metropolis-Hastings chains on a continuous
target as a scikit-learn estimator; :func:`mh_categorical` runs many chains
on small discrete state spaces (the label set of a classifier) at once, and
:func:`mh_label_vectors` over label vectors {0,1}^L with a pairwise energy.

Every chain advances in one vectorized numpy step: the only Python-level work
per iteration is the call of the user's log density (once for all chains when
it is vectorized, once per chain otherwise) and a handful of array operations.
Groups of chains, each with its own random stream, can also run in joblib
workers (``n_jobs``) with the same result as in one process.

The diagnostics are those of Vehtari et al. (2021), as Stan and ArviZ report
them: :func:`r_hat` (rank-normalized, folded split R-hat),
:func:`effective_sample_size` (bulk, tail), :func:`integrated_time`, and
:func:`autocorr_function`, the one autocorrelation of the package.
``MHSampler.to_arviz`` hands the chains to ArviZ.

Answer spaces call the engines for the NLL's sampled contrastive term. To add
a proposal, write its update in a module of its own beside ``_metropolis.py``
and let ``MHSampler`` select it by ``move``; anything emcee implements comes
for free through ``move=<emcee Move>``.
"""

from ._autocorrelation import autocorr_function
from ._binary import mh_label_vectors
from ._categorical import categorical_frequencies, mh_categorical
from ._diagnostics import effective_sample_size, integrated_time, r_hat
from ._mh_sampler import MHSampler

__all__ = [
    "MHSampler",
    "autocorr_function",
    "categorical_frequencies",
    "effective_sample_size",
    "integrated_time",
    "mh_categorical",
    "mh_label_vectors",
    "r_hat",
]
