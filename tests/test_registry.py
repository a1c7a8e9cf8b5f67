"""Adding a loss or an energy is one new class plus one registry line: a
throwaway loss and two throwaway energies, registered here, work by name in
both estimators, their parameter validation and the command line."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skebm import EnergyClassifier, EnergyRegressor
from skebm._cli import main
from skebm.energies import (
    CLASSIFIER_ENERGIES,
    REGRESSOR_ENERGIES,
    register_energy,
)
from skebm.energies._continuous import _AnswerEnergy
from skebm.energies._network import _BaseEnergy
from skebm.inference import IntervalSpace
from skebm.losses import LOSSES, BaseLoss, register_loss
from skebm.losses._base import _correct_energy, _most_offending, _pair_gradient


class SquaredHingeLoss(BaseLoss):
    """``max(0, margin + E_C - E_I)^2``: a smooth hinge."""

    name = "squared_hinge"
    constants = ("margin",)
    built_with = []

    def __init__(self, margin=1.0):
        self.margin = margin
        SquaredHingeLoss.built_with.append(margin)

    def value_gradient(self, energies, y, incorrect=None, **answers):
        e_c = _correct_energy(energies, y)
        e_i, cols = _most_offending(energies, y, incorrect)
        slack = np.maximum(self.margin + e_c - e_i, 0.0)
        return slack**2, _pair_gradient(energies, y, cols, 2 * slack, -2 * slack)


class TanhScoreEnergy(_BaseEnergy):
    """``E_k(x) = -tanh(g_k(x))`` with a linear ``g``: bounded energies."""

    @classmethod
    def build(cls, loss, hidden_layer_sizes=(), activation="relu", answers=None):
        return cls((), "identity")

    def _n_outputs(self, n_features, n_answers):
        return n_answers

    def _head(self, g):
        return -np.tanh(g)

    def _head_backward(self, g, d_energies):
        return -d_energies * (1.0 - np.tanh(g) ** 2), []


class HeteroscedasticEnergy(_AnswerEnergy):
    """``E(x, y) = 1/2 (y - m(x))^2 exp(s(x))``: a Gaussian whose precision
    depends on x, searched on a grid."""

    answer_space = IntervalSpace
    multi_output = False

    @classmethod
    def build(cls, loss, hidden_layer_sizes=(), activation="relu", answers=None):
        return cls(hidden_layer_sizes, activation)

    def _n_outputs(self, n_features, n_answers):
        return 2

    def _answer_head(self, g, Y, grid):
        answers = Y if grid is None else np.concatenate(
            [Y, np.broadcast_to(grid, (len(Y), len(grid)))], axis=1)
        diff = answers - g[:, :1]
        precision = np.exp(g[:, 1:])
        return 0.5 * diff**2 * precision, (diff, precision)

    def _answer_head_backward(self, g, Y, grid, cache, d_energies):
        diff, precision = cache
        d_mean = -np.sum(d_energies * diff * precision, axis=1)
        d_log_precision = np.sum(d_energies * 0.5 * diff**2 * precision, axis=1)
        return np.stack([d_mean, d_log_precision], axis=1)


@pytest.fixture
def registered():
    register_loss(SquaredHingeLoss)
    register_energy("tanh_score", "classifier")(TanhScoreEnergy)
    register_energy("heteroscedastic", "regressor")(HeteroscedasticEnergy)
    SquaredHingeLoss.built_with.clear()
    yield
    del LOSSES["squared_hinge"]
    del CLASSIFIER_ENERGIES["tanh_score"]
    del REGRESSOR_ENERGIES["heteroscedastic"]


def test_registered_loss_and_energy_in_the_classifier(registered):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = EnergyClassifier(loss="squared_hinge", energy="tanh_score", margin=0.5,
                           random_state=0).fit(X, y)
    assert isinstance(clf.energy_, TanhScoreEnergy)
    # every build (alpha="auto" builds one per trial) takes the estimator's margin
    assert SquaredHingeLoss.built_with and set(SquaredHingeLoss.built_with) == {0.5}
    assert clf.score(X, y) > 0.9
    assert np.all(np.abs(clf.energies(X)) <= 1.0)
    # and in a grid search over losses, beside the built-in ones
    search = GridSearchCV(EnergyClassifier(random_state=0),
                          {"loss": ["squared_hinge", "hinge"],
                           "energy": ["tanh_score", "linear"]}, cv=3).fit(X, y)
    assert search.cv_results_["mean_test_score"].min() > 0.8


def test_registered_loss_and_energy_in_the_regressor(registered):
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    reg = EnergyRegressor(loss="squared_hinge", random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.45
    reg = EnergyRegressor(energy="heteroscedastic", hidden_layer_sizes=(16,),
                          random_state=0).fit(X, y)
    assert isinstance(reg.energy_, HeteroscedasticEnergy)
    assert reg.score(X, y) > 0.45
    # the density of the registered energy integrates to one on its grid
    ys = np.linspace(*reg.support_, 4001)
    dens = np.exp(reg.predict_log_density(np.repeat(X[:1], len(ys), 0), ys))
    assert np.trapezoid(dens, ys) == pytest.approx(1.0, abs=0.02)


def test_a_registered_grid_energy_is_checked_as_joint_is(registered):
    # the checks of the targets read the answer space, not the name "joint"
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    rare = np.zeros(200)
    rare[5] = 1.0
    reg = EnergyRegressor(energy="heteroscedastic", hidden_layer_sizes=(8,),
                          max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert reg.fit(X, rare).alpha_ == 10
        with pytest.warns(UserWarning, match="stretch the grid"):
            reg.set_params(alpha=1.0).fit(X, np.r_[rng.normal(size=199), 99999.0])


def test_unregistered_names_are_refused_by_parameter_validation(registered):
    X, y = load_iris(return_X_y=True)
    for est in [EnergyClassifier(energy="heteroscedastic"),
                EnergyRegressor(energy="tanh_score"),
                EnergyClassifier(loss="no_such_loss")]:
        with pytest.raises(ValueError, match="must be a str among"):
            clone(est).fit(X, y)


def test_registered_names_in_the_command_line(registered, capsys):
    main(["compare", "iris", "--losses", "squared_hinge,hinge",
          "--energies", "tanh_score", "--cv", "2"])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if "tanh_score" in line]
    assert len(rows) == 2
    assert any("squared_hinge" in line for line in rows)
    main(["compare", "diabetes", "--losses", "nll", "--energies",
          "heteroscedastic", "--cv", "2"])
    out = capsys.readouterr().out
    assert any("heteroscedastic" in line and "nll" in line
               for line in out.splitlines())


def test_energy_is_a_plain_parameter():
    assert type(EnergyClassifier().energy) is str
    assert type(EnergyRegressor().energy) is str
    pipe = make_pipeline(StandardScaler(), EnergyClassifier(energy="mlp"))
    assert pipe.get_params()["energyclassifier__energy"] == "mlp"


def test_auto_is_not_a_name_to_register():
    with pytest.raises(ValueError, match="'auto' is reserved"):
        register_energy("auto", "classifier")
