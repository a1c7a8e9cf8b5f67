"""Multi-label targets: label vectors as answers, exact and approximate
inference over them, and EnergyClassifier on a 0/1 indicator y."""

import itertools
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score

from skebm import EnergyClassifier, MHSampler
from skebm.energies import (
    DistanceEnergy,
    LabelPairEnergy,
    LinearEnergy,
    MLPEnergy,
    Potentials,
)
from skebm.inference import LabelVectorSpace, Step
from skebm.inference._label_search import (
    Enumeration,
    all_label_vectors,
    enumerated_energies,
    label_codes,
    search_argmin,
)
from skebm.inference._label_sums import SplitSum
from skebm.losses import get_loss
from skebm.sampling import mh_label_vectors


def _potentials(n, L, scale, seed):
    rng = np.random.default_rng(seed)
    W = np.triu(rng.normal(0.0, scale, (L, L)), 1)
    return Potentials(rng.normal(size=n), rng.normal(0.5, 1.0, (n, L)), W + W.T)


@pytest.fixture(scope="module")
def data():
    X, Y = make_multilabel_classification(n_samples=400, n_features=10, n_classes=5,
                                          n_labels=2, length=300, random_state=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X[:250], Y[:250], X[250:], Y[250:]


# -- exact sums and search against enumeration ---------------------------------
@pytest.mark.parametrize("L", [1, 2, 7, 12])
def test_split_sum_matches_enumeration(L):
    pot = _potentials(20, L, 1.5, L)
    E = enumerated_energies(pot, all_label_vectors(L))
    split = SplitSum(pot, beta=0.7)
    enum = Enumeration(L)
    np.testing.assert_allclose(split.log_partition(), enum.log_partition(pot, 0.7),
                               rtol=1e-12)
    np.testing.assert_allclose(split.marginals(), enum.marginals(pot, 0.7),
                               atol=1e-12)
    best, energy = enum.argmin(pot)
    np.testing.assert_array_equal(energy, E.min(axis=1))
    off, on = enum.max_marginals(pot)
    V = all_label_vectors(L) > 0
    for l in range(L):
        np.testing.assert_array_equal(on[:, l], E[:, V[:, l]].min(axis=1))
        np.testing.assert_array_equal(off[:, l], E[:, ~V[:, l]].min(axis=1))


@pytest.mark.parametrize("L, scale", [(10, 1.0), (12, 3.0), (14, 2.0)])
def test_search_finds_the_exact_mode(L, scale):
    # the acceptance: the mode's energy within 1e-9 on at least 99% of rows
    pot = _potentials(400, L, scale, seed=L)
    _, exact = Enumeration(L).argmin(pot)
    best, energy, other = search_argmin(pot, 8, np.random.default_rng(0))
    assert np.mean(np.abs(energy - exact) <= 1e-9) >= 0.99
    # the search's energies are those of the vectors it returns, never below
    # the exact minimum; the other side of each label is at least as high
    E = enumerated_energies(pot, all_label_vectors(L))
    np.testing.assert_allclose(energy, E[np.arange(400), label_codes(best)])
    assert np.all(energy >= exact - 1e-9) and np.all(other >= energy[:, None])


def test_mh_label_vectors_marginals_within_monte_carlo_error():
    L = 6
    pot = _potentials(5, L, 2.0, seed=3)
    exact = Enumeration(L).marginals(pot, 1.0)
    init = np.zeros((5, 40, L), dtype=bool)
    states, rao_blackwell, rate = mh_label_vectors(pot.unary, pot.pairs, 1.0, init,
                                                   600, 0, burn_in=100)
    assert states.shape == (500, 5, 40, L) and 0 < rate < 1
    # the 40 chains of a row are independent: their spread gives the
    # standard error of the visit frequencies, which Rao-Blackwellization
    # (each label's conditional probability) can only lower
    per_chain = states.mean(axis=0)
    se = per_chain.std(axis=1, ddof=1) / np.sqrt(per_chain.shape[1])
    assert np.all(np.abs(per_chain.mean(axis=1) - exact) < 4 * se)
    assert np.all(np.abs(rao_blackwell - exact) < 4 * se)


def test_mh_label_vectors_checks_its_input():
    pot = _potentials(2, 3, 1.0, 0)
    with pytest.raises(ValueError, match="init must have shape"):
        mh_label_vectors(pot.unary, pot.pairs, 1.0, np.zeros((2, 4)), 5, 0)
    with pytest.raises(ValueError, match="burn_in"):
        mh_label_vectors(pot.unary, pot.pairs, 1.0, np.zeros((2, 1, 3)), 5, 0,
                         burn_in=5)


def test_approximate_inference_agrees_with_exact():
    L = 8
    pot = _potentials(60, L, 2.0, seed=1)
    exact, approx = LabelVectorSpace(L, L), LabelVectorSpace(L, 0)
    np.testing.assert_array_equal(approx.argmin(pot), exact.argmin(pot))
    np.testing.assert_array_equal(approx.decision(pot) > 0, exact.argmin(pot))
    assert np.abs(approx.marginals(pot, 1.0) - exact.marginals(pot, 1.0)).max() < 0.08
    draws = approx.sample(pot, 1.0, 400, random_state=0)
    assert draws.shape == (60, 400, L)
    assert np.abs(draws.mean(axis=1) - exact.marginals(pot, 1.0)).mean() < 0.03
    with pytest.raises(ValueError, match="max_enumerated_labels >= 8"):
        approx.log_partition(pot, 1.0)


# -- the energy over label vectors ---------------------------------------------
def _gradient_error(energy, space, loss, X, Y):
    def f(theta):
        energy.params_[...] = theta
        E, cache, c = space.candidates(energy, X, Y, Step(1.3, None))
        v, D = loss.value_gradient(E, c.correct, c.incorrect,
                                   log_weights=c.log_weights, contrast=c.contrast)
        return v.sum(), energy.backward(cache, D)

    theta = energy.params_.copy()
    _, grad = f(theta)
    rng = np.random.default_rng(0)
    idx = rng.choice(theta.size, min(theta.size, 25), replace=False)
    num = []
    for i in idx:
        t = theta.copy()
        t[i] += 1e-6
        a = f(t)[0]
        t[i] -= 2e-6
        num.append((a - f(t)[0]) / 2e-6)
    f(theta)
    return np.abs(np.array(num) - grad[idx]).max() / (np.abs(num).max() + 1e-12)


@pytest.mark.parametrize("output, base, path", list(itertools.product(
    ["score", "softplus", "code"],
    [LinearEnergy(), MLPEnergy((5,), "tanh"), DistanceEnergy((4,), "tanh")],
    ["flat", "split", "search", "independent"])))
def test_gradients_match_finite_differences(output, base, path):
    L = {"flat": 5, "split": 11, "search": 6, "independent": 6}[path]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 3))
    Y = (rng.random((6, L)) < 0.4).astype(int)
    base = type(base)(**({} if isinstance(base, LinearEnergy) else dict(
        hidden_layer_sizes=base.hidden_layer_sizes, activation=base.activation)))
    energy = LabelPairEnergy(base, path != "independent", output)
    energy.initialize(3, L, 0, X=X, y=Y)
    energy.params_[:] = rng.normal(scale=0.3, size=energy.params_.size)
    for name in ["nll", "hinge", "energy"]:
        loss = get_loss(name)
        space = LabelVectorSpace(L, 0 if path == "search" else 16,
                                 partition=loss.partition,
                                 contrastive=loss.contrastive,
                                 independent=path == "independent")
        assert _gradient_error(energy, space, loss, X, Y) < 1e-5, name


@pytest.mark.parametrize("output", ["score", "softplus", "code"])
def test_output_maps_keep_order_or_sign(output):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 4))
    score = LabelPairEnergy(LinearEnergy(), True, "score").initialize(4, 5, 0)
    score.params_[:] = rng.normal(size=score.params_.size)
    other = LabelPairEnergy(LinearEnergy(), True, output).initialize(4, 5, 0)
    other.params_[:] = rng.normal(size=other.params_.size)
    if output != "code":  # the same parameters as the score form
        other.set_params_vector(score.params_.copy())
    pot = other.potentials(X)[0]
    E = enumerated_energies(pot, all_label_vectors(5))
    if output == "code":
        assert E.min() >= 0  # a sum of squares
    else:
        E_score = enumerated_energies(score.potentials(X)[0], all_label_vectors(5))
        # a softplus per label and a relu per pair shift every vector alike
        np.testing.assert_allclose(E - E[:, :1], E_score - E_score[:, :1],
                                   atol=1e-10)
        assert output == "score" or E.min() > 0


# -- the estimator --------------------------------------------------------------
def test_joint_mode_where_independent_decisions_fail():
    # three labels of which exactly one is on, x only says which is likelier:
    # every marginal is often below 1/2, so that independent thresholding (no
    # interactions) predicts no label, where the joint mode predicts one
    rng = np.random.default_rng(0)
    X = rng.normal(size=(900, 2))
    angles = np.array([0.0, 2.1, 4.2])
    logits = X @ np.array([np.cos(angles), np.sin(angles)])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    k = (p.cumsum(axis=1) < rng.random((900, 1))).sum(axis=1)
    Y = np.eye(3, dtype=int)[k]
    joint = EnergyClassifier(alpha=1.0, random_state=0).fit(X, Y)
    alone = EnergyClassifier(alpha=1.0, label_interactions=False,
                             random_state=0).fit(X, Y)
    assert np.all(joint.predict(X).sum(axis=1) == 1)
    assert np.mean(alone.predict(X).sum(axis=1) == 0) > 0.2
    assert joint.energy_.interactions_[np.triu_indices(3, 1)].min() > 3
    assert np.all(alone.energy_.interactions_ == 0)
    assert joint.score(X, Y) > alone.score(X, Y) + 0.1


def test_predictions_shapes_and_consistency(data):
    X, Y, Xt, Yt = data
    clf = EnergyClassifier(alpha=1.0, random_state=0).fit(X, Y)
    pred = clf.predict(Xt)
    assert pred.shape == Yt.shape and pred.dtype == np.int64
    np.testing.assert_array_equal(clf.classes_, np.arange(5))
    proba = clf.predict_proba(Xt)
    assert proba.shape == Yt.shape and np.all((proba > 0) & (proba < 1))
    np.testing.assert_allclose(clf.predict_log_proba(Xt), np.log(proba))
    np.testing.assert_array_equal(clf.decision_function(Xt) > 0, pred > 0)
    assert clf.energies(Xt).shape == Yt.shape
    assert clf.score(Xt, Yt) == accuracy_score(Yt, pred)  # subset accuracy
    assert clf.score_samples(Xt).shape == (len(Xt),)
    draws = clf.sample_y(Xt[:3], n_samples=2000, random_state=0)
    assert draws.shape == (3, 2000, 5) and set(np.unique(draws)) <= {0, 1}
    assert np.abs(draws.mean(axis=1) - proba[:3]).max() < 0.05
    np.testing.assert_array_equal(draws, clf.sample_y(Xt[:3], 2000, random_state=0))


def test_approximate_path_matches_exact_fit(data):
    X, Y, Xt, Yt = data
    exact = EnergyClassifier(alpha=1.0, random_state=0).fit(X, Y)
    approx = EnergyClassifier(alpha=1.0, max_enumerated_labels=3,
                              random_state=0).fit(X, Y)
    assert np.mean(exact.predict(Xt) == approx.predict(Xt)) > 0.97
    assert abs(exact.score(Xt, Yt) - approx.score(Xt, Yt)) < 0.05


def test_approximate_inference_of_a_row_does_not_depend_on_the_rows_beside_it(data):
    # the search's random starts and the marginals' chains share their draws
    # across rows
    X, Y, Xt, _ = data
    clf = EnergyClassifier(alpha=1.0, max_enumerated_labels=3, max_iter=20,
                           random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, Y)
    order = np.random.default_rng(0).permutation(len(Xt))
    for method in ("predict", "predict_proba", "decision_function"):
        full = getattr(clf, method)(Xt)
        np.testing.assert_allclose(getattr(clf, method)(Xt[order]), full[order],
                                   rtol=1e-12)
        np.testing.assert_allclose(getattr(clf, method)(Xt[:1]), full[:1], rtol=1e-12)


LOSSES = ["energy", "perceptron", "hinge", "log", "lvq2", "mce", "square_square",
          "square_exp", "nll"]


@pytest.mark.parametrize("energy", ["linear", "mlp", "distance"])
@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_and_energy_trains_by_name(loss, energy, data):
    X, Y, Xt, Yt = data
    clf = EnergyClassifier(loss=loss, energy=energy, alpha=1.0,
                           hidden_layer_sizes=(16,), max_iter=100, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, Y)
    # far better than the most frequent label set (0.13)
    sets, counts = np.unique(Y, axis=0, return_counts=True)
    baseline = np.all(Yt == sets[np.argmax(counts)], axis=1).mean()
    assert clf.score(Xt, Yt) > baseline + 0.25
    assert np.all(np.isfinite(clf.predict_proba(Xt)))


def test_alpha_auto_cross_validates_label_vectors_and_tries_classes(data):
    X, Y, Xt, _ = data
    clf = EnergyClassifier(random_state=0).fit(X, Y)
    assert clf.alpha == "auto" and clf.alpha_ in np.logspace(-1, 3, 9).round(1)
    again = EnergyClassifier(random_state=0).fit(X, Y)
    np.testing.assert_array_equal(clf.predict_proba(Xt), again.predict_proba(Xt))
    # classes take the held-out trials of the regressor's alpha="auto"
    y = Y[:, 0] + 2 * Y[:, 1]
    auto = EnergyClassifier(random_state=0).fit(X, y)
    assert auto.alpha_ in (0.1, 1.0, 10.0)


def test_alpha_auto_of_a_network_does_not_start_from_its_dead_point():
    # down from the strongest penalty, warm-started, the network's weights
    # decayed to zero, no weaker penalty's fit left that point, every
    # penalty scored alike and the tie went to the weakest (AER's
    # CreditCard: log loss 0.82 a label, 0.35 at alpha=10)
    rng = np.random.default_rng(0)

    def draw(n):
        X = rng.normal(size=(n, 8))
        logits = 0.7 * X[:, :4] @ weights
        return X, (rng.random((n, 4)) < 1 / (1 + np.exp(-logits))).astype(int)

    weights = rng.normal(size=(4, 4))
    (X, Y), (Xt, Yt) = draw(240), draw(2000)
    params = dict(energy="mlp", hidden_layer_sizes=(32,), label_interactions=False,
                  random_state=0)
    auto = EnergyClassifier(**params).fit(X, Y)
    with warnings.catch_warnings():
        # it overfits until max_iter
        warnings.simplefilter("ignore", ConvergenceWarning)
        weakest = EnergyClassifier(alpha=0.1, **params).fit(X, Y)

    def log_loss(model):
        p = np.clip(model.predict_proba(Xt), 1e-12, 1 - 1e-12)
        return -np.mean(np.where(Yt > 0, np.log(p), np.log1p(-p)))

    assert auto.alpha_ > 0.1
    assert log_loss(auto) < log_loss(weakest) - 0.05


def test_sample_weight_acts_as_repetition(data):
    X, Y, Xt, _ = data
    w = np.arange(len(X)) % 3
    weighted = EnergyClassifier(alpha=1.0, random_state=0).fit(X, Y, sample_weight=w)
    rows = np.repeat(np.arange(len(X)), w)
    repeated = EnergyClassifier(alpha=1.0, random_state=0).fit(X[rows], Y[rows])
    np.testing.assert_allclose(weighted.predict_proba(Xt),
                               repeated.predict_proba(Xt), atol=1e-8)


def test_sample_weight_acts_as_repetition_in_alpha_auto_too():
    # alpha="auto"'s folds were of the given rows: a repeated row's copies
    # fell on both sides (alpha_ 1 against 3.2 for the weights). Folds of
    # distinct rows choose as the weights do.
    X, Y = make_multilabel_classification(n_samples=150, n_features=6, n_classes=4,
                                          random_state=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    w = np.random.RandomState(0).randint(0, 4, len(X))
    rows = np.repeat(np.arange(len(X)), w)
    weighted = EnergyClassifier(max_iter=60, random_state=0).fit(X, Y, sample_weight=w)
    repeated = EnergyClassifier(max_iter=60, random_state=0).fit(X[rows], Y[rows])
    assert weighted.alpha_ == repeated.alpha_
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X),
                               atol=1e-8)


def test_marginals_lie_in_0_1_in_the_energies_float_type():
    X, Y = make_multilabel_classification(n_samples=300, n_features=8, n_classes=5,
                                          random_state=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    clf = EnergyClassifier(loss="perceptron", energy="mlp", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        P = clf.fit(X[:200], Y[:200]).predict_proba(X[200:])
    # sums of probabilities reached 1 + 2e-16, and in float32 1 + 1.2e-7
    assert P.min() >= 0 and P.max() <= 1
    X32 = X[:150].astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = EnergyClassifier(energy="mlp", max_iter=50, random_state=0)
        clf.fit(X32, Y[:150])
    for method in (clf.predict_proba, clf.predict_log_proba, clf.decision_function):
        assert method(X32).dtype == np.float32  # as over classes
    assert clf.predict_proba(X32).max() <= 1


def test_partial_fit_warm_start_early_stopping_and_pickle(data):
    X, Y, Xt, Yt = data
    clf = EnergyClassifier(alpha=1.0, random_state=0)
    for batch in np.array_split(np.arange(len(X)), 4):
        clf.partial_fit(X[batch], Y[batch])
    assert clf.solver_ == "adam" and clf.n_iter_ == 4
    first = clf.predict_proba(Xt)
    clf.partial_fit(X, Y, classes=np.arange(5))
    assert not np.allclose(first, clf.predict_proba(Xt))
    warm = EnergyClassifier(alpha=1.0, warm_start=True, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        n_first = warm.fit(X, Y).n_iter_
        assert warm.fit(X, Y).n_iter_ > n_first
    early = EnergyClassifier(alpha=1.0, early_stopping=True, max_iter=300,
                             random_state=0).fit(X, Y)
    assert early.best_validation_score_ == max(early.validation_scores_)
    copy = pickle.loads(pickle.dumps(early))
    np.testing.assert_array_equal(copy.predict(Xt), early.predict(Xt))
    np.testing.assert_array_equal(copy.predict_proba(Xt), early.predict_proba(Xt))


def test_sparse_float32_and_lists(data):
    X, Y, Xt, _ = data
    dense = EnergyClassifier(alpha=1.0, random_state=0).fit(X, Y)
    sparse = EnergyClassifier(alpha=1.0, random_state=0).fit(sp.csr_matrix(X),
                                                             sp.csr_matrix(Y))
    np.testing.assert_allclose(sparse.predict_proba(Xt), dense.predict_proba(Xt),
                               atol=1e-8)
    # answers in the form of the labels given, as MLPClassifier's
    assert sp.issparse(sparse.predict(Xt)) and not sp.issparse(dense.predict(Xt))
    np.testing.assert_array_equal(sparse.predict(Xt).toarray(), dense.predict(Xt))
    lists = EnergyClassifier(alpha=1.0, random_state=0).fit(X, Y.tolist())
    np.testing.assert_array_equal(lists.predict(Xt), dense.predict(Xt))
    single = EnergyClassifier(alpha=1.0, random_state=0).fit(X.astype(np.float32), Y)
    assert single.energy_.params_.dtype == np.float32
    assert np.mean(single.predict(Xt) == dense.predict(Xt)) > 0.99


def test_alpha_auto_scores_float32_probabilities_without_infinities():
    # float32 rounded the clip of 1 - 1e-12 to 1: log1p(-1) warned and scored
    # a confidently wrong label -inf
    X = np.random.default_rng(0).normal(size=(200, 4)).astype(np.float32)
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 1] > 0].astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        clf = EnergyClassifier(random_state=0).fit(X, Y)
    assert clf.alpha_ > 0


def test_sampler_estimates_the_contrastive_term(data):
    X, Y, Xt, Yt = data
    sampler = MHSampler(n_steps=6, n_chains=2, burn_in=2)
    exact = EnergyClassifier(alpha=1.0, random_state=0).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sampled = EnergyClassifier(alpha=1.0, sampler=sampler, max_iter=60,
                                   learning_rate_init=0.01, random_state=0).fit(X, Y)
    assert sampled.solver_ == "adam"
    assert sampled.score(Xt, Yt) > exact.score(Xt, Yt) - 0.1


# -- bad input ------------------------------------------------------------------
@pytest.mark.parametrize("values", [(0, 2), (-1, 1), (0.0, 0.5)])
def test_label_values_other_than_0_1_are_refused(values, data):
    X, Y, _, _ = data
    bad = np.where(Y > 0, values[1], values[0])
    # named by its values: scikit-learn's type of a -1/1 matrix is
    # "multilabel-indicator", which the message would contradict
    with pytest.raises(ValueError, match=r"0/1 values .*; got a 2-D y with values"):
        EnergyClassifier().fit(X, bad)


def test_multiclass_multioutput_is_refused(data):
    X, Y, _, _ = data
    with pytest.raises(ValueError, match="multi-label indicator"):
        EnergyClassifier().fit(X, Y + Y[:, ::-1])


def test_constant_label_column_warns_and_is_predicted_constant(data):
    X, Y, Xt, _ = data
    Y = Y.copy()
    Y[:, 2] = 0
    with pytest.warns(UserWarning, match=r"Label column\(s\) \[2\]"):
        clf = EnergyClassifier(alpha=1.0, random_state=0).fit(X, Y)
    assert np.all(clf.predict(Xt)[:, 2] == 0)
    assert clf.predict_proba(Xt)[:, 2].max() < 0.05


def test_partial_fit_refuses_other_widths_and_kinds_without_change(data):
    X, Y, Xt, _ = data
    clf = EnergyClassifier(alpha=1.0, random_state=0).partial_fit(X, Y)
    before = pickle.dumps(clf)
    with pytest.raises(ValueError, match="y has 4 label columns; the fitted model "
                                         "has 5"):
        clf.partial_fit(X, Y[:, :4])
    with pytest.raises(ValueError, match="1-D array of classes, unlike"):
        clf.partial_fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="classes must be the label columns"):
        clf.partial_fit(X, Y, classes=[0, 1])
    assert pickle.dumps(clf) == before  # nothing half-fitted


def test_class_weight_is_refused_for_label_vectors(data):
    X, Y, _, _ = data
    with pytest.raises(ValueError, match="class_weight is not supported"):
        EnergyClassifier(class_weight="balanced").fit(X, Y)
    assert not hasattr(EnergyClassifier(), "energy_")


@pytest.mark.parametrize("L, max_enumerated", [(5, 16), (12, 16), (6, 0)])
def test_fitted_temperature_maximizes_the_training_likelihood(L, max_enumerated):
    X, Y = make_multilabel_classification(n_samples=300, n_features=10, n_classes=L,
                                          n_labels=3, length=300, random_state=2)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    clf = EnergyClassifier(loss="hinge", beta="auto", alpha=1.0,
                           max_enumerated_labels=max_enumerated,
                           random_state=0).fit(X, Y)
    beta = clf.beta_
    assert np.isfinite(beta) and beta > 0
    pot = clf.energy_.potentials(X)[0]
    E = enumerated_energies(pot, all_label_vectors(L))
    e_target = E[np.arange(len(Y)), label_codes(Y.astype(bool))]
    nll = [np.mean(b * e_target + logsumexp(-b * E, axis=1))
           for b in (beta / 2, beta, 2 * beta)]
    if max_enumerated:  # the likelihood itself is maximized
        assert nll[1] < min(nll[0], nll[2])
    else:  # the pseudo-likelihood's beta, near the likelihood's
        assert nll[1] < max(nll[0], nll[2])


def test_alpha_auto_skips_its_cross_validation_for_a_loss_without_penalty():
    X, Y = make_multilabel_classification(120, 6, n_classes=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        auto = EnergyClassifier(loss="lvq2", max_iter=30, random_state=0).fit(X, Y)
        fixed = EnergyClassifier(loss="lvq2", alpha=7.0, max_iter=30,
                                 random_state=0).fit(X, Y)
    # LVQ2 takes no penalty: any alpha gives the same fit, and auto says 0
    assert auto.alpha_ == 0.0
    np.testing.assert_array_equal(auto.energy_.params_, fixed.energy_.params_)
