"""The steps of a regressor's fit that prepare its data: the rows validated,
the targets as standardized columns, their space of answers (with the
radius of the margin losses' ball), and the joint energy's inputs: the box
of the training rows, and above two target columns the kernel ridge
inputs."""

import copy
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, validate_data

from ._input_box import InputBox
from ._kernel_inputs import KernelRidgeInputs, conditional_spread
from ._rows import merge_duplicate_rows
from ._targets import standardization
from .energies import REGRESSOR_ENERGIES
from .inference import IntervalSpace
from .inference._interval_training import N_TRAIN_GRID
from .losses import get_loss

# fewer cells of one joint column's training grid than this under the middle
# 90% of the targets' distinct values is warned about: of 70 real targets
# (the benchmarks' and trials'), Ecdat's MedExp (medical expenses, 90%
# intervals reaching -1838) spans 2.2 and the next, CPS1988's wages, 6.3
_MIN_BULK_CELLS = 3.0


class _RegressionDataMixin:
    """``_validate_input``, ``_encode_targets``, ``_answer_space`` and
    ``_model_inputs`` of :class:`~skebm.EnergyRegressor` (steps of
    ``BaseEnergyModel._fit``), and
    the conditional spread that ``alpha="auto"`` shares (``_auto_spread``)."""

    def _validate_input(self, X, y, sample_weight, reset):
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32],
            multi_output=True, y_numeric=True, reset=reset,
        )
        if y.ndim == 2 and not REGRESSOR_ENERGIES[self.energy].multi_output:
            if y.shape[1] > 1:
                raise ValueError(
                    f"energy={self.energy!r} models one target; y has "
                    f"{y.shape[1]} columns. Use energy='linear', 'mlp' or "
                    "'joint', or one model per target "
                    "(sklearn.multioutput.MultiOutputRegressor).")
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. "
                "Please change the shape of y to (n_samples,), for example "
                "using ravel().", DataConversionWarning)
            y = y[:, 0]
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                             ensure_non_negative=True)
        return X, y, sample_weight

    def _encode_targets(self, y, sample_weight, incremental, fitted):
        """Targets as float columns, and whether predictions have columns."""
        return (y.reshape(len(y), -1).astype(np.float64), sample_weight, 1.0,
                {"_y_2d": y.ndim == 2})

    def _check_warm_targets(self, y, fitted_targets):
        if y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"warm_start continues the fitted model of {self.n_outputs_} "
                f"output(s); y has {y.shape[1]}. Set warm_start=False to fit "
                "it afresh.")

    def _answer_space(self, energy_cls, X, y, sample_weight, continued,
                      fitted_targets, loss, spread=None, y_standardization=None):
        """Standardized targets and their answer space: those of the fitted
        model when a ``partial_fit`` continues it (``continued``), else new ones
        from the targets, a warm start's included (standardized
        by their own mean and scale unless ``y_standardization`` gives them).
        The first fit with a ball sets its radius from the targets'
        conditional ``spread`` (computed here when not given)."""
        if continued and y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y.shape[1]} columns; the model was fitted "
                             f"with {self.n_outputs_}.")
        if continued:
            # a copy: training adapts its chains' step, and a call that fails
            # must leave the fitted space as it was
            mean, scale = self.y_mean_, self.y_scale_
            space = copy.copy(self.answer_space_)
            z = (y - mean) / scale
        else:
            mean, scale = (standardization(y, sample_weight)
                           if y_standardization is None else y_standardization)
            z = (y - mean) / scale
            space = energy_cls.answer_space.from_targets(
                z, sample_weight,
                **({} if self.epsilon == "auto" else {"epsilon": self.epsilon}),
                sampler=self.sampler, persistent_chains=self.persistent_chains)
        if (self._reads_spread(loss, y.shape[1])
                and getattr(space, "spread", None) is None):
            if spread is None:
                spread = conditional_spread(X, z, sample_weight,
                                            check_random_state(self.random_state))
            space = copy.copy(space)  # a fitted one is left as it was
            space.set_spread(spread)
        outside = space.outside(z).any(axis=1)
        if continued and outside.any():
            consequence = ("they are clipped to it" if space.support is not None
                           else "beyond it a quadratic wall raises the energy, and "
                           "the model cannot learn to answer there")
            warnings.warn(
                f"{int(outside.sum())} targets lie outside "
                f"{self._answer_region(space, mean, scale)} fixed by the first "
                f"fit; {consequence}. Refit with fit to widen it.", UserWarning)
        fitted_targets.update(y_mean_=mean, y_scale_=scale, n_outputs_=z.shape[1],
                              epsilon_=space.epsilon,
                              support_=self._original_support(space, mean, scale))
        return space, z

    def _reads_spread(self, loss, n_columns):
        # epsilon="auto" of one column of the joint energy, for a loss with
        # a ball (the NLL has none)
        return (self.epsilon == "auto" and self.energy == "joint" and n_columns == 1
                and loss.contrastive and not loss.partition)

    def _check_targets(self, X, y, sample_weight, incremental):
        """Check the validated rows of a fit (or of a first ``partial_fit``
        batch, ``incremental``) once, before any trial of ``alpha="auto"``.

        A Gaussian energy fitting its noise to one distinct row (of
        positive weight) is refused: its residual is 0, and every interval
        would have width 0. A warning where a few extreme targets stretch
        the grid of one column of ``joint`` so far that the middle 90% of
        the targets' distinct values shares fewer than ``_MIN_BULK_CELLS``
        of its cells: a placeholder of 99999 among diabetes' targets (25 to
        346) left them 0.2 of a cell, and a test R^2 of -0.79 (0.30
        without it)."""
        y = y.reshape(len(y), -1)
        positive = sample_weight > 0
        constant = not positive.any() or not np.ptp(y[positive], axis=0).any()
        if (constant and not incremental and self.beta == "auto"
                and hasattr(self._answers(), "residual_squares")
                and len(merge_duplicate_rows(X, y, sample_weight)[2]) < 2):
            raise ValueError(
                f"beta='auto' fits the noise of energy={self.energy!r} to the "
                "residuals of the training rows, and 1 sample (one distinct "
                "row of positive weight) has none: every interval would have "
                "width 0. Fit more samples, or pass a number as beta.")
        if incremental and positive.any():
            # constant as standardization reads it: no spread beyond rounding
            kept = y[positive].astype(np.float64)
            _warn_unit_scale(np.ptp(kept, axis=0)
                             <= 1e-12 * np.max(np.abs(kept), axis=0))
        if constant or not self._spans_targets(y.shape[1]):
            return
        y = y.astype(np.float64)
        mean, scale = standardization(y, sample_weight)
        low, high = IntervalSpace.from_targets((y - mean) / scale,
                                               sample_weight).support
        # distinct values: an atom (most targets 0) has cells of its own
        middle = np.ptp(np.quantile(np.unique(y[positive, 0]), [0.05, 0.95]))
        cells = middle / scale[0] / (high - low) * N_TRAIN_GRID
        if cells < _MIN_BULK_CELLS:
            warnings.warn(
                f"energy={self.energy!r} trains on a grid of {N_TRAIN_GRID} "
                f"cells over the targets' range, {y[positive].min():g} to "
                f"{y[positive].max():g}, and the middle 90% of their values "
                f"lies within {cells:.2g} of them: a few extreme targets "
                "stretch the grid, and the density of the rest has little "
                "resolution. Check them for placeholders or errors, or fit a "
                "transformed target (log1p), or energy='linear' or 'mlp'.",
                UserWarning)

    def _answers(self):
        """The answer space class of ``energy`` (None if it has none)."""
        return getattr(REGRESSOR_ENERGIES[self.energy], "answer_space", None)

    def _spans_targets(self, n_columns):
        """Whether the answers of ``n_columns`` target columns are a grid
        spanning the targets (one column of ``joint``)."""
        return n_columns == 1 and getattr(self._answers(), "spans_targets", False)

    def _trial_can_fit(self, y, sample_weight):
        """One column of the joint energy needs targets that vary (its
        grid spans them): a part of a target that varies in few rows may
        hold none of them."""
        y = y.reshape(len(y), -1)[sample_weight > 0]
        return not (self._spans_targets(y.shape[1]) and (y.size == 0 or np.ptp(y) == 0))

    def _auto_spread(self, X, y, sample_weight):
        """For ``alpha="auto"``, the conditional spread of the standardized
        targets, computed once on all its rows for its trials and refit
        (None where no radius reads it)."""
        y = y.reshape(len(y), -1).astype(np.float64, copy=False)
        if not self._reads_spread(get_loss(self.loss, margin=self.margin), y.shape[1]):
            return None
        mean, scale = self._y_standardization(y, sample_weight)
        return conditional_spread(X, (y - mean) / scale, sample_weight,
                                  check_random_state(self.random_state))

    def _y_standardization(self, y, sample_weight):
        """For ``alpha="auto"`` (its spread, its cross-validation's folds),
        the mean and scale of all its targets."""
        return standardization(y.reshape(len(y), -1).astype(np.float64, copy=False),
                               sample_weight)

    def _model_inputs(self, X, y, sample_weight, continued):
        """The joint energy's inputs: rows clipped to the box of the
        training rows (``_input_box.py``; dense ``X``), and above two target
        columns kernel ridge predictions of the targets appended
        (``_kernel_inputs.py``). A ``partial_fit`` batch after the first
        keeps the first batch's ridge (the new rows are out of its sample)
        and widens the box to the batch's rows."""
        fitted = getattr(self, "_inputs", None)
        if self.energy != "joint" or (continued and fitted is None):
            # (continued: a model fitted on sparse X, which has no box)
            return X, None
        if continued:
            if not isinstance(fitted, InputBox):
                # kernel ridge inputs pickled before the box
                return fitted.transform(X), fitted
            inputs = fitted.widened(X, sample_weight)
            return inputs.transform(X), inputs
        if sp.issparse(X):
            return X, None
        kernel = (KernelRidgeInputs(check_random_state(self.random_state))
                  if y.shape[1] > 2 else None)
        inputs = InputBox(kernel)
        return inputs.fit_transform(X, y, sample_weight), inputs

    @classmethod
    def _answer_region(cls, space, mean, scale):
        """The answers' grid (one column) or box (several) in target units,
        as a warning names it."""
        if space.support is not None:
            return f"the grid {cls._original_support(space, mean, scale)}"
        low, high = space.low * scale + mean, space.high * scale + mean
        sides = [f"[{a:.4g}, {b:.4g}]" for a, b in zip(low[:3], high[:3])]
        if len(low) > 3:
            sides.append(f"... ({len(low)} columns)")
        return "the box " + " x ".join(sides)

    @staticmethod
    def _original_support(space, mean, scale):
        if space.support is None:
            return None
        return tuple(float(s * scale[0] + mean[0]) for s in space.support)


def _warn_unit_scale(constant):
    """Warn that the first ``partial_fit`` batch, whose target columns
    ``constant`` hold one value each, leaves them unit scale 1: the batches
    after it are standardized by its mean and scale, and a stream started
    with one row of diabetes (targets 25 to 346) reached a test R^2 of -1.3
    (user guide, "Solvers")."""
    if constant.any():
        columns = np.flatnonzero(constant).tolist()
        warnings.warn(
            "partial_fit standardizes every batch by the targets' mean and "
            "scale in its first batch, where target column(s) "
            f"{columns} hold one value: their scale is taken as 1, in y's "
            "units, which the steps of a stochastic solver cross slowly if "
            "the targets vary by much more. Start the stream with a batch "
            "whose targets vary, or call fit first.", UserWarning)
