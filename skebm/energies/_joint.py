"""A scalar energy of (x, y) bilinear in features of the answer: several
low-energy answers for one input."""

import numpy as np
from scipy.special import expit
from sklearn.utils import gen_batches

from .._underflow import flush, flushed_exp
from ..inference import IntervalSpace, VectorSpace
from ._continuous import _AnswerEnergy
from ._joint_vector import JointVectorEnergy
from ._network import output_map

# Gaussian bumps of the answer basis, and their scale against y and y^2 / 2
_N_BASIS = 64
_BUMP_SCALE = 0.1
# while it trains, an energy keeps the bases of its last few answer arrays of
# each kind (grids shared by all rows, per-row answers), up to this many of a
# kind and this many numbers in all (128 MB in float64). A fit that checks
# held-out rows with cells evaluates five arrays in turn (targets, training
# grid, held-out cells, inference grid, its edges), and with four kept every
# check recomputed its bases (a tenth of the fit); a stochastic fit's grid
# takes 16 shifts (N_TRAIN_SHIFTS). The bases of a fit's training targets
# (_rows_basis) have a budget of their own, computed this many rows at a time
_N_KEPT, _MAX_KEPT_SIZE = 24, 2**24
_ROWS_BLOCK = 2048


class _JointAnswers:
    """The answer space of ``energy="joint"``, chosen by the number of target
    columns: the exact grid of an :class:`~skebm.inference.IntervalSpace` for
    one, the descent and chains of a :class:`~skebm.inference.VectorSpace`
    for several (where :meth:`JointEnergy.build` returns a
    :class:`JointVectorEnergy`)."""

    # one column's answers are an IntervalSpace's grid
    spans_targets = True

    @staticmethod
    def from_targets(z, sample_weight, **params):
        space = IntervalSpace if z.shape[1] == 1 else VectorSpace
        return space.from_targets(z, sample_weight, **params)

    @staticmethod
    def samples(z):
        """Whether training on targets ``z`` samples its contrastive term (so
        that ``solver="auto"`` picks a stochastic solver)."""
        return z.shape[1] > 1


class JointEnergy(_AnswerEnergy):
    """A scalar energy of (x, y) that can be low at several y for one x.

    ``E(x, y) = G(x) . psi(y)``: an MLP ``G`` of x (no hidden layer: linear)
    whose last layer is bilinear with fixed Gaussian bumps ``psi_k(y) =
    h exp(-(y - c_k)^2 / (2 w^2))`` of the answer. Any energy profile over y in
    the span of the bumps, so any number of modes, is reachable for each x,
    and the energy of a whole grid of answers is one matrix product. With
    ``quadratic=True`` the basis also holds ``y`` and ``y^2 / 2``, so that
    ``E`` contains the Gaussian family ``a(x) y + b(x) y^2 / 2``: a mode
    that moves smoothly with x then needs two outputs of ``G`` rather than
    a pattern over many bumps. The height ``h`` weighs the bumps against
    that family: under the L2 penalty ``alpha``, a bump's coefficients pay
    ``alpha / h^2``, so a small height makes the shape depart from a
    Gaussian only as far as the data insist. Once fitted, an input whose
    Gaussian part has no minimum and whose energy falls to an end of the
    support reads the Gaussian part ``gaussian_fallback_``: see
    :meth:`network`.
    ``output="softplus"`` maps ``G . psi`` to ``log(1 + exp(G . psi))`` > 0
    for the losses that need non-negative energies; ``output="square"`` to
    ``(G . psi)^2 / 2`` >= 0, for the energy loss, whose minimum is then
    the collapsed surface ``E = 0`` rather than ``-inf`` (``build`` refuses
    that loss; the example of the collapse builds this by hand).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
    centers : array-like of shape (n_bumps,)
        Centers ``c_k`` of the bumps.
    width : float
        Width ``w`` of the bumps.
    output : {"score", "softplus", "square"}, default="score"
    quadratic : bool, default=False
        Append ``y`` and ``y^2 / 2`` to the bumps, giving ``n_basis`` answer
        features: the number of bumps plus 2. ``initialize`` takes
        ``n_answers=1``, one target column.
    bump_scale : float, default=1.0
        Height ``h`` of the bumps.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.energies import JointEnergy
    >>> energy = JointEnergy((8,), centers=np.linspace(-3, 3, 16), width=0.4)
    >>> energy = energy.initialize(n_features=2, n_answers=1, random_state=0)
    >>> E, _ = energy.forward(np.ones((4, 2)), np.zeros((4, 1)),
    ...                       grid=np.linspace(-3, 3, 50))
    >>> E.shape
    (4, 51)
    """

    answer_space = _JointAnswers
    multi_output = True
    searched_answers = True
    # the height of models pickled before it was a parameter
    bump_scale = 1.0
    # the output intercepts are the energy profile shared by all x;
    # unpenalized, the NLL could sharpen it without bound
    _penalize_output_intercepts = True
    # trained in single precision whatever the inputs' (as
    # HistGradientBoosting's gradients): every evaluation runs over a grid
    # of answers, whose float64 arrays double the memory traffic (user
    # guide, "Solvers")
    compute_dtype = np.float32
    # a stochastic batch's targets are rows of the fit's: their bases are
    # kept for the whole fit rather than computed batch after batch
    keeps_answer_rows = True
    # the Gaussian part (a, b) of an input whose Gaussian part has no minimum
    # and whose energy falls to an end of the support, once a fit has ended
    # (stop_training); None while training, and for models pickled before
    # it (as they were)
    gaussian_fallback_ = None

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", centers=(0.0,),
                 width=1.0, output="score", quadratic=False, bump_scale=1.0):
        super().__init__(hidden_layer_sizes, activation)
        self.centers = np.asarray(centers, dtype=float)
        self.width = float(width)
        self.output = output
        self.quadratic = quadratic
        self.bump_scale = float(bump_scale)

    @classmethod
    def build(cls, loss, hidden_layer_sizes=(64, 64), activation="relu",
              answers=None):
        """64 bumps spanning the support of ``answers``, with ``y`` and
        ``y^2 / 2``; a :class:`JointVectorEnergy` when ``answers`` is a
        :class:`~skebm.inference.VectorSpace` (several target columns).

        Under the NLL the bumps have height 0.1, a prior that the
        conditional is near Gaussian, which fits real targets better than
        height 1 (5 UCI splits, test NLL: yacht 0.25 to 0.16, energy 0.77 to
        0.69). Margin losses keep height 1: they shape the energy only at the
        target and at the most offending answer, and the bumps' profile is
        all they have (wine, 3-fold CV R^2 of the perceptron: 0.30 at height
        1, 0.23 at 0.1). A loss that pulls no answer up (the energy loss) is
        refused: it flattens the energy (``output="square"`` shows it, built
        by hand)."""
        if not loss.contrastive:
            raise ValueError(
                f"loss={loss.name!r} with energy='joint' is ill-posed: it only "
                "pushes down the energy of the targets and nothing pulls up the "
                "energy of other answers, so the joint energy collapses to a "
                "flat surface that predicts nothing (examples/"
                "plot_energy_collapse.py shows it). Use a contrastive loss "
                "('nll', 'hinge', 'log', ...) or energy='mlp', whose "
                "quadratic energy makes it least squares.")
        if isinstance(answers, VectorSpace):
            return JointVectorEnergy.build(loss, hidden_layer_sizes, activation,
                                           answers, output_map(loss, "square"))
        centers = np.linspace(*answers.support, _N_BASIS)
        return cls(hidden_layer_sizes, activation, centers=centers,
                   width=centers[1] - centers[0], output=output_map(loss, "square"),
                   quadratic=True,
                   bump_scale=_BUMP_SCALE if loss.partition else 1.0)

    def same_architecture(self, other):
        # the bumps' height and centres set what the fitted coefficients
        # mean: a warm start from a margin loss's fit (height 1) to the
        # NLL's, or to targets of another support, starts over
        return (super().same_architecture(other)
                and other.bump_scale == self.bump_scale
                and other.centers.shape == self.centers.shape
                and np.allclose(other.centers, self.centers, rtol=0,
                                atol=1e-6 * self.width))

    def adds_outputs(self, other):
        # the energy is linear in G only without an output map, and two G
        # add only over one basis
        return (type(other) is type(self) and self.output == other.output == "score"
                and other.quadratic == self.quadratic
                and other.bump_scale == self.bump_scale
                and other.width == self.width
                and np.array_equal(other.centers, self.centers))

    @property
    def n_basis(self):
        """Length of ``psi(y)``."""
        return len(self.centers) + 2 * bool(self.quadratic)

    def _n_outputs(self, n_features, n_answers):
        if n_answers != 1:
            raise ValueError("JointEnergy models one target column; initialize "
                             f"it with n_answers=1, not {n_answers}.")
        return self.n_basis

    def basis(self, y):
        """``psi(y)``: shape ``y.shape + (n_basis,)``."""
        y = np.asarray(y)
        z = (y[..., None] - self.centers) / self.width
        psi = self.bump_scale * flushed_exp(-0.5 * z * z)
        if self.quadratic:
            psi = np.concatenate([psi, y[..., None], 0.5 * y[..., None] ** 2],
                                 axis=-1)
        psi = psi.astype(self.params_.dtype, copy=False)
        # a bump's far tail underflows, on which a matrix product runs
        # several times slower (27 ms against 6 for a grid of 7372 rows)
        flush(psi)
        return psi

    def start_training(self):
        """Keep the bases of the answers a fit evaluates again and again,
        and train ``G`` as it is (no ``gaussian_fallback_``)."""
        self._kept_bases = {}
        self.__dict__.pop("gaussian_fallback_", None)

    def stop_training(self):
        """Drop the kept bases (a fitted model holds none), and from now on
        read a Gaussian part that falls to an end of the support as
        ``gaussian_fallback_`` (:meth:`network`; not under an output map,
        whose energy is bounded below: LVQ2 and the square losses train
        their softplus on such parts)."""
        self.__dict__.pop("_kept_bases", None)
        self.__dict__.pop("_kept_rows", None)
        if self.quadratic and self.output == "score":
            self.gaussian_fallback_ = (0.0, 1.0)

    def network(self, X):
        """``G(X)`` and the activations :meth:`backward` needs. Once fitted,
        an input whose coefficient ``b`` of ``y^2 / 2`` is below 0 and whose
        energy over the bumps' centres is lowest at an end of the support
        reads the Gaussian part ``a y + b y^2 / 2`` as
        ``gaussian_fallback_``, ``(0, 1)``: centred on the standardized
        targets' mean, with their variance at ``beta = 1``. There the
        Gaussian part falls without bound and nothing holds it, so that the
        density, its mean and its interval would go to that end, past every
        training target (``b`` raised to 0 would leave ``a y`` to tilt it
        there). Two modes held by the bumps may have ``b < 0`` too: they are
        kept (user guide, "Continuous answers")."""
        g, activations = super().network(X)
        if self.gaussian_fallback_ is not None:
            falling = self._falling(g)
            if falling.any():
                g = g.copy()
                g[falling, -2:] = self.gaussian_fallback_
        return g, activations

    def _falling(self, g):
        """The rows of ``G`` whose coefficient of ``y^2 / 2`` is below 0 and
        whose energy over the bumps' centres (which span the support) is
        lowest at an end."""
        falling = g[:, -1] < 0
        if falling.any():
            ends = np.argmin(g[falling] @ self.basis(self.centers).T, axis=1)
            falling[falling] = (ends == 0) | (ends == len(self.centers) - 1)
        return falling

    def _kept_basis(self, y):
        """``basis(y)``, kept during training for the last few ``y``: a
        full-batch fit evaluates the same answers (its targets, or their
        cells' points, and its quadrature grids) at every step, and a
        stochastic one its grid at each shift. Answers shared by all rows
        (1-D: grids) and per-row answers are kept apart, so that a batch's
        new answers (cells' points, chain states) do not push the grids
        out; the least recently used of a kind goes first."""
        kept = self.__dict__.get("_kept_bases")
        size = y.size * self.n_basis
        if kept is None or size > _MAX_KEPT_SIZE:
            return self.basis(y)
        pool = kept.setdefault("shared" if y.ndim == 1 else "rows", {})
        key = (self.params_.dtype.str, y.dtype.str, y.shape, y.tobytes())
        if key in pool:
            pool[key] = pool.pop(key)
            return pool[key]

        def fits():
            used = sum(b.size for other in kept.values() for b in other.values())
            return size + used <= _MAX_KEPT_SIZE

        while pool and (len(pool) >= _N_KEPT or not fits()):
            del pool[next(iter(pool))]
        psi = self.basis(y)
        if fits():
            psi.flags.writeable = False
            pool[key] = psi
        return psi

    def _rows_basis(self, Y, answers, index):
        """``basis(Y)`` for ``Y = answers[index]``: rows of the basis of all
        ``answers``, computed once a fit (where its size is kept), in
        blocks of rows so that no float64 temporary spans them all."""
        kept = self.__dict__.get("_kept_rows")
        dtype = self.params_.dtype
        if kept is None or kept[0] is not answers or kept[1] != dtype:
            if ("_kept_bases" not in self.__dict__
                    or answers.size * self.n_basis > _MAX_KEPT_SIZE):
                return self._kept_basis(Y)
            table = np.empty(answers.shape + (self.n_basis,), dtype=dtype)
            for rows in gen_batches(len(answers), _ROWS_BLOCK):
                # the basis of the answers in the dtype ``Y`` arrives in
                table[rows] = self.basis(answers[rows].astype(dtype))
            kept = answers, dtype, table
            self._kept_rows = kept
        return kept[2][index]

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_kept_bases", None)
        state.pop("_kept_rows", None)
        return state

    def _answer_head(self, g, Y, grid, rows=None):
        psi_y = self._kept_basis(Y) if rows is None else self._rows_basis(Y, *rows)
        c = Y.shape[1]
        psi_grid = None if grid is None else self._kept_basis(grid)
        s = np.empty((len(g), c + (0 if grid is None else len(grid))),
                     dtype=np.result_type(g, psi_y))
        s[:, :c] = np.einsum("nk,nck->nc", g, psi_y)
        if grid is not None:
            # written in place: np.concatenate of the two costs more than both
            np.matmul(g, psi_grid.T, out=s[:, c:])
        if self.output == "softplus":
            return np.logaddexp(0.0, s), (psi_y, psi_grid, s)
        if self.output == "square":
            return 0.5 * s * s, (psi_y, psi_grid, s)
        return s, (psi_y, psi_grid, None)

    def _answer_head_backward(self, g, Y, grid, head_cache, d_energies):
        psi_y, psi_grid, s = head_cache
        if s is None:
            d_s = d_energies
        elif self.output == "square":
            d_s = d_energies * s
        else:
            d_s = d_energies * expit(s)
        c = psi_y.shape[1]
        d_g = np.einsum("nc,nck->nk", d_s[:, :c], psi_y)
        if psi_grid is not None:
            d_g += d_s[:, c:] @ psi_grid
        if self.gaussian_fallback_ is not None:
            # g is the network's own output, before network() replaced it
            d_g[self._falling(g), -2:] = 0
        return d_g
