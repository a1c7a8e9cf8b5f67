"""EnergyClassifier: behaviour, training parameters, bad input and accuracy."""

import pickle
import re
import types
import warnings

import numpy as np
import pytest
from scipy import sparse
from scipy.special import softmax
from sklearn.base import clone
from sklearn.datasets import (load_breast_cancer, load_digits, load_iris, load_wine,
                              make_blobs)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression, Perceptron
from sklearn.model_selection import (GridSearchCV, StratifiedKFold, cross_val_score,
                                     train_test_split)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

from skebm import EnergyClassifier, MHSampler
from skebm.energies import DistanceEnergy, LinearEnergy
from skebm.losses import LOSSES, LVQ2Loss, NLLLoss

LOSS_NAMES = sorted(LOSSES)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# -- every loss and energy trains --------------------------------------------


@pytest.mark.parametrize("energy", ["linear", "mlp", "distance"])
@pytest.mark.parametrize("loss", LOSS_NAMES)
def test_every_accepted_pair_trains(iris, loss, energy):
    X, y = iris
    hidden = () if (energy == "distance" and loss == "energy") else (16,)
    clf = EnergyClassifier(loss=loss, energy=energy, hidden_layer_sizes=hidden,
                           random_state=0, max_iter=300)
    clf.fit(X, y)
    # the energy loss on a linear code is least-squares classification, which
    # masks iris' middle class (Hastie et al., ESL §4.2)
    assert clf.score(X, y) > (0.75 if loss == "energy" else 0.85)
    assert clf.energies(X).shape == (len(X), 3)


@pytest.mark.parametrize("loss", ["lvq2", "square_square", "square_exp", "energy"])
@pytest.mark.parametrize("energy", ["linear", "mlp", "distance"])
def test_losses_get_the_energies_they_need(iris, loss, energy):
    X, y = iris
    hidden = () if (energy == "distance" and loss == "energy") else (8,)
    clf = EnergyClassifier(loss=loss, energy=energy, hidden_layer_sizes=hidden,
                           random_state=0, max_iter=50).fit(X, y)
    assert np.all(clf.energies(X) >= 0)
    if loss == "lvq2":
        assert np.all(clf.energies(X) > 0)


def test_energy_loss_with_learned_embedding_is_refused(iris):
    X, y = iris
    clf = EnergyClassifier(loss="energy", energy="distance")
    with pytest.raises(ValueError, match="ill-posed.*collapse"):
        clf.fit(X, y)
    assert not hasattr(clf, "energy_")


def test_energy_loss_with_identity_distance_is_nearest_centroid(iris):
    X, y = iris
    clf = EnergyClassifier(loss="energy", energy="distance", hidden_layer_sizes=(),
                           alpha=0.0, tol=1e-10, max_iter=1000).fit(X, y)
    means = np.stack([X[y == k].mean(axis=0) for k in range(3)])
    np.testing.assert_allclose(clf.energy_.prototypes_, means, atol=1e-4)


def test_lvq2_by_name_takes_the_estimators_margin(iris):
    X, y = iris

    def prototypes(**params):
        clf = EnergyClassifier(energy="distance", hidden_layer_sizes=(),
                               random_state=0, **params).fit(X, y)
        return clf.energy_.prototypes_

    by_name = prototypes(loss="lvq2", margin=0.5)
    np.testing.assert_array_equal(by_name, prototypes(loss=LVQ2Loss(margin=0.5)))
    # the tutorial's zero-margin rule stops elsewhere, and is one by name too
    zero = prototypes(loss=LVQ2Loss())
    assert not np.allclose(by_name, zero)
    np.testing.assert_array_equal(prototypes(loss="lvq2", margin=0.0), zero)


@pytest.mark.parametrize("seed", [1, 4])
def test_lvq2_on_an_mlp_starts_inside_its_window(seed):
    # iris in its own units (centimetres, no scale warning): from Glorot's
    # start many rows' energies lay outside LVQ2's window, where it is flat,
    # and these seeds stopped after 1 and 0 iterations at 0.56 and 0.33
    X, y = load_iris(return_X_y=True)
    clf = EnergyClassifier(loss="lvq2", energy="mlp", random_state=seed).fit(X, y)
    assert clf.n_iter_ > 1
    assert clf.score(X, y) > 0.9


# scikit-learn's check's own blobs, unscaled as there
@pytest.mark.filterwarnings("ignore:[0-9]+ of X's .* far from unit scale:UserWarning")
def test_lvq2_margin_lets_class_weight_move_the_boundary():
    # Overlapping blobs, class 0 weighted 1e7 times more (as in scikit-learn's
    # check_class_weight_classifiers). The zero-margin rule stops once the
    # last class-0 training point crosses the boundary; the relative margin
    # keeps pushing it out, as the weighted objective asks. This is the
    # check's own split; on others the zero-margin fit can reach 87% too.
    # The loss alone, at a hand-set beta: beta="auto" also tilts the
    # energies to the weighted class frequencies, which moves any loss's.
    X, y = make_blobs(centers=2, random_state=0, cluster_std=20)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.5,
                                                   random_state=0)

    def class0_share(loss, beta=1.0):
        clf = EnergyClassifier(loss=loss, energy="distance", beta=beta,
                               class_weight={0: 1000, 1: 1e-4}, random_state=0)
        return np.mean(clf.fit(X_train, y_train).predict(X_test) == 0)

    assert class0_share(LVQ2Loss()) < 0.87 < class0_share("lvq2")
    assert class0_share(LVQ2Loss(), beta="auto") > 0.87


def test_linear_nll_is_logistic_regression_with_c_one_over_alpha(iris):
    X, y = iris
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    clf = EnergyClassifier(alpha=2.0, tol=1e-10, max_iter=1000).fit(
        X, y, sample_weight=w)
    lr = LogisticRegression(C=0.5, tol=1e-10, max_iter=10000).fit(
        X, y, sample_weight=w)
    np.testing.assert_allclose(clf.predict_proba(X), lr.predict_proba(X),
                               atol=1e-6)
    # two classes: LogisticRegression's one weight vector is w_1 - w_0, whose
    # penalty is twice ours at the optimum (w_0 = -w_1)
    binary = y > 0
    clf = EnergyClassifier(alpha=2.0, tol=1e-10, max_iter=1000).fit(
        X[binary], y[binary], sample_weight=w[binary])
    lr = LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(
        X[binary], y[binary], sample_weight=w[binary])
    np.testing.assert_allclose(clf.predict_proba(X), lr.predict_proba(X),
                               atol=1e-6)


def test_invalid_sampler_parameters_are_named(iris):
    X, y = iris
    clf = EnergyClassifier(sampler=MHSampler(n_steps=-3))
    with pytest.raises(ValueError, match="'n_steps' parameter of MHSampler"):
        clf.fit(X, y)
    assert not hasattr(clf, "energy_")


# -- inference methods ----------------------------------------------------------


def test_prediction_methods_agree(iris):
    X, y = iris
    clf = EnergyClassifier(loss="hinge", beta=2.0, random_state=0).fit(X, y)
    energies = clf.energies(X)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba, softmax(-2.0 * energies, axis=1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(1)])
    np.testing.assert_array_equal(clf.decision_function(X), -energies)
    free = np.log(np.exp(-2.0 * energies).sum(axis=1)) / 2.0
    np.testing.assert_allclose(clf.score_samples(X), free)


def test_temperatures_of_margin_losses_minimize_the_cross_entropy():
    # fit_beta: the smoothed targets' cross-entropy at its minimum over beta;
    # match_beta: energies 4 times as large match probabilities at beta / 4
    from scipy.optimize import minimize_scalar

    from skebm.inference import ClassSpace

    rng = np.random.default_rng(0)
    E, y, w = rng.normal(size=(50, 3)), rng.integers(3, size=50), rng.uniform(1, 2, 50)
    space, energy = ClassSpace(3), types.SimpleNamespace(energies=lambda X: X)
    smooth = 3 / (w.sum() + 3)
    targets = np.full((50, 3), smooth / 3)
    targets[np.arange(50), y] += 1 - smooth

    def cross_entropy(t):
        return -w @ np.sum(targets * space.log_proba(E, np.exp(t)), axis=1)

    best = np.exp(minimize_scalar(cross_entropy, bounds=(-5, 5), method="bounded",
                                  options={"xatol": 1e-10}).x)
    margin, nll = (types.SimpleNamespace(partition=p) for p in (False, True))
    np.testing.assert_allclose(space.fit_beta(energy, E, y, w, margin, 1.0), best,
                               rtol=1e-6)
    assert space.fit_beta(energy, E, y, w, nll, 1.5) == 1.5
    np.testing.assert_allclose(
        space.match_beta(energy, 4.0 * E, w, space.proba(E, 2.0)), 0.5, rtol=1e-10)


def test_binary_decision_function(iris):
    X, y = iris
    mask = y < 2
    clf = EnergyClassifier(random_state=0).fit(X[mask], y[mask])
    decision = clf.decision_function(X[mask])
    assert decision.shape == (mask.sum(),)
    np.testing.assert_array_equal(clf.predict(X[mask]), (decision > 0).astype(int))


def test_score_samples_flags_out_of_distribution_with_distances(digits):
    X, y = digits
    clf = EnergyClassifier(energy="distance", hidden_layer_sizes=(),
                           random_state=0).fit(X, y)
    typical = np.median(clf.score_samples(X[:200]))
    noise = np.random.default_rng(0).normal(size=X[:200].shape)
    assert np.median(clf.score_samples(noise)) < typical
    assert np.median(clf.score_samples(X[:50] * 8.0 + 20.0)) < typical


def test_score_samples_of_unbounded_energies_grows_far_away(digits):
    # documented: -g(x) falls without bound, so far points look "typical"
    X, y = digits
    clf = EnergyClassifier(random_state=0).fit(X, y)
    assert (np.median(clf.score_samples(X[:50] * 8.0 + 20.0))
            > np.median(clf.score_samples(X[:200])))


def test_string_labels_and_pandas(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = EnergyClassifier(random_state=0).fit(frame, names)
    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    assert set(clf.predict(frame)) <= set(names)
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


def test_loss_instance_keeps_its_beta(iris):
    X, y = iris
    clf = EnergyClassifier(loss=NLLLoss(beta=3.0), beta=1.0).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), softmax(-3.0 * clf.energies(X), axis=1))
    assert isinstance(clf.loss_, float)


def test_loss_constants_are_validated_through_set_params(iris):
    X, y = iris
    clf = EnergyClassifier(loss=NLLLoss())
    with pytest.raises(ValueError, match="beta"):
        clf.set_params(loss__beta=0.0)
    clf.set_params(loss__beta=2.0)
    assert clf.loss.beta == 2.0


# about the parameter, not convergence: a fit short of it may warn
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_energy_is_parameter_and_method(iris):
    X, y = iris
    clf = EnergyClassifier(energy="mlp", hidden_layer_sizes=(5,), max_iter=20)
    assert clf.energy == "mlp"
    assert type(clf.get_params()["energy"]) is str
    assert clone(clf).get_params()["energy"] == "mlp"
    with pytest.raises(NotFittedError):
        clf.energies(X)
    clf.fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(restored.energies(X), clf.energies(X))
    assert restored.get_params() == clf.get_params()


def test_sparse_input_matches_dense(iris):
    X, y = iris
    dense = EnergyClassifier(random_state=0).fit(X, y)
    sp = EnergyClassifier(random_state=0).fit(sparse.csr_matrix(X), y)
    np.testing.assert_allclose(sp.energies(sparse.csr_matrix(X)), dense.energies(X),
                               rtol=1e-6, atol=1e-8)


def test_float32_is_kept(iris):
    X, y = iris
    clf = EnergyClassifier(energy="mlp", hidden_layer_sizes=(8,), random_state=0)
    clf.fit(X.astype(np.float32), y)
    assert clf.energy_.params_.dtype == np.float32
    assert clf.energies(X.astype(np.float32)).dtype == np.float32
    assert clf.score(X, y) > 0.9


# about seeds, not convergence: a fit short of it may warn
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_same_seed_same_model(iris):
    X, y = iris
    a = EnergyClassifier(energy="mlp", solver="adam", random_state=3).fit(X, y)
    b = EnergyClassifier(energy="mlp", solver="adam", random_state=3).fit(X, y)
    c = EnergyClassifier(energy="mlp", solver="adam", random_state=4).fit(X, y)
    np.testing.assert_array_equal(a.energy_.params_, b.energy_.params_)
    assert not np.array_equal(a.energy_.params_, c.energy_.params_)


# -- weights ----------------------------------------------------------------------


@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_integer_weights_match_repetition_for_a_convex_objective(iris,
                                                                 class_weight):
    # "balanced" counted the rows, not their weights (LogisticRegression
    # weighs them): 0.10 apart in probability
    X, y = iris
    w = np.random.default_rng(0).integers(0, 3, len(y))
    w[y == 0] *= 4
    # a fixed alpha: the objective converged (alpha="auto" refits for the
    # trials' number of iterations)
    kw = dict(alpha=0.5, tol=1e-8, max_iter=1000, class_weight=class_weight)
    weighted = EnergyClassifier(**kw).fit(X, y, sample_weight=w)
    repeated = EnergyClassifier(**kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X),
                               atol=1e-4)


@pytest.mark.parametrize("labels", [np.array([1, 2, 3]), np.array(["a", "b", "c"])])
def test_class_weight_keys_are_labels(iris, labels):
    X, y = iris
    named = labels[y]
    plain = EnergyClassifier(random_state=0).fit(X, named)
    heavy = EnergyClassifier(class_weight={labels[1]: 20.0},
                             random_state=0).fit(X, named)
    col = list(heavy.classes_).index(labels[1])
    assert heavy.predict_proba(X)[:, col].mean() > plain.predict_proba(X)[:, col].mean()


def test_class_weight_shifts_predictions():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    plain = EnergyClassifier(random_state=0).fit(X, y)
    heavy = EnergyClassifier(class_weight={0: 50.0, 1: 1.0, 2: 1.0},
                             random_state=0).fit(X, y)
    p0 = plain.predict_proba(X)[:, 0].mean()
    assert heavy.predict_proba(X)[:, 0].mean() > p0 + 0.01
    balanced = EnergyClassifier(class_weight="balanced", random_state=0).fit(X, y)
    assert balanced.score(X, y) > 0.95


def test_negative_sample_weight_is_refused(iris):
    X, y = iris
    w = np.ones(len(y))
    w[0] = -1.0
    with pytest.raises(ValueError, match="(?i)negative"):
        EnergyClassifier().fit(X, y, sample_weight=w)


def test_negative_class_weight_is_refused(iris):
    X, y = iris
    with pytest.raises(ValueError, match="class_weight must not be negative"):
        EnergyClassifier(class_weight={0: -1.0}).fit(X, y)


def test_no_weight_in_the_validation_split_is_refused(iris):
    # its accuracy was a ZeroDivisionError from inside numpy
    X, y = iris
    w = np.zeros(len(y))
    w[:5] = 1.0
    # (with adam: L-BFGS drops the rows of weight zero before the split)
    clf = EnergyClassifier(early_stopping=True, solver="adam", random_state=1,
                           max_iter=5)
    with pytest.raises(ValueError, match="leaves 0 row\\(s\\) of positive weight"):
        clf.fit(X, y, sample_weight=w)
    assert not hasattr(clf, "energy_")


def test_overflowing_energies_warn_once_and_spare_the_other_rows():
    # scipy's RuntimeWarning from the softmax leaked beside skebm's own
    rng = np.random.RandomState(0)
    X = rng.randn(100, 3).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    clf = EnergyClassifier(energy="distance", alpha=1.0, max_iter=10,
                           random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    rows = np.vstack([X[:2], np.full((1, 3), 1e20, np.float32)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proba = clf.predict_proba(rows)
        log_proba = clf.predict_log_proba(rows)
    assert [w.category for w in caught] == [UserWarning, UserWarning]
    assert "non-finite energies" in str(caught[0].message)
    np.testing.assert_allclose(proba[:2].sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(log_proba[:2]), proba[:2], rtol=1e-6)


def test_a_column_vector_y_is_warned_about_once(iris):
    # alpha="auto" validated it, then its refit warned a second time
    from sklearn.exceptions import DataConversionWarning

    X, y = iris
    clf = EnergyClassifier(max_iter=5, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y[:, None])
    assert [w.category for w in caught].count(DataConversionWarning) == 1
    assert clf.predict(X[:3]).shape == (3,)


def test_balanced_class_weight_is_refused_by_partial_fit(iris):
    X, y = iris
    with pytest.raises(ValueError, match="balanced"):
        EnergyClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


def test_zero_sample_weight_sum_is_refused(iris):
    X, y = iris
    with pytest.raises(ValueError, match="positive sum|non-zero"):
        EnergyClassifier().fit(X, y, sample_weight=np.zeros(len(y)))


# -- training parameters ------------------------------------------------------------


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_solvers_reach_a_good_fit(iris, solver):
    X, y = iris
    clf = EnergyClassifier(solver=solver, learning_rate_init=0.05, max_iter=500,
                           random_state=0).fit(X, y)
    assert clf.solver_ == solver
    assert clf.score(X, y) > 0.93
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_auto_solver_choice(iris):
    X, y = iris
    assert EnergyClassifier().fit(X, y).solver_ == "lbfgs"
    assert EnergyClassifier(loss="perceptron").fit(X, y).solver_ == "adam"
    clf = EnergyClassifier().partial_fit(X, y, classes=[0, 1, 2])
    assert clf.solver_ == "adam"


def test_convergence_warning_at_max_iter(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning):
        EnergyClassifier(solver="adam", max_iter=3).fit(X, y)
    # standardized features are not told to standardize (unscaled ones
    # have a warning of their own)
    with pytest.warns(ConvergenceWarning,
                      match=r"lbfgs reached max_iter=2 before converging\. "
                            r"Increase max_iter\.$"):
        EnergyClassifier(solver="lbfgs", max_iter=2).fit(X, y)


@pytest.mark.parametrize("alpha", [1.0, "auto"])
def test_warm_start_refuses_other_classes_or_features(iris, alpha):
    # they remapped the fitted weights to other labels, or started over, in
    # silence (MLPClassifier refuses both)
    X, y = iris
    clf = EnergyClassifier(warm_start=True, alpha=alpha, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
        before = pickle.dumps(clf)
        with pytest.raises(ValueError, match=r"warm_start continues the fitted "
                           r"classes \[0, 1, 2\]; y has classes \[1, 2, 3\]"):
            clf.fit(X, y + 1)
        with pytest.raises(ValueError, match="X has 3 features"):
            clf.fit(X[:, :3], y)
        # label vectors of as many labels are another kind of answer
        with pytest.raises(ValueError, match=r"classes \[0, 1, 2\]; y has labels"):
            clf.fit(X, np.eye(3, dtype=int)[y])
        assert pickle.dumps(clf) == before
        assert clf.fit(X, y).n_iter_ == 10


def test_warm_start_refuses_other_classes_before_alpha_auto_trials(iris,
                                                                   monkeypatch):
    X, y = iris
    clf = EnergyClassifier(warm_start=True, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    fits = []
    monkeypatch.setattr(EnergyClassifier, "_fit",
                        lambda self, *args, **kwargs: fits.append(1))
    with pytest.raises(ValueError, match="warm_start continues"):
        clf.fit(X, y + 1)
    assert not fits


def test_early_stopping_on_too_few_rows_for_its_classes_names_the_cause():
    # scikit-learn's splitter error came alone, naming neither the option
    # nor a way out
    X = np.random.default_rng(0).normal(size=(10, 4))
    clf = EnergyClassifier(early_stopping=True, random_state=0)
    with pytest.raises(ValueError, match=r"early_stopping cannot hold out "
                       r"validation_fraction=0.1 of the 10 samples .*number of "
                       r"classes = 2.*set early_stopping=False"):
        clf.fit(X, np.arange(10) % 2)
    assert not hasattr(clf, "classes_")


def test_early_stopping_keeps_lbfgs_and_its_best_check(iris):
    # it switched "auto" to Adam, whose few small steps left iris near
    # chance (3-fold CV accuracy 0.61); L-BFGS now scores the held-out rows
    # every 10 iterations and keeps the best
    X, y = iris
    clf = EnergyClassifier(early_stopping=True, random_state=0)
    assert cross_val_score(clf, X, y, cv=3).mean() > 0.9
    clf.fit(X, y)
    assert clf.solver_ == "lbfgs" and clf.validation_scores_
    assert clf.t_ == clf.n_iter_ * round(0.9 * len(X))  # trained on the rest
    lbfgs = EnergyClassifier(solver="lbfgs", alpha=1.0, early_stopping=True,
                             random_state=0).fit(X, y)
    assert lbfgs.best_validation_score_ == max(lbfgs.validation_scores_)
    assert lbfgs.best_loss_ is None  # the kept parameters are a check's


def test_early_stopping_with_lbfgs_holds_out_distinct_rows():
    # L-BFGS merges duplicate rows before the split: every row twice holds
    # out 15 of the 150 distinct rows, no copy on both sides, and t_ counts
    # the rows given that it trained on (it counted merged rows held out)
    X, y = load_iris(return_X_y=True)
    X = X + 1e-6 * np.random.RandomState(0).randn(*X.shape)  # no duplicates
    params = dict(alpha=1.0, early_stopping=True, random_state=0)
    once = EnergyClassifier(**params).fit(X, y)
    twice = EnergyClassifier(**params).fit(np.vstack([X, X]), np.r_[y, y])
    assert once.t_ == once.n_iter_ * 135 and twice.t_ == twice.n_iter_ * 270
    # stopped by max_iter, not by its checks: a warning, as with Adam
    with pytest.warns(ConvergenceWarning, match="held-out score was still"):
        EnergyClassifier(**dict(params, max_iter=3)).fit(X, y)


def test_partial_fit_refuses_early_stopping_and_continues_after_it(iris):
    X, y = iris
    clf = EnergyClassifier(solver="adam", early_stopping=True, random_state=0)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="early_stopping"):
        clf.partial_fit(X, y)
    clf.set_params(early_stopping=False).partial_fit(X, y)
    assert clf.best_loss_ is not None


def test_early_stopping_keeps_the_best_validation_score(digits):
    X, y = digits
    clf = EnergyClassifier(solver="adam", early_stopping=True, random_state=0,
                           learning_rate_init=0.01).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    assert clf.n_iter_ < 200


def test_warm_start_continues(iris):
    X, y = iris
    clf = EnergyClassifier(solver="adam", max_iter=5, warm_start=True,
                           random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    first = clf.energy_.params_.copy()
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.n_iter_ == 10 and len(clf.loss_curve_) == 10
    cold = EnergyClassifier(solver="adam", max_iter=5, random_state=0)
    with pytest.warns(ConvergenceWarning):
        cold.fit(X, y)
    np.testing.assert_array_equal(cold.energy_.params_, first)
    assert not np.array_equal(clf.energy_.params_, first)


def test_warm_start_with_a_new_architecture_starts_over(iris):
    X, y = iris
    clf = EnergyClassifier(energy="mlp", hidden_layer_sizes=(5,), solver="adam",
                           max_iter=10, warm_start=True, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    clf.set_params(activation="tanh")
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    cold = clone(clf).set_params(warm_start=False)
    with pytest.warns(ConvergenceWarning):
        cold.fit(X, y)
    assert clf.n_iter_ == 10 and len(clf.loss_curve_) == 10
    np.testing.assert_array_equal(clf.energy_.params_, cold.energy_.params_)


def test_successive_partial_fits_shuffle_differently(iris):
    X, y = iris
    a = EnergyClassifier(batch_size=50, random_state=0)
    a.partial_fit(X, y, classes=[0, 1, 2])
    a.partial_fit(X, y)
    b = EnergyClassifier(batch_size=50, random_state=0)
    b.partial_fit(X, y, classes=[0, 1, 2])
    b.partial_fit(X, y)
    np.testing.assert_array_equal(a.energy_.params_, b.energy_.params_)
    # the second call continues the random stream instead of replaying it
    first = EnergyClassifier(batch_size=50, random_state=0)
    first.partial_fit(X, y, classes=[0, 1, 2])
    order = [check_random_state(0).permutation(len(X)) for _ in range(2)]
    assert np.array_equal(order[0], order[1])
    assert first._rng.permutation(len(X)).tolist() != order[0].tolist()


def test_partial_fit_learns_and_keeps_classes(iris):
    X, y = iris
    clf = EnergyClassifier(learning_rate_init=0.05, random_state=0)
    for _ in range(30):
        clf.partial_fit(X, y, classes=np.array([0, 1, 2]))
    assert clf.n_iter_ == 30
    assert clf.score(X, y) > 0.9
    clf.partial_fit(X[y == 0], y[y == 0])  # a batch with one class is fine now


def test_a_stream_of_single_rows_pays_the_penalty_of_the_rows_seen():
    # each one-row batch paid the whole penalty alpha / 2 ||W||^2: a
    # separable stream scored 0.87, and digits fed row by row 0.59
    rng = np.random.RandomState(0)
    X = rng.randn(600, 3)
    y = (X @ [1.0, 2.0, 3.0] > 0).astype(int)
    clf = EnergyClassifier(random_state=0)
    for i in range(500):
        clf.partial_fit(X[i:i + 1], y[i:i + 1], classes=[0, 1])
    assert clf.score(X[500:], y[500:]) > 0.95


def test_partial_fit_errors(iris):
    X, y = iris
    with pytest.raises(ValueError, match="classes must be passed"):
        EnergyClassifier().partial_fit(X, y)
    clf = EnergyClassifier().partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
    with pytest.raises(ValueError, match=r"labels \[2\].*first call"):
        clf.partial_fit(X, y)
    with pytest.raises(ValueError, match="differs"):
        clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert not hasattr(EnergyClassifier(solver="lbfgs"), "partial_fit")


@pytest.mark.parametrize("change", [{"energy": "linear"},
                                    {"hidden_layer_sizes": (7,)}])
def test_partial_fit_refuses_another_architecture_and_keeps_the_model(iris, change):
    # it used to start over silently, as a first call
    X, y = iris
    clf = EnergyClassifier(energy="mlp", hidden_layer_sizes=(5,), random_state=0)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="changed since the first partial_fit"):
        clf.set_params(**change).partial_fit(X, y)
    assert clf.n_iter_ == 1
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    # a loss of the same architecture continues
    clf.set_params(energy="mlp", hidden_layer_sizes=(5,), loss="hinge")
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 2


# about the printout, not convergence: a fit short of it may warn
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_verbose_prints_the_loss(iris, capsys, solver):
    X, y = iris
    # alpha="auto" would print its trials' iterations as well
    clf = EnergyClassifier(solver=solver, alpha=0.5, max_iter=300,
                           verbose=True).fit(X, y)
    out = capsys.readouterr().out
    assert re.search(r"Iteration 1, loss = \d+\.\d+", out)
    assert out.count("Iteration") == clf.n_iter_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("n_rows", [60, 150])
def test_verbose_alpha_auto_prints_a_line_a_trial_then_the_refit(iris, capsys,
                                                               n_rows):
    # the trials, side by side in threads, printed their epochs into each
    # other's lines; 60 rows cross-validate, 150 refit beside the trials
    X, y = iris
    rows = np.random.default_rng(0).permutation(150)[:n_rows]
    clf = EnergyClassifier(max_iter=20, verbose=True, random_state=0)
    clf.fit(X[rows], y[rows])
    lines = capsys.readouterr().out.splitlines()
    trials = [line for line in lines if line.startswith("Trial alpha=")]
    assert len(trials) == 3 and sum(", chosen" in t for t in trials) == 1
    assert f"alpha={clf.alpha_:g}: " in next(t for t in trials if ", chosen" in t)
    refit = lines.index(next(line for line in lines if line.startswith("Refit")))
    assert refit == 3 and all(
        re.fullmatch(r"(Iteration \d+, loss = -?\d+\.\d+|Refit .*)", line)
        for line in lines[3:])


# deliberately unscaled X, whose warning of features far from unit scale is
# right and beside the point
@pytest.mark.filterwarnings("ignore:[0-9]+ of X's .* far from unit scale:UserWarning")
def test_divergence_names_the_cause_and_keeps_the_model(iris):
    X, y = iris
    clf = EnergyClassifier(loss="square_square", energy="mlp", solver="sgd",
                           learning_rate_init=1e-3, max_iter=2,
                           random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    before = clf.energies(X)
    clf.set_params(learning_rate_init=1e12, warm_start=True)
    with pytest.raises(ValueError, match="square_square|SquareSquare") as info:
        with np.errstate(all="ignore"):
            clf.fit(X * 1e3, y)
    message = str(info.value)
    assert "energy='mlp'" in message and "learning_rate_init=1000000000000" in message
    np.testing.assert_array_equal(clf.energies(X), before)


# deliberately unscaled X, whose warning of features far from unit scale is
# right and beside the point
@pytest.mark.filterwarnings("ignore:[0-9]+ of X's .* far from unit scale:UserWarning")
def test_failed_refit_leaves_the_model_as_it_was(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    frame = pd.DataFrame(X, columns=["w", "x", "y", "z"])
    clf = EnergyClassifier(random_state=0).fit(frame, y)
    before = clf.predict_proba(frame)
    state = dict(vars(clf))
    with pytest.raises(ValueError, match="two classes"):
        clf.fit(pd.DataFrame(X[:5, :3], columns=["a", "b", "c"]), y[:5])
    with pytest.raises(ValueError, match="diverged"):
        with np.errstate(all="ignore"):
            clf.set_params(loss="square_square", energy="mlp", solver="sgd",
                           learning_rate_init=1e12).fit(np.hstack([X, X]) * 1e3, y)
    clf.set_params(loss="nll", energy="linear", solver="auto",
                   learning_rate_init=1e-3)
    assert vars(clf).keys() == state.keys()
    np.testing.assert_array_equal(clf.feature_names_in_, ["w", "x", "y", "z"])
    np.testing.assert_allclose(clf.predict_proba(frame), before)


# -- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_X(iris, bad):
    X, y = iris
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        EnergyClassifier().fit(X, y)


def test_wrong_number_of_features_at_predict(iris):
    X, y = iris
    clf = EnergyClassifier().fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(X[:, :3])


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(loss="squared"), "loss"),
        (dict(energy="conv"), "energy"),
        (dict(loss="hinge", margin=0.0), "margin"),
        (dict(loss="square_square", margin=0.0), "margin"),
        (dict(margin=-1.0), "margin"),
        (dict(beta=0.0), "beta"),
        (dict(beta=-2.0), "beta"),
        (dict(solver="newton"), "solver"),
        (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes"),
        (dict(energy="mlp", hidden_layer_sizes=()), "hidden layer"),
        (dict(loss="hinge", sampler=MHSampler()), "sampler"),
        (dict(solver="lbfgs", sampler=MHSampler()), "lbfgs"),
        (dict(sampler="mh"), "sampler"),
    ],
)
def test_invalid_parameters(iris, params, match):
    X, y = iris
    clf = EnergyClassifier(**params)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)
    assert not hasattr(clf, "energy_")


def test_single_class(iris):
    X, y = iris
    with pytest.raises(ValueError, match="at least two classes; got one class: 0.$"):
        EnergyClassifier().fit(X[y == 0], y[y == 0])
    with pytest.raises(ValueError, match="got one class: 'setosa'.$"):
        EnergyClassifier().fit(X[y == 0], np.array(["setosa"] * 50))


def test_regression_target_is_refused(iris):
    X, _ = iris
    with pytest.raises(ValueError, match="Unknown label type"):
        EnergyClassifier().fit(X, np.linspace(0, 1, len(X)))


# -- the sampler's contrastive term -------------------------------------------------


def test_sampled_contrast_is_unbiased():
    from skebm.sampling import categorical_frequencies, mh_categorical

    rng = np.random.default_rng(0)
    energies = rng.normal(size=(20, 4))
    y = rng.integers(0, 4, 20)
    exact = NLLLoss().gradient(energies, y)
    n_chains, n_steps, burn_in = 400, 60, 20
    init = np.repeat(y[:, None], n_chains, axis=1)
    states, _ = mh_categorical(-energies, n_chains, n_steps, random_state=0,
                               init=init, burn_in=burn_in)
    freq = categorical_frequencies(states, 4)
    sampled = NLLLoss().value_gradient(energies, y, contrast=freq)[1]
    # the per-chain averages are independent: their spread bounds the MC error
    per_chain = np.stack([categorical_frequencies(states[:, :, [c]], 4)
                          for c in range(n_chains)])
    se = per_chain.std(axis=0) / np.sqrt(n_chains)
    assert np.all(np.abs(sampled - exact) <= 5 * se + 1e-12)
    assert np.abs(sampled - exact).max() < 0.05


# the sampled and the exact NLL at one budget of epochs, which may end short
# of convergence and warn
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_nll_with_sampler_matches_exact_nll_on_digits():
    X, y = load_digits(return_X_y=True)
    cv = StratifiedKFold(3)
    exact = cross_val_score(make_pipeline(
        StandardScaler(), EnergyClassifier(solver="adam", random_state=0)),
        X, y, cv=cv).mean()
    sampled = cross_val_score(make_pipeline(
        StandardScaler(),
        EnergyClassifier(sampler=MHSampler(n_steps=20, n_chains=4, burn_in=10),
                         random_state=0)),
        X, y, cv=cv).mean()
    assert sampled > exact - 0.01


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_sampler_takes_its_own_step_at_the_defaults(iris):
    # the sampled contrastive term rules out L-BFGS, and Adam's 0.001 left
    # small sets underfitted in the default 200 epochs (wine 0.94)
    X, y = iris

    def params(**kw):
        clf = EnergyClassifier(sampler=MHSampler(n_steps=6, n_chains=2),
                               max_iter=5, random_state=0, **kw)
        return clf.fit(X, y).energy_.params_

    np.testing.assert_array_equal(params(), params(learning_rate_init=0.01))
    assert not np.array_equal(params(), params(learning_rate_init=0.001))
    Xw, yw = load_wine(return_X_y=True)
    exact = _cv_accuracy(EnergyClassifier(random_state=0), Xw, yw)
    sampled = _cv_accuracy(EnergyClassifier(sampler=MHSampler(n_steps=20,
                                                              random_state=0),
                                            random_state=0), Xw, yw)
    assert sampled > exact - 0.02


# about seeds, not convergence: a fit short of it may warn
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sampled_nll_is_reproducible(iris):
    X, y = iris
    fits = [EnergyClassifier(sampler=MHSampler(n_steps=6, n_chains=2, burn_in=2),
                             max_iter=20, random_state=0).fit(X, y)
            for _ in range(2)]
    np.testing.assert_array_equal(fits[0].energy_.params_, fits[1].energy_.params_)


# -- accuracy against LogisticRegression (the acceptance) -------------------


def _cv_accuracy(estimator, X, y):
    return cross_val_score(make_pipeline(StandardScaler(), estimator), X, y,
                           cv=StratifiedKFold(3), error_score="raise").mean()


@pytest.mark.parametrize("loader", [load_digits, load_wine, load_breast_cancer,
                                    load_iris])
def test_every_loss_close_to_logistic_regression(loader):
    X, y = loader(return_X_y=True)
    reference = _cv_accuracy(LogisticRegression(), X, y)
    chance = 1.0 / len(np.unique(y))
    for loss in LOSS_NAMES:
        acc = _cv_accuracy(EnergyClassifier(loss=loss, random_state=0), X, y)
        if loss == "perceptron" and loader is load_iris:
            # no margin: on iris' overlapping classes scikit-learn's own
            # Perceptron is 13 points below LogisticRegression
            assert acc >= _cv_accuracy(Perceptron(random_state=0), X, y)
        elif loss in ("nll", "log", "hinge"):
            assert acc >= reference - 0.015, (loss, acc, reference)
        elif loss == "energy":
            assert acc >= chance + 0.5 * (reference - chance), (loss, acc)
        else:
            assert acc >= reference - 0.05, (loss, acc, reference)


@pytest.mark.parametrize("loader", [load_iris, load_wine, load_breast_cancer])
def test_every_loss_gives_probabilities_close_to_logistic_regression(loader):
    # the acceptance: 5-fold log loss within 0.1 nats, with defaults
    X, y = loader(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)

    def cv_log_loss(estimator):
        return -cross_val_score(make_pipeline(StandardScaler(), estimator), X, y,
                                cv=cv, scoring="neg_log_loss",
                                error_score="raise").mean()

    reference = cv_log_loss(LogisticRegression())
    # the energy loss pulls no wrong answer up: its energies rank without
    # gaps worth a temperature (iris 0.39), and the issue asks this of the
    # margin losses
    for loss in LOSS_NAMES:
        if loss != "energy":
            got = cv_log_loss(EnergyClassifier(loss=loss, random_state=0))
            assert got <= reference + 0.1, (loss, got, reference)


def test_energy_auto_is_the_class_energy_of_the_loss(iris):
    X, y = iris
    energies = {
        "lvq2": DistanceEnergy, LVQ2Loss(delta=0.5): DistanceEnergy,
        "hinge": LinearEnergy, "nll": LinearEnergy}
    for loss, expected in energies.items():
        clf = EnergyClassifier(loss=loss, max_iter=30, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            assert type(clf.fit(X, y).energy_) is expected
    clf = EnergyClassifier(loss="lvq2", energy="linear", random_state=0).fit(X, y)
    assert type(clf.energy_) is LinearEnergy
    # label vectors keep the linear energy under the label interactions
    Y = np.column_stack([y == 0, y == 2]).astype(int)
    clf = EnergyClassifier(loss="lvq2", max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert type(clf.fit(X, Y).energy_.base) is LinearEnergy


@pytest.mark.parametrize("energy", ["mlp", "distance"])
@pytest.mark.parametrize("loss", ["nll", "hinge"])
def test_every_energy_close_to_logistic_regression_on_digits(loss, energy):
    X, y = load_digits(return_X_y=True)
    reference = _cv_accuracy(LogisticRegression(), X, y)
    acc = _cv_accuracy(EnergyClassifier(loss=loss, energy=energy, random_state=0),
                       X, y)
    assert acc >= reference - 0.03


def test_grid_search_over_every_loss():
    X, y = load_wine(return_X_y=True)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), EnergyClassifier(random_state=0)),
        {"energyclassifier__loss": LOSS_NAMES}, cv=3, error_score="raise",
    ).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 9
    assert np.all(np.isfinite(scores)) and np.all(scores > 0.85)


def test_a_saturating_loss_that_answers_one_class_says_so():
    # a new user's MCE (mlp energy) and LVQ2 (linear energy) answered the
    # majority class (84%) to all 1470 rows of modeldata's attrition, without
    # a word; a saturating loss is flat for rows misclassified by far
    rng = np.random.default_rng(0)
    y = (rng.random(600) < 0.15).astype(int)
    X = rng.normal(size=(600, 5)) + 0.8 * y[:, None] * np.array([1, 0.5, 0, 0, 0])
    clf = EnergyClassifier(loss="mce", energy="mlp", random_state=0)
    with pytest.warns(UserWarning, match=r"loss='mce', energy='mlp'\) predicts 0 "
                                         "for every training row"):
        clf.fit(X, y)
    assert np.all(clf.predict(X) == 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        # one class weighed, by the rows' weights or the classes': no advice
        clf.fit(X, y, sample_weight=(y == 0).astype(float))
        clf.set_params(class_weight={0: 1.0, 1: 1e-6}).fit(X, y)
        balanced = clf.set_params(class_weight="balanced").fit(X, y)
        assert 0 < balanced.predict(X).mean() < 1
        # a loss that does not saturate is not second-guessed
        EnergyClassifier(loss="hinge", energy="mlp", alpha=1e4,
                         random_state=0).fit(X, y)
