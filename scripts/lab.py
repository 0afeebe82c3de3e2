"""`make lab`: JupyterLab, started without building rfc3987_syntax's grammar.

jupyter_server validates its events with jsonschema, which imports rfc3987_syntax (when it is
installed, as jupyter-events' extra installs it) only to check the "iri" string format; no schema
the server, JupyterLab or nbformat uses has it, and building the grammar costs about a second of
every start. Everything else is `jupyter lab` itself, with the same arguments.
"""
import sys

sys.modules.setdefault("rfc3987_syntax", None)   # the import then fails fast; "iri" goes unchecked


def main():
    from jupyterlab.labapp import main as lab
    return lab()


if __name__ == "__main__":
    sys.exit(main())
