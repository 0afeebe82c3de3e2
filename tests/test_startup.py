"""The grader's processes start without building rfc3987_syntax's grammar (about 0.8 s each, for
a string format no schema of ours uses), and nbformat still validates notebooks."""
import subprocess
import sys

from conftest import REPO

PROBE = """
import sys, time
start = time.perf_counter()
import autograder, nbformat
from nbformat.v4 import new_code_cell, new_notebook
nbformat.validate(new_notebook(cells=[new_code_cell("x = 1")]))
try:
    nbformat.validate({"nbformat": 4})
    raise SystemExit("an invalid notebook passed validation")
except nbformat.ValidationError:
    pass
assert sys.modules["rfc3987_syntax"] is None, "rfc3987_syntax was imported"
print(f"{time.perf_counter() - start:.2f}")
"""


def test_the_grader_starts_without_rfc3987_and_still_validates_notebooks():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    print(f"import autograder and nbformat, validate: {done.stdout.strip()} s")


def test_the_pool_preloads_what_the_assignment_imports():
    """The forkserver imports, once, what the solution and hidden tests import: modules named in
    code cells that exist here; not relative imports, missing modules, Markdown or magics."""
    from autograder.compile import CompiledAssignment
    from autograder.dispatch import imported_modules

    cells = [{"cell_type": "code", "source": "import numpy as np\nfrom scipy import optimize\n"},
             {"cell_type": "code", "source": ["from . import helper\n", "import no_such_module_here\n"]},
             {"cell_type": "code", "source": "%timeit import json"},
             {"cell_type": "markdown", "source": "import os"},
             {"cell_type": "code", "source": "def f():\n    import numpy.linalg\n    from scipy.stats import norm\n"}]
    compiled = CompiledAssignment("toy", "toy.ipynb", cells)
    assert imported_modules(compiled) == ["numpy", "numpy.linalg", "scipy", "scipy.stats"]


LAB_PROBE = """
import runpy, sys
runpy.run_path(sys.argv[1])               # scripts/lab.py, as `make lab` starts it, without serving
from jupyterlab.labapp import LabApp       # the server, its extensions and jupyter_events load
from jupyter_events import EventLogger
import io, logging
logger = EventLogger(handlers=[logging.StreamHandler(io.StringIO())])   # emit validates only when heard
logger.register_event_schema({"$id": "https://example.org/probe", "version": "1", "type": "object",
                              "properties": {"n": {"type": "integer"}}})
logger.emit(schema_id="https://example.org/probe", data={"n": 1})
try:
    logger.emit(schema_id="https://example.org/probe", data={"n": "one"})
    raise SystemExit("an invalid event passed validation")
except Exception as error:
    assert "is not of type" in str(error), error
assert sys.modules["rfc3987_syntax"] is None, "rfc3987_syntax was imported"
"""


def test_make_lab_starts_without_rfc3987_and_still_validates_events():
    """`make lab` starts JupyterLab through scripts/lab.py, and with what that script leaves out,
    JupyterLab's server and its event schemas still load and validate (the browser tests then
    serve the course through it)."""
    recipe = (REPO / "Makefile").read_text().split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/lab.py" in recipe
    done = subprocess.run([sys.executable, "-c", LAB_PROBE, str(REPO / "scripts" / "lab.py")], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
