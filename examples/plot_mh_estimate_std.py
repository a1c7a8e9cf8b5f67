"""
Estimating a standard deviation with Metropolis-Hastings
========================================================

The Metropolis-Hastings example of the tutorial's slides, run with
:class:`skebm.MHSampler`. 30000 points are drawn from N(10, 3) and 1000 of
them are observed. The mean is fixed at the sample mean and sigma gets a flat
prior on sigma > 0, so the posterior is ::

    p(sigma | x) ∝ sigma^(-n) exp(-S / (2 sigma^2)),   S = sum_i (x_i - mean)^2.

A random walk N(sigma, 0.5) started at sigma = 0.1 runs 50000 iterations and
the first 25% are dropped. The slides report about 8500 accepted proposals.
Because the posterior is one-dimensional, its exact mean is a quadrature away,
and the Monte Carlo estimate should agree with it within a few Monte Carlo
standard errors (posterior std / sqrt(effective sample size)). The figure
shows the kept chain and its histogram against the exact posterior.

The estimate averages the *whole* kept chain, in which a rejected proposal
repeats the current state. The slides' shortcut, averaging the accepted
proposals only, is biased: a state should count once per iteration the chain
stays there, and the chain stays longer where proposals are rejected more
often (near the mode, where any move goes downhill). Counting every accepted
state once gives the states in the tails, which are left quickly, too much
weight; the distribution of accepted states is the posterior times the
acceptance probability, not the posterior. Both numbers are printed below.

Run ``python examples/plot_mh_estimate_std.py --save figure.png`` to write the figure.
"""

import argparse
import functools
from typing import Callable, NamedTuple

import numpy as np
from scipy import integrate
from scipy.special import gammaln

from skebm.sampling import MHSampler


def gaussian_log_likelihood(theta, X, mu):
    """log N(x_i | mu, sigma) for each row of X, with theta = [sigma]."""
    sigma = theta[0]
    z = (X[:, 0] - mu) / sigma
    return -0.5 * z * z - np.log(sigma) - 0.5 * np.log(2 * np.pi)


def flat_positive_prior(theta):
    """Flat (improper) prior on sigma > 0."""
    return 0.0 if theta[0] > 0 else -np.inf


class SeedProblem(NamedTuple):
    observed: np.ndarray  # (1000, 1)
    mu: float
    log_likelihood: Callable
    log_prior: Callable
    exact_mean: float


def log_posterior(sigma, observed, mu):
    """Unnormalized log posterior of sigma > 0 (vectorized over sigma)."""
    s = np.sum((np.ravel(observed) - mu) ** 2)
    return -observed.shape[0] * np.log(sigma) - s / (2 * sigma**2)


def exact_posterior(observed, mu):
    """Normalizing constant and posterior mean of sigma by 1-D quadrature.

    Returns a function evaluating the normalized density, and the mean.
    """
    n = observed.shape[0]
    mode = np.sqrt(np.sum((np.ravel(observed) - mu) ** 2) / n)
    width = mode / np.sqrt(2 * n)  # Laplace approximation of the posterior std
    lo, hi = max(mode - 40 * width, mode / 10), mode + 40 * width
    peak = log_posterior(mode, observed, mu)

    def unnormalized(sigma):
        return np.exp(log_posterior(sigma, observed, mu) - peak)

    opts = dict(points=[mode], limit=200, epsabs=0, epsrel=1e-12)
    z = integrate.quad(unnormalized, lo, hi, **opts)[0]
    mean = integrate.quad(lambda s: s * unnormalized(s), lo, hi, **opts)[0] / z
    return (lambda sigma: unnormalized(sigma) / z), mean


def closed_form_mean(observed, mu):
    """sqrt(S/2) Gamma((n-2)/2) / Gamma((n-1)/2): a check of the quadrature."""
    n = observed.shape[0]
    s = np.sum((np.ravel(observed) - mu) ** 2)
    return np.sqrt(s / 2) * np.exp(gammaln((n - 2) / 2) - gammaln((n - 1) / 2))


def make_seed_problem(random_state=0):
    """Data, likelihood, prior and exact posterior mean of the seed example."""
    rng = np.random.default_rng(random_state)
    population = rng.normal(10.0, 3.0, size=30000)
    observed = rng.choice(population, size=1000, replace=False)[:, None]
    mu = float(observed.mean())
    return SeedProblem(
        observed=observed,
        mu=mu,
        log_likelihood=functools.partial(gaussian_log_likelihood, mu=mu),
        log_prior=flat_positive_prior,
        exact_mean=exact_posterior(observed, mu)[1],
    )


def seed_sampler(problem, random_state=0):
    """The slides' sampler: one chain, N(sigma, 0.5) proposals from 0.1."""
    return MHSampler(
        log_likelihood=problem.log_likelihood,
        log_prior=problem.log_prior,
        init=0.1,
        n_chains=1,
        n_steps=50000,
        step_size=0.5,
        burn_in=0.25,
        random_state=random_state,
    )


def main(save=None, random_state=0):
    problem = make_seed_problem(random_state)
    mh = seed_sampler(problem, random_state).fit(problem.observed)
    sigma = mh.chain_[:, 0, 0]
    mcse = mh.std_[0] / np.sqrt(mh.ess_[0])
    # The slides' shortcut: every distinct accepted state counted once.
    moved = np.r_[True, np.diff(sigma) != 0]

    print(f"accepted proposals:          {mh.n_accepted_.sum()} of {mh.n_steps}")
    print(f"kept chain:                  {mh.chain_.shape}")
    print(f"estimate of sigma:           {mh.mean_[0]:.4f}")
    print(f"exact posterior mean:        {problem.exact_mean:.4f}")
    print(f"Monte Carlo standard error:  {mcse:.4f} (ESS {mh.ess_[0]:.0f})")
    print(f"(estimate - exact) / MCSE:   {(mh.mean_[0] - problem.exact_mean) / mcse:+.2f}")
    print(f"accepted states only:        {sigma[moved].mean():.4f} (biased shortcut)")

    import matplotlib

    if save is not None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    density = exact_posterior(problem.observed, problem.mu)[0]
    fig, (ax_trace, ax_hist) = plt.subplots(1, 2, figsize=(11, 4))
    ax_trace.plot(np.arange(mh.n_steps - sigma.size, mh.n_steps), sigma, lw=0.5)
    ax_trace.set(xlabel="iteration", ylabel="sigma", title="Kept chain (trace)")
    ax_trace.axhline(problem.exact_mean, color="k", lw=1, label="exact mean")
    ax_trace.legend(loc="upper right")
    grid = np.linspace(sigma.min(), sigma.max(), 400)
    ax_hist.hist(sigma, bins=60, density=True, alpha=0.6, label="MH samples")
    ax_hist.plot(grid, density(grid), "k", lw=2, label="exact posterior")
    ax_hist.axvline(mh.mean_[0], color="C1", ls="--", label="MH estimate")
    ax_hist.set(xlabel="sigma", ylabel="density", title="Posterior of sigma")
    ax_hist.legend()
    fig.tight_layout()
    if save is not None:
        fig.savefig(save, dpi=120)
    elif matplotlib.get_backend().lower() != "agg":
        plt.show()
    return mh, problem


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The seed Metropolis-Hastings example.")
    parser.add_argument("--save", metavar="PATH", help="write the figure here")
    main(parser.parse_known_args()[0].save)
