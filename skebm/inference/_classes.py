"""A handful to thousands of classes: exhaustive inference."""

import numpy as np
from scipy.special import logsumexp, softmax

from ..sampling import categorical_frequencies, mh_categorical
from ._base import AnswerSpace, Candidates
from ._temperature import fit_inverse_temperature


class ClassSpace(AnswerSpace):
    """The classes of a classifier, searched exhaustively.

    Every class is a candidate of every sample; the energy architecture
    gives the whole ``(n_samples, n_classes)`` matrix in one pass, the most
    offending incorrect answer is the lowest-energy other class, and the
    log-partition is an exact log-sum-exp. With a ``sampler`` the NLL's
    contrastive term is instead the visit frequencies of Metropolis-Hastings
    chains over the classes, started at the correct one.

    Parameters
    ----------
    n_classes : int
    sampler : MHSampler or None, default=None

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.inference import ClassSpace
    >>> space = ClassSpace(3)
    >>> E = np.array([[1.0, 0.0, 2.0]])
    >>> space.argmin(E), space.log_partition(E, beta=1.0).round(3)
    (array([1]), array([0.408]))
    """

    def __init__(self, n_classes, sampler=None):
        self.n_classes = n_classes
        self.sampler = sampler

    @property
    def n_answers(self):
        """Width of the energy matrix: one column per class."""
        return self.n_classes

    def candidates(self, energy, X, y, step):
        energies, cache = energy.forward(X)
        contrast = None
        if self.sampler is not None:
            s = self.sampler
            # chains start at the correct label, as in contrastive divergence
            init = np.repeat(y[:, None], s.n_chains, axis=1)
            states, _ = mh_categorical(
                -step.beta * energies, n_chains=s.n_chains, n_steps=s.n_steps,
                random_state=step.rng, init=init, burn_in=s._burn_in_steps())
            contrast = categorical_frequencies(states, energies.shape[1])
        return energies, cache, Candidates(y, contrast=contrast)

    @staticmethod
    def argmin(energies):
        """Column of the lowest energy of each row."""
        return np.argmin(energies, axis=1)

    @staticmethod
    def log_partition(energies, beta):
        """``log sum_k exp(-beta E_k)`` of each row (NaN for a row of
        non-finite energies, which the estimator warns about)."""
        with np.errstate(invalid="ignore", over="ignore"):
            return logsumexp(-beta * energies, axis=1)

    @staticmethod
    def proba(energies, beta):
        """Gibbs probabilities ``softmax(-beta E)``."""
        with np.errstate(invalid="ignore", over="ignore"):
            return softmax(-beta * energies, axis=1)

    @staticmethod
    def log_proba(energies, beta):
        """Log Gibbs probabilities ``log softmax(-beta E)``."""
        with np.errstate(invalid="ignore", over="ignore"):
            logits = -beta * energies
            return logits - logsumexp(logits, axis=1, keepdims=True)

    def fit_beta(self, energy, X, y, sample_weight, loss, beta, total_weight=None):
        """Inverse temperature of ``predict_proba``: the loss's own for a
        loss with a partition (NLL), which fixes the energy scale; otherwise
        the maximum-likelihood temperature of the energies of rows ``X``,
        with the targets smoothed by one pseudo-observation per class
        (spread over all classes) among ``total_weight`` (default: the
        rows' weight; the training set's, for rows held out of it), so that
        separable data do not drive it to infinity."""
        if loss.partition:
            return beta
        energies = energy.energies(X).astype(np.float64)
        k = energies.shape[1]
        if total_weight is None:
            total_weight = sample_weight.sum()
        smooth = k / (total_weight + k)
        rows = np.arange(len(y))
        # the smoothed targets' mean energy
        target = (1 - smooth) * energies[rows, y] + smooth * energies.mean(axis=1)
        return self._temperature_of(energies, sample_weight, target)

    def match_beta(self, energy, X, sample_weight, targets):
        """The inverse temperature whose Gibbs probabilities of rows ``X``
        have the least cross-entropy against ``targets``, probabilities of
        shape ``(n_samples, n_classes)`` (a convex problem in ``beta``)."""
        energies = energy.energies(X).astype(np.float64)
        return self._temperature_of(energies, sample_weight,
                                    np.einsum("nk,nk->n", targets, energies))

    def _temperature_of(self, energies, sample_weight, target):
        """The ``beta`` at which the rows' Gibbs mean energy, weighted,
        equals their targets' mean energy ``target``: the zero of the
        cross-entropy's derivative in ``beta``."""
        w = sample_weight / sample_weight.sum()

        def nll_gradient(b):
            p = self.proba(energies, b)
            return float(w @ (target - np.einsum("nk,nk->n", p, energies)))

        return fit_inverse_temperature(nll_gradient, float(np.std(energies)))

    def score(self, energy, X, y, sample_weight, beta):
        """Weighted accuracy of the argmin, for early stopping."""
        pred = self.argmin(energy.energies(X))
        return float(np.average(pred == y, weights=sample_weight))
