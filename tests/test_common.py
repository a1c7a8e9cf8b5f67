"""scikit-learn's estimator checks, for several losses and energies."""

import pytest
from scipy import sparse
from sklearn.utils.estimator_checks import parametrize_with_checks

from skebm import EnergyClassifier, EnergyRegressor, MHSampler

# as in scikit-learn's own common tests: the checks fit a few random rows at
# the default iteration caps, and convergence is not what they check (the
# suite tests it elsewhere); 138 ConvergenceWarnings otherwise
IGNORE_CONVERGENCE = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")
# the checks' data are unscaled on purpose (a mean of 100, values of 1e3):
# the warning of features far from unit scale is right there, and beside
# the checks' point
IGNORE_UNSCALED = pytest.mark.filterwarnings(
    "ignore:[0-9]+ of X's .* far from unit scale:UserWarning")
# their random labels carry nothing to learn: a saturating loss that answers
# one class there is told so (tested elsewhere), beside the checks' point
IGNORE_ONE_ANSWER = pytest.mark.filterwarnings(
    "ignore:.* predicts .* for every training row:UserWarning")

# the loss/energy pairs the project promises to keep compatible with the API.
# alpha="auto" (one mixin for every pair, and the regressor's) is checked on
# three of them; on the checks' few rows it cross-validates, 16 fits, which
# the others need not repeat in every check
CLASSIFIERS = [
    EnergyClassifier(loss=loss, energy=energy, random_state=0)
    for loss, energy in [
        ("nll", "linear"),
        ("hinge", "mlp"),
        ("lvq2", "distance"),
    ]
] + [
    EnergyClassifier(loss=loss, energy=energy, alpha=0.5, random_state=0)
    for loss, energy in [
        ("square_square", "distance"),
        ("perceptron", "linear"),
        ("mce", "linear"),
        ("square_exp", "mlp"),
        ("energy", "linear"),
        ("log", "linear"),
    ]
] + [
    EnergyClassifier(loss="nll", energy="mlp", solver="adam", alpha=0.5,
                     random_state=0),
    EnergyClassifier(loss="hinge", solver="sgd", learning_rate_init=0.01,
                     alpha=0.5, random_state=0),
]

# Repeating a row and giving it weight 2 define the same objective: with
# L-BFGS the fits agree to the last bit (identical rows are merged into one
# weighted row, skebm/_rows.py), and the stochastic solvers' fits agree on
# data of one batch, as the checks' are (beyond it their batches differ, as
# scikit-learn's SGD's do): no check is expected to fail.
@parametrize_with_checks(CLASSIFIERS)
@IGNORE_CONVERGENCE
@IGNORE_UNSCALED
@IGNORE_ONE_ANSWER
def test_sklearn_compatible(estimator, check):
    check(estimator)


REGRESSORS = [
    EnergyRegressor(loss=loss, energy=energy, random_state=0)
    for loss, energy in [
        ("energy", "linear"),
        ("square_square", "mlp"),
    ]
] + [
    # alpha="auto" (the same mixin for every energy) is checked above; on the
    # checks' few rows it cross-validates, 16 fits, which the joint energy's
    # slower fits need not repeat in every check
    EnergyRegressor(loss=loss, energy="joint", alpha=1.0, random_state=0)
    for loss in ("nll", "hinge")
]


# every pair here fits with L-BFGS, where weights are repetitions exactly: no
# expected failure
@parametrize_with_checks(REGRESSORS)
@IGNORE_CONVERGENCE
@IGNORE_UNSCALED
def test_sklearn_compatible_regressor(estimator, check):
    check(estimator)


class _GaussianLogLikelihood:
    """Each row's log-likelihood under N(theta[0], 1) in every column, for
    one parameter vector or (``vectorized``) a stack of them; its repr names
    the test (a function's holds its address, which pytest-xdist's workers
    would collect under different names)."""

    def __init__(self, vectorized=False):
        self.vectorized = vectorized

    def __call__(self, theta, X):
        X = X.toarray() if sparse.issparse(X) else X
        if self.vectorized:
            return -0.5 * ((X[None] - theta[:, :1, None]) ** 2).sum(axis=2)
        return -0.5 * ((X - theta[0]) ** 2).sum(axis=1)

    def __repr__(self):
        return f"GaussianLogLikelihood(vectorized={self.vectorized})"


class _StandardNormal:
    """A log density of its own, without data: a sampler with no score."""

    def __call__(self, theta):
        return -0.5 * float(theta @ theta)

    def __repr__(self):
        return "StandardNormal()"


# MHSampler is an estimator too (a density estimator whose fit runs the
# chains on X): the native walk with a scalar likelihood, and with a
# vectorized one, a burn-in count and thinning; emcee's stretch move; and a
# log_prob alone (X validated and ignored, no score)
SAMPLERS = [
    MHSampler(log_prob=_StandardNormal(), init=[0.0, 0.0], n_steps=50, n_chains=2,
              random_state=0),
    MHSampler(log_likelihood=_GaussianLogLikelihood(), init=[0.0], n_steps=50,
              n_chains=2, random_state=0),
    MHSampler(log_likelihood=_GaussianLogLikelihood(vectorized=True),
              vectorized=True, init=[0.0], n_steps=60, n_chains=4, step_size=0.5,
              burn_in=20, thin=2, random_state=0),
    MHSampler(log_likelihood=_GaussianLogLikelihood(vectorized=True),
              vectorized=True, move="stretch", init=[0.0], n_steps=50, n_chains=4,
              random_state=0),
]


# the checks' few steps on random data do not converge, and are not meant to
@pytest.mark.filterwarnings(
    "ignore:The chains have not converged:sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(SAMPLERS)
def test_sklearn_compatible_sampler(estimator, check):
    check(estimator)
