"""
Quickstart: an energy-based classifier in a Pipeline
====================================================

``EnergyClassifier`` scores every (input, class) pair with an energy and
predicts the class of lowest energy. It is a scikit-learn estimator, so it
drops into a :class:`~sklearn.pipeline.Pipeline`: here the wine data are
standardized, projected on two principal components and classified with the
NLL loss (softmax of the negative energies).

On two components the energy landscape can be drawn with
:class:`skebm.plot.EnergyLandscapeDisplay`: the lowest energy over the classes
on a grid, the boundaries where the class of lowest energy changes, and the
test points colored by class.

Run ``python examples/plot_quickstart.py --save quickstart.png``.
"""

import argparse
import warnings

from sklearn.datasets import load_wine
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skebm import EnergyClassifier


def fit_pipeline(random_state=0):
    """Fit scaler + PCA(2) + EnergyClassifier on wine; return the pipeline,
    the test split and the test accuracy."""
    X, y = load_wine(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=random_state)
    pipe = make_pipeline(
        StandardScaler(), PCA(n_components=2),
        EnergyClassifier(loss="nll", energy="mlp", hidden_layer_sizes=(16,),
                         max_iter=300, random_state=random_state))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter
        pipe.fit(X_train, y_train)
    return pipe, X_test, y_test, pipe.score(X_test, y_test)


def main(save=None):
    """Fit, print the test accuracy, plot the landscape; return the accuracy."""
    import matplotlib

    if save:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skebm.plot import EnergyLandscapeDisplay

    pipe, X_test, y_test, accuracy = fit_pipeline()
    print(f"test accuracy: {accuracy:.3f}")
    # the display needs the classifier and its 2-D input: split the pipeline
    Z_test = pipe[:-1].transform(X_test)
    disp = EnergyLandscapeDisplay.from_estimator(pipe[-1], Z_test, y_test,
                                                 grid_resolution=120)
    disp.ax_.set_xlabel("PC 1")
    disp.ax_.set_ylabel("PC 2")
    disp.ax_.set_title(f"Wine: min energy over classes (accuracy {accuracy:.2f})")
    disp.figure_.tight_layout()
    if save:
        disp.figure_.savefig(save, dpi=100)
    elif matplotlib.get_backend().lower() != "agg":
        plt.show()
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").strip().partition("\n")[0])
    parser.add_argument("--save", metavar="PATH",
                        help="save the figure instead of showing it")
    main(parser.parse_args().save)
