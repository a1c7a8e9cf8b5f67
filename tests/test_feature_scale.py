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
