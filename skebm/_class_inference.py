"""What a fitted :class:`~skebm.EnergyClassifier` answers: energies, the
argmin, the Gibbs distribution and the free energy, over classes or (through
:func:`~skebm._multilabel.over_labels`) label vectors."""

import warnings

import numpy as np

from ._multilabel import over_labels
from .inference import ClassSpace


class ClassInferenceMixin:
    """Inference of :class:`~skebm.EnergyClassifier`."""

    def _check_answers(self, X, y, sample_weight):
        """Warn when a saturating loss answers one class to every training
        row: flat beyond its window, it stops pulling on the rows it
        misclassifies by far, and on overlapping classes it can give a rare
        one up (on 1470 rows of 84% one class, LVQ2 with the linear energy
        and MCE with the mlp energy; user guide). Not where ``class_weight``
        already weighs the classes, nor for classes of zero weight."""
        if (not self._loss.saturates or self._label_vectors()
                or self.class_weight is not None):
            return
        weighted = np.asarray(y) if sample_weight is None else \
            np.asarray(y)[np.asarray(sample_weight) > 0]
        answers = np.unique(self.predict(X))
        if len(answers) == 1 and len(np.unique(weighted)) > 1:
            energy = self._energy_name(self._loss, np.empty(0))
            warnings.warn(
                f"EnergyClassifier(loss={self._loss.name!r}, energy={energy!r}) "
                f"predicts {answers.tolist()[0]!r} for every training row. The "
                f"{self._loss.name} loss saturates (it is flat for rows "
                "misclassified by far), which can give up a rare class; if the "
                "other classes matter, try class_weight='balanced' or a loss "
                "that does not saturate (loss='log', 'hinge' or 'nll').",
                UserWarning)

    def energies(self, X):
        """Energy of every class (less the tilt of a margin loss's
        calibration, ``answer_space_.tilt``), or the energy ``u_l(x)`` each
        label adds when on (before the interactions ``energy_.interactions_``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        energies : ndarray of shape (n_samples, n_classes or n_labels)
        """
        X = self._check_X(X)
        space = self.answer_space_
        with np.errstate(over="ignore", invalid="ignore"):
            energies = (space.energies(self.energy_, X) if isinstance(space, ClassSpace)
                        else self.energy_.energies(X))
            bad = ~np.isfinite(energies * self._gibbs_beta).all(axis=1)
        if bad.any():
            warnings.warn(
                f"{bad.sum()} sample(s) got non-finite energies (overflow): "
                "inputs far outside the training range? Their predictions and "
                "probabilities are not meaningful.", UserWarning)
        return energies

    @over_labels
    def decision_function(self, X):
        """Negative energies; for two classes ``E_0 - E_1``, positive for
        ``classes_[1]``; per label, max-marginal differences (user guide).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes or n_labels)
        """
        energies = self.energies(X)
        if energies.shape[1] == 2:
            return energies[:, 0] - energies[:, 1]
        return -energies

    @over_labels
    def predict(self, X):
        """The class, or the label vector, of lowest energy.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        energies = self.energies(X)
        return self.classes_[self.answer_space_.argmin(energies)]

    @over_labels
    def predict_proba(self, X):
        """Gibbs distribution ``softmax(-beta E)`` over the classes; for
        label vectors its marginals ``P(y_l = 1 | x)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes or n_labels)
        """
        energies = self.energies(X)
        return self.answer_space_.proba(energies, self._gibbs_beta)

    @over_labels
    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes or n_labels)
        """
        energies = self.energies(X)
        return self.answer_space_.log_proba(energies, self._gibbs_beta)

    @over_labels
    def score_samples(self, X):
        """Negative free energy ``(1/beta) log sum_y exp(-beta E(x, y))``, over
        classes or all label vectors (``L <= max_enumerated_labels``).

        Higher means an input more typical of the training data for
        energies bounded below by the data (``distance``); the ``linear``
        and ``mlp`` energies fall without bound far from the data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        energies = self.energies(X)
        beta = self._gibbs_beta
        return self.answer_space_.log_partition(energies, beta) / beta
