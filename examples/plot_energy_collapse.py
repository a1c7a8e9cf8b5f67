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
flat surface. ``EnergyRegressor`` refuses ``loss="energy"`` with
``energy="joint"`` for that reason, so the collapsing model is assembled
here by hand from the same pieces the estimator composes: a
:class:`~skebm.energies.JointEnergy` (squared, so that its minimum is the
flat ``E = 0`` rather than ``-inf``), the answer space of the targets, the
loss, and the training loop. The
figure draws the four trained surfaces over the data, each relative to its
minimum over ``y`` at every ``x`` (all that inference and ``p(y|x)`` depend
on), on one colour scale two margins wide: the collapsed surface is flat,
the others dig a valley along the data. The square-square loss is content
once wrong answers sit one margin above zero, and here it leaves some
regions away from the data almost as low as its valley.

Run ``python examples/plot_energy_collapse.py --save collapse.png``.
"""

import argparse
import copy
import warnings

import numpy as np

from skebm import EnergyRegressor
from skebm.energies import JointEnergy
from skebm.inference import IntervalSpace
from skebm.losses import get_loss
from skebm.solvers import Objective, Settings, train

LOSSES = ["energy", "hinge", "square_square", "nll"]


def make_data(n_samples, random_state=0):
    """y = sin(x) + noise, x uniform on [-3, 3]."""
    rng = np.random.default_rng(random_state)
    x = rng.uniform(-3, 3, n_samples)
    return x[:, None], np.sin(x) + rng.normal(0, 0.1, n_samples)


class EnergyLossJointModel:
    """The joint energy trained by the energy loss, which EnergyRegressor
    refuses: its pieces with the estimator's defaults, on standardized
    targets; ``energies(X, y)`` as the estimator's."""

    def __init__(self, hidden_layer_sizes, alpha, max_iter, random_state):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.alpha, self.max_iter = alpha, max_iter
        self.random_state = random_state

    def fit(self, X, y):
        self.mean_, self.scale_ = y.mean(), y.std()
        z = ((y - self.mean_) / self.scale_)[:, None]
        weight = np.ones(len(y))
        self.space_ = IntervalSpace.from_targets(z, weight)
        centers = np.linspace(*self.space_.support, 64)
        self.energy_ = JointEnergy(self.hidden_layer_sizes, centers=centers,
                                   width=centers[1] - centers[0],
                                   output="square", quadratic=True)
        rng = np.random.RandomState(self.random_state)
        self.energy_.initialize(X.shape[1], 1, rng, X=X, y=z, sample_weight=weight)
        objective = Objective(self.energy_, self.space_, get_loss("energy"),
                              beta=1.0, alpha=self.alpha, weight_total=len(y))
        settings = Settings(solver="lbfgs", learning_rate_init=1e-3,
                            momentum=0.9, batch_size="auto",
                            max_iter=self.max_iter, tol=1e-4,
                            n_iter_no_change=10, early_stopping=False,
                            verbose=False)
        train(objective, X, z, weight, settings, "lbfgs", rng)
        return self

    def energies(self, X, y):
        z = (np.asarray(y, dtype=float) - self.mean_) / self.scale_
        return self.space_.energies(self.energy_, X, z[:, None])


def fit_models(n_samples=600, max_iter=200, random_state=0):
    X, y = make_data(n_samples, random_state)
    models = {}
    for loss in LOSSES:
        # a weak penalty (the default, 10, suits nll on noisy data): the
        # margin losses need large energy gaps to dig a narrow valley
        params = dict(hidden_layer_sizes=(32,), alpha=0.3, max_iter=max_iter,
                      random_state=random_state)
        if loss == "energy":
            reg = EnergyLossJointModel(**params)
        else:
            reg = EnergyRegressor(loss=loss, energy="joint", **params)
        with warnings.catch_warnings():
            # short fits stop at max_iter
            warnings.simplefilter("ignore")
            reg.fit(X, y)
        models[loss] = reg
    return models


def energy_surface(reg, xs, ys):
    """Energies on the (x, y) mesh, shape (len(ys), len(xs)): those the loss
    trained, without the ceiling a fitted EnergyRegressor puts on them for
    its predictions (the user guide's floor under the density)."""
    X = np.repeat(xs, len(ys))[:, None]
    Y = np.tile(ys, len(xs))
    if isinstance(reg, EnergyRegressor):
        reg = copy.copy(reg)
        reg.answer_space_ = reg.answer_space_.without_floor()
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
