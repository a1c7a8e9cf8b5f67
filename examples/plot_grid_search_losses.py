"""
Grid search over the nine losses of the tutorial
================================================

Every loss of LeCun et al.'s tutorial is a function of energies only, so
``loss`` is an ordinary hyper-parameter: :class:`~sklearn.model_selection.GridSearchCV`
compares all nine on the wine data, with the same linear energy, inside a
:class:`~sklearn.pipeline.Pipeline` that standardizes the features.

The table lists the mean and standard deviation of the cross-validated
accuracy, best first; the bar plot shows the same numbers.

Run ``python examples/plot_grid_search_losses.py --save losses.png``.
"""

import argparse
import warnings

import numpy as np
from sklearn.datasets import load_wine
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skebm import EnergyClassifier
from skebm.losses import LOSSES


def grid_search(random_state=0):
    """Fit the grid search over ``sorted(LOSSES)``; return it."""
    X, y = load_wine(return_X_y=True)
    pipe = Pipeline([
        ("scale", StandardScaler()),
        ("clf", EnergyClassifier(energy="linear", max_iter=200,
                                 random_state=random_state)),
    ])
    search = GridSearchCV(
        pipe, {"clf__loss": sorted(LOSSES)},
        cv=StratifiedKFold(5, shuffle=True, random_state=random_state))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter
        search.fit(X, y)
    return search


def results_table(search):
    """(loss, mean, std) rows sorted by mean test accuracy, best first."""
    res = search.cv_results_
    rows = [(p["clf__loss"], float(m), float(s)) for p, m, s in
            zip(res["params"], res["mean_test_score"], res["std_test_score"])]
    return sorted(rows, key=lambda r: -r[1])


def main(save=None):
    """Run the search, print the sorted table, plot it; return the rows."""
    import matplotlib

    if save:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results_table(grid_search())
    print(f"{'loss':>14}  {'mean acc':>8}  {'std':>6}")
    for loss, mean, std in rows:
        print(f"{loss:>14}  {mean:8.3f}  {std:6.3f}")
    names = [r[0] for r in rows]
    means = np.array([r[1] for r in rows])
    stds = np.array([r[2] for r in rows])
    fig, ax = plt.subplots(figsize=(8, 3.8))
    ax.bar(names, means, yerr=stds, capsize=3, color="C0")
    ax.set_ylim(max(0.0, means.min() - 0.1), 1.0)
    ax.set_ylabel("CV accuracy (mean ± std)")
    ax.set_xlabel("loss")
    ax.set_title("EnergyClassifier on wine: the nine losses (5-fold CV)")
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    if save:
        fig.savefig(save, dpi=100)
    elif matplotlib.get_backend().lower() != "agg":
        plt.show()
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").strip().partition("\n")[0])
    parser.add_argument("--save", metavar="PATH",
                        help="save the figure instead of showing it")
    main(parser.parse_args().save)
