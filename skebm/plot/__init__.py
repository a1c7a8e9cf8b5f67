"""Plots of fitted skebm estimators, as scikit-learn-style Display objects.

:class:`EnergyLandscapeDisplay` draws the energy surface of a classifier or
regressor, :class:`TraceDisplay` the chains of an :class:`~skebm.MHSampler`,
and :class:`LossCurveDisplay` (or :func:`plot_loss_curve`) the training loss.
Each display computes what it draws in ``from_estimator`` and draws it in
``plot``, so that it can be drawn again on other Axes.

matplotlib is imported when something is drawn, not when this package is:
``import skebm`` and ``import skebm.plot`` work without it.
"""

from ._energy_landscape import EnergyLandscapeDisplay
from ._loss_curve import LossCurveDisplay, plot_loss_curve
from ._trace import TraceDisplay

__all__ = [
    "EnergyLandscapeDisplay",
    "LossCurveDisplay",
    "TraceDisplay",
    "plot_loss_curve",
]
