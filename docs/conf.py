"""Sphinx configuration: numpydoc API pages, a user guide whose
loss/energy table is generated from the code at build time, and a
sphinx-gallery of the examples, executed at build time."""

from pathlib import Path

# sphinx-gallery draws with Agg; choose it before anything imports pyplot
import matplotlib

matplotlib.use("Agg")

import skebm  # noqa: E402
from skebm import compatibility_table  # noqa: E402

project = "skebm"
author = "the skebm developers"
release = skebm.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "numpydoc",
              "sphinx_gallery.gen_gallery"]
autosummary_generate = True
numpydoc_show_class_members = False
exclude_patterns = ["_build"]
html_theme = "alabaster"

# Every examples/plot_*.py is executed (as __main__, without command-line
# arguments) and the figures it leaves open become the images of its page. A
# failing example fails the build.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "image_scrapers": ("matplotlib",),
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}


def _write_compatibility_table(estimator, filename):
    lines = [".. list-table::", "   :header-rows: 1", "",
             "   * - loss", "     - energy", "     - what the loss is trained on"]
    for loss, energy, outcome in compatibility_table(estimator):
        lines += [f"   * - ``{loss}``", f"     - {energy}", f"     - {outcome}"]
    out = Path(__file__).parent / "_generated"
    out.mkdir(exist_ok=True)
    (out / filename).write_text("\n".join(lines) + "\n")


_write_compatibility_table("classifier", "compatibility.rst")
_write_compatibility_table("regressor", "compatibility_regressor.rst")

# scikit-learn's inherited docstrings (score, get_params, ...) cite labels of
# scikit-learn's own documentation, which do not exist here
suppress_warnings = ["ref.ref"]
