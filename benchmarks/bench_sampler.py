"""MHSampler against emcee and the slides' plain Python loop, on the seed example.

The target is the posterior of sigma in the seed example (1000 observations
of N(10, 3), mean fixed at the sample mean, flat prior on sigma > 0), as a
vectorized log density that evaluates every observation for every chain:
32 chains x 1000 observations per call. All samplers run 50000 iterations
and drop the first 25%; effective sample sizes come from the same estimator
for every method (the rank-normalized bulk ESS of Vehtari et al. 2021, which
``MHSampler.ess_`` reports and ArviZ computes), and per-second figures divide
by the whole wall time, burn-in included. ``MHSampler`` computes its
diagnostics when they are first read, so its wall time is the sampling alone,
as emcee's is.

Compared:

* the log density alone, called as many times as the sampler calls it: the
  floor for any sampler;
* MHSampler, ``move="gaussian"`` with the slides' step 0.5 and with
  ``step_size="auto"``, in one process and with ``n_jobs=2`` (its chains in
  two joblib workers; worth it only where the log density is costly);
* ``emcee.EnsembleSampler`` with ``emcee.moves.GaussianMove`` at step 0.5
  (the same Metropolis kernel), vectorized and seeded;
* the slides' plain Python loop (one chain, one scalar log density per step),
  and MHSampler on that same scalar log density.

Run: ``python benchmarks/bench_sampler.py [--steps 50000] [--repeat 3]``.
Each timing is the best of ``--repeat`` runs (so joblib's worker start-up is
not counted). Nothing is asserted: the ratios against the targets are
printed. The 1.0 floors say that MHSampler is never slower than the plain
loop it replaces, nor than emcee running the same kernel.
"""

import argparse
import importlib.util
import pathlib
import time

import emcee
import numpy as np

from skebm.sampling import MHSampler, effective_sample_size

HERE = pathlib.Path(__file__).resolve().parent
N_CHAINS, STEP, BURN = 32, 0.5, 0.25


def load_seed_example():
    path = HERE.parent / "examples" / "plot_mh_estimate_std.py"
    spec = importlib.util.spec_from_file_location("plot_mh_estimate_std", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_log_densities(observed, mu):
    centered = np.ravel(observed) - mu
    n = centered.size
    const = -0.5 * n * np.log(2 * np.pi)

    def vectorized(theta):
        """(n_chains, 1) -> (n_chains,): sum over the 1000 observations."""
        sigma = theta[:, 0]
        positive = sigma > 0
        if not positive.all():
            out = np.full(sigma.shape, -np.inf)
            out[positive] = vectorized(theta[positive])
            return out
        z = centered / sigma[:, None]
        return const - n * np.log(sigma) - 0.5 * np.einsum("ij,ij->i", z, z)

    def scalar(theta):
        sigma = theta[0]
        if sigma <= 0:
            return -np.inf
        z = centered / sigma
        return const - n * np.log(sigma) - 0.5 * np.dot(z, z)

    return vectorized, scalar


def best_of(repeat, run):
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        elapsed = time.perf_counter() - start
        if best is None or elapsed < best[0]:
            best = (elapsed, result)
    return best


def ess(chain):
    """Total effective sample size of a (n_kept, n_chains, 1) chain."""
    return float(effective_sample_size(chain)[0])


def slides_loop(log_density, n_steps, seed):
    """The slides' Metropolis-Hastings: one chain, one proposal per iteration."""
    rng = np.random.default_rng(seed)
    sigma, lp, accepted = 0.1, log_density([0.1]), 0
    chain = np.empty(n_steps)
    for t in range(n_steps):
        proposal = rng.normal(sigma, STEP)
        lp_proposal = log_density([proposal])
        if np.log(rng.uniform()) < lp_proposal - lp:
            sigma, lp, accepted = proposal, lp_proposal, accepted + 1
        chain[t] = sigma
    return chain[int(BURN * n_steps) :, None, None], accepted


def main(n_steps=50000, repeat=3, seed=0):
    example = load_seed_example()
    problem = example.make_seed_problem(seed)
    vectorized, scalar = make_log_densities(problem.observed, problem.mu)
    jitter = np.random.default_rng(seed).standard_normal((N_CHAINS, 1))
    init = 0.1 + 0.01 * np.abs(jitter)
    n_kept = n_steps - int(BURN * n_steps)
    rows = []

    def add(name, chains, elapsed, chain, n_accepted):
        e = ess(chain)
        rate = n_accepted / (n_steps * chains)
        rows.append((name, chains, elapsed, rate, e, e / elapsed))

    # The floor: MHSampler evaluates the initial states and n_steps proposals.
    theta = np.full((N_CHAINS, 1), 3.0)
    alone, _ = best_of(repeat, lambda: [vectorized(theta) for _ in range(n_steps + 1)])
    rows.append(("log density alone (n_steps + 1 calls)", N_CHAINS, alone,
                 np.nan, np.nan, np.nan))

    fitted = {}
    for label, step, n_jobs in [("fixed", STEP, None), ("auto", "auto", None),
                                ("auto, n_jobs=2", "auto", 2)]:
        mh = MHSampler(vectorized, vectorized=True, init=init, n_chains=N_CHAINS,
                       n_steps=n_steps, step_size=step, burn_in=BURN, n_jobs=n_jobs,
                       random_state=seed)
        elapsed, mh = best_of(repeat, mh.fit)
        fitted[label] = (elapsed, mh)
        steps = mh.step_size_
        shown = f"{steps[0]:.3g}" if np.ptp(steps) == 0 else \
            f"{steps.min():.3g}-{steps.max():.3g}"
        name = f"MHSampler gaussian, step={shown}" + \
            (f" ({label})" if label != "fixed" else "")
        add(name, N_CHAINS, elapsed, mh.chain_, mh.n_accepted_.sum())

    def run_emcee():
        sampler = emcee.EnsembleSampler(
            N_CHAINS, 1, vectorized, moves=emcee.moves.GaussianMove(STEP**2),
            vectorize=True,
        )
        state = emcee.State(init, random_state=np.random.RandomState(seed).get_state())
        sampler.run_mcmc(state, n_steps)
        return sampler

    emcee_time, sampler = best_of(repeat, run_emcee)
    add(f"emcee GaussianMove, step={STEP}", N_CHAINS, emcee_time,
        sampler.get_chain()[n_steps - n_kept :], sampler.backend.accepted.sum())

    loop_time, (chain, accepted) = best_of(
        repeat, lambda: slides_loop(scalar, n_steps, seed))
    add(f"slides' Python loop, step={STEP}", 1, loop_time, chain, accepted)

    mh1 = example.seed_sampler(problem, seed).set_params(
        log_likelihood=None, log_prior=None, log_prob=scalar, n_steps=n_steps)
    one_time, mh1 = best_of(repeat, lambda: mh1.fit())
    add(f"MHSampler gaussian, step={STEP}, scalar density", 1, one_time, mh1.chain_,
        mh1.n_accepted_.sum())

    print(f"Seed example posterior of sigma: {n_steps} iterations, {BURN:.0%} burn-in, "
          f"best of {repeat}\n")
    header = (f"{'method':<52} {'chains':>6} {'wall s':>8} {'accept':>7} {'ESS':>9} "
              f"{'ESS/s':>9}")
    print(header)
    print("-" * len(header))
    for name, chains, elapsed, rate, e, eps in rows:
        print(f"{name:<52} {chains:>6} {elapsed:>8.3f} {rate:>7.3f} {e:>9.0f} "
              f"{eps:>9.0f}")

    fixed_time, fixed = fitted["fixed"]
    auto_time, auto = fitted["auto"]
    emcee_eps = ess(sampler.get_chain()[n_steps - n_kept :]) / emcee_time
    parallel_time, parallel = fitted["auto, n_jobs=2"]
    ratios = [
        ("MHSampler wall / log density alone", fixed_time / alone, "<=", 1.3),
        ("wall slides' loop / MHSampler, one chain, scalar density",
         loop_time / one_time, ">=", 1.0),
        ("ESS/s MHSampler / emcee GaussianMove (same step)",
         ess(fixed.chain_) / fixed_time / emcee_eps, ">=", 2.5),
        ("ESS/s MHSampler auto / emcee GaussianMove",
         ess(auto.chain_) / auto_time / emcee_eps, ">=", 4.0),
        ("wall MHSampler auto, n_jobs=1 / n_jobs=2 (same chains)",
         auto_time / parallel_time, None, None),
    ]
    assert np.array_equal(auto.chain_, parallel.chain_), "n_jobs changed the chains"
    print()
    for name, value, op, target in ratios:
        if op is None:
            print(f"{name:<56} {value:6.2f}  (no target: a cheap density gains little)")
            continue
        ok = value <= target if op == "<=" else value >= target
        verdict = "met" if ok else "MISSED"
        print(f"{name:<56} {value:6.2f}  (target {op} {target}: {verdict})")
    print(f"{'log density call, 32 chains x 1000 observations':<56} "
          f"{1e6 * alone / (n_steps + 1):6.1f} us")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Benchmark MHSampler on the seed example.")
    parser.add_argument("--steps", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.steps, args.repeat, args.seed)
