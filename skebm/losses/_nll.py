"""The negative log-likelihood loss (LeCun et al., 2006, section 2.2.4)."""

import numpy as np

from .._underflow import flushed_exp
from ._base import BaseLoss, _check_positive, _correct_energy


class NLLLoss(BaseLoss):
    """Negative log-likelihood of the Gibbs distribution.

    ``E_C + (1 / beta) * log sum_Y exp(-beta * E(Y))``, the cross-entropy of
    ``softmax(-beta * E)``. Its gradient is ``onehot(C) - softmax(-beta * E)``:
    push the correct answer down, pull every answer up in proportion to its
    Gibbs probability.

    Parameters
    ----------
    beta : float, default=1.0
        Inverse temperature.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.losses import NLLLoss
    >>> NLLLoss().value(np.array([[0.0, 0.0]]), np.array([0]))
    array([0.69314718])
    """

    name = "nll"
    partition = True
    constants = ("beta",)

    def __init__(self, beta=1.0):
        self.beta = _check_positive("beta", beta)

    def gibbs_beta(self, default):
        return self.beta

    def value_gradient(self, energies, y, incorrect=None, *, log_weights=None,
                       contrast=None):
        # incorrect is unused: every answer is in the partition
        # the dtype of -beta * energies (+ log_weights), written in place
        weights = () if log_weights is None else (log_weights,)
        logits = np.multiply(energies, -self.beta,
                             dtype=np.result_type(energies, -self.beta, *weights))
        if log_weights is not None:
            logits += log_weights
        # one pass of exponentials, in place, and no log-probabilities but
        # the correct answer's: the grid's softmax dominates a joint fit
        rows = np.arange(energies.shape[0])
        top = logits.max(axis=1, keepdims=True)
        logits -= top
        shifted_correct = logits[rows, y]
        p = flushed_exp(logits, out=logits)
        total = p.sum(axis=1, keepdims=True)
        log_total = np.log(total[:, 0])
        if log_weights is None:
            # E_C + log Z / beta as -log_softmax at the correct answer:
            # subtracting the two large terms would lose log Z's small part
            value = (log_total - shifted_correct) / self.beta
        else:
            # the correct answer's weight (possibly 0) is not part of E_C
            value = _correct_energy(energies, y) + (top[:, 0] + log_total) / self.beta
        if contrast is None:
            grad = np.divide(p, -total, out=p).astype(energies.dtype, copy=False)
        else:
            grad = -contrast.astype(energies.dtype, copy=True)
        grad[rows, y] += 1.0
        return value, grad
