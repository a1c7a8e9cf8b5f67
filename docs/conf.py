"""Sphinx configuration: numpydoc API pages and a user guide whose
loss/energy table is generated from the code at build time."""

from pathlib import Path

import skebm
from skebm import compatibility_table

project = "skebm"
author = "the skebm developers"
release = skebm.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "numpydoc"]
autosummary_generate = True
numpydoc_show_class_members = False
exclude_patterns = ["_build"]
html_theme = "alabaster"


def _write_compatibility_table():
    lines = [".. list-table::", "   :header-rows: 1", "",
             "   * - loss", "     - energy", "     - what the loss is trained on"]
    for loss, energy, outcome in compatibility_table():
        lines += [f"   * - ``{loss}``", f"     - {energy}", f"     - {outcome}"]
    out = Path(__file__).parent / "_generated"
    out.mkdir(exist_ok=True)
    (out / "compatibility.rst").write_text("\n".join(lines) + "\n")


_write_compatibility_table()

# scikit-learn's inherited docstrings (score, get_params, ...) cite labels of
# scikit-learn's own documentation, which do not exist here
suppress_warnings = ["ref.ref"]
