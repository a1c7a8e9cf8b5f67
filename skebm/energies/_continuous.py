"""The base of the architectures whose answers are real vectors.

For regression an answer is a real vector, so the candidates are inputs of the
energy rather than columns of its output. These architectures take the
candidate answers ``Y`` of every sample (and optionally a ``grid`` shared by the
whole batch) and return the ``(n_samples, n_candidates)`` energy matrix the
losses consume, with the same flat parameter vector and backward pass.
"""

import numpy as np

from ._network import _BaseEnergy


class _AnswerEnergy(_BaseEnergy):
    """A network ``G(x)`` of width ``n_answers`` followed by a head scoring
    candidate answers against ``G(x)``."""

    #: whether an answer may have several columns
    multi_output = True
    #: whether :meth:`forward` reads ``rows``: the architecture keeps, for a
    #: fit, what it computes from each training answer alone
    keeps_answer_rows = False

    def _n_outputs(self, n_features, n_answers):
        return n_answers

    def network(self, X):
        """``G(X)`` and the activations :meth:`backward` needs."""
        activations = self._network_forward(X)
        return activations[-1], activations

    def forward(self, X, Y, grid=None, G=None, rows=None):
        """Energies of per-sample candidates ``Y`` and shared ``grid``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_candidates[, n_targets])
        grid : ndarray of shape (n_grid,), default=None
            Answers shared by every sample, appended as columns.
        G : tuple, default=None
            ``network(X)``, when already computed.
        rows : tuple (answers, index), default=None
            Says that ``Y`` is ``answers[index]``: the training answers of a
            fit and the batch's rows of them (with
            ``keeps_answer_rows`` only).

        Returns
        -------
        energies : ndarray of shape (n_samples, n_candidates + n_grid)
        cache : object
        """
        g, activations = self.network(X) if G is None else G
        if rows is None:
            energies, head_cache = self._answer_head(g, Y, grid)
        else:
            energies, head_cache = self._answer_head(g, Y, grid, rows=rows)
        return energies, (activations, Y, grid, head_cache)

    def backward(self, cache, d_energies):
        activations, Y, grid, head_cache = cache
        grad = np.zeros_like(self.params_)
        d_g = self._answer_head_backward(activations[-1], Y, grid, head_cache,
                                         d_energies)
        self._network_backward(activations, d_g, grad)
        return grad
