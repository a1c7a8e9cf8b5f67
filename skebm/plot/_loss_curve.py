"""LossCurveDisplay and plot_loss_curve: the training loss per epoch of a
fitted estimator, with its validation score when it stopped early."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._estimators import final_step
from ._matplotlib import axes_or_new, import_pyplot


class LossCurveDisplay:
    """Training loss per epoch, and the validation score per epoch if any.

    Use :meth:`from_estimator` to create it, or :func:`plot_loss_curve` for
    the Axes alone.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        The training loss after each epoch.
    validation_scores : array-like of shape (n_epochs,), default=None
        The validation score after each epoch, drawn on a twin y axis.
    name : str, default=None
        Name of the estimator, for the title and the legend.
    xlabel : str, default="epoch"
        What a point of the curve is: ``from_estimator`` says "iteration"
        for an L-BFGS fit.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The training loss.
    validation_line_ : matplotlib Line2D or None
        The validation score.
    ax_ : matplotlib Axes
        The Axes of the training loss.
    validation_ax_ : matplotlib Axes or None
        The twin Axes of the validation score; it holds the legend, so that
        no curve is drawn over it.
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skebm.plot import LossCurveDisplay
    >>> disp = LossCurveDisplay(loss_curve=[1.0, 0.6, 0.5],
    ...                         validation_scores=[0.7, 0.8, 0.85]).plot()
    >>> disp.validation_ax_.get_ylabel()
    'validation score'
    """

    def __init__(self, *, loss_curve, validation_scores=None, name=None,
                 xlabel="epoch"):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.name = name
        self.xlabel = xlabel

    def plot(self, ax=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.

        Returns
        -------
        display : LossCurveDisplay
        """
        plt = import_pyplot("LossCurveDisplay.plot")
        created = ax is None
        ax = axes_or_new(ax, plt)
        epochs = np.arange(1, len(self.loss_curve) + 1)
        # curves already on these Axes (and their twins) share one legend
        stack = [a for a in ax.figure.axes
                 if a is ax or ax.get_shared_x_axes().joined(a, ax)]
        earlier = [line for a in stack for line in a.get_lines()]
        for a in stack:
            if a.get_legend() is not None:
                a.get_legend().remove()
        # the Axes' next colour, so that two curves on one Axes differ;
        # the validation score is dashed in the same colour
        name = "" if self.name is None else f"{self.name} "
        lines = ax.plot(epochs, self.loss_curve,
                        label="training loss" if not name else f"{name}loss")
        self.line_ = lines[0]
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel("training loss")
        title = f"{name}loss curve" if name else "Loss curve"
        ax.set_title("Loss curves" if earlier else title)
        self.validation_line_ = self.validation_ax_ = None
        top = ax
        scores = self.validation_scores
        if scores is not None and len(scores):
            top = self.validation_ax_ = ax.twinx()
            lines += top.plot(np.arange(1, len(scores) + 1), scores,
                              color=lines[0].get_color(), linestyle="--",
                              label=f"{name}validation score")
            self.validation_line_ = lines[-1]
            top.set_ylabel("validation score")
        lines = earlier + lines
        top.legend(lines, [line.get_label() for line in lines], loc="best")
        if created:
            ax.figure.tight_layout()  # room for the twin axis' label
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, name=None, ax=None):
        """Plot the loss curve of a fitted estimator.

        Parameters
        ----------
        estimator : EnergyClassifier or EnergyRegressor, fitted
            Uses ``loss_curve_`` and, when not None, ``validation_scores_``;
            or a Pipeline ending in one, or a fitted search (GridSearchCV)
            of them, whose ``best_estimator_`` is plotted.
        name : str, default=None
            Name of the curve, in the title and the legend; None: the
            estimator's class name.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.

        Returns
        -------
        display : LossCurveDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.datasets import load_iris
        >>> from skebm import EnergyRegressor
        >>> from skebm.plot import LossCurveDisplay
        >>> X, y = load_iris(return_X_y=True)
        >>> reg = EnergyRegressor(max_iter=200, random_state=0).fit(X[:, :3], X[:, 3])
        >>> disp = LossCurveDisplay.from_estimator(reg)
        >>> len(disp.line_.get_ydata()) == len(reg.loss_curve_)
        True
        """
        check_is_fitted(estimator)
        estimator = final_step(estimator)
        curve = getattr(estimator, "loss_curve_", None)
        if curve is None:
            raise ValueError(f"{type(estimator).__name__} has no loss_curve_.")
        disp = cls(loss_curve=curve,
                   validation_scores=getattr(estimator, "validation_scores_",
                                             None),
                   name=type(estimator).__name__ if name is None else name,
                   xlabel=("iteration" if getattr(estimator, "solver_", None) == "lbfgs"
                           else "epoch"))
        return disp.plot(ax=ax)


def plot_loss_curve(estimator, ax=None):
    """Plot the training loss per epoch, and the validation score if any.

    A shortcut for :meth:`LossCurveDisplay.from_estimator` that returns the
    Axes.

    Parameters
    ----------
    estimator : EnergyClassifier or EnergyRegressor, fitted
        Uses ``loss_curve_`` and, when not None, ``validation_scores_``
        (drawn on a twin y axis); or a Pipeline ending in one, or a fitted
        search of them.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure is created when None.

    Returns
    -------
    ax : matplotlib Axes
        The Axes of the loss curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from skebm import EnergyClassifier
    >>> from skebm.plot import plot_loss_curve
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = EnergyClassifier(solver="adam", max_iter=20, early_stopping=True,
    ...                        random_state=0)
    >>> import warnings; warnings.simplefilter("ignore")
    >>> ax = plot_loss_curve(clf.fit(X, y))
    >>> ax.get_ylabel()
    'training loss'
    """
    return LossCurveDisplay.from_estimator(estimator, ax=ax).ax_
