"""A classic nbgrader test cell (plain asserts, no hidden block) counts as nbgrader counts it: all
its points when it runs without an error, none when it raises or never runs (issue 25)."""
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.compile import classic_tests, compile_assignment
from autograder.job import CLASSIC, GradingJob, grade_submission
from autograder.limits import Limits
from conftest import REPO, nbgrader_meta
from submissions import ASSIGNMENT, blank, solution, submit, with_answer

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not shutil.which("bwrap"), reason="the sandbox needs the Debian package bubblewrap")]
CLASSIC_TEST = "test_forward_difference"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A copy of the course whose forward_difference test keeps only its visible asserts."""
    root = tmp_path_factory.mktemp("classic")
    for name in ("nbgrader_config.py",):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "source" / ASSIGNMENT, root / "source" / ASSIGNMENT)
    path = root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == CLASSIC_TEST)
    cell.source = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", cell.source, flags=re.S)
    assert "hidden" not in cell.source and "assert" in cell.source
    nbformat.write(nb, path)
    return root


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    base = tmp_path_factory.mktemp("classic-graded")
    compiled = compile_assignment(course / "source" / ASSIGNMENT, ASSIGNMENT)
    seeds = dict.fromkeys(compiled.tests, 3)
    cases = {"right": solution(),
             "wrong": with_answer("forward_difference", "(f(x + h) - f(x)) / h", "(f(x + h) - f(x - h)) / h"),
             "blank": blank()}
    results = {}
    for student, nb in cases.items():
        folder = submit(base / "subs", student, nb)
        results[student] = grade_submission(GradingJob(student, folder, compiled, seeds, Limits(cell_seconds=20),
                                                       scratch_root=str(base)))
    return compiled, results


def test_the_assignment_knows_its_classic_cell(graded):
    compiled, _ = graded
    assert classic_tests(compiled) == [CLASSIC_TEST]


def test_a_classic_cell_is_all_or_nothing(graded):
    compiled, results = graded
    points = compiled.tests[CLASSIC_TEST].points
    right, wrong, empty = (results[s].tests[CLASSIC_TEST] for s in ("right", "wrong", "blank"))
    assert (right.points, wrong.points, empty.points) == (points, 0.0, 0.0) and points > 0
    assert right.classic and wrong.classic and not results["right"].tests["test_central_difference"].classic
    assert "expected (3.1**2 - 9)/0.1 = 6.1" in wrong.cases[0].message   # the failed assert's own message
    assert "NotImplementedError" in empty.cases[0].message
    # every other test is judged by its hidden part, as before
    assert results["wrong"].tests["test_central_difference"].points == results["right"].tests["test_central_difference"].points


def test_the_feedback_says_how_a_classic_cell_is_graded(graded):
    _, results = graded
    page = results["wrong"].feedback_html
    assert "This cell&#x27;s checks: 0 / 2 points" in page or "This cell's checks: 0 / 2 points" in page
    assert CLASSIC.split(":")[0] in page


def test_release_warns_the_instructor(course):
    done = subprocess.run([sys.executable, "-m", "autograder", "release", ASSIGNMENT], cwd=course,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"note: {CLASSIC_TEST} has no hidden tests" in done.stderr and "forge" in done.stderr
    assert "note:" not in subprocess.run([sys.executable, "-m", "autograder", "release", ASSIGNMENT], cwd=REPO,
                                         capture_output=True, text=True, timeout=300).stderr
