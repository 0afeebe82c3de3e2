"""nbgrader's own commands reach the verdicts `python -m autograder grade` reaches.

`nbgrader autograde` (what Formgrader's Autograde button runs) goes through nbgrader's
Autograde converter, configured in nbgrader_config.py to run our sandboxed job; the CLI
runs the same job through its own pool. Same submissions, same secret: the same score per
test cell in both gradebooks, and `nbgrader generate_feedback` shows the hidden cases.
"""
import json
import shutil
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

from autograder.grade import grade_assignment
from conftest import REPO
from submissions import ASSIGNMENT, blank, solution, submit, with_answer

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not shutil.which("bwrap"), reason="the sandbox needs the Debian package bubblewrap")]
NBGRADER = [sys.executable, "-m", "nbgrader"]
# Right for floats, wrong for arrays: every visible check passes, hidden cases on arrays fail.
SCALAR_ONLY = "return float((f(x + h) - f(x - h)) / (2 * h))"


def course_with_submissions(base):
    """A course folder (source/ copied from the repository) with five submissions."""
    course = base / "course"
    shutil.copytree(REPO / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    subs = course / "submitted"
    submit(subs, "ada", solution())
    submit(subs, "bea", blank())
    submit(subs, "cy", with_answer("central_difference", "return (f(x + h) - f(x - h)) / (2 * h)", SCALAR_ONLY))
    submit(subs, "dee", with_answer("central_difference", "(f(x + h) - f(x - h)) / (2 * h)",
                                    "(f(x + h) - f(x)) / h"))
    (subs / "ada" / ASSIGNMENT / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    linked = subs / "eve" / ASSIGNMENT   # the instructor's own notebook, behind a link
    linked.mkdir(parents=True)
    (linked / f"{ASSIGNMENT}.ipynb").symlink_to(REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (course / "course.secret").write_text("nbgrader-path-secret-0123456789\n")
    return course


def run_nbgrader(course, db_url, *args):
    done = subprocess.run(NBGRADER + list(args) + [f"--CourseDirectory.root={course}",
                                                    f"--CourseDirectory.db_url={db_url}"],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def cell_scores(db_url):
    with Gradebook(db_url) as gradebook:
        return {(s.student.id, g.name): g.score for s in gradebook.find_assignment(ASSIGNMENT).submissions
                for nb in s.notebooks for g in nb.grades}


def grade_both_ways(base, db_nbgrader, db_cli):
    course = course_with_submissions(base)
    run_nbgrader(course, db_nbgrader, "generate_assignment", ASSIGNMENT, "--force")
    run_nbgrader(course, db_nbgrader, "autograde", ASSIGNMENT, "--force")
    results, _ = grade_assignment(REPO, ASSIGNMENT, course / "submitted", base / "out", db_url=db_cli,
                                  workers=2, secret_file=course / "course.secret", log=lambda *_: None)
    return course, {r.student_id: r for r in results}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    base = tmp_path_factory.mktemp("nbgrader-path")
    db_nbgrader, db_cli = f"sqlite:///{base / 'nbgrader.db'}", f"sqlite:///{base / 'cli.db'}"
    course, results = grade_both_ways(base, db_nbgrader, db_cli)
    return {"course": course, "results": results, "nbgrader": cell_scores(db_nbgrader),
            "cli": cell_scores(db_cli), "db": db_nbgrader, "base": base}


def test_same_score_per_cell_both_ways(both):
    assert both["nbgrader"] == both["cli"]
    assert len(both["cli"]) == 5 * 6


def test_hidden_failures_count_in_nbgrader_too(both):
    """The submission that passes every visible check loses points for the hidden array
    cases in nbgrader's gradebook (plain nbgrader gave it full marks)."""
    cli = both["results"]["cy"]
    lost = cli.tests["test_central_difference"]
    assert 0 < lost.points < lost.max_points
    assert both["nbgrader"][("cy", "test_central_difference")] == pytest.approx(lost.points)
    assert both["nbgrader"][("ada", "test_central_difference")] == 2
    assert sum(v for (s, _), v in both["nbgrader"].items() if s == "bea") == 0


def test_generate_feedback_shows_hidden_cases_not_hidden_code(both):
    run_nbgrader(both["course"], both["db"], "generate_feedback", ASSIGNMENT, "--force")
    page = (both["course"] / "feedback" / "dee" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "Hidden tests: 0 / 2 points" in page and "forward difference" in page
    for secret in ["BEGIN HIDDEN TESTS", "t.mistake(", "@hidden", "t.rng", "linregress"]:
        assert secret not in page
    assert "cdnjs" not in page and "<math" in page  # formulas need no network


def test_a_linked_notebook_is_refused_by_nbgrader_too(both):
    """Behind the link is the source notebook: plain nbgrader would give it 10/10."""
    assert {v for (s, _), v in both["nbgrader"].items() if s == "eve"} == {0}
    assert "is a link, not a file" in both["results"]["eve"].status
    run_nbgrader(both["course"], both["db"], "generate_feedback", ASSIGNMENT, "--force")
    page = (both["course"] / "feedback" / "eve" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "is a link, not a file" in page and "BEGIN SOLUTION" not in page


def test_the_autograde_button_grades_inside_a_running_event_loop(tmp_path):
    """Formgrader's Autograde button calls nbgrader's API from the Jupyter server's event loop
    thread, where an `asyncio.run` in the job raises (and nbgrader then deleted the student's
    autograded notebook). The same API call from inside a running loop grades the submission."""
    course = course_with_submissions(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'gb.db'}"
    run_nbgrader(course, db_url, "generate_assignment", ASSIGNMENT, "--force")
    button = f"""
import asyncio, json
from traitlets.config.loader import PyFileConfigLoader
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
config = PyFileConfigLoader("nbgrader_config.py", path={str(REPO)!r}).load_config()
config.CourseDirectory.root = {str(course)!r}
config.CourseDirectory.db_url = {db_url!r}

async def formgrader_handler():   # a coroutine: the loop is running while the API grades
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    return api.autograde({ASSIGNMENT!r}, "ada")

print("RESULT", json.dumps(asyncio.run(formgrader_handler())))
"""
    done = subprocess.run([sys.executable, "-c", button], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.split("RESULT ", 1)[1])
    assert answer["success"], answer.get("log", "")[-3000:]
    assert "cannot be called from a running event loop" not in answer.get("log", "")
    scores = cell_scores(db_url)
    assert sum(v for (s, _), v in scores.items() if s == "ada") == 10
    assert (course / "autograded" / "ada" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()


def test_without_a_sandbox_nbgrader_autograde_refuses_and_keeps_what_was_graded(tmp_path):
    """nbgrader removes a student's autograded notebook before grading again (--force) and the new
    one when grading fails: without a working sandbox the command refuses before either."""
    import os

    from test_hostile_host import tools_without_bwrap

    course = course_with_submissions(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'gb.db'}"
    run_nbgrader(course, db_url, "generate_assignment", ASSIGNMENT, "--force")
    run_nbgrader(course, db_url, "autograde", ASSIGNMENT, "--student", "ada", "--force")
    graded = course / "autograded" / "ada" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    before = graded.read_bytes()
    done = subprocess.run(NBGRADER + ["autograde", ASSIGNMENT, "--student", "ada", "--force",
                                      f"--CourseDirectory.root={course}", f"--CourseDirectory.db_url={db_url}"],
                          cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PATH": tools_without_bwrap(tmp_path / "tools")})
    assert done.returncode != 0
    assert "refusing to run student code: bubblewrap is not installed" in done.stderr
    assert graded.read_bytes() == before   # still there, unchanged
    assert sum(v for (s, _), v in cell_scores(db_url).items() if s == "ada") == 10


def test_checksum_warnings_only_for_test_cells_that_really_changed(tmp_path):
    """nbgrader's gradebook keeps each test cell's checksum with its hidden tests, the student's copy
    has them removed: plain nbgrader warned "has changed!" for every unchanged test cell (nbgrader
    issue 1961). Now only a test cell the student edited is reported."""
    course = course_with_submissions(tmp_path)
    edited = blank()
    cell = next(c for c in edited.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_chain_rule")
    cell.source = "pass  # the student replaced the checks\n"
    submit(course / "submitted", "fay", edited)
    db_url = f"sqlite:///{tmp_path / 'gb.db'}"
    run_nbgrader(course, db_url, "generate_assignment", ASSIGNMENT, "--force")
    done = run_nbgrader(course, db_url, "autograde", ASSIGNMENT, "--force")
    warnings = [line for line in done.stderr.splitlines() if "has changed!" in line]
    assert len(warnings) == 1 and "'checksum'" in warnings[0], warnings
    assert "test_chain_rule" in warnings[0] or "cell-" in warnings[0]
