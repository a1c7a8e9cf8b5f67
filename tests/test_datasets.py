"""The toy data sets and their true densities, which several tests and
benchmarks take as the ground truth: each density integrates to one and is
the density the generator draws from."""

import numpy as np
import pytest
from scipy import integrate, stats

from skebm.datasets import (bimodal_sine_log_density, make_bimodal_sine, make_ring,
                            ring_log_density)


def _bimodal(x, noise):
    def p(y):
        return np.exp(bimodal_sine_log_density([[x]], [y], noise))[0]
    return p, 1


def _ring(x, noise):
    def p(b, a):  # dblquad's integrand takes the inner variable first
        return np.exp(ring_log_density([[x]], [[a, b]], noise))[0]
    return p, 2


CASES = {"bimodal_sine": (make_bimodal_sine, _bimodal),
         "ring": (make_ring, _ring)}


def _integrate(f, dim, log=False):
    """The integral of the density ``f`` (of ``f log f`` with ``log``) over
    [-4, 4]^dim, where all but a negligible share of its mass lies."""
    def g(*v):
        p = f(*v)
        return p * np.log(p) if log and p > 0 else (0.0 if log else p)
    if dim == 1:
        return integrate.quad(g, -4, 4, points=[0], limit=200)[0]
    return integrate.dblquad(g, -4, 4, -4, 4, epsabs=1e-10)[0]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("x", [-0.9, 0.0, 0.6])
def test_true_density_integrates_to_one(name, x):
    density, dim = CASES[name][1](x, 0.1)
    assert _integrate(density, dim) == pytest.approx(1.0, abs=1e-6)


def test_bimodal_sine_draws_follow_its_density():
    # each draw's conditional CDF at its own x, integrated from the density
    # on a grid, is uniform; a generator missing a branch or off in scale
    # is not (the mean log density alone could not see a missing mode)
    noise = 0.1
    X, y = make_bimodal_sine(4000, noise=noise, random_state=0)
    grid = np.linspace(-1.6, 1.6, 3201)  # beyond +-(1 + 6 noise)
    density = np.exp(bimodal_sine_log_density(np.repeat(X, len(grid), 0),
                                              np.tile(grid, len(X)), noise))
    cdf = integrate.cumulative_trapezoid(density.reshape(len(X), -1), grid,
                                         axis=1, initial=0)
    u = np.array([np.interp(v, grid, row) for v, row in zip(y, cdf)])
    # where sin(x) has either sign apart: a generator of the upper branch
    # alone puts u above 1/2 for sin(x) > 0 and below for sin(x) < 0, and
    # all the rows together would still look uniform
    for part in (np.sin(X[:, 0]) > 0.3, np.sin(X[:, 0]) < -0.3):
        assert stats.kstest(u[part], "uniform").pvalue > 1e-3


def test_ring_draws_follow_its_density():
    # the radius of a ring of radius r blurred by isotropic noise is Rician
    # and the angle uniform; the density is Rice's divided by 2 pi rho
    noise = 0.15
    X, Y = make_ring(4000, noise=noise, random_state=0)
    r = 1.5 + 0.75 * X[:, 0]
    rho = np.linalg.norm(Y, axis=1)
    radius = stats.rice(r / noise, scale=noise)
    assert stats.kstest(radius.cdf(rho), "uniform").pvalue > 1e-3
    assert stats.kstest(np.arctan2(Y[:, 1], Y[:, 0]), "uniform",
                        args=(-np.pi, 2 * np.pi)).pvalue > 1e-3
    np.testing.assert_allclose(ring_log_density(X, Y, noise),
                               radius.logpdf(rho) - np.log(2 * np.pi * rho), rtol=1e-9)
