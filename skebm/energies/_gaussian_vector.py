"""The vector energy above two answer columns: an x-dependent Gaussian part,
started at a ridge regression, reshaped by hidden units into several modes;
its draws propose answers to training and to the inference chains."""

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, logit
from sklearn.utils.extmath import safe_sparse_dot

from ._continuous import _AnswerEnergy
from ._joint_vector import _LOG_PRECISION, JointVectorEnergy
from ._softplus import softplus

# the Gaussian part starts at a ridge regression (penalty _RIDGE) for up to
# _MAX_RIDGE_FEATURES dense features
_RIDGE = 1.0
_MAX_RIDGE_FEATURES = 1000
# the hidden units' output weights v lie in (_V_LOW, 1): below 0 a unit
# lowers the energy, which two modes need. At -1/2 the digits' energy score
# was as with v > 0 (0.6938 against 0.6950, three seeds), but 3 fits of 7
# to two blobs in R^3 left the point between them below a blob's centre;
# at -1 the score lost 0.0025 (0.017 at 256 hidden units), and none of 4 did
_V_LOW = -1.0


class GaussianVectorEnergy(JointVectorEnergy):
    """The vector energy above two answer columns: an x-dependent Gaussian
    part reshaped by hidden units that raise or lower the energy.

    ``E(x, y) = |L^T S(x) (y - m(x))|^2 / 2 + sum_k v_k(x) softplus(w_k . y
    + b_k(x))``, ``S = diag(exp(s(x) / 2))``, ``-1 < v_k < 1``: the
    Gaussian part ``N(m(x), P(x)^-1)``, ``P = S L L^T S``, has a mean ``m(x)
    = G_m(x) + B x`` (the network and a linear term, which starts at a ridge
    regression of the targets), per-output precisions ``exp(s(x))``
    (starting at the inverse ridge residual variances) and a learned
    correlation through the shared lower-triangular ``L`` (starting at the
    identity). A unit with ``v_k > 0`` is a soft wall on one side of a
    hyperplane; with ``v_k < 0`` it lowers the energy there, multiplying the
    density by ``(1 + exp(w_k . y + b_k))^-v_k``; at ``v_k = -1``, as a
    Gaussian-Bernoulli RBM's hidden unit, that makes a mixture of the
    Gaussian part and its copy shifted by ``P^-1 w_k``.
    Non-negative ``v`` alone would leave ``E`` convex in ``y``: one mode. The
    softplus grows linearly, so the Gaussian part keeps the density proper;
    its draws (:meth:`gaussian_draws`) serve as proposals that let chains
    jump between modes in many dimensions, where Langevin steps stay in
    one.

    Parameters
    ----------
    hidden_layer_sizes, activation, n_units, output : see
        :class:`JointVectorEnergy`.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.energies import GaussianVectorEnergy
    >>> energy = GaussianVectorEnergy((8,), n_units=4)
    >>> energy = energy.initialize(n_features=3, n_answers=5, random_state=0)
    >>> g = energy.network(np.ones((2, 3)))[0]
    >>> Y, log_q = energy.gaussian_draws(g, 7, np.random.default_rng(0))
    >>> Y.shape, log_q.shape
    ((2, 7, 5), (2, 7))
    """

    # v is a sigmoid of the network's outputs, not a multiple
    _initial_output_weight_scale = 1.0
    # v of either sign: set per instance at initialization (energies pickled
    # before it read v in (0, 1))
    _signed_units = False
    # its units read the answer along lines only (radial weights are
    # measured on d <= 2; digit completion's figures are without them)
    _initial_radial = False

    def _extra_shapes(self, n_features, n_answers):
        # the answer weights w_k; the shared precision's Cholesky factor
        # (strictly lower part, and the log of its diagonal)
        # the linear term of the Gaussian part's mean
        return [(self.n_units, n_answers), (n_answers, n_answers),
                (n_features, n_answers)]

    def _init_extra(self, rng, X, y, sample_weight):
        # as the base (with m in place of a); the Cholesky factor's
        # parameters stay zero: L = I
        super()._init_extra(rng, X, y, sample_weight)
        # v starts at about 1/2, as it did in (0, 1)
        self._signed_units = True
        start = logit((0.5 - _V_LOW) / (1.0 - _V_LOW))
        self.intercepts_[-1][2 * self.n_answers_ + self.n_units:] += start
        if X is not None and not sp.issparse(X) and X.shape[1] <= _MAX_RIDGE_FEATURES:
            self._init_ridge(X, y, sample_weight)

    def _init_ridge(self, X, z, sample_weight):
        """Start the Gaussian part at a ridge regression of ``z`` on ``X``:
        its mean the ridge prediction, its precisions the inverse residual
        variances."""
        w = np.ones(len(X)) if sample_weight is None else sample_weight
        w = w / w.sum()
        x_bar, z_bar = w @ X, w @ z
        Xc, zc = X - x_bar, z - z_bar
        gram = Xc.T @ (Xc * w[:, None])
        gram[np.diag_indices_from(gram)] += _RIDGE / len(X)
        B = np.linalg.solve(gram, Xc.T @ (zc * w[:, None]))
        residual = w @ (zc - Xc @ B) ** 2
        d = self.n_answers_
        self._extra[2][...] = B
        self.intercepts_[-1][d:2 * d] = z_bar - x_bar @ B
        floor = np.exp(-_LOG_PRECISION)
        self.intercepts_[-1][:d] = -np.log(np.maximum(residual, floor))

    def network(self, X):
        """``G(X)``, the mean's linear term ``X B`` added, and the activations
        :meth:`backward` needs."""
        g, activations = super().network(X)
        d = self.n_answers_
        g[:, d:2 * d] += safe_sparse_dot(X, self._extra[2].astype(g.dtype, copy=False))
        return g, activations

    def cholesky(self):
        """``L``, the lower-triangular factor of the shared precision ``L
        L^T``: (n_answers, n_answers), a positive diagonal."""
        A = self._extra[1]
        return np.tril(A, -1) + np.diag(np.exp(np.clip(np.diag(A), -_LOG_PRECISION,
                                                       _LOG_PRECISION)))

    def _split(self, g):
        d, k = self.n_answers_, self.n_units
        s = np.clip(g[:, :d], -_LOG_PRECISION, _LOG_PRECISION)
        low = self._v_low()
        v = low + (1.0 - low) * expit(g[:, 2 * d + k:])
        return np.exp(s), g[:, d:2 * d], g[:, 2 * d:2 * d + k], v

    def _v_low(self):
        return _V_LOW if self._signed_units else 0.0

    def precision(self, g):
        """Diagonal of the precision of the Gaussian part: (n, d)."""
        L = self.cholesky()
        return self._split(g)[0] * np.sum(L * L, axis=1)

    def gaussian(self, g):
        """The Gaussian part ``N(m, P^-1)`` of each row: the mean ``m`` (n, d),
        the scales ``sqrt(exp(s))`` (n, d), ``L`` and ``log det P`` (n,)."""
        lam, m, _, _ = self._split(g)
        A = np.clip(np.diag(self._extra[1]), -_LOG_PRECISION, _LOG_PRECISION)
        log_det = np.log(lam).sum(axis=1) + 2 * A.sum()
        return m, np.sqrt(lam), self.cholesky(), log_det

    def gaussian_draws(self, g, n_draws, gen, beta=1.0):
        """Draws from the Gaussian part at inverse temperature ``beta`` and
        their log density: (n, n_draws, d), (n, n_draws)."""
        m, scale, L, log_det = self.gaussian(g)
        d = self.n_answers_
        xi = gen.standard_normal((len(g), n_draws, d))
        # e = L^-T xi, so that (e L) = xi: the energy of the draw is |xi|^2/2
        e = np.linalg.solve(L.T, xi.reshape(-1, d).T).T.reshape(xi.shape)
        Y = m[:, None, :] + e / (scale[:, None, :] * np.sqrt(beta))
        log_q = (-0.5 * np.sum(xi * xi, axis=2) + 0.5 * log_det[:, None]
                 + 0.5 * d * np.log(beta / (2 * np.pi)))
        return Y, log_q

    def gaussian_log_density(self, g, Y, beta=1.0):
        """Log density of answers ``Y`` (n, c, d) under the Gaussian part."""
        m, scale, L, log_det = self.gaussian(g)
        t = (scale[:, None, :] * (Y - m[:, None, :])) @ L
        return (-0.5 * beta * np.sum(t * t, axis=2) + 0.5 * log_det[:, None]
                + 0.5 * self.n_answers_ * np.log(beta / (2 * np.pi)))

    # -- energies --------------------------------------------------------------
    def _raw(self, g, Y, rho=None):
        lam, m, b, v = self._split(g)
        dtype = Y.dtype
        L = self.cholesky().astype(dtype, copy=False)
        r = np.sqrt(lam).astype(dtype)[:, None, :] * (Y - m[:, None, :])
        t = r @ L
        feat, sig = softplus(self._pre(Y, b, rho), slope=True)
        raw = 0.5 * np.sum(t * t, axis=2) + np.einsum("nk,nck->nc", v, feat)
        return raw, (sig, feat, r, t), lam

    def _grid_head(self, g, grid):
        lam, m, _, _ = self._split(g)
        pre, feat, features = self._grid_features(g, grid)
        r = np.sqrt(lam)[:, None, :] * (grid[None] - m[:, None, :])
        t = r @ self.cholesky().astype(grid.dtype, copy=False)
        raw = 0.5 * np.sum(t * t, axis=2) + features
        E, slope = self._map(raw)
        return E, (np.broadcast_to(grid, (len(g), *grid.shape)),
                   (pre, feat, r, t), lam, slope)

    def _answer_head_backward(self, g, Y, grid, head_cache, d_energies):
        sig = self._unit_slopes(Y, grid, head_cache)
        Y, (_, feat, r, t), lam, slope = head_cache
        d_raw = d_energies if slope is None else d_energies * slope
        d, k = self.n_answers_, self.n_units
        v = self._split(g)[3]
        inside = (np.abs(g[:, :d]) < _LOG_PRECISION).astype(g.dtype)
        L = self.cholesky()
        # dE/dr of each candidate, weighted by dL/dE
        u = d_raw[:, :, None] * (t @ L.T)
        # dE/dpre of each candidate, weighted by dL/dE
        d_pre = d_raw[:, :, None] * sig * v[:, None, :]
        d_g = np.empty_like(g)
        d_g[:, :d] = 0.5 * np.einsum("ncd,ncd->nd", u, r) * inside
        d_g[:, d:2 * d] = -np.sqrt(lam) * u.sum(axis=1)
        d_g[:, 2 * d:2 * d + k] = d_pre.sum(axis=1)
        d_g[:, 2 * d + k:] = np.einsum("nc,nck->nk", d_raw, feat)
        raw = g[:, 2 * d + k:]
        d_g[:, 2 * d + k:] *= (1.0 - self._v_low()) * expit(raw) * expit(-raw)
        d_L = np.einsum("nci,ncj->ij", r * d_raw[:, :, None], t)
        A = self._extra[1]
        d_A = np.tril(d_L, -1)
        diag = np.abs(np.diag(A)) < _LOG_PRECISION
        d_A[np.diag_indices(d)] = np.diag(d_L) * np.exp(np.diag(A)) * diag
        self._d_extra = (np.einsum("nck,ncd->kd", d_pre, Y), d_A, d_g[:, d:2 * d])
        return d_g

    def backward(self, cache, d_energies):
        grad = _AnswerEnergy.backward(self, cache, d_energies)
        views = self._views(grad, self._shapes)
        d_w, d_A, d_m = self._d_extra
        del self._d_extra
        views[-3][...], views[-2][...] = d_w, d_A
        views[-1][...] = safe_sparse_dot(cache[0][0].T, d_m)
        return grad

    def _quadratic_answer_gradient(self, g, Y, parts, lam):
        t = parts[3]
        L = self.cholesky().astype(Y.dtype, copy=False)
        return np.sqrt(lam)[:, None, :] * (t @ L.T)
