"""The one registry of loss names, read by the estimators, their parameter
constraints, the command line, the compatibility table and the docs."""

from ._base import BaseLoss
from ._energy_perceptron import EnergyLoss, PerceptronLoss
from ._margin import (
    HingeLoss,
    LogLoss,
    LVQ2Loss,
    MCELoss,
    SquareExpLoss,
    SquareSquareLoss,
)
from ._nll import NLLLoss

LOSSES = {
    cls.name: cls
    for cls in (
        EnergyLoss,
        PerceptronLoss,
        HingeLoss,
        LogLoss,
        LVQ2Loss,
        MCELoss,
        SquareSquareLoss,
        SquareExpLoss,
        NLLLoss,
    )
}


def register_loss(cls):
    """Make a loss class usable by its ``name`` in every estimator.

    Returns the class, so that it can decorate the class definition.

    Examples
    --------
    >>> from skebm.losses import LOSSES, HingeLoss, register_loss
    >>> @register_loss
    ... class WideHinge(HingeLoss):
    ...     name = "wide_hinge"
    >>> "wide_hinge" in LOSSES
    True
    >>> del LOSSES["wide_hinge"]
    """
    if not (isinstance(cls, type) and issubclass(cls, BaseLoss)):
        raise TypeError(f"register_loss takes a BaseLoss subclass, got {cls!r}.")
    if not isinstance(cls.name, str) or not cls.name:
        raise ValueError(f"{cls.__name__}.name must be a non-empty string.")
    LOSSES[cls.name] = cls
    return cls


def get_loss(loss, **constants):
    """The loss instance for a name, or the instance itself.

    A name builds its class with those of the estimator's ``constants``
    (``margin``, ``beta``) that the class declares in its ``constants`` and
    that are not None; the class's defaults fill the rest. An instance keeps
    its own constants.

    Examples
    --------
    >>> from skebm.losses import get_loss
    >>> get_loss("hinge", margin=2.0, beta=3.0)
    HingeLoss(margin=2.0)
    >>> get_loss("lvq2")
    LVQ2Loss(delta=1.0, margin=0.0)
    """
    if isinstance(loss, BaseLoss):
        return loss
    if isinstance(loss, str) and loss in LOSSES:
        cls = LOSSES[loss]
        return cls(**{k: v for k, v in constants.items()
                      if k in cls.constants and v is not None})
    raise ValueError(
        f"Unknown loss {loss!r}. Use one of {sorted(LOSSES)} or an instance of "
        "a skebm.losses loss class."
    )
