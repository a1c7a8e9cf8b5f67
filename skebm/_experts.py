"""``alpha="auto"``'s product of experts: the fits of its two best
penalties joined into one energy where the held-out rows prefer that."""

import copy
import warnings

import numpy as np

from .energies._network import product_of_experts


def second_expert(scores, models, trial_fits, score):
    """The trial to join to the best as a second expert, or None.

    The energy ``(beta_1 E_1 + beta_2 E_2) / 2`` of the trials of the two
    best penalties (each at its held-out temperature ``beta_k``) is the
    geometric mean of their densities; its own temperature is fitted to the
    rows they hold out, as a trial's is. It is kept only where it scores
    those rows better than the best trial alone. The refit then fits both
    penalties (:func:`refit_quietly`), and a trial kept without a refit is
    joined to the other trial itself (:func:`join`).

    Parameters
    ----------
    scores, models : sequence
        Each trial's held-out score and model (carrying ``beta_``).
    trial_fits : sequence of list
        Each trial's ``(model, held_out)`` fits, one per fold.
    score : callable
        ``score(fits) -> (score, model)``, which scores the trials.

    Returns
    -------
    second : int or None
        The index of the second expert's trial.
    weights : tuple of float
        The experts' weights, best first.
    model : estimator
        The product's first fold, carrying its fitted ``beta_``.
    """
    finite = np.asarray(scores, dtype=float)
    finite = np.where(np.isnan(finite), -np.inf, finite)
    if len(finite) < 2 or not models[0]._loss.partition:
        return None
    best, second = np.argsort(-finite, kind="stable")[:2]
    betas = models[best].beta_, models[second].beta_
    if not (np.isfinite(finite[second]) and np.all(np.isfinite(betas))
            and min(betas) > 0):
        return None
    weights = (0.5 * betas[0], 0.5 * betas[1])
    fits = []
    for (one, held_out), (other, _) in zip(trial_fits[best], trial_fits[second]):
        product = product_of_experts([one.energy_, other.energy_], weights)
        if product is None:
            return None
        joined = copy.copy(one)
        joined.energy_, joined.beta_ = product, 1.0
        fits.append((joined, held_out))
    joined_score, joined = score(fits)
    if not joined_score > finite[best]:
        return None
    return int(second), weights, joined


def join(model, other, expert):
    """Make fitted ``model``'s energy the product of its own and that of
    ``other``, the second expert, with the weights of ``expert`` (of
    :func:`second_expert`). Returns the product's trial, whose ``beta_``
    it takes, or None where the two energies do not join."""
    _, weights, joined = expert
    product = product_of_experts([model.energy_, other.energy_], weights)
    if product is None:
        return None
    model.energy_ = product
    return joined


def refit_quietly(refit, candidate, trial, said):
    """``refit(candidate, trial)``, the second expert's refit, raising only
    the warnings that the first refit's (``said``) did not, each naming the
    second expert: its ``max_iter`` reached, read beside the first's
    ``n_iter_``, said nothing of where it came from."""
    with warnings.catch_warnings(record=True) as record:
        model = refit(candidate, trial)
    said = set(map(str, said))
    for w in record:
        if str(w.message) not in said:
            said.add(str(w.message))
            warnings.warn(
                f"The second of the two fits that alpha=\"auto\" joins, refitted "
                f"at alpha={candidate:g} (user guide, \"The variance of one "
                f"fit: two experts\"): {w.message}", w.category, stacklevel=3)
    return model
