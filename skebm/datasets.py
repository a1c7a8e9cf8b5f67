"""Toy data of the examples, benchmarks and tests."""

import numpy as np
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
