"""Markov chains and descent on the Gibbs density of answers in R^d: the
unnormalized log density, the preconditioner, the inference chains and their
independence jumps, and the descent toward the argmin."""

import numpy as np

from ..sampling._langevin import _mala
from ._grid_density import row_logsumexp
from ._vector_density import _MAX_QUAD_DIM

# inference chains: started at stored training targets, MALA, tuned per row
_INFER_STEPS, _INFER_BURN = 200, 100
# every _JUMP_EVERY-th move of a chain is a jump to a stored training target
_JUMP_EVERY = 2
# ... one of this many drawn at random for a batch of rows (training) or a
# chunk (inference): the jumps' proposal density sums a kernel per centre,
# which over all 1000 stored targets took 87% of sampling a ring
_JUMP_CENTERS = 128
_DESCENT_STEPS = 50


class _VectorChains:
    """The chains and the descent of a :class:`VectorSpace` (see there),
    which provides the box's wall (``_wall``) and the stored training
    targets (``starts``)."""

    def _target(self, energy, g, beta):
        """``theta -> (log p, gradient)`` of the rows of ``g``, unnormalized."""
        def log_target(theta):
            E, dE = energy.answer_gradient(g, theta)
            wall, d_wall = self._wall(theta)
            return -beta * (E + wall), -beta * (dE + d_wall)
        return log_target

    def _precond(self, energy, g, beta):
        if not hasattr(energy, "precision"):
            return np.ones((len(g), 1, self.n_answers)) / beta
        return np.clip(1.0 / energy.precision(g), 1e-6, 1e2)[:, None, :] / beta

    def _descend(self, energy, g, Y, beta, n_steps=_DESCENT_STEPS):
        """Backtracking gradient descent on the energy (wall included) from
        starts ``Y`` of shape (n, k, d), preconditioned by the architecture's
        precision: the descended answers and their energies."""
        log_target = self._target(energy, g, 1.0)
        precond = self._precond(energy, g, 1.0)
        lp, grad = log_target(Y)
        rate = np.ones(lp.shape)
        for _ in range(n_steps):
            trial = Y + rate[..., None] * precond * grad
            lp_trial, grad_trial = log_target(trial)
            better = lp_trial >= lp
            Y = np.where(better[..., None], trial, Y)
            grad = np.where(better[..., None], grad_trial, grad)
            lp = np.where(better, lp_trial, lp)
            rate = np.where(better, np.minimum(rate * 1.5, 1.0), rate * 0.3)
        return Y, -lp

    def _chains_from_starts(self, energy, g, beta, n_chains, gen, n_keep):
        """Inference chains from stored training targets (for ``d > 2``,
        draws of the energy's Gaussian part): the last ``n_keep`` states,
        (n_keep, n, n_chains, d)."""
        n = len(g)
        precond = self._precond(energy, g, beta)
        if self._gaussian_part(energy):
            starts = energy.gaussian_draws(g, n_chains, gen, beta)[0]
            jump = self._gaussian_jump(energy, g, beta)
        else:
            starts = self.starts[gen.integers(len(self.starts), size=(n, n_chains))]
            jump = self._jump(precond, centers=self._jump_centers(gen))
        chain, *_ = _mala(self._target(energy, g, beta), starts.astype(float),
                          _INFER_STEPS, _INFER_STEPS - n_keep, 1, "auto", gen,
                          precond, jump=jump, jump_every=_JUMP_EVERY)
        return chain

    def _jump_centers(self, gen):
        """A random ``_JUMP_CENTERS`` of the stored training targets, around
        which chains jump."""
        k = min(len(self.starts), _JUMP_CENTERS)
        return self.starts[gen.choice(len(self.starts), k, replace=False)]

    def _gaussian_part(self, energy):
        return self.n_answers > _MAX_QUAD_DIM and hasattr(energy, "gaussian_draws")

    @staticmethod
    def _gaussian_jump(energy, g, beta):
        """Independence proposals that are draws of the energy's Gaussian
        part at ``g``, which its hidden units reweight into the Gibbs
        distribution: jumps between modes in many dimensions."""
        def jump(theta, gen, step):
            prop, log_q_prop = energy.gaussian_draws(g, theta.shape[1], gen, beta)
            return prop, log_q_prop, energy.gaussian_log_density(g, theta, beta)
        return jump

    def _jump(self, precond, centers=None):
        """Independence proposals from Gaussians ``N(c, h M)`` around the
        stored training targets ``c`` (or ``centers``, chosen whatever the
        chains' states), ``M`` the rows' preconditioner and ``h`` their
        Langevin step: chains move to the answers of other training samples,
        and the Hastings ratio weighs them by the Gibbs density of each row.
        The Langevin step, tuned to the acceptance rate, sets the kernels'
        width to the density's local scale: with ``M`` alone, the width of
        the energy's quadratic envelope, a jump rarely landed in a mode
        narrower than it."""
        C = self.starts if centers is None else centers
        M = np.broadcast_to(precond, (len(precond), 1, self.n_answers))[:, 0]
        C2 = (C * C).T

        def jump(theta, gen, step):
            var = M * step[:, None]                       # (n, d)
            inv = 1.0 / var
            c_term = inv @ C2                             # (n, N)
            norm = -0.5 * np.sum(np.log(2 * np.pi * var), axis=1) - np.log(len(C))

            def log_q(Y):
                quad = (np.einsum("ncd,nd->nc", Y * Y, inv)[..., None]
                        - 2 * (Y * inv[:, None, :]) @ C.T + c_term[:, None, :])
                # most kernels are far from a point: their terms are flushed
                return row_logsumexp(-0.5 * quad) + norm[:, None]

            pick = gen.integers(len(C), size=theta.shape[:2])
            prop = C[pick] + np.sqrt(var)[:, None, :] * gen.standard_normal(theta.shape)
            return prop, log_q(prop), log_q(theta)

        return jump
