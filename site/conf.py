"""Sphinx configuration of the course website (`make site`): the repository is the source folder,
and only the home page, the lectures (executed) and the assignments' student versions are read.

Built offline: MathJax is served from the site itself (sphinx-mathjax-offline), and widgets, which
need a kernel, are replaced by a note; the static figures beside them are ordinary outputs.
"""
import hashlib
from pathlib import Path

from docutils import nodes
from myst_nb.core.render import NbElementRenderer

project = "Multivariate Calculus for Machine Learning"
copyright = "2026, the course's contributors (text CC BY 4.0, code BSD-3-Clause)"
author = "the course's contributors"

extensions = ["myst_nb", "sphinx-mathjax-offline"]
# Only these are pages: never source/ (solutions and hidden tests), tests/ or the instructor's files.
include_patterns = ["site/*.md", "course/week*/*.ipynb", "release/*/*.ipynb"]
exclude_patterns = ["_site", ".venv", "**/.ipynb_checkpoints"]
root_doc = "site/index"

# Lectures run when built (and again only when they change: jupyter-cache); a cell that raises
# fails the build. Assignments are shown as students receive them, not run.
nb_execution_mode = "cache"
# jupyter-cache keys a notebook on its cells only; the figures also come from course/calckit, so the
# cache is kept per version of calckit's code (a change there runs the lectures again).
_calckit = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(
    (Path(__file__).resolve().parent.parent / "course" / "calckit").glob("*.py")))).hexdigest()[:12]
nb_execution_cache_path = f".site-cache/calckit-{_calckit}"
nb_execution_excludepatterns = ["release/*/*.ipynb"]   # matched from the right
nb_execution_raise_on_error = True
nb_execution_timeout = 600
nb_execution_show_tb = True
nb_ipywidgets_js = {}          # no widget scripts from a CDN
# A lecture figure comes as PNG (its alt text in the output's metadata) and as HTML (an <img> with a
# data: URI and the alt, for JupyterLab): the site takes the PNG, written as a file in _images/.
nb_mime_priority_overrides = [("html", "image/png", 25), ("dirhtml", "image/png", 25)]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_title = project
html_theme_options = {
    # Plain text: a <code> there was unreadable on the bar's grey (axe color-contrast, 1.2:1).
    "announcement": "The interactive widgets need a running kernel: <strong>make lab</strong> opens these "
                    "notebooks in JupyterLab. Every figure is also shown here as a picture.",
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
}
html_last_updated_fmt = None
# The site's own front door (the home page is site/index.html): a plain link, for any web server.
html_extra_path = ["root"]


def _widget_note(self, data):
    """A widget's place on the page: what it is and how to run it (it needs a kernel)."""
    note = nodes.paragraph(classes=["course-widget-note"])
    note += nodes.emphasis(text="Interactive widget: run this notebook in JupyterLab (make lab) to use it; "
                                "the figures on this page show what it draws.")
    return [note]


def _no_widget_state(self, metadata):
    """No embedded widget state: nothing on the site would read it."""


NbElementRenderer.render_widget_view = _widget_note
NbElementRenderer.render_nb_finalise = _no_widget_state


_render_image = NbElementRenderer.render_image


def _image_with_alt(self, data):
    """myst-nb's image, with the alt text calckit.describe put in the output's metadata."""
    rendered = _render_image(self, data)
    alt = data.output_metadata.get(data.mime_type, {}).get("alt")
    if alt:
        for node in rendered:
            node["alt"] = alt
    return rendered


NbElementRenderer.render_image = _image_with_alt
