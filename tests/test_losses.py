"""Tests of skebm.losses: gradients against finite differences, the defining
property of every loss, the registry and numerical edge cases."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, log_softmax, softmax
from sklearn.base import clone
from sklearn.metrics import log_loss

from skebm.losses import (
    LOSSES,
    EnergyLoss,
    HingeLoss,
    LogLoss,
    LVQ2Loss,
    MCELoss,
    NLLLoss,
    PerceptronLoss,
    SquareExpLoss,
    SquareSquareLoss,
    get_loss,
)

NAMES = sorted(LOSSES)
# the constant of each loss that has one, and a non-default value for it
CONSTANTS = {
    "hinge": {"margin": 1.5},
    "square_square": {"margin": 1.5},
    "lvq2": {"delta": 0.7, "margin": 0.4},
    "square_exp": {"gamma": 1.3},
    "nll": {"beta": 2.5},
}
FD_STEP = 1e-6
KINK_TOL = 1e-3  # a thousand finite-difference steps away from any kink


def make_loss(name):
    cls = LOSSES[name]
    return cls(**CONSTANTS.get(name, {}))


def random_energies(rng, domain, n, m):
    if domain == "real":
        return rng.normal(scale=2.0, size=(n, m))
    if domain == "nonnegative":
        E = rng.uniform(0.0, 3.0, size=(n, m))
        E[0, 1] = 0.0  # the boundary of the domain is in it
        return E
    assert domain == "positive"
    return rng.uniform(0.2, 3.0, size=(n, m))


def incorrect_mask(E, y, mask):
    """The mask of incorrect answers the loss should use."""
    if mask is None:
        mask = np.ones(E.shape, dtype=bool)
        mask[np.arange(len(y)), y] = False
    return mask


def ref_most_offending(E, y, mask):
    """E_C and E_I computed independently of skebm."""
    mask = incorrect_mask(E, y, mask)
    e_c = np.array([E[i, y[i]] for i in range(len(y))])
    e_i = np.array([E[i][mask[i]].min() if mask[i].any() else np.inf
                    for i in range(len(y))])
    return e_c, e_i


def kink_distance(loss, E, y, mask):
    """Per-row distance of the energies to the nearest point where the loss
    is not differentiable (ties in an argmin, hinge-like breakpoints)."""
    n, m = E.shape
    dist = np.full(n, np.inf)
    for i in range(n):
        row = np.sort(E[i])
        if m > 1:
            dist[i] = np.diff(row).min()  # no ties anywhere in the row
    e_c, e_i = ref_most_offending(E, y, mask)
    with np.errstate(invalid="ignore"):
        if loss.name == "hinge":
            dist = np.minimum(dist, np.abs(loss.margin + e_c - e_i))
        elif loss.name == "lvq2":
            dist = np.minimum(dist, np.abs(e_c - e_i / (1 + loss.margin)))
            dist = np.minimum(dist, np.abs(e_c - (1 + loss.delta) * e_i))
        elif loss.name == "square_square":
            dist = np.minimum(dist, np.abs(loss.margin - e_i))
        elif loss.name == "perceptron":
            dist = np.minimum(dist, np.abs(e_c - e_i))
    return np.where(np.isnan(dist), np.inf, dist)


def finite_difference(loss, E, y, mask):
    """Central differences of each row's loss with respect to each energy."""
    fd = np.zeros_like(E)
    for j in range(E.shape[1]):
        plus, minus = E.copy(), E.copy()
        plus[:, j] += FD_STEP
        minus[:, j] -= FD_STEP
        # row i's loss only depends on row i, so one column step serves all rows
        fd[:, j] = (loss.value(plus, y, mask) - loss.value(minus, y, mask)) / (
            2 * FD_STEP)
    return fd


# -- shapes, gradients ----------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_value_gradient_shapes_and_dtypes(name, dtype):
    rng = np.random.default_rng(0)
    loss = make_loss(name)
    E = random_energies(rng, loss.energy_domain, 6, 4).astype(dtype)
    y = rng.integers(0, 4, size=6)
    value, grad = loss.value_gradient(E, y)
    assert value.shape == (6,)
    assert grad.shape == (6, 4)
    assert value.dtype == dtype
    assert grad.dtype == dtype
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    assert_array_equal(loss.value(E, y), value)
    assert_array_equal(loss.gradient(E, y), grad)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("use_mask", [False, True])
def test_gradient_matches_finite_differences(name, use_mask):
    rng = np.random.default_rng(42)
    loss = make_loss(name)
    n, m = 40, 5
    E = random_energies(rng, loss.energy_domain, n, m)
    y = rng.integers(0, m, size=n)
    mask = None
    if use_mask:
        mask = rng.random((n, m)) < 0.6
        mask[np.arange(n), y] = False
        mask[3] = False  # a sample with no incorrect answer at all
    keep = kink_distance(loss, E, y, mask) > KINK_TOL
    # the kinks are a small part of the space: most rows are checked
    assert keep.sum() >= 0.75 * n
    E, y = E[keep], y[keep]
    if mask is not None:
        mask = mask[keep]
    grad = loss.gradient(E, y, mask)
    fd = finite_difference(loss, E, y, mask)
    assert_allclose(grad, fd, rtol=1e-5, atol=1e-6)
    # the gradient only touches the correct answer and, except for nll,
    # the most offending incorrect one
    if name != "nll":
        assert np.all(np.count_nonzero(grad, axis=1) <= 2)
    if name in ("hinge", "lvq2", "perceptron", "square_square"):
        # both sides of the kink were exercised: some rows push the most
        # offending answer up, some are past the kink and leave it alone
        contrast = grad.copy()
        contrast[np.arange(len(y)), y] = 0
        active = np.any(contrast != 0, axis=1)
        assert active.any() and not active.all()


# nll has no most offending answer: every answer contrasts, the mask is unused
MARGIN_NAMES = [name for name in NAMES if name != "nll"]


@pytest.mark.parametrize("name", MARGIN_NAMES)
def test_masked_most_offending_is_restricted_to_mask(name):
    """An answer outside the mask, however low its energy, is not E_I."""
    loss = make_loss(name)
    E = np.array([[1.0, 0.3, 2.0, 2.5]])
    y = np.array([0])
    mask = np.array([[False, False, True, True]])  # column 1 is "near" the target
    ref = np.array([[1.0, 5.0, 2.0, 2.5]])  # same loss as if column 1 were high
    assert_allclose(loss.value(E, y, mask), loss.value(ref, y))
    grad = loss.gradient(E, y, mask)
    assert grad[0, 1] == 0
    assert_allclose(grad, loss.gradient(ref, y))


@pytest.mark.parametrize("name", MARGIN_NAMES)
def test_no_incorrect_answer_gives_no_contrastive_gradient(name):
    loss = make_loss(name)
    E = np.array([[0.5, 0.2, 0.9]])
    y = np.array([0])
    mask = np.zeros((1, 3), dtype=bool)
    value, grad = loss.value_gradient(E, y, mask)
    assert np.all(np.isfinite(value))
    assert np.all(grad[0, 1:] == 0)


# -- defining properties ----------------------------------------------------

def test_energy_loss_is_correct_energy_with_one_hot_gradient():
    rng = np.random.default_rng(1)
    E = rng.normal(size=(8, 4))
    y = rng.integers(0, 4, size=8)
    value, grad = EnergyLoss().value_gradient(E, y)
    assert_array_equal(value, E[np.arange(8), y])
    assert_array_equal(grad, np.eye(4)[y])
    assert not EnergyLoss.contrastive


def test_perceptron_zero_exactly_when_correct_is_lowest():
    rng = np.random.default_rng(2)
    E = rng.normal(size=(200, 4))
    # rows 0-9: the correct answer ties with another for the lowest energy
    E[:10, 0] = E[:10, 1] = E[:10].min(axis=1) - 0.5
    y = np.zeros(200, dtype=int)
    y[10:] = rng.integers(0, 4, size=190)
    value = PerceptronLoss().value(E, y)
    assert np.all(value >= 0)
    lowest = E[np.arange(200), y] <= E.min(axis=1)
    assert lowest.any() and not lowest.all()
    assert_array_equal(value == 0, lowest)
    assert_allclose(value, E[np.arange(200), y] - E.min(axis=1))
    # a tie counts as correct: zero loss, zero gradient
    assert np.all(value[:10] == 0)
    assert np.all(PerceptronLoss().gradient(E[:10], y[:10]) == 0)


@pytest.mark.parametrize("margin", [0.5, 1.0, 3.0])
def test_hinge_zero_iff_gap_reaches_margin(margin):
    rng = np.random.default_rng(3)
    E = rng.normal(scale=2.0, size=(300, 4))
    y = rng.integers(0, 4, size=300)
    e_c, e_i = ref_most_offending(E, y, None)
    value = HingeLoss(margin=margin).value(E, y)
    satisfied = e_i >= e_c + margin
    assert satisfied.any() and not satisfied.all()
    assert_array_equal(value == 0, satisfied)
    assert_allclose(value[~satisfied], margin + e_c[~satisfied] - e_i[~satisfied])
    # exactly at the margin the loss is zero
    at = np.array([[0.0, margin]])
    assert HingeLoss(margin=margin).value(at, np.array([0]))[0] == 0


def test_log_loss_is_soft_hinge_and_stable():
    rng = np.random.default_rng(4)
    E = rng.normal(scale=2.0, size=(50, 3))
    y = rng.integers(0, 3, size=50)
    e_c, e_i = ref_most_offending(E, y, None)
    assert_allclose(LogLoss().value(E, y), np.log1p(np.exp(e_c - e_i)), rtol=1e-12)
    # huge differences either way: no overflow, the limits are right
    E = np.array([[1e4, 0.0], [0.0, 1e4], [-1e4, 1e4], [1e4, -1e4]])
    y = np.zeros(4, dtype=int)
    value, grad = LogLoss().value_gradient(E, y)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    assert_allclose(value, [1e4, 0.0, 0.0, 2e4])
    assert np.all((grad[:, 0] >= 0) & (grad[:, 0] <= 1))
    assert_allclose(grad[:, 0], [1.0, 0.0, 0.0, 1.0])
    assert_allclose(grad[:, 1], -grad[:, 0])


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_lvq2_window(delta):
    rng = np.random.default_rng(5)
    E = rng.uniform(0.1, 3.0, size=(400, 3))
    y = rng.integers(0, 3, size=400)
    e_c, e_i = ref_most_offending(E, y, None)
    value = LVQ2Loss(delta=delta).value(E, y)
    assert np.all((value >= 0) & (value <= 1))
    right = e_c <= e_i
    far = e_c >= (1 + delta) * e_i
    assert right.any() and far.any() and not (right | far).all()
    assert np.all(value[right] == 0)
    assert np.all(value[far] == 1)
    mid = ~(right | far)
    assert_allclose(value[mid], (e_c[mid] - e_i[mid]) / (delta * e_i[mid]))
    # a wrong prototype at distance zero: finite, a full mistake
    E0 = np.array([[0.5, 0.0, 1.0], [0.0, 0.0, 1.0]])
    value, grad = LVQ2Loss(delta=delta).value_gradient(E0, np.array([0, 0]))
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    assert value[0] == 1
    assert 0 <= value[1] <= 1


@pytest.mark.parametrize("margin", [0.25, 1.0, 3.0])
@pytest.mark.parametrize("delta", [0.5, 1.0])
def test_lvq2_relative_margin(margin, delta):
    # zero once E_I >= (1 + m) E_C, saturated from the tutorial's (1 + delta)
    # E_I as without a margin, linear in E_C in between
    rng = np.random.default_rng(15)
    E = rng.uniform(0.1, 3.0, size=(600, 3))
    y = rng.integers(0, 3, size=600)
    e_c, e_i = ref_most_offending(E, y, None)
    loss = LVQ2Loss(delta=delta, margin=margin)
    value = loss.value(E, y)
    right = e_i >= (1 + margin) * e_c
    far = e_c >= (1 + delta) * e_i
    mid = ~(right | far)
    assert right.any() and far.any() and mid.any()
    assert np.all(value[right] == 0)
    assert np.all(value[far] == 1)
    assert np.all((value[mid] > 0) & (value[mid] < 1))
    # correct answers inside the margin now cost something
    assert np.any(value[mid & (e_c < e_i)] > 0)
    slope = 1 / ((delta + margin / (1 + margin)) * e_i[mid])
    assert_allclose(value[mid], (e_c[mid] - e_i[mid] / (1 + margin)) * slope)
    # scaling every energy leaves it unchanged: no penalty is needed
    assert_allclose(loss.value(7.0 * E, y), value)
    # margin=0 is the tutorial's rule
    assert_array_equal(LVQ2Loss(delta=delta, margin=0.0).value(E, y),
                       LVQ2Loss(delta=delta).value(E, y))


def test_mce_is_sigmoid_of_gap():
    rng = np.random.default_rng(6)
    E = rng.normal(scale=2.0, size=(50, 4))
    y = rng.integers(0, 4, size=50)
    e_c, e_i = ref_most_offending(E, y, None)
    assert_allclose(MCELoss().value(E, y), 1 / (1 + np.exp(-(e_c - e_i))),
                    rtol=1e-12)


@pytest.mark.parametrize("margin", [0.5, 2.0])
def test_square_square_zero_iff_correct_zero_and_incorrect_past_margin(margin):
    rng = np.random.default_rng(7)
    E = rng.uniform(0.0, 3.0, size=(200, 3))
    y = rng.integers(0, 3, size=200)
    E[:100][np.arange(100), y[:100]] = 0.0  # half the correct energies are 0
    e_c, e_i = ref_most_offending(E, y, None)
    value = SquareSquareLoss(margin=margin).value(E, y)
    zero = (e_c == 0) & (e_i >= margin)
    assert zero.any() and not zero.all()
    assert_array_equal(value == 0, zero)
    assert_allclose(value, e_c**2 + np.maximum(0, margin - e_i) ** 2)


@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_square_exp(gamma):
    rng = np.random.default_rng(8)
    E = rng.uniform(0.0, 3.0, size=(50, 3))
    y = rng.integers(0, 3, size=50)
    e_c, e_i = ref_most_offending(E, y, None)
    value = SquareExpLoss(gamma=gamma).value(E, y)
    assert_allclose(value, e_c**2 + gamma * np.exp(-e_i))
    E[np.arange(50), y] = 0.0
    assert_allclose(SquareExpLoss(gamma=gamma).value(E, y), gamma * np.exp(-e_i))


@pytest.mark.parametrize("beta", [1.0, 0.3, 2.5])
def test_nll_is_cross_entropy_of_gibbs(beta):
    rng = np.random.default_rng(9)
    E = rng.normal(scale=2.0, size=(60, 4))
    y = rng.integers(0, 4, size=60)
    loss = NLLLoss(beta=beta)
    value, grad = loss.value_gradient(E, y)
    # cross-entropy of softmax(-beta E), in units of 1 / beta
    expected = -log_softmax(-beta * E, axis=1)[np.arange(60), y] / beta
    # the loss is E_C + log Z / beta, a difference of terms of size ~10: its
    # rounding error is absolute, ~1e-15, however small the loss
    assert_allclose(value, expected, rtol=1e-12, atol=1e-13)
    proba = softmax(-beta * E, axis=1)
    assert_allclose(beta * value.mean(), log_loss(y, proba, labels=range(4)),
                    rtol=1e-10)
    # gradient: onehot - Gibbs probabilities, rows sum to zero
    assert_allclose(grad, np.eye(4)[y] - proba, atol=1e-15)
    assert_allclose(grad.sum(axis=1), 0, atol=1e-14)
    # a constant added to a row changes nothing
    shift = rng.normal(scale=10.0, size=(60, 1))
    assert_allclose(loss.value(E + shift, y), value, atol=1e-10)
    assert_allclose(loss.gradient(E + shift, y), grad, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nll_far_answers_get_exact_zeros_not_subnormals(dtype):
    # exp and products that underflow to subnormal numbers run many times
    # slower: answers below sqrt(tiny) of the top get probability 0, and the
    # value stays exact even when the correct answer is one of them
    # energies inside the band where exp is normal but below sqrt(tiny), or
    # subnormal: plain np.exp would leave them non-zero
    band = [400.0, 720.0] if dtype == np.float64 else [50.0, 95.0]
    E = np.array([[0.0, 1.0, *band, 3000.0]] * 2, dtype=dtype)
    y = np.array([0, 4])
    value, grad = NLLLoss().value_gradient(E, y)
    assert grad.dtype == dtype
    assert not np.any((grad != 0) & (np.abs(grad) < np.finfo(dtype).tiny ** 0.5))
    floor = -np.log(np.finfo(dtype).tiny ** 0.5)
    far = E[0] > floor
    assert far.any() and np.all(grad[:, far] == (y[:, None] == np.flatnonzero(far)))
    expected = -log_softmax(-E.astype(float), axis=1)[np.arange(2), y]
    assert_allclose(value, expected, rtol=1e-6)


def test_nll_with_contrast():
    rng = np.random.default_rng(10)
    E = rng.normal(size=(20, 5))
    y = rng.integers(0, 5, size=20)
    loss = NLLLoss(beta=1.5)
    value, grad = loss.value_gradient(E, y)
    exact = softmax(-1.5 * E, axis=1)
    v2, g2 = loss.value_gradient(E, y, contrast=exact)
    assert_allclose(v2, value)
    assert_allclose(g2, grad, atol=1e-15)
    # an estimated contrast is used as given, and not modified
    est = rng.dirichlet(np.ones(5), size=20)
    est_copy = est.copy()
    v3, g3 = loss.value_gradient(E, y, contrast=est)
    assert_allclose(v3, value)  # the value stays exact
    assert_allclose(g3, np.eye(5)[y] - est)
    assert_array_equal(est, est_copy)


def test_nll_log_weights_minus_inf_drops_column():
    rng = np.random.default_rng(11)
    E = rng.normal(size=(15, 4))
    y = rng.choice([0, 1, 3], size=15)
    log_w = np.zeros(4)
    log_w[2] = -np.inf
    loss = NLLLoss()
    value, grad = loss.value_gradient(E, y, log_weights=log_w)
    keep = [0, 1, 3]
    y_kept = np.searchsorted(keep, y)
    v_ref, g_ref = loss.value_gradient(E[:, keep], y_kept)
    assert_allclose(value, v_ref)
    assert np.all(grad[:, 2] == 0)
    assert_allclose(grad[:, keep], g_ref)
    # finite log weights are quadrature weights: value = E_C + log sum w exp(-E)
    w = rng.uniform(0.5, 2.0, size=4)
    v_w = loss.value_gradient(E, y, log_weights=np.log(w))[0]
    assert_allclose(v_w, E[np.arange(15), y] + np.log((w * np.exp(-E)).sum(axis=1)))


# -- purity -----------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_loss_is_a_pure_function_of_energies(name):
    rng = np.random.default_rng(12)
    loss = make_loss(name)
    E = random_energies(rng, loss.energy_domain, 10, 4)
    y = rng.integers(0, 4, size=10)
    mask = rng.random((10, 4)) < 0.7
    mask[np.arange(10), y] = False
    E0, y0, mask0 = E.copy(), y.copy(), mask.copy()
    for m in (None, mask):
        v1, g1 = loss.value_gradient(E, y, m)
        v2, g2 = loss.value_gradient(E, y, m)
        assert_array_equal(v1, v2)
        assert_array_equal(g1, g2)
        # the same energies, however laid out in memory, give the same loss
        v3, g3 = loss.value_gradient(np.asfortranarray(E), y, m)
        assert_array_equal(v1, v3)
        assert_array_equal(g1, g3)
        wide = np.zeros((10, 8))
        wide[:, ::2] = E
        v4, g4 = loss.value_gradient(wide[:, ::2], y, m)
        assert_array_equal(v1, v4)
        assert_array_equal(g1, g4)
    assert_array_equal(E, E0)
    assert_array_equal(y, y0)
    assert_array_equal(mask, mask0)
    # the result is fresh memory: writing to it changes no later result
    g1[...] = 123.0
    v1[...] = 123.0
    assert_array_equal(loss.gradient(E, y, mask), g2)
    assert_array_equal(loss.value(E, y, mask), v2)


# -- registry and constants -----------------------------------------------

def test_registry_has_the_nine_public_names():
    assert set(LOSSES) == {"energy", "perceptron", "hinge", "log", "lvq2", "mce",
                           "square_square", "square_exp", "nll"}
    for name, cls in LOSSES.items():
        assert cls.name == name


@pytest.mark.parametrize("name", NAMES)
def test_get_loss_by_name(name):
    loss = get_loss(name, margin=2.5, beta=0.4)
    assert isinstance(loss, LOSSES[name])
    if name in ("hinge", "square_square", "lvq2"):
        assert loss.margin == 2.5
    elif name == "nll":
        assert loss.beta == 0.4
    else:
        assert "margin" not in loss.get_params()
        assert "beta" not in loss.get_params()
    assert get_loss(name) == LOSSES[name]()


def test_get_loss_lvq2_without_margin_is_the_tutorials_rule():
    # the estimators pass their margin; a bare name keeps the zero margin
    assert get_loss("lvq2").margin == 0.0
    assert get_loss("lvq2", beta=3.0).margin == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_get_loss_passes_instances_through(name):
    loss = make_loss(name)
    assert get_loss(loss, margin=7.0, beta=7.0) is loss


@pytest.mark.parametrize("bad", ["hinge_loss", "", "HINGE", None, 3, HingeLoss])
def test_get_loss_unknown_raises(bad):
    with pytest.raises(ValueError) as exc:
        get_loss(bad)
    for name in NAMES:
        assert repr(name) in str(exc.value)


@pytest.mark.parametrize("cls, key", [(HingeLoss, "margin"),
                                      (SquareSquareLoss, "margin"),
                                      (LVQ2Loss, "delta"),
                                      (SquareExpLoss, "gamma"),
                                      (NLLLoss, "beta")])
@pytest.mark.parametrize("bad", [0, 0.0, -1.0, np.nan, np.inf, -np.inf, True,
                                 False, "1.0", None])
def test_invalid_constants_raise(cls, key, bad):
    with pytest.raises(ValueError, match=key):
        cls(**{key: bad})


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf, True, "1.0", None])
def test_invalid_lvq2_margin_raises(bad):
    with pytest.raises(ValueError, match="margin"):
        LVQ2Loss(margin=bad)


@pytest.mark.parametrize("name, bad", [
    (name, bad) for name in ("hinge", "square_square") for bad in (0.0, -1.0, np.nan)
] + [("lvq2", -1.0), ("lvq2", np.nan)])
def test_get_loss_invalid_margin_raises(name, bad):
    with pytest.raises(ValueError, match="margin"):
        get_loss(name, margin=bad)


def test_get_loss_invalid_beta_raises():
    with pytest.raises(ValueError, match="beta"):
        get_loss("nll", beta=0.0)


def test_numpy_scalar_constants_accepted():
    assert HingeLoss(margin=np.float32(2.0)).margin == 2.0
    assert NLLLoss(beta=np.int64(3)).beta == 3


@pytest.mark.parametrize("name", NAMES)
def test_clone_and_params_round_trip(name):
    loss = make_loss(name)
    cloned = clone(loss)
    assert cloned is not loss
    assert type(cloned) is type(loss)
    assert cloned.get_params() == loss.get_params()
    assert cloned == loss
    rng = np.random.default_rng(13)
    E = random_energies(rng, loss.energy_domain, 5, 3)
    y = rng.integers(0, 3, size=5)
    assert_array_equal(cloned.value(E, y), loss.value(E, y))
    params = loss.get_params()
    if name in CONSTANTS:
        assert params == CONSTANTS[name]
        other = LOSSES[name]()
        assert other != loss
        assert other.set_params(**params) is other
        assert other == loss
        assert hash(other) == hash(loss)
        assert_array_equal(other.value(E, y), loss.value(E, y))
        for key, value in params.items():
            assert f"{key}={value!r}" in repr(loss)
    else:
        assert params == {}
    with pytest.raises(ValueError, match="no_such_constant"):
        loss.set_params(no_such_constant=1.0)


# -- numerical edge cases ---------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_float32_gradient_matches_float64(name):
    rng = np.random.default_rng(14)
    loss = make_loss(name)
    E = random_energies(rng, loss.energy_domain, 30, 4)
    y = rng.integers(0, 4, size=30)
    keep = kink_distance(loss, E, y, None) > 1e-2
    E, y = E[keep], y[keep]
    v32, g32 = loss.value_gradient(E.astype(np.float32), y)
    v64, g64 = loss.value_gradient(E.astype(np.float32).astype(np.float64), y)
    assert g32.dtype == np.float32
    assert_allclose(v32, v64, rtol=1e-5, atol=1e-6)
    assert_allclose(g32, g64, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["nll", "log", "mce", "square_exp"])
def test_huge_energies_stay_finite(name):
    loss = make_loss(name)
    E = np.array([[1e30, 0.0, 1.0],    # correct answer far above the rest
                  [0.0, 1e30, 1e30],   # correct far below
                  [1e30, 1e30, 1e30],  # all huge and tied
                  [1e30, 2e30, 3e30]])
    y = np.zeros(4, dtype=int)
    value, grad = loss.value_gradient(E, y)
    assert np.all(np.isfinite(value)), value
    assert np.all(np.isfinite(grad)), grad
    if name == "nll":
        assert np.all(value >= 0)  # -log of a probability
        # row 2 is log(3) exactly, but E_C + log Z / beta cancels 1e30 against
        # -1e30 + log(3): only its rounding to a multiple of eps * 1e30 is checked
        assert_allclose(value[[0, 1, 3]], [1e30, 0.0, 0.0], rtol=1e-12, atol=1e-12)
        # the gradient is computed stably: the Gibbs probabilities are exact
        p1 = 1 / (1 + np.exp(-loss.beta))  # Gibbs probability of E = 0 vs E = 1
        assert_allclose(grad, [[1.0, -p1, p1 - 1],
                               [0, 0, 0],
                               [2 / 3, -1 / 3, -1 / 3],
                               [0, 0, 0]], atol=1e-12)
        assert_allclose(grad.sum(axis=1), 0, atol=1e-12)
    elif name == "log":
        assert_allclose(value, [1e30, 0.0, np.log(2), 0.0], rtol=1e-12)
    elif name == "mce":
        assert_allclose(value, [1.0, 0.0, 0.5, 0.0])
    else:
        assert_allclose(value, [1e60, 0.0, 1e60, 1e60], rtol=1e-12)


def test_expected_domains_and_flags():
    domains = {name: LOSSES[name].energy_domain for name in NAMES}
    assert domains["lvq2"] == "positive"
    assert domains["square_square"] == domains["square_exp"] == "nonnegative"
    for name in ("energy", "perceptron", "hinge", "log", "mce", "nll"):
        assert domains[name] == "real"
    assert [n for n in NAMES if not LOSSES[n].contrastive] == ["energy"]


def test_values_at_a_hand_computed_point():
    # value per sample agrees with the formulas of DESIGN.md section 2 at a
    # hand-computed point
    E = np.array([[1.0, 0.25, 2.0]])
    y = np.array([0])
    expected = {
        "energy": 1.0,
        "perceptron": 0.75,
        "hinge": 1.75,
        "log": math.log1p(math.exp(0.75)),
        "lvq2": 1.0,  # (1 - 0.25) / 0.25 = 3, clipped
        "mce": float(expit(0.75)),
        "square_square": 1.0 + 0.75**2,
        "square_exp": 1.0 + 2.0 * math.exp(-0.25),
        "nll": 1.0 + math.log(math.exp(-1.0) + math.exp(-0.25) + math.exp(-2.0)),
    }
    for name in NAMES:
        assert get_loss(name).value(E, y)[0] == pytest.approx(expected[name]), name
