"""The README's quickstart and the demo run as written."""

import re
from pathlib import Path

import pytest

from skebm.__main__ import compare, main

README = Path(__file__).resolve().parents[1] / "README.md"


def test_quickstart_runs():
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["search"].best_score_ > 0.9


def test_demo_table_lists_every_loss(capsys):
    rows = compare(cv=2)
    names = [row[0] for row in rows]
    assert len(rows) == 10 and "LogisticRegression" in names
    assert all(0.8 < acc <= 1.0 for _, acc, _, _ in rows)
    out = capsys.readouterr().out
    assert "loss='lvq2'" in out and "accuracy" in out


def test_demo_rejects_bad_arguments(capsys):
    with pytest.raises(SystemExit):
        main(["--cv", "1"])
    assert "--cv" in capsys.readouterr().err
