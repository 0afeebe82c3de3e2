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
