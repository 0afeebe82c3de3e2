"""Sphinx configuration of the course website (`make site`): the repository is the source folder,
and only the home page, the lectures (executed) and the assignments' student versions are read.

Built offline: MathJax is served from the site itself (sphinx-mathjax-offline), and widgets, which
need a kernel, are replaced by a note; the static figures beside them are ordinary outputs.
"""
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
nb_execution_cache_path = ".site-cache"
nb_execution_excludepatterns = ["release/*/*.ipynb"]   # matched from the right
nb_execution_raise_on_error = True
nb_execution_timeout = 600
nb_execution_show_tb = True
nb_ipywidgets_js = {}          # no widget scripts from a CDN
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_title = project
html_theme_options = {
    "announcement": "The interactive widgets need a running kernel: <code>make lab</code> opens these "
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
