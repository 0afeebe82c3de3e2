"""`python -m autograder export`: the gradebook's grades as Canvas's and Moodle's import CSVs.

A small gradebook is built with nbgrader's API (no grading run, no notebook executed): two
assignments, three students, one submission late with a penalty, one missing, one student whose
name is a spreadsheet formula. The expected scores are worked out by hand below.
"""
import csv
import datetime
import warnings

import pytest
from nbgrader.api import Gradebook

from autograder import cli

warnings.filterwarnings("ignore", message=".*not in session.*")

# (assignment, student) -> (points per cell, late penalty); a1 has cells worth 4 + 6, a2 one worth 5.
SUBMITTED = {
    ("a1", "ann"): ([4, 5], 0.0),
    ("a1", "bob"): ([3, 6], 2.5),     # late: 9 - 2.5
    ("a1", "eve"): ([1, 0], 3.0),     # late: penalty above the score, nbgrader bounds it at 0
    ("a2", "ann"): ([5], 0.0),
    ("a2", "eve"): ([2], 0.0),        # bob has no a2 submission
}
# By hand: max(0, points - penalty), 0 where nothing was submitted.
EXPECTED = {"ann": {"a1": "9", "a2": "5"}, "bob": {"a1": "6.5", "a2": "0"}, "eve": {"a1": "0", "a2": "2"}}


@pytest.fixture(scope="module")
def db_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('export') / 'gradebook.db'}"
    cells = {"a1": [4, 6], "a2": [5]}
    with Gradebook(url) as gb:
        for name, tops in cells.items():
            gb.add_assignment(name, duedate=datetime.datetime(2026, 12, 1, 17))
            gb.add_notebook(name, name)
            for i, top in enumerate(tops):
                gb.add_grade_cell(f"q{i}", name, name, max_score=top, cell_type="code")
        gb.add_student("ann", first_name="Ann", last_name="Lee", email="ann@example.org")
        gb.add_student("bob", first_name="Bob", last_name="Ray", email="bob@example.org")
        gb.add_student("eve", first_name="=HYPERLINK(\"http://x\")", last_name="@SUM(A1)", email="-eve@example.org")
        for (assignment, student), (points, penalty) in SUBMITTED.items():
            gb.add_submission(assignment, student, timestamp=datetime.datetime(2026, 12, 1, 16))
            for i, score in enumerate(points):
                gb.find_grade(f"q{i}", assignment, assignment, student).manual_score = score
            gb.find_submission_notebook(assignment, assignment, student).late_submission_penalty = penalty
            gb.db.commit()
    return url


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def run(*argv):
    return cli.main(["export", *argv])


def test_canvas(db_url, tmp_path, capsys):
    out = tmp_path / "canvas.csv"
    assert run("--format", "canvas", "--db", db_url, "--out", str(out), "--points-possible") == 0
    rows = read(out)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "a1", "a2"]
    assert rows[1] == ["Points Possible", "", "", "", "", "10", "5"]
    by_login = {row[3]: row for row in rows[2:]}
    assert set(by_login) == {"ann", "bob", "eve"}
    for student, grades in EXPECTED.items():
        assert by_login[student][5:] == [grades["a1"], grades["a2"]], student
        assert by_login[student][1] == by_login[student][2] == ""
    assert by_login["ann"][0] == "Lee, Ann"
    # The hostile name is kept, but no cell starts with a formula character.
    assert by_login["eve"][0] == "'@SUM(A1), =HYPERLINK(\"http://x\")"
    assert "3 student(s) for 2 assignment(s)" in capsys.readouterr().out


def test_canvas_match_column_and_one_assignment(db_url, tmp_path):
    out = tmp_path / "canvas.csv"
    assert run("--format", "canvas", "--db", db_url, "--out", str(out), "--assignment", "a2",
               "--canvas-match", "sis-user-id") == 0
    rows = read(out)
    assert rows[0][-1] == "a2" and len(rows[0]) == 6
    assert {row[2]: row[5] for row in rows[1:]} == {s: g["a2"] for s, g in EXPECTED.items()}
    assert all(row[3] == "" for row in rows[1:])


def test_moodle(db_url, tmp_path):
    out = tmp_path / "moodle.csv"
    assert run("--format", "moodle", "--db", db_url, "--out", str(out)) == 0
    rows = read(out)
    assert rows[0] == ["username", "First name", "Last name", "a1", "a2"]
    by_user = {row[0]: row for row in rows[1:]}
    assert {u: row[3:] for u, row in by_user.items()} == {s: [g["a1"], g["a2"]] for s, g in EXPECTED.items()}
    assert by_user["eve"][1:3] == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)"]

    assert run("--format", "moodle", "--db", db_url, "--out", str(out), "--moodle-match", "email") == 0
    emails = {row[0] for row in read(out)[1:]}
    assert emails == {"ann@example.org", "bob@example.org", "'-eve@example.org"}


def test_every_text_cell_is_formula_safe(db_url, tmp_path):
    for fmt in ("canvas", "moodle"):
        out = tmp_path / f"{fmt}.csv"
        assert run("--format", fmt, "--db", db_url, "--out", str(out)) == 0
        raw = out.read_text(encoding="utf-8")
        assert '"=' not in raw and '"@' not in raw and '"-' not in raw and '"+' not in raw


def test_errors(db_url, tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert run("--format", "canvas", "--db", db_url, "--out", str(out), "--assignment", "a9") == 2
    assert "no assignment 'a9' in the gradebook (it has: a1, a2)" in capsys.readouterr().err
    missing = tmp_path / "nowhere.db"
    assert run("--format", "moodle", "--db", f"sqlite:///{missing}", "--out", str(out)) == 2
    assert f"no gradebook at {missing}" in capsys.readouterr().err
    assert not missing.exists() and not out.exists()
    with pytest.raises(SystemExit):
        run("--format", "blackboard", "--db", db_url, "--out", str(out))
    assert "invalid choice: 'blackboard'" in capsys.readouterr().err
