"""The objective every solver minimizes: the pieces composed."""

import numpy as np

from ..inference import Step


class Objective:
    """Mean weighted loss plus L2 penalty of one model, and its gradient.

    One evaluation is the straight line of the design: the answer space gives
    the batch's candidate answers and their energies, the loss turns the
    energies into values and ``dL/dE``, and the architecture back-propagates
    ``dL/dE`` into ``dL/dW``.

    Parameters
    ----------
    energy : architecture
        Its ``params_`` are the variables.
    space : AnswerSpace
    loss : BaseLoss
    beta : float
        Inverse temperature of the Gibbs distribution the loss trains.
    alpha : float
        L2 penalty; the objective is the weighted sum of the losses plus
        ``alpha / 2 ||W||^2`` over the weights ``energy.penalized_`` marks,
        divided by ``weight_total``, as in LogisticRegression and Ridge. Not
        applied to a scale-invariant loss, which it would shrink to a point.
    weight_total : float
        Total sample weight of the training data.
    """

    def __init__(self, energy, space, loss, beta, alpha, weight_total):
        self.energy = energy
        self.space = space
        self.loss = loss
        self.beta = beta
        penalized = alpha and not loss.scale_invariant
        self._mask = energy.penalized_.astype(energy.params_.dtype) if penalized \
            else None
        self._scale = alpha / weight_total

    def __call__(self, X, y, sample_weight, rng=None, rows=None):
        """Value and gradient with respect to ``energy.params_`` on a batch.

        ``sample_weight`` is normalized to mean one over the training set, so
        that the batch mean estimates the full objective. ``rng`` draws the
        batch's random candidates (None: a deterministic objective, for the
        line search of L-BFGS); ``rows`` are the batch's training rows.
        A non-finite value (a trial step that overflowed) comes back as
        ``inf`` with a zero gradient, which L-BFGS backs off from and the
        stochastic solvers report as divergence.
        """
        energy = self.energy
        # a trial step may overflow; the non-finite value is then handled below
        with np.errstate(over="ignore", invalid="ignore"):
            energies, cache, answers = self.space.candidates(
                energy, X, y, Step(self.beta, rng, rows))
            values, d_energies = self.loss.value_gradient(
                energies, answers.correct, answers.incorrect,
                log_weights=answers.log_weights, contrast=answers.contrast)
            weights = sample_weight / energies.shape[0]
            value = float(weights @ values)
            d_energies *= weights[:, None]
            grad = energy.backward(cache, d_energies)
            if self._mask is not None:
                penalized = energy.params_ * self._mask
                value += 0.5 * self._scale * float(penalized @ energy.params_)
                grad += self._scale * penalized
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return np.inf, np.zeros_like(grad)
        return value, grad
