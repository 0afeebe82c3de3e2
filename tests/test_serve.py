"""Instant feedback (`python -m autograder serve`) through nbgrader's real exchange: students
submit with `nbgrader submit`, the service grades each attempt once and releases its page, and
`nbgrader fetch_feedback` brings it to the student; the page is the one `make grade` writes for
the same attempt after `nbgrader collect` (same inputs, same verdicts); a restart grades nothing
twice; attempts past the day's limit, and attempts planted as links, are refused and logged.
"""
import html
import json
import os
import re
import shutil

import nbformat
import pytest

from autograder.course import CourseError
from autograder.grade import grade_assignment
from autograder.serve import LEDGER, LOG, Service, parse_attempt
from submissions import ASSIGNMENT
from test_term import answer, course_with_exchange, fetched_pages, nbgrader, page_score, student_config

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not shutil.which("bwrap"), reason="the sandbox needs the Debian package bubblewrap")]
COURSE_ID = "mvcalc-ml"


def submit(home, student):
    nbgrader(home, "submit", ASSIGNMENT, student=student)


def service(course, **kw):
    return Service(course, [ASSIGNMENT], state=course / "serve", workers=2, interval=0.2, **kw)


def without_banner(page):
    return re.sub(r"<p class='autograder-instant'>.*?</p>", "", page, count=1, flags=re.S)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("serve")
    course, exchange = course_with_exchange(base, "serve-test-secret-9f8e7d6c5b4a3210")
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    nbgrader(course, "release_assignment", ASSIGNMENT)
    homes = {}
    for student in ("ann", "bob"):
        homes[student] = home = base / "home" / student
        home.mkdir(parents=True)
        student_config(home, exchange)
        nbgrader(home, "fetch_assignment", ASSIGNMENT, student=student)
        fetched = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        nbformat.write(answer(fetched, student), fetched)
        submit(home, student)
    inbound = exchange / COURSE_ID / "inbound"
    # mallory plants a link to the instructor's source as an attempt
    (inbound / f"mallory+{ASSIGNMENT}+2026-12-01 10:00:00.000000 UTC+0badf00d").symlink_to(course / "source" / ASSIGNMENT)
    first = service(course, max_per_day=2).run(once=True)
    pages = {}
    for student, home in homes.items():
        nbgrader(home, "fetch_feedback", ASSIGNMENT, student=student)
        pages[student] = fetched_pages(home)
    return {"base": base, "course": course, "exchange": exchange, "homes": homes, "first": first,
            "pages": pages, "inbound": inbound}


def ledger(course):
    return [json.loads(line) for line in (course / "serve" / LEDGER).read_text().splitlines()]


def test_each_student_fetches_feedback_on_their_attempt(served):
    assert served["first"] == {"graded": 2, "refused": 1}
    for student, expected in (("ann", 10.0), ("bob", 8.0)):
        pages = served["pages"][student]
        assert len(pages) == 1, pages.keys()
        page = next(iter(pages.values()))
        assert page_score(page) == (expected, 10.0)
        assert "graded when you submitted it" in page and "BEGIN HIDDEN TESTS" not in page
    assert "forward difference" in next(iter(served["pages"]["bob"].values()))


def test_a_linked_attempt_is_refused_and_logged(served):
    refused = [e for e in ledger(served["course"]) if e["status"] == "refused"]
    assert [e["student"] for e in refused] == ["mallory"]
    assert "could not be read as submitted" in refused[0]["reason"] and "link" in refused[0]["reason"]
    log = (served["course"] / "serve" / LOG).read_text()
    assert "refused mallory+" in log and "graded ann's attempt" in log and "graded bob's attempt" in log
    released = os.listdir(served["exchange"] / COURSE_ID / "feedback")
    assert len(released) == 2   # ann's and bob's pages; nothing for the link


def test_a_restart_grades_nothing_twice(served):
    before = ledger(served["course"])
    again = service(served["course"], max_per_day=2).run(once=True)
    assert again == {"graded": 0, "refused": 0}
    assert ledger(served["course"]) == before


def test_the_page_is_the_one_make_grade_writes_for_the_same_attempt(served, tmp_path):
    """After collect, make grade draws the same inputs for the attempts the service graded: its
    pages are the service's, but for the service's heading."""
    course = served["course"]
    nbgrader(course, "collect", ASSIGNMENT)   # each student's only attempt so far
    grade_assignment(course, ASSIGNMENT, course / "submitted", tmp_path / "out",
                     db_url=f"sqlite:///{tmp_path / 'gb.db'}", workers=2, log=lambda *_: None)
    for student in ("ann", "bob"):
        ours = (tmp_path / "out" / "feedback" / student / f"{ASSIGNMENT}.html").read_text()
        assert without_banner(next(iter(served["pages"][student].values()))) == ours, student
    bob = (tmp_path / "out" / "feedback" / "bob" / f"{ASSIGNMENT}.html").read_text()
    # Results on per-student inputs are shown: other seeds would have given other numbers.
    text = html.unescape(re.sub(r"<[^>]+>", "", bob))
    assert re.search(r"returned -?\d[-\d.e+]*, expected -?\d[-\d.e+]*", text)


def test_attempts_past_the_daily_limit_get_a_page_saying_so(served):
    course, home = served["course"], served["homes"]["bob"]
    submit(home, "bob")          # bob's second attempt today: graded (the limit is 2)
    counts = service(course, max_per_day=2).run(once=True)
    assert counts == {"graded": 1, "refused": 0}
    submit(home, "bob")          # the third: refused, and told why
    counts = service(course, max_per_day=2).run(once=True)
    assert counts == {"graded": 0, "refused": 1}
    last = ledger(course)[-1]
    assert last["student"] == "bob" and last["status"] == "refused" and "limit of 2" in last["reason"]
    assert last["released"]
    shutil.rmtree(home / ASSIGNMENT / "feedback")
    nbgrader(home, "fetch_feedback", ASSIGNMENT, student="bob")
    pages = fetched_pages(home)
    assert len(pages) == 3
    newest = pages[max(pages)]
    assert "over the limit of 2 graded attempts per day" in newest


def test_bad_settings_are_refused_in_one_line(served):
    with pytest.raises(CourseError, match="at least 1"):
        service(served["course"], max_per_day=0)
    assert parse_attempt("bob+a1+2026")[0].student == "bob"
    assert "not a plain id" in parse_attempt("=cmd+a1+2026-12-01 10:00:00 UTC+ab")[1]
    assert "is not <student>" in parse_attempt("no-plus-signs")[1]


def test_a_course_folder_a_student_made_first_is_refused(served):
    """The exchange's root is writable by every student: one could make the course's folder
    before the instructor's first release, and own what is read and written there."""
    course_folder = served["exchange"] / COURSE_ID
    st = os.lstat(course_folder)
    os.chown(course_folder, 4242, 4242)
    try:
        with pytest.raises(CourseError, match="belongs to user id 4242"):
            service(served["course"]).run(once=True)
    finally:
        os.chown(course_folder, st.st_uid, st.st_gid)
