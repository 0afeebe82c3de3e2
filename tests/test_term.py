"""A term on one machine, through nbgrader's real exchange: the instructor releases, three
students fetch, answer and submit, the instructor collects, grades, and hands feedback back,
and each student fetches it.

Both ways of grading are run on the same collected attempts, and must agree everywhere:
`nbgrader autograde` (Formgrader's button) with generate_feedback and release_feedback; and
`make grade` (grade_assignment on the course's submitted/), whose pages `release_feedback`
hands back as they are (autograder.nbgrader_folders puts them where nbgrader reads them).
Every student's fetched page, the gradebook, `nbgrader export` and grades.csv show one score
per student. The course folder is a temporary copy with this repository's nbgrader_config.py
(its exchange moved into the temporary folder); each student has a home and a cache of their own.
"""
import csv
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.grade import grade_assignment
from conftest import REPO, nbgrader_meta
from submissions import ASSIGNMENT, solution

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not shutil.which("bwrap"), reason="the sandbox needs the Debian package bubblewrap")]
STUDENTS = ("ann", "bob", "cyd")
FORWARD = "(f(x + h) - f(x)) / h"   # bob's mistake in Task 2: a forward difference
CENTRAL = "(f(x + h) - f(x - h)) / (2 * h)"
# What a student would get by hand: ann every point, bob loses Task 2's central-difference test
# (2 points: its visible checks pass, its hidden cases fail), cyd submits the copy as fetched.
EXPECTED = {"ann": 10.0, "bob": 8.0, "cyd": 0.0}


def nbgrader(cwd, *args, student=None):
    """An nbgrader command in `cwd`: the course folder (the instructor's config), or a student's
    home, whose own nbgrader_config.py (student_config) says where the exchange is."""
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_SOURCE", "COURSE_EXCHANGE")}
    who = [f"--CourseDirectory.student_id={student}"] if student else []   # all students are root here
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, *who], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"nbgrader {' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-4000:]}"
    return done


def student_config(home, exchange):
    """What a student's machine (or a JupyterHub's per-user config) tells nbgrader: the course, its
    exchange, and that this home is where assignments are fetched to and submitted from."""
    (home / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'mvcalc-ml'\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.Exchange.assignment_dir = {str(home)!r}\n"
        f"c.Exchange.cache = {str(home / '.cache')!r}\n")


def answer(fetched, student):
    """The fetched notebook with its answer cells written, as each student writes them."""
    nb = nbformat.read(fetched, as_version=4)
    if student == "cyd":
        return nb
    answers = {nbgrader_meta(c)["grade_id"]: c.source for c in solution().cells
               if nbgrader_meta(c).get("solution")}
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
            if student == "bob" and grade_id == "central_difference":
                assert CENTRAL in cell.source
                cell.source = cell.source.replace(CENTRAL, FORWARD)
    return nb


def fetched_pages(home):
    """Every feedback page the student has fetched: {submission time folder: page text}."""
    folder = home / ASSIGNMENT / "feedback"
    return {p.parent.name: p.read_text() for p in folder.glob(f"*/{ASSIGNMENT}.html")} if folder.is_dir() else {}


def page_score(page):
    """The total a feedback page states (nbgrader's template: "Score: 8 / 10"-like heading)."""
    found = re.findall(r"Score:\s*([0-9.]+)\s*/\s*([0-9.]+)", page)
    assert found, page[:1500]
    return float(found[0][0]), float(found[0][1])


def gradebook_scores(db_url):
    with Gradebook(db_url) as gradebook:
        return {s.student.id: {g.name: g.score for nb in s.notebooks for g in nb.grades}
                for s in gradebook.find_assignment(ASSIGNMENT).submissions}


def course_with_exchange(base, secret):
    """A scratch course under base: the assignment's source, this repository's nbgrader_config.py
    with its own exchange (base/exchange) and course secret. Returns (course, exchange)."""
    course, exchange = base / "course", base / "exchange"
    shutil.copytree(REPO / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    config = (REPO / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + f"\nc.Exchange.root = {str(exchange)!r}\n")
    (course / "course.secret").write_text(secret + "\n")
    return course, exchange


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    base = tmp_path_factory.mktemp("term")
    course, exchange = course_with_exchange(base, "term-test-secret-2b4d6f8a0c1e3579")
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    homes = {s: base / "home" / s for s in STUDENTS}

    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    nbgrader(course, "release_assignment", ASSIGNMENT)
    for student, home in homes.items():
        home.mkdir(parents=True)
        student_config(home, exchange)
        nbgrader(home, "fetch_assignment", ASSIGNMENT, student=student)
        fetched = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        nbformat.write(answer(fetched, student), fetched)
        nbgrader(home, "submit", ASSIGNMENT, student=student)
    nbgrader(course, "collect", ASSIGNMENT)

    # nbgrader's way: autograde (our sandboxed job inside it), generate and release feedback.
    nbgrader(course, "autograde", ASSIGNMENT)
    by_nbgrader = gradebook_scores(db_url)
    nbgrader(course, "generate_feedback", ASSIGNMENT)
    nbgrader(course, "release_feedback", ASSIGNMENT)
    nbgrader_pages = {}
    for student, home in homes.items():
        nbgrader(home, "fetch_feedback", ASSIGNMENT, student=student)
        nbgrader_pages[student] = fetched_pages(home)
        shutil.rmtree(home / ASSIGNMENT / "feedback")   # so the next fetch is seen to bring a page

    # make grade's way, on the same collected attempts, into the same gradebook.
    results, info = grade_assignment(course, ASSIGNMENT, course / "submitted", base / "out", db_url=db_url,
                                     workers=2, log=lambda *_: None)
    by_cli = gradebook_scores(db_url)
    nbgrader(course, "release_feedback", ASSIGNMENT)
    cli_pages = {}
    for student, home in homes.items():
        nbgrader(home, "fetch_feedback", ASSIGNMENT, student=student)
        cli_pages[student] = fetched_pages(home)
    return {"base": base, "course": course, "db": db_url, "homes": homes, "info": info,
            "results": {r.student_id: r for r in results}, "by_nbgrader": by_nbgrader, "by_cli": by_cli,
            "nbgrader_pages": nbgrader_pages, "cli_pages": cli_pages}


def test_every_student_fetches_one_page_with_the_expected_score_both_ways(term):
    for way in ("nbgrader_pages", "cli_pages"):
        for student, expected in EXPECTED.items():
            pages = term[way][student]
            assert len(pages) == 1, (way, student, sorted(pages))
            assert page_score(next(iter(pages.values()))) == (expected, 10.0), (way, student)


def test_both_graders_give_the_same_score_per_cell(term):
    assert term["by_nbgrader"] == term["by_cli"]
    assert {s: sum(cells.values()) for s, cells in term["by_cli"].items()} == EXPECTED
    assert {s: r.score for s, r in term["results"].items()} == EXPECTED


def test_make_grade_pages_are_what_students_fetch(term):
    """release_feedback hands back make grade's own page, byte for byte, with the hidden cases."""
    course, out = term["course"], term["base"] / "out"
    assert term["info"]["nbgrader_root"] == str(course.resolve())
    for student in STUDENTS:
        ours = (out / "feedback" / student / f"{ASSIGNMENT}.html").read_text()
        placed = course / "feedback" / student / ASSIGNMENT
        assert (placed / f"{ASSIGNMENT}.html").read_text() == ours
        assert next(iter(term["cli_pages"][student].values())) == ours
        for name in ("timestamp.txt", "submission_secret.txt"):   # the submission's own, copied
            submitted = (course / "submitted" / student / ASSIGNMENT / name).read_bytes()
            assert (placed / name).read_bytes() == submitted
            assert (course / "autograded" / student / ASSIGNMENT / name).read_bytes() == submitted
    bob = next(iter(term["cli_pages"]["bob"].values()))
    assert "forward difference" in bob and "BEGIN HIDDEN TESTS" not in bob


def test_generate_feedback_after_make_grade_shows_the_same_scores(term):
    course = term["course"]
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    for student, expected in EXPECTED.items():
        page = (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        assert page_score(page) == (expected, 10.0), student


def test_nbgrader_export_and_grades_agree(term):
    course = term["course"]
    nbgrader(course, "export", "--to", str(term["base"] / "export.csv"))
    with open(term["base"] / "export.csv") as handle:
        rows = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)
                if row["assignment"] == ASSIGNMENT}
    assert rows == EXPECTED
