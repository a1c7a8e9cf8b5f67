"""Which energies each loss sees, for every loss/energy pair: the table of the
user guide, generated from the code that decides it."""

from .energies import CLASSIFIER_ENERGIES, DistanceEnergy
from .losses import LOSSES, get_loss

_MAPS = {
    "score": "E = -g(x), any sign",
    "softplus": "E = softplus(-g(x)) > 0",
    "code": "E = 1/2 ||g(x) - e_k||^2 >= 0",
}


def _architectures():
    """(label, name, hidden_layer_sizes) of every registered classifier
    energy; the distance energy twice, with an MLP embedding and in input
    space."""
    for name, cls in CLASSIFIER_ENERGIES.items():
        yield name, name, (100,)
        if issubclass(cls, DistanceEnergy):
            yield f"{name}, hidden_layer_sizes=()", name, ()


def _outcome(energy):
    if isinstance(energy, DistanceEnergy):
        where = "MLP embedding" if energy.hidden_layer_sizes else "input space"
        return f"E = ||h(x) - p_k||^2 / D >= 0 ({where})"
    return _MAPS.get(getattr(energy, "output", None), "E as the architecture gives it")


def compatibility_table():
    """How EnergyClassifier pairs each loss with each energy.

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
    """
    rows = []
    for name in LOSSES:
        loss = get_loss(name)
        for label, energy, hidden in _architectures():
            try:
                arch = CLASSIFIER_ENERGIES[energy].build(loss, hidden, "relu")
            except ValueError as exc:
                rows.append((name, label, f"refused: {exc}"))
                continue
            rows.append((name, label, _outcome(arch)))
    return rows
