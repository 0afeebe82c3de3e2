"""Formgrader's buttons, clicked in Chromium against the Jupyter server `make lab` starts.

One term on a scratch course (tests/test_browser.py's `lab`: a copy of source/ and release/ with
this repository's nbgrader_config.py, its exchange moved into the copy): the instructor's steps
go through Formgrader's pages and buttons (Generate, Release, Collect, Autograde for one student
and then for every other, Generate and Release Feedback for one student and for all, the
gradebook's views); the students (tests/test_term.py's ann 10 points, bob 8, cyd 0, and dan, who
answers as ann does) fetch, submit and fetch their feedback with nbgrader's command line. Each
action's result is read from the page (Formgrader's Success/Error modal), its effect from the
course's folders and gradebook. `python -m autograder grade` (what `make grade` runs) then grades
the same submitted/ folder into a gradebook of its own: the same score per cell.

Formgrader 0.9.6 has no "autograde all" button (its Manage Submissions page says to run
`nbgrader autograde` in a terminal): "all" is every student's Autograde button in turn.

A grader bug is simulated for dan's first Autograde click (the course's nbgrader_config.py, which
Formgrader reads again on every action, swaps our GradeSubmission for one that raises for dan):
the page says Error, dan's submitted notebook is byte for byte what he submitted, the others'
grades and autograded notebooks are untouched, and the next click, without the bug, grades him.
The same bug on a regrade: nbgrader has removed his autograded folder (Formgrader passes --force)
and it is put back (autograder.nbgrader_plugin), so the manual-grading view still shows it.
"""
import csv
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import REPO
from submissions import ASSIGNMENT
from test_browser import CHROMIUM, SHOTS, browser, lab, open_page  # noqa: F401 (fixtures used below)
from test_term import EXPECTED, answer, fetched_pages, gradebook_scores, nbgrader, page_score, student_config

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs the Debian package chromium"),
              pytest.mark.skipif(not shutil.which("bwrap"), reason="grading needs the Debian package bubblewrap")]

STUDENTS = ("ann", "bob", "cyd", "dan")
SCORES = {**EXPECTED, "dan": 10.0}     # dan writes ann's answers
# The server grades inside the request, so a click's answer can take a while on a loaded
# machine: a generous ceiling, never a bound on how long grading should take.
ACTION_MS = 600_000
PAGE_MS = 120_000
BUG = "simulated grader bug for dan (test_formgrader_buttons)"
GRADER_BUG = f'''
# --- test_formgrader_buttons: a bug in our grader, for dan's submission only ---
from autograder.nbgrader_plugin import GradeSubmission as _GradeSubmission


class _GradeSubmissionFailingForDan(_GradeSubmission):
    def preprocess(self, nb, resources):
        if resources["nbgrader"]["student"] == "dan":
            raise RuntimeError({BUG!r})
        return super().preprocess(nb, resources)


c.Autograde.autograde_preprocessors = [
    _GradeSubmissionFailingForDan if p == "autograder.nbgrader_plugin.GradeSubmission" else p
    for p in c.Autograde.autograde_preprocessors]
'''


def act(page, control, what):
    """Click a Formgrader action, wait for its modal, close it; returns (title, modal text)."""
    control.click()
    modal = page.locator("#success-modal, #error-modal")
    try:
        modal.wait_for(state="visible", timeout=ACTION_MS)
    except Exception:
        page.screenshot(path=SHOTS / "formgrader-no-answer.png", full_page=True)
        pytest.fail(f"{what}: Formgrader showed no result")
    title = modal.locator(".modal-title").inner_text()
    text = modal.locator(".modal-body").inner_text()
    page.screenshot(path=SHOTS / f"formgrader-{re.sub(r'[^a-z0-9]+', '-', what.lower())}.png")
    modal.locator(".modal-footer button").click()
    modal.wait_for(state="detached", timeout=PAGE_MS)
    page.locator(".modal-backdrop").wait_for(state="detached", timeout=PAGE_MS)
    return title, text


def succeeds(page, control, what):
    title, text = act(page, control, what)
    assert title == "Success" and "Successfully" in text, f"{what}: {title}: {text[-3000:]}"
    return text


def wait_loaded(page):
    """Formgrader's tables set the page's `models.loaded` once the API has answered; a row an
    action emptied ("Please wait...") is drawn again when the page has fetched its new state."""
    page.wait_for_function("""() => typeof models !== 'undefined' && models.loaded === true
        && ![...document.querySelectorAll('#main-table tr')].some(r => r.innerText.includes('Please wait'))""",
                           timeout=PAGE_MS)


def assignment_row(page):
    """The Manage Assignments row of the assignment, drawn again (its links back) after an action."""
    row = page.locator("#main-table tr").filter(has=page.locator(f"td.name a:text-is('{ASSIGNMENT}')"))
    row.wait_for(timeout=PAGE_MS)
    return row


def submission_row(page, student):
    """The Manage Submissions row of the student, once drawn again after an action."""
    row = page.locator("#main-table tr").filter(has=page.locator(f"td.student-id:text-is('{student}')"))
    row.locator(".autograde a").wait_for(timeout=PAGE_MS)
    return row


def score_of(text):
    """'8 / 10' as Formgrader writes a score -> (8.0, 10.0)."""
    found = re.fullmatch(r"\s*([0-9.]+)\s*/\s*([0-9.]+)\s*", text)
    assert found, repr(text)
    return float(found[1]), float(found[2])


def totals(db_url):
    return {s: sum(cells.values()) for s, cells in gradebook_scores(db_url).items()}


def autograded_students(db_url):
    """Students whose submission nbgrader has grades for (a score on some cell)."""
    with Gradebook(db_url) as gradebook:
        return {s.student.id for s in gradebook.find_assignment(ASSIGNMENT).submissions
                if any(g.auto_score is not None for nb in s.notebooks for g in nb.grades)}


def submissions_page_scores(page):
    """{student: (score, max)} as Manage Submissions shows them, for the autograded rows."""
    wait_loaded(page)
    shown = {}
    for row in page.locator("#main-table tr").all():
        student, score = row.locator("td.student-id").inner_text(), row.locator("td.score").inner_text()
        if score.strip():
            shown[student] = score_of(score)
    return shown


def fetch_feedback(homes, student):
    """The student's fetch_feedback (command line); {folder: page} of every page fetched so far."""
    nbgrader(homes[student], "fetch_feedback", ASSIGNMENT, student=student)
    return fetched_pages(homes[student])


@pytest.fixture(scope="module")
def term(lab, browser, tmp_path_factory):
    base = tmp_path_factory.mktemp("formgrader-term")
    root, exchange = lab["root"], lab["root"] / "exchange"
    config = root / "nbgrader_config.py"
    config.write_text(config.read_text() + f"\nc.Exchange.root = {str(exchange)!r}\n")
    plain_config = config.read_text()
    (root / "course.secret").write_text("formgrader-buttons-secret-5e7a9c1b3d\n")
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    shutil.rmtree(root / "release" / ASSIGNMENT)      # so that Generate is seen to make it
    homes = {s: base / "home" / s for s in STUDENTS}
    seen = {"homes": homes, "root": root, "db": db_url, "base": base}

    page = open_page(browser, lab, "formgrader/manage_assignments")
    wait_loaded(page)
    seen["generate"] = succeeds(page, assignment_row(page).locator("td.assign a"), "Generate")
    released = root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    seen["released_text"] = released.read_text() if released.exists() else None
    seen["release"] = succeeds(page, assignment_row(page).locator("td.release a"), "Release")
    seen["outbound"] = sorted(p.name for p in (exchange / "mvcalc-ml" / "outbound" / ASSIGNMENT).iterdir())

    for student, home in homes.items():
        home.mkdir(parents=True)
        student_config(home, exchange)
        nbgrader(home, "fetch_assignment", ASSIGNMENT, student=student)
        fetched = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        nbformat.write(answer(fetched, "ann" if student == "dan" else student), fetched)
        nbgrader(home, "submit", ASSIGNMENT, student=student)

    page.reload()
    wait_loaded(page)
    seen["collect"] = succeeds(page, assignment_row(page).locator("td.collect a"), "Collect")
    submitted = {s: root / "submitted" / s / ASSIGNMENT / f"{ASSIGNMENT}.ipynb" for s in STUDENTS}
    seen["collected"] = {s: p.is_file() for s, p in submitted.items()}
    # what each student submitted, as it is in their own folder
    seen["submitted_bytes"] = {s: (home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes() for s, home in homes.items()}

    # Autograde: one student, then every other one (Formgrader has a button per student only).
    assignment_row(page).locator("td.num-submissions a").click()
    page.wait_for_url(re.compile(f"/formgrader/manage_submissions/{ASSIGNMENT}"), timeout=PAGE_MS)
    wait_loaded(page)
    seen["autograde_ann"] = succeeds(page, submission_row(page, "ann").locator(".autograde a"), "Autograde ann")
    seen["after_one"] = {"graded": autograded_students(db_url), "page": submissions_page_scores(page)}
    for student in ("bob", "cyd"):
        succeeds(page, submission_row(page, student).locator(".autograde a"), f"Autograde {student}")
    before_bug = {"scores": gradebook_scores(db_url),
                  "autograded": {s: (root / "autograded" / s / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes()
                                 for s in ("ann", "bob", "cyd")}}

    # Our grader fails for dan: the page says so, nothing of anyone's is lost.
    config.write_text(plain_config + GRADER_BUG)
    try:
        seen["bug"] = act(page, submission_row(page, "dan").locator(".autograde a"), "Autograde dan with a grader bug")
    finally:
        config.write_text(plain_config)
    seen["after_bug"] = {
        "submitted": submitted["dan"].read_bytes(),
        "scores": gradebook_scores(db_url),
        "autograded": {s: (root / "autograded" / s / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes()
                       for s in ("ann", "bob", "cyd")},
        "dan_graded": "dan" in autograded_students(db_url),
        "page": submissions_page_scores(page)}
    seen["before_bug"] = before_bug
    seen["autograde_dan"] = succeeds(page, submission_row(page, "dan").locator(".autograde a"), "Autograde dan")
    # ...and again, on a regrade: nbgrader (Formgrader always passes --force) removes the student's
    # autograded folder before grading; on our error it is put back as it was.
    dan_graded = root / "autograded" / "dan" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    seen["before_regrade_bug"] = {"notebook": dan_graded.read_bytes(), "scores": gradebook_scores(db_url)}
    config.write_text(plain_config + GRADER_BUG)
    try:
        seen["regrade_bug"] = act(page, submission_row(page, "dan").locator(".autograde a"),
                                  "Autograde dan again with a grader bug")
    finally:
        config.write_text(plain_config)
    seen["after_regrade_bug"] = {"notebook": dan_graded.read_bytes() if dan_graded.exists() else None,
                                 "submitted": submitted["dan"].read_bytes(), "scores": gradebook_scores(db_url)}
    seen["gradebook"] = gradebook_scores(db_url)
    seen["submissions_page"] = submissions_page_scores(page)
    page.screenshot(path=SHOTS / "formgrader-submissions-graded.png", full_page=True)

    # Feedback: generate for bob alone, then for all; release for ann alone, then for all.
    feedback = {s: root / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html" for s in STUDENTS}
    succeeds(page, submission_row(page, "bob").locator(".generate-feedback a"), "Generate feedback for bob")
    seen["feedback_after_bob"] = {s: p.is_file() for s, p in feedback.items()}
    page.goto(page.url.split("/formgrader/")[0] + "/formgrader/manage_assignments")
    wait_loaded(page)
    succeeds(page, assignment_row(page).locator("td.generate-feedback a"), "Generate feedback for all")
    seen["feedback_after_all"] = {s: p.is_file() for s, p in feedback.items()}
    page.goto(page.url.split("/formgrader/")[0] + f"/formgrader/manage_submissions/{ASSIGNMENT}")
    wait_loaded(page)
    succeeds(page, submission_row(page, "ann").locator(".release-feedback a"), "Release feedback for ann")
    seen["fetched_one"] = {s: fetch_feedback(homes, s) for s in ("ann", "bob")}
    page.goto(page.url.split("/formgrader/")[0] + "/formgrader/manage_assignments")
    wait_loaded(page)
    succeeds(page, assignment_row(page).locator("td.release-feedback a"), "Release feedback for all")
    seen["fetched_all"] = {s: fetch_feedback(homes, s) for s in STUDENTS}

    # The gradebook's views: Manual Grading -> the assignment -> its notebook -> each submission.
    page.get_by_role("link", name="Manual Grading").click()
    wait_loaded(page)
    seen["gradebook_assignment"] = page.locator("#main-table tr").filter(
        has=page.locator(f"a:text-is('{ASSIGNMENT}')")).locator("td.score").inner_text()
    page.locator(f"#main-table a:text-is('{ASSIGNMENT}')").click()
    page.wait_for_url(re.compile(f"/formgrader/gradebook/{ASSIGNMENT}/?$"), timeout=PAGE_MS)
    wait_loaded(page)
    page.locator(f"#main-table a:text-is('{ASSIGNMENT}')").click()
    page.wait_for_url(re.compile(f"/formgrader/gradebook/{ASSIGNMENT}/{ASSIGNMENT}/?$"), timeout=PAGE_MS)
    wait_loaded(page)
    page.locator("#toggle_names").click()
    seen["gradebook_page"] = {row.locator("td.name a.name-shown").inner_text():
                              score_of(row.locator("td.score").inner_text()) for row in page.locator("#main-table tr").all()}
    page.screenshot(path=SHOTS / "formgrader-gradebook-notebook.png", full_page=True)
    # dan's submission in the manual-grading view: his autograded notebook, there to be graded
    page.locator("#main-table a.name-shown:text-is('dan')").click()
    page.wait_for_url(re.compile("/formgrader/submissions/[^/]+/?$"), timeout=PAGE_MS)
    view = page.locator("#notebook").first
    view.wait_for(timeout=PAGE_MS)
    seen["dan_view"] = view.inner_text()
    page.screenshot(path=SHOTS / "formgrader-manual-grading-dan.png")
    page.close()

    # make grade's command on the same submitted/ folder, into a gradebook of its own.
    cli_db = f"sqlite:///{base / 'make-grade.db'}"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions",
                           str(root / "submitted"), "--out", str(base / "out"), "--db", cli_db],
                          cwd=root, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    seen["make_grade"] = gradebook_scores(cli_db)
    with open(base / "out" / "grades.csv") as handle:
        seen["grades_csv"] = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    return seen


def test_generate_release_and_collect_buttons(term):
    assert "Successfully created the student version" in term["generate"]
    text = term["released_text"]
    assert text is not None and "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "raise NotImplementedError()" in text
    assert "Successfully released" in term["release"]
    assert f"{ASSIGNMENT}.ipynb" in term["outbound"]
    assert "Successfully collected" in term["collect"]
    assert term["collected"] == {s: True for s in STUDENTS}


def test_autograde_one_student_grades_that_student_only(term):
    # the server's event loop runs the button's request: the job grades in a thread of its own
    assert "Successfully autograded 'a1_derivatives' for student 'ann'" in term["autograde_ann"]
    assert "running event loop" not in term["autograde_ann"] and "ann: 10 / 10" in term["autograde_ann"]
    assert term["after_one"]["graded"] == {"ann"}
    assert term["after_one"]["page"] == {"ann": (10.0, 10.0)}


def test_autograde_every_student_gives_the_expected_scores(term):
    assert totals_of(term["gradebook"]) == SCORES
    assert term["submissions_page"] == {s: (score, 10.0) for s, score in SCORES.items()}


def totals_of(scores):
    return {s: sum(cells.values()) for s, cells in scores.items()}


def test_a_grader_bug_is_reported_and_loses_nothing(term):
    title, text = term["bug"]
    assert title == "Error" and "There was an error autograding" in text and BUG in text, (title, text[-3000:])
    after, before = term["after_bug"], term["before_bug"]
    assert after["submitted"] == term["submitted_bytes"]["dan"]          # byte for byte as submitted
    assert not after["dan_graded"]
    assert "dan" not in after["page"]
    # the others: the same grades, their autograded notebooks untouched
    assert {s: v for s, v in after["scores"].items() if s != "dan"} == before["scores"]
    assert after["autograded"] == before["autograded"]
    # and the next click, without the bug, grades dan as it grades ann
    assert "Successfully autograded" in term["autograde_dan"]
    assert term["gradebook"]["dan"] == term["gradebook"]["ann"]


def test_a_grader_bug_on_a_regrade_keeps_the_autograded_notebook(term):
    title, text = term["regrade_bug"]
    assert title == "Error" and BUG in text, (title, text[-3000:])
    assert "restored the earlier autograded" in text
    after, before = term["after_regrade_bug"], term["before_regrade_bug"]
    assert after["notebook"] == before["notebook"]           # back, byte for byte
    assert after["submitted"] == term["submitted_bytes"]["dan"]
    assert after["scores"] == before["scores"]
    assert term["submissions_page"]["dan"] == (10.0, 10.0)
    assert "Submission notebook file not found" not in term["dan_view"]
    assert "def forward_difference" in term["dan_view"], term["dan_view"][:2000]


def test_feedback_buttons_for_one_student_and_for_all(term):
    assert term["feedback_after_bob"] == {"ann": False, "bob": True, "cyd": False, "dan": False}
    assert term["feedback_after_all"] == {s: True for s in STUDENTS}
    # ann's alone, then everyone's
    assert len(term["fetched_one"]["ann"]) == 1 and term["fetched_one"]["bob"] == {}
    for student, expected in SCORES.items():
        pages = term["fetched_all"][student]
        assert len(pages) == 1, (student, sorted(pages))       # one page: the assignment's one notebook
        page = next(iter(pages.values()))
        assert page_score(page) == (expected, 10.0), student
        assert "BEGIN HIDDEN TESTS" not in page
    assert "forward difference" in next(iter(term["fetched_all"]["bob"].values()))


def test_gradebook_views_show_the_gradebook_and_make_grade_scores(term):
    assert term["gradebook_page"] == {s: (score, 10.0) for s, score in SCORES.items()}
    mean = sum(SCORES.values()) / len(SCORES)
    assert score_of(term["gradebook_assignment"]) == (round(mean, 2), 10.0)
    # make grade on the same submitted/ folder: the same score per cell as the buttons gave
    assert term["make_grade"] == term["gradebook"]
    assert {s: (total, 10.0) for s, total in totals_of(term["make_grade"]).items()} == term["gradebook_page"]
    assert term["grades_csv"] == SCORES
