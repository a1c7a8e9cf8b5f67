"""alpha="auto"'s product of experts: two penalties' fits joined into one
energy where the rows it holds out prefer that."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning

import skebm._alpha_auto as alpha_auto
from skebm import EnergyRegressor
from skebm._experts import refit_quietly, second_expert
from skebm.energies._network import product_of_experts
from skebm.losses import get_loss


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


def _fit(X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return EnergyRegressor(**{"energy": "joint", **params}).fit(X, y)


def test_product_of_experts_adds_their_weighted_energies(diabetes):
    X, y = diabetes
    one = _fit(X, y, alpha=1.0, max_iter=20, random_state=0)
    other = _fit(X, y, alpha=0.1, max_iter=20, random_state=1)
    product = product_of_experts([one.energy_, other.energy_], (0.3, 0.7))
    assert product.hidden_layer_sizes == (128, 128) and product.n_experts == 2
    Xe = one._energy_inputs(X[:20]).astype(np.float32)
    targets, grid = np.linspace(-1, 1, 20)[:, None], np.linspace(-3, 3, 50)
    energies = [e.forward(Xe, targets, grid)[0]
                for e in (one.energy_, other.energy_, product)]
    np.testing.assert_allclose(energies[2], 0.3 * energies[0] + 0.7 * energies[1],
                               rtol=1e-10, atol=1e-10)
    # a fresh build of the experts' architecture continues the product
    assert one.energy_.same_architecture(product)
    assert not product.same_architecture(one.energy_)


def test_product_of_experts_needs_one_basis_and_no_output_map(diabetes):
    X, y = diabetes
    one = _fit(X, y, alpha=1.0, max_iter=5, random_state=0)
    skewed = _fit(X, np.exp(y / 100), alpha=1.0, max_iter=5, random_state=0)
    assert product_of_experts([one.energy_, skewed.energy_], (0.5, 0.5)) is None
    softplus = _fit(X, y, loss="square_square", alpha=1.0, max_iter=5,
                    random_state=0)
    assert product_of_experts([softplus.energy_, softplus.energy_],
                              (0.5, 0.5)) is None
    gaussian = _fit(X, y, energy="mlp", alpha=1.0, max_iter=5, random_state=0)
    assert product_of_experts([gaussian.energy_, gaussian.energy_],
                              (0.5, 0.5)) is None


def _trial_models(X, y, betas, loss="nll"):
    fits = []
    for seed, beta in enumerate(betas):
        model = _fit(X, y, loss=loss, alpha=1.0, max_iter=5, random_state=seed)
        model.beta_ = beta
        fits.append(model)
    return fits


def _recording(monkeypatch):
    calls = []

    def recorded(scores, models, trial_fits, score):
        calls.append((scores, models, second_expert(scores, models, trial_fits,
                                                    score)))
        return calls[-1][2]

    monkeypatch.setattr(alpha_auto, "second_expert", recorded)
    return calls


@pytest.mark.parametrize("joined_gain", [0.01, 0.0, -0.01])
def test_second_expert_is_joined_only_where_the_product_scores_better(
        diabetes, joined_gain):
    X, y = diabetes
    models = _trial_models(X, y, [2.0, 1.0, 0.5])
    scores = [-1.0, -1.5, -1.2]
    held_out = (X[:10], y[:10], np.ones(10))
    trial_fits = [[(model, held_out)] for model in models]
    seen = []

    def score(fits):
        (joined, rows), = fits
        seen.append(joined)
        assert rows is held_out and joined.beta_ == 1.0
        joined.beta_ = 0.9
        return max(scores) + joined_gain, joined

    found = second_expert(scores, models, trial_fits, score)
    # the second best is the third trial; each weighs half its temperature
    expected = product_of_experts([models[0].energy_, models[2].energy_],
                                  (1.0, 0.25))
    np.testing.assert_array_equal(seen[0].energy_.params_, expected.params_)
    if joined_gain > 0:
        second, weights, joined = found
        assert second == 2 and weights == (1.0, 0.25)
        assert joined is seen[0] and joined.beta_ == 0.9
    else:
        assert found is None


def test_second_expert_needs_the_nll_and_two_scored_trials(diabetes):
    X, y = diabetes
    held_out = (X[:10], y[:10], np.ones(10))

    def score(fits):
        raise AssertionError("nothing to score")

    hinge = _trial_models(X, y, [1.0, 1.0], loss="hinge")
    assert second_expert([0.0, -1.0], hinge, [[(m, held_out)] for m in hinge],
                         score) is None
    nll = _trial_models(X, y, [1.0, 1.0])
    fits = [[(m, held_out)] for m in nll]
    assert second_expert([0.0, np.nan], nll, fits, score) is None
    nll[1].beta_ = np.inf
    assert second_expert([0.0, -1.0], nll, fits, score) is None
    assert get_loss("nll").partition and not get_loss("hinge").partition


@pytest.mark.filterwarnings("ignore:.*lie outside the grid")
def test_alpha_auto_keeps_the_product_and_its_temperature(diabetes, monkeypatch):
    X, y = diabetes
    calls = _recording(monkeypatch)
    # a seed whose held-out rows prefer the product
    model = _fit(X, y, random_state=1)
    found = calls[-1][2]
    assert found is not None, "seed 1 made no product"
    second, weights, joined = found
    assert model.energy_.n_experts == 2
    assert model.energy_.hidden_layer_sizes == (128, 128)
    assert model.beta_ == joined.beta_
    # still a density: it integrates to one over y
    grid = np.linspace(y.min() - 150, y.max() + 150, 4001)
    density = np.exp(model.predict_log_density(np.repeat(X[:3], len(grid), 0),
                                               np.tile(grid, 3)))
    np.testing.assert_allclose(density.reshape(3, -1).sum(1) * (grid[1] - grid[0]),
                               1, atol=2e-3)
    copied = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copied.predict(X[:5]), model.predict(X[:5]))
    # partial_fit continues the product's network, of its own width
    before = model.energy_.params_.copy()
    model.partial_fit(X[:50], y[:50])
    assert model.energy_.hidden_layer_sizes == (128, 128)
    assert not np.array_equal(model.energy_.params_, before)


def test_alpha_auto_keeps_one_network_where_the_product_scores_worse(
        diabetes, monkeypatch):
    X, y = diabetes
    monkeypatch.setattr(alpha_auto, "second_expert", lambda *args: None)
    model = _fit(X, y, random_state=1)
    assert model.energy_.hidden_layer_sizes == (64, 64)
    assert model.energy_.n_experts == 1


def test_a_kept_trial_joins_the_second_best_trial_without_a_refit(diabetes,
                                                                 monkeypatch):
    # above _AUTO_REFIT_MAX_ROWS the trials along the path are kept: the
    # product joins the two trials themselves, fitted on the same rows
    X, y = diabetes
    calls = _recording(monkeypatch)
    monkeypatch.setattr(EnergyRegressor, "_AUTO_REFIT_MAX_ROWS", 100)
    joined_seen = False
    for seed in range(4):
        model = _fit(X, y, random_state=seed)
        scores, models, found = calls[-1]
        if found is None:
            assert model.energy_.hidden_layer_sizes == (64, 64)
            continue
        joined_seen = True
        second, weights, joined = found
        best = int(np.nanargmax(scores))
        expected = product_of_experts(
            [models[best].energy_, models[second].energy_], weights)
        np.testing.assert_array_equal(model.energy_.params_, expected.params_)
        assert model.beta_ == joined.beta_ and model.alpha_ == alpha_auto._AUTO_ALPHAS[
            best]
    assert joined_seen


@pytest.mark.parametrize("n_rows", [442, 150])
def test_the_refit_product_is_that_of_the_two_penalties_refits(diabetes, n_rows,
                                                              monkeypatch):
    # 150 rows: each trial is a cross-validation, and each fold's product
    # joins two fits of that fold
    X, y = diabetes[0][:n_rows], diabetes[1][:n_rows]
    calls = _recording(monkeypatch)
    for seed in range(4):
        model = _fit(X, y, random_state=seed)
        scores, models, found = calls[-1]
        if found is not None:
            break
    else:
        pytest.fail("no seed of 4 made a product")
    second, weights, _ = found
    best = int(np.nanargmax(scores))
    refits = [_fit(X, y, alpha=alpha_auto._AUTO_ALPHAS[i],
                   max_iter=models[i]._best_n_iter, random_state=seed)
              for i in (best, second)]
    expected = product_of_experts([r.energy_ for r in refits], weights)
    np.testing.assert_allclose(model.energy_.params_, expected.params_, rtol=1e-6,
                               atol=1e-7)


def test_a_generator_gives_the_product_its_seed_gives(diabetes, monkeypatch):
    # the refit in the calling thread advances a generator: the second
    # expert's refit must still start where its trial did
    X, y = diabetes
    calls = _recording(monkeypatch)
    seeded = _fit(X, y, random_state=1)
    assert calls[-1][2] is not None
    generated = _fit(X, y, random_state=np.random.RandomState(1))
    np.testing.assert_array_equal(generated.energy_.params_, seeded.energy_.params_)
    assert generated.beta_ == seeded.beta_


def test_the_second_refit_warns_only_what_the_first_did_not():
    def refit(candidate, trial):
        warnings.warn("max_iter reached", ConvergenceWarning)
        warnings.warn("something else", ConvergenceWarning)
        warnings.warn("something else", ConvergenceWarning)
        return candidate, trial

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert refit_quietly(refit, 1.0, "trial",
                             [ConvergenceWarning("max_iter reached")]) == (1.0, "trial")
    # named as the second expert's: its max_iter, read beside the model's
    # n_iter_ (the first refit's), said nothing of where it came from
    assert [(w.category, str(w.message)) for w in caught] == [
        (ConvergenceWarning, 'The second of the two fits that alpha="auto" joins, '
                             'refitted at alpha=1 (user guide, "The variance of one '
                             'fit: two experts"): something else')]
