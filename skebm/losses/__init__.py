"""Losses of energy-based learning, as functions of an energy matrix only.

Every loss of LeCun et al. (2006), "A Tutorial on Energy-Based Learning", is a
function of the energies of the answers an input can take: the energy of the
correct answer ``E_C`` and the energies of the others (the most offending
incorrect one ``E_I``, their minimum, or all of them through a log-partition).
A loss sees an ``(n_samples, n_answers)`` energy matrix and the column of the
correct answer, and returns one value per sample and the gradient with respect
to the energy matrix. It knows nothing about the architecture that produced
the energies, nor about the answer space that chose the candidates.

To add a loss, subclass :class:`BaseLoss`: set ``name``, declare what it needs
(``energy_domain``, ``contrastive``, ``partition``, ``constants`` such as
``("margin",)``), implement ``value_gradient``, and register it with
:func:`register_loss` (or one line in ``_registry.py``). Every estimator, the
command line and the compatibility table then accept it by name.
"""

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
from ._registry import LOSSES, get_loss, register_loss

__all__ = [
    "BaseLoss",
    "EnergyLoss",
    "PerceptronLoss",
    "HingeLoss",
    "LogLoss",
    "LVQ2Loss",
    "MCELoss",
    "SquareSquareLoss",
    "SquareExpLoss",
    "NLLLoss",
    "LOSSES",
    "get_loss",
    "register_loss",
]
