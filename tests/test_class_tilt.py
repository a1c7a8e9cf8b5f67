"""After a margin loss, beta="auto" also tilts the classifier's energies:
one offset per class, fitted by maximum likelihood."""

import numpy as np
import pytest
from scipy.special import log_softmax, softmax
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

from skebm import EnergyClassifier
from skebm.inference import ClassSpace


class _FixedEnergies:
    def __init__(self, E):
        self.E = E

    def energies(self, X):
        return self.E[X]


def _smoothed_frequencies(y, k, w):
    smooth = k / (w.sum() + k)
    totals = np.bincount(y, weights=w, minlength=k) / w.sum()
    return (1 - smooth) * totals + smooth / k


def test_fit_tilt_maximizes_the_likelihood_and_matches_the_class_frequencies():
    rng = np.random.default_rng(0)
    n, k, beta = 200, 4, 1.7
    E = rng.normal(size=(n, k))
    # the energies favour class 0; the labels are mostly class 3
    E[:, 0] -= 1.0
    y = rng.choice(k, size=n, p=[0.1, 0.2, 0.1, 0.6])
    w = rng.uniform(0.5, 2.0, n)
    space = ClassSpace(k)
    t = space.fit_tilt(_FixedEnergies(E), np.arange(n), y, w, beta)
    assert t.shape == (k,) and t.max() == 0
    assert np.argmax(t) == 3 and np.argmin(t) == 0
    tilted = space.tilted(t).energies(_FixedEnergies(E), np.arange(n))
    assert tilted == pytest.approx(E - t)
    # the optimum's condition: the Gibbs class frequencies, weighted over
    # the rows, are the smoothed targets'
    p = space.proba(tilted, beta)
    assert np.average(p, axis=0, weights=w) == pytest.approx(
        _smoothed_frequencies(y, k, w), abs=1e-5)

    def nll(offsets):
        log_p = log_softmax(-beta * (E - offsets), axis=1)
        return -np.average(log_p[np.arange(n), y], weights=w)

    assert nll(t) < nll(np.zeros(k))
    for j in range(k):
        for step in (-1e-2, 1e-2):
            # the smoothed likelihood's optimum is near the plain one's
            assert nll(t + step * np.eye(k)[j]) > nll(t) - 1e-4


@pytest.fixture(scope="module")
def skewed():
    X, y = make_classification(n_samples=400, n_features=6, n_informative=4,
                               n_classes=3, weights=[0.7, 0.2, 0.1], flip_y=0.1,
                               class_sep=0.5,
                               random_state=0)
    return StandardScaler().fit_transform(X), y


def test_margin_loss_probabilities_sum_to_the_class_frequencies(skewed):
    X, y = skewed
    clf = EnergyClassifier(loss="hinge", random_state=0).fit(X, y)
    tilt = clf.answer_space_.tilt
    assert tilt is not None and np.all(np.isfinite(tilt))
    w = np.ones(len(y))
    # alpha="auto" refits the tilt to all the rows at the beta_ it keeps
    assert clf.predict_proba(X).mean(axis=0) == pytest.approx(
        _smoothed_frequencies(y, 3, w), abs=1e-5)
    balanced = EnergyClassifier(loss="hinge", class_weight="balanced",
                                random_state=0).fit(X, y)
    weights = len(y) / (3 * np.bincount(y))[y]
    assert np.average(balanced.predict_proba(X), axis=0, weights=weights) == (
        pytest.approx(_smoothed_frequencies(y, 3, weights), abs=1e-5))
    assert np.average(balanced.predict_proba(X), axis=0,
                      weights=weights) == pytest.approx(np.full(3, 1 / 3), abs=0.01)


def test_the_tilt_is_an_energy_term_every_method_reads(skewed):
    X, y = skewed
    clf = EnergyClassifier(loss="perceptron", alpha=1.0, random_state=0).fit(X, y)
    tilt = clf.answer_space_.tilt
    E = clf.energies(X)
    assert E == pytest.approx(clf.energy_.energies(X) - tilt)
    assert np.array_equal(clf.predict(X), clf.classes_[E.argmin(axis=1)])
    assert np.array_equal(clf.predict(X), clf.classes_[
        clf.predict_proba(X).argmax(axis=1)])
    assert np.array_equal(clf.decision_function(X), -E)
    assert clf.predict_proba(X) == pytest.approx(softmax(-clf.beta_ * E, axis=1))
    untilted = softmax(-clf.beta_ * clf.energy_.energies(X), axis=1)
    assert np.abs(clf.predict_proba(X) - untilted).max() > 1e-3


@pytest.mark.parametrize("params", [dict(loss="nll"), dict(loss="hinge", beta=2.0)])
def test_no_tilt_under_the_nll_or_a_hand_set_beta(skewed, params):
    X, y = skewed
    clf = EnergyClassifier(alpha=1.0, random_state=0, **params).fit(X, y)
    assert clf.answer_space_.tilt is None


def test_partial_fit_fits_no_tilt(skewed):
    # batches in class order: a first batch of one class used to set a tilt
    # of about -1400 that every later call kept, and every row was class 0
    X, y = skewed
    order = np.argsort(y, kind="stable")
    # at the linear energy's default step of 0.01, 20 passes reach the
    # full fit, which answers two classes of these three
    clf = EnergyClassifier(loss="hinge", solver="adam", learning_rate_init=0.001,
                           random_state=0)
    for rows in np.array_split(order, 4):
        clf.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        assert clf.answer_space_.tilt is None
    for _ in range(20):
        clf.partial_fit(X, y)
    assert len(np.unique(clf.predict(X))) == 3
    # nor does a fit's tilt outlive a partial_fit that changed the energies
    clf = EnergyClassifier(loss="hinge", solver="adam", random_state=0).fit(X, y)
    assert clf.answer_space_.tilt is not None
    clf.partial_fit(X, y)
    assert clf.answer_space_.tilt is None


def test_held_out_scores_read_untilted_energies(skewed):
    # a trial's space is tilted after its fit; its held-out score and
    # temperature, which the refit carries untilted, are not
    X, y = skewed
    clf = EnergyClassifier(loss="log", alpha=1.0, random_state=0).fit(X, y)
    assert clf.answer_space_.tilt is not None
    held_out = (X[:100], y[:100], np.ones(100))
    scores = [clf._held_out_score(space, clf.energy_, held_out, vars(clf),
                                  clf.beta_, clf._loss)()
              for space in (clf.answer_space_, clf.answer_space_.tilted(None))]
    assert scores[0] == scores[1]


def test_calibration_does_not_depend_on_the_class_weights_scale(skewed):
    # the training objective does not (its penalty counts the rows given);
    # the temperature's smoothing and the tilt's criterion used to
    X, y = skewed
    fits = [EnergyClassifier(loss="hinge", random_state=0,
                             class_weight={0: s, 1: 2 * s, 2: 3 * s}).fit(X, y)
            for s in (0.01, 1.0, 100.0)]
    for clf in fits[1:]:
        assert clf.beta_ == pytest.approx(fits[0].beta_, rel=1e-6)
        assert clf.predict_proba(X) == pytest.approx(fits[0].predict_proba(X),
                                                     abs=1e-6)


def test_a_space_pickled_before_the_tilt_is_untilted():
    space = ClassSpace(3)
    assert "tilt" not in vars(space)
    E = np.array([[0.0, 1.0, 2.0]])
    assert np.array_equal(space.energies(_FixedEnergies(E), [0]), E)


def test_a_tilt_that_earns_less_than_its_parameters_is_not_kept():
    # energies symmetric in the classes, each row's label its lowest: no
    # tilt raises the likelihood; labels all of one class: a tilt does
    k = 3
    E = np.array([np.roll([0.0, 1.0, 2.0], j) for j in range(k)] * 20)
    rows, w = np.arange(len(E)), np.ones(len(E))
    space = ClassSpace(k)
    assert space.fit_tilt(_FixedEnergies(E), rows, E.argmin(axis=1), w, 1.0) is None
    t = space.fit_tilt(_FixedEnergies(E), rows, np.zeros(len(E), int), w, 1.0)
    assert t is not None and t[0] == 0 and np.all(t[1:] < -1)


def test_rows_of_non_finite_energies_do_not_drop_the_tilt():
    k = 3
    E = np.array([np.roll([0.0, 1.0, 2.0], j) for j in range(k)] * 20)
    y, w = np.zeros(len(E), int), np.ones(len(E))
    space = ClassSpace(k)
    t = space.fit_tilt(_FixedEnergies(E), np.arange(len(E)), y, w, 1.0)
    E_bad = np.vstack([E, [[-np.inf, 0.0, 1.0], [np.nan, 0.0, 0.0]]])
    t_bad = space.fit_tilt(_FixedEnergies(E_bad), np.arange(len(E_bad)),
                           np.r_[y, 1, 2], np.ones(len(E_bad)), 1.0)
    assert t_bad == pytest.approx(t)


def test_a_tilt_that_overrules_the_decisions_is_not_kept(monkeypatch):
    # every row's lowest energy is its class, but the energies' Gibbs
    # frequencies put class 1 at 0.46 where the rows hold 0.2: the likeliest
    # offsets push class 1 past its rows' narrow gaps, and accuracy 1 to 0.8
    E = np.array([[0.0, 0.2]] * 80 + [[0.05, 0.0]] * 20)
    y = np.r_[np.zeros(80, int), np.ones(20, int)]
    rows, w = np.arange(100), np.ones(100)
    space = ClassSpace(2)
    assert space.fit_tilt(_FixedEnergies(E), rows, y, w, 1.0) is None
    monkeypatch.setattr("skebm.inference._classes._MAX_TILT_ACCURACY_LOSS", 1.0)
    t = space.fit_tilt(_FixedEnergies(E), rows, y, w, 1.0)
    assert t is not None
    tilted = space.tilted(t).energies(_FixedEnergies(E), rows)
    assert np.mean(tilted.argmin(axis=1) == y) < 0.9
