"""EnergyClassifier: classes (exhaustive inference) or label vectors."""

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, validate_data

from ._base import BaseEnergyModel, _solver_is_stochastic
from ._restore import restore_on_error
from ._class_inference import ClassInferenceMixin
from ._class_targets import ClassTrialsMixin, encode_classes
from ._multilabel import LABEL_CONSTRAINTS, LabelVectorsMixin
from .energies import CLASSIFIER_ENERGIES
from .energies._registry import NamesWithAuto
from .inference import ClassSpace


class EnergyClassifier(LabelVectorsMixin, ClassTrialsMixin, ClassInferenceMixin,
                       ClassifierMixin, BaseEnergyModel):
    """Energy-based classifier (LeCun et al., 2006).

    The model gives every (input, class) pair an energy ``E_k(x)``; inference
    is ``argmin_k E_k(x)``, an exhaustive search over the classes. Training
    minimizes a loss of the energies, selected by name.

    With a 2-D 0/1 indicator ``y`` (multi-label) the answers are label
    vectors, the energy adds learned label interactions to per-label energies,
    and :meth:`predict` is the jointly lowest-energy label vector (user guide).

    Parameters
    ----------
    loss : str or loss instance, default="nll"
        ``"energy"``, ``"perceptron"``, ``"hinge"``, ``"log"``, ``"lvq2"``,
        ``"mce"``, ``"square_square"``, ``"square_exp"``, ``"nll"``, or an
        instance from :mod:`skebm.losses` (for constants such as ``delta`` of
        LVQ2 or ``gamma`` of the square-exponential loss); an instance keeps
        its own constants, and ``margin`` and ``beta`` are then not used.
    energy : {"auto", "linear", "mlp", "distance"} or a registered name, \
            default="auto"
        ``"auto"``: ``"distance"`` with ``lvq2`` on classes (the prototypes
        of learning vector quantization, in an MLP embedding unless
        ``hidden_layer_sizes=()``), ``"linear"`` with the other losses and
        for label vectors (each loss's ``class_energy``). ``"linear"``:
        ``E_k(x) = -(w_k . x + b_k)``. ``"mlp"``:
        ``E_k(x) = -g_k(x)`` with an MLP ``g``. ``"distance"``: squared
        distance between an embedding of ``x`` (the identity when
        ``hidden_layer_sizes=()``, else the MLP's last hidden layer) and a
        learned prototype of class ``k``, divided by the embedding width.
        The losses that need non-negative energies, and the ``energy``
        loss, see the ``linear`` and ``mlp`` energies through an
        order-keeping map (user guide, "Which energies each loss sees");
        :func:`skebm.compatibility_table` lists every pair.
    hidden_layer_sizes : array-like of int, default=(100,)
        Hidden layers of the ``mlp`` energy and of the ``distance`` embedding.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
    margin : float, default=1.0
        Margin of ``hinge`` and ``square_square``, in energy units (they
        refuse 0); for ``lvq2`` a ratio (zero loss once the most offending
        energy is ``1 + margin`` times the correct one; 0 is the tutorial's
        rule).
    beta : float or "auto", default="auto"
        Inverse temperature of the Gibbs distribution ``softmax(-beta E)``,
        used by the ``nll`` loss and by ``predict_proba``. ``"auto"``: 1 for
        ``nll``, which fixes the energy scale; after the other losses
        ``beta_`` is fitted to the rows ``alpha="auto"`` holds out (carried to
        the refit's energies), else to the training data (temperature
        scaling, see the user guide), and the energies of classes get one
        offset each, fitted to the training rows, where it earns its
        parameters (``answer_space_.tilt``; not by ``partial_fit``). A
        number is used as it is.
    alpha : float or "auto", default="auto"
        L2 penalty ``alpha / 2 * ||W||^2`` on the network's weights and
        input-space prototypes, added to the weighted sum of the losses and
        divided by the total sample weight (in ``partial_fit``, of all the
        rows seen so far): with ``loss="nll"`` and the linear energy,
        multinomial LogisticRegression with ``C = 1 / alpha`` (user guide,
        "Solvers"). ``"auto"``: for classes, as the
        regressor's (see :class:`EnergyRegressor`): 0.1, 1 and 10 each
        fitted on 80% of the distinct rows (below 200 rows, each fold of a
        5-fold cross-validation, stratified when every class has 5 rows;
        below 10 rows, 10 without trials; above 50000, a draw of 50000),
        scored by the log probability of the rows held out at their fitted
        temperature, and the best refitted on all the rows for the
        iterations that scored best (checked every 10; a trial stops 30
        past its best, but a margin loss's on the linear energy under L-BFGS
        waits for ``max_iter``, as it can cross a long plateau, and so does
        its early stopping); for label vectors chosen by a 3-fold
        cross-validation (of the distinct rows) of a model without label
        interactions. ``partial_fit`` keeps the ``alpha_`` of an earlier fit,
        or takes 1 (0.5 for label vectors). Not applied with ``lvq2``, which
        is scale-invariant: ``alpha_`` is then 0, whatever ``alpha``.
    solver : {"auto", "adam", "sgd", "lbfgs"}, default="auto"
        ``"auto"`` is full-batch ``"lbfgs"`` for the linear energy and for
        up to 10000 samples; ``"adam"`` for larger networks, for
        ``partial_fit``, with a ``sampler`` (its gradient is noisy) and for
        the perceptron loss. ``"lbfgs"`` is scipy's, or above about 170000
        parameters a low-memory one of skebm's (user guide, "Solvers").
    learning_rate_init : float or "auto", default="auto"
        Step size of ``adam`` and ``sgd``. ``"auto"``: 0.001, and 0.01 for
        the perceptron loss and the linear energy (their
        ``training_defaults()``) and with a ``sampler``.
    momentum : float, default=0.9
        Nesterov momentum of ``sgd``.
    batch_size : int or "auto", default="auto"
        ``"auto"``: 200, or a 200th of the samples above 40000. Ignored
        by ``lbfgs``.
    max_iter : int, default=200
        Epochs of ``adam`` and ``sgd``, iterations of ``lbfgs``.
    tol : float, default=1e-4
        Training stops when the loss (or validation score) has not improved
        by ``tol`` for ``n_iter_no_change`` epochs (``lbfgs``: iterations, or
        with ``early_stopping`` at least 3 checks); ``alpha="auto"``'s refit
        runs the count its trials chose, but for ``early_stopping``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified; with
        ``lbfgs``, of the distinct rows) and stop when its accuracy stops
        improving, checked every epoch (every 10 ``lbfgs`` iterations); the
        best parameters are kept. With ``alpha="auto"``, in the refit.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    warm_start : bool, default=False
        Start from the previous solution when the architecture is unchanged
        (a ValueError, as in MLPClassifier, for other features or classes).
    random_state : int, RandomState instance or None, default=None
    verbose : bool or int, default=False
        Print the training loss of every epoch; with ``alpha="auto"`` (one
        column of classes), a line for each trial penalty, then the refit's.
    sampler : MHSampler or None, default=None
        With ``loss="nll"``, the contrastive term of the gradient is the
        visit frequencies of Metropolis-Hastings chains over the labels,
        started at each sample's label (user guide, "Sampling the
        contrastive term").
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied with ``sample_weight`` in the loss
        but not in the total the penalty is weighed against (user guide).
        Not for multi-label targets, whose loss has one term per label vector.
    label_interactions : bool, default=True
        Multi-label: learn pairwise label interactions (False: labels depend
        on each other only through the input).
    max_enumerated_labels : int, default=16
        Multi-label: exact inference over all 2^L label vectors while ``L`` is
        at most this; beyond, local search and Metropolis-Hastings
        (:class:`~skebm.inference.LabelVectorSpace`).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        For multi-label targets, the label columns ``arange(n_labels)``.
    loss_ : float
        Final value of the objective (as MLPClassifier's ``loss_``).
    alpha_ : float
        The L2 penalty applied, see ``alpha`` (0 with ``lvq2``).
    energy_ : LinearEnergy, MLPEnergy, DistanceEnergy or LabelPairEnergy
        The fitted architecture; its parameters are ``energy_.coefs_``,
        ``energy_.intercepts_`` and, for ``distance``,
        ``energy_.prototypes_``. For label vectors, a LabelPairEnergy around
        the chosen architecture, with ``interactions_`` and ``offsets_``.
    answer_space_ : ClassSpace or LabelVectorSpace
        The answers and their search.
    beta_ : float
        Inverse temperature of ``predict_proba``, see ``beta``.
    solver_ : str
        The solver used.
    n_iter_ : int
        Epochs run (iterations for ``lbfgs``).
    t_ : int
        Training samples seen.
    loss_curve_ : list of float
        Objective after each epoch.
    best_loss_ : float or None
    validation_scores_ : list of float or None
        Validation accuracy at each check of ``early_stopping``.
    best_validation_score_ : float or None
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Defined when ``X`` has feature names.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : what ``loss="nll"`` with the
        linear energy fits, up to the scaling of the penalty.
    sklearn.neural_network.MLPClassifier : what ``loss="nll"`` with the mlp
        energy fits.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skebm import EnergyClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(),
    ...                     EnergyClassifier(loss="hinge", random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    # one batch's class frequencies are not the data's, and a margin loss's
    # energy scale moves from call to call: partial_fit fits no tilt
    _TILTS_FIRST_BATCH = False

    _parameter_constraints = {
        **BaseEnergyModel._parameter_constraints,
        "energy": [StrOptions(NamesWithAuto(CLASSIFIER_ENERGIES))],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        **LABEL_CONSTRAINTS,
    }

    def __init__(
        self,
        loss="nll",
        energy="auto",
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        margin=1.0,
        beta="auto",
        alpha="auto",
        solver="auto",
        learning_rate_init="auto",
        momentum=0.9,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        warm_start=False,
        random_state=None,
        verbose=False,
        sampler=None,
        class_weight=None,
        label_interactions=True,
        max_enumerated_labels=16,
    ):
        self.loss = loss
        self.energy = energy
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.margin = margin
        self.beta = beta
        self.alpha = alpha
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.sampler = sampler
        self.class_weight = class_weight
        self.label_interactions = label_interactions
        self.max_enumerated_labels = max_enumerated_labels

    # -- steps of BaseEnergyModel._fit --------------------------------------------
    def _validate_input(self, X, y, sample_weight, reset):
        if (labels := self._validate_label_vectors(X, y, sample_weight, reset)):
            return labels
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32],
            reset=reset,
        )
        check_classification_targets(y)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                             ensure_non_negative=True)
        return X, y, sample_weight

    def _check_targets(self, X, y, sample_weight, incremental):
        # the regressor's checks of its targets; the classes are checked on
        # encoding
        pass

    def _encode_targets(self, y, sample_weight, incremental, fitted, classes=None):
        """Class indices, the sample weights times the class weights, the
        factor that keeps the penalty's amount of data, and ``classes_``."""
        if (labels := self._encode_label_vectors(y, sample_weight, incremental,
                                                 fitted, classes)):
            return labels
        return encode_classes(
            y, sample_weight, self.class_weight, incremental,
            self.classes_ if fitted else None, classes)

    def _check_warm_targets(self, y, fitted_targets):
        def kind(label_vectors, classes):
            return f"{'labels' if label_vectors else 'classes'} {classes.tolist()}"

        fitted, given = (kind(self._label_vectors(), self.classes_),
                         kind(y.ndim == 2, fitted_targets["classes_"]))
        if fitted != given:
            raise ValueError(f"warm_start continues the fitted {fitted}; y has "
                             f"{given}. Set warm_start=False to fit them afresh.")

    def _answer_space(self, energy_cls, X, y, sample_weight, continued,
                      fitted_targets, loss, spread=None, y_standardization=None):
        if y.ndim == 2:
            return self._label_answer_space(y), y
        return ClassSpace(len(fitted_targets["classes_"]), self.sampler), y

    def _stratify(self, y):
        return y if y.ndim == 1 and np.bincount(y).min() >= 2 else None

    def _energy_name(self, loss, y):
        if self.energy != "auto":
            return self.energy
        # label vectors: LVQ2's ratio is then one of whole vectors' energies,
        # not of distances to prototypes (the linear energy did as well or
        # better on make_multilabel_classification)
        return "linear" if y.ndim == 2 else loss.class_energy

    def _validation_score(self, space, energy, X, y, sample_weight, beta, loss):
        return space.score(energy, X, y, sample_weight, beta)

    def fit(self, X, y, sample_weight=None):
        """Fit the model to data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a 0/1 indicator of label sets.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
            The fitted estimator.
        """
        super().fit(X, y, sample_weight)
        self._check_answers(X, y, sample_weight)
        return self

    @available_if(_solver_is_stochastic)
    @restore_on_error
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of the stochastic solver on a batch of data.

        Later calls continue the fitted architecture: ``energy``,
        ``hidden_layer_sizes``, ``activation`` or a loss that change it raise
        a ValueError (``fit`` starts over).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        classes : array-like of shape (n_classes,), default=None
            Every class; required on the first call, but for label vectors.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : EnergyClassifier
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags
