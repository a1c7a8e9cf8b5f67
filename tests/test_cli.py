"""The command line: compare on built-in data and CSV files, failures and
warnings inside the leaderboard, progress, sample, errors."""

import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.preprocessing import StandardScaler

import skebm._cli
from skebm._cli import _compare, _progress, infer_task, main, read_csv
from skebm._cli._evaluate import outcome
from skebm.energies import CLASSIFIER_ENERGIES, REGRESSOR_ENERGIES
from skebm.losses import LOSSES


def run(argv, capsys):
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def table(out):
    """The leaderboard's rows as lists of words, keyed by (loss, energy)."""
    rows = {}
    for line in out.splitlines():
        words = line.split()
        if len(words) > 3 and (words[0].isdigit() or words[0] == "-"):
            rows[words[2], words[3]] = words
    return rows


def _classification_csv(path, rng, n=90):
    x1 = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    label = np.where(x1 + (color == "red") > 0.3, "yes", "no")
    rows = ["x1,color,x2,label"]
    for i in range(n):
        x2 = "" if i == 5 else f"{rng.normal():.3f}"
        rows.append(f"{x1[i]:.3f},{color[i]},{x2},{label[i]}")
    path.write_text("\n".join(rows) + "\n")


def _regression_csv(path, n=60):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2))
    y = x @ [1.5, -1.0] + 0.3 * rng.normal(size=n)
    lines = ["a,b,y"] + [f"{a:.3f},{b:.3f},{t:.3f}" for (a, b), t in zip(x, y)]
    path.write_text("\n".join(lines) + "\n")


# -- compare: built-in data ----------------------------------------------------


def test_compare_builtin_classification(capsys, tmp_path, monkeypatch):
    # stderr captured is no terminal: a log line per redraw, none of tqdm's
    # carriage returns; with no interval between redraws, one per candidate
    monkeypatch.setattr(_progress, "LOG_INTERVAL", 0)
    out_file = tmp_path / "board.json"
    status, out, err = run(["compare", "iris", "--energies", "linear,distance",
                            "--losses", "nll,hinge,energy", "--cv", "2",
                            "--output", str(out_file)], capsys)
    assert status == 0
    rows = json.loads(out_file.read_text())
    assert len(rows) == 7  # baseline + 3 losses x 2 energies
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert all(0.6 < s <= 1.0 for s in scores)
    assert {r["status"] for r in rows} == {"ok"}
    assert "LogisticRegression" in out and "accuracy" in out
    assert ("energy", "distance*") in table(out)  # input space: see footnote
    assert "\r" not in err
    progress = [line for line in err.splitlines() if line.startswith("compare")]
    assert [line.split("|")[2].split()[0] for line in progress] == [
        f"{i}/7" for i in range(8)]


def test_compare_regression_to_csv(capsys, tmp_path):
    out_file = tmp_path / "board.csv"
    status, out, _ = run(["compare", "diabetes", "--energies", "linear",
                          "--losses", "energy,nll", "--cv", "2", "--output",
                          str(out_file)], capsys)
    assert status == 0 and "R^2" in out and "Ridge" in out
    lines = out_file.read_text().splitlines()
    assert lines[0].startswith("model,loss,energy,score") and len(lines) == 4


def test_compare_diabetes_reports_refused_pairs_instead_of_crashing(capsys):
    # lvq2 is refused by the regressor's quadratic energies at fit; that used
    # to fail the whole run
    status, out, err = run(["compare", "diabetes", "--energies", "linear",
                            "--losses", "lvq2,nll", "--cv", "2"], capsys)
    assert status == 0 and "error" not in err
    rows = table(out)
    refused = rows["lvq2", "linear"]
    assert refused[0] == "-" and refused[4] == "refused"
    assert "ill-posed" in " ".join(refused)
    assert out.index("refused") > out.index(" nll ")  # at the bottom
    assert rows["nll", "linear"][0] in {"1", "2"}


def test_no_arguments_is_compare_digits(monkeypatch):
    calls = []
    monkeypatch.setattr(skebm._cli, "compare", lambda *args: calls.append(args))
    assert main([]) == 0
    assert calls[0][0] == "digits" and calls[0][3] is None  # all losses


def test_python_dash_m_runs_the_command_line():
    result = subprocess.run([sys.executable, "-m", "skebm", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "compare" in result.stdout


# -- compare: CSV files ------------------------------------------------------------


def test_compare_csv_with_a_categorical_column_and_a_missing_value(capsys, tmp_path):
    path = tmp_path / "data.csv"
    _classification_csv(path, np.random.default_rng(0))
    status, out, err = run(["compare", str(path), "--target", "label", "--cv",
                            "2", "--losses", "nll,hinge", "--energies", "linear"],
                           capsys)
    assert status == 0
    assert "column 'x2' has 1 missing value" in err
    assert "classification" in out
    best = [words for words in table(out).values() if words[0] == "1"][0]
    assert float(best[4]) > 0.8


def test_compare_counts_one_feature_in_the_singular(capsys, tmp_path):
    path = tmp_path / "one.csv"
    x = np.random.default_rng(0).normal(size=40)
    path.write_text("x,y\n" + "".join(f"{v},{int(v > 0)}\n" for v in x))
    status, out, _ = run(["compare", str(path), "--target", "y", "--cv", "2",
                          "--losses", "nll", "--energies", "linear"], capsys)
    assert status == 0
    assert "40 samples, 1 feature, classification" in out


def test_read_csv_quoting_na_tokens_and_types(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(
        'size,city,flag,label\n'
        '1.5,"Paris, France",True,a\n'
        'NA,"Lyon, France",False,b\n'
        '?, "Paris, France",True,a\n'
        ',NULL,False,b\n'
        'n/a,Nice,True,a\n'
        '2.5,Nice,False,b\n')
    X, y, numeric, categorical, notes = read_csv(path, "label")
    assert list(X.columns) == ["size", "city", "flag"]
    assert numeric == ["size", "flag"] and categorical == ["city"]
    # quoted commas stay inside the field, also after a space
    assert set(X["city"].dropna()) == {"Paris, France", "Lyon, France", "Nice"}
    # pandas' NA tokens, and "?"
    assert X["size"].isna().sum() == 4 and X["city"].isna().sum() == 1
    assert list(X["flag"]) == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    assert notes == [
        "column 'size' has 4 missing value(s): filled with the median of each "
        "training fold",
        "column 'city' has 1 missing value(s): filled with the most frequent "
        "value of each training fold",
        "text column(s) one-hot encoded: 'city'"]
    assert y.dtype.kind == "U" and set(y) == {"a", "b"}


def test_read_csv_numeric_target(tmp_path):
    path = tmp_path / "data.csv"
    _regression_csv(path)
    X, y, numeric, categorical, notes = read_csv(path, "y")
    assert X.shape == (60, 2) and numeric == ["a", "b"] and not categorical
    assert y.dtype == float and infer_task(y) == "regression" and not notes


@pytest.mark.parametrize("sep, decimal", [(";", "."), (";", ","), ("\t", ".")])
def test_read_csv_separated_by_semicolons_or_tabs(tmp_path, sep, decimal):
    # read as one column named 'a;b;y', the target was "not found"
    path = tmp_path / "data.csv"
    _regression_csv(path)
    expected = np.loadtxt(path, delimiter=",", skiprows=1)
    text = path.read_text().replace(",", sep).replace(".", decimal)
    # a comma in a quoted header name does not make it a comma file
    path.write_text(text.replace("a", '"a, cm"', 1))
    X, y, numeric, categorical, notes = read_csv(path, "y")
    assert numeric == ["a, cm", "b"] and not categorical
    np.testing.assert_allclose(np.c_[X, y], expected)


def test_compare_regression_csv_with_the_default_losses(capsys, tmp_path):
    path = tmp_path / "data.csv"
    # 200 training rows a fold: alpha="auto" holds one split out (fewer rows
    # would cross-validate, 16 fits for each of the 27 pairs)
    _regression_csv(path, n=400)
    status, out, err = run(["compare", str(path), "--target", "y", "--cv", "2"],
                           capsys)
    assert status == 0, err
    rows = table(out)
    n_pairs = len(LOSSES) * len(REGRESSOR_ENERGIES)
    # every pair; those the estimator refuses say so, the collapsing one too
    assert len(rows) == 1 + n_pairs
    assert rows["lvq2", "linear"][4] == "refused"
    assert rows["energy", "joint"][4] == "refused"
    assert "collapses" in " ".join(rows["energy", "joint"])
    assert rows["nll", "linear"][0].isdigit()
    assert float(rows["nll", "linear"][4]) > 0.5
    assert "Warning" not in err


def test_infer_task():
    assert infer_task(np.array(["a", "b"])) == "classification"
    assert infer_task(np.repeat([0.0, 1.0, 2.0], 20)) == "classification"
    assert infer_task(np.linspace(0, 1, 100)) == "regression"


# -- failures and warnings -------------------------------------------------------


class _Broken(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        raise FloatingPointError("overflow in the solver. Details follow.")


def test_a_configuration_failing_in_every_fold_is_a_row(capsys, tmp_path,
                                                        monkeypatch):
    real = _compare.candidates

    def with_a_broken_one(task, losses, energies):
        yield from real(task, losses, energies)
        yield "Broken", "nll", "linear", _Broken()

    monkeypatch.setattr(_compare, "candidates", with_a_broken_one)
    path = tmp_path / "data.csv"
    _regression_csv(path)
    out_file = tmp_path / "board.json"
    status, out, _ = run(["compare", str(path), "--target", "y", "--cv", "2",
                          "--energies", "linear", "--losses", "nll",
                          "--output", str(out_file)], capsys)
    assert status == 0
    line = [line for line in out.splitlines() if "Broken" in line][0]
    assert line.split()[:5] == ["-", "Broken", "nll", "linear", "failed"]
    assert line.endswith("FloatingPointError: overflow in the solver.")
    broken = json.loads(out_file.read_text())[-1]
    assert broken["status"] == "failed" and broken["score"] is None


@pytest.mark.parametrize("failures, expected", [
    ([], ("ok", "")),
    ([("fit", "ValueError", "Bad pair.")] * 2, ("refused", "Bad pair.")),
    ([("fit", "ValueError", "Diverged at 3."),
      ("fit", "ValueError", "Diverged at 5.")], ("failed", "Diverged at 3.")),
    ([("score", "ValueError", "NaN.")] * 2, ("failed", "NaN.")),
    ([("fit", "ValueError", "Diverged.")], ("ok", "1/2 folds failed: Diverged.")),
])
def test_outcome(failures, expected):
    assert outcome(dict(failures=failures), 2) == expected


def test_warnings_are_counted_not_leaked_even_from_workers(capfd, tmp_path):
    # the perceptron's averaged Adam steps reach max_iter on one of the two
    # folds of these 40 rows with the linear energy; two jobs: the fits run
    # in joblib's worker processes
    path = tmp_path / "data.csv"
    _regression_csv(path, n=40)
    status = main(["compare", str(path), "--target", "y", "--cv", "2",
                   "--losses", "perceptron,nll", "--energies", "linear,mlp",
                   "--jobs", "2"])
    out, err = capfd.readouterr()
    assert status == 0
    assert "Warning" not in err and "warn" not in err
    rows = table(out)
    assert rows["perceptron", "linear"][8] == "1"  # in the warn column
    for energy in ("linear", "mlp"):
        assert len(rows["nll", energy]) == 8  # no warning, no count
    counts = [int(rows["perceptron", energy][8]) if len(rows["perceptron", energy]) > 8
              else 0 for energy in ("linear", "mlp")]
    assert f"({sum(counts)} ConvergenceWarning)" in out.split("warn:")[1]


# -- progress ----------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_redraws_in_place_on_a_terminal():
    terminal = _Terminal()
    with _progress.progress_bar(3, terminal) as bar:
        for _ in range(3):
            bar.update()
    assert "\r" in terminal.getvalue() and "3/3" in terminal.getvalue()


def test_progress_in_a_log_file_is_a_few_lines():
    log = io.StringIO()
    with _progress.progress_bar(50, log) as bar:
        for _ in range(50):
            bar.update()
    lines = log.getvalue().splitlines()
    # the start and the end; nothing in between within LOG_INTERVAL seconds
    assert len(lines) == 2 and "0/50" in lines[0] and "50/50" in lines[1]
    assert "\r" not in log.getvalue()


# -- errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        (["compare", "missing.csv", "--target", "y"], "no such file"),
        (["compare", "nosuchset"], "unknown data set"),
        (["compare", "iris", "--losses", "squared"], "unknown loss"),
        (["compare", "iris", "--energies", "joint"], "not one of"),
        (["compare", "diabetes", "--energies", "distance"], "not one of"),
        (["compare", "iris", "--cv", "1"], "--cv"),
        # named joblib's n_jobs
        (["compare", "iris", "--jobs", "0"], "--jobs must be a count"),
        # a mistyped command reads as a data set: the error says both
        (["evaluate"], "the commands are compare and sample"),
        (["compare", "iris", "--output", "board.txt"], ".csv or .json"),
        # refused before the run, which wrote the file last and then crashed
        (["compare", "iris", "--output", "no/such/dir/board.csv"], "no directory"),
        (["sample", "--step-size", "big"], "--step-size"),
        # named MHSampler's parameters (n_chains, n_steps, step_size) instead
        (["sample", "--chains", "0"], "--chains must be a whole number"),
        (["sample", "--steps", "0"], "--steps must be a whole number"),
        (["sample", "--step-size", "0"], "--step-size must be a positive"),
        (["sample", "--burn-in", "-1"], "--burn-in must be a whole count"),
        (["sample", "--steps", "100", "--burn-in", "0.99999"],
         "--burn-in 0.99999 drops all --steps 100"),
        # were ignored, or ran every loss
        (["compare", "diabetes", "--target", "y"], "--target is for a CSV"),
        (["compare", "iris", "--losses", ","], "no names in ','"),
    ],
)
def test_errors_are_one_line(capsys, argv, message):
    status, out, err = run(argv, capsys)
    assert status == 2
    assert message in err and "Traceback" not in err
    assert err.strip().count("\n") == 0


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("a,y\n", "no data rows"),
    ("a,y\n1,5\n2,5\n3,5\n", "single value"),
    ("a,y\n1,2\n3,4,5\n", "not a readable CSV"),
    ("a,y\n1,\n2,3\n", "target 'y' has 1 missing value"),
    ("y\n1\n2\n", "no feature columns"),
    ("a,y\n1,inf\n2,3\n3,4\n", "infinite values"),
    # the imputer dropped such columns, and every row of the table failed
    ("a,b,y\n,,1\n,?,2\n,,3\n", "no feature column of"),
    ("a,y\ninf,1\n-inf,2\n,3\n", "no feature column of"),  # infinities are missing
])
def test_csv_errors(capsys, tmp_path, text, message):
    path = tmp_path / "data.csv"
    path.write_text(text)
    status, _, err = run(["compare", str(path), "--target", "y"], capsys)
    assert status == 2 and message in err, err
    assert err.strip().count("\n") == 0


def test_infinite_features_are_missing_values(capsys, tmp_path):
    # every fold's fit failed on them, and every row of the table with it
    path = tmp_path / "data.csv"
    _regression_csv(path)
    lines = path.read_text().splitlines()
    lines[3] = "inf," + lines[3].split(",", 1)[1]
    path.write_text("\n".join(lines) + "\n")
    status, out, err = run(["compare", str(path), "--target", "y", "--losses",
                            "nll", "--energies", "linear", "--cv", "2"], capsys)
    assert status == 0 and "column 'a' has 1 missing value(s) (1 infinite)" in err
    assert "failed" not in out


def test_an_empty_feature_column_is_left_out(capsys, tmp_path):
    path = tmp_path / "data.csv"
    _regression_csv(path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(f"{line},{'e' if i == 0 else ''}"
                              for i, line in enumerate(lines)) + "\n")
    status, out, err = run(["compare", str(path), "--target", "y", "--losses",
                            "nll", "--energies", "linear", "--cv", "2"], capsys)
    assert status == 0 and "column 'e' has no values: left out" in err
    assert "failed" not in out and "refused" not in out


def test_classification_of_a_continuous_target_is_refused(capsys, tmp_path):
    path = tmp_path / "data.csv"
    _regression_csv(path)
    status, _, err = run(["compare", str(path), "--target", "y", "--task",
                          "classification"], capsys)
    assert status == 2 and "not whole" in err


def test_a_count_read_as_classes_says_how_to_read_it_as_a_number(capsys, tmp_path):
    # a count with few values is inferred to be classes: the regression
    # energies were refused without a word of --task
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=200)})
    frame["y"] = rng.poisson(np.exp(frame["a"]))
    path = tmp_path / "counts.csv"
    frame.to_csv(path, index=False)
    status, _, err = run(["compare", str(path), "--target", "y", "--energies",
                          "joint"], capsys)
    assert status == 2 and "--task regression sets it" in err
    status, _, err = run(["compare", str(path), "--target", "y", "--energies",
                          "linear", "--losses", "nll"], capsys)
    assert status == 0 and "read as classes; --task regression" in err
    # a built-in set's task is its own, not a guess; text labels cannot be
    # numbers; a 0/1 label is no count
    status, _, err = run(["compare", "iris", "--energies", "joint"], capsys)
    assert status == 2 and "--task" not in err
    frame["y"] = np.where(frame["y"] > 1, "yes", "no")
    frame.to_csv(path, index=False)
    status, _, err = run(["compare", str(path), "--target", "y", "--energies",
                          "joint"], capsys)
    assert status == 2 and "--task" not in err
    frame["y"] = (frame["y"] == "yes").astype(int)
    frame.to_csv(path, index=False)
    status, _, err = run(["compare", str(path), "--target", "y", "--energies",
                          "linear", "--losses", "nll"], capsys)
    assert status == 0 and "read as classes" not in err


def test_csv_missing_target_column_lists_the_columns(capsys, tmp_path):
    path = tmp_path / "data.csv"
    _classification_csv(path, np.random.default_rng(0))
    status, _, err = run(["compare", str(path), "--target", "nope"], capsys)
    assert status == 2 and "no column 'nope'" in err and "x1" in err


# -- the registries ----------------------------------------------------------------


def test_names_come_from_the_registries(monkeypatch, capsys):
    monkeypatch.setitem(CLASSIFIER_ENERGIES, "mine", CLASSIFIER_ENERGIES["linear"])
    names = [c[2] for c in _compare.candidates("classification", ["hinge"], None)]
    assert names == ["-", *CLASSIFIER_ENERGIES]
    assert len(list(_compare.candidates("regression", None, ["linear"]))) == (
        1 + len(LOSSES))
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    assert "mine" in capsys.readouterr().out


# -- sample ------------------------------------------------------------------------


def test_sample_prints_the_estimate(capsys):
    status, out, _ = run(["sample", "--steps", "4000", "--chains", "4",
                          "--step-size", "auto", "--burn-in", "0.5"], capsys)
    assert status == 0
    estimate = float(out.split("estimate of sigma:")[1].split()[0])
    assert abs(estimate - 3.0) < 0.2
    assert "R-hat (rank, folded)" in out and "effective samples" in out


def test_sample_burn_in_is_a_count_or_a_fraction(capsys):
    # "20" was read as the float 20.0, which MHSampler refuses as a fraction
    status, out, _ = run(["sample", "--steps", "200", "--burn-in", "20"], capsys)
    assert status == 0 and "burn-in 20," in out
    status, _, err = run(["sample", "--steps", "200", "--burn-in", "1.5"], capsys)
    assert status == 2 and "--burn-in must be" in err


def test_an_unwritable_output_is_a_one_line_error_after_the_table(capsys, tmp_path):
    path = tmp_path / "data.csv"
    _regression_csv(path)
    (tmp_path / "board.csv").mkdir()  # a directory where the file should go
    status, out, err = run(["compare", str(path), "--target", "y", "--losses", "nll",
                            "--energies", "linear", "--cv", "2", "--output",
                            str(tmp_path / "board.csv")], capsys)
    assert status == 2 and "cannot write" in err and "Traceback" not in err
    assert "nll" in out


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "compare" in out and "sample" in out


def test_row_numbers_identifiers_dates_and_huge_numbers(tmp_path):
    # a new user's row numbers were a feature, a date column one one-hot
    # column per day, and a column of 1e300 failed every fold as "X contains
    # NaN" (StandardScaler's variance overflowed)
    rng = np.random.default_rng(0)
    n = 30
    frame = pd.DataFrame({
        "rownames": np.arange(1, n + 1),
        "x": np.arange(1, n + 1),  # a feature that happens to count the rows
        "year": np.arange(1990, 1990 + n),
        "code": [f"id-{k:03d}" for k in rng.permutation(n)],
        "day": pd.date_range("2020-01-01", periods=n, freq="3D").strftime("%Y-%m-%d"),
        # a zone, and a change of offset: read in UTC (they crashed the reader)
        "stamp": [f"2021-03-{k % 28 + 1:02d}T10:00:00{'Z' if k % 2 else '+01:00'}"
                  for k in range(n)],
        # categories with digits in them stay categories
        "class": rng.choice(["1st", "2nd", "3rd"], n),
        "share": rng.choice(["1/2", "1/4", "3/4"], n),
        "time": rng.choice(["08:30", "09:15"], n),
        "month": rng.choice(["May", "June"], n),
        "huge": 1e300 * rng.random(n),
        "y": rng.normal(size=n),
    })
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    X, y, numeric, categorical, notes = read_csv(path, "y")
    assert numeric == ["x", "year", "day", "stamp", "huge"]
    assert categorical == ["class", "share", "time", "month"]
    np.testing.assert_array_equal(np.diff(X["day"]), 3.0)
    assert X["day"].iloc[0] == (pd.Timestamp("2020-01-01")
                                - pd.Timestamp("1970-01-01")).days
    # 10:00 at +01:00 is 09:00 UTC
    assert X["stamp"].iloc[0] % 1 == pytest.approx(9 / 24)
    assert X["stamp"].iloc[1] % 1 == pytest.approx(10 / 24)
    assert np.isfinite(StandardScaler().fit_transform(X[["huge"]])).all()
    assert notes == [
        "column 'rownames' numbers the rows: left out",
        "column 'code' has a different value in every row (an identifier): "
        "left out",
        "column 'day' read as dates: days since 1970-01-01",
        "column 'stamp' read as dates: days since 1970-01-01",
        f"column 'huge' reaches {frame['huge'].max():.3g}: read in units of 1e+299",
        "text column(s) one-hot encoded: 'class', 'share', 'time', 'month'"]
    # an index pandas wrote out (a blank header) is left out too, not a
    # feature that is the file's only one
    frame[["x", "y"]].to_csv(path)
    X, y, numeric, categorical, notes = read_csv(path, "y")
    assert list(X.columns) == ["x"]
    assert notes == ["column 'Unnamed: 0' numbers the rows: left out"]


def test_blanks_are_missing_and_identifiers_may_have_them(tmp_path):
    # a new user's file (R writes a blank as " ") had an identifier with two
    # blanks: it was one-hot encoded, a column per row, and a number column
    # with a blank was a category of its own per value
    rng = np.random.default_rng(0)
    n = 40
    ids = [f"B{k:04d}" for k in rng.permutation(1000)[:n]]
    ids[3] = ids[17] = " "
    weight = [f"{v:.1f}" for v in rng.normal(50, 5, n)]
    weight[5] = " "
    # mostly blank, distinct where written: a note, not an identifier
    remark = [f"r{k}" if k < 12 else " " for k in range(n)]
    frame = pd.DataFrame({"band": ids, "weight": weight,
                          "species": rng.choice(["CH", "RT", "SS"], n),
                          "remark": remark, "y": rng.normal(size=n)})
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False, quoting=1)  # every field quoted, as R does
    X, y, numeric, categorical, notes = read_csv(path, "y")
    assert list(X.columns) == ["weight", "species", "remark"]
    assert numeric == ["weight"] and categorical == ["species", "remark"]
    assert X["weight"].isna().sum() == 1
    assert notes == [
        "column 'band' has a different value in every row that has one "
        "(an identifier): left out",
        "column 'weight' has 1 missing value(s): filled with the median of each "
        "training fold",
        "column 'remark' has 28 missing value(s): filled with the most frequent "
        "value of each training fold",
        "text column(s) one-hot encoded: 'species', 'remark'"]


def test_numbers_written_as_text_are_numbers(tmp_path):
    # the review's incomes "12,345" (quoted in a comma-separated file) were
    # left out as identifiers, shares "12.5%" one-hot encoded a level per
    # value, and true/false beside a blank read as text
    path = tmp_path / "data.csv"
    path.write_text('income,share,member,code,y\n'
                    '"12,345",12.5%,True,"1,5",1\n'
                    '"1,234,567",3%,False,"2,5",2\n'
                    '999, 40 %, ,"1,5",3\n'
                    '"45,000.50",.5%,TRUE,"2,5",4\n')
    X, y, numeric, categorical, notes = read_csv(path, "y")
    assert numeric == ["income", "share", "member"] and categorical == ["code"]
    np.testing.assert_array_equal(X["income"], [12345, 1234567, 999, 45000.5])
    np.testing.assert_array_equal(X["share"], [12.5, 3, 40, 0.5])
    np.testing.assert_array_equal(X["member"], [1, 0, np.nan, 1])


def test_zero_padded_codes_are_text(tmp_path):
    # a new user's parcel numbers "0526301100" (ames' PID) were read as a
    # quantity; zero-padded digits of one length are codes
    rng = np.random.default_rng(0)
    n = 30
    frame = pd.DataFrame({
        "pid": [f"{k:010d}" for k in rng.permutation(10**6)[:n]],
        "zip": rng.choice(["02134", "02139", "10001"], n),
        "rooms": rng.integers(1, 8, n),  # no zeros in front: a number
        "y": rng.normal(size=n)})
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    X, y, numeric, categorical, notes = read_csv(path, "y")
    assert numeric == ["rooms"] and categorical == ["zip"]
    assert set(X["zip"]) == {"02134", "02139", "10001"}
    assert notes[0] == ("column 'pid' has a different value in every row "
                        "(an identifier): left out")
