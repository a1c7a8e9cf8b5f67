"""EnergyLandscapeDisplay: the energy surface of a fitted classifier or
regressor, on a grid over its input (and, for a regressor, its target)."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .._classifier import EnergyClassifier
from .._regressor import EnergyRegressor
from ._estimators import feature_names, input_columns, position, searched
from ._matplotlib import axes_or_new, import_pyplot


class EnergyLandscapeDisplay:
    """Energy landscape of a fitted energy-based estimator.

    For an :class:`~skebm.EnergyClassifier` on two features: the energy of one
    class (or the minimum energy over the classes) on a grid, with the
    boundaries of the decision regions and the data points. For an
    :class:`~skebm.EnergyRegressor` on one feature: the energy ``E(x, y)`` on
    an ``(x, y)`` grid, with the data points. The estimator can be a
    :class:`~sklearn.pipeline.Pipeline` ending in one of them: the grid then
    spans the pipeline's input features, in their own units, and goes
    through the preprocessing steps before the energies are computed.

    Use :meth:`from_estimator` to create it; all parameters are stored as
    attributes.

    Parameters
    ----------
    xx0, xx1 : ndarray of shape (grid_resolution, grid_resolution)
        The grid, as from :func:`numpy.meshgrid`.
    energy : ndarray of shape (grid_resolution, grid_resolution)
        The energy at each grid point.
    kind : {"classifier", "regressor"}
        Which landscape this is.
    prediction : ndarray of shape (grid_resolution, grid_resolution) or None
        Index of the predicted class at each grid point (classifier only).
    X, y : ndarray or None
        The data points to show.
    xlabel, ylabel, title : str
        Labels of the axes and the title.

    Attributes
    ----------
    contour_ : matplotlib QuadContourSet
        The filled contour of the energy.
    boundary_ : list of matplotlib QuadContourSet or None
        The decision boundaries, a contour of each predicted class's region
        (one for two classes; classifier with more than one class).
    scatter_ : matplotlib PathCollection or None
        The data points; a classifier's are coloured by class, with a legend
        when there are at most ten classes.
    colorbar_ : matplotlib Colorbar
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    See Also
    --------
    sklearn.inspection.DecisionBoundaryDisplay : Decision regions of any
        classifier.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_blobs
    >>> from skebm import EnergyClassifier
    >>> from skebm.plot import EnergyLandscapeDisplay
    >>> X, y = make_blobs(n_samples=60, centers=3, random_state=0)
    >>> clf = EnergyClassifier(max_iter=50, random_state=0).fit(X, y)
    >>> disp = EnergyLandscapeDisplay.from_estimator(clf, X, y, grid_resolution=30)
    >>> disp.energy.shape
    (30, 30)
    >>> disp.colorbar_.ax.get_ylabel()
    'energy'

    A pipeline is plotted in the units of its input features:

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> pipe = make_pipeline(StandardScaler(), EnergyClassifier(random_state=0))
    >>> disp = EnergyLandscapeDisplay.from_estimator(pipe.fit(X, y), X, y)
    >>> bool(disp.xx0.min() < X[:, 0].min() and disp.xx0.max() > X[:, 0].max())
    True
    """

    def __init__(self, *, xx0, xx1, energy, kind, prediction=None, X=None,
                 y=None, xlabel="", ylabel="", title=""):
        self.xx0 = xx0
        self.xx1 = xx1
        self.energy = energy
        self.kind = kind
        self.prediction = prediction
        self.X = X
        self.y = y
        self.xlabel = xlabel
        self.ylabel = ylabel
        self.title = title

    def plot(self, ax=None, *, cmap="viridis", levels=20, scatter=True, **kwargs):
        """Draw the landscape.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None. Drawn again
            on its Axes, the landscape replaces its colorbar.
        cmap : str or Colormap, default="viridis"
            Colormap of the energy.
        levels : int, default=20
            Number of contour levels.
        scatter : bool, default=True
            Whether to draw the data points.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.contourf` (``alpha``,
            ``vmin``, ...).

        Returns
        -------
        display : EnergyLandscapeDisplay
        """
        plt = import_pyplot("EnergyLandscapeDisplay.plot")
        ax = axes_or_new(ax, plt)
        old = getattr(self, "colorbar_", None)
        if (getattr(self, "ax_", None) is ax and old is not None
                and old.ax in ax.figure.axes and self.contour_ in ax.collections):
            old.remove()  # restyled: one colorbar, not two (none if cleared)
        if "colors" in kwargs:
            cmap = None  # contourf takes one of them
        energy = np.where(np.isfinite(self.energy), self.energy, np.nan)
        self.contour_ = ax.contourf(self.xx0, self.xx1, energy, levels=levels,
                                    cmap=cmap, **kwargs)
        self.colorbar_ = ax.figure.colorbar(self.contour_, ax=ax)
        self.colorbar_.set_label("energy")
        self.boundary_ = None
        classes = (np.unique(self.prediction) if self.prediction is not None
                   else ())
        if len(classes) > 1:
            # each region's edge: contours of the class index itself would
            # draw a line per index skipped where classes 0 and 2 meet (two
            # regions have one edge)
            self.boundary_ = [
                ax.contour(self.xx0, self.xx1, (self.prediction == k).astype(float),
                           levels=[0.5], colors="white", linewidths=1.0)
                for k in classes[len(classes) == 2:]]
        self.scatter_ = None
        if scatter and self.X is not None:
            self.scatter_ = self._scatter(ax)
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel(self.ylabel)
        ax.set_title(self.title)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    def _scatter(self, ax):
        # a point with a missing value (which a pipeline imputes) has no place
        X = self.X
        shown = np.isfinite(X).all(axis=1)
        if self.kind != "classifier":
            if self.y is None:
                return None
            shown &= np.isfinite(self.y)
            return ax.scatter(X[shown, 0], self.y[shown], c="white",
                              edgecolors="k", s=12)
        if self.y is None:
            return ax.scatter(X[shown, 0], X[shown, 1], c="white",
                              edgecolors="k", s=20)
        classes, codes = np.unique(self.y, return_inverse=True)
        X, codes = X[shown], codes[shown]
        points = ax.scatter(X[:, 0], X[:, 1], c=codes, cmap="tab10",
                            vmin=0, vmax=9, edgecolors="k", s=20)
        if len(classes) <= 10:  # one colour of tab10 per class
            # a handle per class shown, in order (a class may have no point)
            handles, _ = points.legend_elements()
            ax.legend(handles, [str(classes[k]) for k in np.unique(codes)],
                      title="class", fontsize="small", loc="best")
        return points

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, features=(0, 1),
                       grid_resolution=100, class_index=None, ax=None, **kwargs):
        """Compute and plot the energy landscape of a fitted estimator.

        Parameters
        ----------
        estimator : EnergyClassifier, EnergyRegressor or Pipeline, fitted
            A classifier must take exactly two features, a regressor exactly
            one. A :class:`~sklearn.pipeline.Pipeline` must end in an
            EnergyClassifier or EnergyRegressor; the numbers of features
            are those of its input, which its first steps transform (into
            any number of features) before the final step's energies are
            computed. The axes are in the input's units. A fitted search
            (GridSearchCV) plots its ``best_estimator_``.
        X : array-like of shape (n_samples, n_features)
            Data whose range spans the grid; drawn as points. For a
            pipeline, its raw input. Named columns must be those the
            estimator was fitted on, in order; they label the axes.
        y : array-like of shape (n_samples,), default=None
            Classifier: labels coloring the points. Regressor: targets,
            required; the y range (padded by 10%) spans the grid.
        features : tuple of two int or str, default=(0, 1)
            Columns of ``X`` on the horizontal and vertical axes
            (classifier only), by position or by name. ``X`` must still
            have exactly two features.
        grid_resolution : int, default=100
            Number of grid points along each axis.
        class_index : int or str, default=None
            Index into ``estimator.classes_`` of the class whose energy is
            shown, or a class label that is a string; None shows the
            minimum energy over the classes.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.
        **kwargs : dict
            Passed to :meth:`plot` (``cmap``, ``levels``, ``scatter``, and
            on to matplotlib's ``contourf``).

        Returns
        -------
        display : EnergyLandscapeDisplay
        """
        estimator = searched(estimator)
        model, preprocess = _energy_model(estimator)
        check_is_fitted(estimator)
        columns = input_columns(estimator, X)
        X = np.asarray(X, dtype=float)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-dimensional, got shape {X.shape}.")
        grid_resolution = int(grid_resolution)
        if grid_resolution < 2:
            raise ValueError("grid_resolution must be at least 2, got "
                             f"{grid_resolution}.")
        name = type(model).__name__
        if isinstance(model, EnergyClassifier):
            disp = cls._from_classifier(estimator, model, preprocess, X, y,
                                        features, grid_resolution, class_index,
                                        columns)
        elif y is None:
            raise ValueError(f"EnergyLandscapeDisplay needs y for a regressor "
                             f"({name}): the grid spans the range of y.")
        else:
            disp = cls._from_regressor(estimator, model, preprocess, X, y,
                                       grid_resolution, columns)
        return disp.plot(ax=ax, **kwargs)

    @classmethod
    def _from_classifier(cls, estimator, clf, preprocess, X, y, features,
                         grid_resolution, class_index, columns):
        if clf._label_vectors():
            raise ValueError(
                "EnergyLandscapeDisplay plots the energies of classes; this "
                "classifier answers label vectors, whose per-label energies "
                "have no argmin to draw as regions.")
        if X.shape[1] != 2:
            if preprocess is None:
                hint = "Reduce X first (e.g. with PCA(n_components=2))."
            else:
                hint = ("The grid spans the pipeline's input; to plot in a "
                        "space the pipeline computes (e.g. after PCA), pass "
                        "pipe[-1] and pipe[:-1].transform(X).")
            raise ValueError(
                f"EnergyLandscapeDisplay plots a classifier on exactly 2 "
                f"features; X has {X.shape[1]}. {hint}")
        features = tuple(position(f, columns, "features") for f in features)
        if (len(features) != 2 or set(features) - {0, 1}
                or features[0] == features[1]):
            raise ValueError(f"features must be (0, 1) or (1, 0), got {features}.")
        f0, f1 = features
        x0 = np.linspace(*_padded_range(X[:, f0]), grid_resolution)
        x1 = np.linspace(*_padded_range(X[:, f1]), grid_resolution)
        xx0, xx1 = np.meshgrid(x0, x1)
        grid = np.empty((xx0.size, 2))
        grid[:, f0] = xx0.ravel()
        grid[:, f1] = xx1.ravel()
        energies = np.asarray(clf.energies(_model_input(estimator, preprocess,
                                                        grid)))
        n_classes = energies.shape[1]
        if class_index is None:
            energy = energies.min(axis=1)
            what = "min over classes"
        else:
            class_index = position(class_index, clf.classes_, "class_index")
            if not -n_classes <= class_index < n_classes:
                raise ValueError(f"class_index={class_index} out of range for "
                                 f"{n_classes} classes.")
            energy = energies[:, class_index]
            label = clf.classes_[class_index]
            # a numpy scalar's repr is np.int64(2)
            what = f"class {label.item() if hasattr(label, 'item') else label!r}"
        names = feature_names(columns, 2)
        return cls(xx0=xx0, xx1=xx1, energy=energy.reshape(xx0.shape),
                   kind="classifier",
                   prediction=energies.argmin(axis=1).reshape(xx0.shape),
                   X=X[:, [f0, f1]], y=None if y is None else np.asarray(y),
                   xlabel=names[f0], ylabel=names[f1],
                   title=f"{type(clf).__name__} energy ({what})")

    @classmethod
    def _from_regressor(cls, estimator, reg, preprocess, X, y, grid_resolution,
                        columns):
        if X.shape[1] != 1:
            raise ValueError(
                f"EnergyLandscapeDisplay plots a regressor on exactly 1 "
                f"feature; X has {X.shape[1]}.")
        if reg.n_outputs_ != 1:
            raise ValueError(
                "EnergyLandscapeDisplay plots a regressor of one target; this "
                f"one was fitted on {reg.n_outputs_}.")
        name = getattr(y, "name", None)  # a pandas Series's
        y = np.asarray(y, dtype=float)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError("EnergyLandscapeDisplay supports a single target; "
                             f"y has shape {y.shape}.")
        xs = np.linspace(*_padded_range(X[:, 0], pad=0.0), grid_resolution)
        ys = np.linspace(*_padded_range(y), grid_resolution)
        xx0, xx1 = np.meshgrid(xs, ys)
        inputs = _model_input(estimator, preprocess, xx0.reshape(-1, 1))
        energy = np.asarray(reg.energies(inputs, xx1.ravel()))
        return cls(xx0=xx0, xx1=xx1, energy=energy.reshape(xx0.shape),
                   kind="regressor", X=X, y=y,
                   xlabel=feature_names(columns, 1)[0],
                   ylabel="y" if name is None else str(name),
                   title=f"{type(reg).__name__} energy E(x, y)")


def _energy_model(estimator):
    """The energy-based model to plot, and the function that maps the grid
    into its input space (None when the estimator is the model itself)."""
    models = (EnergyClassifier, EnergyRegressor)
    if isinstance(estimator, Pipeline):
        final = estimator.steps[-1][1]
        if not isinstance(final, models):
            what = (repr(final) if final is None or isinstance(final, str)
                    else type(final).__name__)
            raise TypeError(
                "EnergyLandscapeDisplay plots a Pipeline whose final step is "
                f"an EnergyClassifier or an EnergyRegressor; its final step "
                f"is {what}.")
        if len(estimator.steps) == 1:
            return final, None
        return final, estimator[:-1].transform
    if not isinstance(estimator, models):
        raise TypeError(
            "EnergyLandscapeDisplay plots an EnergyClassifier, an "
            "EnergyRegressor or a Pipeline ending in one; got "
            f"{type(estimator).__name__}.")
    return estimator, None


def _model_input(estimator, preprocess, grid):
    """The grid as the final model sees it: with the estimator's column names
    when it was fitted on named columns (so that it is not warned about
    missing feature names), then through the preprocessing steps, if any."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and len(names) == grid.shape[1]:
        import pandas as pd

        grid = pd.DataFrame(grid, columns=names)
    return grid if preprocess is None else preprocess(grid)


def _padded_range(values, pad=0.1):
    # missing values (a pipeline that imputes them) span nothing
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    width = hi - lo if hi > lo else 1.0
    return lo - pad * width, hi + pad * width

