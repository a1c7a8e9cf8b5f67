"""The documentation builds without a warning, and its generated table is
the code's."""

from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_docs_build_without_warnings(tmp_path):
    sphinx = pytest.importorskip("sphinx.cmd.build")
    status = sphinx.build_main(["-W", "--keep-going", "-q", "-b", "html",
                                "-d", str(tmp_path / "doctrees"), str(DOCS),
                                str(tmp_path / "html")])
    assert status == 0
    page = (tmp_path / "html" / "user_guide.html").read_text()
    assert "refused" in page and "softplus" in page
    assert (tmp_path / "html" / "generated" / "skebm.EnergyClassifier.html").exists()
