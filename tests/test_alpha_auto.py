"""The scheduling of alpha="auto"'s trial fits and refit in worker threads."""

import threading
import types
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skebm import EnergyClassifier
from skebm._alpha_auto import _AUTO_ALPHAS, _AUTO_FOLDS
from skebm._alpha_trials import _along_path, _Trials
from skebm.inference import IntervalSpace
from skebm.solvers import _checks

TIMEOUT = 30  # seconds; only a broken scheduler waits this long


def _trials(scores, last_waits=False):
    """Fake trials scoring ``scores`` (in _AUTO_ALPHAS' order), and a refit
    that records its candidates and warns. With ``last_waits`` the last trial
    returns only once a refit has started."""
    refitted, started = [], threading.Event()

    def trial(candidate):
        index = _AUTO_ALPHAS.index(candidate)
        warnings.warn(f"trial {candidate}", UserWarning)
        if index == len(_AUTO_ALPHAS) - 1 and last_waits:
            assert started.wait(TIMEOUT)
        return scores[index], f"model {candidate}"

    def refit(candidate, model):
        refitted.append((candidate, model))
        started.set()
        warnings.warn(f"refit {candidate}", UserWarning)
        return f"refit of {candidate}"

    return trial, refit, refitted, started


def test_a_refit_started_early_is_kept_when_its_trial_stays_the_best():
    # two threads, three trials: the thread left without a trial refits the
    # best finished one while the last trial runs, and no second refit runs
    trial, refit, refitted, _ = _trials([0.0, 1.0, -1.0], last_waits=True)
    results, model, caught = _Trials(trial, refit, _AUTO_ALPHAS).in_threads(2)
    assert [score for score, _ in results] == [0.0, 1.0, -1.0]
    assert [m for _, m in results] == [f"model {c}" for c in _AUTO_ALPHAS]
    assert refitted == [(_AUTO_ALPHAS[1], f"model {_AUTO_ALPHAS[1]}")]
    assert model == f"refit of {_AUTO_ALPHAS[1]}"
    # the refit's warning comes back to be raised by the caller; the trials'
    # are dropped
    assert [str(w) for w in caught] == [f"refit {_AUTO_ALPHAS[1]}"]


def test_a_refit_started_early_is_replaced_when_a_later_trial_wins():
    trial, refit, refitted, _ = _trials([0.0, 1.0, 2.0], last_waits=True)
    results, model, caught = _Trials(trial, refit, _AUTO_ALPHAS).in_threads(2)
    assert [c for c, _ in refitted] == [_AUTO_ALPHAS[1], _AUTO_ALPHAS[2]]
    assert model == f"refit of {_AUTO_ALPHAS[2]}"
    assert [str(w) for w in caught] == [f"refit {_AUTO_ALPHAS[2]}"]


def test_ties_and_nan_scores_choose_as_in_turn():
    # NaN scores lowest, and the first of equal scores wins, whatever the
    # order in which the trials finish
    trial, refit, refitted, _ = _trials([float("nan"), 1.0, 1.0])
    results, model, _ = _Trials(trial, refit, _AUTO_ALPHAS).in_threads(3)
    assert model == f"refit of {_AUTO_ALPHAS[1]}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _Trials(trial, None, _AUTO_ALPHAS).in_turn() == results


def test_without_a_refit_only_the_trials_run():
    trial, _, refitted, _ = _trials([0.0, 1.0, 2.0])
    results, model, caught = _Trials(trial, None, _AUTO_ALPHAS).in_threads(2)
    assert model is None and caught == [] and refitted == []
    assert len(results) == len(_AUTO_ALPHAS)


def test_a_failing_trial_raises_and_leaves_the_filters_as_they_were():
    def trial(candidate):
        if candidate == _AUTO_ALPHAS[0]:
            raise ValueError("trial failed")
        return 0.0, None

    filters, shown = list(warnings.filters), warnings.showwarning
    with pytest.raises(ValueError, match="trial failed"):
        _Trials(trial, lambda c, m: m, _AUTO_ALPHAS).in_threads(2)
    assert warnings.filters == filters and warnings.showwarning is shown


def test_of_failed_trials_the_first_in_order_reports():
    # the second trial fails first; the first fails later and reports, as
    # when the trials run in turn
    second_failed = threading.Event()

    def trial(candidate):
        if candidate == _AUTO_ALPHAS[0]:
            assert second_failed.wait(TIMEOUT)
            raise ValueError("first")
        if candidate == _AUTO_ALPHAS[1]:
            second_failed.set()
            raise ValueError("second")
        return 0.0, None

    with pytest.raises(ValueError, match="first"):
        _Trials(trial, None, _AUTO_ALPHAS).in_threads(2)


def test_a_failed_trial_keeps_its_cause():
    def trial(candidate):
        if candidate == _AUTO_ALPHAS[0]:
            try:
                {}["missing"]
            except KeyError as err:
                raise ValueError("trial failed") from err
        return 0.0, None

    with pytest.raises(ValueError, match="trial failed") as info:
        _Trials(trial, None, _AUTO_ALPHAS).in_threads(2)
    assert isinstance(info.value.__cause__, KeyError)


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("middle_score, middle_checked, continued", [
    (0.0, True, True), (float("nan"), True, False), (0.0, False, False)])
def test_along_path_the_others_start_from_a_checked_middle_trial(
        n_threads, middle_score, middle_checked, continued):
    # a middle trial that kept no best iterate, or scored NaN, is no start
    calls = []

    def trial(candidate, start=None):
        calls.append((candidate, start))
        model = types.SimpleNamespace(candidate=candidate)
        if candidate == _AUTO_ALPHAS[1]:
            model._best_n_iter = 10 if middle_checked else None
            return middle_score, model
        return float(candidate), model

    results = _along_path(trial, _AUTO_ALPHAS, n_threads)
    assert [m.candidate for _, m in results] == list(_AUTO_ALPHAS)
    assert calls[0] == (_AUTO_ALPHAS[1], None)
    middle = results[1][1]
    starts = {c: s for c, s in calls[1:]}
    assert set(starts) == {_AUTO_ALPHAS[0], _AUTO_ALPHAS[2]}
    assert all(s is (middle if continued else None) for s in starts.values())


def test_a_scale_invariant_loss_runs_one_trial(monkeypatch):
    # LVQ2 takes no penalty: the three trials would be one fit three times
    from skebm import EnergyRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = X[:, 0] + 0.1 * rng.normal(size=60)
    alphas = []
    fit = EnergyRegressor._fit

    def counting_fit(self, *args, held_out=None, alpha=None, **kwargs):
        if held_out is not None:
            alphas.append(alpha)
        return fit(self, *args, held_out=held_out, alpha=alpha, **kwargs)

    monkeypatch.setattr(EnergyRegressor, "_fit", counting_fit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for loss, expected in [("lvq2", (0.0,)), ("hinge", _AUTO_ALPHAS)]:
            alphas.clear()
            model = EnergyRegressor(energy="joint", loss=loss, hidden_layer_sizes=(8,),
                                    max_iter=20, random_state=0).fit(X, y)
            # below _AUTO_FOLDS_MAX_ROWS rows each trial is a cross-validation
            assert tuple(sorted(set(alphas))) == expected, loss
            assert len(alphas) == _AUTO_FOLDS * len(expected), loss
            if loss == "lvq2":
                assert model.alpha_ == 0.0
        # alpha_ is the penalty used: none, also for classes and without trials
        from skebm import EnergyClassifier

        labels = (X[:, 0] > 0).astype(int)
        for n_rows in (60, 6):
            clf = EnergyClassifier(loss="lvq2", max_iter=20, random_state=0)
            assert clf.fit(X[:n_rows], labels[:n_rows]).alpha_ == 0.0


def test_partial_fit_alpha_is_none_for_lvq2_and_not_inherited_from_it():
    from skebm import EnergyClassifier

    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = EnergyClassifier(loss="lvq2", random_state=0)
        assert clf.partial_fit(X, y, classes=[0, 1]).alpha_ == 0.0
        # a loss with a penalty does not take LVQ2's 0 as a choice
        clf.set_params(loss="hinge", energy="distance")
        assert clf.partial_fit(X, y).alpha_ == 1.0


def test_alpha_given_with_lvq2_is_reported_as_the_none_applied():
    # alpha_ read 10 for a fit that, LVQ2 being scale-invariant, applied none
    from skebm import EnergyRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = X[:, 0] + 0.1 * rng.normal(size=60)
    fits = [EnergyRegressor(energy="joint", loss="lvq2", hidden_layer_sizes=(8,),
                            alpha=alpha, max_iter=5, random_state=0)
            for alpha in (0.0, 10.0)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter=5
        for reg in fits:
            reg.fit(X, y)
    assert [reg.alpha_ for reg in fits] == [0.0, 0.0]
    assert_allclose(fits[0].energy_.params_, fits[1].energy_.params_)


def test_pooled_score_fits_one_temperature_to_all_folds():
    # two folds whose log-likelihoods peak at beta 1 and 4, weighted 3:1: a
    # quadratic in log beta each, so the pooled peak is 4 ** (1 / 4); under
    # the floor both peak twice as high, and the model keeps that temperature
    from skebm._held_out import pooled_score

    class Fit:
        tol = 1e-4
        answer_space_ = IntervalSpace((-1.0, 1.0))

        def __init__(self, n_iter):
            # one check, at the end
            self.validation_scores_, self._check_iterations = [0.0], [n_iter]

    def scorer(peak):
        def score(at=None, floored=False):
            top = 2 * peak if floored else peak
            b = top if at is None else at
            return -np.log(b / top) ** 2, b
        return score

    fits = [(Fit(30), scorer(1.0), 3.0), (Fit(50), scorer(4.0), 1.0),
            (Fit(40), scorer(1.0), 0.0)]
    score, model = pooled_score(fits, fit_beta=True)
    assert model is fits[0][0] and model._best_n_iter == 50
    np.testing.assert_allclose(model.beta_, 2 * 4 ** 0.25, rtol=1e-3)
    expected = -(0.75 * np.log(4 ** 0.25) ** 2 + 0.25 * np.log(4 ** 0.75) ** 2)
    np.testing.assert_allclose(score, expected, rtol=1e-5)
    # a space without a floor keeps the temperature of the score
    Fit.answer_space_ = IntervalSpace((-1.0, 1.0), floor=0.0)
    np.testing.assert_allclose(pooled_score(fits, fit_beta=True)[1].beta_,
                               4 ** 0.25, rtol=1e-3)
    # a fixed temperature: the folds' scores at it, weighted
    score, model = pooled_score(fits, fit_beta=False)
    assert model.beta_ == 1.0
    np.testing.assert_allclose(score, -0.25 * np.log(4) ** 2)


def test_pooled_iteration_count_is_the_best_check_over_the_folds():
    from skebm._held_out import pooled_n_iter

    class Fit:
        tol = 1e-4

        def __init__(self, scores, iterations):
            self.validation_scores_, self._check_iterations = scores, iterations

    # a fold weighted 3 peaks at its second check and stops at its fourth; a
    # fold weighted 1 is still improving at its third. Pooled, the last
    # score of the first fold carried on: -3.5, -1.75, -1.25, -1.25, so the
    # third check (30 iterations) wins; the folds' own best counts, 20 and
    # 30, have no such answer. A fold of weight zero that overflowed counts
    # for nothing.
    fits = [Fit([-3.0, -1.0, -1.0, -1.0], [10, 20, 30, 40]),
            Fit([-5.0, -4.0, -2.0], [10, 20, 30]),
            Fit([np.nan], [10])]
    assert pooled_n_iter(fits, [0.75, 0.25, 0.0]) == 30
    # an improvement within tol does not count
    fits[1].validation_scores_ = [-5.0, -4.0, -4.0 + 1e-5]
    assert pooled_n_iter(fits, [0.75, 0.25, 0.0]) == 20
    # a fold that was not checked: no count
    fits[2].validation_scores_ = None
    assert pooled_n_iter(fits, [0.75, 0.25, 0.0]) is None


def test_few_rows_choose_their_penalty_by_cross_validation():
    # 15 rows: too few for one held-out split; before the folds, alpha_ was
    # 10 without trials and the mlp energy predicted nearly the mean
    from skebm import EnergyRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2015, 3))
    y = X @ [1.0, 0.5, 0.0] + 0.3 * rng.normal(size=2015)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = EnergyRegressor(energy="mlp", random_state=0).fit(X[:15], y[:15])
    assert reg.alpha_ < 10
    assert reg.score(X[15:], y[15:]) > 0.6


@pytest.mark.parametrize("n_rows", [100, 300])
def test_a_target_that_varies_in_one_row_is_fitted_without_trials(n_rows):
    # a trial whose training part held none of the rare values refused the
    # fit: "y is constant", of a y that is not
    from skebm import EnergyRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, 3))
    y = np.zeros(n_rows)
    y[5] = 1.0
    reg = EnergyRegressor(energy="joint", random_state=0).fit(X, y)
    assert reg.alpha_ == _AUTO_ALPHAS[-1]
    assert np.all(np.abs(reg.predict(X)) < 0.5)
    # a constant part is refused by one column of joint alone
    part, weight = np.zeros((20, 1)), np.ones(20)
    assert not reg._trial_can_fit(part, weight)
    assert reg._trial_can_fit(np.hstack([part, part + 1]), weight)
    assert EnergyRegressor()._trial_can_fit(part, weight)


def test_validation_splits_cross_validate_few_rows_unless_sampled():
    from skebm._alpha_auto import _validation_splits

    assert _validation_splits(9, sampled=False) == []
    assert _validation_splits(19, sampled=True) == []
    for n_rows, sampled, n_splits in [(10, False, 5), (199, False, 5),
                                      (200, False, 1), (20, True, 1),
                                      (199, True, 1)]:
        splits = _validation_splits(n_rows, sampled)
        assert len(splits) == n_splits
        for train, held_out in splits:
            assert sorted([*train, *held_out]) == list(range(n_rows))
        # every row is held out once in a cross-validation
        if n_splits > 1:
            assert sorted(np.concatenate([h for _, h in splits])) == list(range(n_rows))
        else:
            assert len(held_out) == int(np.ceil(0.2 * n_rows))


def test_folds_standardize_targets_as_all_rows_do(monkeypatch):
    # their log densities and one temperature are then in the refit's units
    from skebm import EnergyRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = 5 + 3 * X[:, 0] + rng.standard_t(2, size=40)
    trials = []
    fit = EnergyRegressor._fit

    def spy(self, *args, held_out=None, **kwargs):
        fit(self, *args, held_out=held_out, **kwargs)
        if held_out is not None:
            trials.append(self)
        return self

    monkeypatch.setattr(EnergyRegressor, "_fit", spy)
    reg = EnergyRegressor(energy="mlp", hidden_layer_sizes=(8,), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.fit(X, y)
    assert len(trials) == _AUTO_FOLDS * len(_AUTO_ALPHAS)
    for trial in trials:
        np.testing.assert_allclose(trial.y_mean_, reg.y_mean_, rtol=1e-12)
        np.testing.assert_allclose(trial.y_scale_, reg.y_scale_, rtol=1e-12)


# -- classes ------------------------------------------------------------------------


def test_class_splits_are_stratified_where_every_class_can_be():
    from skebm._alpha_auto import _validation_splits

    labels = np.repeat(["a", "b", "c"], [50, 40, 10])
    for _, held_out in _validation_splits(100, False, labels):
        # each fold holds out a fifth of every class
        np.testing.assert_array_equal(
            np.unique(labels[held_out], return_counts=True)[1], [10, 8, 2])
    [(_, held_out)] = _validation_splits(300, False, np.repeat(labels, 3))
    np.testing.assert_array_equal(
        np.unique(np.repeat(labels, 3)[held_out], return_counts=True)[1],
        [30, 24, 6])
    # a class of 3 rows cannot be in all five folds: unstratified folds
    rare = np.repeat(["a", "b", "c"], [50, 47, 3])
    splits = _validation_splits(100, False, rare)
    assert len(splits) == _AUTO_FOLDS
    assert sorted(np.concatenate([h for _, h in splits])) == list(range(100))


def test_classifier_trials_know_every_class():
    # a class of two rows is missing from the training part of some folds:
    # every trial still has all three classes, and string labels merge
    from skebm import EnergyClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.where(X[:, 0] > 0, "up", "down").astype(object)
    y[:2] = "rare"
    X[:2] += 3.0
    clf = EnergyClassifier(energy="mlp", hidden_layer_sizes=(8,), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    assert list(clf.classes_) == ["down", "rare", "up"]
    assert clf.alpha_ in _AUTO_ALPHAS
    proba = clf.predict_proba(X)
    assert proba.shape == (60, 3) and np.all(np.isfinite(proba))
    assert clf.score(X, y) > 0.8


def test_classifier_penalty_chosen_on_held_out_rows_calibrates_noisy_classes():
    # overlapping classes: a weak penalty lets the mlp energy memorize the
    # training rows; alpha="auto" chooses by held-out log loss (before it
    # was 0.5 whatever the data)
    from sklearn.datasets import make_classification
    from sklearn.metrics import log_loss

    from skebm import EnergyClassifier

    X, y = make_classification(600, 10, n_informative=3, flip_y=0.3,
                               random_state=0)
    X_train, y_train, X_test, y_test = X[:400], y[:400], X[400:], y[400:]
    losses, chosen = {}, {}
    for alpha in ["auto", 0.5, 10.0]:
        clf = EnergyClassifier(energy="mlp", alpha=alpha, random_state=0)
        clf.fit(X_train, y_train)
        losses[alpha] = log_loss(y_test, clf.predict_proba(X_test))
        chosen[alpha] = clf.alpha_
    # the old default, 0.5, overfits (1.03 nats here; LogisticRegression
    # 0.67); the penalty held-out rows prefer fits as well as choosing it by
    # hand
    assert chosen["auto"] == 10.0
    assert losses["auto"] < losses[0.5] - 0.2
    assert losses["auto"] == pytest.approx(losses[10.0], abs=0.02)


def test_classifier_trials_weigh_classes_as_the_refit(monkeypatch):
    # "balanced" counts the rows given (class 0: 10 distinct rows, each 5
    # times), not the trials' merged rows; a dict that leaves out a class
    # some trials lack still fits
    from sklearn.utils.class_weight import compute_class_weight

    from skebm import EnergyClassifier

    rng = np.random.default_rng(0)
    X = np.vstack([np.repeat(rng.normal(size=(10, 2)) + 2, 5, axis=0),
                   rng.normal(size=(50, 2))])
    y = np.repeat([0, 1], 50)
    trials = []
    fit = EnergyClassifier._fit

    def spy(self, *args, held_out=None, **kwargs):
        if held_out is not None:
            trials.append(self.class_weight)
        return fit(self, *args, held_out=held_out, **kwargs)

    monkeypatch.setattr(EnergyClassifier, "_fit", spy)
    EnergyClassifier(class_weight="balanced", random_state=0).fit(X, y)
    expected = dict(zip([0, 1], compute_class_weight("balanced", classes=np.arange(2),
                                                     y=y)))
    assert trials and all(weights == expected for weights in trials)
    # three rows of class 2 cannot be in every fold's training rows
    y3 = np.r_[y[:37], np.full(3, 2), y[40:]]
    clf = EnergyClassifier(class_weight={0: 1.0, 2: 5.0}, random_state=0).fit(X, y3)
    assert clf.alpha_ in _AUTO_ALPHAS


def test_the_refit_runs_its_trials_iteration_count(monkeypatch):
    # a training loss that never improves by tol would stop the refit after
    # n_iter_no_change + 1 epochs: another schedule than the trial's (on
    # MASS' cats 12 epochs for a best trial count of 70 to 200)
    from skebm import EnergyClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    refits = []
    fit = EnergyClassifier._fit

    def recording_fit(self, *args, held_out=None, n_iter=None, **kwargs):
        result = fit(self, *args, held_out=held_out, n_iter=n_iter, **kwargs)
        if held_out is None:
            refits.append((n_iter, self.n_iter_))
        return result

    monkeypatch.setattr(EnergyClassifier, "_fit", recording_fit)
    EnergyClassifier(loss="perceptron", tol=10.0, n_iter_no_change=2,
                     random_state=0).fit(X, y)
    assert refits and all(count is not None and count >= 10 for count, _ in refits)
    assert all(done == count for count, done in refits), refits


def test_a_refit_whose_energies_scale_takes_the_temperature_of_its_trial():
    # a refit whose energies are c times its trial's gives the same
    # probabilities at beta / c; a loss with a partition keeps beta
    import copy

    from skebm import EnergyClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + rng.normal(size=200) > 0).astype(int)
    w = np.ones(200)
    for loss, expected in [("perceptron", 2.0 / 3.0), ("nll", 2.0)]:
        trial = EnergyClassifier(loss=loss, alpha=1.0, random_state=0).fit(X, y)
        refit = copy.deepcopy(trial)
        # the linear energy's scores, times 3
        refit.energy_.set_params_vector(3.0 * refit.energy_.params_)
        refit._carry_temperature([trial], 2.0, X, w)
        np.testing.assert_allclose(refit.beta_, expected, rtol=1e-8)
        # untilted, both: the tilt is refitted after (_retilt)
        np.testing.assert_allclose(refit.predict_proba(X),
                                   trial.answer_space_.proba(
                                       trial.energy_.energies(X), 2.0)
                                   if loss == "perceptron" else
                                   refit.answer_space_.proba(refit.energies(X), 2.0),
                                   atol=1e-10)


@pytest.mark.parametrize("n_rows", [300, 120])
def test_a_refit_on_another_scale_predicts_the_probabilities_of_one_on_the_same(
        monkeypatch, n_rows):
    # a refit whose energies come out 3 times as large (the perceptron's
    # scale follows its path) predicts what the same refit on its trial's
    # scale does, with one validation split and with a cross-validation's
    # folds (below 200 rows)
    from skebm import EnergyClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, 3))
    y = (X[:, 0] + rng.normal(size=n_rows) > 0).astype(int)
    fit = EnergyClassifier._fit

    def scaled_refit(self, *args, held_out=None, **kwargs):
        result = fit(self, *args, held_out=held_out, **kwargs)
        if held_out is None:
            self.energy_.set_params_vector(3.0 * self.energy_.params_)
        return result

    same = EnergyClassifier(loss="perceptron", random_state=0).fit(X, y)
    monkeypatch.setattr(EnergyClassifier, "_fit", scaled_refit)
    scaled = EnergyClassifier(loss="perceptron", random_state=0).fit(X, y)
    np.testing.assert_allclose(scaled.energies(X), 3.0 * same.energies(X), rtol=1e-5)
    np.testing.assert_allclose(scaled.beta_, same.beta_ / 3.0, rtol=1e-6)
    np.testing.assert_allclose(scaled.predict_proba(X), same.predict_proba(X),
                               atol=1e-6)


def test_validation_splits_draw_the_rows_of_large_data(monkeypatch):
    # one split of a random draw of _AUTO_TRIAL_MAX_ROWS rows, stratified;
    # a draw leaving fewer rows out than there are classes is not
    from skebm import _alpha_auto as alpha_auto

    monkeypatch.setattr(alpha_auto, "_AUTO_TRIAL_MAX_ROWS", 500)
    labels = np.repeat([0, 1, 2], [1000, 600, 400])
    [(train, held_out)] = alpha_auto._validation_splits(2000, False, labels)
    assert (len(train), len(held_out)) == (400, 100)
    assert not np.intersect1d(train, held_out).size
    np.testing.assert_array_equal(np.bincount(labels[held_out]), [50, 30, 20])
    np.testing.assert_array_equal(np.bincount(labels[train]), [200, 120, 80])
    [(train, held_out)] = alpha_auto._validation_splits(502, False, np.arange(502) % 3)
    assert (len(train), len(held_out)) == (400, 100)
    assert alpha_auto._validation_splits(500, False)[0][0].size == 400
    assert len(np.union1d(*alpha_auto._validation_splits(2000, False)[0])) == 500
    # a draw below the cross-validation's limit is still one split of row ids
    monkeypatch.setattr(alpha_auto, "_AUTO_TRIAL_MAX_ROWS", 100)
    [(train, held_out)] = alpha_auto._validation_splits(2000, False)
    assert len(np.union1d(train, held_out)) == 100 and train.max() > 100


@pytest.mark.parametrize("estimator", ["classifier", "regressor"])
def test_trials_on_a_draw_are_followed_by_one_refit_on_all_rows(
        monkeypatch, estimator):
    # above _AUTO_TRIAL_MAX_ROWS distinct rows: three trials on the draw, in
    # turn, then one refit of the chosen penalty on all the rows, for its
    # trial's count of iterations, in the calling thread (alone: it is the
    # large fit), with no second expert
    from skebm import EnergyClassifier, EnergyRegressor
    from skebm import _alpha_auto as alpha_auto

    monkeypatch.setattr(alpha_auto, "_AUTO_TRIAL_MAX_ROWS", 300)
    monkeypatch.setattr(alpha_auto, "_openmp_effective_n_threads", lambda: 2)
    cls = EnergyClassifier if estimator == "classifier" else EnergyRegressor
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 3))
    y = X[:, 0] + 0.3 * rng.normal(size=1000)
    y = (y > 0).astype(int) if estimator == "classifier" else y
    calls = []
    fit = cls._fit

    def spy(self, X, *args, held_out=None, n_iter=None, **kwargs):
        assert threading.current_thread() is threading.main_thread()
        calls.append((self, X.shape[0], held_out is not None, n_iter))
        return fit(self, X, *args, held_out=held_out, n_iter=n_iter, **kwargs)

    monkeypatch.setattr(cls, "_fit", spy)
    model = cls(energy="mlp", hidden_layer_sizes=(8,), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    trials = [call for call in calls if call[2]]
    refits = [call for call in calls if not call[2]]
    assert [rows for _, rows, _, _ in trials] == [240] * len(_AUTO_ALPHAS)
    [chosen] = [trial for trial, _, _, _ in trials if trial.alpha_ == model.alpha_]
    assert chosen._best_n_iter > 0
    assert refits == [(model, 1000, False, chosen._best_n_iter)]
    assert model.alpha_ in _AUTO_ALPHAS and np.isfinite(model.beta_)
    assert model.score(X, y) > (0.8 if estimator == "classifier" else 0.7)


@pytest.mark.parametrize("loss, patience", [("hinge", 15), ("log", 15), ("nll", 3)])
def test_margin_losses_checks_under_lbfgs_wait_for_max_iter(loss, patience, monkeypatch):
    # L-BFGS on a margin loss can cross a plateau of a hundred iterations
    # or more over which the held-out score drifts down (ggplot2's
    # diamonds: 1.08 nats at 10 iterations, 0.98 at 300), and three checks
    # without improvement ended alpha="auto"'s trials inside it. With the
    # linear energy, the trials and early stopping now wait up to max_iter
    # (150: 15 checks) and keep the best check; the NLL, a network energy
    # and Adam keep three.
    patiences = []
    init = _checks.Checks.__init__

    def recording(self, settings, validation):
        init(self, settings, validation)
        patiences.append(self.patience)

    monkeypatch.setattr(_checks.Checks, "__init__", recording)
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = EnergyClassifier(loss=loss, max_iter=150, random_state=0).fit(X, y)
        assert model.solver_ == "lbfgs"
        # the three penalties' trials, each a 5-fold cross-validation of
        # these 178 rows
        assert len(patiences) == 15 and set(patiences) == {patience}
        del patiences[:]
        EnergyClassifier(loss=loss, alpha=1.0, early_stopping=True, max_iter=150,
                         random_state=0).fit(X, y)
        assert patiences == [patience]
        del patiences[:]
        for params in [{"solver": "adam"}, {"energy": "mlp"}]:
            EnergyClassifier(loss=loss, max_iter=150, random_state=0,
                             **params).fit(X, y)
    assert len(patiences) == 30 and set(patiences) == {3}


def test_early_stopping_at_max_iter_warns_only_while_still_improving():
    # a run that waits for max_iter past its best check has converged on
    # the held-out rows; one whose last checks were best has not
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = EnergyClassifier(loss="hinge", alpha=1.0, early_stopping=True,
                                 max_iter=150, random_state=0).fit(X, y)
    scores = model.validation_scores_
    assert len(scores) == 15 and np.argmax(scores) < len(scores) - 3
    with pytest.warns(ConvergenceWarning, match="still improving"):
        EnergyClassifier(loss="hinge", alpha=1.0, early_stopping=True,
                         max_iter=10, random_state=0).fit(X, y)
