"""The checks of a training run against held-out rows: every
``check_every`` iterations (epochs), the score of the current parameters;
the best parameters kept, and when to stop; and the split of the rows
that early stopping holds out."""

import numpy as np
from sklearn.model_selection import train_test_split

# no improvement over this many checks stops a run by default (one check
# wobbles); a run that reaches max_iter with its best check among the last
# this many was still improving
MIN_CHECKS = 3


class Checks:
    """The validation scores of a run (L-BFGS or stochastic), its best
    parameters, and the rule that stops it.

    Parameters
    ----------
    settings : Settings
        ``check_every``, ``n_iter_no_change``, ``min_checks``, ``tol`` and
        ``verbose``: no improvement for ``n_iter_no_change`` iterations, and
        at least ``min_checks`` checks, stops a run.
    validation : callable
        ``validation() -> score`` of the current parameters, higher better.
    """

    def __init__(self, settings, validation):
        self.settings, self.validation = settings, validation
        self.scores, self.best_score, self.best_index = [], -np.inf, 0
        self.iterations = []
        self.best_params, self.best_n_iter = None, 0
        self.patience = max(settings.min_checks,
                            -(-settings.n_iter_no_change // settings.check_every))

    def check(self, params, n_iter):
        """Score ``params`` after ``n_iter`` iterations; whether to stop."""
        score = self.validation()
        self.scores.append(score)
        self.iterations.append(n_iter)
        if self.settings.verbose:
            print(f"Validation score: {score:.6f}")
        if np.isnan(score):
            # an overflowed check ranks last, not first
            score = -np.inf
        if score > self.best_score + self.settings.tol or self.best_params is None:
            self.best_score, self.best_n_iter = score, n_iter
            self.best_index, self.best_params = len(self.scores), params.copy()
        return len(self.scores) - self.best_index >= self.patience

    def still_improving(self):
        """Whether the best score is among the last ``MIN_CHECKS`` checks."""
        return len(self.scores) - self.best_index < MIN_CHECKS

    def finish(self, params, n_iter, state):
        """Score the last iterate if it was not checked, put the best one in
        ``params``, and record the scores and its iteration count
        (``_best_n_iter``) in ``state``, with the count at each check
        (``_check_iterations``)."""
        if n_iter % self.settings.check_every or not self.scores:
            self.check(params, n_iter)
        params[...] = self.best_params
        state["validation_scores_"] = self.scores
        state["best_validation_score_"] = self.best_score
        state["_best_n_iter"] = self.best_n_iter
        state["_check_iterations"] = self.iterations


def early_stopping_split(X, y, sample_weight, fraction, random_state, stratify,
                         min_rows=1):
    """``train_test_split`` of the rows for early stopping, refused with a
    clear error when the training part has no weight or the held-out part
    fewer than ``min_rows`` rows of positive weight to score: ``(X, X_val,
    y, y_val, sample_weight, sw_val)``."""
    try:
        parts = train_test_split(X, y, sample_weight, test_size=fraction,
                                 random_state=random_state, stratify=stratify)
    except ValueError as exc:
        if stratify is None:
            raise
        # a stratified split needs every class in both parts
        raise ValueError(
            f"early_stopping cannot hold out validation_fraction={fraction} of "
            f"the {X.shape[0]} samples with every class on both sides ({exc}). "
            "Change validation_fraction, give more samples, or set "
            "early_stopping=False.") from exc
    if not parts[4].sum() > 0:
        raise ValueError("sample_weight sums to zero over the training part "
                         "left by the early-stopping split.")
    n_scored = int(np.count_nonzero(parts[5] > 0))
    if n_scored < min_rows:
        raise ValueError(
            f"early_stopping holds out validation_fraction={fraction} of the "
            f"{X.shape[0]} samples, which leaves {n_scored} row(s) of positive "
            f"weight to score, fewer than {min_rows}. Raise validation_fraction, "
            "give more samples or weight, try another random_state, or set "
            "early_stopping=False.")
    return parts
