"""The documentation builds without a warning, its generated table is the
code's, and the example gallery runs every example and shows its figures."""

import doctest
import html as html_text
import re
import shlex
import shutil
from pathlib import Path

import pytest

from skebm._cli import main
from skebm.losses import LOSSES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("plot_*.py"))


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    """Build the docs once, from a copy of docs/ and examples/, so that the
    build leaves the source tree alone and sphinx-gallery, which skips
    examples whose outputs are up to date, executes every example."""
    sphinx = pytest.importorskip("sphinx.cmd.build")
    pytest.importorskip("sphinx_gallery")
    pytest.importorskip("matplotlib")
    tmp = tmp_path_factory.mktemp("docs")
    generated = shutil.ignore_patterns("_build", "generated", "_generated",
                                       "auto_examples", "sg_execution_times.rst")
    shutil.copytree(ROOT / "docs", tmp / "docs", ignore=generated)
    shutil.copytree(ROOT / "examples", tmp / "examples")
    status = sphinx.build_main(["-W", "--keep-going", "-q", "-b", "html",
                                "-d", str(tmp / "doctrees"), str(tmp / "docs"),
                                str(tmp / "html")])
    assert status == 0
    return tmp / "html"


def test_docs_build_without_warnings(html):
    page = (html / "user_guide.html").read_text()
    assert "refused" in page and "softplus" in page
    assert (html / "generated" / "skebm.EnergyClassifier.html").exists()


@pytest.mark.parametrize("name", EXAMPLES)
def test_gallery_runs_example_and_shows_its_figure(html, name):
    page = html / "auto_examples" / f"{name}.html"
    assert page.exists()
    images = re.findall(rf'<img[^>]+src="(\.\./_images/sphx_glr_{name}_\d+\.png)"',
                        page.read_text())
    assert images, f"no figure on the gallery page of {name}"
    for src in images:
        assert (html / "auto_examples" / src).resolve().stat().st_size > 0


def _printed(html, name):
    """What the gallery's run of example ``name`` printed."""
    page = (html / "auto_examples" / f"{name}.html").read_text()
    out = re.search(r'sphx-glr-script-out.*?<pre><span></span>(.*?)</pre>', page, re.S)
    assert out, f"no printed output on the gallery page of {name}"
    return html_text.unescape(out.group(1)).splitlines()


def test_gallery_grid_search_ranks_the_nine_losses(html):
    # the gallery's run is the test's (running it again took 20 s): the
    # table of the nine losses' 5-fold CV accuracy on wine, best first
    rows = [line.split() for line in _printed(html, "plot_grid_search_losses")[1:]]
    assert sorted(row[0] for row in rows) == sorted(LOSSES)
    means = [float(row[1]) for row in rows]
    assert means == sorted(means, reverse=True) and means[0] > 0.9


def test_gallery_digit_completion_mean_beats_ridge(html):
    mse = dict(line.split(" test MSE: ") for line in
               (line.strip() for line in _printed(html, "plot_digit_completion")))
    assert set(mse) == {"energy mean", "KNeighbors", "ExtraTrees", "Ridge"}
    assert float(mse["energy mean"]) < float(mse["Ridge"])


def test_gallery_is_linked_from_the_index(html):
    assert "auto_examples/index.html" in (html / "index.html").read_text()


def test_getting_started_is_first_in_the_index(html):
    index = (html / "index.html").read_text()
    assert 0 < index.find("getting_started.html") < index.find("user_guide.html")


def test_getting_started_runs_as_written(tmp_path, monkeypatch, capsys):
    # its doctest blocks, in a scratch directory (they write iris.csv), then
    # every `python -m skebm ...` command it shows
    monkeypatch.chdir(tmp_path)
    page = ROOT / "docs" / "getting_started.rst"
    result = doctest.testfile(str(page), module_relative=False,
                              optionflags=doctest.ELLIPSIS
                              | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 20
    assert result.failed == 0, capsys.readouterr().out
    commands = re.findall(r"^ *\$ python -m skebm (.+)$", page.read_text(), re.M)
    assert len(commands) == 2
    for command in commands:
        assert main(shlex.split(command)) == 0
    assert "EnergyClassifier" in capsys.readouterr().out
    assert (tmp_path / "board.csv").exists()


def test_user_guide_examples_run(capsys):
    page = ROOT / "docs" / "user_guide.rst"
    result = doctest.testfile(str(page), module_relative=False,
                              optionflags=doctest.ELLIPSIS
                              | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 10
    assert result.failed == 0, capsys.readouterr().out
