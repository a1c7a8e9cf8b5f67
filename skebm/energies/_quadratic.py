"""``E(x, y) = 1/2 ||y - G(x)||^2``: regression as an energy, with every
answer of inference in closed form."""

import copy

import numpy as np
from scipy.special import ndtri

from ..inference import AnswerSpace, Candidates
from ._continuous import _AnswerEnergy
from ._network import require_hidden_layers


class GaussianAnswers(AnswerSpace):
    """The answers of a quadratic energy, in closed form.

    The Gibbs distribution of ``1/2 ||y - G(x)||^2`` is the Gaussian
    ``N(G(x), I / beta)``: its mode and mean are ``G(x)``, its log-partition
    ``d/2 log(2 pi / beta)`` whatever the parameters, and the most offending
    incorrect answer (the lowest energy outside the epsilon-ball around the
    target) is ``G(x)`` itself when it lies outside the ball, else the point
    of the ball's surface nearest to it. Fitted with ``beta="auto"``, several
    outputs each have their own noise variance (``column_variance``, relative
    to their mean): the Gibbs energy weighs each squared residual by its
    inverse, and the Gibbs distribution is ``N(G(x), diag(c) / beta)``.

    Parameters
    ----------
    n_outputs : int, default=1
        Columns of the target.
    epsilon : float, default=0.3
    sampler : None
        A sampler has nothing to estimate here; one is refused.
    persistent_chains : bool, default=False
        Unused.
    """

    # relative noise variance of each output (mean 1), or None: all alike
    column_variance = None

    def __init__(self, n_outputs=1, epsilon=0.3, sampler=None,
                 persistent_chains=False):
        self.n_answers = n_outputs
        self.epsilon = epsilon
        self.sampler = sampler
        self.persistent_chains = persistent_chains

    @classmethod
    def from_targets(cls, z, sample_weight, **params):
        """The space of targets ``z``: their number of columns."""
        return cls(z.shape[1], **params)

    def check_sampler(self, sampler, loss):
        super().check_sampler(sampler, loss)
        raise ValueError(
            "sampler= needs energy='joint': a quadratic energy has a Gaussian "
            "Gibbs distribution whose log-partition is exact and "
            "parameter-free, so there is nothing to sample.")

    def candidates(self, energy, X, y, step):
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
        log_w = np.array([-np.inf, -np.inf, self._log_partition(d, step.beta)])
        return energies, cache, Candidates(np.zeros(n, dtype=np.intp), incorrect,
                                           log_w[None, :])

    @staticmethod
    def _log_partition(d, beta):
        return 0.5 * d * np.log(2 * np.pi / beta)

    @staticmethod
    def residual_squares(energy, X, z, sample_weight):
        """Weighted sums of the squared residuals of rows ``X, z``, per
        output (what :meth:`with_column_variance` reads): (d,)."""
        residual = z - energy.network(X)[0]
        return np.asarray(sample_weight, dtype=float) @ (residual * residual)

    def with_column_variance(self, squares):
        """A copy whose outputs have noise variances in the proportions of
        ``squares`` (one output: unchanged). With a single ``beta`` a nearly
        noiseless output and a noisy one got intervals that covered 1.00
        and 0.59 of new rows."""
        if len(squares) == 1:
            return self
        squares = np.maximum(squares, 1e-12 * max(np.max(squares), 1e-300))
        space = copy.copy(self)
        space.column_variance = squares / squares.mean()
        return space

    def _sd(self, beta):
        """Standard deviation of each output's Gibbs distribution: (d,)."""
        c = 1.0 if self.column_variance is None else self.column_variance
        return np.broadcast_to(np.sqrt(c / beta), (self.n_answers,))

    def outside(self, z):
        return np.zeros(z.shape, dtype=bool)

    def energies(self, energy, X, z):
        if self.column_variance is not None:
            residual = z - energy.network(X)[0]
            return 0.5 * (residual * residual) @ (1.0 / self.column_variance)
        E, _ = energy.forward(X, z[:, None, :].astype(energy.params_.dtype))
        return E[:, 0]

    def log_partition(self, energy, X, beta):
        log_z = self._log_partition(self.n_answers, beta)
        if self.column_variance is not None:
            log_z += 0.5 * np.sum(np.log(self.column_variance))
        return np.full(X.shape[0], log_z)

    def predict(self, energy, X, beta, kind):
        return energy.network(X)[0]

    def fit_beta(self, energy, X, y, sample_weight, loss, beta):
        """The noise precision: the inverse of the weighted mean squared
        residual per target column (each divided by its
        ``column_variance``), whatever the loss (every loss of a quadratic
        energy shapes ``G`` only)."""
        c = 1.0 if self.column_variance is None else self.column_variance
        w = np.ones(len(y)) if sample_weight is None else sample_weight
        squares = self.residual_squares(energy, X, y, w) / c
        mean_square = squares.sum() / (np.sum(w) * self.n_answers)
        return 1.0 / max(float(mean_square), 1e-12)

    def predict_std(self, energy, X, beta):
        """Standard deviation of each output: ``sqrt(c / beta)``."""
        return np.tile(self._sd(beta), (X.shape[0], 1))

    def quantiles(self, energy, X, beta, u):
        g = energy.network(X)[0]
        return g[:, :, None] + ndtri(u)[:, None, :] * self._sd(beta)[:, None]

    def sample(self, energy, X, beta, n_samples, rng):
        g = energy.network(X)[0]
        noise = rng.standard_normal((*g.shape, n_samples))
        return g[:, :, None] + noise * self._sd(beta)[:, None]

    def score(self, energy, X, z, sample_weight, beta, kind):
        from sklearn.metrics import r2_score

        pred = energy.network(X)[0]
        return float(r2_score(z, pred.reshape(z.shape), sample_weight=sample_weight))


class QuadraticEnergy(_AnswerEnergy):
    """``E(x, y) = 1/2 ||y - G(x)||^2`` with a linear (no hidden layer) or
    MLP ``G``: regression as an energy, minimized by ``y = G(x)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.energies import QuadraticEnergy
    >>> energy = QuadraticEnergy().initialize(n_features=3, n_answers=1,
    ...                                       random_state=0)
    >>> energy.forward(np.ones((2, 3)), np.zeros((2, 5, 1)))[0].shape
    (2, 5)
    """

    answer_space = GaussianAnswers

    def __init__(self, hidden_layer_sizes=(), activation="relu"):
        super().__init__(hidden_layer_sizes, activation)

    @classmethod
    def build(cls, loss, hidden_layer_sizes=(64, 64), activation="relu",
              answers=None):
        _refuse_positive_domain(loss)
        return cls(require_hidden_layers(hidden_layer_sizes, "mlp"), activation)

    def _answer_head(self, g, Y, grid):
        if grid is not None:
            raise ValueError("QuadraticEnergy takes per-sample answers only.")
        diff = Y - g[:, None, :]
        return 0.5 * np.einsum("ncd,ncd->nc", diff, diff), diff

    def _answer_head_backward(self, g, Y, grid, diff, d_energies):
        return -np.einsum("nc,ncd->nd", d_energies, diff)


class LinearQuadraticEnergy(QuadraticEnergy):
    """:class:`QuadraticEnergy` with a linear ``G``: least squares as an
    energy."""

    full_batch = True

    def __init__(self):
        super().__init__((), "identity")

    @classmethod
    def build(cls, loss, hidden_layer_sizes=(), activation="relu", answers=None):
        _refuse_positive_domain(loss)
        return cls()


def _refuse_positive_domain(loss):
    # the prediction G(x) has energy 0, where a loss of positive energies
    # (LVQ2's ratio) is undefined
    if loss.energy_domain == "positive":
        raise ValueError(
            f"loss={loss.name!r} with a quadratic energy (energy='linear' or "
            "'mlp') is ill-posed: once the prediction is farther than epsilon "
            "from the target, the prediction itself is the most offending "
            f"answer, at energy 0, and {loss.name!r} gives no gradient, so the "
            "model never learns. Use energy='joint' or another loss."
        )
