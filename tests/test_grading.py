"""End to end: `python -m autograder grade` (what `make grade` runs) on known submissions."""
import csv
import hashlib
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.grade import grade_assignment
from autograder.report import write_grades_csv
from conftest import REPO, nbgrader_meta, read_notebook

pytestmark = pytest.mark.slow

ASSIGNMENT = "a1_derivatives"
SOURCE = REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
RELEASE = REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def points_of(grade_id):
    """Points as the instructor set them in the source notebook's metadata."""
    for cell in read_notebook(SOURCE).cells:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            return float(nbgrader_meta(cell)["points"])
    raise KeyError(grade_id)


def submit(submissions, student, notebook=None, text=None):
    folder = submissions / student / ASSIGNMENT
    folder.mkdir(parents=True)
    target = folder / f"{ASSIGNMENT}.ipynb"
    if notebook is not None:
        nbformat.write(notebook, target)
    elif text is not None:
        target.write_text(text)
    return folder


def with_answer(grade_id, old, new):
    nb = read_notebook(SOURCE)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            assert old in cell.source
            cell.source = cell.source.replace(old, new)
    return nb


def tree_digest(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    submissions = base / "submitted"
    submit(submissions, "solution", read_notebook(SOURCE))
    submit(submissions, "blank", read_notebook(RELEASE))
    submit(submissions, "wrong_central", with_answer(
        "central_difference", "(f(x + h) - f(x - h)) / (2 * h)", "(f(x + h) - f(x)) / h"))
    submit(submissions, "broken_json", text='{"cells": [')
    (submissions / "no_notebook" / ASSIGNMENT).mkdir(parents=True)
    stray = submit(submissions, "stray_file", read_notebook(SOURCE))
    (stray / "notes.txt").write_text("my working")
    before = tree_digest(submissions)
    results = grade_assignment(REPO, ASSIGNMENT, submissions, base / "out",
                               db_url=f"sqlite:///{base / 'gradebook.db'}", log=lambda *_: None)
    table = write_grades_csv(results, base / "out" / "grades.csv")
    rows = {row["student_id"]: row for row in csv.DictReader(table.open())}
    return {"results": {r.student_id: r for r in results}, "rows": rows, "base": base,
            "submissions": submissions, "before": before}


def test_solution_scores_full_marks(graded):
    total = sum(points_of(g) for g in ["test_forward_difference", "test_central_difference",
                                       "test_second_difference", "test_product_rule",
                                       "test_chain_rule", "test_convergence_order"])
    result = graded["results"]["solution"]
    assert result.status == "graded"
    assert result.max_score == total == 10
    assert result.score == total
    assert graded["results"]["stray_file"].score == total  # an extra file changes nothing


def test_blank_release_scores_zero(graded):
    result = graded["results"]["blank"]
    assert result.status == "graded" and result.score == 0
    assert all(points == 0 for points in result.tests.values())


def test_wrong_central_difference_loses_exactly_its_points(graded):
    result = graded["results"]["wrong_central"]
    assert result.score == 10 - points_of("test_central_difference")
    assert result.tests["test_central_difference"] == 0
    others = {k: v for k, v in result.tests.items() if k != "test_central_difference"}
    assert others == {k: points_of(k) for k in others}


def test_every_student_gets_a_row_and_a_reason(graded):
    rows = graded["rows"]
    assert set(rows) == {"solution", "blank", "wrong_central", "broken_json", "no_notebook", "stray_file"}
    assert list(next(iter(rows.values())))[:3] == ["student_id", "score", "max_score"]
    assert rows["broken_json"]["score"] == "0" and "not appear to be JSON" in rows["broken_json"]["status"]
    assert rows["no_notebook"]["score"] == "0" and "missing notebook" in rows["no_notebook"]["status"]
    assert rows["solution"]["test_central_difference"] == "2"


def test_feedback_for_each_graded_student_hides_hidden_tests(graded):
    for student in ["solution", "blank", "wrong_central"]:
        html = graded["results"][student].feedback.read_text()
        assert "central_difference" in html
        assert "BEGIN HIDDEN TESTS" not in html and "expm1(1e-3)" not in html


def test_submissions_are_untouched(graded):
    assert tree_digest(graded["submissions"]) == graded["before"]


def run_cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, message", [
    (["grade", "a9_nothing", "--submissions", ".", "--out", "/tmp/x"], "unknown assignment"),
    (["grade", ASSIGNMENT, "--submissions", "/nonexistent", "--out", "/tmp/x"], "does not exist"),
])
def test_cli_errors_are_one_line(args, message):
    done = run_cli(*args)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_cli_empty_submissions_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    done = run_cli("grade", ASSIGNMENT, "--submissions", str(tmp_path / "empty"), "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "holds no student folders" in done.stderr


def test_cli_grades_one_submission(tmp_path):
    shutil.copytree(REPO / "source" / ASSIGNMENT, tmp_path / "subs" / "ann" / ASSIGNMENT)
    done = run_cli("grade", ASSIGNMENT, "--submissions", str(tmp_path / "subs"),
                   "--out", str(tmp_path / "out"), "--db", f"sqlite:///{tmp_path / 'gb.db'}")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader((tmp_path / "out" / "grades.csv").open()))
    assert [(r["student_id"], r["score"], r["max_score"]) for r in rows] == [("ann", "10", "10")]
