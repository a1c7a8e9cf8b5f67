"""EnergyRegressor: continuous answers, inference in their answer space."""

from numbers import Real

from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if

from ._base import BaseEnergyModel, _solver_is_stochastic
from ._restore import restore_on_error
from ._density import GibbsDensityMixin
from ._regression_data import _RegressionDataMixin
from .energies import REGRESSOR_ENERGIES


class EnergyRegressor(GibbsDensityMixin, RegressorMixin, _RegressionDataMixin,
                      BaseEnergyModel):
    """Energy-based regressor (LeCun et al., 2006).

    The model gives every (input, answer) pair an energy ``E(x, y)``.
    Inference is ``argmin_y E(x, y)`` (or the mean of the Gibbs distribution
    ``p(y|x) ~ exp(-beta E(x, y))``), and training minimizes one of the
    tutorial's losses of the energies of the target and of candidate
    answers. Targets are standardized internally: energies, ``epsilon`` and
    the Gibbs distribution live in standardized units.

    Parameters
    ----------
    loss : str or loss instance, default="nll"
        ``"energy"``, ``"perceptron"``, ``"hinge"``, ``"log"``, ``"lvq2"``,
        ``"mce"``, ``"square_square"``, ``"square_exp"``, ``"nll"``, or an
        instance from :mod:`skebm.losses`. The most offending incorrect
        answer is the lowest-energy answer farther than ``epsilon`` from the
        target. ``loss="energy"`` with ``energy="joint"`` raises a
        ValueError: nothing pulls up the energy of wrong answers, so the
        surface collapses to a flat one (``examples/plot_energy_collapse.py``
        builds it by hand, as the tutorial's counter-example).
        ``loss="lvq2"`` with ``linear`` or ``mlp`` raises a ValueError: once
        a prediction is farther than ``epsilon`` from its target LVQ2 gives
        no gradient.
    energy : {"linear", "mlp", "joint"} or a registered name, default="linear"
        ``"linear"`` and ``"mlp"``: ``E(x, y) = 1/2 ||y - G(x)||^2`` with a
        linear or MLP ``G``; inference is ``y = G(x)``, ``y`` may have several
        columns, ``p(y|x)`` is Gaussian (variance ``1/beta``, per output with
        ``beta="auto"``) and the most offending answer is in closed form. ``"joint"``: a
        scalar energy ``E(x, y) = G(x) . psi(y)`` (:class:`~skebm.energies.
        JointEnergy`), which can put low energy on several ``y`` for one
        ``x``; one target column is searched on a grid over the padded
        training range (:class:`~skebm.inference.IntervalSpace`), several
        (``d``) by descent and Markov chains in R^d
        (:class:`~skebm.energies.JointVectorEnergy` on a
        :class:`~skebm.inference.VectorSpace`; above two columns it also
        reads a kernel ridge regression's predictions, see the user
        guide). Under ``nll`` its one-column form penalizes the departure
        from a Gaussian 100 times more than the Gaussian itself (bumps of
        height 0.1). For ``lvq2``,
        ``square_square`` and ``square_exp`` it is mapped through a
        softplus to positive energies. The joint energy answers a new row
        beyond the range of the training inputs as the nearest point of
        that range (each feature clipped, for a model fitted on dense
        ``X``; see the user guide). One column trains in float32.
    hidden_layer_sizes : array-like of int or "auto", default="auto"
        Hidden layers of ``G`` for ``mlp`` and ``joint``. ``"auto"``:
        ``(64, 64)``, and ``(64,)`` for one target column of ``joint``
        under the perceptron and square-square losses (their
        ``joint_hidden_layer_sizes``; user guide).
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
    margin : float, default=1.0
        Margin of the ``hinge`` and ``square_square`` losses, in energy
        units, and relative margin of ``lvq2``: its loss is zero once the
        most offending energy is ``1 + margin`` times the correct one
        (``margin=0`` is the tutorial's rule; hinge and square-square
        refuse 0).
    beta : float or "auto", default="auto"
        Inverse temperature of the Gibbs distribution, used by the ``nll``
        loss and by the density methods. ``"auto"`` fits it, as
        ``beta_``, so that densities and intervals are calibrated: when
        ``alpha="auto"`` runs trials it maximizes the likelihood of the rows
        they hold out (after any loss: a flexible NLL fit is overconfident;
        but above two target columns ``joint`` keeps its training beta);
        otherwise it is, for ``linear`` and ``mlp``, the noise precision
        (the inverse mean squared residual of the standardized training
        targets, of which ``fit`` needs two distinct rows; several outputs
        keep their relative noise variances,
        ``answer_space_.column_variance``), and for ``joint`` 1 after
        ``nll``, else the maximum of the training likelihood. After a
        margin loss, the one-column ``joint`` energy's Gibbs distribution
        also gets a tilt ``exp(beta t z)`` (``answer_space_.tilt``,
        standardized units) that maximizes the training likelihood at the
        fitted temperature: the loss fixes neither the energy's scale nor
        where its Gibbs mean lies, and the tilt brings the mean of the
        predictions near the targets' (user guide). A number is used as it
        is (for every output), without a tilt.
    epsilon : float or "auto", default="auto"
        Radius, in standardized units, of the ball around the target whose
        answers do not count as incorrect for the margin losses. ``"auto"``:
        for one column of the ``joint`` energy under a loss with a ball, 2
        sqrt(2) times the targets' spread around their conditional mean
        (a robust standard deviation of a kernel ridge's leave-one-out
        errors), between 0.5 and 2, or 2 for sparse ``X`` (user guide); 2
        under the NLL; 0.3 otherwise.
    inference : {"auto", "mode", "mean"}, default="auto"
        What :meth:`predict` returns: ``argmin_y E(x, y)`` or the mean of
        the Gibbs distribution (the same for ``linear`` and ``mlp``).
        ``"auto"`` is the mean when the Gibbs distribution is fitted to the
        data (``loss="nll"``, or ``beta="auto"``, which fits the temperature
        after a margin loss), since its mean minimizes the expected squared
        error that ``score`` (R^2) measures; with a hand-set ``beta`` a margin
        loss shapes only where the minimum lies, and ``"auto"`` is the mode.
        The mode is the better answer when ``p(y|x)`` has several separated
        modes.
    alpha : float or "auto", default="auto"
        L2 penalty on the weights: the objective is the weighted sum of the
        losses plus ``alpha / 2 * ||W||^2``, divided by the total sample
        weight (in ``partial_fit``, of all the rows seen so far). With
        ``loss="nll"`` and ``energy="linear"`` this is Ridge with the same
        ``alpha``. ``"auto"`` fits 0.1, 1 and 10 (and 100 for several target
        columns of ``joint``) on 80% of the distinct rows, and with
        ``beta="auto"`` fits each one's temperature to the other 20% (a
        flexible model's training residuals understate its noise); it keeps
        the one whose Gibbs distribution gives those rows the highest
        likelihood (``alpha_``, and its ``beta_``) and refits it on all
        the data; above 2000 distinct rows, where 80% of them fit about as
        well, it keeps that trial's fit; above 50000 the trials fit a draw of
        50000 rows in turn, then it refits on all of them, with no product of
        experts (below). Below 200 distinct rows, where a fifth is too few to
        rank the penalties or fit a temperature, each trial is a 5-fold
        cross-validation scored on all the rows at one temperature (but fits
        that sample, with a ``sampler`` or several target columns of ``joint``,
        keep one split); below 10 rows (20 for one split), or where the rows
        a trial trains on would hold one target value alone (one column of
        ``joint``), ``alpha_`` is 10 (0 for ``lvq2``) without trials. Each
        trial also keeps the iterate (or epoch) whose calibrated likelihood
        of those rows is best (checked every
        10; it stops 30 or ``n_iter_no_change`` past it, whichever is more),
        and the refit runs as many (with folds, the count whose check scores
        best over all of them): the joint energy's NLL fit overfits its
        training rows as it goes on. Several target columns of ``joint``, whose
        sampled gradient anneals, train to their schedule. The NLL on one
        column of ``joint`` joins the two best penalties as a product of
        experts where that scores the held-out rows better (with
        ``beta="auto"``, not on a warm start; ``alpha_`` and ``n_iter_`` are
        the best one's; user guide). It costs four fits (five for several
        target columns of ``joint``; 16 with folds), the last one shorter
        (and one more refit for a product); from 2000 to 50000 rows three,
        whose trials of 0.1 and 10 continue from 1's best iterate (user
        guide: a regularization path, and what its extra iterations mean for
        ``alpha_``). The trials run side by side in as many threads as
        OpenMP would use (``OMP_NUM_THREADS``, else the cores). With ``lvq2``,
        which takes no penalty, one trial chooses the iterations and ``beta_``,
        and ``alpha_`` is 0 (as it is for any ``alpha`` given with it).
        ``partial_fit``, which holds no rows out, uses the ``alpha_`` of an
        earlier ``fit``, else 1 (0 for ``lvq2``). A number is fitted alone,
        to convergence or ``max_iter``, its temperature that of the training
        rows (``beta``): the model of ``"auto"`` at the same ``alpha_``
        stopped early and took its temperature from held-out rows, and a
        flexible energy's longer fit is sharper, its intervals narrower.
    solver : {"auto", "adam", "sgd", "lbfgs"}, default="auto"
        ``"auto"`` is full-batch ``"lbfgs"`` for the linear energy and up to
        10000 samples; ``"adam"`` otherwise, for ``partial_fit``, with a
        ``sampler``, for the perceptron loss, and for LVQ2 and MCE on the
        joint energy (flat outside a window: one full-batch step can leave
        every target there).
        ``"lbfgs"`` is scipy's, or
        above about 170000 parameters a low-memory one of skebm's (user
        guide, "Solvers").
    learning_rate_init : float or "auto", default="auto"
        Step size of ``adam`` and ``sgd``. ``"auto"``: 0.001, and 0.01 for
        the perceptron loss and the linear energy (their
        ``training_defaults()``); several target columns of ``joint`` take
        their answer space's, 0.01 or 0.003 (user guide).
    momentum : float, default=0.9
    batch_size : int or "auto", default="auto"
        ``"auto"``: 200, or a 200th of the samples above 40000; for two
        target columns of ``joint``, a 40th of the samples (of each
        ``partial_fit`` call's), at least 16 and at most that. Ignored by
        ``lbfgs``.
    max_iter : int, default=200
    tol : float, default=1e-4
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (with ``lbfgs``, of the
        distinct rows) and stop when its R^2 stops improving, checked every
        epoch (every 10 ``lbfgs`` iterations); the best parameters are kept.
        With ``alpha="auto"``, in the refit (none past 2000 rows: the best
        trial, stopped on its own held-out rows, is kept).
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    warm_start : bool, default=False
        Start from the previous solution when the architecture is unchanged
        (a ValueError for other features or target columns).
    random_state : int, RandomState instance or None, default=None
    verbose : bool or int, default=False
    sampler : MHSampler or None, default=None
        With ``loss="nll"`` and ``energy="joint"``, estimate the contrastive
        term of the gradient from answers drawn by random-walk Metropolis
        from ``p(y|x)``: for every sample ``n_chains`` chains start at its
        target (contrastive divergence) and run ``n_steps`` steps with
        ``step_size`` (``"auto"`` tunes it during burn-in), the first
        ``burn_in`` dropped and every ``thin``-th kept; the kept states
        replace the grid's Gibbs probabilities in the gradient. The reported
        loss stays the grid's.
    persistent_chains : bool, default=False
        With a ``sampler``, keep every training sample's chains between
        updates (persistent contrastive divergence, Tieleman 2008) instead
        of restarting them at its target: across epochs they mix towards
        ``p(y|x)`` where short restarted chains stay near the target. The
        chains lag behind a model that changes fast: use a small
        ``learning_rate_init`` (see the user guide). Only for ``fit``: a
        ``partial_fit`` batch holds new samples, whose chains start at their
        targets.

    Attributes
    ----------
    loss_ : float
        Final value of the objective (as MLPRegressor's ``loss_``).
    energy_ : QuadraticEnergy, JointEnergy, JointVectorEnergy or \
GaussianVectorEnergy
        The fitted architecture: for several columns of ``joint`` a
        JointVectorEnergy, above two a GaussianVectorEnergy; for one, of
        ``n_experts`` networks side by side where ``alpha="auto"`` made a
        product of experts.
    answer_space_ : GaussianAnswers, IntervalSpace or VectorSpace
        The answers and their search, in standardized units.
    beta_ : float
        Inverse temperature of the Gibbs distribution, see ``beta``.
    alpha_ : float
        The L2 penalty applied: ``alpha``, or the one ``alpha="auto"``
        chose (0 with ``lvq2``).
    epsilon_ : float
        The radius used, see ``epsilon``.
    y_mean_, y_scale_ : ndarray of shape (n_outputs,)
        Standardization of the targets (a constant target gets scale 1).
    support_ : tuple of float or None
        ``(low, high)`` grid range of one column of the joint energy, in
        target units; None otherwise.
    n_outputs_ : int
    solver_, n_iter_, t_, loss_curve_, best_loss_, validation_scores_, \
best_validation_score_ : as in :class:`EnergyClassifier`
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    sklearn.linear_model.Ridge : what the default (``nll``, ``linear``) fits.
    sklearn.neural_network.MLPRegressor : what ``nll`` with ``mlp`` fits.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm import EnergyRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-3, 3, size=(500, 1))
    >>> y = np.where(rng.random(500) < 0.5, 1, -1) * np.sin(X[:, 0])
    >>> y += 0.1 * rng.normal(size=500)
    >>> reg = EnergyRegressor(energy="joint", random_state=0).fit(X, y)
    >>> samples = reg.sample_y([[1.5]], n_samples=200, random_state=0)
    >>> bool((samples > 0.5).any() and (samples < -0.5).any())  # both branches
    True
    """

    _ENERGIES = REGRESSOR_ENERGIES
    _MIN_VALIDATION_ROWS = 2  # R^2 needs two
    # the user guide gives what the refit gains above it; the classifier
    # refits always: its trial may lack a class only held-out rows hold
    _AUTO_REFIT_MAX_ROWS = 2000

    _parameter_constraints = {
        **BaseEnergyModel._parameter_constraints,
        "energy": [StrOptions(REGRESSOR_ENERGIES.keys())],
        "hidden_layer_sizes": [
            *BaseEnergyModel._parameter_constraints["hidden_layer_sizes"],
            StrOptions({"auto"})],
        "alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "epsilon": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "inference": [StrOptions({"auto", "mode", "mean"})],
        "persistent_chains": ["boolean"],
    }

    def __init__(
        self,
        loss="nll",
        energy="linear",
        *,
        hidden_layer_sizes="auto",
        activation="relu",
        margin=1.0,
        beta="auto",
        epsilon="auto",
        inference="auto",
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
        persistent_chains=False,
    ):
        self.loss = loss
        self.energy = energy
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.margin = margin
        self.beta = beta
        self.epsilon = epsilon
        self.inference = inference
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
        self.persistent_chains = persistent_chains

    # -- steps of BaseEnergyModel._fit --------------------------------------------
    def _samples_answers(self, energy_cls, y):
        samples = getattr(energy_cls.answer_space, "samples", None)
        return bool(samples is not None and samples(y))

    def _validation_score(self, space, energy, X, y, sample_weight, beta, loss):
        return space.score(energy, X, y, sample_weight, beta, self._inference(loss))

    def _inference(self, loss, inference=None):
        inference = self.inference if inference is None else inference
        if inference != "auto":
            return inference
        # a Gibbs distribution fitted to the data has the least-squares mean;
        # a margin loss at a hand-set beta shapes only where the minimum lies
        return "mean" if loss.partition or self.beta == "auto" else "mode"

    @available_if(_solver_is_stochastic)
    @restore_on_error
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of the stochastic solver on a batch of data.

        The first call fixes the standardization of the targets and, for the
        joint energy, the grid of answers and ``epsilon_``; later targets
        outside that grid are clipped to it, with a warning. Sample weights
        keep their scale from batch to batch, as in SGDRegressor. Later calls
        continue the fitted architecture: ``energy``, ``hidden_layer_sizes``,
        ``activation`` or a loss that change it raise a ValueError (``fit``
        starts over).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : EnergyRegressor
        """
        return self._fit(X, y, sample_weight, incremental=True)

    # -- inference ------------------------------------------------------------------
    def predict(self, X, return_std=False, inference=None):
        """Predicted targets: the mode (``argmin_y E(x, y)``) or the mean of
        the Gibbs distribution, see ``inference``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        return_std : bool, default=False
            Also return the standard deviation of the Gibbs distribution, as
            GaussianProcessRegressor and BayesianRidge do (a Pipeline passes
            the flag on). With atoms in the targets (counts, a point mass),
            the mean and this read an answer in an atom's cell as the atom.
        inference : {"auto", "mode", "mean"} or None, default=None
            This call's inference, in place of the estimator's ``inference``
            parameter (None keeps it).

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        y_std : ndarray of the shape of ``y``
            Only with ``return_std=True``.
        """
        X, dtype = self._check_X_and_type(X)
        if inference not in (None, "auto", "mode", "mean"):
            raise ValueError("inference must be 'auto', 'mode', 'mean' or None, "
                             f"got {inference!r}.")
        space, beta = self.answer_space_, self._gibbs_beta
        y = self._original(space.predict(self.energy_, X, beta,
                                         self._inference(self._loss, inference)),
                           dtype)
        if not return_std:
            return y
        std = (space.predict_std(self.energy_, X, beta) * self.y_scale_).astype(
            y.dtype)
        return y, (std if self._y_2d else std[:, 0])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        energy = REGRESSOR_ENERGIES.get(self.energy)
        tags.target_tags.multi_output = energy is None or energy.multi_output
        tags.target_tags.single_output = True
        return tags

