"""Solvers: the optimizers of a flat parameter vector and the one training
loop.

``adam`` and ``sgd`` (Nesterov momentum) take one mini-batch gradient at a
time; ``lbfgs`` is scipy's full-batch L-BFGS-B. :class:`Objective` composes an
energy, an answer space and a loss into the function they minimize, and
:func:`train` runs epochs, early stopping, the held-out checks that keep a
run's best iterate (``_checks.py``) and divergence checks for every
estimator. To add a solver, write an optimizer with ``update(grad)`` and
``rebind(params)`` in a module of its own and name it in ``_training.py``.
"""

from ._adam import AdamOptimizer
from ._lbfgs import minimize_lbfgs
from ._objective import Objective
from ._sgd import SGDOptimizer
from ._settings import Settings, resolve_solver
from ._training import train

__all__ = ["AdamOptimizer", "Objective", "SGDOptimizer", "Settings",
           "minimize_lbfgs", "resolve_solver", "train"]
