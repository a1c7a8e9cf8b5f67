"""The held-out scores of ``alpha="auto"``'s trial fits, pooled over the
folds of a cross-validation: one score, one temperature and one iteration
count for each penalty."""

import numpy as np
from scipy.optimize import minimize_scalar

# points of the coarse search for the pooled temperature under a floor
_POOLED_GRID = 21


def pooled_score(fits, fit_beta):
    """``(score, model)`` of a trial's fits, each a ``(model, scorer,
    weight)``: a scorer of ``_held_out_score`` and the weight of its
    held-out rows. The score is the mean log density of all the held-out
    rows at one temperature, the one maximizing it with ``fit_beta``, under
    the trained energy itself. The first model carries, as ``beta_``, the
    temperature so fitted to the density that predicts (under the floor of
    its space) and, for the refit, the count of iterations that scores best
    over all the folds (``_best_n_iter``, see :func:`pooled_n_iter`)."""
    models, scorers, weights = zip(*fits)
    model = models[0]
    weights = np.asarray(weights) / np.sum(weights)
    score, beta = _pooled(scorers, weights, fit_beta, floored=False)
    if fit_beta and getattr(model.answer_space_, "floor", 0):
        beta = _pooled(scorers, weights, fit_beta, floored=True)[1]
    if len(fits) > 1:
        model._best_n_iter = pooled_n_iter(models, weights)
    model.beta_ = beta
    return score, model


def _pooled(scorers, weights, fit_beta, floored):
    """``(score, beta)``: the mean log density of all the held-out rows of
    ``scorers`` (weighted by ``weights``, summing to one) at one
    temperature, the one maximizing it with ``fit_beta``."""
    results = [scorer(floored=floored) for scorer in scorers]
    score, beta = results[0]
    if len(scorers) == 1:
        return score, beta

    def pooled(b):
        return sum(w * scorer(at=b, floored=floored)[0]
                   for scorer, w in zip(scorers, weights))

    # a fold whose fit diverged has no temperature to offer
    betas = [b for _, b in results if np.isfinite(b) and b > 0]
    if fit_beta and betas and min(betas) < max(betas):
        # each fold's bare log-likelihood is concave in log beta (log Z is
        # convex): their sum's maximum lies between the folds'
        bounds = np.log([min(betas), max(betas)])
        if floored:
            # under a floor a fold's can peak twice: the sum's peak is first
            # sought on a coarse grid reaching a decade beyond the folds'
            grid = np.linspace(bounds[0] - np.log(10), bounds[1] + np.log(10),
                               _POOLED_GRID)
            best = int(np.argmax([pooled(np.exp(t)) for t in grid]))
            bounds = grid[max(best - 1, 0)], grid[min(best + 1, _POOLED_GRID - 1)]
        found = minimize_scalar(lambda t: -pooled(np.exp(t)), bounds=bounds,
                                method="bounded", options={"xatol": 1e-4})
        beta = float(np.exp(found.x))
    elif betas:
        beta = betas[0]
    return pooled(beta), beta


def pooled_n_iter(models, weights):
    """The iteration count of the check at which the folds' held-out scores
    (``validation_scores_``, a fold's last carried on once it stopped),
    weighted by ``weights``, sum highest: the first check that improves on
    the earlier ones by more than ``tol``, as one fit's checks count. None
    if a fold was not checked."""
    curves = [(getattr(m, "validation_scores_", None),
               getattr(m, "_check_iterations", None)) for m in models]
    if any(not scores for scores, _ in curves):
        return None
    n = max(len(scores) for scores, _ in curves)
    pooled = np.zeros(n)
    for (scores, _), w in zip(curves, weights):
        if w > 0:
            scores = np.nan_to_num(np.asarray(scores, dtype=float), nan=-np.inf)
            pooled += w * np.pad(scores, (0, n - len(scores)), mode="edge")
    best, index = -np.inf, 0
    for j, value in enumerate(pooled):
        if value > best + models[0].tol:
            best, index = value, j
    return max(iterations[min(index, len(iterations) - 1)]
               for _, iterations in curves)
