"""scikit-learn's estimator checks, for several losses and energies."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skebm import EnergyClassifier, EnergyRegressor

# the loss/energy pairs the project promises to keep compatible with the API
CLASSIFIERS = [
    EnergyClassifier(loss=loss, energy=energy, random_state=0)
    for loss, energy in [
        ("nll", "linear"),
        ("hinge", "mlp"),
        ("square_square", "distance"),
        ("lvq2", "distance"),
        ("perceptron", "linear"),
        ("mce", "linear"),
        ("square_exp", "mlp"),
        ("energy", "linear"),
        ("log", "linear"),
    ]
] + [
    EnergyClassifier(loss="nll", energy="mlp", solver="adam", random_state=0),
    EnergyClassifier(loss="hinge", solver="sgd", learning_rate_init=0.01,
                     random_state=0),
]

_WEIGHT_EQUIVALENCE = (
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
)


def _expected_failed_checks(estimator):
    failures = {}
    # Repeating a row and giving it weight 2 define the same objective
    # (test_classifier.py checks that the fits agree to 1e-3 where the
    # objective is convex). The checks ask for 1e-7, which needs the very same
    # optimum reached to rounding: not so when the solver draws batches, when
    # the energy is non-convex (rounding differences of the two sums lead to
    # other local minima), or when the loss has kinks where L-BFGS stops early.
    # The checks' data fit in one batch, where some of these do agree, so the
    # entries are not strict.
    if estimator.solver in ("adam", "sgd"):
        reason = "stochastic solver: batches differ once data exceed one batch"
    elif estimator.energy in ("mlp", "distance") and estimator.loss != "lvq2":
        reason = "non-convex energy: rounding differences reach other minima"
    elif estimator.loss in ("energy", "log", "square_square"):
        reason = ("L-BFGS stops at a kink (log, square_square) or at the "
                  "rounding floor of an ill-conditioned quadratic (energy): "
                  "the fits differ by 1e-7 to 3e-3, even at tol=1e-10")
    else:
        reason = None
    if reason:
        failures.update(dict.fromkeys(_WEIGHT_EQUIVALENCE, reason))
    if estimator.loss == "lvq2":
        failures["check_class_weight_classifiers"] = (
            "lvq2 has no margin: with class 0 weighted 1e7 times more it fits "
            "every class-0 training point, barely, and the boundary does not "
            "generalize to 87% class-0 predictions on the held-out half"
        )
    return failures


@parametrize_with_checks(
    CLASSIFIERS, expected_failed_checks=_expected_failed_checks, xfail_strict=False
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


REGRESSORS = [
    EnergyRegressor(loss=loss, energy=energy, random_state=0)
    for loss, energy in [
        ("energy", "linear"),
        ("nll", "joint"),
        ("hinge", "joint"),
        ("square_square", "mlp"),
    ]
]


def _expected_failed_regressor_checks(estimator):
    # as for the classifiers: repeated rows and weights define the same
    # objective (test_regressor.py checks the linear energy's fit against
    # repetition to 1e-5), but on a non-convex energy rounding differences
    # between the two sums lead L-BFGS to other minima; whether they do on the
    # checks' tiny data depends on the BLAS, so the entries are not strict.
    if estimator.energy == "joint" and estimator.loss == "nll":
        reason = ("the checks' targets take three values: the NLL keeps "
                  "sharpening the density onto them for thousands of L-BFGS "
                  "iterations, and runs whose sums differ by rounding end "
                  "apart at max_iter")
        return dict.fromkeys(_WEIGHT_EQUIVALENCE, reason)
    if estimator.energy in ("mlp", "joint"):
        reason = "non-convex energy: rounding differences reach other minima"
        return dict.fromkeys(_WEIGHT_EQUIVALENCE, reason)
    return {}


@parametrize_with_checks(
    REGRESSORS, expected_failed_checks=_expected_failed_regressor_checks,
    xfail_strict=False,
)
def test_sklearn_compatible_regressor(estimator, check):
    check(estimator)
