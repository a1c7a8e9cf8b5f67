"""Tests of skebm.plot (Display objects, loss curve)."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs

pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skebm import EnergyClassifier, EnergyRegressor, MHSampler  # noqa: E402
from skebm.plot import (  # noqa: E402
    EnergyLandscapeDisplay,
    LossCurveDisplay,
    TraceDisplay,
    plot_loss_curve,
)
from skebm.sampling import autocorr_function  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=90, centers=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = EnergyClassifier(max_iter=50, random_state=0).fit(X, y)
    return clf, X, y


def _labelled(ax):
    return ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


@pytest.mark.parametrize("class_index", [None, 1])
def test_landscape_classifier(blobs, class_index):
    clf, X, y = blobs
    disp = EnergyLandscapeDisplay.from_estimator(
        clf, X, y, grid_resolution=25, class_index=class_index)
    assert disp.xx0.shape == disp.xx1.shape == disp.energy.shape == (25, 25)
    assert disp.prediction.shape == (25, 25)
    assert np.isfinite(disp.energy).all()
    assert _labelled(disp.ax_)
    assert disp.colorbar_ is not None
    assert disp.colorbar_.ax.get_ylabel() == "energy"
    # one edge a class: contours of the class index drew two lines where
    # classes 0 and 2 meet
    assert len(disp.boundary_) == len(np.unique(disp.prediction)) == 3
    assert disp.scatter_ is not None
    legend = disp.ax_.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["0", "1", "2"]
    assert disp.figure_ is disp.ax_.figure
    grid = np.c_[disp.xx0.ravel(), disp.xx1.ravel()]
    expected = clf.energies(grid)
    expected = expected.min(axis=1) if class_index is None else \
        expected[:, class_index]
    np.testing.assert_allclose(disp.energy.ravel(), expected)


def test_landscape_takes_styles_and_is_restyled_with_one_colorbar(blobs):
    clf, X, y = blobs
    disp = EnergyLandscapeDisplay.from_estimator(clf, X, y, grid_resolution=10,
                                                 cmap="magma", levels=5, alpha=0.5)
    assert disp.contour_.get_cmap().name == "magma"
    assert disp.contour_.get_alpha() == 0.5
    disp.plot(ax=disp.ax_, cmap="Greys")
    # one colorbar, where a second was drawn beside the first
    assert len(disp.figure_.axes) == 2
    assert disp.contour_.get_cmap().name == "Greys"
    # drawn again after the colorbar's removal or on cleared Axes (the
    # colorbar's removal raised KeyError and AttributeError)
    disp.colorbar_.remove()
    disp.plot(ax=disp.ax_)
    disp.ax_.cla()
    assert len(disp.plot(ax=disp.ax_, colors="k").figure_.axes) == 3


def test_landscape_classifier_swapped_features_and_ax(blobs):
    clf, X, _ = blobs
    _, ax = plt.subplots()
    disp = EnergyLandscapeDisplay.from_estimator(
        clf, X, features=(1, 0), grid_resolution=10, ax=ax)
    assert disp.ax_ is ax
    # horizontal axis follows feature 1
    assert disp.xx0.min() < X[:, 1].min() and disp.xx0.max() > X[:, 1].max()


def test_landscape_classifier_rejects_three_features(blobs):
    X, y = make_blobs(n_samples=60, n_features=3, centers=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = EnergyClassifier(max_iter=20, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="exactly 2 features"):
        EnergyLandscapeDisplay.from_estimator(clf, X, y)


def test_landscape_classifier_bad_class_index(blobs):
    clf, X, y = blobs
    with pytest.raises(ValueError, match="class_index"):
        EnergyLandscapeDisplay.from_estimator(clf, X, y, class_index=5,
                                              grid_resolution=5)


def test_landscape_regressor():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (80, 1))
    y = X[:, 0] + rng.normal(0, 0.1, 80)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = EnergyRegressor(max_iter=30, random_state=0).fit(X, y)
    disp = EnergyLandscapeDisplay.from_estimator(reg, X, y, grid_resolution=20)
    assert disp.energy.shape == (20, 20)
    assert disp.prediction is None
    assert disp.xx1.min() < y.min() and disp.xx1.max() > y.max()
    assert _labelled(disp.ax_)
    assert disp.colorbar_.ax.get_ylabel() == "energy"
    with pytest.raises(ValueError, match="needs y"):
        EnergyLandscapeDisplay.from_estimator(reg, X)
    with pytest.raises(ValueError, match="exactly 1 feature"):
        EnergyLandscapeDisplay.from_estimator(reg, np.c_[X, X], y)
    # a named target labels its axis
    pd = pytest.importorskip("pandas")
    disp = EnergyLandscapeDisplay.from_estimator(
        reg, X, pd.Series(y, name="medv"), grid_resolution=5)
    assert disp.ax_.get_ylabel() == "medv"


# -- a Pipeline ending in an energy-based estimator --------------------------------


@pytest.fixture(scope="module")
def iris_pipeline():
    pd = pytest.importorskip("pandas")
    from sklearn.datasets import load_iris
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    iris = load_iris(as_frame=True)
    X = iris.data[["petal length (cm)", "sepal width (cm)"]]
    assert isinstance(X, pd.DataFrame)
    pipe = make_pipeline(StandardScaler(), EnergyClassifier(random_state=0))
    return pipe.fit(X, iris.target), X, iris.target


@pytest.mark.parametrize("class_index", [None, 2])
def test_landscape_of_a_pipeline_is_drawn_in_raw_units(iris_pipeline,
                                                        class_index):
    import pandas as pd

    pipe, X, y = iris_pipeline
    with warnings.catch_warnings():
        # the grid keeps the column names: no "feature names" warning
        warnings.simplefilter("error")
        disp = EnergyLandscapeDisplay.from_estimator(
            pipe, X, y, grid_resolution=30, class_index=class_index)
    raw = X.to_numpy()
    # the axes span the raw features (centimetres), not the standardized ones
    for grid, column in [(disp.xx0, raw[:, 0]), (disp.xx1, raw[:, 1])]:
        assert grid.min() < column.min() < column.max() < grid.max()
        assert grid.max() - grid.min() < 1.5 * np.ptp(column)
    assert disp.ax_.get_xlabel() == "petal length (cm)"
    assert disp.ax_.get_ylabel() == "sepal width (cm)"
    assert "EnergyClassifier" in disp.ax_.get_title()
    # the energies are those of the final step on the transformed grid
    grid = np.c_[disp.xx0.ravel(), disp.xx1.ravel()]
    scaled = pipe[:-1].transform(pd.DataFrame(grid, columns=X.columns))
    energies = pipe[-1].energies(scaled)
    expected = energies.min(axis=1) if class_index is None else \
        energies[:, class_index]
    np.testing.assert_allclose(disp.energy.ravel(), expected)
    np.testing.assert_array_equal(disp.prediction.ravel(),
                                  energies.argmin(axis=1))
    # and they are not the final step's energies on the raw grid
    assert not np.allclose(disp.energy.ravel(),
                           pipe[-1].energies(grid).min(axis=1))


def test_landscape_reads_columns_by_name_missing_values_and_searches(iris_pipeline):
    from sklearn.base import clone
    from sklearn.impute import SimpleImputer
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    pipe, X, y = iris_pipeline
    # columns swapped to swap the axes were read in the fitted order, and the
    # axes labelled wrongly, silently
    with pytest.raises(ValueError, match="feature names of X should match"):
        EnergyLandscapeDisplay.from_estimator(pipe, X[X.columns[::-1]], y)
    # a model fitted on an array takes the frame's names as labels
    disp = EnergyLandscapeDisplay.from_estimator(pipe[-1], X, y, grid_resolution=10)
    assert disp.ax_.get_xlabel() == "petal length (cm)"
    # columns and a class by name (int() of a name raised a ValueError)
    named = np.array(["setosa", "versicolor", "virginica"])[y]
    swapped = EnergyLandscapeDisplay.from_estimator(
        clone(pipe).fit(X, named), X, named,
        features=("sepal width (cm)", "petal length (cm)"),
        class_index="virginica", grid_resolution=10)
    assert swapped.ax_.get_xlabel() == "sepal width (cm)"
    assert "'virginica'" in swapped.ax_.get_title()
    with pytest.raises(ValueError, match="'petal' is none of"):
        EnergyLandscapeDisplay.from_estimator(pipe, X, y, features=("petal", 0))
    with pytest.raises(TypeError, match="ints or names, got 0.5"):
        EnergyLandscapeDisplay.from_estimator(pipe, X, y, features=(0.5, 1))
    # a missing value that the pipeline imputes left every grid point NaN;
    # the points of a class all missing are not drawn, nor named in the legend
    holed = X.copy()
    holed.iloc[np.flatnonzero(y == 0), 0] = np.nan
    imputing = make_pipeline(SimpleImputer(), *pipe.named_steps.values()).fit(holed, y)
    disp = EnergyLandscapeDisplay.from_estimator(imputing, holed, y,
                                                 grid_resolution=10)
    assert np.isfinite(disp.energy).all()
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == ["1", "2"]
    assert len(disp.scatter_.get_offsets()) == np.sum(y != 0)
    # a search plots its best estimator, in both displays
    search = GridSearchCV(pipe, {"energyclassifier__loss": ["nll", "hinge"]},
                          cv=2).fit(X, y)
    disp = EnergyLandscapeDisplay.from_estimator(search, X, y, grid_resolution=10)
    best = EnergyLandscapeDisplay.from_estimator(search.best_estimator_, X, y,
                                                 grid_resolution=10)
    np.testing.assert_array_equal(disp.energy, best.energy)
    curve = LossCurveDisplay.from_estimator(search)
    assert len(curve.line_.get_ydata()) == len(search.best_estimator_[-1].loss_curve_)
    # an estimator with estimator, cv and refit parameters is no search
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import TunedThresholdClassifierCV

    from skebm.plot._estimators import searched

    tuned = TunedThresholdClassifierCV(LogisticRegression())
    assert searched(tuned) is tuned
    with pytest.raises(ValueError, match="refit=False"):
        LossCurveDisplay.from_estimator(GridSearchCV(
            pipe, {"energyclassifier__loss": ["nll"]}, cv=2, refit=False).fit(X, y))


def test_landscape_of_a_regression_pipeline():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer

    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (120, 1))
    y = np.sin(X[:, 0]) + rng.normal(0, 0.1, 120)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = make_pipeline(SplineTransformer(n_knots=6),
                             EnergyRegressor(random_state=0)).fit(X, y)
    disp = EnergyLandscapeDisplay.from_estimator(pipe, X, y, grid_resolution=15)
    assert disp.xx0.min() == X.min() and disp.xx0.max() == X.max()
    expected = pipe[-1].energies(pipe[:-1].transform(disp.xx0.reshape(-1, 1)),
                               disp.xx1.ravel())
    np.testing.assert_allclose(disp.energy.ravel(), expected)


def test_landscape_refuses_what_it_cannot_plot(iris_pipeline):
    from sklearn.decomposition import PCA
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe, X, y = iris_pipeline
    logistic = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    with pytest.raises(TypeError, match="final step is LogisticRegression"):
        EnergyLandscapeDisplay.from_estimator(logistic, X, y)
    with pytest.raises(TypeError, match="got LogisticRegression"):
        EnergyLandscapeDisplay.from_estimator(logistic[-1], X, y)
    with pytest.raises(NotFittedError):
        EnergyLandscapeDisplay.from_estimator(
            make_pipeline(StandardScaler(), EnergyClassifier()), X, y)
    # a pipeline that reduces four features to two is gridded in its input
    X4 = np.random.default_rng(0).normal(size=(60, 4))
    y4 = (X4[:, 0] > 0).astype(int)
    reduced = make_pipeline(PCA(n_components=2),
                            EnergyClassifier(random_state=0)).fit(X4, y4)
    with pytest.raises(ValueError, match="pipeline's input"):
        EnergyLandscapeDisplay.from_estimator(reduced, X4, y4)


def test_landscape_refuses_label_vectors_and_several_targets():
    # a multi-label fit was drawn as argmin "regions" over per-label energies
    # with an empty legend; two targets failed on a shape of the grid's
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = EnergyClassifier(max_iter=5, random_state=0).fit(
            X, (rng.random((60, 3)) > 0.5).astype(int))
        two = EnergyRegressor(energy="joint", max_iter=2, alpha=1.0,
                              random_state=0).fit(X[:, :1], X)
    with pytest.raises(ValueError, match="label vectors"):
        EnergyLandscapeDisplay.from_estimator(labels, X)
    with pytest.raises(ValueError, match="one target; this one was fitted on 2"):
        EnergyLandscapeDisplay.from_estimator(two, X[:, :1], X[:, 0])


def test_landscape_title_names_a_class_as_its_label(blobs):
    clf, X, y = blobs
    disp = EnergyLandscapeDisplay.from_estimator(clf, X, y, class_index=-1)
    assert disp.title.endswith("(class 2)")


@pytest.fixture(scope="module")
def sampler():
    return MHSampler(lambda t: -0.5 * np.sum(t ** 2), init=np.zeros(2),
                     n_steps=400, n_chains=3, random_state=0).fit()


def test_trace_display(sampler):
    disp = TraceDisplay.from_estimator(sampler, dim=1)
    n_kept = sampler.chain_.shape[0]
    assert disp.chain.shape == (n_kept, 3)
    np.testing.assert_array_equal(disp.chain, sampler.chain_[:, :, 1])
    assert disp.autocorrelation.shape[1] == 3
    assert 2 <= disp.autocorrelation.shape[0] <= n_kept
    np.testing.assert_allclose(disp.autocorrelation[0], 1.0)
    assert len(disp.axes_) == 3 and len(disp.lines_) == 3
    for ax in disp.axes_:
        assert _labelled(ax)
    assert disp.axes_[0].get_legend() is not None
    assert disp.axes_[2].get_legend() is not None
    with pytest.raises(ValueError, match="dim"):
        TraceDisplay.from_estimator(sampler, dim=2)
    # 1.7 was read as 1, silently
    for bad in (1.7, "1"):
        with pytest.raises(TypeError, match="dim must be an int"):
            TraceDisplay.from_estimator(sampler, dim=bad)
    assert TraceDisplay.from_estimator(sampler, dim=np.int64(1)).dim == 1


def test_trace_display_given_axes(sampler):
    _, axes = plt.subplots(3, 1)
    disp = TraceDisplay.from_estimator(sampler, ax=axes, max_lag=10)
    assert disp.autocorrelation.shape == (11, 3)
    assert list(disp.axes_) == list(axes)
    # the project's one autocorrelation function, cut at max_lag
    np.testing.assert_array_equal(disp.autocorrelation,
                                  autocorr_function(sampler.chain_)[:11, :, 0])


def test_trace_display_of_a_chain_that_never_moves():
    chain = np.r_[np.zeros((30, 1)), np.linspace(0, 1, 30)[:, None]]
    chain = np.c_[np.full(60, 2.0), chain[:, 0]]
    acf = autocorr_function(chain[:, :, None])[:, :, 0]
    assert np.isnan(acf[:, 0]).all()  # undefined, not drawn
    disp = TraceDisplay(chain=chain, autocorrelation=acf).plot()
    assert len(disp.acf_lines_) == 2
    assert np.isfinite(disp.acf_lines_[1].get_ydata()).all()


def test_plot_loss_curve(blobs):
    clf, X, y = blobs
    ax = plot_loss_curve(clf)
    assert len(ax.lines[0].get_ydata()) == len(clf.loss_curve_)
    assert _labelled(ax)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = EnergyClassifier(solver="adam", max_iter=15, early_stopping=True,
                              random_state=0).fit(X, y)
    ax = plot_loss_curve(es)
    twins = [a for a in ax.figure.axes if a is not ax]
    assert len(twins) == 1
    assert twins[0].get_ylabel() == "validation score"
    assert twins[0].get_legend() is not None  # above both curves
    assert len(twins[0].lines[0].get_ydata()) == len(es.validation_scores_)


def test_loss_curve_display(blobs):
    clf, _, _ = blobs
    disp = LossCurveDisplay.from_estimator(clf)
    np.testing.assert_array_equal(disp.line_.get_ydata(), clf.loss_curve_)
    assert disp.validation_ax_ is None and disp.validation_line_ is None
    assert disp.ax_.get_legend() is not None
    assert disp.ax_.get_title() == "EnergyClassifier loss curve"
    assert disp.figure_ is disp.ax_.figure
    # drawn again on given Axes
    _, ax = plt.subplots()
    assert disp.plot(ax=ax).ax_ is ax
    assert LossCurveDisplay(loss_curve=[2.0, 1.0]).plot().ax_.get_title() == \
        "Loss curve"
    # two curves on one Axes: both were colour C0 and labelled "training
    # loss", and the second legend replaced the first
    other = LossCurveDisplay.from_estimator(clf, name="second", ax=ax)
    assert other.line_.get_color() != disp.line_.get_color()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "EnergyClassifier loss", "second loss"]
    assert ax.get_title() == "Loss curves"
    # an L-BFGS fit's points are iterations, an Adam fit's epochs
    assert clf.solver_ == "lbfgs" and disp.ax_.get_xlabel() == "iteration"
    assert LossCurveDisplay(loss_curve=[2.0, 1.0]).plot().ax_.get_xlabel() == "epoch"


def test_trace_needs_a_sampler(blobs):
    # a fitted model was reported as not fitted
    with pytest.raises(TypeError, match="chains of an MHSampler; got EnergyClassifier"):
        TraceDisplay.from_estimator(blobs[0])


def test_loss_curve_needs_one(sampler):
    with pytest.raises(ValueError, match="MHSampler has no loss_curve_"):
        plot_loss_curve(sampler)


@pytest.mark.parametrize("module", ["skebm", "skebm.plot"])
def test_import_does_not_import_matplotlib(module):
    code = (f"import sys, {module}; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
