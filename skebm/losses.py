"""Losses of energy-based learning, as functions of an energy matrix only.

Every loss of LeCun et al. (2006), "A Tutorial on Energy-Based Learning", is a
function of the energies of the answers an input can take: the energy of the
correct answer ``E_C`` and the energies of the others (the most offending
incorrect one ``E_I``, their minimum, or all of them through a log-partition).
A loss here therefore sees an ``(n_samples, n_answers)`` energy matrix and the
column of the correct answer, and returns one value per sample and the gradient
with respect to the energy matrix. It knows nothing about the architecture that
produced the energies.
"""

import numbers

import numpy as np
from scipy.special import expit, logsumexp

__all__ = [
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
]


def _check_positive(name, value, allow_zero=False):
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not (value >= 0 if allow_zero else value > 0)
            or not np.isfinite(value)):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a {kind} finite number, got {value!r}.")
    return value


class BaseLoss:
    """Base class of the losses.

    Subclasses implement :meth:`value_gradient`. Class attributes describe what
    the loss needs from an energy architecture:

    - ``energy_domain``: ``"real"``, ``"nonnegative"`` or ``"positive"``, the
      energies the loss is defined for;
    - ``contrastive``: whether the loss pulls up the energies of incorrect
      answers (only the energy loss does not);
    - ``stochastic_only``: whether the loss only trains through the dynamics
      of per-batch updates, its exact minimum being degenerate;
    - ``scale_invariant``: whether scaling every energy leaves the loss
      unchanged, in which case an L2 penalty would shrink the model to a
      point and the estimators do not apply it.
    """

    name = None
    energy_domain = "real"
    contrastive = True
    stochastic_only = False
    scale_invariant = False

    def value_gradient(self, energies, y, incorrect=None):
        """Per-sample loss and its gradient with respect to the energies.

        Parameters
        ----------
        energies : ndarray of shape (n_samples, n_answers)
            Energy of every candidate answer of every sample.
        y : ndarray of shape (n_samples,), dtype int
            Column of the correct answer of each sample.
        incorrect : ndarray of shape (n_samples, n_answers), dtype bool, default=None
            Which answers count as incorrect when looking for the most
            offending one. ``None`` means every answer but the correct one
            (discrete answers); continuous answers exclude an epsilon-ball
            around the target.

        Returns
        -------
        value : ndarray of shape (n_samples,)
        gradient : ndarray of shape (n_samples, n_answers)
        """
        raise NotImplementedError

    def value(self, energies, y, incorrect=None):
        """Per-sample loss, see :meth:`value_gradient`."""
        return self.value_gradient(energies, y, incorrect)[0]

    def gradient(self, energies, y, incorrect=None):
        """Gradient with respect to the energies, see :meth:`value_gradient`."""
        return self.value_gradient(energies, y, incorrect)[1]

    def get_params(self, deep=True):
        """Constants of the loss, as a dict (``clone`` and grid searches use
        it like an estimator's)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def set_params(self, **params):
        """Set constants of the loss; returns the loss."""
        for key in params:
            if key not in self.get_params():
                raise ValueError(f"{type(self).__name__} has no constant {key!r}.")
        # build a new instance so the constructor validates the values
        checked = type(self)(**{**self.get_params(), **params})
        vars(self).update(vars(checked))
        return self

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self.get_params() == other.get_params()

    def __hash__(self):
        return hash((type(self), tuple(sorted(self.get_params().items()))))


def _log_softmax(logits):
    # plain numpy: scipy's log_softmax costs a third of a linear model's
    # mini-batch step in checks this function does not need
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _correct_energy(energies, y):
    return energies[np.arange(energies.shape[0]), y]


def _most_offending(energies, y, incorrect):
    """Lowest energy among incorrect answers, and its column.

    A sample without any incorrect answer gets ``E_I = +inf``.
    """
    rows = np.arange(energies.shape[0])
    if incorrect is None:
        masked = energies.copy()
        masked[rows, y] = np.inf
    else:
        masked = np.where(incorrect, energies, np.inf)
    cols = np.argmin(masked, axis=1)
    return masked[rows, cols], cols


def _pair_gradient(energies, y, cols, d_correct, d_incorrect):
    """Gradient matrix with ``d_correct`` at the correct answer and
    ``d_incorrect`` at the most offending one."""
    grad = np.zeros_like(energies)
    rows = np.arange(energies.shape[0])
    grad[rows, y] = d_correct
    # where there was no incorrect answer d_incorrect is 0 and cols is harmless
    np.add.at(grad, (rows, cols), d_incorrect)
    return grad


class EnergyLoss(BaseLoss):
    """Energy loss: ``E_C``.

    Pushes down the energy of the correct answer and nothing else, so it
    only trains architectures in which that pulls the other energies up
    (LeCun et al., 2006, §2.2.1); otherwise the energy surface collapses.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.losses import EnergyLoss
    >>> EnergyLoss().value(np.array([[0.5, 2.0]]), np.array([0]))
    array([0.5])
    """

    name = "energy"
    contrastive = False

    def value_gradient(self, energies, y, incorrect=None):
        grad = np.zeros_like(energies)
        grad[np.arange(energies.shape[0]), y] = 1.0
        return _correct_energy(energies, y), grad


class PerceptronLoss(BaseLoss):
    """Generalized perceptron loss: ``E_C - min_Y E(Y)``.

    Zero exactly when the correct answer has the lowest energy; it has no
    margin. Scaling the energies scales the loss, and equal energies give
    zero loss, so its exact minimum is the collapsed model: like the
    classical perceptron it learns through per-batch updates, and
    ``solver="auto"`` trains it with Adam.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.losses import PerceptronLoss
    >>> PerceptronLoss().value(np.array([[1.0, 0.25]]), np.array([0]))
    array([0.75])
    """

    name = "perceptron"
    stochastic_only = True

    def value_gradient(self, energies, y, incorrect=None):
        e_c = _correct_energy(energies, y)
        if incorrect is None:
            cols = np.argmin(energies, axis=1)
            e_min = energies[np.arange(energies.shape[0]), cols]
        else:
            e_min, cols = _most_offending(energies, y, incorrect)
        value = np.maximum(e_c - e_min, 0.0)
        # a tie with the correct answer counts as correct
        active = (e_c > e_min).astype(energies.dtype)
        return value, _pair_gradient(energies, y, cols, active, -active)


class HingeLoss(BaseLoss):
    """Hinge loss: ``max(0, margin + E_C - E_I)``.

    Parameters
    ----------
    margin : float, default=1.0
        Energy gap the correct answer must keep below the most offending
        incorrect one.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.losses import HingeLoss
    >>> HingeLoss(margin=1.0).value(np.array([[0.0, 0.5], [0.0, 3.0]]), np.array([0, 0]))
    array([0.5, 0. ])
    """

    name = "hinge"

    def __init__(self, margin=1.0):
        self.margin = _check_positive("margin", margin)

    def value_gradient(self, energies, y, incorrect=None):
        e_c = _correct_energy(energies, y)
        e_i, cols = _most_offending(energies, y, incorrect)
        slack = self.margin + e_c - e_i
        active = (slack > 0).astype(energies.dtype)
        return np.maximum(slack, 0.0), _pair_gradient(
            energies, y, cols, active, -active
        )


class LogLoss(BaseLoss):
    """Log loss, a soft hinge: ``log(1 + exp(E_C - E_I))``.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.losses import LogLoss
    >>> LogLoss().value(np.array([[1.0, 1.0]]), np.array([0]))
    array([0.69314718])
    """

    name = "log"

    def value_gradient(self, energies, y, incorrect=None):
        e_c = _correct_energy(energies, y)
        e_i, cols = _most_offending(energies, y, incorrect)
        diff = e_c - e_i
        # logaddexp(0, -inf) = 0 and expit(-inf) = 0: no incorrect answer, no loss
        value = np.logaddexp(0.0, diff)
        s = expit(diff)
        return value, _pair_gradient(energies, y, cols, s, -s)


class LVQ2Loss(BaseLoss):
    """LVQ2 loss: ``min(1, max(0, (E_C - E_I / (1 + m)) / (w * E_I)))``.

    Defined for positive energies, such as distances to prototypes. With
    ``margin=0`` (the default) this is the tutorial's LVQ2 rule, a zero-margin
    loss: only mistakes within a relative window ``delta`` of the decision
    boundary contribute a gradient, and the loss saturates at 1 once
    ``E_C >= (1 + delta) E_I``. A relative margin ``m > 0`` extends the linear
    zone to correct answers until the most offending energy is ``1 + m`` times
    the correct one (as the window of Kohonen's LVQ2.1 does), keeping the
    saturation point: ``w = delta + m / (1 + m)``. Either way the loss does not
    change when every energy is scaled, so the estimators apply no L2 penalty
    with it.

    Parameters
    ----------
    delta : float, default=1.0
        How far past the boundary, relative to ``E_I``, the loss saturates:
        at ``E_C = (1 + delta) E_I``.
    margin : float, default=0.0
        Relative margin ``m``: the loss is zero once ``E_I >= (1 + m) E_C``.
        The estimators pass their own ``margin`` when ``loss="lvq2"``.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.losses import LVQ2Loss
    >>> E, y = np.array([[1.5, 1.0], [0.5, 1.0], [0.8, 1.0]]), np.array([0, 0, 0])
    >>> LVQ2Loss().value(E, y)
    array([0.5, 0. , 0. ])
    >>> LVQ2Loss(margin=1.0).value(E, y)
    array([0.66666667, 0.        , 0.2       ])
    """

    name = "lvq2"
    energy_domain = "positive"
    scale_invariant = True

    def __init__(self, delta=1.0, margin=0.0):
        self.delta = _check_positive("delta", delta)
        self.margin = _check_positive("margin", margin, allow_zero=True)

    def value_gradient(self, energies, y, incorrect=None):
        e_c = _correct_energy(energies, y)
        e_i, cols = _most_offending(energies, y, incorrect)
        # a zero distance to a wrong prototype would divide by zero
        e_i_safe = np.maximum(e_i, np.finfo(energies.dtype).eps)
        width = self.delta + self.margin / (1 + self.margin)
        with np.errstate(invalid="ignore"):
            ratio = (e_c - e_i_safe / (1 + self.margin)) / (width * e_i_safe)
        ratio = np.where(np.isinf(e_i), 0.0, ratio)
        active = ((ratio > 0) & (ratio < 1)).astype(energies.dtype)
        # ratio = e_c / (w e_i) - 1 / ((1 + m) w): the second term is constant
        d_c = active / (width * e_i_safe)
        d_i = -active * e_c / (width * e_i_safe**2)
        # below eps the value no longer depends on e_i
        d_i = np.where(np.isinf(e_i) | (e_i < e_i_safe), 0.0, d_i)
        return np.clip(ratio, 0.0, 1.0), _pair_gradient(energies, y, cols, d_c, d_i)


class MCELoss(BaseLoss):
    """Minimum classification error loss: ``sigmoid(E_C - E_I)``.

    A smooth count of errors; bounded, so far-off mistakes stop pulling.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.losses import MCELoss
    >>> MCELoss().value(np.array([[1.0, 1.0]]), np.array([0]))
    array([0.5])
    """

    name = "mce"

    def value_gradient(self, energies, y, incorrect=None):
        e_c = _correct_energy(energies, y)
        e_i, cols = _most_offending(energies, y, incorrect)
        s = expit(e_c - e_i)
        ds = s * (1.0 - s)
        return s, _pair_gradient(energies, y, cols, ds, -ds)


class SquareSquareLoss(BaseLoss):
    """Square-square loss: ``E_C**2 + max(0, margin - E_I)**2``.

    Defined for non-negative energies: pushes the correct energy to zero and
    the most offending incorrect one above ``margin``.

    Parameters
    ----------
    margin : float, default=1.0

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.losses import SquareSquareLoss
    >>> SquareSquareLoss().value(np.array([[0.5, 0.25]]), np.array([0]))
    array([0.8125])
    """

    name = "square_square"
    energy_domain = "nonnegative"

    def __init__(self, margin=1.0):
        self.margin = _check_positive("margin", margin)

    def value_gradient(self, energies, y, incorrect=None):
        e_c = _correct_energy(energies, y)
        e_i, cols = _most_offending(energies, y, incorrect)
        gap = np.maximum(self.margin - e_i, 0.0)
        return e_c**2 + gap**2, _pair_gradient(energies, y, cols, 2 * e_c, -2 * gap)


class SquareExpLoss(BaseLoss):
    """Square-exponential loss: ``E_C**2 + gamma * exp(-E_I)``.

    Defined for non-negative energies.

    Parameters
    ----------
    gamma : float, default=2.0
        Weight of the term that pulls the most offending answer up. At 2 the
        pull on an incorrect answer of energy 0 equals the push on a correct
        answer of energy 1.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.losses import SquareExpLoss
    >>> SquareExpLoss().value(np.array([[1.0, 0.0]]), np.array([0]))
    array([3.])
    """

    name = "square_exp"
    energy_domain = "nonnegative"

    def __init__(self, gamma=2.0):
        self.gamma = _check_positive("gamma", gamma)

    def value_gradient(self, energies, y, incorrect=None):
        e_c = _correct_energy(energies, y)
        e_i, cols = _most_offending(energies, y, incorrect)
        pull = self.gamma * np.exp(-e_i)  # exp(-inf) = 0: no incorrect answer
        return e_c**2 + pull, _pair_gradient(energies, y, cols, 2 * e_c, -pull)


class NLLLoss(BaseLoss):
    """Negative log-likelihood of the Gibbs distribution.

    ``E_C + (1 / beta) * log sum_Y exp(-beta * E(Y))``, the cross-entropy of
    ``softmax(-beta * E)``. Its gradient is ``onehot(C) - softmax(-beta * E)``:
    push the correct answer down, pull every answer up in proportion to its
    Gibbs probability.

    Parameters
    ----------
    beta : float, default=1.0
        Inverse temperature.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.losses import NLLLoss
    >>> NLLLoss().value(np.array([[0.0, 0.0]]), np.array([0]))
    array([0.69314718])
    """

    name = "nll"

    def __init__(self, beta=1.0):
        self.beta = _check_positive("beta", beta)

    def value_gradient(self, energies, y, incorrect=None, log_weights=None,
                       contrast=None):
        """Loss and gradient; see :meth:`BaseLoss.value_gradient`.

        Parameters
        ----------
        energies, y, incorrect
            As in :meth:`BaseLoss.value_gradient`; ``incorrect`` is unused,
            every answer is in the partition.
        log_weights : ndarray broadcastable to ``energies``, default=None
            Log quadrature weights of the answers, when the log-partition is
            an integral approximated on a grid of answers (``-inf`` drops an
            answer from the partition).
        contrast : ndarray of shape (n_samples, n_answers), default=None
            Estimated Gibbs probabilities of the answers (for instance visit
            frequencies of a Markov chain) to use in the gradient in place of
            the exact ``softmax(-beta * E)``.
        """
        logits = -self.beta * energies
        if log_weights is not None:
            logits = logits + log_weights
        # E_C + log Z / beta as -log_softmax at the correct answer: subtracting
        # the two large terms would lose log Z's small part at large energies
        log_p = _log_softmax(logits)
        if log_weights is None:
            value = -_correct_energy(log_p, y) / self.beta
        else:
            # the correct answer's weight (possibly 0) is not part of E_C
            value = (_correct_energy(energies, y)
                     + logsumexp(logits, axis=1) / self.beta)
        if contrast is None:
            contrast = np.exp(log_p)
        grad = -contrast.astype(energies.dtype, copy=True)
        grad[np.arange(energies.shape[0]), y] += 1.0
        return value, grad


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


def get_loss(loss, margin=None, beta=None):
    """The loss instance for a name or the instance itself.

    A name builds its class with ``margin`` (hinge, square_square, lvq2) or
    ``beta`` (nll) where the loss has one and the value is not None, and with
    the class's defaults otherwise.

    Examples
    --------
    >>> from skebm.losses import get_loss
    >>> get_loss("hinge", margin=2.0)
    HingeLoss(margin=2.0)
    >>> get_loss("lvq2")
    LVQ2Loss(delta=1.0, margin=0.0)
    """
    if isinstance(loss, BaseLoss):
        return loss
    if isinstance(loss, str) and loss in LOSSES:
        cls = LOSSES[loss]
        params = {}
        if margin is not None and cls in (HingeLoss, SquareSquareLoss, LVQ2Loss):
            params["margin"] = margin
        if beta is not None and cls is NLLLoss:
            params["beta"] = beta
        return cls(**params)
    raise ValueError(
        f"Unknown loss {loss!r}. Use one of {sorted(LOSSES)} or an instance of "
        "a skebm.losses loss class."
    )
