"""
The energy loss collapses a joint energy; contrastive losses do not
====================================================================

LeCun et al. (2006, §2.2) warn that the energy loss, which only pushes down
the energy of the correct answer, makes a flexible architecture collapse: the
energy of every answer drops, the surface turns flat and inference learns
nothing. A joint energy ``E(x, y)`` is such an architecture. The hinge and
square-square losses pull up the most offending incorrect answer (the lowest
energy outside an ``epsilon``-ball around the target) and the NLL pulls up
every answer in proportion to its Gibbs probability, so they carve a valley
along the data instead.

The spread of the energy over ``y`` at fixed ``x`` measures it: zero on a
flat surface. ``EnergyRegressor`` trains ``loss="energy"`` with
``energy="joint"`` with a warning that it collapses, as shown here. The
figure draws the four trained surfaces over the data, each relative to its
minimum over ``y`` at every ``x`` (all that inference and ``p(y|x)`` depend
on), on one colour scale two margins wide: the collapsed surface is flat,
the others dig a valley along the data. The square-square loss is content
once wrong answers sit one margin above zero, and here it leaves some
regions away from the data almost as low as its valley.

Run ``python examples/plot_energy_collapse.py --save collapse.png``.
"""

import argparse
import warnings

import numpy as np

from skebm import EnergyRegressor

LOSSES = ["energy", "hinge", "square_square", "nll"]


def make_data(n_samples, random_state=0):
    """y = sin(x) + noise, x uniform on [-3, 3]."""
    rng = np.random.default_rng(random_state)
    x = rng.uniform(-3, 3, n_samples)
    return x[:, None], np.sin(x) + rng.normal(0, 0.1, n_samples)


def fit_models(n_samples=600, max_iter=200, random_state=0):
    X, y = make_data(n_samples, random_state)
    models = {}
    for loss in LOSSES:
        # a weak penalty (the default, 10, suits nll on noisy data): the
        # margin losses need large energy gaps to dig a narrow valley
        reg = EnergyRegressor(loss=loss, energy="joint", hidden_layer_sizes=(32,),
                              alpha=0.3, max_iter=max_iter,
                              random_state=random_state)
        with warnings.catch_warnings():
            # the collapse warning of loss="energy" is the point of the example
            warnings.simplefilter("ignore")
            reg.fit(X, y)
        models[loss] = reg
    return models


def energy_surface(reg, xs, ys):
    """Energies on the (x, y) mesh, shape (len(ys), len(xs))."""
    X = np.repeat(xs, len(ys))[:, None]
    Y = np.tile(ys, len(xs))
    return reg.energies(X, Y).reshape(len(xs), len(ys)).T


def energy_spreads(n_samples=600, max_iter=200, random_state=0, models=None):
    """Mean over x of the energy's range over y (inside the data's range),
    divided by the margin (1.0), for each loss."""
    models = models or fit_models(n_samples, max_iter, random_state)
    xs = np.linspace(-2.5, 2.5, 21)
    ys = np.linspace(-1.5, 1.5, 61)
    return {loss: float(np.mean(np.ptp(energy_surface(reg, xs, ys), axis=0)))
            for loss, reg in models.items()}


def main(save=None):
    import matplotlib

    if save:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = fit_models()
    spreads = energy_spreads(models=models)
    X, y = make_data(600)
    xs = np.linspace(-3, 3, 61)
    ys = np.linspace(-1.6, 1.6, 81)
    fig, axes = plt.subplots(1, len(LOSSES), figsize=(4 * len(LOSSES), 3.8),
                             sharey=True, layout="constrained")
    for ax, loss in zip(axes, LOSSES):
        surface = energy_surface(models[loss], xs, ys)
        # inference and p(y|x) only see the energy relative to its minimum
        # over y at each x; one colour scale for all, two margins (1.0) wide
        # so that a flat surface looks flat and a valley shows
        relative = surface - surface.min(axis=0)
        mesh = ax.pcolormesh(xs, ys, relative, shading="auto", cmap="viridis",
                             vmin=0.0, vmax=2.0)
        ax.plot(X[:, 0], y, ".", ms=1.5, color="white", alpha=0.5,
                label="training data")
        ax.set_title(f"loss={loss!r}: spread {spreads[loss]:.2f}")
        ax.set_xlabel("x")
    axes[0].set_ylabel("y")
    axes[0].legend(loc="lower right", fontsize="small", markerscale=4)
    fig.colorbar(mesh, ax=axes, extend="max", pad=0.01,
                 label="E(x, y) - min over y of E(x, y)")
    fig.suptitle("Joint energy after training, relative to the best answer at "
                 "each x (dark = compatible)")
    for loss, spread in spreads.items():
        print(f"{loss:>14}: energy spread over y at fixed x = {spread:.3f}")
    if save:
        fig.savefig(save, dpi=100)
    elif matplotlib.get_backend().lower() != "agg":
        plt.show()
    return spreads


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").strip().partition("\n")[0])
    parser.add_argument("--save", metavar="PATH", help="save the figure instead "
                        "of showing it")
    main(parser.parse_args().save)
