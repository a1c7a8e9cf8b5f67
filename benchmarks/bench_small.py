"""EnergyRegressor on small training sets, beside Ridge and BayesianRidge.

``alpha="auto"`` cross-validates below 200 distinct rows (user guide, "Small
data sets get a cross-validation"). This prints, for each energy with its
defaults, the mean held-out R^2, the share of held-out targets inside the
90% interval (mean, and lowest and highest over draws) and the mean fit
time, on random draws of 15 to 120 training rows of diabetes (tested on the
rest) and, when statsmodels is installed, on its copper, longley and
stackloss sets (16 to 25 rows, 3-fold CV repeated 4 times). BayesianRidge's
interval is its predictive Gaussian's; Ridge gives R^2 only.

    python benchmarks/bench_small.py [--quick]
"""

import argparse
import time
import warnings

import numpy as np
from scipy.stats import norm
from sklearn.datasets import load_diabetes
from sklearn.linear_model import BayesianRidge, RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, train_test_split
from sklearn.preprocessing import StandardScaler

from skebm import EnergyRegressor

ENERGIES = ("linear", "mlp", "joint")
Z90 = norm.ppf(0.95)


def diabetes_draws(sizes, n_draws):
    X, y = load_diabetes(return_X_y=True)
    for n in sizes:
        for draw in range(n_draws):
            train, test = train_test_split(np.arange(len(y)), train_size=n,
                                           random_state=draw)
            yield f"diabetes, {n} rows", X[train], y[train], X[test], y[test]


def statsmodels_folds(n_repeats):
    try:
        import statsmodels.api as sm
    except ImportError:
        return
    for name in ("copper", "longley", "stackloss"):
        data = getattr(sm.datasets, name).load_pandas()
        X = data.exog.to_numpy(float)
        y = data.endog.to_numpy(float).ravel()
        for repeat in range(n_repeats):
            for train, test in KFold(3, shuffle=True, random_state=repeat).split(X):
                yield f"{name}, 3-fold", X[train], y[train], X[test], y[test]


def evaluate(X, y, X_test, y_test):
    """``{model: (R^2, 90% coverage or NaN, fit seconds)}`` of one split."""
    scaler = StandardScaler().fit(X)
    X, X_test = scaler.transform(X), scaler.transform(X_test)
    results = {}
    start = time.perf_counter()
    ridge = RidgeCV().fit(X, y)
    results["RidgeCV"] = (r2_score(y_test, ridge.predict(X_test)), np.nan,
                          time.perf_counter() - start)
    start = time.perf_counter()
    bayes = BayesianRidge().fit(X, y)
    seconds = time.perf_counter() - start
    mean, std = bayes.predict(X_test, return_std=True)
    results["BayesianRidge"] = (r2_score(y_test, mean),
                                np.mean(np.abs(y_test - mean) <= Z90 * std), seconds)
    for energy in ENERGIES:
        model = EnergyRegressor(energy=energy, random_state=0)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
        seconds = time.perf_counter() - start
        low, high = model.predict_interval(X_test, coverage=0.9).T
        results[f"skebm {energy}"] = (model.score(X_test, y_test),
                                      np.mean((y_test >= low) & (y_test <= high)),
                                      seconds)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="two draws per size, one CV repeat")
    args = parser.parse_args()
    n_draws, n_repeats = (2, 1) if args.quick else (8, 4)
    table = {}
    for name, X, y, X_test, y_test in [*statsmodels_folds(n_repeats),
                                       *diabetes_draws((15, 30, 60, 120), n_draws)]:
        for model, result in evaluate(X, y, X_test, y_test).items():
            table.setdefault((name, model), []).append(result)
    print(f"{'data':22s} {'model':14s} {'R^2':>7s} {'cov90':>6s} "
          f"{'(min-max)':>11s} {'fit s':>6s}")
    for (name, model), rows in table.items():
        r2, coverage, seconds = np.array(rows).T
        spread = ("" if np.isnan(coverage).all()
                  else f"{coverage.mean():6.3f} ({coverage.min():.2f}-{coverage.max():.2f})")
        print(f"{name:22s} {model:14s} {r2.mean():7.3f} {spread:>18s} "
              f"{seconds.mean():6.2f}")


if __name__ == "__main__":
    main()
