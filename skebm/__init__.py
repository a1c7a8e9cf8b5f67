"""Energy-based learning for scikit-learn.

LeCun et al.'s "A Tutorial on Energy-Based Learning" (2006) as estimators:
every loss of the tutorial by name, over selectable energy architectures, and a
Metropolis-Hastings sampler.
"""

from ._classifier import EnergyClassifier
from ._regressor import EnergyRegressor
from ._compatibility import compatibility_table
from .sampling import MHSampler

__all__ = ["EnergyClassifier", "EnergyRegressor", "MHSampler", "compatibility_table"]
__version__ = "0.1.0.dev0"
