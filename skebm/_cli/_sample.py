"""``skebm sample``: the Metropolis-Hastings example of the tutorial slides."""

import sys

import numpy as np


def sample(n_steps=50000, n_chains=1, step_size=0.5, burn_in=0.25,
           random_state=0, out=None):
    """The posterior of sigma of N(10, 3) data, with the mean fixed at the
    sample mean and a flat prior on sigma > 0; prints the estimate.

    Parameters
    ----------
    n_steps, n_chains, step_size, burn_in, random_state
        As in :class:`~skebm.MHSampler`.
    out : file-like, default=sys.stdout

    Returns
    -------
    sampler : MHSampler
        Fitted.
    """
    from .. import MHSampler

    out = sys.stdout if out is None else out
    rng = np.random.default_rng(random_state)
    observed = rng.choice(rng.normal(10.0, 3.0, 30000), 1000, replace=False)
    s = float(np.sum((observed - observed.mean()) ** 2))
    n = observed.size

    def log_posterior(theta):
        # vectorized over chains: theta has shape (n_chains, 1)
        sigma = theta[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            value = -n * np.log(sigma) - s / (2 * sigma**2)
        return np.where(sigma > 0, value, -np.inf)

    mh = MHSampler(log_prob=log_posterior, vectorized=True, init=0.1,
                   n_chains=n_chains, n_steps=n_steps, step_size=step_size,
                   burn_in=burn_in, random_state=random_state).fit()
    mcse = mh.std_[0] / np.sqrt(mh.ess_[0])
    # one step per chain; tuned chains agree closely, so show their range
    steps = np.unique(np.round(mh.step_size_, 4))
    step = f"{steps[0]:g}" if len(steps) == 1 else f"{steps[0]:g}-{steps[-1]:g}"
    lines = [
        f"posterior of sigma: {n_chains} chain(s) x {n_steps} steps, "
        f"burn-in {burn_in}, step size {step}",
        f"accepted proposals:   {int(np.sum(mh.n_accepted_))}",
        f"acceptance rate:      {np.mean(mh.acceptance_rate_):.3f}",
        f"estimate of sigma:    {mh.mean_[0]:.4f} ± {mcse:.4f}"
        " (Monte Carlo standard error)",
        f"posterior std:        {mh.std_[0]:.4f}",
        f"effective samples:    {mh.ess_[0]:.0f}",
        f"autocorrelation time: {mh.autocorr_time_[0]:.1f}",
    ]
    if n_chains > 1:
        lines.append(f"R-hat (rank, folded): {mh.r_hat_[0]:.4f}")
    print("\n".join(lines), file=out)
    return mh
