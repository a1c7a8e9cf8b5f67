"""The command line: ``python -m skebm`` (or ``skebm``).

``compare`` (the default job) cross-validates every loss and energy on a data
set, scikit-learn's or a CSV file, and prints a leaderboard; ``sample`` runs the
Metropolis-Hastings example of the tutorial slides.
"""

import argparse
import csv
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn import datasets
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .losses import LOSSES

BUILTIN = {
    "digits": (datasets.load_digits, "classification"),
    "iris": (datasets.load_iris, "classification"),
    "wine": (datasets.load_wine, "classification"),
    "breast_cancer": (datasets.load_breast_cancer, "classification"),
    "diabetes": (datasets.load_diabetes, "regression"),
}
ENERGIES = {"classification": ("linear", "mlp", "distance"),
            "regression": ("linear", "mlp", "joint")}
_MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}


class CLIError(Exception):
    """A problem with the user's input, reported as one line."""


# -- data -------------------------------------------------------------------------


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_csv(path, target):
    """Features and target of a CSV file with a header row.

    Returns ``X`` (object array), ``y``, the feature names, the indices of the
    numeric and of the categorical columns, and notes about missing values.
    """
    path = Path(path)
    if not path.is_file():
        raise CLIError(f"no such file: {path}")
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    if len(rows) < 2:
        raise CLIError(f"{path} needs a header row and at least one data row")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    if target is None:
        raise CLIError("a CSV file needs --target COLUMN")
    if target not in header:
        raise CLIError(f"no column {target!r} in {path}; columns: {', '.join(header)}")
    ragged = [i + 2 for i, row in enumerate(body) if len(row) != len(header)]
    if ragged:
        raise CLIError(f"{path}: line {ragged[0]} has a different number of "
                       f"fields than the header ({len(header)})")
    table = np.array(body, dtype=object)
    missing = np.vectorize(lambda v: v.strip().lower() in _MISSING)(table)
    t = header.index(target)
    if missing[:, t].any():
        raise CLIError(f"target {target!r} has {missing[:, t].sum()} missing "
                       "value(s); drop or fill those rows")
    y_text = table[:, t]
    features = [i for i in range(len(header)) if i != t]
    notes, numeric, categorical = [], [], []
    X = np.empty((len(body), len(features)), dtype=object)
    for j, i in enumerate(features):
        present = ~missing[:, i]
        if all(_is_number(v) for v in table[present, i]):
            numeric.append(j)
            X[:, j] = np.where(present, table[:, i], "nan").astype(float)
        else:
            categorical.append(j)
            X[:, j] = np.where(present, table[:, i], None)
        if (~present).any():
            fill = "median" if j in numeric else "most frequent value"
            notes.append(f"column {header[i]!r} has {(~present).sum()} missing "
                         f"value(s): filled with the {fill} of each training fold")
    names = [header[i] for i in features]
    y = (y_text.astype(float) if all(_is_number(v) for v in y_text)
         else y_text.astype(str))
    return X, y, names, numeric, categorical, notes


def infer_task(y):
    """Classification for labels or a few integer values, else regression."""
    if y.dtype.kind in "OUS":
        return "classification"
    values = np.unique(y)
    if np.all(values == np.round(values)) and len(values) <= max(2, min(20, len(y) // 10)):
        return "classification"
    return "regression"


def load(dataset, target):
    """X, y, task guess, preprocessing and notes for a built-in name or a CSV."""
    if dataset in BUILTIN:
        loader, task = BUILTIN[dataset]
        X, y = loader(return_X_y=True)
        return X, y, task, StandardScaler(), []
    if not dataset.lower().endswith(".csv") and not Path(dataset).exists():
        raise CLIError(f"unknown data set {dataset!r}: use one of "
                       f"{', '.join(BUILTIN)} or a CSV file")
    X, y, _, numeric, categorical, notes = read_csv(dataset, target)
    prep = ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="median"),
                                  StandardScaler()), numeric),
        ("categorical", make_pipeline(
            SimpleImputer(strategy="most_frequent"),
            OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
         categorical),
    ])
    return X, y, infer_task(y), prep, notes


# -- compare ----------------------------------------------------------------------


def candidates(task, losses, energies):
    """(name, loss, energy, estimator) for every configuration and a baseline."""
    from . import EnergyClassifier, EnergyRegressor

    if task == "classification":
        yield "LogisticRegression", "-", "-", LogisticRegression(max_iter=1000)
        model = EnergyClassifier
    else:
        yield "Ridge", "-", "-", Ridge()
        model = EnergyRegressor
    for energy in energies:
        for loss in losses:
            params = dict(loss=loss, energy=energy, random_state=0)
            label = energy
            if energy == "distance" and not LOSSES[loss].contrastive:
                # with a learned embedding this loss collapses; in input space
                # it is well posed
                params["hidden_layer_sizes"] = ()
                label = "distance*"
            yield model.__name__, loss, label, model(**params)


def _evaluate(estimator, prep, X, y, cv):
    from sklearn.base import clone

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = cross_validate(make_pipeline(clone(prep), estimator), X, y,
                                cv=cv, error_score=np.nan)
    scores = result["test_score"]
    return float(np.mean(scores)), float(np.std(scores)), float(np.mean(result["fit_time"]))


def compare(dataset="digits", target=None, task=None, losses=None, energies=None,
            cv=3, jobs=1, output=None, out=None, err=None):
    """Cross-validate every configuration and print the leaderboard.

    Returns the rows as dicts, best first.
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    X, y, guessed, prep, notes = load(dataset, target)
    task = task or guessed
    if len(np.unique(y)) < 2:
        raise CLIError(f"the target has a single value ({np.unique(y)[0]!r}); "
                       "there is nothing to learn")
    if task == "regression" and y.dtype.kind not in "fiu":
        raise CLIError("--task regression needs a numeric target")
    for note in notes:
        print(f"note: {note}", file=err)
    losses = list(LOSSES) if not losses else losses
    energies = ENERGIES[task] if not energies else energies
    unknown = [e for e in energies if e not in ENERGIES[task]]
    if unknown:
        raise CLIError(f"energy {unknown[0]!r} is not one of {task}'s "
                       f"{', '.join(ENERGIES[task])}")
    splitter = (StratifiedKFold if task == "classification" else KFold)(
        cv, shuffle=True, random_state=0)
    configs = list(candidates(task, losses, energies))
    start = time.perf_counter()
    results = Parallel(n_jobs=jobs, return_as="generator")(
        delayed(_evaluate)(est, prep, X, y, splitter) for *_, est in configs)
    rows = []
    for i, ((model, loss, energy, _), (mean, std, fit)) in enumerate(
            zip(configs, results), 1):
        rows.append(dict(model=model, loss=loss, energy=energy, score=mean,
                         std=std, fit_time=fit))
        _progress(i, len(configs), f"{model} {loss} {energy}", err)
    print(file=err)
    rows.sort(key=lambda r: -np.nan_to_num(r["score"], nan=-np.inf))
    metric = "accuracy" if task == "classification" else "R^2"
    print(f"{dataset}: {X.shape[0]} samples, {X.shape[1]} features, {task}; "
          f"{cv}-fold CV {metric} (mean ± std), mean fit time\n", file=out)
    print(f"{'#':>3}  {'model':<18} {'loss':<14} {'energy':<9} {metric:>17}  fit s",
          file=out)
    for rank, r in enumerate(rows, 1):
        score = (f"{r['score']:.4f} ± {r['std']:.4f}" if np.isfinite(r["score"])
                 else "failed")
        print(f"{rank:>3}  {r['model']:<18} {r['loss']:<14} {r['energy']:<9} "
              f"{score:>17}  {r['fit_time']:.3f}", file=out)
    if any(r["energy"].endswith("*") for r in rows):
        print("\n* in input space (hidden_layer_sizes=()): the energy loss "
              "collapses a learned embedding", file=out)
    print(f"\n{time.perf_counter() - start:.1f} s in all", file=out)
    if output:
        _write(rows, output)
    return rows


def _progress(i, n, label, err):
    width = 30
    done = int(width * i / n)
    line = f"[{'#' * done}{'.' * (width - done)}] {i}/{n} {label:<40.40}"
    if getattr(err, "isatty", lambda: False)():
        print(f"\r{line}", end="", file=err, flush=True)
    else:
        # a log file gets one line per candidate, not one line of redraws
        print(line.rstrip(), file=err, flush=True)


def _write(rows, output):
    path = Path(output)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(rows, indent=2))
    elif path.suffix.lower() == ".csv":
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        raise CLIError(f"--output must end in .csv or .json, got {output!r}")


# -- sample -----------------------------------------------------------------------


def sample(n_steps=50000, n_chains=1, step_size=0.5, burn_in=0.25, random_state=0,
           out=None):
    """The slides' example: the posterior of sigma of N(10, 3) data, with the
    mean fixed at the sample mean and a flat prior on sigma > 0."""
    from .sampling import MHSampler

    out = sys.stdout if out is None else out
    rng = np.random.default_rng(random_state)
    observed = rng.choice(rng.normal(10.0, 3.0, 30000), 1000, replace=False)
    s = float(np.sum((observed - observed.mean()) ** 2))
    n = observed.size

    def log_posterior(theta):
        # vectorized over chains: theta has shape (n_chains, 1)
        sigma = theta[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            value = -n * np.log(sigma) - s / (2 * sigma**2)
        return np.where(sigma > 0, value, -np.inf)

    mh = MHSampler(log_prob=log_posterior, vectorized=True, init=0.1,
                   n_chains=n_chains, n_steps=n_steps, step_size=step_size,
                   burn_in=burn_in, random_state=random_state).fit()
    print(f"posterior of sigma: {n_chains} chain(s) x {n_steps} steps, "
          f"burn-in {burn_in}, step size {mh.step_size_}", file=out)
    print(f"accepted proposals:   {int(np.sum(mh.n_accepted_))}", file=out)
    print(f"acceptance rate:      {np.mean(mh.acceptance_rate_):.3f}", file=out)
    print(f"estimate of sigma:    {mh.mean_[0]:.4f} ± {mh.std_[0] / np.sqrt(mh.ess_[0]):.4f}"
          " (Monte Carlo standard error)", file=out)
    print(f"posterior std:        {mh.std_[0]:.4f}", file=out)
    print(f"effective samples:    {mh.ess_[0]:.0f}", file=out)
    print(f"autocorrelation time: {mh.autocorr_time_[0]:.1f}", file=out)
    if n_chains > 1:
        print(f"split R-hat:          {mh.r_hat_[0]:.4f}", file=out)
    return mh


# -- entry point ------------------------------------------------------------------


def _parser():
    parser = argparse.ArgumentParser(
        prog="skebm",
        description="Energy-based learning (LeCun et al., 2006) for "
                    "scikit-learn. Without a command, runs 'compare' on digits.",
    )
    commands = parser.add_subparsers(dest="command")
    comp = commands.add_parser(
        "compare", help="leaderboard of losses and energies on a data set")
    comp.add_argument("dataset", nargs="?", default="digits",
                      help=f"{', '.join(BUILTIN)}, or a CSV file (default: digits)")
    comp.add_argument("--target", help="target column of a CSV file")
    comp.add_argument("--task", choices=["classification", "regression"],
                      help="inferred from the target when not given")
    comp.add_argument("--losses", help="comma-separated (default: all nine)")
    comp.add_argument("--energies", help="comma-separated (default: all)")
    comp.add_argument("--cv", type=int, default=3, help="folds (default: 3)")
    comp.add_argument("--jobs", type=int, default=1,
                      help="configurations run in parallel (joblib; -1: all cores)")
    comp.add_argument("--output", help="write the table to this .csv or .json file")
    samp = commands.add_parser(
        "sample", help="the slides' Metropolis-Hastings example")
    samp.add_argument("--steps", type=int, default=50000)
    samp.add_argument("--chains", type=int, default=1)
    samp.add_argument("--step-size", default="0.5",
                      help="proposal standard deviation, or 'auto'")
    samp.add_argument("--burn-in", type=float, default=0.25)
    samp.add_argument("--seed", type=int, default=0)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("compare", "sample", "-h", "--help"):
        argv = ["compare", *argv]
    args = parser.parse_args(argv)
    try:
        if args.command == "sample":
            step = args.step_size if args.step_size == "auto" else float(args.step_size)
            sample(args.steps, args.chains, step, args.burn_in, args.seed)
        else:
            if args.cv < 2:
                raise CLIError("--cv must be at least 2")
            split = (lambda s: [v.strip() for v in s.split(",") if v.strip()]
                     if s else None)
            losses = split(args.losses)
            bad = [name for name in losses or [] if name not in LOSSES]
            if bad:
                raise CLIError(f"unknown loss {bad[0]!r}; losses: {', '.join(LOSSES)}")
            compare(args.dataset, args.target, args.task, losses,
                    split(args.energies), args.cv, args.jobs, args.output)
    except (CLIError, ValueError) as exc:
        print(f"skebm: error: {exc}", file=sys.stderr)
        return 2
    return 0
