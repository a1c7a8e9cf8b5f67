import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_iris, load_wine
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skebm import EnergyClassifier, EnergyRegressor

MATCH = r"3 of X's 13 columns are far from unit scale .* StandardScaler"


@pytest.fixture(scope="module")
def wine():
    return load_wine(return_X_y=True)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_raw_features_far_from_unit_scale_warn_at_fit(wine):
    X, y = wine
    clf = EnergyClassifier(max_iter=5, random_state=0)
    with pytest.warns(UserWarning, match=MATCH):
        clf.fit(X, y)
    with pytest.warns(UserWarning, match=MATCH):
        clf.fit(sp.csr_matrix(X), y)
    reg = EnergyRegressor()
    with pytest.warns(UserWarning, match=MATCH):
        reg.fit(X, y.astype(float))


def test_only_the_first_partial_fit_warns(wine):
    X, y = wine
    clf = EnergyClassifier(solver="adam", random_state=0)
    with pytest.warns(UserWarning, match=MATCH):
        clf.partial_fit(X[:50], y[:50], classes=np.unique(y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.partial_fit(X[50:100], y[50:100])


def test_standardized_and_near_unit_features_do_not_warn(wine):
    X, y = wine
    Xi, yi = load_iris(return_X_y=True)  # raw, but within a few units
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_pipeline(StandardScaler(), EnergyClassifier(random_state=0)).fit(X, y)
        EnergyClassifier(random_state=0).fit(Xi, yi)


def test_x_that_is_not_numeric_is_left_to_validation():
    X = pd.DataFrame({"a": ["x", "y", "z", "w"], "b": [1.0, 2.0, 3.0, 4.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="could not convert"):
            EnergyRegressor().fit(X, [1.0, 2.0, 3.0, 4.0])


def test_the_check_sums_blocks_of_rows_and_copies_no_x(monkeypatch):
    # a float64 copy of X made the million-row fit's peak memory 4.3 times
    # the data's, where the docs' table had 0.26
    import tracemalloc

    from skebm import _feature_scale

    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 40.0, size=(40000, 50)).astype(np.float32)
    X[5, 1] = np.nan
    tracemalloc.start()
    try:
        with pytest.warns(UserWarning, match="50 of X's 50 columns"):
            _feature_scale.warn_unscaled(X, "EnergyRegressor")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * X.nbytes
    # the moments of blocks of a few rows are the whole columns'
    monkeypatch.setattr(_feature_scale, "_BLOCK_VALUES", 120)
    mean, var, spread = _feature_scale._column_moments(X)
    np.testing.assert_allclose(mean, np.nanmean(X.astype(np.float64), axis=0),
                               rtol=1e-10)
    np.testing.assert_allclose(var, np.nanvar(X.astype(np.float64), axis=0),
                               rtol=1e-10)
    X64 = X.astype(np.float64)
    np.testing.assert_array_equal(spread,
                                  np.nanmax(X64, axis=0) - np.nanmin(X64, axis=0))


def test_a_float32_sparse_variance_past_its_range_is_far():
    # float32 squares overflowed inside scikit-learn: a leaked RuntimeWarning
    # and no scale warning
    from skebm._feature_scale import warn_unscaled

    X = sp.random(200, 3, density=0.5, format="csr", dtype=np.float32,
                  random_state=0)
    X.data[:5] *= 1e21
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_unscaled(X, "EnergyRegressor")
    assert [w.category for w in caught] == [UserWarning]
    assert "far from unit scale" in str(caught[0].message)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_dense_features_all_far_below_unit_scale_warn():
    # scikit-learn's diabetes: every column's standard deviation is 0.048
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    reg = EnergyRegressor(max_iter=5)
    with pytest.warns(UserWarning, match=r"10 of X's 10 columns are far from unit "
                                         r"scale \(standard deviations up to 0.0476"):
        reg.fit(X, y)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*far from unit scale")
        # one column at unit scale among small ones, small sparse columns
        # (tf-idf's are), dense one-hot columns of a 300-level category and
        # rare flags (standard deviations below 0.1, ranges of 1), and a
        # partial_fit's first batch of standardized time-ordered rows are
        # left alone
        EnergyRegressor(max_iter=5).fit(np.c_[X, 20 * X[:, 0]], y)
        EnergyRegressor(max_iter=5).fit(sp.csr_matrix(X), y)
        levels = np.random.default_rng(0).integers(0, 300, 3000)
        onehot = (levels[:, None] == np.arange(300)).astype(float)
        EnergyClassifier(energy="linear", max_iter=5).fit(onehot, levels % 2)
        t = StandardScaler().fit_transform(np.linspace(0, 10, 1000)[:, None])
        EnergyRegressor(energy="linear").partial_fit(t[:50], np.sin(t[:50, 0]))
