"""Vectors as answers: EnergyRegressor(energy="joint") on a 2-D y and a
32-D y, beside scikit-learn's multi-output regressors.

1. Digit completion (the seed's image restoration): scikit-learn's digits,
   pixels scaled to [0, 1], the upper 32 pixels given and the lower 32
   answered; ``train_test_split(test_size=0.3, random_state=0)``. Per
   model: the energy score of 10 samples per digit (a proper score for
   multivariate predictions, ``mean ||Y - y|| - 0.5 mean ||Y - Y'||`` over
   the 90 pairs of distinct samples; lower is better), the best-of-10 MSE
   (the sample closest to the truth), the MSE of ``predict``, fit and
   sampling time. The 10 nearest neighbours' lower halves serve as the
   neighbours' samples; they are distinct, not i.i.d. draws, and the score's
   pair term (the mean over distinct pairs) counts them more spread than
   the uniform distribution over them is: a second row scores that
   distribution exactly (pairs of equal draws included), which is what the
   score of i.i.d. draws from it estimates. ExtraTreesRegressor and Ridge
   give one answer, whose energy score is its distance to the truth; 10
   i.i.d. draws of the training targets with the forest's weights (a tree
   at random, then a training row of the test row's leaf) make the
   forest's distribution a second row.
2. A ring whose radius depends on x (``y = (1.5 + 0.75 x) (cos t, sin t) +
   N(0, 0.15^2 I)``, t uniform; also from 500 points, and sharper, with
   noise 0.05), and shapes the defaults were not designed on (a ring
   whose centre moves with x, an annulus arc whose angle moves with x, two
   blobs whose weights move with x), and two blobs in three columns: the
   held-out NLL of ``predict_log_density`` (a quadrature for d = 2, an
   importance-sampling estimate for d = 3) beside that of the exact
   density, with the default parameters, and the penalty ``alpha="auto"``
   chose. ``--unseen`` runs instead four rings added after the defaults
   were set, to check them on: x normal, two irrelevant input columns,
   noise growing with x, other units (``_unseen_ring``).

Run: ``python benchmarks/bench_multioutput.py [--quick] [--unseen]``.
"""

import argparse
import time
import warnings

import numpy as np
from scipy.special import i0e
from sklearn.datasets import load_digits
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors

from skebm import EnergyRegressor
from skebm.datasets import make_ring, ring_log_density

# the defaults of several target columns (VectorSpace.training_defaults);
# the digits fix alpha instead of alpha="auto"'s four fits
DIGITS_PARAMS = dict(energy="joint", alpha=0.1, random_state=0)
RING_PARAMS = dict(energy="joint", random_state=0)


def digit_halves():
    X = load_digits().data / 16.0
    train, test = train_test_split(X, test_size=0.3, random_state=0)
    return train[:, :32], train[:, 32:], test[:, :32], test[:, 32:]


def energy_score(samples, y):
    """Mean over rows of ``mean_j ||S_j - y|| - 0.5 mean_{j != k} ||S_j -
    S_k||`` for samples (n, m, d); a point forecast for m = 1."""
    m = samples.shape[1]
    first = np.linalg.norm(samples - y[:, None], axis=2).mean(axis=1)
    if m == 1:
        return float(first.mean())
    pairs = np.linalg.norm(samples[:, :, None] - samples[:, None], axis=3)
    return float((first - 0.5 * pairs.sum(axis=(1, 2)) / (m * (m - 1))).mean())


def uniform_energy_score(points, y):
    """The energy score of the uniform distribution over each row's points
    (n, m, d), exactly: ``mean_j ||P_j - y|| - 0.5 mean_{j, k} ||P_j - P_k||``
    over all m^2 pairs, which 10 i.i.d. draws from it estimate."""
    first = np.linalg.norm(points - y[:, None], axis=2).mean(axis=1)
    pairs = np.linalg.norm(points[:, :, None] - points[:, None], axis=3)
    return float((first - 0.5 * pairs.mean(axis=(1, 2))).mean())


def _row(name, samples, prediction, y, fit_time, sample_time):
    return (name, energy_score(samples, y),
            float(((samples - y[:, None]) ** 2).mean(axis=2).min(axis=1).mean()),
            float(((prediction - y) ** 2).mean()), fit_time, sample_time)


def digits(params):
    X, Y, X_test, Y_test = digit_halves()
    rows = []
    t = time.perf_counter()
    reg = EnergyRegressor(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        reg.fit(X, Y)
    fit = time.perf_counter() - t
    t = time.perf_counter()
    samples = reg.sample_y(X_test, n_samples=10, random_state=0)
    sample = time.perf_counter() - t
    rows.append(_row("EnergyRegressor joint", samples, reg.predict(X_test), Y_test,
                     fit, sample))
    t = time.perf_counter()
    nn = NearestNeighbors(n_neighbors=10).fit(X)
    neighbours = Y[nn.kneighbors(X_test, return_distance=False)]
    rows.append(_row("10 nearest neighbours", neighbours, neighbours.mean(axis=1),
                     Y_test, 0.0, time.perf_counter() - t))
    rows.append(("10 neighbours, i.i.d.", uniform_energy_score(neighbours, Y_test),
                 *rows[-1][2:]))
    for name, model in [("ExtraTreesRegressor", ExtraTreesRegressor(random_state=0)),
                        ("Ridge", Ridge())]:
        t = time.perf_counter()
        model.fit(X, Y)
        fit = time.perf_counter() - t
        pred = model.predict(X_test)
        rows.append(_row(name, pred[:, None], pred, Y_test, fit, 0.0))
        if name == "ExtraTreesRegressor":
            t = time.perf_counter()
            draws = leaf_draws(model, X, Y, X_test, 10, seed=0)
            rows.append(_row("ExtraTrees leaf draws", draws, pred, Y_test, fit,
                             time.perf_counter() - t))
    return rows


def leaf_draws(forest, X, Y, X_test, n_draws, seed):
    """I.i.d. draws of the training targets ``Y`` with the forest's weights
    for each test row (a tree at random, then one of the training rows in
    the leaf the test row falls in): (n_test, n_draws, d). Their
    expectation is the forest's prediction (without bootstrap, as
    ExtraTreesRegressor's default)."""
    leaves, test_leaves = forest.apply(X), forest.apply(X_test)
    weights = np.zeros((len(X_test), len(X)))
    for tree in range(leaves.shape[1]):
        same = test_leaves[:, tree, None] == leaves[None, :, tree]
        weights += same / same.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(weights / leaves.shape[1], axis=1)
    u = np.random.default_rng(seed).uniform(size=(len(X_test), n_draws))
    picks = np.minimum((cumulative[:, None, :] < u[:, :, None]).sum(axis=2),
                       len(X) - 1)
    return Y[picks]


def ring(n_samples, seed, noise=0.15):
    X, Y = make_ring(n_samples, noise, random_state=seed)
    return X, Y, ring_log_density(X, Y, noise)


def sharp_ring(n_samples, seed):
    return ring(n_samples, seed, noise=0.05)


def _ring_draws(rng, centre, r, noise):
    """Answers on rings of centres (n, 2) and radii (n,) with Gaussian
    noise (a scalar or (n,)), and their exact log density."""
    n = len(r)
    t = rng.uniform(0, 2 * np.pi, n)
    s = np.broadcast_to(noise, (n,))
    Y = centre + r[:, None] * np.c_[np.cos(t), np.sin(t)] + s[:, None] * \
        rng.standard_normal((n, 2))
    # the angle integrates out: I_0(rho r / s^2), as in ring_log_density
    rho, s2 = np.linalg.norm(Y - centre, axis=1), s * s
    log_p = (np.log(i0e(rho * r / s2)) - (rho - r) ** 2 / (2 * s2)
             - np.log(2 * np.pi * s2))
    return Y, log_p


def moving_ring(n_samples, seed, noise=0.1):
    """A ring whose centre moves with x: centre (x / 2, x^2 / 4), radius
    1 + x / 4. (Radial answer units measure distance from the targets'
    mean, which is no ring's centre here.)"""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n_samples, 1))
    x = X[:, 0]
    return (X, *_ring_draws(rng, np.c_[x / 2, x * x / 4], 1 + x / 4, noise))


def _unseen_ring(kind):
    """Rings added after the defaults were set, to check them on: ``x``
    normal (radius 1.5 exp(0.3 x), noise 0.1); two irrelevant input
    columns beside x (the first ring's law); noise growing with x from 0.05
    to 0.15 around radius 2; and other units (x on [0, 10], radius 30 + 5x,
    noise 2, centre (100, -50))."""
    def shape(n_samples, seed):
        rng = np.random.default_rng(seed)
        if kind == "normal x":
            X = rng.standard_normal((n_samples, 1))
            return (X, *_ring_draws(rng, np.zeros((n_samples, 2)),
                                    1.5 * np.exp(0.3 * X[:, 0]), 0.1))
        X = rng.uniform(*((0, 10) if kind == "units" else (-1, 1)), (n_samples, 1))
        x = X[:, 0]
        if kind == "irrelevant inputs":
            X = np.c_[X, rng.standard_normal((n_samples, 2))]
            return (X, *_ring_draws(rng, np.zeros((n_samples, 2)), 1.5 + 0.75 * x,
                                    0.15))
        if kind == "noise grows":
            return (X, *_ring_draws(rng, np.zeros((n_samples, 2)),
                                    np.full(n_samples, 2.0), 0.1 + 0.05 * x))
        centre = np.broadcast_to([100.0, -50.0], (n_samples, 2))
        return (X, *_ring_draws(rng, centre, 30 + 5 * x, 2.0))
    return shape


def annulus(n_samples, seed):
    """Shapes the defaults were not designed on: an arc of an annulus whose
    angle moves with x (radius uniform on [1, 2], angle N(pi x, 0.5^2))."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n_samples, 1))
    rho = rng.uniform(1, 2, n_samples)
    t = np.pi * X[:, 0] + 0.5 * rng.standard_normal(n_samples)
    Y = np.c_[rho * np.cos(t), rho * np.sin(t)]
    rho_y, t_y = np.linalg.norm(Y, axis=1), np.arctan2(Y[:, 1], Y[:, 0])
    # the angle's density wrapped on the circle; 1 / rho the Jacobian
    k = np.arange(-3, 4)[:, None]
    angle = np.exp(-(t_y - np.pi * X[:, 0] + 2 * np.pi * k) ** 2 / 0.5).sum(axis=0)
    log_p = np.log(angle / np.sqrt(0.5 * np.pi)) - np.log(rho_y)
    return X, Y, np.where((rho_y >= 1) & (rho_y <= 2), log_p, -np.inf)


def blobs(n_samples, seed):
    """Two blobs at +-(1 + x, 1 - x), covariances 0.3^2 and 0.1^2 I, weights
    (1 + x) / 2 and (1 - x) / 2."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n_samples, 1))
    x = X[:, 0]
    center = np.c_[1 + x, 1 - x]
    first = rng.random(n_samples) < (1 + x) / 2
    s = np.where(first, 0.3, 0.1)[:, None]
    Y = (np.where(first[:, None], center, -center)
         + s * rng.standard_normal((n_samples, 2)))

    def log_n(c, s):
        return -np.sum((Y - c) ** 2, axis=1) / (2 * s * s) - np.log(2 * np.pi * s * s)

    log_p = np.logaddexp(np.log((1 + x) / 2) + log_n(center, 0.3),
                         np.log((1 - x) / 2) + log_n(-center, 0.1))
    return X, Y, log_p


def blobs_3d(n_samples, seed):
    """Three columns: two blobs at +-(1.5, 1.5, 1.5), covariance 0.3^2 I,
    weights sigmoid(+-3 x). One Gaussian part spans both; its hidden units
    must carve them apart."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n_samples, 1))
    weight = 1 / (1 + np.exp(-3 * X[:, 0]))
    sign = np.where(rng.random(n_samples) < weight, 1.0, -1.0)
    Y = 1.5 * sign[:, None] + 0.3 * rng.standard_normal((n_samples, 3))

    def log_n(c):
        return (-np.sum((Y - c) ** 2, axis=1) / (2 * 0.09)
                - 1.5 * np.log(2 * np.pi * 0.09))

    log_p = np.logaddexp(np.log(weight) + log_n(1.5),
                         np.log1p(-weight) + log_n(-1.5))
    return X, Y, log_p


# name: (shape, training points)
SHAPES = {"ring, radius 1.5 + 0.75 x": (ring, 2000),
          "the ring, 500 points": (ring, 500),
          "the ring, noise 0.05": (sharp_ring, 2000),
          "ring, centre (x / 2, x^2 / 4)": (moving_ring, 2000),
          "annulus arc, angle pi x": (annulus, 2000),
          "two blobs, weights (1 +- x) / 2": (blobs, 2000),
          "3-D blobs, weights sigmoid(3x)": (blobs_3d, 2000)}
# with --unseen, instead (1000 training points)
UNSEEN_SHAPES = {f"ring, {kind}": (_unseen_ring(kind), 1000) for kind in
                 ("normal x", "irrelevant inputs", "noise grows", "units")}


def ring_nll(params, shape=ring, n_train=2000, n_test=1000):
    X, Y, _ = shape(n_train, 0)
    X_test, Y_test, log_p = shape(n_test, 1)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = EnergyRegressor(**params).fit(X, Y)
    fit = time.perf_counter() - t
    return (float(-reg.predict_log_density(X_test, Y_test).mean()),
            float(-log_p.mean()), fit, reg.alpha_)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer epochs (a smoke run, not the figures)")
    parser.add_argument("--unseen", action="store_true",
                        help="only the rings added after the defaults were set")
    args = parser.parse_args(argv)
    digits_params, ring_params = dict(DIGITS_PARAMS), dict(RING_PARAMS)
    if args.quick:
        digits_params["max_iter"] = ring_params["max_iter"] = 5
    if args.unseen:
        return print_shapes(UNSEEN_SHAPES, ring_params, "1000 training points")
    print("Digit completion (upper 32 pixels given, lower 32 answered; "
          "540 test digits)")
    print(f"{'model':<24}{'energy score':>13}{'best-of-10 MSE':>16}"
          f"{'MSE predict':>13}{'fit s':>8}{'sample s':>10}")
    for name, es, best, mse, fit, sample in digits(digits_params):
        print(f"{name:<24}{es:>13.3f}{best:>16.4f}{mse:>13.4f}{fit:>8.1f}"
              f"{sample:>10.1f}")
    print_shapes(SHAPES, ring_params, "2000 training points unless said")


def print_shapes(shapes, params, points):
    print(f"\nVector targets ({points}, 1000 held-out; with 3 columns the NLL "
          "is an importance-sampling estimate), default parameters: "
          "held-out NLL")
    for name, (shape, n_train) in shapes.items():
        model, exact, fit, alpha = ring_nll(params, shape, n_train)
        print(f"{name:<32} EnergyRegressor {model:.3f} nats, exact density "
              f"{exact:.3f} nats, gap {model - exact:.3f} (alpha_ {alpha:g}, "
              f"fit {fit:.1f} s)")


if __name__ == "__main__":
    main()
