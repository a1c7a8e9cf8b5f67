"""``skebm compare``: every loss with every energy, cross-validated on one data
set, printed as a leaderboard beside a linear baseline."""

import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline

from ..energies import CLASSIFIER_ENERGIES, REGRESSOR_ENERGIES
from ..losses import LOSSES
from ._data import BUILTIN, load
from ._errors import CLIError
from ._evaluate import evaluate, outcome
from ._progress import progress_bar

ENERGIES = {"classification": CLASSIFIER_ENERGIES,
            "regression": REGRESSOR_ENERGIES}
_METRIC = {"classification": "accuracy", "regression": "R^2"}
_OUTPUTS = (".csv", ".json")


def candidates(task, losses=None, energies=None):
    """The configurations ``compare`` runs, a linear baseline first.

    Parameters
    ----------
    task : {"classification", "regression"}
    losses, energies : list of str, optional
        Names from ``skebm.losses.LOSSES`` and from the task's energy
        registry; all of them when not given. A pair the estimator refuses
        (the energy loss with the regressor's ``"joint"`` energy, which it
        would flatten) is a row that says why.

    Yields
    ------
    model, loss, energy, estimator
        ``energy`` is the label shown (``"distance*"``: input space).
    """
    from .. import EnergyClassifier, EnergyRegressor

    if task == "classification":
        yield "LogisticRegression", "-", "-", LogisticRegression(max_iter=1000)
        model = EnergyClassifier
    else:
        yield "Ridge", "-", "-", Ridge()
        model = EnergyRegressor
    for energy in energies or list(ENERGIES[task]):
        for loss in losses or list(LOSSES):
            params = dict(loss=loss, energy=energy, random_state=0)
            label = energy
            if energy == "distance" and not LOSSES[loss].contrastive:
                # with a learned embedding this loss collapses; in input
                # space it is well posed
                params["hidden_layer_sizes"] = ()
                label = "distance*"
            yield model.__name__, loss, label, model(**params)


def _check_names(task, losses, energies, inferred=False):
    """Refuse unknown losses and energies; ``inferred``: the task was
    guessed from a numeric target, which ``--task`` can override."""
    bad = [name for name in losses or () if name not in LOSSES]
    if bad:
        raise CLIError(f"unknown loss {bad[0]!r}; losses: {', '.join(LOSSES)}")
    bad = [name for name in energies or () if name not in ENERGIES[task]]
    if bad:
        other = next(t for t in ENERGIES if t != task)
        hint = (f" (the task was inferred from the target: --task {other} "
                "sets it)" if inferred and bad[0] in ENERGIES[other]
                else "")
        raise CLIError(f"energy {bad[0]!r} is not one of {task}'s "
                       f"{', '.join(ENERGIES[task])}{hint}")


def _splits(task, cv, X, y, notes):
    splitter = (StratifiedKFold if task == "classification" else KFold)(
        cv, shuffle=True, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        splits = list(splitter.split(X, y))
    notes.extend(str(w.message) for w in caught)
    return splits


def compare(dataset="digits", target=None, task=None, losses=None,
            energies=None, cv=3, jobs=1, output=None, out=None, err=None):
    """Cross-validate every configuration and print the leaderboard.

    Parameters
    ----------
    dataset : str
        A name in ``BUILTIN`` or the path of a CSV file.
    target : str, optional
        The target column of a CSV file.
    task : {"classification", "regression"}, optional
        Inferred from the target when not given.
    losses, energies : list of str, optional
        See :func:`candidates`.
    cv : int
        Number of folds.
    jobs : int
        Configurations run in parallel by joblib.
    output : str, optional
        A ``.csv`` or ``.json`` file for the rows.
    out, err : file-like, default=sys.stdout, sys.stderr
        The table; notes and the progress bar.

    Returns
    -------
    rows : list of dict
        Ranked rows best first, then failed and refused configurations.
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    if output and Path(output).suffix.lower() not in _OUTPUTS:
        raise CLIError(f"--output must end in .csv or .json, got {output!r}")
    if output and not Path(output).resolve().parent.is_dir():
        # before the run, which a bad path would otherwise waste
        raise CLIError(f"--output: no directory {str(Path(output).parent)!r}")
    X, y, guessed, prep, notes = load(dataset, target)
    # a CSV's task, when not given, is a guess from its target
    inferred, task = task is None and dataset not in BUILTIN, task or guessed
    values = np.unique(y).tolist()
    if len(values) < 2:
        raise CLIError(f"the target has a single value ({values[0]!r}); "
                       "there is nothing to learn")
    if task == "regression" and y.dtype.kind not in "fiu":
        raise CLIError("--task regression needs a numeric target")
    if (task == "classification" and y.dtype.kind == "f"
            and not np.all(y == np.round(y))):
        raise CLIError("--task classification needs class labels; the target "
                       "has numbers that are not whole")
    if (task == "classification" and inferred and y.dtype.kind in "fiu"
            and len(values) > 2):
        notes.append(f"the target's {len(values)} whole values are read as "
                     "classes; --task regression reads them as numbers")
    _check_names(task, losses, energies, inferred and y.dtype.kind in "fiu")
    splits = _splits(task, cv, X, y, notes)
    for note in notes:
        print(f"note: {note}", file=err)
    configs = list(candidates(task, losses, energies))
    start = time.perf_counter()
    results = Parallel(n_jobs=jobs, return_as="generator")(
        delayed(evaluate)(i, make_pipeline(clone(prep), est), X, y, splits)
        for i, (*_, est) in enumerate(configs))
    rows, counts = [None] * len(configs), Counter()
    with progress_bar(len(configs), err) as bar:
        for i, result in results:
            model, loss, energy, _ = configs[i]
            rows[i] = _row(model, loss, energy, result, cv)
            counts.update(result["warnings"])
            bar.set_postfix_str(f"{model} {loss} {energy}", refresh=False)
            bar.update()
    rows = _ranked(rows)
    _print_table(rows, counts, dataset, X.shape, task, cv, out)
    print(f"\n{time.perf_counter() - start:.1f} s in all", file=out)
    if output:
        frame = pd.DataFrame(rows)
        try:
            if Path(output).suffix.lower() == ".json":
                frame.to_json(output, orient="records", indent=2)
            else:
                frame.to_csv(output, index=False)
        except OSError as exc:
            reason = exc.strerror or exc
            raise CLIError(f"--output: cannot write {output!r} ({reason}); the "
                           "table is printed above") from None
    return rows


def _row(model, loss, energy, result, n_folds):
    status, reason = outcome(result, n_folds)
    scores, fits = result["scores"], result["fit_times"]
    ok = status == "ok"
    return dict(
        model=model, loss=loss, energy=energy,
        score=float(np.mean(scores)) if ok else np.nan,
        std=float(np.std(scores)) if ok else np.nan,
        fit_time=float(np.mean(fits)) if ok else np.nan,
        warnings=sum(result["warnings"].values()), status=status,
        note=reason,
    )


def _ranked(rows):
    order = {"ok": 0, "failed": 1, "refused": 2}
    return sorted(rows, key=lambda r: (order[r["status"]],
                                       -np.nan_to_num(r["score"], nan=-np.inf)))


def _print_table(rows, counts, dataset, shape, task, cv, out):
    metric = _METRIC[task]
    lines = [f"{dataset}: {_count(shape[0], 'sample')}, "
             f"{_count(shape[1], 'feature')}, {task}; "
             f"{cv}-fold CV {metric} (mean ± std), mean fit time, warnings",
             "",
             f"{'#':>3}  {'model':<18} {'loss':<14} {'energy':<9} "
             f"{metric:>17}  {'fit s':>6}  {'warn':>4}  note"]
    for rank, r in enumerate(rows, 1):
        ok = r["status"] == "ok"
        score = f"{r['score']:.4f} ± {r['std']:.4f}" if ok else r["status"]
        fit = f"{r['fit_time']:.3f}" if ok else "-"
        lines.append(
            f"{rank if ok else '-':>3}  {r['model']:<18} {r['loss']:<14} "
            f"{r['energy']:<9} {score:>17}  {fit:>6}  "
            f"{r['warnings'] or '':>4}  {r['note']}".rstrip())
    notes = []
    if counts:
        kinds = ", ".join(f"{n} {name}" for name, n in counts.most_common())
        notes.append(f"warn: warnings raised while fitting, counted instead of "
                     f"shown ({kinds})")
    if any(r["energy"].endswith("*") for r in rows):
        notes.append("*: in input space (hidden_layer_sizes=()); the energy "
                     "loss collapses a learned embedding")
    if any(r["status"] == "refused" for r in rows):
        notes.append("refused: fit raised this ValueError on every fold, so "
                     "the estimator does not accept the pair; not ranked")
    if notes:
        lines += ["", *notes]
    print("\n".join(lines), file=out)


def _count(n, noun):
    return f"{n} {noun}" + ("" if n == 1 else "s")
