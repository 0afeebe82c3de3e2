"""Build submission folders for the grading tests."""
import hashlib
import shutil

import nbformat
from nbformat.v4 import new_code_cell

from conftest import REPO, nbgrader_meta, read_notebook

ASSIGNMENT = "a1_derivatives"   # the default; every helper takes assignment=


def source_of(assignment):
    return REPO / "source" / assignment / f"{assignment}.ipynb"


def release_of(assignment):
    return REPO / "release" / assignment / f"{assignment}.ipynb"


def points_of(grade_id, assignment=ASSIGNMENT):
    """Points as the instructor set them in the source notebook's metadata."""
    for cell in read_notebook(source_of(assignment)).cells:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            return float(nbgrader_meta(cell)["points"])
    raise KeyError(grade_id)


def solution(assignment=ASSIGNMENT):
    return read_notebook(source_of(assignment))


def blank(assignment=ASSIGNMENT):
    return read_notebook(release_of(assignment))


def submit(submissions, student, notebook=None, text=None, assignment=ASSIGNMENT):
    """A student's folder as collected: the notebook and the data files released beside it."""
    folder = submissions / student / assignment
    folder.mkdir(parents=True)
    for data in (REPO / "release" / assignment).iterdir():
        if data.is_file() and data.suffix != ".ipynb":
            shutil.copyfile(data, folder / data.name)
    target = folder / f"{assignment}.ipynb"
    if notebook is not None:
        nbformat.write(notebook, target)
    elif text is not None:
        target.write_text(text)
    return folder


def with_answer(grade_id, old, new, nb=None, assignment=ASSIGNMENT):
    nb = nb or solution(assignment)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            assert old in cell.source
            cell.source = cell.source.replace(old, new)
    return nb


def with_cell(code, after=None, nb=None, assignment=ASSIGNMENT):
    """Insert a code cell after the cell with grade_id `after` (or after the imports)."""
    nb = nb or solution(assignment)
    index = 1 if after is None else next(
        i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == after)
    nb.cells.insert(index + 1, new_code_cell(code))
    return nb


def tree_digest(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def answered(assignment, grade_id, code):
    """The solution with one answer cell replaced by `code` (how a student would write it)."""
    nb = solution(assignment)
    cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id]
    assert len(cells) == 1, grade_id
    cells[0].source = code.strip("\n")
    return nb


def check_mistake(result, tests, test, words, feedback_page, assignment, unaffected=None):
    """A registered mistake loses points on its own test, and every failing case names it; the
    tests in `unaffected` (by default all the others) keep every point. (Where later functions
    call earlier ones, a mistake in an earlier one may cost points further down too.)"""
    assert result.status == "graded", result.problem
    unaffected = [g for g in tests if g != test] if unaffected is None else unaffected
    for grade_id in [test] + list(unaffected):
        verdict = result.tests[grade_id]
        if grade_id == test:
            assert verdict.points < points_of(grade_id, assignment), f"kept every point of {grade_id}"
            failed = [c for c in verdict.cases if not c.passed]
            unnamed = [f"{c.label}: {c.message} (named: {c.mistake})" for c in failed
                       if words not in (c.mistake or "")]
            assert failed and not unnamed, "\n".join(unnamed)
        else:
            assert verdict.points == points_of(grade_id, assignment), (grade_id, verdict.cases)
    assert words in feedback_page.read_text()


def grade_with_mistakes(base, assignment, mistakes):
    """Grade the solution, the blank release and one submission per (student, test, words, code)
    mistake, as `python -m autograder grade` does; return ({student: result}, base)."""
    from autograder.grade import grade_assignment  # here: only the grading tests need it
    submissions = base / "submitted"
    submit(submissions, "solution", solution(assignment), assignment=assignment)
    submit(submissions, "blank", blank(assignment), assignment=assignment)
    for student, test, _, code in mistakes:
        submit(submissions, student, answered(assignment, test.removeprefix("test_"), code), assignment=assignment)
    (base / "secret").write_text(f"{assignment}-secret-0123456789abcdef\n")
    results, _ = grade_assignment(REPO, assignment, submissions, base / "out",
                                  db_url=f"sqlite:///{base / 'gradebook.db'}", workers=2,
                                  secret_file=base / "secret", log=lambda *_: None)
    return {r.student_id: r for r in results}, base
