"""Energy architectures: parameters, energies of inputs against answers, and
the gradient of the energies with respect to the parameters.

An architecture holds its parameters in one flat vector ``params_`` (the named
arrays ``coefs_``, ``intercepts_``, ``prototypes_`` are views into it, so the
solvers update the whole model in one vectorized step), computes the energy
matrix of a batch of inputs against candidate answers (``forward``), and
back-propagates a gradient of that matrix into its parameters (``backward``).
It knows nothing about losses; ``build`` picks the variant a loss needs (a
positive output map for losses that need non-negative energies) or refuses an
ill-posed pair.

- classes: :class:`LinearEnergy`, :class:`MLPEnergy`, :class:`DistanceEnergy`
  give an ``(n_samples, n_classes)`` matrix in one pass;
- label vectors: :class:`LabelPairEnergy` adds learned pairwise label
  interactions to the per-label energies of any of these, and gives the
  :class:`Potentials` of a pairwise energy over label vectors;
- real answers: :class:`QuadraticEnergy` (``1/2 ||y - G(x)||^2``, with its
  closed-form :class:`GaussianAnswers`) and :class:`JointEnergy` (a scalar
  network over (x, y), searched on an :class:`~skebm.inference.IntervalSpace`;
  for several target columns a :class:`JointVectorEnergy` on a
  :class:`~skebm.inference.VectorSpace`).

To add an architecture, subclass ``_network._BaseEnergy`` (or
``_continuous._AnswerEnergy`` for real answers), give it a ``build``
classmethod, and register it with :func:`register_energy` (or one line in
``_registry.py``).
"""

from ._distance import DistanceEnergy
from ._joint import JointEnergy
from ._joint_vector import GaussianVectorEnergy, JointVectorEnergy
from ._label_pairs import LabelPairEnergy, Potentials
from ._quadratic import GaussianAnswers, LinearQuadraticEnergy, QuadraticEnergy
from ._registry import CLASSIFIER_ENERGIES, REGRESSOR_ENERGIES, register_energy
from ._score import LinearEnergy, MLPEnergy

__all__ = [
    "CLASSIFIER_ENERGIES",
    "REGRESSOR_ENERGIES",
    "DistanceEnergy",
    "GaussianAnswers",
    "GaussianVectorEnergy",
    "JointEnergy",
    "JointVectorEnergy",
    "LabelPairEnergy",
    "LinearEnergy",
    "LinearQuadraticEnergy",
    "MLPEnergy",
    "Potentials",
    "QuadraticEnergy",
    "register_energy",
]
