"""The command line: compare on built-in data and CSV files, sample, errors."""

import json

import numpy as np
import pytest

from skebm._cli import infer_task, main, read_csv


def run(argv, capsys):
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_compare_builtin_classification(capsys, tmp_path):
    out_file = tmp_path / "board.json"
    status, out, err = run(["compare", "iris", "--energies", "linear,distance",
                            "--losses", "nll,hinge,energy", "--output",
                            str(out_file)], capsys)
    assert status == 0
    rows = json.loads(out_file.read_text())
    assert len(rows) == 7  # baseline + 3 losses x 2 energies
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert all(0.6 < s <= 1.0 for s in scores)
    assert "LogisticRegression" in out and "accuracy" in out
    assert "7/7" in err  # the progress line reached the end
    # captured stderr is no terminal: one line per candidate, no redraws
    assert "\r" not in err
    assert [line.split()[1] for line in err.splitlines() if line][:7] == [
        f"{i}/7" for i in range(1, 8)]


def test_compare_regression_to_csv(capsys, tmp_path):
    out_file = tmp_path / "board.csv"
    status, out, _ = run(["compare", "diabetes", "--energies", "linear",
                          "--losses", "energy,nll", "--output", str(out_file)],
                         capsys)
    assert status == 0 and "R^2" in out and "Ridge" in out
    lines = out_file.read_text().splitlines()
    assert lines[0].startswith("model,loss,energy,score") and len(lines) == 4


def _write_csv(path, rng, n=90):
    x1 = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    label = np.where(x1 + (color == "red") > 0.3, "yes", "no")
    rows = ["x1,color,x2,label"]
    for i in range(n):
        x2 = "" if i == 5 else f"{rng.normal():.3f}"
        rows.append(f"{x1[i]:.3f},{color[i]},{x2},{label[i]}")
    path.write_text("\n".join(rows) + "\n")


def test_compare_csv_with_a_categorical_column_and_a_missing_value(capsys, tmp_path):
    path = tmp_path / "data.csv"
    _write_csv(path, np.random.default_rng(0))
    status, out, err = run(["compare", str(path), "--target", "label",
                            "--losses", "nll,hinge", "--energies", "linear"], capsys)
    assert status == 0
    assert "column 'x2' has 1 missing value" in err
    assert "classification" in out
    best = [line for line in out.splitlines() if line.strip().startswith("1 ")][0]
    assert float(best.split()[4]) > 0.8


def test_read_csv_types(tmp_path):
    path = tmp_path / "data.csv"
    _write_csv(path, np.random.default_rng(1), n=12)
    X, y, names, numeric, categorical, notes = read_csv(path, "label")
    assert names == ["x1", "color", "x2"]
    assert numeric == [0, 2] and categorical == [1]
    assert np.isnan(X[5, 2]) and len(notes) == 1
    assert set(y) <= {"yes", "no"}


def test_infer_task():
    assert infer_task(np.array(["a", "b"])) == "classification"
    assert infer_task(np.repeat([0.0, 1.0, 2.0], 20)) == "classification"
    assert infer_task(np.linspace(0, 1, 100)) == "regression"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["compare", "missing.csv", "--target", "y"], "no such file"),
        (["compare", "nosuchset"], "unknown data set"),
        (["compare", "iris", "--losses", "squared"], "unknown loss"),
        (["compare", "iris", "--energies", "joint"], "not one of"),
        (["compare", "iris", "--cv", "1"], "--cv"),
    ],
)
def test_errors_are_one_line(capsys, argv, message):
    status, out, err = run(argv, capsys)
    assert status == 2
    assert message in err and "Traceback" not in err
    assert err.strip().count("\n") == 0


def test_csv_errors(capsys, tmp_path):
    path = tmp_path / "data.csv"
    _write_csv(path, np.random.default_rng(0))
    status, _, err = run(["compare", str(path), "--target", "nope"], capsys)
    assert status == 2 and "no column 'nope'" in err and "x1" in err
    constant = tmp_path / "constant.csv"
    constant.write_text("a,y\n1,5\n2,5\n3,5\n")
    status, _, err = run(["compare", str(constant), "--target", "y"], capsys)
    assert status == 2 and "single value" in err


def test_sample_prints_the_estimate(capsys):
    status, out, _ = run(["sample", "--steps", "4000", "--chains", "4",
                          "--step-size", "auto", "--burn-in", "0.5"], capsys)
    assert status == 0
    estimate = float(out.split("estimate of sigma:")[1].split()[0])
    assert abs(estimate - 3.0) < 0.2
    assert "split R-hat" in out and "effective samples" in out


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "compare" in out and "sample" in out
