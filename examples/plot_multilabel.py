"""
Multi-label classification: learned label interactions and the joint mode
=========================================================================

With a 2-D 0/1 indicator ``y``, :class:`~skebm.EnergyClassifier` scores label
*vectors*: ``E(x, v) = u(x) . v + sum_{l<m} W_lm v_l v_m``, per-label
energies ``u(x)`` from the chosen architecture plus learned pairwise
interactions ``W``. ``predict`` returns the jointly lowest-energy label
vector; ``predict_proba`` the marginals ``P(y_l = 1 | x)`` of the Gibbs
distribution.

The data have six labels on a 2-D input: ``sea``, ``forest`` and ``city``
exclude each other (exactly one is on, the input only says which is likelier),
``snow`` comes with ``mountain`` nine times out of ten, and ``night``
depends on the input alone. The learned interaction matrix (left) finds this
structure: large positive ``W`` (switching both on costs energy) between the
three exclusive labels, a negative one (both on is cheaper) between
``mountain`` and ``snow``, about zero between ``night`` and ``mountain`` or
``snow``. The interactions of every other label with the three exclusive ones
are about -1 alike: exactly one of those three is always on, so an
interaction shared by all three acts as an offset of the other label, which
the data cannot tell apart from its own (``W`` is not penalized, like an
intercept).

Where the input is ambiguous between the exclusive labels, each of their
marginals falls below 1/2: thresholding them predicts none, an impossible
label set, while the joint mode predicts the likeliest one. The middle panel
shows where in the input space the mode differs from thresholded marginals;
the right panel compares, on held-out data, the joint mode, the same model's
thresholded marginals, and a model without interactions
(``label_interactions=False``). The joint mode wins on subset accuracy, the
metric it is the Bayes decision for.

Run ``python examples/plot_multilabel.py --save multilabel.png``.
"""

import argparse

import numpy as np
from sklearn.metrics import accuracy_score, hamming_loss, jaccard_score

from skebm import EnergyClassifier

LABELS = ["sea", "forest", "city", "mountain", "snow", "night"]


def make_scenes(n, random_state=0):
    """Inputs in 2-D and the six labels described above."""
    rng = np.random.default_rng(random_state)
    X = rng.uniform(-2.5, 2.5, size=(n, 2))
    angles = np.array([0.0, 2.1, 4.2])
    logits = 1.2 * X @ np.array([np.cos(angles), np.sin(angles)])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    kind = (p.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1)
    Y = np.zeros((n, 6), dtype=int)
    Y[np.arange(n), kind] = 1
    Y[:, 3] = rng.random(n) < 1 / (1 + np.exp(-2 * X[:, 1]))
    Y[:, 4] = rng.random(n) < np.where(Y[:, 3] > 0, 0.9, 0.1)
    Y[:, 5] = rng.random(n) < 1 / (1 + np.exp(-3 * X[:, 0]))
    return X, Y


def scores(Y, P):
    return {"subset accuracy": accuracy_score(Y, P),
            "Jaccard": jaccard_score(Y, P, average="samples", zero_division=1.0),
            "1 - Hamming loss": 1 - hamming_loss(Y, P)}


def fit_models(random_state=0):
    """The joint model, the model without interactions, and the test data."""
    X, Y = make_scenes(1500, random_state)
    X_test, Y_test = make_scenes(1000, random_state + 1)
    joint = EnergyClassifier(random_state=random_state).fit(X, Y)
    alone = EnergyClassifier(label_interactions=False,
                             random_state=random_state).fit(X, Y)
    return joint, alone, X_test, Y_test


def main(save=None):
    """Fit, print the scores, draw the figure; return the scores."""
    import matplotlib

    if save:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    joint, alone, X_test, Y_test = fit_models()
    results = {
        "joint mode": scores(Y_test, joint.predict(X_test)),
        "thresholded marginals": scores(
            Y_test, (joint.predict_proba(X_test) > 0.5).astype(int)),
        "no interactions": scores(Y_test, alone.predict(X_test)),
    }
    for name, row in results.items():
        print(f"{name:<22}" + "  ".join(f"{k} {v:.3f}" for k, v in row.items()))

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    W = joint.energy_.interactions_
    image = axes[0].imshow(W, cmap="RdBu_r", vmin=-5, vmax=5)
    for (i, j), w in np.ndenumerate(W):
        if i != j:
            axes[0].text(j, i, f"{w:.1f}", ha="center", va="center", fontsize=8)
    axes[0].set_xticks(range(6), LABELS, rotation=45)
    axes[0].set_yticks(range(6), LABELS)
    axes[0].set_title("Learned interactions W\n(energy of both on; colors clipped)")
    fig.colorbar(image, ax=axes[0], fraction=0.046)

    grid = np.linspace(-2.5, 2.5, 120)
    G = np.array(np.meshgrid(grid, grid)).reshape(2, -1).T
    differ = (joint.predict(G) != (joint.predict_proba(G) > 0.5)).sum(axis=1)
    mesh = axes[1].pcolormesh(grid, grid, differ.reshape(120, 120), cmap="Greys",
                              vmin=0, vmax=3, shading="auto")
    axes[1].set_title("Labels where the joint mode\ndiffers from thresholded "
                      "marginals")
    axes[1].set_xlabel("x[0]")
    axes[1].set_ylabel("x[1]")
    fig.colorbar(mesh, ax=axes[1], fraction=0.046)

    names = list(results)
    metrics = list(results[names[0]])
    width = 0.25
    for i, name in enumerate(names):
        axes[2].bar(np.arange(3) + (i - 1) * width,
                    [results[name][m] for m in metrics], width, label=name)
    axes[2].set_xticks(range(3), metrics)
    axes[2].set_ylim(0, 1)
    axes[2].legend(loc="lower right")
    axes[2].set_title("Held-out scores")
    fig.tight_layout()
    if save:
        fig.savefig(save, dpi=100)
    elif matplotlib.get_backend().lower() != "agg":
        plt.show()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").strip().partition("\n")[0])
    parser.add_argument("--save", metavar="PATH",
                        help="save the figure instead of showing it")
    main(parser.parse_args().save)
