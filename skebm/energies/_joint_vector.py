"""Scalar energies of (x, y) for answers that are vectors: learned features
of the answer (ridges along lines and circles) read by weights that depend
on the input, in a quadratic confinement; differentiable in the answer.
Above two columns, :class:`GaussianVectorEnergy` (``_gaussian_vector.py``)
replaces the confinement by an x-dependent Gaussian part."""

import numpy as np
from scipy.special import expit

from ._continuous import _AnswerEnergy
from ._softplus import softplus

# log precisions of the quadratic term are clipped to this range
_LOG_PRECISION = 9.0
# the hidden units' output weights v are this multiple of the network's
# outputs: Adam moves a weight by about its step per update, and a sharp
# density needs |v| of 20 or more (a ring of noise 0.05, 2000 rows, alpha=0.1:
# 0.70 nats from the exact density with 1, 0.50 with 5, mean of 4 seeds; 10
# diverged). The L2 penalty on v is thereby 25 times weaker.
_OUTPUT_WEIGHT_SCALE = 5.0


class JointVectorEnergy(_AnswerEnergy):
    """A scalar energy of (x, y) over answer vectors ``y`` in R^d, with
    several low-energy answers for one x and dependence between the outputs.

    ``E(x, y) = sum_j exp(s_j(x)) y_j^2 / 2 - a(x) . y
    + sum_k v_k(x) softplus(w_k . y + u_k rho(y) + b_k(x))``: an MLP
    ``G(x) = (s, a, b, v)`` of the input gives the log precisions ``s`` and
    the linear term ``a`` of a quadratic confinement, and the biases ``b``
    and output weights ``v`` of ``n_units`` hidden units that read the
    answer through learned weights ``w_k`` and ``u_k`` (a network over
    ``(x, y)`` whose hidden layer over ``y`` is modulated by ``x``; ``v`` is
    five times the network's outputs, so that Adam's bounded steps reach
    the large output weights of a sharp density). ``rho(y) = sqrt(|y|^2 +
    1) - 1`` is a smooth distance from the targets' mean: a unit with
    ``u_k`` reads the answer along circles (conics, with ``w_k``) as well as
    lines, so a ring whose radius moves with x is one unit's valley, where
    lines alone approximate it by a polygon whose ripple costs nats. With
    ``u = 0`` and ``v = -1`` it is the free energy of a Gaussian-Bernoulli
    RBM whose biases depend on x, a mixture of ``2^n_units`` Gaussians;
    free ``v(x)`` also bends the energy along ridges of ``y``, so the Gibbs
    distribution can have several modes and outputs that move together.
    Softplus and ``rho`` grow linearly, so the quadratic term keeps the
    density proper.
    The energy is differentiable in ``y`` (:meth:`answer_gradient`), which
    descent and Langevin inference use.

    ``output="softplus"`` maps the energy to ``log(1 + exp(E))`` > 0 (the
    map of the losses that need non-negative energies, which
    :meth:`build` refuses); ``output="square"`` to ``E^2 / 2``, for the
    energy loss. The answer space's wall keeps these proper.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(64, 64)
        Hidden layers of ``G``.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
    n_units : int, default=64
        Hidden units reading the answer.
    output : {"score", "softplus", "square"}, default="score"

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.energies import JointVectorEnergy
    >>> energy = JointVectorEnergy((8,), n_units=4)
    >>> energy = energy.initialize(n_features=3, n_answers=2, random_state=0)
    >>> E, _ = energy.forward(np.ones((5, 3)), np.zeros((5, 7, 2)))
    >>> E.shape
    (5, 7)
    >>> E, dE = energy.answer_gradient(energy.network(np.ones((5, 3)))[0],
    ...                                np.zeros((5, 7, 2)))
    >>> dE.shape
    (5, 7, 2)
    """

    _penalize_extra = True
    # set per instance at initialization; energies pickled before the scale
    # existed have none and keep reading v unscaled
    _output_weight_scale = 1.0
    _initial_output_weight_scale = _OUTPUT_WEIGHT_SCALE
    # radial weights u: set per instance at initialization (energies
    # pickled before them have none)
    _radial = False
    _initial_radial = True
    # _init_extra starts it near the standard normal of the targets
    _flat_softplus_start = False

    def __init__(self, hidden_layer_sizes=(64, 64), activation="relu", n_units=64,
                 output="score"):
        super().__init__(hidden_layer_sizes, activation)
        self.n_units = int(n_units)
        self.output = output

    @classmethod
    def build(cls, loss, hidden_layer_sizes=(64, 64), activation="relu",
              answers=None, output="score"):
        """The vector architecture (a :class:`GaussianVectorEnergy` for more
        than two answer columns), with the output map ``JointEnergy`` chose
        for ``loss``. The losses that need non-negative energies (its
        softplus output) are refused: see the message."""
        if output == "softplus":
            raise ValueError(
                f"loss={loss.name!r} with energy='joint' on several target columns "
                "is ill-posed here: under the losses that need non-negative "
                "energies the vector energy's softplus output falls to zero at "
                "every answer, where its gradient vanishes, and the fit predicts "
                "nearly one point for every row (test R^2 below 0 for square_square "
                "and square_exp on two noisy linear targets, at most 0.36 on three "
                "where hinge scored 0.92, and for lvq2 below 0 on one of two "
                "draws). Use 'nll', 'hinge', 'log', 'mce' or "
                "'perceptron', or fit one column at a time.")
        if answers is not None and answers.n_answers > 2 and cls is JointVectorEnergy:
            cls = GaussianVectorEnergy
        return cls(hidden_layer_sizes, activation, output=output)

    # -- parameters -----------------------------------------------------------
    def _n_outputs(self, n_features, n_answers):
        return 2 * n_answers + 2 * self.n_units

    def _extra_shapes(self, n_features, n_answers):
        # the answer weights w_k, then the radial weights u_k (zero at the
        # start: the units start as lines, the fit bends them)
        shapes = [(self.n_units, n_answers)]
        if self._initial_radial:
            shapes.append((self.n_units,))
        return shapes

    def _init_extra(self, rng, X, y, sample_weight):
        d = self.n_answers_
        self._output_weight_scale = self._initial_output_weight_scale
        self._radial = self._initial_radial
        self._extra[0][...] = rng.normal(0.0, 1.0 / np.sqrt(d), (self.n_units, d))
        # start near the standard normal of standardized targets: s = a = 0,
        # small output weights v of the hidden units
        last = self.coefs_[-1]
        last[:, :2 * d] *= 0.1
        last[:, 2 * d + self.n_units:] *= 0.1 / self._output_weight_scale
        self.intercepts_[-1][:2 * d] = 0.0
        self.intercepts_[-1][2 * d + self.n_units:] *= 0.1 / self._output_weight_scale

    @property
    def weights_(self):
        """The answer weights ``w_k``: (n_units, n_answers)."""
        return self._extra[0]

    @property
    def radial_weights_(self):
        """The radial weights ``u_k``: (n_units,), or None for an energy
        without them."""
        return self._extra[1] if self._radial else None

    def _pre(self, Y, b=None, rho=None):
        """The hidden units' pre-activations ``w_k . y + u_k rho(y) + b_k``
        (without ``b``, ``w_k . y + u_k rho(y)``): (n, c, n_units); ``rho``
        the answers' radii if the caller has them."""
        W = self.weights_
        if self._radial:
            rho = _radius(Y) if rho is None else rho
            Y = np.concatenate([Y, rho[..., None]], axis=-1)
            W = np.column_stack([W, self._extra[1]])
        pre = Y @ W.T.astype(Y.dtype, copy=False)
        # in place: a new array for the broadcast sum takes several times
        # as long (50 x 30 x 64: 0.4 ms against 0.07)
        if b is not None:
            pre += b[:, None, :]
        return pre

    def _split(self, g):
        d, k = self.n_answers_, self.n_units
        s = np.clip(g[:, :d], -_LOG_PRECISION, _LOG_PRECISION)
        return (np.exp(s), g[:, d:2 * d], g[:, 2 * d:2 * d + k],
                self._output_weight_scale * g[:, 2 * d + k:])

    def precision(self, g):
        """``exp(s(x))``, the precision of the quadratic term: (n, d)."""
        return self._split(g)[0]

    # -- energies --------------------------------------------------------------
    def _raw(self, g, Y, rho=None):
        lam, a, b, v = self._split(g)
        feat, sig = softplus(self._pre(Y, b, rho), slope=True)
        raw = (0.5 * np.einsum("nd,ncd->nc", lam, Y * Y)
               - np.einsum("nd,ncd->nc", a, Y)
               + np.einsum("nk,nck->nc", v, feat))
        return raw, (sig, feat), lam

    def _map(self, raw):
        if self.output == "softplus":
            return softplus(raw, slope=True)
        if self.output == "square":
            return 0.5 * raw * raw, raw
        return raw, None

    def _answer_head(self, g, Y, grid):
        if self._on_grid(Y, grid):
            return self._grid_head(g, grid)
        if grid is not None:
            Y = np.concatenate([Y, np.broadcast_to(grid, (len(g), *grid.shape))],
                               axis=1)
        raw, parts, lam = self._raw(g, Y)
        E, slope = self._map(raw)
        return E, (Y, parts, lam, slope)

    @staticmethod
    def _on_grid(Y, grid):
        """Whether the candidates are only a grid shared by all rows."""
        return grid is not None and Y.shape[1] == 0

    def _unit_slopes(self, Y, grid, head_cache):
        """The hidden units' slopes (sigmoids) from a head's cache: the grid
        head keeps their pre-activations, the others the slopes."""
        cached = head_cache[1][0]
        return expit(cached) if self._on_grid(Y, grid) else cached

    def _grid_features(self, g, grid):
        """The answer features of answers shared by all rows (a quadrature
        grid): ``pre``, ``feat`` (n, M, n_units) and their energy (n, M)."""
        _, _, b, v = self._split(g)
        pre = self._pre(grid[None]) + b[:, None, :]
        # the bulk of a quadrature's cost: softplus in single precision
        feat = softplus(pre.astype(np.float32))
        return pre, feat, np.einsum("nk,nck->nc", v.astype(np.float32), feat)

    def _grid_head(self, g, grid):
        """:meth:`_answer_head` on a grid shared by all rows: one product."""
        lam, a, _, _ = self._split(g)
        pre, feat, features = self._grid_features(g, grid)
        raw = 0.5 * lam @ (grid * grid).T - a @ grid.T + features
        E, slope = self._map(raw)
        # the hidden units' pre-activations: their slopes cost more than the
        # softplus, and only a backward pass needs them
        return E, (np.broadcast_to(grid, (len(g), *grid.shape)), (pre, feat), lam,
                   slope)

    def _answer_head_backward(self, g, Y, grid, head_cache, d_energies):
        sig = self._unit_slopes(Y, grid, head_cache)
        on_grid = self._on_grid(Y, grid)
        Y, (_, feat), lam, slope = head_cache
        d_raw = d_energies if slope is None else d_energies * slope
        d, k = self.n_answers_, self.n_units
        v = self._split(g)[3]
        inside = (np.abs(g[:, :d]) < _LOG_PRECISION).astype(g.dtype)
        # dE/dpre of each candidate, weighted by dL/dE
        d_pre = d_raw[:, :, None] * sig * v[:, None, :]
        d_g = np.empty_like(g)
        d_g[:, :d] = 0.5 * np.einsum("nc,ncd->nd", d_raw, Y * Y) * lam * inside
        d_g[:, d:2 * d] = -np.einsum("nc,ncd->nd", d_raw, Y)
        d_g[:, 2 * d:2 * d + k] = d_pre.sum(axis=1)
        d_g[:, 2 * d + k:] = self._output_weight_scale * np.einsum("nc,nck->nk",
                                                                  d_raw, feat)
        self._d_weights = [np.einsum("nck,ncd->kd", d_pre, Y)]
        if self._radial:
            # a grid's radii once, not once per row
            rho = (np.broadcast_to(_radius(grid), Y.shape[:2]) if on_grid
                   else _radius(Y))
            self._d_weights.append(np.einsum("nck,nc->k", d_pre, rho))
        return d_g

    def backward(self, cache, d_energies):
        grad = super().backward(cache, d_energies)
        views = self._views(grad, self._shapes)[-len(self._extra):]
        for view, d_w in zip(views, self._d_weights):
            view[...] = d_w
        del self._d_weights
        return grad

    def answer_gradient(self, g, Y):
        """Energies and their gradient with respect to the answers.

        Parameters
        ----------
        g : ndarray of shape (n_samples, n_outputs)
            ``network(X)[0]``.
        Y : ndarray of shape (n_samples, n_candidates, n_answers)

        Returns
        -------
        energies : ndarray of shape (n_samples, n_candidates)
        gradient : ndarray of shape (n_samples, n_candidates, n_answers)
        """
        # the radii once, for the energy and its gradient
        rho = _radius(Y) if self._radial else None
        raw, parts, lam = self._raw(g, Y, rho)
        E, slope = self._map(raw)
        d_pre = parts[0] * self._split(g)[3][:, None, :]
        d_raw = (self._quadratic_answer_gradient(g, Y, parts, lam)
                 + d_pre @ self.weights_.astype(Y.dtype, copy=False))
        if self._radial:
            u = self._extra[1].astype(Y.dtype, copy=False)
            d_raw += (d_pre @ u)[..., None] * Y / (rho[..., None] + 1)
        if slope is not None:
            d_raw *= slope[:, :, None]
        return E, d_raw

    def _quadratic_answer_gradient(self, g, Y, parts, lam):
        """The gradient of the quadratic part of the energy with respect to
        the answers: (n, c, d)."""
        a = self._split(g)[1]
        return lam[:, None, :] * Y - a[:, None, :]


def _radius(Y):
    """``rho(y) = sqrt(|y|^2 + 1) - 1``, a smooth distance from the origin
    that grows linearly: (..., c). (Written as ``|y|^2 / (sqrt(|y|^2 + 1) +
    1)``, which keeps its precision near the origin.)"""
    r2 = np.einsum("...d,...d->...", Y, Y)
    return r2 / (np.sqrt(r2 + 1) + 1)


# the architecture above two columns, in a module of its own; imported last,
# since it subclasses JointVectorEnergy (build picks it)
from ._gaussian_vector import GaussianVectorEnergy  # noqa: E402
