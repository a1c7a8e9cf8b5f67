"""Tests of skebm.energies: parameter gradients against finite differences,
sparse input, output maps, prototypes and the flat parameter vector."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse

from skebm import EnergyRegressor
from skebm._underflow import negligible
from skebm.energies import (
    CLASSIFIER_ENERGIES,
    REGRESSOR_ENERGIES,
    DistanceEnergy,
    JointEnergy,
    LinearEnergy,
    LinearQuadraticEnergy,
    MLPEnergy,
    QuadraticEnergy,
)

N, D, K = 7, 4, 3
EPS = 1e-6
KINK_MARGIN = 1e-4  # 100 finite-difference steps


def data(seed=0, n=N, d=D, k=K):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.arange(n) % k  # every class present
    return X, y


def pre_activations(energy, X):
    """Pre-activations of every layer that goes through the activation."""
    a, out = np.asarray(X), []
    n_act = len(energy.coefs_) if isinstance(energy, DistanceEnergy) else (
        len(energy.coefs_) - 1)
    for i in range(n_act):
        z = a @ energy.coefs_[i] + energy.intercepts_[i]
        out.append(z)
        a = np.maximum(z, 0) if energy.activation == "relu" else {
            "tanh": np.tanh, "logistic": lambda t: 1 / (1 + np.exp(-t)),
            "identity": lambda t: t}[energy.activation](z)
    return out


def check_gradient(energy, X, seed=0):
    """backward of a random R against central differences of sum(E * R)."""
    rng = np.random.default_rng(seed)
    if getattr(energy, "activation", None) == "relu":
        # the difference quotient is only valid away from the relu kink
        for z in pre_activations(energy, X):
            assert np.abs(z).min() > KINK_MARGIN
    E, cache = energy.forward(X)
    R = rng.normal(size=E.shape)
    grad = energy.backward(cache, R)
    assert grad.shape == energy.params_.shape
    assert grad.dtype == energy.params_.dtype
    p0 = energy.params_.copy()
    fd = np.empty_like(p0)
    for k in range(p0.size):
        energy.params_[k] = p0[k] + EPS
        f_plus = np.sum(energy.energies(X) * R)
        energy.params_[k] = p0[k] - EPS
        f_minus = np.sum(energy.energies(X) * R)
        energy.params_[k] = p0[k]
        fd[k] = (f_plus - f_minus) / (2 * EPS)
    assert_array_equal(energy.params_, p0)
    assert np.abs(grad).max() > 1e-3  # the check is not trivially 0 == 0
    assert_allclose(grad, fd, rtol=1e-4, atol=1e-7)
    return grad


# -- gradients ------------------------------------------------------------

@pytest.mark.parametrize("output", ["score", "code", "softplus"])
def test_linear_gradient(output):
    X, _ = data()
    energy = LinearEnergy(output=output).initialize(D, K, random_state=0)
    # move away from the near-zero start, where code and softplus are nearly flat
    energy.params_[...] = np.random.default_rng(1).normal(size=energy.params_.size)
    check_gradient(energy, X)


@pytest.mark.parametrize("output", ["score", "code", "softplus"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("hidden", [(5,), (5, 4)])
def test_mlp_gradient(hidden, activation, output):
    X, _ = data(seed=3)
    energy = MLPEnergy(hidden, activation, output).initialize(D, K, random_state=0)
    check_gradient(energy, X)


@pytest.mark.parametrize("hidden", [(), (5,), (4, 3)])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_distance_gradient(hidden, activation):
    X, y = data(seed=3)
    energy = DistanceEnergy(hidden, activation).initialize(D, K, random_state=0,
                                                           X=X, y=y)
    # prototypes off the class means, so that every term of the gradient is used
    energy.prototypes_[...] += np.random.default_rng(2).normal(
        scale=0.3, size=energy.prototypes_.shape)
    check_gradient(energy, X)


# -- sparse input -----------------------------------------------------------

SPARSE_CASES = [
    ("linear", lambda: LinearEnergy()),
    ("linear-code", lambda: LinearEnergy(output="code")),
    ("mlp", lambda: MLPEnergy((5,), "tanh")),
    ("mlp-relu-2", lambda: MLPEnergy((5, 4), "relu", "softplus")),
    ("distance", lambda: DistanceEnergy()),
    ("distance-mlp", lambda: DistanceEnergy((5,), "tanh")),
]


def sparse_data():
    X, y = data(seed=4)
    X[np.abs(X) < 0.7] = 0.0  # about half the entries are zero
    return X, y


@pytest.mark.parametrize("name, make", SPARSE_CASES, ids=[c[0] for c in SPARSE_CASES])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_forward_backward_matches_dense(name, make, fmt):
    X, y = sparse_data()
    Xs = sparse.csr_matrix(X) if fmt == "csr" else sparse.csc_matrix(X)
    energy = make().initialize(D, K, random_state=0, X=X, y=y)
    energy.params_[...] = np.random.default_rng(5).normal(size=energy.params_.size)
    E_dense, cache_dense = energy.forward(X)
    E_sparse, cache_sparse = energy.forward(Xs)
    assert isinstance(E_sparse, np.ndarray)
    assert_allclose(E_sparse, E_dense, rtol=1e-12, atol=1e-12)
    R = np.random.default_rng(6).normal(size=(N, K))
    g_sparse = energy.backward(cache_sparse, R)
    assert isinstance(g_sparse, np.ndarray)
    assert_allclose(g_sparse, energy.backward(cache_dense, R),
                    rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("hidden", [(), (5,)])
def test_distance_initialize_from_sparse_matches_dense(hidden):
    """Prototypes start at the class means whether X is sparse or dense (the
    classifier passes its sparse training data to ``initialize``)."""
    X, y = sparse_data()
    w = np.random.default_rng(7).uniform(0.5, 2.0, size=N)
    dense = DistanceEnergy(hidden).initialize(D, K, random_state=0, X=X, y=y,
                                              sample_weight=w)
    for Xs in (sparse.csr_matrix(X), sparse.csc_matrix(X)):
        sp = DistanceEnergy(hidden).initialize(D, K, random_state=0, X=Xs, y=y,
                                               sample_weight=w)
        assert_allclose(sp.params_, dense.params_, rtol=1e-12, atol=1e-15)


# -- output maps --------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda out: LinearEnergy(output=out),
    lambda out: MLPEnergy((6,), "tanh", out),
], ids=["linear", "mlp"])
def test_code_and_softplus_order_classes_like_score(make):
    rng = np.random.default_rng(8)
    X = rng.normal(size=(50, D))
    score = make("score").initialize(D, K, random_state=0)
    params = rng.normal(size=score.params_.size)  # scores of order 1, few ties
    score.params_[...] = params
    g = -score.energies(X)  # the network output
    for out in ("code", "softplus"):
        energy = make(out).initialize(D, K, random_state=0)
        energy.params_[...] = params
        E = energy.energies(X)
        assert E.shape == (50, K)
        if out == "code":
            assert np.all(E >= 0)
            # E_k = 1/2 ||g||^2 - g_k + 1/2: a per-row shift of -g
            assert_allclose(E + g, np.broadcast_to(
                0.5 * (g**2).sum(axis=1, keepdims=True) + 0.5, E.shape))
            # a perfect score vector (one-hot) gives 0 and 1
            assert_allclose(0.5 * ((np.eye(K)[:, None, :] - np.eye(K)[None]) ** 2
                                   ).sum(-1), 1 - np.eye(K))
        else:
            assert np.all(E > 0)
            assert_allclose(E, np.log1p(np.exp(-g)))
        assert_array_equal(np.argmin(E, axis=1), np.argmax(g, axis=1))
        assert_array_equal(np.argsort(E, axis=1), np.argsort(-g, axis=1))


def test_score_output_is_negative_affine_score():
    X, _ = data()
    energy = LinearEnergy().initialize(D, K, random_state=0)
    W, b = energy.coefs_[0], energy.intercepts_[0]
    assert W.shape == (D, K) and b.shape == (K,)
    assert_allclose(energy.energies(X), -(X @ W + b))


def test_softplus_nonnegative_for_large_scores():
    energy = LinearEnergy(output="softplus").initialize(D, K, random_state=0)
    energy.params_[...] = 1e3
    E = energy.energies(np.array([[1.0, 1.0, 1.0, 1.0], [-1.0, -1.0, -1.0, -1.0]]))
    assert np.all(np.isfinite(E)) and np.all(E >= 0)
    assert_allclose(E[1], 4e3 - 1e3)  # softplus(t) = t for large t


# -- distance -----------------------------------------------------------------

def test_distance_energies_are_scaled_squared_distances():
    rng = np.random.default_rng(9)
    X = rng.normal(loc=3.0, size=(20, D))  # off-center: the expansion cancels
    y = np.arange(20) % K
    energy = DistanceEnergy().initialize(D, K, random_state=0, X=X, y=y)
    energy.prototypes_[...] += rng.normal(size=(K, D))
    E = energy.energies(X)
    P = energy.prototypes_
    direct = ((X[:, None, :] - P[None, :, :]) ** 2).sum(-1) / D
    assert np.all(E >= 0)
    assert_allclose(E, direct, rtol=1e-10, atol=1e-12)
    # the prototype itself has energy zero (up to rounding of the expansion)
    E_p = energy.energies(P.copy())
    assert np.all(E_p >= 0)
    assert_allclose(np.diag(E_p), 0, atol=1e-12)


@pytest.mark.parametrize("hidden", [(5,), (4, 3)])
def test_distance_with_embedding_is_nonnegative_and_uses_embedding(hidden):
    X, y = data(seed=10, n=30)
    energy = DistanceEnergy(hidden, "tanh").initialize(D, K, random_state=0, X=X, y=y)
    assert energy.prototypes_.shape == (K, hidden[-1])
    h = X
    for W, b in zip(energy.coefs_, energy.intercepts_):
        h = np.tanh(h @ W + b)
    direct = ((h[:, None, :] - energy.prototypes_[None]) ** 2).sum(-1) / hidden[-1]
    E = energy.energies(X)
    assert np.all(E >= 0)
    assert_allclose(E, direct, rtol=1e-10, atol=1e-12)


def test_distance_prototypes_start_at_weighted_class_means():
    rng = np.random.default_rng(11)
    n, k = 40, 4
    X = rng.normal(scale=3.0, size=(n, D))
    y = rng.choice([0, 1, 3], size=n)  # class 2 has no sample
    y[:3] = [0, 1, 3]
    w = rng.uniform(0.1, 5.0, size=n)
    energy = DistanceEnergy().initialize(D, k, random_state=0, X=X, y=y,
                                         sample_weight=w)
    P = energy.prototypes_
    weighted = np.array([np.average(X[y == c], axis=0, weights=w[y == c])
                         if c != 2 else np.average(X, axis=0, weights=w)
                         for c in range(k)])
    unweighted = np.array([X[y == c].mean(axis=0) if c != 2 else X.mean(axis=0)
                           for c in range(k)])
    # the prototypes start at the means plus a N(0, 0.01^2) jitter that breaks
    # ties: 0.05 is five standard deviations of it
    assert_allclose(P, weighted, atol=0.05)
    # ... and the weights matter far beyond that jitter
    assert np.abs(weighted - unweighted).max() > 0.2
    # without weights, plain means
    plain = DistanceEnergy().initialize(D, k, random_state=0, X=X, y=y)
    assert_allclose(plain.prototypes_, unweighted, atol=0.05)
    # unit weights are no weights
    ones = DistanceEnergy().initialize(D, k, random_state=0, X=X, y=y,
                                       sample_weight=np.ones(n))
    assert_allclose(ones.prototypes_, plain.prototypes_, rtol=1e-12)


def test_distance_without_data_starts_near_origin():
    energy = DistanceEnergy().initialize(D, K, random_state=0)
    assert energy.prototypes_.shape == (K, D)
    assert np.all(np.isfinite(energy.params_))
    assert np.abs(energy.prototypes_).max() < 0.1


# -- parameter vector ---------------------------------------------------------

ALL_CASES = [
    ("linear", lambda: LinearEnergy()),
    ("mlp-1", lambda: MLPEnergy((5,))),
    ("mlp-2", lambda: MLPEnergy((5, 4), "tanh")),
    ("distance", lambda: DistanceEnergy()),
    ("distance-1", lambda: DistanceEnergy((5,))),
    ("distance-2", lambda: DistanceEnergy((4, 3))),
]
ALL_IDS = [c[0] for c in ALL_CASES]


def offset(view, flat):
    """Position of a view's first element in the flat vector."""
    assert np.shares_memory(view, flat)
    return (view.__array_interface__["data"][0]
            - flat.__array_interface__["data"][0]) // flat.itemsize


@pytest.mark.parametrize("name, make", ALL_CASES, ids=ALL_IDS)
def test_penalty_on_weights_and_input_space_prototypes(name, make):
    X, y = data()
    energy = make().initialize(D, K, random_state=0, X=X, y=y)
    expected = np.ones(energy.params_.size, dtype=bool)
    sizes = 0
    for b in energy.intercepts_:
        start = offset(b, energy.params_)
        expected[start : start + b.size] = False
        sizes += b.size
    if isinstance(energy, DistanceEnergy) and energy.hidden_layer_sizes:
        # prototypes in a learned embedding are not penalized
        start = offset(energy.prototypes_, energy.params_)
        expected[start : start + energy.prototypes_.size] = False
        sizes += energy.prototypes_.size
    assert energy.penalized_.dtype == bool
    assert energy.penalized_.shape == energy.params_.shape
    assert_array_equal(energy.penalized_, expected)
    assert (~energy.penalized_).sum() == sizes
    n_layers = len(energy.hidden_layer_sizes) + (
        0 if isinstance(energy, DistanceEnergy) else 1)
    assert len(energy.intercepts_) == len(energy.coefs_) == n_layers
    # every parameter belongs to exactly one named array
    covered = np.zeros(energy.params_.size, dtype=int)
    named = [*energy.coefs_, *energy.intercepts_]
    if isinstance(energy, DistanceEnergy):
        named.append(energy.prototypes_)
        start = offset(energy.prototypes_, energy.params_)
        penalized = energy.penalized_[start : start + energy.prototypes_.size]
        assert penalized.all() == (not energy.hidden_layer_sizes)
        assert penalized.all() or not penalized.any()
    for a in named:
        start = offset(a, energy.params_)
        covered[start : start + a.size] += 1
    assert_array_equal(covered, 1)


@pytest.mark.parametrize("name, make", ALL_CASES, ids=ALL_IDS)
def test_set_params_vector_repoints_views(name, make):
    X, y = data()
    energy = make().initialize(D, K, random_state=0, X=X, y=y)
    old = energy.params_
    old_copy = old.copy()
    E_old = energy.energies(X)
    new = old * 2.0 + 0.5
    energy.set_params_vector(new)
    assert energy.params_ is new
    named = [*energy.coefs_, *energy.intercepts_]
    if isinstance(energy, DistanceEnergy):
        named.append(energy.prototypes_)
    for a in named:
        assert np.shares_memory(a, new)
        assert not np.shares_memory(a, old)
    assert not np.allclose(energy.energies(X), E_old)
    # writing to the flat vector changes the named arrays and the energies
    new[...] = 0.0
    assert all(np.all(a == 0) for a in named)
    named[0].flat[0] = 3.0
    assert new[offset(named[0], new)] == 3.0
    # the old vector is untouched and, set back, gives the old energies
    assert_array_equal(old, old_copy)
    energy.set_params_vector(old)
    assert_allclose(energy.energies(X), E_old)


@pytest.mark.parametrize("name, make", ALL_CASES, ids=ALL_IDS)
def test_same_random_state_same_parameters(name, make):
    X, y = data()
    a = make().initialize(D, K, random_state=0, X=X, y=y)
    b = make().initialize(D, K, random_state=0, X=X, y=y)
    c = make().initialize(D, K, random_state=1, X=X, y=y)
    assert_array_equal(a.params_, b.params_)
    assert not np.array_equal(a.params_, c.params_)
    rs = np.random.RandomState(0)
    d = make().initialize(D, K, random_state=rs, X=X, y=y)
    e = make().initialize(D, K, random_state=np.random.RandomState(0), X=X, y=y)
    assert_array_equal(d.params_, e.params_)
    assert np.all(np.isfinite(a.params_))


@pytest.mark.parametrize("name, make", ALL_CASES, ids=ALL_IDS)
def test_float32_kept(name, make):
    X, y = data()
    X32 = X.astype(np.float32)
    energy = make().initialize(D, K, random_state=0, dtype=np.float32, X=X32, y=y)
    assert energy.params_.dtype == np.float32
    assert all(a.dtype == np.float32 for a in [*energy.coefs_, *energy.intercepts_])
    E, cache = energy.forward(X32)
    assert E.dtype == np.float32
    grad = energy.backward(cache, np.ones((N, K), dtype=np.float32))
    assert grad.dtype == np.float32
    # and agrees with the float64 model of the same parameters
    e64 = make().initialize(D, K, random_state=0, X=X, y=y)
    e64.set_params_vector(energy.params_.astype(np.float64))
    assert_allclose(E, e64.energies(X32.astype(np.float64)), rtol=1e-4, atol=1e-5)


def test_registry_names():
    assert CLASSIFIER_ENERGIES == {"linear": LinearEnergy, "mlp": MLPEnergy,
                                   "distance": DistanceEnergy}
    assert REGRESSOR_ENERGIES == {"linear": LinearQuadraticEnergy,
                                  "mlp": QuadraticEnergy, "joint": JointEnergy}


@pytest.mark.parametrize("name, make", ALL_CASES, ids=ALL_IDS)
def test_forward_does_not_modify_input(name, make):
    X, y = data()
    X0 = X.copy()
    energy = make().initialize(D, K, random_state=0, X=X, y=y)
    p0 = energy.params_.copy()
    E1 = energy.energies(X)
    E2, cache = energy.forward(X)
    energy.backward(cache, np.ones((N, K)))
    assert_array_equal(X, X0)
    assert_array_equal(energy.params_, p0)
    assert_array_equal(E1, E2)
    assert E1.shape == (N, K)


def test_joint_energy_models_one_target_column_of_n_basis_features():
    energy = JointEnergy((4,), centers=np.linspace(-1, 1, 5), width=0.5,
                         quadratic=True)
    assert energy.n_basis == 7
    energy.initialize(n_features=2, n_answers=1, random_state=0)
    assert energy.coefs_[-1].shape == (4, 7)
    with pytest.raises(ValueError, match="n_answers=1"):
        energy.initialize(n_features=2, n_answers=2, random_state=0)


def test_joint_softplus_energy_starts_flat_over_the_answers():
    # LVQ2 is flat outside its window: every target must start inside it,
    # so every answer starts at nearly one energy
    X = np.random.default_rng(0).normal(size=(50, 3))
    grid = np.linspace(-3, 3, 61)
    spreads = {}
    for output in ("score", "softplus"):
        energy = JointEnergy((16,), centers=np.linspace(-3, 3, 16), width=0.4,
                             output=output, quadratic=True)
        energy.initialize(3, 1, random_state=0)
        E, _ = energy.forward(X, np.zeros((50, 1)), grid)
        spreads[output] = np.ptp(E[:, 1:], axis=1)
    # Glorot's last layer times 0.1; softplus' slope is at most 1
    assert np.all(spreads["softplus"] < 0.1 * spreads["score"] + 1e-12)
    assert np.all(spreads["softplus"] > 0)


def test_joint_energy_keeps_the_basis_of_repeated_answers_only_while_training():
    energy = JointEnergy((4,), centers=np.linspace(-1, 1, 5), width=0.5,
                         quadratic=True).initialize(2, 1, random_state=0)
    X, Y = np.ones((3, 2)), np.linspace(-1, 1, 6).reshape(3, 2)
    grid = np.linspace(-2, 2, 9)
    fresh, _ = energy.forward(X, Y, grid)
    assert "_kept_bases" not in energy.__dict__
    energy.start_training()
    E, _ = energy.forward(X, Y, grid)
    assert [len(pool) for pool in energy._kept_bases.values()] == [1, 1]
    again, _ = energy.forward(X, Y, grid)
    assert_array_equal(E, again)
    assert_array_equal(E, fresh)
    # a new answer array of the same shape is not read from the kept one
    moved, _ = energy.forward(X, Y + 0.5, grid)
    assert_allclose(moved[:, :2], energy.forward(X, Y + 0.5)[0])
    # parameters re-initialized in float32 get float32 bases, not the kept
    # float64 ones
    energy.initialize(2, 1, random_state=0, dtype=np.float32)
    assert energy.forward(X.astype(np.float32), Y, grid)[0].dtype == np.float32
    energy.initialize(2, 1, random_state=0)
    restored = pickle.loads(pickle.dumps(energy))
    assert "_kept_bases" not in restored.__dict__
    assert_allclose(restored.forward(X, Y, grid)[0], energy.forward(X, Y, grid)[0])
    energy.stop_training()
    assert "_kept_bases" not in energy.__dict__


def test_joint_energy_keeps_at_most_its_budget_of_numbers(monkeypatch):
    from skebm.energies import _joint
    monkeypatch.setattr(_joint, "_MAX_KEPT_SIZE", 7 * 25)
    energy = JointEnergy((4,), centers=np.linspace(-1, 1, 5), width=0.5,
                         quadratic=True).initialize(2, 1, random_state=0)
    energy.start_training()
    X = np.ones((5, 2))
    for shift in range(3):
        energy.forward(X, np.full((5, 2), shift / 10))   # 70 numbers each
    # two fit in 175 numbers: the oldest went
    assert len(energy._kept_bases["rows"]) == 2
    energy.forward(X, np.zeros((5, 6)))                 # 210: never kept
    assert len(energy._kept_bases["rows"]) == 2
    # the grids share the budget, and an array evicts only its own kind:
    # 35 more numbers of rows fill it, and a grid of 35 is not kept
    energy.forward(X, np.zeros((5, 1)), np.linspace(-1, 1, 5))
    assert len(energy._kept_bases["rows"]) == 3
    assert len(energy._kept_bases["shared"]) == 0


def test_joint_energy_keeps_its_grids_apart_from_new_answers_of_each_batch():
    # a batch's cells' points or chain states are new every batch: they must
    # not push the grid's shifts out of the kept bases
    energy = JointEnergy((4,), centers=np.linspace(-1, 1, 5), width=0.5,
                         quadratic=True).initialize(2, 1, random_state=0)
    energy.start_training()
    rng = np.random.RandomState(0)
    X = np.ones((5, 2))
    grids = [np.linspace(-1, 1, 7) + k / 70 for k in range(16)]
    calls = []
    basis = energy.basis
    energy.basis = lambda y: calls.append(y.ndim) or basis(y)
    for k in rng.randint(16, size=200):
        energy.forward(X, rng.uniform(-1, 1, (5, 3)), grids[k])
    # each grid's basis computed once, every batch's answers each time
    assert calls.count(1) == 16 and calls.count(2) == 200


def test_a_fitted_joint_regressor_keeps_no_bases():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((60, 2))
    y = X[:, 0] + 0.1 * rng.standard_normal(60)
    model = EnergyRegressor(energy="joint", alpha=1.0, max_iter=5,
                            random_state=0)
    with pytest.warns(Warning):   # max_iter is too small on purpose
        model.fit(X, y)
    assert "_kept_bases" not in model.energy_.__dict__


def test_joint_energy_reads_kept_rows_of_the_training_answers():
    energy = JointEnergy((4,), centers=np.linspace(-1, 1, 5), width=0.5,
                         quadratic=True).initialize(2, 1, random_state=0)
    rng = np.random.RandomState(0)
    answers = rng.uniform(-1, 1, (20, 1))
    X, index, grid = rng.standard_normal((6, 2)), np.array([3, 0, 17, 3, 9, 11]), \
        np.linspace(-1, 1, 7)
    fresh, _ = energy.forward(X, answers[index], grid)
    # outside a fit nothing is kept: rows change nothing
    assert_array_equal(energy.forward(X, answers[index], grid,
                                      rows=(answers, index))[0], fresh)
    assert "_kept_rows" not in energy.__dict__
    energy.start_training()
    E, cache = energy.forward(X, answers[index], grid, rows=(answers, index))
    assert_array_equal(E, fresh)
    assert energy._kept_rows[0] is answers
    # the gradient reads the same basis
    d = rng.standard_normal(E.shape)
    assert_array_equal(energy.backward(cache, d),
                       energy.backward(energy.forward(X, answers[index], grid)[1], d))
    # other answers (a partial_fit's, another trial's) get their own table
    others = answers + 0.25
    assert_array_equal(energy.forward(X, others[index], grid, rows=(others, index))[0],
                       energy.forward(X, others[index], grid)[0])
    assert energy._kept_rows[0] is others
    restored = pickle.loads(pickle.dumps(energy))
    assert "_kept_rows" not in restored.__dict__
    energy.stop_training()
    assert "_kept_rows" not in energy.__dict__


def test_training_grid_is_shifted_to_one_of_few_places_and_its_basis_kept():
    from skebm.inference import IntervalSpace
    from skebm.inference._base import Step
    from skebm.inference._interval_training import N_TRAIN_GRID, N_TRAIN_SHIFTS
    from skebm.losses import NLLLoss

    rng = np.random.RandomState(0)
    z = rng.standard_normal((50, 1))
    X = rng.standard_normal((50, 2))
    space = IntervalSpace.from_targets(z, np.ones(50))
    energy = JointEnergy.build(NLLLoss(), (4,), answers=space).initialize(
        2, 1, random_state=0)
    grids = []
    forward = energy.forward

    def spy(X, Y, grid=None, G=None, rows=None):
        grids.append(grid[2:])      # after the support's two edges
        return forward(X, Y, grid, G=G, rows=rows)

    energy.forward = spy
    energy.start_training()
    space.start_training(z)
    for _ in range(300):
        space.candidates(energy, X, z, Step(1.0, rng, np.arange(50), True))
    lo, hi = space.support
    h = (hi - lo) / N_TRAIN_GRID
    # the midpoints of N_TRAIN_SHIFTS equal slices of one grid step, all drawn
    twice_shifts = np.array([(g[0] - lo) / h * 2 * N_TRAIN_SHIFTS for g in grids])
    assert_allclose(twice_shifts, np.round(twice_shifts), atol=1e-3)
    assert (set(np.round(twice_shifts).astype(int))
            == set(range(1, 2 * N_TRAIN_SHIFTS, 2)))
    # one kept basis a shift, the batch's targets read from the kept rows
    assert len(energy._kept_bases["shared"]) == N_TRAIN_SHIFTS
    assert energy._kept_rows[0] is space._answers
    space.stop_training()
    energy.stop_training()


def test_stochastic_joint_fit_is_unchanged_by_the_kept_rows(monkeypatch):
    # the kept table is a cache: a fit reading it is the fit computing
    # every batch's basis, to the last bit, also where rows of weight zero
    # (far off, dropped by the fit) move the others' indices
    rng = np.random.RandomState(0)
    X = rng.standard_normal((300, 2))
    y = np.sin(2 * X[:, 0]) + 0.2 * rng.standard_normal(300)
    weight = np.ones(300)
    y[:5], weight[:5] = 50.0, 0.0
    params = dict(energy="joint", alpha=1.0, solver="adam", max_iter=3,
                  random_state=0)
    tables = []
    rows_basis = JointEnergy._rows_basis

    def counted(self, Y, answers, index):
        tables.append(answers)
        return rows_basis(self, Y, answers, index)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        monkeypatch.setattr(JointEnergy, "_rows_basis", counted)
        kept = EnergyRegressor(**params).fit(X, y, sample_weight=weight)
        n_read = len(tables)
        assert n_read > 3     # the fit's batches read the table
        monkeypatch.setattr(JointEnergy, "keeps_answer_rows", False)
        computed = EnergyRegressor(**params).fit(X, y, sample_weight=weight)
    assert len(tables) == n_read
    assert_array_equal(kept.energy_.params_, computed.energy_.params_)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_joint_energy_basis_has_no_subnormal_numbers(dtype):
    # a bump's far tail underflows to subnormals, which slow every product
    # with the basis several times, and so do its products with small
    # gradients: below sqrt(tiny) they must be exact zeros instead
    energy = JointEnergy((4,), centers=np.linspace(-3, 3, 64), width=0.1,
                         quadratic=True)
    energy.initialize(2, 1, random_state=0, dtype=dtype)
    psi = energy.basis(np.linspace(-3, 3, 2001))
    assert psi.dtype == dtype
    assert not np.any((psi != 0) & (np.abs(psi) < negligible(dtype)))
    # the bumps still reach down to that threshold
    assert psi[psi > 0].min() < 1e4 * negligible(dtype)


def _joint_with_negative_curvature():
    energy = JointEnergy((4,), centers=np.linspace(-3, 3, 16), width=0.4,
                         quadratic=True).initialize(2, 1, random_state=0)
    # at every input: y's coefficient 2, y^2 / 2's -0.5, no bumps
    energy.coefs_[-1][...] = 0
    energy.intercepts_[-1][...] = 0
    energy.intercepts_[-1][-2:] = [2.0, -0.5]
    return energy


def test_fitted_joint_energy_reads_a_gaussian_part_falling_to_an_end():
    energy = _joint_with_negative_curvature()
    X, grid = np.random.default_rng(0).normal(size=(5, 2)), np.linspace(-6, 6, 25)
    falling, _ = energy.forward(X, np.zeros((5, 1)), grid)
    # as trained, the energy falls without bound away from 0
    assert_allclose(falling[:, 1:], 2 * grid - 0.25 * grid ** 2 + 0 * X[:, :1])
    energy.start_training()
    energy.stop_training()
    assert energy.gaussian_fallback_ == (0.0, 1.0)
    fitted, _ = energy.forward(X, np.zeros((5, 1)), grid)
    # lowest at the support's lower end: read as the targets' own Gaussian
    assert_allclose(fitted[:, 1:], 0.5 * grid ** 2 + 0 * X[:, :1])
    # a bump deep enough holds a mode inside the support: kept as trained
    energy.intercepts_[-1][8] = -40.0
    held, _ = energy.forward(X, np.zeros((5, 1)), grid)
    assert_allclose(held[:, 1:], falling[:, 1:] - 40 * energy.basis(grid)[:, 8])
    # and a new fit trains G as it is
    energy.intercepts_[-1][8] = 0.0
    energy.start_training()
    assert energy.gaussian_fallback_ is None
    assert_array_equal(energy.forward(X, np.zeros((5, 1)), grid)[0], falling)
    # an output map is bounded below: the margin losses train on such parts
    softplus = JointEnergy((4,), centers=np.linspace(-3, 3, 16), width=0.4,
                           output="softplus", quadratic=True)
    softplus.initialize(2, 1, random_state=0)
    softplus.start_training()
    softplus.stop_training()
    assert softplus.gaussian_fallback_ is None


def test_fitted_joint_energy_gradient_where_the_gaussian_part_is_replaced():
    energy = _joint_with_negative_curvature()
    # the curvature below 0 on some rows only (y's coefficient 0: those
    # rows fall to the ends, the others hold a minimum), small bumps in play
    rng = np.random.default_rng(1)
    energy.coefs_[-1][...] = 0.1 * rng.normal(size=energy.coefs_[-1].shape)
    energy.coefs_[-1][:, -2:] = [0.0, 1.0] * rng.normal(size=(4, 2))
    energy.intercepts_[-1][-2] = 0.0
    X, Y, grid = rng.normal(size=(40, 2)), rng.normal(size=(40, 3)), \
        np.linspace(-3, 3, 7)
    # halfway between two of the rows' values: none at the switch itself
    b = np.unique(energy._network_forward(X)[-1][:, -1])
    energy.intercepts_[-1][-1] -= (b[len(b) // 2 - 1] + b[len(b) // 2]) / 2
    energy.start_training()
    energy.stop_training()
    g = energy._network_forward(X)[-1]
    assert 5 < energy._falling(g).sum() < 35
    # no row near the switch, where a difference quotient would cross it
    on_centres = g @ energy.basis(energy.centers).T
    ends = np.minimum(on_centres[:, 0], on_centres[:, -1])
    assert np.abs(ends - on_centres[:, 1:-1].min(axis=1)).min() > 1e-3
    E, cache = energy.forward(X, Y, grid)
    R = rng.normal(size=E.shape)
    grad = energy.backward(cache, R)
    p0, eps = energy.params_.copy(), 1e-6
    fd = np.empty_like(p0)
    for k in range(p0.size):
        energy.params_[k] = p0[k] + eps
        f_plus = np.sum(energy.forward(X, Y, grid)[0] * R)
        energy.params_[k] = p0[k] - eps
        fd[k] = (f_plus - np.sum(energy.forward(X, Y, grid)[0] * R)) / (2 * eps)
        energy.params_[k] = p0[k]
    assert_allclose(grad, fd, rtol=1e-4, atol=1e-6)
