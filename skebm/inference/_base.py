"""The interface of an answer space, and what it hands the loss."""

from dataclasses import dataclass

import numpy as np


@dataclass
class Candidates:
    """The answers of a training batch, as a loss sees them.

    Attributes
    ----------
    correct : ndarray of shape (n_samples,), dtype int
        Column of the correct answer in the energy matrix.
    incorrect : ndarray of shape (n_samples, n_candidates), dtype bool, or None
        Which candidates count as incorrect when looking for the most
        offending one; None means every column but the correct one.
    log_weights : ndarray broadcastable to the energy matrix, or None
        Log quadrature weights of the candidates in the log-partition.
    contrast : ndarray of shape (n_samples, n_candidates), or None
        Sampled Gibbs probabilities of the candidates.
    """

    correct: np.ndarray
    incorrect: np.ndarray = None
    log_weights: np.ndarray = None
    contrast: np.ndarray = None


@dataclass
class Step:
    """What one training step knows besides its data.

    Attributes
    ----------
    beta : float
        Inverse temperature of the Gibbs distribution the loss trains.
    rng : RandomState or None
        Source of the step's random candidates and chains; None asks for a
        deterministic objective (the line search of L-BFGS).
    rows : ndarray of int or None
        Training rows of the batch, for state kept per training sample
        (persistent chains, the bases of the targets); None for a batch of
        new samples.
    partition : bool
        Whether the loss takes the log-partition over all answers (the
        loss's ``partition``), so that the candidates need no ``incorrect``
        mask.
    """

    beta: float
    rng: object = None
    rows: np.ndarray = None
    partition: bool = False


class AnswerSpace:
    """The set of possible answers for one kind of target, and the search over
    it.

    An answer space provides the candidate answers of a training batch with
    the information the loss needs (:meth:`candidates`), and inference:
    the argmin, the Gibbs distribution's mean, quantiles or samples, and its
    log-partition. Subclasses document which of these they answer exactly
    and which they search or sample.
    """

    #: standardized ``(low, high)`` range of the answers, where bounded
    support = None
    #: rows of a batch the training objective evaluates at a time
    block_rows = 2**15

    def interval(self, energy, X, beta, levels):
        """Ends of the central predictive interval whose probabilities below
        are ``levels`` (n, 2): the quantiles there, (n, n_outputs, 2)."""
        return self.quantiles(energy, X, beta, levels)

    def candidates(self, energy, X, y, step):
        """Energies of a training batch's candidate answers.

        Parameters
        ----------
        energy : architecture
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        y : ndarray
            The batch's correct answers, as the space encodes them.
        step : Step

        Returns
        -------
        energies : ndarray of shape (n_samples, n_candidates)
        cache : object
            What ``energy.backward`` needs.
        candidates : Candidates
        """
        raise NotImplementedError

    def check_sampler(self, sampler, loss):
        """Raise a ValueError if ``sampler`` cannot estimate the contrastive
        term of ``loss`` on this space."""
        sampler._validate_params()
        if not loss.partition:
            raise ValueError(
                "sampler= estimates the contrastive term of the 'nll' loss; "
                f"loss={loss.name!r} has none to estimate.")

    def start_training(self, y):
        """Set up state kept per training sample (none by default)."""

    def stop_training(self):
        """Drop the state of :meth:`start_training`."""


def check_random_walk(sampler):
    """Raise a ValueError unless ``sampler`` configures the Gaussian random
    walks that the continuous answer spaces run over their answers."""
    if sampler.move != "gaussian":
        raise ValueError(
            "the regressor's chains are Gaussian random walks over the "
            f"target: sampler move={sampler.move!r} is not supported; use "
            "move='gaussian'.")
    if sampler.step_size == "auto" and sampler._burn_in_steps() == 0:
        raise ValueError("sampler step_size='auto' is tuned during burn-in: "
                         "set burn_in > 0.")
