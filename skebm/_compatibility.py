"""Which energies each loss sees, for every loss/energy pair of either
estimator: the tables of the user guide, generated from the code that
decides them."""

import numpy as np

from .energies import (CLASSIFIER_ENERGIES, REGRESSOR_ENERGIES, DistanceEnergy,
                       JointEnergy)
from .energies._quadratic import QuadraticEnergy
from .inference import IntervalSpace
from .losses import LOSSES, get_loss

_MAPS = {
    "score": "E = -g(x), any sign",
    "softplus": "E = softplus(-g(x)) > 0",
    "code": "E = 1/2 ||g(x) - e_k||^2 >= 0",
}
_JOINT_MAPS = {
    "score": "E = G(x) . psi(y), any sign",
    "softplus": "E = softplus(G(x) . psi(y)) > 0",
    "square": "E = (G(x) . psi(y))^2 / 2 >= 0",
}


def _architectures(registry):
    """(label, name, hidden_layer_sizes) of every energy of ``registry``;
    the classifier's distance energy twice, with an MLP embedding and in
    input space."""
    for name, cls in registry.items():
        yield name, name, (100,)
        if issubclass(cls, DistanceEnergy):
            yield f"{name}, hidden_layer_sizes=()", name, ()


def _outcome(energy):
    if isinstance(energy, DistanceEnergy):
        where = "MLP embedding" if energy.hidden_layer_sizes else "input space"
        return f"E = ||h(x) - p_k||^2 / D >= 0 ({where})"
    if isinstance(energy, QuadraticEnergy):
        return "E = ||y - G(x)||^2 / 2 >= 0"
    maps = _JOINT_MAPS if isinstance(energy, JointEnergy) else _MAPS
    return maps.get(getattr(energy, "output", None), "E as the architecture gives it")


def compatibility_table(estimator="classifier"):
    """How an estimator pairs each loss with each energy.

    Parameters
    ----------
    estimator : {"classifier", "regressor"}, default="classifier"
        The table of :class:`~skebm.EnergyClassifier` (one column of
        classes) or of :class:`~skebm.EnergyRegressor` (one target column).

    Returns
    -------
    rows : list of tuple (loss, energy, outcome)
        ``energy`` names the architecture (the distance energy twice: with an
        MLP embedding and in input space); ``outcome`` is the energy the loss
        is trained on, or ``"refused: "`` followed by the reason ``fit``
        gives.

    Examples
    --------
    >>> from skebm import compatibility_table
    >>> dict(((l, e), o) for l, e, o in compatibility_table())["hinge", "linear"]
    'E = -g(x), any sign'
    >>> dict(((l, e), o) for l, e, o in compatibility_table("regressor"))[
    ...     "hinge", "joint"]
    'E = G(x) . psi(y), any sign'
    """
    if estimator not in ("classifier", "regressor"):
        raise ValueError(
            f"estimator must be 'classifier' or 'regressor', got {estimator!r}.")
    registry = CLASSIFIER_ENERGIES if estimator == "classifier" else REGRESSOR_ENERGIES
    # a standardized target's answer space, for the joint energy's support
    z = np.linspace(-2.0, 2.0, 41)[:, None]
    answers = IntervalSpace.from_targets(z, np.ones(len(z)))
    rows = []
    for name in LOSSES:
        loss = get_loss(name)
        for label, energy, hidden in _architectures(registry):
            try:
                arch = registry[energy].build(loss, hidden, "relu", answers)
            except ValueError as exc:
                rows.append((name, label, f"refused: {exc}"))
                continue
            rows.append((name, label, _outcome(arch)))
    return rows
