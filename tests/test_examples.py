"""The examples' results (Agg backend). The grid search over losses and
the digit completion are checked on the documentation gallery's run of
them (tests/test_docs.py), not run twice."""

import importlib.util
import pathlib

import numpy as np
import pytest

pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"_example_{name}",
                                                  EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_quickstart(tmp_path):
    accuracy = _load("plot_quickstart").main(save=tmp_path / "q.png")
    assert accuracy > 0.9
    assert (tmp_path / "q.png").stat().st_size > 0


def test_ood_detection(tmp_path):
    res = _load("plot_ood_detection").main(save=tmp_path / "o.png")
    assert res["accuracy"] > 0.9
    # better than chance by 4 standard errors of a chance AUC,
    # sqrt((n_in + n_out + 1) / (12 n_in n_out)), 0.021 here
    n_in, n_out = res["is_in"].sum(), (1 - res["is_in"]).sum()
    chance = 0.5 + 4 * np.sqrt((n_in + n_out + 1) / (12 * n_in * n_out))
    assert chance < res["auc_free_energy"] < res["auc_max_softmax"]
    assert (tmp_path / "o.png").stat().st_size > 0


def test_main_without_save_does_not_show(monkeypatch):
    # with the Agg backend and no --save, main() must not call plt.show()
    def fail():
        raise AssertionError("plt.show() called under Agg")

    monkeypatch.setattr(plt, "show", fail)
    assert _load("plot_quickstart").main() > 0.9


def test_multilabel(tmp_path):
    results = _load("plot_multilabel").main(save=tmp_path / "m.png")
    joint, alone = results["joint mode"], results["no interactions"]
    assert joint["subset accuracy"] > alone["subset accuracy"] + 0.05
    assert joint["subset accuracy"] >= results["thresholded marginals"][
        "subset accuracy"]
    assert (tmp_path / "m.png").stat().st_size > 0
