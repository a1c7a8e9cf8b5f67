"""What the training loop reads: the estimator's settings, and the solver
and batch size that ``"auto"`` stands for."""

from dataclasses import dataclass

from ._checks import MIN_CHECKS

# for networks, above this many samples a full-batch iteration costs more than
# an Adam epoch gains; below it L-BFGS converges in fewer passes and needs no
# step size. Architectures marked full_batch (linear ones) are cheap enough
# for L-BFGS at any size.
_AUTO_LBFGS_MAX_SAMPLES = 10_000


@dataclass
class Settings:
    """The estimator parameters the training loop reads, and the names its
    messages give."""

    solver: str
    learning_rate_init: float
    momentum: float
    batch_size: object
    max_iter: int
    tol: float
    n_iter_no_change: int
    early_stopping: bool
    verbose: bool
    loss: str = ""
    energy: str = ""
    # False when max_iter is an iteration count chosen on held-out rows,
    # not a limit (alpha="auto"'s refit)
    warn_max_iter: bool = True
    # False: a training loss that stalls (no improvement by tol for
    # n_iter_no_change iterations) counts as converged, for the warning, but
    # does not stop the fit: alpha="auto"'s refit repeats its trial's count
    stop_when_stalled: bool = True
    # > 0: every so many iterations (epochs), score the validation rows and
    # keep the best iterate (alpha="auto"'s trial fits); 0: early_stopping's
    # rule, a score every epoch of a stochastic solver
    check_every: int = 0
    # with check_every: whether running to max_iter warns, as early
    # stopping's checks do (not the trials')
    checks_warn: bool = False
    # with check_every: the fewest checks without improvement that stop a run
    min_checks: int = MIN_CHECKS


def resolve_solver(solver, n_samples, incremental, loss, energy, sampler):
    """The solver that ``solver`` names, or the one ``"auto"`` picks.

    ``"auto"``: full-batch L-BFGS for full-batch architectures and up to
    10000 samples otherwise; Adam for larger networks, ``partial_fit``,
    a sampled (noisy) gradient, losses that only train
    stochastically, and saturating losses on energies whose most offending
    answer is searched over a continuum: there one full-batch step can move
    every target onto the loss's flat part, where L-BFGS stops."""
    if solver == "lbfgs" and sampler is not None:
        raise ValueError(
            "solver='lbfgs' cannot use a sampler: its line search needs an "
            "exact gradient, and the sampled contrastive term is noisy. Use "
            "solver='adam', 'sgd' or 'auto'.")
    if solver != "auto":
        return solver
    if incremental or loss.stochastic_only or sampler is not None:
        return "adam"
    if loss.saturates and energy.searched_answers:
        return "adam"
    if energy.full_batch or n_samples <= _AUTO_LBFGS_MAX_SAMPLES:
        return "lbfgs"
    return "adam"


def auto_batch_size(n_samples):
    """``batch_size="auto"``: 200 rows, as MLPClassifier, and above 40000
    samples a 200th of them.

    At a million rows, batches of 200 make an epoch of thousands of steps,
    each too small to keep BLAS busy: half its time is per-step overhead.
    Batches of n/200 halve an epoch's time, and their less noisy gradient
    ends closer to the optimum (measured in ``benchmarks/bench_scale.py``).
    """
    return min(n_samples, max(200, n_samples // 200))
