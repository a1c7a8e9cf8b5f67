"""Answer spaces and inference: the set Y of possible answers and the search
over it.

An answer space gives a training batch its candidate answers, with what the
loss needs to know about them (:class:`Candidates`: which one is correct,
which count as incorrect, quadrature weights or a sampled contrast for the
log-partition), and it answers the questions of inference: the argmin, the
Gibbs distribution's mean, quantiles and samples, and its log-partition.

- :class:`ClassSpace`: a classifier's classes, searched exhaustively.
- :class:`IntervalSpace`: one real answer, quadrature on a grid refined
  locally, or Metropolis-Hastings chains for the NLL's contrastive term.
- :class:`LabelVectorSpace`: label vectors {0,1}^L (multi-label), enumerated
  while 2^L is small; local search and Metropolis-Hastings chains beyond.
- :class:`VectorSpace`: answers in R^d, descent from several starts for the
  argmin, Langevin (MALA) or random-walk chains for samples, the Gibbs mean
  and the NLL's contrastive term, quadrature for ``d <= 2``.

The quadratic energy ``1/2 ||y - G(x)||^2`` answers all of this in closed
form; its space lives with it, in :mod:`skebm.energies`.

To add an answer space, subclass :class:`AnswerSpace` and implement
``candidates`` and the inference methods its estimator calls; a test should
compare any search or sampling it does against exhaustive enumeration on a
problem small enough for both.
"""

from ._base import AnswerSpace, Candidates, Step
from ._classes import ClassSpace
from ._interval import IntervalSpace
from ._label_vectors import LabelVectorSpace
from ._vectors import VectorSpace

__all__ = ["AnswerSpace", "Candidates", "ClassSpace", "IntervalSpace",
           "LabelVectorSpace", "Step", "VectorSpace"]
