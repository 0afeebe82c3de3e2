"""`make lab`: JupyterLab, started without building rfc3987_syntax's grammar, and with the course's
widget accessibility extension.

jupyter_server validates its events with jsonschema, which imports rfc3987_syntax (when it is
installed, as jupyter-events' extra installs it) only to check the "iri" string format; no schema
the server, JupyterLab or nbformat uses has it, and building the grammar costs about a second of
every start.

scripts/labextensions/ holds mvcalc-widget-a11y, a small hand-written JupyterLab extension (no build
step) that gives ipywidgets' sliders, Play buttons and toggles the names, values and states a screen
reader announces, and their focused controls a visible outline (see its remoteEntry.js). It is
served from the repository as an extra labextensions path, so nothing is installed anywhere.
Everything else is `jupyter lab` itself, with the same arguments.
"""
import sys
from pathlib import Path

sys.modules.setdefault("rfc3987_syntax", None)   # the import then fails fast; "iri" goes unchecked

EXTENSIONS = Path(__file__).resolve().parent / "labextensions"


def main():
    from jupyterlab.labapp import main as lab
    sys.argv[1:1] = [f"--LabApp.extra_labextensions_path={EXTENSIONS}"]
    return lab()


if __name__ == "__main__":
    sys.exit(main())
