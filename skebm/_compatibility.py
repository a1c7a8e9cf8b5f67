"""Which energies each loss sees, for every loss/energy pair: the table of the
user guide, generated from the code that decides it."""

from ._classifier import EnergyClassifier
from .losses import LOSSES, get_loss

_MAPS = {
    "score": "E = -g(x), any sign",
    "softplus": "E = softplus(-g(x)) > 0",
    "code": "E = 1/2 ||g(x) - e_k||^2 >= 0",
}


_ARCHITECTURES = [
    ("linear", "linear", (100,)),
    ("mlp", "mlp", (100,)),
    ("distance", "distance", (100,)),
    ("distance, hidden_layer_sizes=()", "distance", ()),
]


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
        for label, energy, hidden in _ARCHITECTURES:
            clf = EnergyClassifier(loss=name, energy=energy,
                                   hidden_layer_sizes=hidden)
            try:
                arch = clf._make_energy(loss)
            except ValueError as exc:
                rows.append((name, label, f"refused: {exc}"))
                continue
            if energy == "distance":
                where = "MLP embedding" if hidden else "input space"
                outcome = f"E = ||h(x) - p_k||^2 / D >= 0 ({where})"
            else:
                outcome = _MAPS[arch.output]
            rows.append((name, label, outcome))
    return rows
