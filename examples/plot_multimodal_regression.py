"""
A bimodal conditional density: joint energy vs a Gaussian regressor
===================================================================

``x ~ U(-3, 3)`` and ``y = s sin(x) + N(0, 0.1^2)`` with a random sign ``s``:
for each x, y lies on one of two branches. A regressor that predicts one
value with Gaussian noise (``MLPRegressor`` with the variance of its
residuals) can only put its mean between the branches, where no data lie. A
joint energy trained with the NLL loss learns ``p(y|x)`` itself: its density
has both modes and its samples land on both branches.

``predict_interval`` is the central interval of the Gibbs distribution (from
its 5% to its 95% quantile), which here spans both branches and the gap
between them. The figure shows the two conditional densities on an
``(x, y)`` grid, and samples of the joint energy over the data.

Run ``python examples/plot_multimodal_regression.py --save bimodal.png``.
"""

import argparse
import warnings

import numpy as np
from scipy.stats import norm
from sklearn.neural_network import MLPRegressor

from skebm import EnergyRegressor
from skebm.datasets import bimodal_sine_log_density, make_bimodal_sine


def make_data(n_samples, random_state=0):
    return make_bimodal_sine(n_samples, random_state=random_state)


true_log_density = bimodal_sine_log_density


def compare(n_train=2000, n_test=2000, max_iter=200, random_state=0):
    """Held-out mean NLL (nats) of the joint energy, the Gaussian MLP and the
    truth; branch balance of the samples and coverage of the 90% interval."""
    X, y = make_data(n_train, random_state)
    X_test, y_test = make_data(n_test, random_state + 1)
    reg = EnergyRegressor(energy="joint", loss="nll", max_iter=max_iter,
                          random_state=random_state)
    mlp = MLPRegressor(max_iter=max(max_iter, 500), random_state=random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at small max_iter
        reg.fit(X, y)
        mlp.fit(X, y)
    sigma = np.std(y - mlp.predict(X))
    gaussian_nll = -norm.logpdf(y_test, mlp.predict(X_test), sigma).mean()
    samples = reg.sample_y(X_test, n_samples=20, random_state=random_state)
    branch = np.abs(np.sin(X_test[:, 0])) > 0.5
    interval = reg.predict_interval(X_test, coverage=0.9)
    return {
        "energy_nll": float(-reg.predict_log_density(X_test, y_test).mean()),
        "gaussian_nll": float(gaussian_nll),
        "true_nll": float(-true_log_density(X_test, y_test).mean()),
        "upper_branch_fraction": float((samples[branch] > 0).mean()),
        "interval_coverage": float(np.mean((y_test >= interval[:, 0])
                                           & (y_test <= interval[:, 1]))),
        "model": reg,
        "mlp": mlp,
        "sigma": float(sigma),
    }


def main(save=None):
    import matplotlib

    if save:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    result = compare()
    reg, mlp = result["model"], result["mlp"]
    for key in ["energy_nll", "gaussian_nll", "true_nll", "upper_branch_fraction",
                "interval_coverage"]:
        print(f"{key:>22}: {result[key]:.3f}")
    X, y = make_data(2000)
    xs = np.linspace(-3, 3, 121)
    ys = np.linspace(-1.6, 1.6, 161)
    Xg = np.repeat(xs, len(ys))[:, None]
    density = np.exp(reg.predict_log_density(Xg, np.tile(ys, len(xs))))
    density = density.reshape(len(xs), len(ys)).T
    gauss = norm.pdf(ys[:, None], mlp.predict(xs[:, None])[None, :], result["sigma"])
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), sharey=True,
                             layout="constrained")
    for ax, values, title in [
            (axes[0], density, "joint energy, nll loss: p(y|x)\n"
             f"held-out NLL {result['energy_nll']:.2f} nats "
             f"(truth {result['true_nll']:.2f})"),
            (axes[1], gauss, "MLPRegressor + Gaussian noise: p(y|x)\n"
             f"held-out NLL {result['gaussian_nll']:.2f} nats")]:
        mesh = ax.pcolormesh(xs, ys, values, shading="auto", cmap="magma")
        fig.colorbar(mesh, ax=ax, pad=0.01, label="density p(y|x)")
        ax.set_title(title)
    samples = reg.sample_y(xs[:, None], n_samples=10, random_state=0)
    axes[2].plot(X[:, 0], y, ".", ms=1, color="0.6", label="training data")
    axes[2].plot(np.repeat(xs, 10), samples.ravel(), ".", ms=2,
                 label="sample_y (10 per x)")
    interval = reg.predict_interval(xs[:, None], coverage=0.9)
    axes[2].fill_between(xs, interval[:, 0], interval[:, 1], alpha=0.15,
                         label="predict_interval (90%)")
    axes[2].legend(loc="lower center", fontsize=8, markerscale=4)
    axes[2].set_title("samples and interval of the joint energy")
    for ax in axes:
        ax.set_xlabel("x")
    axes[0].set_ylabel("y")
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
    main(parser.parse_args().save)
