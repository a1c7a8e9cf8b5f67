"""Cross-validation of one configuration, run in a joblib worker: failures
become data, warnings are counted instead of shown."""

import time
import warnings
from collections import Counter

import numpy as np
from sklearn.base import clone

from ._errors import first_sentence


def _take(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def evaluate(index, pipeline, X, y, splits):
    """Fit and score ``pipeline`` on every split.

    Every warning raised inside is caught here, in the process that fits
    (a joblib worker has its own warning filters and its own stderr), and
    counted by category; an exception fails its fold only.

    Parameters
    ----------
    index : int
        Returned as is, to match results that arrive out of order.
    pipeline : estimator
        Unfitted; cloned for each fold.
    X, y : array-like
    splits : list of (train, test) index arrays

    Returns
    -------
    index : int
    result : dict
        ``scores`` and ``fit_times`` of the folds that succeeded,
        ``failures`` as ``(stage, exception type, first sentence)`` with stage
        ``"fit"`` or ``"score"``, and ``warnings`` as ``{category: count}``.
    """
    scores, fit_times, failures = [], [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for train, test in splits:
            model, stage = clone(pipeline), "fit"
            try:
                start = time.perf_counter()
                model.fit(_take(X, train), y[train])
                fit_time = time.perf_counter() - start
                stage = "score"
                score = float(model.score(_take(X, test), y[test]))
                if not np.isfinite(score):
                    raise ValueError(f"The score is {score}.")
            except Exception as exc:  # a failed fold is a result, not a crash
                failures.append((stage, type(exc).__name__, first_sentence(exc)))
                continue
            scores.append(score)
            fit_times.append(fit_time)
    counts = Counter(w.category.__name__ for w in caught)
    return index, dict(scores=scores, fit_times=fit_times, failures=failures,
                       warnings=dict(counts))


def outcome(result, n_folds):
    """The leaderboard's reading of one result.

    Returns
    -------
    status : {"ok", "failed", "refused"}
        ``"refused"`` when ``fit`` raised the same ``ValueError`` on every
        fold (the estimator does not accept the configuration), ``"failed"``
        when every fold failed otherwise, else ``"ok"``.
    reason : str
        Why, for a refused or failed configuration, or how many folds
        failed; empty when all went well.
    """
    failures = result["failures"]
    if not failures:
        return "ok", ""
    stage, kind, reason = failures[0]
    if len(failures) < n_folds:
        return "ok", f"{len(failures)}/{n_folds} folds failed: {reason}"
    if len(set(failures)) == 1 and (stage, kind) == ("fit", "ValueError"):
        return "refused", reason
    return "failed", reason
