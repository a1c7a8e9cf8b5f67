"""The loss interface and the energy bookkeeping every loss shares."""

import numbers

import numpy as np

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
      point and the estimators do not apply it;
    - ``partition``: whether the loss uses the log-partition over all
      answers (NLL) rather than the most offending incorrect answer, so
      that an answer space hands it quadrature weights or a sampled
      contrast;
    - ``average_iterates``: whether the stochastic solvers return the
      average of their iterates rather than the last one (the averaged
      perceptron);
    - ``saturates``: whether the loss is flat outside a window (zero, or
      capped, or a sigmoid's plateaus), so that one full-batch step can
      leave every sample where the gradient vanishes, and ``solver="auto"``
      trains it with per-batch steps on energies whose most offending
      answer is searched over a continuum (``searched_answers``);
    - ``constants``: the estimator parameters (``"margin"``, ``"beta"``)
      that :func:`get_loss` passes to the constructor when the loss is
      chosen by name;
    - ``class_energy``: the architecture of ``EnergyClassifier(energy="auto")``
      with this loss.
    - ``joint_hidden_layer_sizes``: the hidden layers that
      ``EnergyRegressor(energy="joint", hidden_layer_sizes="auto")`` gives
      one target column under this loss (None: the regressor's default).
    """

    name = None
    energy_domain = "real"
    contrastive = True
    stochastic_only = False
    scale_invariant = False
    partition = False
    average_iterates = False
    saturates = False
    constants = ()
    class_energy = "linear"
    joint_hidden_layer_sizes = None

    def value_gradient(self, energies, y, incorrect=None, *, log_weights=None,
                       contrast=None):
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
        log_weights : ndarray broadcastable to ``energies``, default=None
            Log quadrature weights of the answers, for losses with a
            ``partition``; ``-inf`` leaves an answer out of it.
        contrast : ndarray of shape (n_samples, n_answers), default=None
            Estimated Gibbs probabilities of the answers (visit frequencies
            of Markov chains), for losses with a ``partition``.

        Returns
        -------
        value : ndarray of shape (n_samples,)
        gradient : ndarray of shape (n_samples, n_answers)
        """
        raise NotImplementedError

    def value(self, energies, y, incorrect=None, **answers):
        """Per-sample loss, see :meth:`value_gradient`."""
        return self.value_gradient(energies, y, incorrect, **answers)[0]

    def gradient(self, energies, y, incorrect=None, **answers):
        """Gradient with respect to the energies, see :meth:`value_gradient`."""
        return self.value_gradient(energies, y, incorrect, **answers)[1]

    def training_defaults(self):
        """The estimators' training parameters this loss sets when they are
        ``"auto"`` or left at their defaults (``{"learning_rate_init": ...}``);
        an answer space's own (several target columns) take precedence.
        None here."""
        return {}

    def gibbs_beta(self, default):
        """Inverse temperature of the Gibbs distribution the loss trains:
        ``default`` (the estimator's ``beta``) unless the loss has its own."""
        return default

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
