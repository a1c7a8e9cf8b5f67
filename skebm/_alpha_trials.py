"""The trial fits of ``alpha="auto"`` and the refit of the best: in turn,
side by side in threads, or along a regularization path."""

import functools
import threading
import warnings
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import numpy as np
from threadpoolctl import threadpool_limits


def _along_path(trial, candidates, n_threads):
    """The trials of ``candidates`` kept without a refit, as a
    regularization path: the middle penalty's from scratch, then the others
    from the parameters of its best iterate (``trial(candidate, start)``;
    a loss that averages its iterates starts a new average), side by side in up
    to ``n_threads`` threads. They stop once they no longer improve on the
    held-out rows, which takes them a fraction of a fit, and they go on
    where the middle one stopped at ``max_iter`` still improving. A middle
    trial that kept no best iterate (a fit that trains to a schedule) or
    scored NaN is no start: the others start from scratch. Returns the
    ``(score, model)`` of every candidate, in order."""
    middle = len(candidates) // 2
    (score, model), = _Trials(trial, None, candidates[middle:middle + 1]).in_turn()
    kept_best = getattr(model, "_best_n_iter", None) is not None
    start = model if kept_best and np.isfinite(score) else None
    others = candidates[:middle] + candidates[middle + 1:]
    runner = _Trials(functools.partial(trial, start=start), None, others)
    results = runner.in_threads(n_threads)[0] if n_threads > 1 else runner.in_turn()
    results.insert(middle, (score, model))
    return results


def _best(scores):
    """Index of the highest of ``scores`` (NaN the lowest; the first of ties)."""
    return int(np.nanargmax(np.nan_to_num(scores, nan=-np.inf)))


def _report_trials(candidates, scores, best):
    """``verbose``: a line for each trial of ``alpha="auto"`` once all have
    ended (they run side by side, quietly)."""
    for i, (alpha, score) in enumerate(zip(candidates, scores)):
        chosen = ", chosen" if i == best else ""
        print(f"Trial alpha={alpha:g}: held-out log-likelihood {score:.6f} a "
              f"sample{chosen}")


# warnings of a refit running in a worker thread, kept for the caller
_refit_log = threading.local()


def _keep_refit_warning(message, category, filename, lineno, file=None, line=None):
    log = getattr(_refit_log, "messages", None)
    if log is not None:
        log.append(message)


class _Trials:
    """The trial fits of ``alpha="auto"``, and the refit of the best.

    ``trial(candidate)`` returns ``(score, model)``; ``refit(candidate,
    model)`` the final fit of a candidate given its trial's model, or None
    when the caller refits (or keeps the trial) itself."""

    def __init__(self, trial, refit, candidates):
        self.trial = trial
        self.refit = refit
        self.candidates = candidates

    def in_turn(self):
        """The trials one after the other; their warnings are internal (the
        final fit reports its own)."""
        with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
            warnings.simplefilter("ignore")
            return [self.trial(candidate) for candidate in self.candidates]

    def in_threads(self, n_threads):
        """The trials in ``n_threads`` threads, and the refit too: a thread
        left without a trial starts the refit of the best finished trial, on
        the chance that it stays the best (the refit's result depends only on
        its penalty and its trial's count of iterations, so a refit started
        early is the one a late start would make). Returns the trials'
        ``(score, model)``, the refitted model (None without ``refit``) and
        the refit's warnings, to be raised in the calling thread: filters and
        BLAS limits are process-wide, and the trials' warnings are internal.
        """
        results, refits = {}, {}

        def submit_refit(pool, index):
            if self.refit is not None and index not in refits:
                refits[index] = pool.submit(self._logged_refit, index,
                                            results[index][1])

        with (warnings.catch_warnings(), threadpool_limits(1, user_api="blas"),
              ThreadPoolExecutor(n_threads) as pool):
            warnings.simplefilter("always")
            warnings.showwarning = _keep_refit_warning
            trials = {pool.submit(self.trial, c): i
                      for i, c in enumerate(self.candidates)}
            try:
                pending = set(trials)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in sorted(done, key=trials.get):
                        results[trials[future]] = future.result()
                    busy = len(pending) + sum(not f.done() for f in refits.values())
                    if busy < n_threads:
                        finished = sorted(results)
                        submit_refit(pool, finished[_best(
                            [results[i][0] for i in finished])])
                best = _best([results[i][0] for i in range(len(self.candidates))])
                submit_refit(pool, best)
                refitted, caught = (refits[best].result() if self.refit is not None
                                    else (None, []))
            except BaseException as exc:
                # an error or an interrupt: start no queued fit; of failed
                # trials, the first in order reports, whichever ended first
                pool.shutdown(cancel_futures=True)
                if isinstance(exc, Exception):
                    for future in trials:
                        if (future.done() and not future.cancelled()
                                and future.exception() is not None):
                            if future.exception() is exc:
                                raise
                            raise future.exception()
                raise
        return [results[i] for i in range(len(self.candidates))], refitted, caught

    def _logged_refit(self, index, trial_model):
        _refit_log.messages = []
        try:
            model = self.refit(self.candidates[index], trial_model)
            return model, _refit_log.messages
        finally:
            del _refit_log.messages
