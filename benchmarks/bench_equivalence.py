"""Equivalence of the working tree's predictions with an earlier commit's.

Proves that a refactor preserved behaviour: ``skebm/`` of a git revision
(default ``6fac31d``, the last commit before the move into subpackages) is
exported to a temporary directory, and this script measures in two fresh
interpreters, one importing that export ("old"), one the working tree ("new").

Data: digits, wine, breast_cancer (EnergyClassifier; energies linear, mlp,
distance) and diabetes (EnergyRegressor; linear, mlp, joint); one stratified
(classifiers) ``train_test_split(test_size=0.3, random_state=0)``, scaled by a
StandardScaler fitted on the training part; every loss x energy with
``random_state=0``. A ValueError at fit is "refused"; both sides must agree
(a reworded first sentence is listed, not counted as a difference).
Per configuration: the fraction of identical labels and max |diff| of
``predict_proba`` (classifier) or of ``predict`` / std(y_test) (regressor).

Exit status 0 (a report), 1 with ``--strict`` if a configuration differs
beyond 1e-6, 2 if a side cannot be measured (its stderr's tail is printed).
One BLAS thread, the sides one after the other: the full run (2 x 108 fits)
took 62 to 76 s on 2 cores, ``--quick`` (linear energies only) 7 to 11 s.

Run: ``python benchmarks/bench_equivalence.py [--ref 6fac31d] [--quick]
[--datasets digits,wine] [--strict]``.
"""

import argparse
import os
import pickle
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn import datasets
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
LOSSES = ["energy", "perceptron", "hinge", "log", "lvq2", "mce",
          "square_square", "square_exp", "nll"]
ENERGIES = {"classifier": ["linear", "mlp", "distance"],
            "regressor": ["linear", "mlp", "joint"]}
DATASETS = {"digits": "classifier", "wine": "classifier",
            "breast_cancer": "classifier", "diabetes": "regressor"}
TOL = 1e-6


# ---- child side: fit and predict with whichever skebm is importable ----

def split(name):
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    strat = y if DATASETS[name] == "classifier" else None
    X, Xt, y, yt = train_test_split(X, y, test_size=0.3, random_state=0,
                                    stratify=strat)
    scaler = StandardScaler().fit(X)
    return scaler.transform(X), scaler.transform(Xt), y, yt


def measure_one(cls, loss, energy, X, Xt, y, yt):
    est = cls(loss=loss, energy=energy, random_state=0)
    try:
        est.fit(X, y)
    except Exception as exc:  # a crash is a result too, and must match
        message = re.split(r"(?<=[.!?])\s", str(exc).strip(), maxsplit=1)[0]
        if isinstance(exc, ValueError):
            return {"status": "refused", "message": message}
        return {"status": "error", "message": f"{type(exc).__name__}: {message}"}
    if is_classifier(est):
        return {"status": "ok", "labels": est.predict(Xt),
                "values": est.predict_proba(Xt), "scale": 1.0}
    return {"status": "ok", "labels": None, "values": est.predict(Xt),
            "scale": float(np.std(yt))}


def child(out, names, quick):
    import skebm
    classes = {"classifier": skebm.EnergyClassifier,
               "regressor": skebm.EnergyRegressor}
    for category in (ConvergenceWarning, UserWarning, RuntimeWarning):
        warnings.simplefilter("ignore", category)
    results = {}
    for name in names:
        kind, data = DATASETS[name], split(name)
        energies = ENERGIES[kind][:1] if quick else ENERGIES[kind]
        for loss in LOSSES:
            for energy in energies:
                results[name, loss, energy] = measure_one(
                    classes[kind], loss, energy, *data)
    Path(out).write_bytes(pickle.dumps({"origin": skebm.__file__,
                                        "results": results}))


# ---- parent side: export, run both sides, compare ----

class SideFailed(RuntimeError):
    pass


def export(ref, tmp):
    """Write ``skebm/`` of git revision ``ref`` under ``tmp / "old"``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "skebm"],
                             capture_output=True)
    if archive.returncode:
        raise SideFailed(f"cannot export skebm/ at {ref!r}: "
                         f"{archive.stderr.decode().strip()}")
    (tmp / "old").mkdir()
    subprocess.run(["tar", "-x", "-C", str(tmp / "old")], input=archive.stdout,
                   check=True)


def run_side(label, path, args, tmp):
    """Measure in a fresh interpreter importing skebm from ``path``."""
    out, log = tmp / f"{label}.pkl", tmp / f"{label}.stderr"
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(
                   filter(None, [str(path), os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(out),
           "--datasets", ",".join(args.datasets)] + ["--quick"] * args.quick
    start = time.perf_counter()
    with open(log, "wb") as err:
        code = subprocess.run(cmd, env=env, cwd=tmp, stdout=err,
                              stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - start
    if code:
        lines = log.read_text(errors="replace").strip().splitlines() or [""]
        tail = "\n".join("    | " + line for line in lines[-8:])
        raise SideFailed(f"the {label} side (skebm from {path}) could not be "
                         f"measured, exit status {code}:\n  {lines[-1]}\n"
                         f"  last lines of its stderr:\n{tail}")
    data = pickle.loads(out.read_bytes())
    if not Path(data["origin"]).resolve().is_relative_to(Path(path).resolve()):
        raise SideFailed(f"the {label} side imported skebm from "
                         f"{data['origin']}, not from {path}")
    print(f"{label:>7}: {len(data['results'])} configurations measured in "
          f"{seconds:.1f} s (skebm from {path})", flush=True)
    return data["results"]


def compare(old, new):
    """(label agreement, max |diff| / scale, verdict, note) of two results."""
    if old["status"] != "ok" or new["status"] != "ok":
        o, n = (f"{r['status']}: {r.get('message', '')}" for r in (old, new))
        both = old["status"] == new["status"] == "refused"
        verdict = "identical" if o == n else "reworded" if both else "DIFFERS"
        return np.nan, np.nan, verdict, o if o == n else f"old {o} | new {n}"
    labels = (np.nan if old["labels"] is None
              else float(np.mean(old["labels"] == new["labels"])))
    a, b = old["values"], new["values"]
    diff = (float(np.max(np.abs(a - b))) / old["scale"] if a.shape == b.shape
            else np.inf)
    same_labels = np.isnan(labels) or labels == 1.0
    if same_labels and a.dtype == b.dtype and np.array_equal(a, b, True):
        return labels, 0.0, "identical", ""
    ok = same_labels and diff <= TOL
    return labels, diff, "within 1e-6" if ok else "DIFFERS", ""


def report(old, new, ref):
    rows = [(k, *compare(old[k], new[k])) for k in old]  # same keys, order
    print(f"\nold = {ref}, new = working tree; max |diff| is of predict_proba "
          "(classifier) or of predict / std(y_test) (regressor)")
    print(f"{'data set':<14}{'loss':<14}{'energy':<10}{'labels':>8}"
          f"{'max |diff|':>12}  verdict")
    for (name, loss, energy), labels, diff, verdict, note in rows:
        lab = "" if np.isnan(labels) else f"{labels:.4f}"
        dif = "" if np.isnan(diff) else f"{diff:.3g}"
        print(f"{name:<14}{loss:<14}{energy:<10}{lab:>8}{dif:>12}  "
              f"{verdict}{'  (' + note + ')' if note else ''}")
    differ, reworded = ([k for k, _, _, v, _ in rows if v == verdict]
                        for verdict in ("DIFFERS", "reworded"))
    same = sum(v == "identical" for _, _, _, v, _ in rows)
    print(f"\n{len(rows)} configurations: {same} bit-identical, "
          f"{len(rows) - len(differ)} agree to 1e-6 (bit-identical and "
          f"refused by both included), {len(differ)} differ{listing(differ)}")
    if reworded:
        print(f"refused by both, message reworded: {listing(reworded)[2:]}")
    return bool(differ)


def listing(keys):
    return ": " + ", ".join("/".join(k) for k in keys) if keys else ""


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ref", default="6fac31d", help="git revision to compare")
    p.add_argument("--datasets", default=",".join(DATASETS),
                   type=lambda s: [d for d in s.split(",") if d])
    p.add_argument("--quick", action="store_true", help="linear energies only")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 if a configuration differs beyond 1e-6")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    unknown = set(args.datasets) - set(DATASETS)
    if unknown:
        p.error(f"unknown data sets {sorted(unknown)}; choose from "
                f"{', '.join(DATASETS)}")
    return args


def main(argv=None):
    args = parse(argv)
    if args.child:
        return child(args.child, args.datasets, args.quick)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="skebm-equivalence-") as tmp:
        tmp = Path(tmp)
        try:
            export(args.ref, tmp)
            # the working tree first: mid-refactor, it is the likelier to fail
            new = run_side("new", ROOT, args, tmp)
            old = run_side("old", tmp / "old", args, tmp)
        except SideFailed as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    differs = report(old, new, args.ref)
    print(f"total time {time.perf_counter() - start:.0f} s")
    return 1 if differs and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
