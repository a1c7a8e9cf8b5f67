"""The objective every solver minimizes: the pieces composed."""

import numpy as np

from .._rows import row_block
from .._underflow import flush
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
        Total sample weight of the training data (of ``partial_fit``: of
        all the rows seen so far).
    """

    def __init__(self, energy, space, loss, beta, alpha, weight_total):
        self.energy = energy
        self.space = space
        self.loss = loss
        self.beta = beta
        penalized = alpha and not loss.scale_invariant
        self._penalized = energy.penalized_ if penalized else None
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

        The batch is taken in blocks of the answer space's ``block_rows``
        rows, so that a full batch of a million rows needs the candidates'
        energies of one block at a time, not of all rows at once.
        """
        n_rows = X.shape[0]
        value, grad = 0.0, None
        # a trial step may overflow; the non-finite value is then handled below
        with np.errstate(over="ignore", invalid="ignore"):
            size = self.space.block_rows
            whole = n_rows <= size  # slicing would copy a CSC X
            # not sklearn's gen_batches: its parameter validation costs a
            # tenth of a small fit's evaluation
            for start in range(0, n_rows, size):
                block = slice(start, min(start + size, n_rows))
                block_value, block_grad = self._data_term(
                    X if whole else row_block(X, block),
                    y if whole else y[block], sample_weight[block] / n_rows,
                    rng, None if rows is None else rows[block])
                value += block_value
                if grad is None:
                    grad = block_grad
                else:
                    grad += block_grad
            if self._penalized is not None:
                penalized = np.where(self._penalized, self.energy.params_, 0)
                value += 0.5 * self._scale * float(penalized @ self.energy.params_)
                grad += np.multiply(self._scale, penalized, out=penalized)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return np.inf, np.zeros_like(grad)
        return value, grad

    def _data_term(self, X, y, weights, rng, rows):
        """Weighted sum of the losses of a block of rows, and its gradient."""
        energies, cache, answers = self.space.candidates(
            self.energy, X, y, Step(self.beta, rng, rows, self.loss.partition))
        values, d_energies = self.loss.value_gradient(
            energies, answers.correct, answers.incorrect,
            log_weights=answers.log_weights, contrast=answers.contrast)
        d_energies *= weights[:, None]
        # far answers' gradients underflow, and so do their products in the
        # energy's backward (1.3 ms against 0.2 for a grid of 130 answers)
        flush(d_energies)
        return float(weights @ values), self.energy.backward(cache, d_energies)
