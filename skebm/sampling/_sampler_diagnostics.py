"""The convergence diagnostics of a fitted sampler, computed when first read.

Rank normalization sorts every kept draw twice, which costs more than a fast
sampler's own work on a cheap target; so ``fit`` only samples (and warns,
from the classic split R-hat, one pass over the draws, where the chains
cannot stand for the target), and the diagnostics are computed from
``chain_`` on first access and cached with it.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from ._diagnostics import _MIN_STEPS, _diagnose, r_hat

# Gelman et al.'s classic bound on the split R-hat: above it the chains
# disagree grossly (Vehtari et al. ask for 1.01 of the stricter r_hat_)
_R_HAT_WARNING = 1.1


def warn_if_unconverged(chain):
    """Warn (ConvergenceWarning) where the kept draws of ``chain`` (n, m, d)
    cannot stand for the target: too few to diagnose, chains that did not
    move, or chains that disagree."""
    n_kept = chain.shape[0]
    if n_kept < _MIN_STEPS:
        warnings.warn(
            f"Only {n_kept} draw{'s' * (n_kept != 1)} per chain kept after "
            f"burn-in and thinning; r_hat_ and ess_ need {_MIN_STEPS} and are "
            "NaN. Run more steps (n_steps) or keep more of them (burn_in, thin).",
            ConvergenceWarning)
        return
    with np.errstate(invalid="ignore", divide="ignore"):
        split = r_hat(chain, method="split")
    # NaN: no half-chain varies, every kept draw of each chain is one point
    still = np.flatnonzero(np.isnan(split))
    if still.size:
        warnings.warn(
            f"The chains did not move in dimension(s) {still[:10].tolist()}: "
            "every kept draw of each chain is the same point, so mean_ is where "
            "they stood and std_ is 0. Set step_size to the target's scale, or "
            "check that the log density is finite around init.",
            ConvergenceWarning)
        return
    bad = np.flatnonzero(split > _R_HAT_WARNING)
    if bad.size:
        warnings.warn(
            f"The chains have not converged: split R-hat {np.max(split[bad]):.3f} "
            f"> {_R_HAT_WARNING} in dimension(s) {bad[:10].tolist()}, so mean_ and "
            "samples_ do not stand for the target yet. Run more steps (n_steps), "
            "start nearer its mass (init) or set step_size to its scale.",
            ConvergenceWarning)


class _ChainDiagnosticsMixin:
    """``r_hat_``, ``ess_``, ``ess_tail_`` and ``autocorr_time_`` of ``chain_``."""

    def _chain_diagnostics(self):
        check_is_fitted(self, "chain_")
        cached = self.__dict__.get("_diagnostics_cache")
        if cached is None or cached[0] is not self.chain_:
            r_hat, ess, ess_tail = _diagnose(self.chain_)
            n_kept, n_chains = self.chain_.shape[:2]
            with np.errstate(divide="ignore", invalid="ignore"):
                tau = n_kept * n_chains / ess
            values = {"r_hat": r_hat, "ess": ess, "ess_tail": ess_tail, "tau": tau}
            cached = (self.chain_, values)
            self._diagnostics_cache = cached
        return cached[1]

    @property
    def r_hat_(self):
        """Rank-normalized, folded split R-hat of each dimension (n_dim,).

        The larger of the rank-normalized split R-hat and the rank-normalized
        split R-hat of the draws folded about their median (Vehtari et al.
        2021), as :func:`skebm.sampling.r_hat`. Run longer while it exceeds
        1.01. With one chain, its two halves are compared.
        """
        return self._chain_diagnostics()["r_hat"]

    @property
    def ess_(self):
        """Bulk effective sample size of each dimension (n_dim,).

        The ESS of the rank-normalized split chains (Vehtari et al. 2021);
        the Monte Carlo standard error of ``mean_`` is about
        ``std_ / sqrt(ess_)``.
        """
        return self._chain_diagnostics()["ess"]

    @property
    def ess_tail_(self):
        """Tail effective sample size of each dimension (n_dim,).

        The smaller ESS of the indicators of the 5% and 95% quantiles: how
        well the chains pin down the tails, hence credible intervals.
        """
        return self._chain_diagnostics()["ess_tail"]

    @property
    def autocorr_time_(self):
        """Integrated autocorrelation time of each dimension (n_dim,).

        ``n_kept * n_chains / ess_``, in kept (thinned) iterations: how many
        kept iterations of one chain are worth one independent draw.
        """
        return self._chain_diagnostics()["tau"]
