"""The toy data sets and their true densities, which several tests and
benchmarks take as the ground truth: each density integrates to one and is
the density the generator draws from."""

import numpy as np
import pytest
from scipy import integrate

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


@pytest.mark.parametrize("name", CASES)
def test_generator_draws_from_the_true_density(name):
    # the mean log density of draws at one x estimates E_p[log p], which
    # quadrature gives exactly: they agree within 4 standard errors
    make, case = CASES[name]
    noise, n = 0.1, 4000
    X, Y = make(20 * n, noise=noise, random_state=0)
    keep = np.abs(X[:, 0] - 0.5) < 0.005  # x uniform: about 4000 rows
    X, Y = np.full((keep.sum(), 1), 0.5), Y[keep]
    log_p = (bimodal_sine_log_density if name == "bimodal_sine"
             else ring_log_density)(X, Y, noise)
    density, dim = case(0.5, noise)
    exact = _integrate(density, dim, log=True)
    se = log_p.std(ddof=1) / np.sqrt(len(log_p))
    assert abs(log_p.mean() - exact) < 4 * se
