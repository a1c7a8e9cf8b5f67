"""
Digit completion: sampled answers of a joint energy over 32 outputs
===================================================================

The seed's image restoration task on scikit-learn's digits (8 x 8 pixels,
scaled to [0, 1]): the upper 32 pixels are given, the lower 32 are the
answer. The answer is a vector of R^32, where no grid of answers can be
enumerated, so ``EnergyRegressor(energy="joint")`` trains its NLL with a
sampled contrastive term: short Langevin chains from the targets that jump
to draws of the energy's Gaussian part (a mean that starts at a ridge
regression, a learned correlation of the pixels). It answers by
sampling: each draw of ``sample_y`` is one plausible completion, from
chains whose jumps to draws of the Gaussian part let them change digits.

Beside the truth, the figure shows three completions sampled from the
energy, its ``predict`` (the mean of the Gibbs distribution), and the
answers of KNeighborsRegressor, ExtraTreesRegressor and Ridge, as in
scikit-learn's "face completion with multi-output estimators" example.
Those give one blurred average; the samples are sharp digits, and where
the upper half is ambiguous they differ.

Run ``python examples/plot_digit_completion.py --save digits.png``
(``--quick`` trains for a few epochs only). The gallery trains 30 epochs,
to build in under a minute; ``benchmarks/bench_multioutput.py`` trains the
default 100 and compares the samples with the nearest neighbours'.
"""

import argparse
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsRegressor

from skebm import EnergyRegressor


def complete(max_iter=100, n_digits=6, n_draws=3, n_test=None, random_state=0):
    """Fit the four models on the training digits; their answers for the
    first ``n_digits`` test digits, and each model's MSE on the first
    ``n_test`` (default all)."""
    X = load_digits().data / 16.0
    train, test = train_test_split(X, test_size=0.3, random_state=random_state)
    X_train, Y_train = train[:, :32], train[:, 32:]
    X_test, Y_test = test[:n_test, :32], test[:n_test, 32:]
    energy = EnergyRegressor(energy="joint", alpha=0.1, max_iter=max_iter,
                             random_state=random_state)
    models = {"KNeighbors": KNeighborsRegressor(),
              "ExtraTrees": ExtraTreesRegressor(random_state=random_state),
              "Ridge": Ridge()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at small max_iter
        energy.fit(X_train, Y_train)
    answers = {"energy mean": energy.predict(X_test)}
    for name, model in models.items():
        answers[name] = model.fit(X_train, Y_train).predict(X_test)
    mse = {name: float(((pred - Y_test) ** 2).mean())
           for name, pred in answers.items()}
    draws = energy.sample_y(X_test[:n_digits], n_samples=n_draws,
                            random_state=random_state)
    shown = {name: pred[:n_digits] for name, pred in answers.items()}
    return {"upper": X_test[:n_digits], "truth": Y_test[:n_digits],
            "draws": np.clip(draws, 0, 1), "answers": shown, "mse": mse}


def main(save=None, quick=False):
    import matplotlib

    if save:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # the gallery runs this at build time: 30 epochs, MSE on 200 digits
    result = complete(max_iter=5, n_test=30) if quick else complete(30, n_test=200)
    for name, value in result["mse"].items():
        print(f"{name:>12} test MSE: {value:.4f}")
    draws, answers = result["draws"], result["answers"]
    columns = (["truth"] + [f"sample {k + 1}" for k in range(draws.shape[1])]
               + list(answers))
    n = len(result["truth"])
    fig, axes = plt.subplots(n, len(columns), figsize=(1.3 * len(columns), 1.4 * n),
                             layout="constrained")
    for i in range(n):
        lowers = ([result["truth"][i]] + list(draws[i])
                  + [answers[name][i] for name in answers])
        for j, (ax, lower) in enumerate(zip(axes[i], lowers)):
            image = np.concatenate([result["upper"][i], lower]).reshape(8, 8)
            ax.imshow(image, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
            ax.axhline(3.5, color="tab:red", lw=0.8)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(columns[j], fontsize=8)
    fig.suptitle("Lower halves answered below the red line", fontsize=9)
    if save:
        fig.savefig(save, dpi=100)
    elif matplotlib.get_backend().lower() != "agg":
        plt.show()
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").strip().partition("\n")[0])
    parser.add_argument("--save", metavar="PATH", help="save the figure instead "
                        "of showing it")
    parser.add_argument("--quick", action="store_true",
                        help="train a few epochs only")
    args = parser.parse_args()
    main(args.save, quick=args.quick)
