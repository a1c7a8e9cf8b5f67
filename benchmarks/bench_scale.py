"""A million rows on one machine: fit time, accuracy and peak memory.

Two data sets, made with fixed seeds by the functions below; the rows are
independent and identically distributed, so the first 80% train and the
last 20% test (a random split that copies nothing):

* ``dense``: 10^6 x 50 float32, 5 classes. Standard normal features and a
  random linear (softmax) teacher, its weights standard normal times 1.05;
  each label is drawn from the teacher's softmax, so that no model beats
  the Bayes accuracy of about 0.88 (LogisticRegression reaches it).
* ``sparse``: 200000 x 50000 CSR float32, about 60 non-zeros per row, 20
  classes. Columns drawn with a power-law popularity (as words in text),
  values uniform in [0.5, 1.5], labels again drawn from a random linear
  teacher's softmax; its weights, standard normal times 2, are on the 1000
  most frequent columns, the other 49000 are noise to be ignored (Bayes
  accuracy about 0.87).

Models: ``EnergyClassifier()`` (the defaults: loss nll, linear energy),
``EnergyClassifier(energy="mlp", hidden_layer_sizes=(64,))``,
``SGDClassifier(loss="log_loss")``, ``LogisticRegression()`` and, dense only,
``MLPClassifier((64,))``; ``random_state=0`` where they take one.
``--models "EnergyClassifier(alpha=0.5),EnergyClassifier(mlp 64 alpha=0.5)"``
runs the two energies at a fixed penalty instead (the classifier's before
``alpha="auto"``), which holds no rows out and runs no trial fits: what
the default ``alpha="auto"`` costs.

Every fit runs alone in a fresh Python process (``subprocess``), which
makes the data, fits once, and reports:

* fit time: wall-clock seconds of ``fit``, and the CPU seconds of the
  process during ``fit`` (user and system), which a loaded machine
  inflates less; the acceptance ratios use the wall-clock time;
* accuracy on the 20% test rows;
* peak memory beyond the data: the process's peak resident set size
  (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) after ``fit`` minus its
  resident size just before. The kernel's high-water mark is reset first
  (``/proc/self/clear_refs``, Linux), so that the peak of making the data
  does not hide the fit's. The resident size counts every allocation,
  numpy's, BLAS's and C extensions' alike, and costs nothing at run time;
  tracemalloc sees only the allocations reported to Python and slows down
  the many small allocations of the mini-batch loops, whose time is measured
  here. "data" is the size of the training X and y. Before the measured
  fit, a clone of the model is fitted on the first 2000 rows, so that
  neither figure counts the modules and code a first fit loads.
* the dtype the model learned in (float32 in: does it stay float32?).

The issue's acceptance, printed as PASS/FAIL beside the measured ratios
(nothing is asserted; timings are noisy and the script exits 0):

1. the linear nll fit in at most 2x SGDClassifier's time, at
   LogisticRegression's accuracy (within 0.005);
2. the mlp energy at least 3x faster than MLPClassifier(64), at equal or
   better accuracy (dense only);
3. peak memory beyond the data at most 1.5x the data, for both energies;
4. sparse: rules 1 and 3, and no densification (the dense matrix would be
   40 GB; each process is capped by ``--max-memory-gb`` of address space,
   so densifying fails with a MemoryError instead of swapping the machine).

BLAS threads: every fit runs with one BLAS thread (threadpoolctl), as in
``bench_classifier.py``: on the shared two-core machine the multi-threaded
OpenBLAS waits on other jobs (LogisticRegression on 80000 dense rows took
6-12 s with two threads and 0.4 s with one). ``--threads 0`` keeps the
library default.

Run: ``python benchmarks/bench_scale.py [--quick] [--only dense|sparse]``.
``--quick``: 10^5 dense rows and 20000 sparse rows, for a smoke run.
"""

import argparse
import ctypes
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp

DENSE_ROWS, SPARSE_ROWS = 1_000_000, 200_000
QUICK_DENSE_ROWS, QUICK_SPARSE_ROWS = 100_000, 20_000
TRAIN_FRACTION = 0.8
CHUNK = 50_000  # rows made at a time, so that making the data peaks low

MODELS = {
    "EnergyClassifier()": ("skebm", "EnergyClassifier", {}),
    "EnergyClassifier(mlp 64)": (
        "skebm", "EnergyClassifier",
        dict(energy="mlp", hidden_layer_sizes=(64,))),
    "EnergyClassifier(alpha=0.5)": ("skebm", "EnergyClassifier", dict(alpha=0.5)),
    "EnergyClassifier(mlp 64 alpha=0.5)": (
        "skebm", "EnergyClassifier",
        dict(energy="mlp", hidden_layer_sizes=(64,), alpha=0.5)),
    "SGDClassifier(log_loss)": (
        "sklearn.linear_model", "SGDClassifier", dict(loss="log_loss")),
    "LogisticRegression()": ("sklearn.linear_model", "LogisticRegression", {}),
    "MLPClassifier(64)": (
        "sklearn.neural_network", "MLPClassifier", dict(hidden_layer_sizes=(64,))),
}
DENSE_ONLY = {"MLPClassifier(64)"}
# a fixed penalty: no rows held out, no trial fits (alpha="auto"'s cost in
# time and memory); run with --models
FIXED_PENALTY = {"EnergyClassifier(alpha=0.5)", "EnergyClassifier(mlp 64 alpha=0.5)"}


# -- data ---------------------------------------------------------------------
def _softmax_labels(logits, rng):
    """One label per row drawn from softmax(logits)."""
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    u = rng.random(len(p))[:, None]
    return np.minimum((p.cumsum(axis=1) < u).sum(axis=1), p.shape[1] - 1)


def make_dense(n_rows, n_features=50, n_classes=5, seed=0):
    """Standard normal float32 features, labels from a softmax teacher.
    Made in chunks: the first rows do not depend on ``n_rows``."""
    rng = np.random.default_rng(seed)
    teacher = 1.05 * rng.standard_normal((n_features, n_classes))
    X = np.empty((n_rows, n_features), dtype=np.float32)
    y = np.empty(n_rows, dtype=np.int64)
    for start in range(0, n_rows, CHUNK):
        rows = slice(start, min(start + CHUNK, n_rows))
        X[rows] = rng.standard_normal((rows.stop - start, n_features),
                                      dtype=np.float32)
        y[rows] = _softmax_labels(X[rows] @ teacher, rng)
    return X, y


def make_sparse(n_rows, n_features=50_000, n_classes=20, nnz_per_row=60,
                n_informative=1000, seed=1):
    """CSR float32 with power-law column popularity, labels from a softmax
    teacher on the most frequent columns."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / (np.arange(n_features) + 100.0)
    popularity /= popularity.sum()
    teacher = 2.0 * rng.standard_normal((n_features, n_classes))
    teacher[n_informative:] = 0.0
    blocks, labels = [], []
    for start in range(0, n_rows, CHUNK):
        m = min(CHUNK, n_rows - start)
        cols = rng.choice(n_features, size=(m, nnz_per_row), p=popularity)
        vals = rng.uniform(0.5, 1.5, size=(m, nnz_per_row)).astype(np.float32)
        rows = np.repeat(np.arange(m), nnz_per_row)
        block = sp.csr_matrix((vals.ravel(), (rows, cols.ravel())),
                              shape=(m, n_features))
        block.sum_duplicates()
        blocks.append(block)
        labels.append(_softmax_labels(block @ teacher, rng))
    X = sp.vstack(blocks, format="csr")
    return X, np.concatenate(labels)


def nbytes(X):
    if sp.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


# -- one fit, in a fresh process ----------------------------------------------
def _rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _release_free_memory():
    """Give the heap memory that earlier steps freed back to the system
    (glibc), so that the fit cannot reuse it unseen by the resident size."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _reset_peak():
    """Reset the kernel's peak resident size to the current one (Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def learned_dtype(model):
    for name in ("energy_", "coef_", "coefs_"):
        value = getattr(model, name, None)
        if value is not None:
            value = value.params_ if name == "energy_" else value
            return str((value[0] if isinstance(value, list) else value).dtype)
    return "?"


def run_one(kind, n_rows, model_name, threads, max_memory_gb):
    """Make the data, fit ``model_name`` once and return the measures."""
    from sklearn.base import clone
    from threadpoolctl import threadpool_limits

    limit = int(max_memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    X, y = (make_dense if kind == "dense" else make_sparse)(n_rows)
    n_train = int(TRAIN_FRACTION * n_rows)
    X_train, y_train = X[:n_train], y[:n_train]
    X_test, y_test = X[n_train:], y[n_train:]
    del X, y  # dense: views stay; sparse: the row slices are copies
    module, cls, params = MODELS[model_name]
    estimator = getattr(importlib.import_module(module), cls)(
        random_state=0, **params)
    limits = threadpool_limits(limits=threads, user_api="blas") if threads else None
    with warnings.catch_warnings():  # load what a first fit loads
        warnings.simplefilter("ignore")
        clone(estimator).fit(X_train[:2000], y_train[:2000])
    _release_free_memory()
    reset = _reset_peak()
    before = _rss_kb() if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cpu = _cpu_seconds()
        start = time.perf_counter()
        try:
            estimator.fit(X_train, y_train)
            error = None
        except MemoryError as exc:
            error = f"MemoryError: {exc}"
        seconds = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if limits is not None:
        limits.unregister()
    data = nbytes(X_train) + y_train.nbytes
    result = dict(kind=kind, model=model_name, n_train=n_train, seconds=seconds,
                  cpu_seconds=cpu,
                  peak_mb=(peak - before) / 1024, data_mb=data / 2**20,
                  peak_reset=reset, error=error,
                  warnings=sorted({w.category.__name__ for w in caught}))
    if error is None:
        result.update(accuracy=float(estimator.score(X_test, y_test)),
                      dtype=learned_dtype(estimator),
                      n_iter=int(np.max(getattr(estimator, "n_iter_", -1))))
    return result


def spawn(kind, n_rows, model_name, args):
    command = [sys.executable, os.path.abspath(__file__), "--worker", kind,
               str(n_rows), model_name, "--threads", str(args.threads),
               "--max-memory-gb", str(args.max_memory_gb)]
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return dict(kind=kind, model=model_name, error=f"timeout {args.timeout} s")
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode or not lines:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        return dict(kind=kind, model=model_name,
                    error=f"exit {done.returncode}: {tail}")
    return json.loads(lines[-1])


# -- report -------------------------------------------------------------------
def print_table(results):
    print(f"{'data':7s} {'model':26s} {'n_train':>8s} {'fit s':>8s} {'cpu s':>8s} "
          f"{'accuracy':>8s} {'peak MB':>8s} {'data MB':>8s} {'peak/data':>9s} "
          f"{'dtype':>7s} {'iter':>5s}  notes")
    for r in results:
        if r.get("error") and "seconds" not in r:
            print(f"{r['kind']:7s} {r['model']:26s} {r['error']}")
            continue
        notes = ", ".join(r["warnings"] + ([r["error"]] if r["error"] else []))
        print(f"{r['kind']:7s} {r['model']:26s} {r['n_train']:8d} "
              f"{r['seconds']:8.2f} {r.get('cpu_seconds', float('nan')):8.2f} "
              f"{r.get('accuracy', float('nan')):8.4f} "
              f"{r['peak_mb']:8.1f} {r['data_mb']:8.1f} "
              f"{r['peak_mb'] / r['data_mb']:9.2f} {r.get('dtype', '-'):>7s} "
              f"{r.get('n_iter', -1):5d}  {notes}")


def _verdict(ok):
    return "PASS" if ok else "FAIL"


def print_acceptance(results):
    by = {(r["kind"], r["model"]): r for r in results
          if r.get("error") is None and "seconds" in r}
    print("\nAcceptance (issue 14):")
    for kind in ("dense", "sparse"):
        nll = by.get((kind, "EnergyClassifier()"))
        sgd = by.get((kind, "SGDClassifier(log_loss)"))
        lr = by.get((kind, "LogisticRegression()"))
        mlp = by.get((kind, "EnergyClassifier(mlp 64)"))
        ref = by.get((kind, "MLPClassifier(64)"))
        if nll and sgd and lr:
            ratio = nll["seconds"] / sgd["seconds"]
            gap = nll["accuracy"] - lr["accuracy"]
            print(f"  {kind}: linear nll time / SGDClassifier time = {ratio:.2f} "
                  f"(<= 2), accuracy - LogisticRegression's = {gap:+.4f} "
                  f"(>= -0.005): {_verdict(ratio <= 2 and gap >= -0.005)}")
        if mlp and ref:
            speed = ref["seconds"] / mlp["seconds"]
            gap = mlp["accuracy"] - ref["accuracy"]
            print(f"  {kind}: MLPClassifier(64) time / mlp energy time = "
                  f"{speed:.2f} (>= 3), accuracy - MLPClassifier's = {gap:+.4f} "
                  f"(>= 0): {_verdict(speed >= 3 and gap >= 0)}")
        for r in (nll, mlp):
            if r:
                ratio = r["peak_mb"] / r["data_mb"]
                print(f"  {kind}: {r['model']} peak memory beyond the data = "
                      f"{ratio:.2f}x the data (<= 1.5): {_verdict(ratio <= 1.5)}")
        failed = [r for r in results if r["kind"] == kind and r.get("error")]
        for r in failed:
            print(f"  {kind}: {r['model']} failed: {r['error']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="10^5 dense rows and 20000 sparse rows")
    parser.add_argument("--only", choices=["dense", "sparse"])
    parser.add_argument("--models", help="comma-separated model names")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads per fit (0: the library default)")
    parser.add_argument("--max-memory-gb", type=float, default=8.0,
                        help="address-space cap of each fit's process")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="seconds allowed to one fit's process")
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "ROWS", "MODEL"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, rows, model = args.worker
        print(json.dumps(run_one(kind, int(rows), model, args.threads,
                                 args.max_memory_gb)))
        return 0
    sizes = {"dense": QUICK_DENSE_ROWS if args.quick else DENSE_ROWS,
             "sparse": QUICK_SPARSE_ROWS if args.quick else SPARSE_ROWS}
    kinds = [args.only] if args.only else ["dense", "sparse"]
    names = (args.models.split(",") if args.models
             else [name for name in MODELS if name not in FIXED_PENALTY])
    spec = importlib.util.find_spec("skebm")
    print(f"skebm from {os.path.dirname(spec.origin)}; {os.cpu_count()} cores; "
          f"load average at start: {os.getloadavg()}")
    results = []
    for kind in kinds:
        for name in names:
            if kind == "sparse" and name in DENSE_ONLY:
                continue
            result = spawn(kind, sizes[kind], name, args)
            results.append(result)
            print(f"  done: {kind} {name}: "
                  f"{result.get('seconds', float('nan')):.1f} s "
                  f"{result.get('error') or ''}", flush=True)
    print(f"load average at end: {os.getloadavg()}\n")
    print_table(results)
    print_acceptance(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
