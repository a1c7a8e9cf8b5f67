"""Vectors in R^d: descent for the argmin, Markov chains for samples, the
Gibbs mean and the NLL's contrastive term."""

import numpy as np
from sklearn.utils import gen_batches

from ..sampling._langevin import _mala
from ..sampling._metropolis import _mh_gaussian
from ..sampling._random import RowDraws, _generator
from ..solvers._settings import auto_batch_size
from ._base import AnswerSpace, Candidates, check_random_walk
from ._vector_chains import _INFER_BURN, _INFER_STEPS, _JUMP_EVERY, _VectorChains
from ._vector_density import _MAX_QUAD_DIM, _WALL, _VectorDensity, _kernel_draws

# Standardized units: the box is the training range of each column padded by
# _PAD_FRACTION of its width plus _PAD; beyond it a quadratic wall of width
# _WALL (in _vector_density) raises the energy, so every output map gives a
# proper density.
_PAD_FRACTION = 0.2
_PAD = 0.5
# training chains without a sampler: Langevin (MALA) from the targets
_TRAIN_CHAINS, _TRAIN_STEPS, _TRAIN_BURN = 4, 10, 5
# ... every _TRAIN_JUMP_EVERY-th move a jump (the others local steps, which
# the contrast near each target needs: a jump every second move cost a
# sharp ring 0.1 nats, every fourth 0.04)
_TRAIN_JUMP_EVERY = 4
# chains of the Gibbs mean (the inference chains' constants: _vector_chains)
_MEAN_CHAINS = 16
# draws per sample around its chain states, or of the energy's Gaussian
# part (d > 2), that estimate the reported NLL
_TRAIN_IS_DRAWS, _PROPOSAL_DRAWS = 8, 16
_MAX_STARTS = 1000
_CHUNK_CELLS = 2**21
# the defaults of training (training_defaults): Adam's step for d <= 2 and
# above, and the epochs
_RATE, _RATE_PROPOSALS, _EPOCHS = 1e-2, 3e-3, 100
# ... and for d <= 2 batches of a _STEPS_PER_EPOCH-th of the rows, at least
# _MIN_BATCH and at most the estimators' "auto" (200, n/200 above 40000)
_STEPS_PER_EPOCH, _MIN_BATCH = 40, 16
# the last _ANNEAL_SHARE of the epochs run at _ANNEAL_FACTOR times the step
# (their iterates averaged, which takes out the wandering a smaller step
# would: more of the budget goes to full steps, which a sharp density needs)
_ANNEAL_SHARE, _ANNEAL_FACTOR = 0.1, 0.3


class VectorSpace(_VectorChains, _VectorDensity, AnswerSpace):
    """Answers that are vectors of R^d, searched by descent and sampled by
    Markov chains.

    No grid can enumerate these answers. Each column of the standardized
    targets gets a box (its training range padded by 20% of its width and
    0.5); beyond the box a quadratic wall of width 0.5 adds to the energy,
    so the Gibbs distribution is proper for every output map.

    - Training: the candidates of a batch are its targets and the kept
      states of Markov chains on ``p(y|x)`` started at the targets
      (contrastive divergence; persistent contrastive divergence with
      ``persistent_chains``): 4 chains of 10 Metropolis-adjusted Langevin
      (MALA) steps, preconditioned by the architecture's precision, the
      last 5 kept, with one step size adapted from batch to batch toward an
      acceptance rate of 0.574; for ``d <= 2`` every fourth move is
      instead a jump to a Gaussian around one of 128 stored training
      targets, as wide as a Langevin step, which weighs the modes against
      each other; for ``d > 2`` (a
      :class:`~skebm.energies.GaussianVectorEnergy`) a jump to a draw of
      the energy's Gaussian part, which its hidden units reweight into
      the Gibbs density. A ``sampler`` replaces them with its random-walk
      chains (``n_chains``, ``n_steps``, ``step_size``, ``burn_in``,
      ``thin``). The NLL's contrastive term is the mean over the kept
      states, and its reported value an importance-sampling estimate (8
      draws around the chain states; for ``d > 2``, 16 draws of the
      Gaussian part per sample); the margin losses' most offending
      incorrect answer is the lowest-energy one outside the
      ``epsilon``-ball around the target, among the chain states and the
      same states after 3 descent steps.
    - Inference: chains start at training targets drawn at random (a
      stored subset of up to 1000) and run 200 moves, every second one an
      independence proposal around one of 128 stored targets drawn for
      each chunk of rows, as wide as the row's Langevin step (for ``d >
      2``, a draw of the Gaussian part), and the others MALA steps, tuned
      per row during the first 100.
      ``sample`` keeps each chain's last state; the mean averages 16
      chains' last 100 states; the mode descends from their last states
      with a backtracking, preconditioned gradient descent and keeps the
      lowest.
    - ``log_partition``: a quadrature on a 96^d midpoint grid (the box
      widened by 4 wall widths) for ``d <= 2``; above, an importance
      sampling estimate (256 draws from Gaussian kernels around chain
      states) with its standard error.

    Parameters
    ----------
    low, high : ndarray of shape (n_answers,)
        The box, in standardized units.
    starts : ndarray of shape (n_starts, n_answers)
        Training targets at which inference chains start.
    epsilon : float, default=0.3
        Radius of the ball around the target whose answers do not count as
        incorrect.
    sampler : MHSampler or None, default=None
    persistent_chains : bool, default=False

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.inference import VectorSpace
    >>> z = np.array([[-1.0, 0.0], [1.0, 2.0]])
    >>> space = VectorSpace.from_targets(z, np.ones(2))
    >>> space.low, space.high
    (array([-1.9, -0.9]), array([1.9, 2.9]))
    """

    support = None
    #: a fit's last 10% of ``max_iter`` epochs run at 0.3 times the step,
    #: and its parameters are the mean of their iterates (read by the
    #: training loop, :func:`skebm.solvers.train`): the sampled gradient
    #: leaves the iterate wandering at the scale of the step
    annealing = (_ANNEAL_SHARE, _ANNEAL_FACTOR)

    def __init__(self, low, high, starts, epsilon=0.3, sampler=None,
                 persistent_chains=False):
        self.low = np.asarray(low, dtype=float)
        self.high = np.asarray(high, dtype=float)
        self.starts = starts
        self.epsilon = epsilon
        self.sampler = sampler
        self.persistent_chains = persistent_chains
        self.n_answers = len(self.low)
        self._log_step = np.log(self.n_answers ** (-1 / 3))
        self._chains = None

    def training_defaults(self, n_samples):
        """What replaces the estimator's default ``learning_rate_init``,
        ``max_iter``, ``n_iter_no_change`` and, for ``d <= 2``,
        ``batch_size`` for these answers and ``n_samples`` training rows.

        The reported loss is a sampled estimate whose noise, not the model,
        decides when it stops improving by ``tol``: training runs its
        ``max_iter`` epochs, the last 10% of them at 0.3 times the step
        and averaged (``annealing``, whatever the parameters).
        For ``d <= 2`` batches are a 40th of the rows, at least 16 and at
        most the estimators' ``"auto"`` (40 an epoch from 640 to 8000
        rows): a sharp density needs large answer weights, which Adam's
        bounded steps reach only in enough of them. Measured in
        ``benchmarks/bench_multioutput.py`` (a ring for ``d = 2``, digit
        completion for ``d = 32``).
        """
        if self.n_answers > _MAX_QUAD_DIM:
            return {"learning_rate_init": _RATE_PROPOSALS, "max_iter": _EPOCHS,
                    "n_iter_no_change": _EPOCHS}
        batch = max(-(-n_samples // _STEPS_PER_EPOCH), _MIN_BATCH)
        return {"learning_rate_init": _RATE, "max_iter": _EPOCHS,
                "n_iter_no_change": _EPOCHS,
                "batch_size": min(batch, auto_batch_size(n_samples))}

    @classmethod
    def from_targets(cls, z, sample_weight, **params):
        """The box of the standardized targets ``z`` of positive weight."""
        z = z[sample_weight > 0]
        pad = _PAD_FRACTION * np.ptp(z, axis=0) + _PAD
        rng = np.random.default_rng(0)
        starts = z if len(z) <= _MAX_STARTS else z[rng.choice(len(z), _MAX_STARTS,
                                                           replace=False)]
        return cls(z.min(axis=0) - pad, z.max(axis=0) + pad, starts.copy(),
                   **params)

    def check_sampler(self, sampler, loss):
        sampler._validate_params()
        check_random_walk(sampler)

    def start_training(self, z):
        if self.persistent_chains:
            n_chains = _TRAIN_CHAINS if self.sampler is None else self.sampler.n_chains
            self._chains = np.repeat(z[:, None, :], n_chains, axis=1)

    def stop_training(self):
        self._chains = None

    # -- the box and its wall ----------------------------------------------------
    def outside(self, z):
        """Which answers lie outside the box, where a quadratic wall raises
        the energy: (n, d)."""
        return (z < self.low) | (z > self.high)

    def _wall(self, Y):
        over = np.maximum(Y - self.high, 0.0) - np.maximum(self.low - Y, 0.0)
        return 0.5 * np.sum((over / _WALL) ** 2, axis=-1), over / _WALL**2

    # -- training ---------------------------------------------------------------
    def candidates(self, energy, X, z, step):
        if step.rng is None:
            raise ValueError(
                f"energy='joint' with {self.n_answers} target columns samples "
                "its contrastive term, and solver='lbfgs' needs an exact "
                "gradient: use solver='adam', 'sgd' or 'auto'.")
        n = len(z)
        G = energy.network(X)
        gen = _generator(step.rng)
        n_chains = _TRAIN_CHAINS if self.sampler is None else self.sampler.n_chains
        samples = self._contrast_samples(energy, G[0], z, step, gen)
        # the chains' last states, a few descent steps on: candidates for
        # the most offending answer of the margin losses
        descended = samples[:, :0]
        if not step.partition:
            descended = self._descend(energy, G[0], samples[:, -n_chains:],
                                      step.beta, 3)[0]
        n_s = samples.shape[1]
        # draws whose importance weights make the reported NLL an estimate
        # of the true one (the gradient's contrast is the chains'): of the
        # energy's Gaussian part, which its units reweight (d > 2), or
        # around the chain states; a margin loss has no use for them
        if not step.partition:
            draws, log_q = samples[:, :0], np.empty((n, 0))
        elif self._proposes(energy):
            draws, log_q = energy.gaussian_draws(G[0], _PROPOSAL_DRAWS, gen,
                                                 step.beta)
        else:
            precond = self._precond(energy, G[0], step.beta)
            draws, log_q = _kernel_draws(samples, precond, _TRAIN_IS_DRAWS, gen)
        Y = np.concatenate([z[:, None, :], samples, descended, draws], axis=1)
        Y = Y.astype(energy.params_.dtype)
        energies, cache = energy.forward(X, Y, G=G)
        energies += self._wall(Y)[0]
        incorrect = np.linalg.norm(Y - z[:, None, :], axis=2) > self.epsilon
        incorrect[:, 0] = False
        n_is = draws.shape[1]
        incorrect[:, Y.shape[1] - n_is:] = False
        log_w = np.full(energies.shape, -np.inf)
        log_w[:, Y.shape[1] - n_is:] = -log_q - np.log(max(n_is, 1))
        contrast = np.zeros_like(energies)
        contrast[:, 1:1 + n_s] = 1.0 / n_s
        return energies, cache, Candidates(np.zeros(n, dtype=np.intp), incorrect,
                                           log_w, contrast)

    def _proposes(self, energy):
        """Whether the training chains jump to draws of the energy's
        Gaussian part, which also estimate the reported NLL (``d > 2``, no
        ``sampler``)."""
        return self.sampler is None and self._gaussian_part(energy)

    def _contrast_samples(self, energy, g, z, step, gen):
        """Kept states of chains on ``p(y|x)`` started at the targets or where
        the batch's persistent chains stopped: (n, n_kept * n_chains, d)."""
        persistent = self._chains is not None and step.rows is not None
        s = self.sampler
        n_chains = _TRAIN_CHAINS if s is None else s.n_chains
        theta = (self._chains[step.rows] if persistent
                 else np.repeat(z[:, None, :], n_chains, axis=1)).astype(float)
        log_target = self._target(energy, g, step.beta)
        if s is None:
            # Langevin moves cannot leave the targets' modes: jumps bring
            # other training targets' answers into the contrast, so that
            # it weighs the modes as the Gibbs distribution does
            precond = self._precond(energy, g, step.beta)
            every = _TRAIN_JUMP_EVERY
            if self.n_answers <= _MAX_QUAD_DIM:
                jump = self._jump(precond, centers=self._jump_centers(gen))
            elif self._proposes(energy):
                jump = self._gaussian_jump(energy, g, step.beta)
            else:
                # many dimensions and no Gaussian part to draw from
                jump, every = self._jump(precond), _JUMP_EVERY
            chain, _, acceptance, _ = _mala(
                log_target, theta, _TRAIN_STEPS, _TRAIN_BURN, 1,
                np.exp(self._log_step), gen, precond, jump=jump,
                jump_every=every)
            # one step size for every batch, adapted between batches
            self._log_step += 0.1 * (acceptance.mean() - 0.574)
        else:
            n, d = z.shape

            def flat_target(t):
                return log_target(t.reshape(n, n_chains, d))[0].ravel()

            flat = theta.reshape(-1, d)
            chain, *_ = _mh_gaussian(flat_target, flat, flat_target(flat),
                                     s.n_steps, s._burn_in_steps(), s.thin,
                                     s.step_size, gen)
            chain = chain.reshape(len(chain), n, n_chains, d)
        if persistent:
            self._chains[step.rows] = chain[-1]
        return chain.transpose(1, 0, 2, 3).reshape(len(z), -1, z.shape[1])

    # -- inference ----------------------------------------------------------------
    def _chunks(self, n, per_row):
        return gen_batches(n, max(1, _CHUNK_CELLS // max(per_row, 1)))

    def energies(self, energy, X, z):
        """Energy of each (x, z) pair, the wall included: (n_samples,)."""
        Y = z[:, None, :].astype(energy.params_.dtype)
        E, _ = energy.forward(X, Y)
        return E[:, 0] + self._wall(Y)[0][:, 0]

    def sample(self, energy, X, beta, n_samples, rng):
        """Last states of ``n_samples`` chains per row: (n, d, n_samples)."""
        gen = _generator(rng)
        out = np.empty((X.shape[0], self.n_answers, n_samples))
        for rows in self._chunks(X.shape[0], n_samples * self.n_answers * 8):
            g = energy.network(X[rows])[0]
            chain = self._chains_from_starts(energy, g, beta, n_samples, gen, 1)
            out[rows] = chain[-1].transpose(0, 2, 1)
        return out

    def predict(self, energy, X, beta, kind, rng=0):
        """The Gibbs mean (16 chains, 100 kept states each), its standard
        deviation (``kind="std"``) or the mode (descent from those chains'
        last states): (n, d). The chains' draws, seeded by ``rng`` (an
        int), are the same for every row
        (:class:`~skebm.sampling._random.RowDraws`): a row's answer does not
        depend on the rows beside it."""
        out = np.empty((X.shape[0], self.n_answers))
        n_keep = _INFER_STEPS - _INFER_BURN
        for rows in self._chunks(X.shape[0], _MEAN_CHAINS * n_keep * self.n_answers):
            g = energy.network(X[rows])[0]
            chain = self._chains_from_starts(energy, g, beta, _MEAN_CHAINS,
                                             RowDraws(rng, len(g)), n_keep)
            if kind in ("mean", "std"):
                out[rows] = getattr(chain, kind)(axis=(0, 2))
            else:
                Y, E = self._descend(energy, g, chain[-1], beta)
                out[rows] = Y[np.arange(len(Y)), np.argmin(E, axis=1)]
        return out

    def predict_std(self, energy, X, beta):
        """Standard deviation of each output under the Gibbs distribution,
        from the chains of the mean: (n, d)."""
        return self.predict(energy, X, beta, "std")

    def argmin(self, energy, X, starts):
        """Descent from ``starts`` of shape (n, k, d): the lowest answer found
        and its energy, (n, d) and (n,)."""
        g = energy.network(X)[0]
        Y, E = self._descend(energy, g, np.asarray(starts, dtype=float), 1.0)
        best = np.argmin(E, axis=1)
        rows = np.arange(len(Y))
        return Y[rows, best], E[rows, best]

    def quantiles(self, energy, X, beta, u):
        raise ValueError(
            f"predict_interval is for one target column; y has {self.n_answers}."
            " Use sample_y for the joint distribution of the outputs.")

    def score(self, energy, X, z, sample_weight, beta, kind):
        """Weighted R^2 of the prediction, averaged over the outputs."""
        from sklearn.metrics import r2_score

        pred = self.predict(energy, X, beta, kind)
        return float(r2_score(z, pred, sample_weight=sample_weight))

