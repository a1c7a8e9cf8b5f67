"""Multi-label targets of EnergyClassifier: label vectors as answers.

A 2-D 0/1 indicator ``y`` makes the answers label vectors ``{0,1}^L``: the
architecture gains pairwise label interactions
(:class:`~skebm.energies.LabelPairEnergy`), and inference runs on a
:class:`~skebm.inference.LabelVectorSpace`. This module holds what the
estimator does differently for them, so that the classifier itself only
routes.
"""

import functools
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._rows import merge_duplicate_rows
from .energies import CLASSIFIER_ENERGIES
from .energies._label_pairs import over_label_vectors
from .inference import LabelVectorSpace
from .losses import get_loss

#: the parameter constraints of EnergyClassifier for label vectors
LABEL_CONSTRAINTS = {
    "label_interactions": ["boolean"],
    "max_enumerated_labels": [Interval(Integral, 0, 22, closed="both")],
    "alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
}
#: alpha="auto" over label vectors: the penalty without a cross-validation,
#: and the grid and folds of the one that chooses it
AUTO_ALPHA_LABELS = 0.5
AUTO_ALPHAS = tuple(np.logspace(-1, 3, 9).round(1))
AUTO_FOLDS = 3

# what each inference method returns for label vectors, from the answer
# space, the potentials of the inputs and the Gibbs distribution's beta
_ROUTES = {
    "predict": lambda space, pot, beta: space.argmin(pot).astype(np.int64),
    # sums of probabilities round past 1 by an ulp
    "predict_proba": lambda space, pot, beta: np.clip(space.marginals(pot, beta),
                                                      0.0, 1.0),
    "predict_log_proba": lambda space, pot, beta: np.log(
        np.clip(space.marginals(pot, beta), np.finfo(float).tiny, 1.0)),
    "decision_function": lambda space, pot, beta: space.decision(pot),
    "score_samples": lambda space, pot, beta: space.log_partition(pot, beta) / beta,
}


def is_label_matrix(y):
    """Whether ``y`` is 2-D with several columns: label vectors (or an error)."""
    if sp.issparse(y):
        return True
    shape = np.asarray(y).shape
    return len(shape) == 2 and shape[1] > 1


def check_label_vectors(y):
    """A validated 2-D ``y`` as a 0/1 int array; a clear error otherwise."""
    y = y.toarray() if sp.issparse(y) else np.asarray(y)
    values = np.unique(y)
    if y.dtype.kind not in "biuf" or not np.isin(values, [0, 1]).all():
        raise ValueError(
            "EnergyClassifier takes a 2-D y only as a multi-label indicator "
            "matrix of 0/1 values (one column per label); got a 2-D y with "
            f"values {values[:10].tolist()}. Map a -1/1 indicator to 0/1 "
            "((y > 0).astype(int)), pass a 1-D y for multi-class targets, or "
            "binarize label sets with sklearn.preprocessing.MultiLabelBinarizer.")
    return y.astype(np.int64)


def encode_label_vectors(Y, sample_weight, incremental, fitted_space, classes,
                         class_weight):
    """The steps of ``EnergyClassifier._encode_targets`` for label vectors:
    checks against a fitted model, the weights, and ``classes_``."""
    L = Y.shape[1]
    if class_weight is not None:
        raise ValueError(
            "class_weight is not supported for multi-label targets: the loss "
            "has one term per label vector, not per label, so a label's weight "
            "has no place in it. Weight rows with sample_weight instead.")
    if fitted_space is not None and fitted_space.n_labels != L:
        raise ValueError(
            f"y has {L} label columns; the fitted model has "
            f"{fitted_space.n_labels}. partial_fit keeps the labels of the "
            "first call: refit to change them.")
    if classes is not None and not np.array_equal(np.unique(classes), np.arange(L)):
        raise ValueError(
            "For multi-label targets, classes must be the label columns "
            f"range({L}) (or None), got {np.asarray(classes).tolist()}.")
    if not incremental:
        positive = sample_weight > 0
        constant = np.flatnonzero(np.ptp(Y[positive], axis=0) == 0)
        if constant.size:
            warnings.warn(
                f"Label column(s) {constant.tolist()} take one value in every "
                "training row. The model learns them as constant (their "
                "energies are pushed towards always on or always off), and "
                "their interactions with other labels are not identified.",
                UserWarning)
    return Y, sample_weight, 1.0, {"classes_": np.arange(L)}


def over_labels(method):
    """Answer ``method(X)`` over label vectors when the model was fitted on
    them, as ``_ROUTES`` says; otherwise run it as written."""
    route = _ROUTES[method.__name__]

    @functools.wraps(method)
    def wrapper(self, X):
        if not self._label_vectors():
            return method(self, X)
        pot = self._potentials(X)
        out = route(self.answer_space_, pot, self._gibbs_beta)
        if method.__name__ == "predict" and getattr(self, "_sparse_labels", False):
            return sp.csr_matrix(out)
        # in the energies' float type, as over classes
        return out if out.dtype.kind != "f" else out.astype(pot.unary.dtype,
                                                             copy=False)

    return wrapper


class LabelVectorsMixin:
    """Fit and inference steps of :class:`~skebm.EnergyClassifier` for
    multi-label targets, and :meth:`sample_y`."""

    @property
    def _ENERGIES(self):
        # over label vectors each architecture gains pairwise interactions
        return over_label_vectors(CLASSIFIER_ENERGIES, self.label_interactions)

    def _fit(self, X, y, sample_weight, incremental, alpha=None, **target_args):
        """``BaseEnergyModel._fit``, with ``alpha="auto"`` over label vectors
        resolved by :meth:`_auto_alpha`."""
        if alpha is None and self.alpha == "auto" and is_label_matrix(y):
            alpha = self._auto_alpha(X, y, sample_weight, incremental)
        return super()._fit(X, y, sample_weight, incremental, alpha=alpha,
                            **target_args)

    def _fit_selecting_alpha(self, X, y, sample_weight):
        # what BaseEnergyModel.fit calls for alpha="auto": over classes the
        # held-out trials of AlphaSelectionMixin
        if is_label_matrix(y):
            return self._fit(X, y, sample_weight, incremental=False)
        return super()._fit_selecting_alpha(X, y, sample_weight)

    def _auto_alpha(self, X, y, sample_weight, incremental):
        """``alpha="auto"`` over label vectors: the alpha of ``AUTO_ALPHAS``
        whose model without interactions has the highest held-out
        log-likelihood of the labels in a 3-fold cross-validation
        (``partial_fit`` keeps the alpha of the fit before it, or takes 0.5;
        a scale-invariant loss, which takes no penalty, gets 0).
        """
        if not self._takes_penalty():
            # no penalty applies (LVQ2): 27 fits would choose nothing
            return 0.0
        if incremental:
            # an earlier LVQ2 fit's 0 is no choice for a loss with a penalty
            return getattr(self, "alpha_", 0.0) or AUTO_ALPHA_LABELS
        X = check_array(X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])
        Y = check_label_vectors(y)
        if len(Y) != X.shape[0]:
            return AUTO_ALPHA_LABELS  # the fit itself reports the problem
        weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        # folds of distinct rows, so that weights act as repetitions: a
        # repeated row split across folds is scored on its own copy
        X, Y, weight = merge_duplicate_rows(X, Y, weight)
        if X.shape[0] < 2 * AUTO_FOLDS:
            return AUTO_ALPHA_LABELS
        # the energy without interactions: labels independent, inference
        # exact and cheap at any number of labels
        proxy = clone(self).set_params(label_interactions=False, warm_start=True,
                                       early_stopping=False, verbose=0)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        scores = np.zeros(len(AUTO_ALPHAS))
        with warnings.catch_warnings():
            # constant labels in a fold, and short fits: the final fit reports
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            for train, test in KFold(AUTO_FOLDS, shuffle=True,
                                     random_state=seed).split(X):
                model = clone(proxy)
                # from the weakest penalty up, each fit warm-started: down
                # from the strongest, a network's weights decayed to zero,
                # a point no weaker penalty's gradient leaves, and every
                # penalty scored alike (AER's CreditCard, mlp: alpha_ 0.1)
                for i in range(len(AUTO_ALPHAS)):
                    model.set_params(alpha=AUTO_ALPHAS[i])
                    model.fit(X[train], Y[train], weight[train])
                    # in float64: float32 rounds 1 - 1e-12 to 1, whose log1p(-1)
                    # scored a confidently wrong label -inf
                    p = np.clip(model.predict_proba(X[test]).astype(np.float64),
                                1e-12, 1 - 1e-12)
                    log_lik = np.where(Y[test] > 0, np.log(p), np.log1p(-p)).sum(axis=1)
                    scores[i] += weight[test] @ log_lik
        return float(AUTO_ALPHAS[int(np.argmax(scores))])

    def _label_vectors(self):
        check_is_fitted(self)
        return isinstance(self.answer_space_, LabelVectorSpace)

    def _potentials(self, X):
        """The pairwise energy of the label vectors of inputs ``X``."""
        X = self._check_X(X)
        with np.errstate(over="ignore", invalid="ignore"):
            pot = self.energy_.potentials(X)[0]
        bad = ~np.isfinite(pot.unary).all(axis=1)
        if bad.any():
            warnings.warn(
                f"{bad.sum()} sample(s) got non-finite energies (overflow): "
                "inputs far outside the training range? Their predictions and "
                "probabilities are not meaningful.", UserWarning)
        return pot

    def _validate_label_vectors(self, X, y, sample_weight, reset):
        """``_validate_input`` for a 2-D ``y``; None for classes."""
        if not is_label_matrix(y):
            return None
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32], reset=reset,
                             multi_output=True)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                             ensure_non_negative=True)
        if reset:
            # predict answers in the form of the labels given, as MLPClassifier
            self._sparse_labels = sp.issparse(y)
        return X, check_label_vectors(y), sample_weight

    def _encode_label_vectors(self, y, sample_weight, incremental, fitted,
                              classes):
        """``_encode_targets`` for label vectors; None for classes. A target
        of the other kind than the fitted model's is an error."""
        space = getattr(self, "answer_space_", None) if fitted else None
        if fitted and isinstance(space, LabelVectorSpace) != (y.ndim == 2):
            kind = "label-indicator matrix" if y.ndim == 2 else "1-D array of classes"
            raise ValueError(
                f"y is a {kind}, unlike the targets of the fitted model: refit "
                "to change the kind of target.")
        if y.ndim == 1:
            return None
        return encode_label_vectors(y, sample_weight, incremental, space, classes,
                                    self.class_weight)

    def _label_answer_space(self, y):
        loss = get_loss(self.loss, margin=self.margin)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        return LabelVectorSpace(y.shape[1], self.max_enumerated_labels, self.sampler,
                                loss.partition, loss.contrastive,
                                not self.label_interactions, seed)

    def sample_y(self, X, n_samples=1, random_state=None):
        """Answers drawn from the Gibbs distribution ``P(y | x)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples_X, n_features)
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        y_samples : ndarray of shape (n_samples_X, n_samples) or \
(n_samples_X, n_samples, n_labels)
            Classes, or label vectors: ``y_samples[i, j]`` is the ``j``-th
            draw for ``X[i]``. Over more than ``max_enumerated_labels``
            labels each draw is the last state of its own Metropolis-Hastings
            chain, started at the argmin.

        Examples
        --------
        >>> import numpy as np
        >>> from skebm import EnergyClassifier
        >>> X = np.array([[-1.0], [-0.5], [0.5], [1.0]])
        >>> Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1]])
        >>> clf = EnergyClassifier(random_state=0).fit(X, Y)
        >>> clf.sample_y(X, n_samples=5, random_state=0).shape
        (4, 5, 2)
        """
        if not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive int, got {n_samples!r}.")
        if self._label_vectors():
            return self.answer_space_.sample(self._potentials(X), self._gibbs_beta,
                                             n_samples, random_state).astype(np.int64)
        cdf = np.cumsum(self.predict_proba(X), axis=1)
        u = check_random_state(random_state).uniform(size=(len(cdf), n_samples))
        return self.classes_[(cdf[:, None, :-1] <= u[:, :, None]).sum(axis=2)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # multi-label, not multiclass-multioutput: and predict is the joint
        # mode, which the rounded marginals of predict_proba need not match
        tags.classifier_tags.multi_label = True
        return tags
