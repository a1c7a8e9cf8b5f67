"""Toy data of the examples, benchmarks and tests."""

import numpy as np
from scipy.special import i0e
from scipy.stats import norm


def make_bimodal_sine(n_samples, noise=0.1, random_state=None):
    """Two branches: ``y = s sin(x) + N(0, noise^2)`` with a random sign ``s``.

    ``x`` is uniform on [-3, 3], so ``p(y|x)`` has two modes, ``sin(x)`` and
    ``-sin(x)``, that no regressor of the conditional mean can represent.

    Parameters
    ----------
    n_samples : int
    noise : float, default=0.1
        Standard deviation of the Gaussian noise around each branch.
    random_state : int, numpy Generator or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, 1)
    y : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from skebm.datasets import make_bimodal_sine
    >>> X, y = make_bimodal_sine(5, random_state=0)
    >>> X.shape, y.shape
    ((5, 1), (5,))
    """
    rng = np.random.default_rng(random_state)
    x = rng.uniform(-3, 3, n_samples)
    sign = np.where(rng.random(n_samples) < 0.5, 1.0, -1.0)
    return x[:, None], sign * np.sin(x) + rng.normal(0, noise, n_samples)


def bimodal_sine_log_density(X, y, noise=0.1):
    """The true ``log p(y|x)`` of :func:`make_bimodal_sine`.

    An equal mixture of ``N(sin(x), noise^2)`` and ``N(-sin(x), noise^2)``.

    Parameters
    ----------
    X : array-like of shape (n_samples, 1)
    y : array-like of shape (n_samples,)
    noise : float, default=0.1
        The ``noise`` the data were made with.

    Returns
    -------
    log_density : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.datasets import bimodal_sine_log_density
    >>> bool(bimodal_sine_log_density(np.zeros((1, 1)), np.zeros(1))[0] > 1)
    True
    """
    m = np.sin(np.asarray(X)[:, 0])
    return (np.logaddexp(norm.logpdf(y, m, noise), norm.logpdf(y, -m, noise))
            - np.log(2))


def make_ring(n_samples, noise=0.15, random_state=None):
    """Two answer columns on a ring whose radius grows with x.

    ``y = (1.5 + 0.75 x) (cos t, sin t) + N(0, noise^2 I)`` with ``x``
    uniform on [-1, 1] and the angle ``t`` uniform: ``p(y|x)`` is a ring,
    whose mean (near the origin) is no answer at all.

    Parameters
    ----------
    n_samples : int
    noise : float, default=0.15
    random_state : int, numpy Generator or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, 1)
    Y : ndarray of shape (n_samples, 2)

    Examples
    --------
    >>> from skebm.datasets import make_ring
    >>> X, Y = make_ring(5, random_state=0)
    >>> X.shape, Y.shape
    ((5, 1), (5, 2))
    """
    rng = np.random.default_rng(random_state)
    X = rng.uniform(-1, 1, (n_samples, 1))
    r = 1.5 + 0.75 * X[:, 0]
    t = rng.uniform(0, 2 * np.pi, n_samples)
    Y = np.c_[r * np.cos(t), r * np.sin(t)] + noise * rng.standard_normal(
        (n_samples, 2))
    return X, Y


def ring_log_density(X, Y, noise=0.15):
    """The true ``log p(y|x)`` of :func:`make_ring`.

    The angle integrates out in closed form: a Bessel function ``I_0`` of
    the radius times the ring's.

    Parameters
    ----------
    X : array-like of shape (n_samples, 1)
    Y : array-like of shape (n_samples, 2)
    noise : float, default=0.15
        The ``noise`` the data were made with.

    Returns
    -------
    log_density : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from skebm.datasets import ring_log_density
    >>> on_ring, at_center = ring_log_density(np.zeros((2, 1)),
    ...                                       np.array([[1.5, 0.0], [0.0, 0.0]]))
    >>> bool(on_ring > at_center + 40)
    True
    """
    r = 1.5 + 0.75 * np.asarray(X)[:, 0]
    rho = np.linalg.norm(Y, axis=1)
    s2 = noise * noise
    # I_0(z) = i0e(z) exp(z), and z = rho r / s2 completes the square:
    # -(rho^2 + r^2) / (2 s2) + z = -(rho - r)^2 / (2 s2)
    return (-np.log(2 * np.pi * s2) - (rho - r) ** 2 / (2 * s2)
            + np.log(i0e(rho * r / s2)))
