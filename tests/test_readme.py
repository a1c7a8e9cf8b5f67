"""The README's quickstart and the demo run as written."""

import re
from pathlib import Path

from skebm._cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def test_quickstart_runs():
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["search"].best_score_ > 0.9


def test_readme_commands_name_the_demo_and_the_tests():
    text = README.read_text()
    assert "python -m skebm" in text
    assert 'pip install ".[test]" && python -m pytest' in text


def test_demo_default_is_digits_linear(capsys):
    # the README's demo is `python -m skebm`: compare on digits; the linear
    # energy keeps this test quick
    assert main(["--energies", "linear", "--cv", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("digits: 1797 samples")
    assert out.count("EnergyClassifier") == 9 and "LogisticRegression" in out
