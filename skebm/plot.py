"""Plotting utilities for skebm, in scikit-learn's Display style.

matplotlib is imported lazily, inside the functions of this module, so that
``import skebm`` never imports it.
"""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._classifier import EnergyClassifier
from ._regressor import EnergyRegressor

__all__ = ["EnergyLandscapeDisplay", "TraceDisplay", "plot_loss_curve"]


def _check_matplotlib(caller):
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:  # pragma: no cover
        raise ImportError(
            f"{caller} requires matplotlib. Install it with "
            "`pip install matplotlib`.") from exc
    import matplotlib.pyplot as plt

    return plt


def _get_ax(ax, plt, **subplots_kw):
    if ax is None:
        _, ax = plt.subplots(**subplots_kw)
    return ax


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
    boundary_ : matplotlib QuadContourSet or None
        The decision boundaries (classifier with more than one class).
    scatter_ : matplotlib PathCollection or None
        The data points; a classifier's are coloured by class, with a legend
        when there are at most ten classes.
    colorbar_ : matplotlib Colorbar
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

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

    def plot(self, ax=None, *, cmap="viridis", levels=20, scatter=True):
        """Draw the landscape.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.
        cmap : str or Colormap, default="viridis"
            Colormap of the energy.
        levels : int, default=20
            Number of contour levels.
        scatter : bool, default=True
            Whether to draw the data points.

        Returns
        -------
        display : EnergyLandscapeDisplay
        """
        plt = _check_matplotlib("EnergyLandscapeDisplay.plot")
        ax = _get_ax(ax, plt)
        energy = np.where(np.isfinite(self.energy), self.energy, np.nan)
        self.contour_ = ax.contourf(self.xx0, self.xx1, energy, levels=levels,
                                    cmap=cmap)
        self.colorbar_ = ax.figure.colorbar(self.contour_, ax=ax)
        self.colorbar_.set_label("energy")
        self.boundary_ = None
        if self.prediction is not None and np.unique(self.prediction).size > 1:
            # a line wherever the predicted class index changes
            boundaries = np.arange(self.prediction.max()) + 0.5
            self.boundary_ = ax.contour(self.xx0, self.xx1, self.prediction,
                                        levels=boundaries, colors="white",
                                        linewidths=1.0)
        self.scatter_ = None
        if scatter and self.X is not None:
            if self.kind == "classifier":
                if self.y is not None:
                    classes, codes = np.unique(self.y, return_inverse=True)
                    self.scatter_ = ax.scatter(
                        self.X[:, 0], self.X[:, 1], c=codes, cmap="tab10",
                        vmin=0, vmax=9, edgecolors="k", s=20)
                    if len(classes) <= 10:  # one colour of tab10 per class
                        handles, _ = self.scatter_.legend_elements()
                        ax.legend(handles, [str(c) for c in classes],
                                  title="class", fontsize="small",
                                  loc="best")
                else:
                    self.scatter_ = ax.scatter(self.X[:, 0], self.X[:, 1],
                                               c="white", edgecolors="k", s=20)
            elif self.y is not None:
                self.scatter_ = ax.scatter(self.X[:, 0], self.y, c="white",
                                           edgecolors="k", s=12)
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel(self.ylabel)
        ax.set_title(self.title)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, features=(0, 1),
                       grid_resolution=100, class_index=None, ax=None):
        """Compute and plot the energy landscape of a fitted estimator.

        Parameters
        ----------
        estimator : EnergyClassifier, EnergyRegressor or Pipeline, fitted
            A classifier must take exactly two features, a regressor exactly
            one. A :class:`~sklearn.pipeline.Pipeline` must end in an
            EnergyClassifier or EnergyRegressor; the numbers of features
            are those of its input, which its first steps transform (into
            any number of features) before the final step's energies are
            computed. The axes are in the input's units.
        X : array-like of shape (n_samples, n_features)
            Data whose range spans the grid; drawn as points. For a
            pipeline, its raw input.
        y : array-like of shape (n_samples,), default=None
            Classifier: labels coloring the points. Regressor: targets,
            required; the y range (padded by 10%) spans the grid.
        features : tuple of two int, default=(0, 1)
            Columns of ``X`` on the horizontal and vertical axes
            (classifier only). ``X`` must still have exactly two features.
        grid_resolution : int, default=100
            Number of grid points along each axis.
        class_index : int, default=None
            Index into ``estimator.classes_`` of the class whose energy is
            shown; None shows the minimum energy over the classes.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.

        Returns
        -------
        display : EnergyLandscapeDisplay
        """
        model, preprocess = _energy_model(estimator)
        check_is_fitted(estimator)
        X = np.asarray(X, dtype=float)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-dimensional, got shape {X.shape}.")
        grid_resolution = int(grid_resolution)
        if grid_resolution < 2:
            raise ValueError("grid_resolution must be at least 2, got "
                             f"{grid_resolution}.")
        name = type(model).__name__
        if isinstance(model, EnergyClassifier):
            return cls._from_classifier(estimator, model, preprocess, X, y,
                                        features, grid_resolution, class_index,
                                        ax, name)
        if y is None:
            raise ValueError(f"EnergyLandscapeDisplay needs y for a regressor "
                             f"({name}): the grid spans the range of y.")
        return cls._from_regressor(estimator, model, preprocess, X, y,
                                   grid_resolution, ax, name)

    @classmethod
    def _from_classifier(cls, estimator, clf, preprocess, X, y, features,
                         grid_resolution, class_index, ax, name):
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
        features = tuple(int(f) for f in features)
        if len(features) != 2 or set(features) - {0, 1} or \
                features[0] == features[1]:
            raise ValueError(f"features must be (0, 1) or (1, 0), got {features}.")
        f0, f1 = features
        x0 = np.linspace(*_padded_range(X[:, f0]), grid_resolution)
        x1 = np.linspace(*_padded_range(X[:, f1]), grid_resolution)
        xx0, xx1 = np.meshgrid(x0, x1)
        grid = np.empty((xx0.size, 2))
        grid[:, f0] = xx0.ravel()
        grid[:, f1] = xx1.ravel()
        grid = _as_input(estimator, grid)
        if preprocess is not None:
            grid = preprocess(grid)
        energies = np.asarray(clf.energy(grid))
        n_classes = energies.shape[1]
        if class_index is None:
            energy = energies.min(axis=1)
            what = "min over classes"
        else:
            class_index = int(class_index)
            if not -n_classes <= class_index < n_classes:
                raise ValueError(f"class_index={class_index} out of range for "
                                 f"{n_classes} classes.")
            energy = energies[:, class_index]
            what = f"class {clf.classes_[class_index]!r}"
        prediction = energies.argmin(axis=1).reshape(xx0.shape)
        names = _feature_names(estimator, 2)
        disp = cls(xx0=xx0, xx1=xx1, energy=energy.reshape(xx0.shape),
                   kind="classifier", prediction=prediction,
                   X=X[:, [f0, f1]], y=None if y is None else np.asarray(y),
                   xlabel=names[f0], ylabel=names[f1],
                   title=f"{name} energy ({what})")
        return disp.plot(ax=ax)

    @classmethod
    def _from_regressor(cls, estimator, reg, preprocess, X, y, grid_resolution,
                        ax, name):
        if X.shape[1] != 1:
            raise ValueError(
                f"EnergyLandscapeDisplay plots a regressor on exactly 1 "
                f"feature; X has {X.shape[1]}.")
        y = np.asarray(y, dtype=float)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError("EnergyLandscapeDisplay supports a single target; "
                             f"y has shape {y.shape}.")
        xs = np.linspace(X[:, 0].min(), X[:, 0].max(), grid_resolution)
        ys = np.linspace(*_padded_range(y), grid_resolution)
        xx0, xx1 = np.meshgrid(xs, ys)
        inputs = _as_input(estimator, xx0.reshape(-1, 1))
        if preprocess is not None:
            inputs = preprocess(inputs)
        energy = np.asarray(reg.energy(inputs, xx1.ravel()))
        names = _feature_names(estimator, 1)
        disp = cls(xx0=xx0, xx1=xx1, energy=energy.reshape(xx0.shape),
                   kind="regressor", X=X, y=y, xlabel=names[0], ylabel="y",
                   title=f"{name} energy E(x, y)")
        return disp.plot(ax=ax)


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


def _as_input(estimator, grid):
    """The grid as a DataFrame with the estimator's column names when it was
    fitted on named columns (pandas being installed then), so that it is not
    warned about missing feature names; else the array itself."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None or len(names) != grid.shape[1]:
        return grid
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        return grid
    return pd.DataFrame(grid, columns=names)


def _padded_range(values, pad=0.1):
    lo, hi = float(np.min(values)), float(np.max(values))
    width = hi - lo if hi > lo else 1.0
    return lo - pad * width, hi + pad * width


def _feature_names(estimator, n):
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and len(names) == n:
        return [str(s) for s in names]
    return [f"feature {i}" for i in range(n)]


def _autocorrelation(x, max_lag):
    """Normalized autocorrelation of each column of x (n, n_chains), lags
    0..max_lag, via FFT."""
    n = x.shape[0]
    x = x - x.mean(axis=0)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    f = np.fft.rfft(x, n=size, axis=0)
    acov = np.fft.irfft(f * np.conj(f), n=size, axis=0)[: max_lag + 1]
    var = acov[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        acf = np.where(var > 0, acov / np.where(var > 0, var, 1.0), 0.0)
    acf[0] = 1.0
    return acf


class TraceDisplay:
    """Trace, histogram and autocorrelation of one dimension of an MCMC run.

    Use :meth:`from_estimator` to create it.

    Parameters
    ----------
    chain : ndarray of shape (n_kept, n_chains)
        The kept samples of one dimension, per chain.
    autocorrelation : ndarray of shape (max_lag + 1, n_chains)
        Normalized autocorrelation of each chain at lags ``0..max_lag``.
    dim : int
        The dimension shown.
    autocorr_time : float or None
        Integrated autocorrelation time of that dimension.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        The trace of each chain.
    hist_ : tuple
        What :meth:`matplotlib.axes.Axes.hist` returned.
    acf_lines_ : list of matplotlib Line2D
        The autocorrelation of each chain.
    axes_ : ndarray of three matplotlib Axes
        Trace, histogram and autocorrelation panels.
    ax_ : matplotlib Axes
        The trace panel (``axes_[0]``).
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skebm import MHSampler
    >>> from skebm.plot import TraceDisplay
    >>> sampler = MHSampler(lambda t: -0.5 * np.sum(t ** 2), init=np.zeros(2),
    ...                     n_steps=500, n_chains=2, random_state=0).fit()
    >>> disp = TraceDisplay.from_estimator(sampler, dim=1)
    >>> disp.chain.shape == sampler.chain_[:, :, 1].shape
    True
    >>> len(disp.axes_)
    3
    """

    def __init__(self, *, chain, autocorrelation, dim=0, autocorr_time=None):
        self.chain = chain
        self.autocorrelation = autocorrelation
        self.dim = dim
        self.autocorr_time = autocorr_time

    def plot(self, ax=None, *, bins=40):
        """Draw the three panels.

        Parameters
        ----------
        ax : array-like of three matplotlib Axes, default=None
            Axes for the trace, the histogram and the autocorrelation; a new
            figure with three panels is created when None.
        bins : int, default=40
            Number of histogram bins.

        Returns
        -------
        display : TraceDisplay
        """
        plt = _check_matplotlib("TraceDisplay.plot")
        if ax is None:
            _, axes = plt.subplots(1, 3, figsize=(13, 3.5))
        else:
            axes = np.asarray(ax, dtype=object).ravel()
            if axes.size != 3:
                raise ValueError(f"TraceDisplay needs 3 Axes, got {axes.size}.")
        trace_ax, hist_ax, acf_ax = axes
        n_chains = self.chain.shape[1]
        label = f"theta[{self.dim}]"
        self.lines_ = [trace_ax.plot(self.chain[:, c], lw=0.6,
                                     label=f"chain {c}")[0]
                       for c in range(n_chains)]
        trace_ax.set_xlabel("iteration (kept)")
        trace_ax.set_ylabel(label)
        trace_ax.set_title(f"Trace of {label}")
        samples = self.chain.ravel()
        self.hist_ = hist_ax.hist(samples, bins=bins, density=True,
                                  color="C0", alpha=0.7, label="kept samples")
        hist_ax.axvline(samples.mean(), color="k", ls="--",
                        label=f"mean {samples.mean():.3g}")
        hist_ax.set_xlabel(label)
        hist_ax.set_ylabel("density")
        hist_ax.set_title(f"Histogram of {label}")
        lags = np.arange(self.autocorrelation.shape[0])
        self.acf_lines_ = [acf_ax.plot(lags, self.autocorrelation[:, c],
                                       lw=0.8, label=f"chain {c}")[0]
                           for c in range(n_chains)]
        acf_ax.axhline(0.0, color="k", lw=0.5)
        acf_ax.set_xlabel("lag")
        acf_ax.set_ylabel("autocorrelation")
        title = "Autocorrelation"
        if self.autocorr_time is not None and np.isfinite(self.autocorr_time):
            title += f" (tau = {self.autocorr_time:.1f})"
        acf_ax.set_title(title)
        if n_chains <= 10:
            trace_ax.legend(fontsize="small", loc="upper right")
            acf_ax.legend(fontsize="small", loc="upper right")
        hist_ax.legend(fontsize="small")
        if ax is None:
            trace_ax.figure.tight_layout()
        self.axes_ = np.asarray(axes, dtype=object)
        self.ax_ = trace_ax
        self.figure_ = trace_ax.figure
        return self

    @classmethod
    def from_estimator(cls, sampler, *, dim=0, max_lag=None, ax=None):
        """Plot the diagnostics of one dimension of a fitted MHSampler.

        Parameters
        ----------
        sampler : MHSampler, fitted
            Uses ``chain_`` of shape (n_kept, n_chains, n_dim) and
            ``autocorr_time_``.
        dim : int, default=0
            The dimension to show.
        max_lag : int, default=None
            Largest lag of the autocorrelation. None uses five times the
            autocorrelation time (at least 50), capped at ``n_kept - 1``.
        ax : array-like of three matplotlib Axes, default=None
            Axes to draw on; a new figure is created when None.

        Returns
        -------
        display : TraceDisplay
        """
        check_is_fitted(sampler, "chain_")
        chain = np.asarray(sampler.chain_)
        n_dim = chain.shape[2]
        dim = int(dim)
        if not 0 <= dim < n_dim:
            raise ValueError(f"dim={dim} out of range for {n_dim} dimension(s).")
        x = chain[:, :, dim]
        tau = getattr(sampler, "autocorr_time_", None)
        tau = None if tau is None else float(np.atleast_1d(tau)[dim])
        if max_lag is None:
            max_lag = 50 if tau is None or not np.isfinite(tau) else \
                max(50, int(np.ceil(5 * tau)))
        max_lag = int(min(max_lag, x.shape[0] - 1))
        disp = cls(chain=x, autocorrelation=_autocorrelation(x, max(max_lag, 0)),
                   dim=dim, autocorr_time=tau)
        return disp.plot(ax=ax)


def plot_loss_curve(estimator, ax=None):
    """Plot the training loss per epoch, and the validation score if any.

    Parameters
    ----------
    estimator : EnergyClassifier or EnergyRegressor, fitted
        Uses ``loss_curve_`` and, when not None, ``validation_scores_``
        (drawn on a twin y axis).
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
    plt = _check_matplotlib("plot_loss_curve")
    check_is_fitted(estimator)
    curve = getattr(estimator, "loss_curve_", None)
    if curve is None:
        raise ValueError(f"{type(estimator).__name__} has no loss_curve_.")
    created = ax is None
    ax = _get_ax(ax, plt)
    epochs = np.arange(1, len(curve) + 1)
    lines = ax.plot(epochs, curve, color="C0", label="training loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.set_title(f"{type(estimator).__name__} loss curve")
    scores = getattr(estimator, "validation_scores_", None)
    top = ax
    if scores is not None and len(scores):
        top = ax.twinx()
        lines += top.plot(np.arange(1, len(scores) + 1), scores, color="C1",
                          label="validation score")
        top.set_ylabel("validation score")
    # on the top-most axes, so that no curve is drawn over the legend
    top.legend(lines, [line.get_label() for line in lines], loc="best")
    if created:
        ax.figure.tight_layout()  # room for the twin axis' label
    return ax
