"""The compatibility table (``skebm/_compatibility.py``) says what ``fit``
does with every loss and energy: the pairs it refuses are refused, and the
energies of the others have the sign the table gives."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skebm import EnergyClassifier, EnergyRegressor, compatibility_table
from skebm.losses import LOSSES


def _classifier_case():
    X, y = load_iris(return_X_y=True)

    def make(loss, label):
        hidden = () if "=()" in label else (4,)
        return EnergyClassifier(loss=loss, energy=label.split(",")[0],
                                hidden_layer_sizes=hidden, max_iter=5)

    return StandardScaler().fit_transform(X), y, make, lambda m, X, y: m.energies(X)


def _regressor_case():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 3))
    y = 2.0 * X[:, 0] + np.sin(2 * X[:, 1]) + 0.1 * rng.normal(size=160) + 5.0

    def make(loss, energy):
        return EnergyRegressor(loss=loss, energy=energy, hidden_layer_sizes=(4,),
                               alpha=1.0, max_iter=3, random_state=0)

    # energies of other answers than the targets
    return X, y, make, lambda m, X, y: m.energies(X, y[::-1])


@pytest.mark.parametrize("estimator, case, n_rows, refused", [
    ("classifier", _classifier_case, 36, [("energy", "distance")]),
    ("regressor", _regressor_case, 3 * len(LOSSES),
     [("energy", "joint"), ("lvq2", "linear"), ("lvq2", "mlp")]),
])
def test_compatibility_table_says_what_fit_does(estimator, case, n_rows, refused):
    X, y, make, energies_of = case()
    rows = compatibility_table(estimator)
    assert len(rows) == n_rows
    for loss, label, outcome in rows:
        model = make(loss, label)
        if outcome.startswith("refused"):
            with pytest.raises(ValueError, match="ill-posed"):
                model.fit(X, y)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            energies = energies_of(model.fit(X, y), X, y)
        if ">= 0" in outcome:
            assert energies.min() >= 0, (loss, label)
        if "> 0" in outcome:
            assert energies.min() > 0, (loss, label)
        if LOSSES[loss].energy_domain != "real":
            assert "any sign" not in outcome
    assert [(loss, label) for loss, label, o in rows if o.startswith("refused")] \
        == refused


def test_unknown_estimator_kind():
    with pytest.raises(ValueError, match="classifier.*regressor"):
        compatibility_table("ranker")
