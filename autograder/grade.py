"""Grade a folder of submissions with nbgrader and collect scores and feedback.

The submissions folder is laid out like nbgrader's submitted/
(DIR/<student_id>/<assignment>/<assignment>.ipynb) and is only ever read: every
submission is copied into a grading workspace under OUT first.
"""
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from .course import CourseError, course_config, require_assignment


@dataclass
class StudentResult:
    student_id: str
    score: float = 0.0
    max_score: float = 0.0
    tests: dict = field(default_factory=dict)   # grade_id -> points earned
    status: str = "graded"
    feedback: Path | None = None


def graded_cells(source_notebook):
    """(grade_id, points) of every graded cell, in notebook order."""
    nb = nbformat.read(source_notebook, as_version=4)
    return [(cell.metadata["nbgrader"]["grade_id"], float(cell.metadata["nbgrader"].get("points", 0)))
            for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("grade")]


def student_folders(submissions):
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise CourseError(f"submissions folder {submissions} does not exist")
    students = sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not students:
        raise CourseError(f"submissions folder {submissions} holds no student folders")
    return students


def grade_assignment(root, assignment, submissions, out, db_url=None, log=print):
    """Grade every student folder in `submissions`; return a list of StudentResult."""
    root, out, submissions = Path(root).resolve(), Path(out).resolve(), Path(submissions).resolve()
    source = require_assignment(root, assignment)
    students = student_folders(submissions)
    cells = graded_cells(source / f"{assignment}.ipynb")
    max_score = sum(points for _, points in cells)
    db_url = db_url or f"sqlite:///{root / 'gradebook.db'}"

    workspace = out / "workspace"
    if workspace.exists():
        shutil.rmtree(workspace)
    shutil.copytree(source, workspace / "source" / assignment)
    config = course_config(root, CourseDirectory__root=str(workspace), CourseDirectory__db_url=db_url)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    # Generating with the database records the grade cells and the hidden tests
    # that autograde restores into each submission.
    generated = api.generate_assignment(assignment, force=True, create=True)
    if not generated["success"]:
        raise CourseError(f"nbgrader could not generate {assignment}: {generated.get('error')}")

    results = []
    for number, student in enumerate(students, 1):
        log(f"[{number}/{len(students)}] {student}")
        result = StudentResult(student, max_score=max_score, tests={grade_id: 0.0 for grade_id, _ in cells})
        results.append(result)
        notebook = submissions / student / assignment / f"{assignment}.ipynb"
        if not notebook.is_file():
            result.status = f"missing notebook: expected {student}/{assignment}/{assignment}.ipynb"
            continue
        problem = notebook_problem(notebook)
        if problem:
            result.status = f"unreadable notebook: {problem}"
            continue
        shutil.copytree(submissions / student / assignment, workspace / "submitted" / student / assignment)
        graded = api.autograde(assignment, student, force=True, create=True)
        if not graded["success"]:
            result.status = "grading failed: " + _last_line(graded.get("error") or graded.get("log"))
            continue
        _read_scores(db_url, assignment, student, result)
        feedback = api.generate_feedback(assignment, student, force=True)
        html = workspace / "feedback" / student / assignment / f"{assignment}.html"
        if feedback["success"] and html.is_file():
            result.feedback = out / "feedback" / student / f"{assignment}.html"
            result.feedback.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(html, result.feedback)
        else:
            result.status = "graded; feedback failed: " + _last_line(feedback.get("error"))
    return results


def notebook_problem(path):
    """A one-line description of why `path` is not a gradable notebook, or None."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat raises JSON, validation and version errors alike
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"{type(error).__name__}: {message}"
    return None


def _read_scores(db_url, assignment, student, result):
    with Gradebook(db_url) as gradebook:
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            result.status = "grading failed: no gradebook record"
            return
        result.score = float(submission.score)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name in result.tests:
                    result.tests[grade.name] = float(grade.score)


def _last_line(text):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no details"
