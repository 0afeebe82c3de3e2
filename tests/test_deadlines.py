"""Deadlines in nbgrader's own terms (issue 25): the gradebook's due date, a per-student extension
(`python -m autograder extend`), the submission's timestamp.txt and the course's late-submission
plugin, applied by `python -m autograder grade` exactly as `nbgrader autograde` applies them; the
table, the report and the student's page state the times and the penalty."""
import csv
import datetime
import shutil
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

from autograder.grade import grade_assignment
from autograder.report import write_grades_csv, write_report
from conftest import REPO
from submissions import ASSIGNMENT, solution, submit

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not shutil.which("bwrap"), reason="the sandbox needs the Debian package bubblewrap")]
DUE = datetime.datetime(2026, 12, 1, 17, 0, 0)
SUBMITTED = {"early": "2026-12-01 16:00:00.000000 UTC",     # an hour before
             "late": "2026-12-01 18:30:00.000000 UTC",      # 1 h 30 min after: scores 0 ("zero")
             "extended": "2026-12-02 10:00:00.000000 UTC",  # late, but within a 24 h extension
             "no_stamp": None}                              # nbgrader cannot tell: on time


def course(base, db_url):
    root = base / "course"
    (root / "source").mkdir(parents=True)
    shutil.copytree(REPO / "source" / ASSIGNMENT, root / "source" / ASSIGNMENT)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    with (root / "nbgrader_config.py").open("a") as config:
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    (root / "course.secret").write_text("deadline-secret-0123456789\n")
    for student, stamp in SUBMITTED.items():
        folder = submit(root / "submitted", student, solution())
        if stamp:
            (folder / "timestamp.txt").write_text(stamp)
    done = subprocess.run([sys.executable, "-m", "nbgrader", "db", "assignment", "add", ASSIGNMENT,
                           f"--duedate={DUE:%Y-%m-%d %H:%M:%S} UTC", f"--db={db_url}"],
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    extend = subprocess.run([sys.executable, "-m", "autograder", "extend", ASSIGNMENT, "extended",
                             "--hours", "24", "--db", db_url], cwd=root, capture_output=True, text=True, timeout=300)
    assert extend.returncode == 0, extend.stderr
    assert "now due 2026-12-02 17:00:00 UTC (24 h extension)" in extend.stdout
    return root


def penalties(db_url):
    with Gradebook(db_url) as gradebook:
        return {s.student_id: (s.timestamp, s.late_submission_penalty, s.score)
                for s in gradebook.assignment_submissions(ASSIGNMENT)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("deadlines")
    ours, theirs = f"sqlite:///{base / 'ours.db'}", f"sqlite:///{base / 'nbgrader.db'}"
    root = course(base / "a", ours)
    results, info = grade_assignment(root, ASSIGNMENT, root / "submitted", base / "out", db_url=ours, workers=2,
                                     log=lambda *_: None)
    tests = list(results[0].tests)
    table = write_grades_csv(results, base / "out" / "grades.csv", tests, info["refused"], info["lateness"])
    report = write_report(results, info, base / "out" / "report.html", tests, 1.0)
    other = course(base / "b", theirs)
    for command in (["generate_assignment", ASSIGNMENT, "--force"], ["autograde", ASSIGNMENT, "--force"]):
        done = subprocess.run([sys.executable, "-m", "nbgrader", *command, f"--CourseDirectory.root={other}",
                               f"--CourseDirectory.db_url={theirs}"], cwd=other, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
    return {"rows": {r["student_id"]: r for r in csv.DictReader(table.open())}, "report": report.read_text(),
            "ours": penalties(ours), "nbgrader": penalties(theirs), "out": base / "out"}


def test_the_late_submission_scores_zero_and_the_others_keep_their_points(graded):
    rows = graded["rows"]
    assert {s: float(r["score"]) for s, r in rows.items()} == {"early": 10, "late": 0, "extended": 10, "no_stamp": 10}
    assert float(rows["late"]["raw_score"]) == 10 and float(rows["late"]["late_penalty"]) == 10
    assert rows["late"]["submitted"] == "2026-12-01 18:30:00 UTC" and rows["late"]["due"] == "2026-12-01 17:00:00 UTC"
    assert rows["extended"]["due"] == "2026-12-02 17:00:00 UTC" and float(rows["extended"]["late_penalty"]) == 0


def test_the_gradebook_holds_what_nbgrader_autograde_writes(graded):
    """Same due date, extension, timestamps and plugin: the same timestamps and penalties."""
    assert graded["ours"] == graded["nbgrader"]
    assert graded["ours"]["late"][1] == 10 and not graded["ours"]["early"][1]


def test_the_report_and_the_students_page_say_when_and_what_it_cost(graded):
    assert "Late submissions" in graded["report"] and "1 h 30 min late, a late penalty of 10 points" in graded["report"]
    page = (graded["out"] / "feedback" / "late" / f"{ASSIGNMENT}.html").read_text()
    assert "Submitted 2026-12-01 18:30:00 UTC, due 2026-12-01 17:00:00 UTC: 1 h 30 min late" in page
    assert "Your score after the penalty: 0 / 10." in page
    extended = (graded["out"] / "feedback" / "extended" / f"{ASSIGNMENT}.html").read_text()
    assert "with an extension of 1 d: on time" in extended


def test_an_extension_is_refused_for_an_unknown_assignment_or_a_bad_length(tmp_path):
    for args, words in [(["nope", "ann", "--hours", "2"], "has no assignment 'nope'"),
                        ([ASSIGNMENT, "ann", "--hours", "-3"], "between 0 and 8784 hours")]:
        done = subprocess.run([sys.executable, "-m", "autograder", "extend", *args, "--db",
                               f"sqlite:///{tmp_path / 'gb.db'}"], cwd=REPO, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 2 and words in done.stderr, done.stderr
