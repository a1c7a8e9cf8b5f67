"""EnergyRegressor: continuous answers, inference over a candidate grid."""

import copy
import warnings
from numbers import Real

import numpy as np
from scipy.special import logsumexp, ndtri
from sklearn.base import RegressorMixin, _fit_context
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._base import BaseEnergyModel, restore_on_error
from ._classifier import _solver_is_stochastic
from ._rows import merge_duplicate_rows
from .energies import JointEnergy, QuadraticEnergy
from .losses import NLLLoss, get_loss
from .sampling._metropolis import _generator, _mh_gaussian

# Gaussian bumps of the joint energy, candidate answers per training batch and
# the finer grid of inference (log-partition, mode, mean, quantiles).
_N_BASIS = 64
_N_TRAIN_GRID = 128
_N_PREDICT_GRID = 512
_N_REFINE = 17
# Standardized units: the support is the training range padded by
# _PAD_FRACTION of its width plus _PAD; beyond it the energy rises as a
# quadratic wall of width _WALL, so the Gibbs distribution is proper on R.
_PAD_FRACTION = 0.2
_PAD = 0.5
_WALL = 0.5
# rows per chunk at inference, so that chunk x grid stays a few MB
_CHUNK_CELLS = 2**20


class _Answers:
    """What a training batch hands from ``_batch_energies`` to the loss: the
    column of the correct answer and the NLL's quadrature weights and
    sampled contrast."""

    def __init__(self, n, log_weights=None, contrast=None):
        self.column = np.zeros(n, dtype=np.intp)
        self.log_weights = log_weights
        self.contrast = contrast


class EnergyRegressor(RegressorMixin, BaseEnergyModel):
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
        target. ``loss="energy"`` with ``energy="joint"`` trains with a
        warning: nothing pulls up the energy of wrong answers, so the surface
        collapses to a flat one (``examples/plot_energy_collapse.py``); it is
        kept as the tutorial's counter-example. ``loss="lvq2"`` with
        ``linear`` or ``mlp`` raises a ValueError: once a prediction is
        farther than ``epsilon`` from its target LVQ2 gives no gradient.
    energy : {"linear", "mlp", "joint"}, default="linear"
        ``"linear"`` and ``"mlp"``: ``E(x, y) = 1/2 ||y - G(x)||^2`` with a
        linear or MLP ``G``; inference is ``y = G(x)``, ``y`` may have several
        columns and ``p(y|x)`` is Gaussian with variance ``1/beta``. The most
        offending incorrect answer is found in closed form. ``"joint"``: a
        scalar energy ``E(x, y) = G(x) . psi(y)``, an MLP ``G`` bilinear with
        64 fixed Gaussian bumps spanning the target range, which can put low
        energy on several ``y`` for one ``x``, and with ``y`` and ``y^2 / 2``,
        which give it the Gaussian family too. Its candidate answers
        are a grid of 128 points over the support (the training range padded
        by 20% and 0.5 standard deviations), shifted at random every
        mini-batch; inference uses 512 points, refined locally. For
        ``lvq2``, ``square_square`` and ``square_exp`` it is mapped through
        a softplus to positive energies. One target column only.
    hidden_layer_sizes : array-like of int, default=(64, 64)
        Hidden layers of ``G`` for ``mlp`` and ``joint``. Two layers: the
        joint energy's coefficients of an answer feature must follow a
        branch of ``p(y|x)`` sharply in ``x``, which one layer of 100 units
        did only with so weak a penalty that diabetes overfit.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
    margin : float, default=1.0
        Margin of the ``hinge`` and ``square_square`` losses, in energy
        units, and relative margin of ``lvq2``: its loss is zero once the
        most offending energy is ``1 + margin`` times the correct one. Pass
        ``loss=LVQ2Loss()`` for the tutorial's zero-margin LVQ2.
    beta : float, default=1.0
        Inverse temperature of the Gibbs distribution, used by the ``nll``
        loss and by the density methods.
    epsilon : float, default=0.3
        Radius, in standardized units, of the ball around the target whose
        answers do not count as incorrect. Smaller radii ask the margin
        losses to separate answers closer than the noise of the targets.
    inference : {"auto", "mode", "mean"}, default="auto"
        What :meth:`predict` returns: ``argmin_y E(x, y)`` or the mean of
        the Gibbs distribution (the same for ``linear`` and ``mlp``).
        ``"auto"`` is the mean with ``loss="nll"``, which fits the Gibbs
        distribution to the data so that its mean minimizes the expected
        squared error that ``score`` (R^2) measures, and the mode with the
        other losses, which shape only where the minimum lies. The mode is
        the better answer when ``p(y|x)`` has several separated modes.
    alpha : float, default=10.0
        L2 penalty on the weights: the objective is the weighted sum of the
        losses plus ``alpha / 2 * ||W||^2``, divided by the total sample
        weight. With ``loss="nll"`` and ``energy="linear"`` this is Ridge
        with the same ``alpha``. The default is larger than the
        classifier's because a ``joint`` energy gives every hidden unit a
        free profile over 66 answer features: at 8 it overfits a few hundred
        samples (diabetes, 5-fold CV R^2 0.40 against Ridge's 0.49), and at
        15 the 90% interval of the bimodal toy (noise 0.1, 2000 samples)
        grows too wide, covering up to 0.947. The margin losses with
        ``joint`` need the larger energy gaps of a weaker penalty: try 0.1
        to 1.
    solver : {"auto", "adam", "sgd", "lbfgs"}, default="auto"
        ``"auto"`` is full-batch ``"lbfgs"`` for the linear energy and up to
        10000 samples; ``"adam"`` otherwise, for ``partial_fit``, with a
        ``sampler`` and for the perceptron loss.
    learning_rate_init : float, default=1e-3
    momentum : float, default=0.9
    batch_size : int or "auto", default="auto"
    max_iter : int, default=200
    tol : float, default=1e-4
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when its R^2
        stops improving; the best parameters are kept.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    warm_start : bool, default=False
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
        ``learning_rate_init`` (on the bimodal toy, with 4-step chains,
        0.003 came within 0.1 nats of restarted chains; 0.01 did much
        worse). Only for ``fit``: a ``partial_fit`` batch holds new
        samples, whose chains start at their targets.

    Attributes
    ----------
    loss_ : float
        Final value of the objective (as MLPRegressor's ``loss_``).
    energy_ : QuadraticEnergy or JointEnergy
        The fitted architecture.
    y_mean_, y_scale_ : ndarray of shape (n_outputs,)
        Standardization of the targets (a constant target gets scale 1).
    support_ : tuple of float or None
        ``(low, high)`` grid range of the joint energy, in target units.
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
    >>> reg = EnergyRegressor(energy="joint", random_state=0).fit(X, y)
    >>> samples = reg.sample_y([[1.5]], n_samples=200, random_state=0)
    >>> bool((samples > 0.5).any() and (samples < -0.5).any())  # both branches
    True
    """

    _parameter_constraints = {
        **BaseEnergyModel._parameter_constraints,
        "energy": [StrOptions({"linear", "mlp", "joint"})],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "inference": [StrOptions({"auto", "mode", "mean"})],
        "persistent_chains": ["boolean"],
    }

    def __init__(
        self,
        loss="nll",
        energy="linear",
        *,
        hidden_layer_sizes=(64, 64),
        activation="relu",
        margin=1.0,
        beta=1.0,
        epsilon=0.3,
        inference="auto",
        alpha=10.0,
        solver="auto",
        learning_rate_init=1e-3,
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

    # -- set-up -----------------------------------------------------------------
    def _check_pair(self, loss):
        if self.energy == "joint" and not loss.contrastive:
            # accepted, as the tutorial's counter-example, so that it can be
            # shown and grid-searched; its score says what it is worth
            warnings.warn(
                f"loss={loss.name!r} with energy='joint' collapses: it only "
                "pushes down the energy of the targets and nothing pulls up the "
                "energy of other answers, so the joint energy flattens to zero "
                "everywhere and predicts nothing (examples/"
                "plot_energy_collapse.py shows it). Use a contrastive loss "
                "('nll', 'hinge', 'square_square', ...) or energy='mlp', whose "
                "quadratic energy makes it least squares.", UserWarning)
        if self.energy != "joint" and loss.name == "lvq2":
            raise ValueError(
                "loss='lvq2' with a quadratic energy (energy='linear' or 'mlp') "
                "is ill-posed: once the prediction is farther than epsilon from "
                "the target, the prediction itself is the most offending "
                "answer, at energy 0, and LVQ2 gives no gradient, so the model "
                "never learns. Use energy='joint' or another loss."
            )
        if self.sampler is not None:
            self.sampler._validate_params()
            if self.sampler.move != "gaussian":
                raise ValueError(
                    "the regressor's chains are Gaussian random walks over the "
                    f"target: sampler move={self.sampler.move!r} is not "
                    "supported; use move='gaussian'.")
            if (self.sampler.step_size == "auto"
                    and self.sampler._burn_in_steps() == 0):
                raise ValueError("sampler step_size='auto' is tuned during "
                                 "burn-in: set burn_in > 0.")
            if loss.name != "nll":
                raise ValueError(
                    "sampler= estimates the contrastive term of the 'nll' loss; "
                    f"loss={loss.name!r} has none to estimate.")
            if self.energy != "joint":
                raise ValueError(
                    f"sampler= needs energy='joint': energy={self.energy!r} has a "
                    "Gaussian Gibbs distribution whose log-partition is exact "
                    "and parameter-free, so there is nothing to sample.")

    def _make_energy(self, loss, support):
        hidden = self._hidden()
        if self.energy == "linear":
            return QuadraticEnergy((), "identity")
        if self.energy == "mlp":
            return QuadraticEnergy(hidden, self.activation)
        lo, hi = support
        centers = np.linspace(lo, hi, _N_BASIS)
        if not loss.contrastive:
            output = "square"
        elif loss.energy_domain != "real":
            output = "softplus"
        else:
            output = "score"
        return JointEnergy(hidden, self.activation, centers=centers,
                           width=centers[1] - centers[0], output=output,
                           quadratic=True)

    @property
    def _gibbs_beta(self):
        return getattr(self._fitted_loss, "beta", self.beta)

    # -- hooks of BaseEnergyModel -------------------------------------------------
    def _objective(self, energy, X, y, sample_weight, rng=None):
        # the candidate grid is shifted at random per mini-batch (an unbiased
        # quadrature of the partition); L-BFGS passes no rng and gets the
        # fixed midpoint grid its line search needs
        self._batch_rng = rng
        # a line-search trial step may overflow; the value is then inf, which
        # L-BFGS backs off from and the stochastic solvers report as divergence
        with np.errstate(over="ignore", invalid="ignore"):
            value, grad = super()._objective(energy, X, y, sample_weight, rng)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return np.inf, np.zeros_like(grad)
        return value, grad

    def _batch_energies(self, energy, X, y):
        if isinstance(energy, JointEnergy):
            return self._joint_batch(energy, X, y[:, 0])
        g, activations = energy.network(X)
        n, d = y.shape
        diff = g - y
        r = np.sqrt(np.einsum("nd,nd->n", diff, diff))
        # the closest answer to G outside the epsilon-ball around y (envelope
        # theorem: held fixed, it gives the gradient of min over answers)
        direction = np.zeros_like(diff)
        direction[:, 0] = 1.0
        np.divide(diff, r[:, None], out=direction, where=r[:, None] > 0)
        offending = np.where((r >= self.epsilon)[:, None], g,
                             y + self.epsilon * direction)
        # third answer: the mode G, energy 0 whatever the parameters, whose
        # log weight is the exact Gaussian log-partition
        Y = np.stack([y, offending, g.copy()], axis=1)
        energies, cache = energy.forward(X, Y, G=(g, activations))
        incorrect = np.zeros((n, 3), dtype=bool)
        incorrect[:, 1] = True
        beta = self._training_loss_beta()
        log_w = np.array([-np.inf, -np.inf, 0.5 * d * np.log(2 * np.pi / beta)])
        return energies, cache, _Answers(n, log_w[None, :]), incorrect

    def _training_loss_beta(self):
        return getattr(self._training_loss, "beta", self.beta)

    def _joint_batch(self, energy, X, y):
        n = X.shape[0]
        lo, hi = self._support_std
        m = _N_TRAIN_GRID
        h = (hi - lo) / m
        rng = self._batch_rng
        shift = 0.5 if rng is None else rng.uniform()
        grid = (lo + (np.arange(m) + shift) * h).astype(energy.params_.dtype)
        y_in = np.clip(y, lo, hi)
        wall = self._wall_energy(y)
        g, activations = energy.network(X)
        beta = self._training_loss_beta()
        columns = [y_in[:, None]]
        n_samples = 0
        if self.sampler is not None:
            samples = self._sample_contrast(energy, g, y_in, beta, rng)
            n_samples = samples.shape[1]
            columns.append(np.clip(samples, lo, hi))
        Y = np.concatenate(columns, axis=1).astype(energy.params_.dtype)
        # the edges carry the quadratic-wall tails of the partition
        shared = np.concatenate([[lo, hi], grid]).astype(energy.params_.dtype)
        energies, cache = energy.forward(X, Y, shared, G=(g, activations))
        energies[:, 0] += wall
        n_cols = energies.shape[1]
        first = 1 + n_samples
        incorrect = np.zeros((n, n_cols), dtype=bool)
        incorrect[:, first + 2:] = np.abs(grid - y[:, None]) > self.epsilon
        log_w = np.empty((n, n_cols))
        log_w[:, :first] = -np.inf
        log_w[:, first:first + 2] = self._log_tail_mass(beta)
        log_w[:, first + 2:] = np.log(h)
        if isinstance(self._training_loss, NLLLoss):
            # the target is a node of the quadrature too (trapezoid rule on
            # the grid with it inserted): on the grid alone a deterministic
            # (L-BFGS) fit can push each target's energy below every node's
            # and the estimated log-partition without bound
            j = np.clip(np.floor((y_in - lo) / h - shift).astype(np.intp),
                        0, m - 2)
            a = np.clip(y_in - grid[j], 0.0, h)
            rows = np.arange(n)
            log_w[:, 0] = np.log(h / 2)
            log_w[rows, first + 2 + j] = np.log(h - (h - a) / 2)
            log_w[rows, first + 3 + j] = np.log(h - a / 2)
        contrast = None
        if n_samples:
            contrast = np.zeros((n, n_cols), dtype=energies.dtype)
            contrast[:, 1:first] = 1.0 / n_samples
        return energies, cache, _Answers(n, log_w, contrast), incorrect

    def _sample_contrast(self, energy, g, y_start, beta, rng):
        """Kept states of random-walk Metropolis chains on ``p(y|x)``, started
        at the targets or where the batch's persistent chains stopped:
        (n, n_kept * n_chains)."""
        s = self.sampler
        n, n_chains = len(y_start), s.n_chains
        persistent = getattr(self, "_chains", None)
        rows = getattr(self, "_batch_index", None)
        burn_in = s._burn_in_steps()

        def log_target(theta):
            Y = theta.reshape(n, n_chains)
            E, _ = energy._answer_head(g, self._clip(Y), None)
            return (-beta * (E + self._wall_energy(Y))).ravel()

        if persistent is not None and rows is not None:
            theta = persistent[rows].reshape(-1, 1)
        else:
            theta = np.repeat(y_start, n_chains)[:, None].astype(float)
        chain, *_ = _mh_gaussian(log_target, theta, log_target(theta), s.n_steps,
                                 burn_in, s.thin, s.step_size, _generator(rng))
        kept = chain[:, :, 0].reshape(-1, n, n_chains)
        if persistent is not None and rows is not None:
            persistent[rows] = kept[-1]
        return kept.transpose(1, 0, 2).reshape(n, -1)

    def _loss_value_gradient(self, energies, answers, incorrect, rng):
        loss = self._training_loss
        if isinstance(loss, NLLLoss):
            return loss.value_gradient(energies, answers.column, incorrect,
                                       log_weights=answers.log_weights,
                                       contrast=answers.contrast)
        return loss.value_gradient(energies, answers.column, incorrect)

    def _validation_score(self, energy, X, y, sample_weight):
        pred = self._predict_std(energy, X, self._training_loss_beta())
        return float(r2_score(y, pred.reshape(y.shape), sample_weight=sample_weight))

    # -- support of the joint energy ---------------------------------------------
    def _clip(self, y):
        lo, hi = self._support_std
        return np.clip(y, lo, hi)

    def _wall_energy(self, y):
        lo, hi = self._support_std
        outside = np.maximum(lo - y, 0.0) + np.maximum(y - hi, 0.0)
        return 0.5 * (outside / _WALL) ** 2

    @staticmethod
    def _log_tail_mass(beta):
        # integral over d > 0 of exp(-beta d^2 / (2 WALL^2))
        return np.log(_WALL) + 0.5 * np.log(np.pi / (2 * beta))

    # -- fitting --------------------------------------------------------------------
    def _validate_input(self, X, y, sample_weight, reset):
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32],
            multi_output=True, y_numeric=True, reset=reset,
        )
        if self.energy == "joint" and y.ndim == 2:
            if y.shape[1] > 1:
                raise ValueError(
                    f"energy='joint' models one target; y has {y.shape[1]} "
                    "columns. Use energy='linear' or 'mlp', or one joint model "
                    "per target (sklearn.multioutput.MultiOutputRegressor).")
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. "
                "Please change the shape of y to (n_samples,), for example "
                "using ravel().", DataConversionWarning)
            y = y[:, 0]
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        return X, y, sample_weight

    def _standardization(self, y, sample_weight):
        total = sample_weight.sum()
        if not total > 0:
            raise ValueError("sample_weight must have a positive sum.")
        mean = np.average(y, axis=0, weights=sample_weight)
        scale = np.sqrt(np.average((y - mean) ** 2, axis=0, weights=sample_weight))
        # a constant target is fitted as it is: all its energy at that value
        scale = np.where(scale > 1e-12 * np.maximum(np.abs(mean), 1.0), scale, 1.0)
        return mean, scale

    def _fit(self, X, y, sample_weight, incremental):
        fitted = getattr(self, "energy_", None) if incremental else None
        X, y, sample_weight = self._validate_input(
            X, y, sample_weight, reset=fitted is None)
        y_2d = y.ndim == 2
        if (self.energy == "joint" and not incremental
                and np.ptp(y[sample_weight > 0]) == 0):
            raise ValueError(
                "energy='joint' needs a target that varies: y is constant (for "
                "example 1 sample), and the Gibbs distribution of a constant is "
                "a point mass that no grid of answers holds. Use "
                "energy='linear', which fits the constant.")
        y = y.reshape(len(y), -1).astype(np.float64)
        loss = get_loss(self.loss, margin=self.margin, beta=self.beta)
        self._check_pair(loss)
        n_samples = X.shape[0]
        if (self._resolve_solver(X.shape[0], incremental, loss) == "lbfgs"
                and sample_weight.sum() > 0):
            X, y, sample_weight = merge_duplicate_rows(X, y, sample_weight)
        keep = (incremental and fitted is not None) or self._warm
        if keep and y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y.shape[1]} columns; the model was fitted "
                             f"with {self.n_outputs_}.")
        if keep:
            mean, scale = self.y_mean_, self.y_scale_
            support = self._support_std_fitted
        else:
            mean, scale = self._standardization(y, sample_weight)
            # samples of weight zero count as absent, here as in the loss
            z = ((y - mean) / scale)[sample_weight > 0]
            width = z.max() - z.min()
            pad = _PAD_FRACTION * width + _PAD
            support = (float(z.min() - pad), float(z.max() + pad))
        z = ((y - mean) / scale).astype(X.dtype)
        self._support_std = support
        if self.energy == "joint" and incremental and fitted is not None:
            outside = (z[:, 0] < support[0]) | (z[:, 0] > support[1])
            if outside.any():
                warnings.warn(
                    f"{int(outside.sum())} targets lie outside the grid "
                    f"{self._support_original(support, mean, scale)} fixed by the "
                    "first partial_fit; they are clipped to it.", UserWarning)

        energy = self._make_energy(loss, support)
        rng = check_random_state(self.random_state)
        X_val = y_val = sw_val = None
        if self.early_stopping and not incremental:
            X, X_val, z, y_val, sample_weight, sw_val = train_test_split(
                X, z, sample_weight, test_size=self.validation_fraction,
                random_state=rng)
        weight_total = float(sample_weight.sum())
        if not weight_total > 0:
            raise ValueError("sample_weight sums to zero over the training part "
                             "left by the early-stopping split.")
        sample_weight = sample_weight * (len(sample_weight) / weight_total)

        if keep and self._same_architecture(energy, X.shape[1], z.shape[1]):
            energy = copy.deepcopy(self.energy_)
            energy.set_params_vector(energy.params_.astype(X.dtype))
        else:
            n_answers = (energy.n_basis if self.energy == "joint"
                         else z.shape[1])
            energy.initialize(X.shape[1], n_answers, rng, dtype=X.dtype)
            if self.energy == "joint":
                # the output intercepts are the energy profile shared by all
                # x; unpenalized, the NLL could sharpen it without bound
                energy.penalized_[-n_answers:] = True
        self._chains = None
        if self.persistent_chains and self.sampler is not None and not incremental:
            # one row of chains per training sample, started at its target
            self._chains = np.repeat(np.clip(z[:, :1], *support).astype(float),
                                     self.sampler.n_chains, axis=1)
        try:
            state = self._train(energy, loss, X, z, sample_weight, X_val, y_val,
                                sw_val, rng, incremental, weight_total,
                                n_samples=n_samples)
        finally:
            self._batch_rng = None
            self._chains = None
        self.energy_ = energy
        self._fitted_loss = loss
        self.y_mean_ = mean
        self.y_scale_ = scale
        self.n_outputs_ = z.shape[1]
        self._y_2d = y_2d
        self._support_std_fitted = support
        self.support_ = (self._support_original(support, mean, scale)
                         if self.energy == "joint" else None)
        for name, value in state.items():
            setattr(self, name, value)
        return self

    @staticmethod
    def _support_original(support, mean, scale):
        return (float(support[0] * scale[0] + mean[0]),
                float(support[1] * scale[0] + mean[0]))

    def _same_architecture(self, energy, n_features, n_outputs):
        old = getattr(self, "energy_", None)
        return (
            old is not None
            and type(old) is type(energy)
            and old.hidden_layer_sizes == energy.hidden_layer_sizes
            and getattr(old, "output", None) == getattr(energy, "output", None)
            and old.activation == energy.activation
            and old.n_features_ == n_features
            and self.n_outputs_ == n_outputs
        )

    @restore_on_error
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : EnergyRegressor
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_solver_is_stochastic)
    @restore_on_error
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of the stochastic solver on a batch of data.

        The first call fixes the standardization of the targets and, for the
        joint energy, the grid of answers; later targets outside that grid
        are clipped to it, with a warning.

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

    # -- inference, in standardized units ---------------------------------------
    def _check_X(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32], reset=False)
        return X.astype(self.energy_.params_.dtype, copy=False)

    def _chunks(self, n):
        rows = max(1, _CHUNK_CELLS // _N_PREDICT_GRID)
        return gen_batches(n, rows)

    def _grid_logits(self, energy, X, beta):
        """Log quadrature weights times Gibbs factors on the prediction grid:
        columns low tail, grid cells, high tail. Returns logits (n, M + 2),
        the grid points and the energies of the grid."""
        lo, hi = self._support_std
        M = _N_PREDICT_GRID
        h = (hi - lo) / M
        grid = (lo + (np.arange(M) + 0.5) * h).astype(energy.params_.dtype)
        n = X.shape[0]
        edges = np.tile(np.array([lo, hi], dtype=grid.dtype), (n, 1))
        with np.errstate(over="ignore"):
            E, _ = energy.forward(X, edges, grid)
        # an energy that overflowed to -inf (a density collapsing onto a
        # spike, as with integer targets) must not give inf - inf below
        E = np.clip(E, -1e100, 1e100)
        log_tail = self._log_tail_mass(beta)
        logits = np.empty((n, M + 2))
        logits[:, 0] = -beta * E[:, 0] + log_tail
        logits[:, -1] = -beta * E[:, 1] + log_tail
        logits[:, 1:-1] = -beta * E[:, 2:] + np.log(h)
        return logits, grid, E[:, 2:]

    def _predict_std(self, energy, X, beta):
        if not isinstance(energy, JointEnergy):
            return energy.network(X)[0]
        out = np.empty(X.shape[0])
        lo, hi = self._support_std
        h = (hi - lo) / _N_PREDICT_GRID
        for rows in self._chunks(X.shape[0]):
            Xc = X[rows]
            logits, grid, E = self._grid_logits(energy, Xc, beta)
            if self._inference() == "mean":
                p = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))
                tail = _WALL / np.sqrt(beta) * np.sqrt(2 / np.pi)
                out[rows] = (p[:, 1:-1] @ grid + p[:, 0] * (lo - tail)
                             + p[:, -1] * (hi + tail))
            else:
                best = grid[np.argmin(E, axis=1)]
                local = best[:, None] + np.linspace(-h, h, _N_REFINE)
                local = np.clip(local, lo, hi).astype(grid.dtype)
                with np.errstate(over="ignore"):
                    E_local, _ = energy.forward(Xc, local)
                out[rows] = local[np.arange(len(local)), np.argmin(E_local, axis=1)]
        return out[:, None]

    def _inference(self):
        if self.inference != "auto":
            return self.inference
        loss = getattr(self, "_training_loss", None) or getattr(
            self, "_fitted_loss", None)
        return "mean" if isinstance(loss, NLLLoss) else "mode"

    def _unstandardize(self, z):
        out = z * self.y_scale_ + self.y_mean_
        return out if self._y_2d else out[:, 0]

    def _restore_support(self):
        self._support_std = self._support_std_fitted

    # -- public inference -------------------------------------------------------
    def predict(self, X):
        """Predicted targets: the mode (``argmin_y E(x, y)``) or the mean of
        the Gibbs distribution, see ``inference``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        X = self._check_X(X)
        self._restore_support()
        return self._unstandardize(
            self._predict_std(self.energy_, X, self._gibbs_beta))

    def _y_std(self, X, y):
        y = np.asarray(y, dtype=float)
        if y.ndim == 1:
            y = y[:, None]
        if y.shape != (X.shape[0], self.n_outputs_):
            raise ValueError(
                f"y must have shape ({X.shape[0]},) or ({X.shape[0]}, "
                f"{self.n_outputs_}) to match X, got {np.shape(y)}.")
        if not np.isfinite(y).all():
            raise ValueError("Input y contains NaN or infinity.")
        z = (y - self.y_mean_) / self.y_scale_
        if self.energy_.__class__ is JointEnergy:
            lo, hi = self._support_std
            outside = (z < lo) | (z > hi)
            if outside.any():
                warnings.warn(
                    f"{int(outside.sum())} values of y lie outside the grid "
                    f"{self.support_} of the joint energy; beyond it the energy "
                    f"rises as a quadratic wall of width {_WALL} standardized "
                    "units.", UserWarning)
        return z

    def _energies_std(self, X, z):
        energy = self.energy_
        with np.errstate(over="ignore"):
            if isinstance(energy, JointEnergy):
                E, _ = energy.forward(X, self._clip(z).astype(energy.params_.dtype))
                return E[:, 0] + self._wall_energy(z[:, 0])
            E, _ = energy.forward(X, z[:, None, :].astype(energy.params_.dtype))
            return E[:, 0]

    def _energy_matrix(self, X, y):
        """Energy of each (x, y) pair, in standardized units: ``reg.energy(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        energies : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        self._restore_support()
        return self._energies_std(X, self._y_std(X, y))

    def predict_log_density(self, X, y):
        """``log p(y|x)`` of the Gibbs distribution ``exp(-beta E) / Z(x)``,
        a density over the original target units.

        For ``joint`` the log-partition is a quadrature over 512 grid cells
        plus the two quadratic-wall tails, so the density integrates to one
        over the real line; for ``linear`` and ``mlp`` it is the Gaussian
        ``N(G(x), y_scale_^2 / beta)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        self._restore_support()
        z = self._y_std(X, y)
        beta = self._gibbs_beta
        E = self._energies_std(X, z)
        log_jacobian = np.sum(np.log(self.y_scale_))
        if not isinstance(self.energy_, JointEnergy):
            d = self.n_outputs_
            return -beta * E + 0.5 * d * np.log(beta / (2 * np.pi)) - log_jacobian
        log_z = np.empty(X.shape[0])
        for rows in self._chunks(X.shape[0]):
            logits, _, _ = self._grid_logits(self.energy_, X[rows], beta)
            log_z[rows] = logsumexp(logits, axis=1)
        return -beta * E - log_z - log_jacobian

    def _joint_cdf(self, X):
        """Cell probabilities (low tail, grid cells, high tail) of p(y|x)."""
        beta = self._gibbs_beta
        probs = np.empty((X.shape[0], _N_PREDICT_GRID + 2))
        for rows in self._chunks(X.shape[0]):
            logits, _, _ = self._grid_logits(self.energy_, X[rows], beta)
            probs[rows] = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))
        return probs

    def _joint_quantiles(self, probs, u):
        """Inverse CDF at ``u`` (n, k) of the piecewise-uniform grid density
        with half-normal tails, in standardized units."""
        lo, hi = self._support_std
        n, k = u.shape
        M = _N_PREDICT_GRID
        h = (hi - lo) / M
        cdf = np.cumsum(probs, axis=1)
        cdf[:, -1] = 1.0
        # one searchsorted for all rows: offset row i by i
        offsets = np.arange(n)[:, None]
        cell = np.searchsorted((cdf + offsets).ravel(), (u + offsets).ravel(),
                               side="right")
        cell = np.minimum(cell.reshape(n, k) - offsets * (M + 2), M + 1)
        before = np.where(cell > 0, np.take_along_axis(
            cdf, np.maximum(cell - 1, 0), axis=1), 0.0)
        mass = np.take_along_axis(probs, cell, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.clip(np.where(mass > 0, (u - before) / mass, 0.5), 0, 1)
        out = lo + (cell - 1 + frac) * h
        sd = _WALL / np.sqrt(self._gibbs_beta)
        # tails: half-normal beyond the edges; frac runs away from the edge
        # for the high tail and toward it for the low tail
        low_tail = cell == 0
        high_tail = cell == M + 1
        out[low_tail] = lo - sd * ndtri(np.clip(1 - frac[low_tail] / 2, 0.5,
                                                1 - 1e-16))
        out[high_tail] = hi + sd * ndtri(np.clip(0.5 + frac[high_tail] / 2, 0.5,
                                                 1 - 1e-16))
        return out

    def sample_y(self, X, n_samples=1, random_state=None):
        """Draw targets from the Gibbs distribution ``p(y|x)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples_X, n_features)
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        y_samples : ndarray of shape (n_samples_X, n_samples) or \
(n_samples_X, n_outputs, n_samples)
            As :meth:`sklearn.gaussian_process.GaussianProcessRegressor.sample_y`.
        """
        X = self._check_X(X)
        self._restore_support()
        rng = check_random_state(random_state)
        if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive int, got {n_samples!r}.")
        if isinstance(self.energy_, JointEnergy):
            u = rng.uniform(size=(X.shape[0], n_samples))
            z = self._joint_quantiles(self._joint_cdf(X), u)[:, None, :]
        else:
            g = self.energy_.network(X)[0]
            noise = rng.standard_normal((*g.shape, n_samples))
            z = g[:, :, None] + noise / np.sqrt(self._gibbs_beta)
        y = z * self.y_scale_[:, None] + self.y_mean_[:, None]
        return y if self._y_2d else y[:, 0, :]

    def predict_interval(self, X, coverage=0.9):
        """Central interval of the Gibbs distribution ``p(y|x)``: between its
        ``(1 - coverage) / 2`` and ``(1 + coverage) / 2`` quantiles.

        For a multimodal ``p(y|x)`` (``joint``) the interval spans every mode
        it needs to reach the coverage, and the low-density gaps between them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        coverage : float in (0, 1), default=0.9

        Returns
        -------
        interval : ndarray of shape (n_samples, 2) or (n_samples, n_outputs, 2)
        """
        if not isinstance(coverage, Real) or not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1), got {coverage!r}.")
        X = self._check_X(X)
        self._restore_support()
        q = np.array([(1 - coverage) / 2, (1 + coverage) / 2])
        if isinstance(self.energy_, JointEnergy):
            u = np.broadcast_to(q, (X.shape[0], 2))
            z = self._joint_quantiles(self._joint_cdf(X), u)[:, None, :]
        else:
            g = self.energy_.network(X)[0]
            z = g[:, :, None] + ndtri(q) / np.sqrt(self._gibbs_beta)
        y = z * self.y_scale_[:, None] + self.y_mean_[:, None]
        return y if self._y_2d else y[:, 0, :]

    def __sklearn_is_fitted__(self):
        return hasattr(self, "energy_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = self.energy != "joint"
        tags.target_tags.single_output = True
        return tags
