"""The registries of energy names, one per estimator, read by the estimators,
their parameter constraints, the command line and the compatibility table."""

from collections.abc import Set

from ._distance import DistanceEnergy
from ._joint import JointEnergy
from ._quadratic import LinearQuadraticEnergy, QuadraticEnergy
from ._score import LinearEnergy, MLPEnergy

#: ``EnergyClassifier(energy=name)``: architectures giving one energy per class
CLASSIFIER_ENERGIES = {
    "linear": LinearEnergy,
    "mlp": MLPEnergy,
    "distance": DistanceEnergy,
}

#: ``EnergyRegressor(energy=name)``: architectures scoring real answers, each
#: with the ``answer_space`` class its inference runs on
REGRESSOR_ENERGIES = {
    "linear": LinearQuadraticEnergy,
    "mlp": QuadraticEnergy,
    "joint": JointEnergy,
}

_REGISTRIES = {"classifier": CLASSIFIER_ENERGIES, "regressor": REGRESSOR_ENERGIES}


class NamesWithAuto(Set):
    """``"auto"`` and the names of ``registry``, read when a parameter is
    checked (a name registered later is accepted)."""

    def __init__(self, registry):
        self.registry = registry

    def __contains__(self, name):
        return name == "auto" or name in self.registry

    def __iter__(self):
        return iter(["auto", *self.registry])

    def __len__(self):
        return 1 + len(self.registry)

    @classmethod
    def _from_iterable(cls, names):
        # set operations (scikit-learn's check of deprecated options) give
        # a plain set
        return set(names)


def register_energy(name, estimator):
    """Make an architecture usable as ``energy=name`` in an estimator.

    Parameters
    ----------
    name : str
    estimator : {"classifier", "regressor"}

    Returns
    -------
    decorator : callable
        Registers the class it decorates and returns it. The class provides
        ``build(loss, hidden_layer_sizes, activation, answers)``; a regressor
        energy also names its ``answer_space``.

    Examples
    --------
    >>> from skebm.energies import (CLASSIFIER_ENERGIES, LinearEnergy,
    ...                             register_energy)
    >>> @register_energy("my_linear", "classifier")
    ... class MyLinear(LinearEnergy):
    ...     pass
    >>> CLASSIFIER_ENERGIES["my_linear"] is MyLinear
    True
    >>> del CLASSIFIER_ENERGIES["my_linear"]
    """
    if estimator not in _REGISTRIES:
        raise ValueError(f"estimator must be 'classifier' or 'regressor', got "
                         f"{estimator!r}.")
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}.")
    if name == "auto":
        raise ValueError("'auto' is reserved: energy='auto' lets each loss "
                         "choose the architecture.")

    def decorator(cls):
        if not hasattr(cls, "build"):
            raise TypeError(f"{cls!r} has no build classmethod.")
        _REGISTRIES[estimator][name] = cls
        return cls

    return decorator
