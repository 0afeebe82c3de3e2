"""Grades out to an LMS: `python -m autograder export --format canvas|moodle --out FILE`.

Reads nbgrader's gradebook (nbgrader.api.Gradebook) and writes the grade-import CSV of Canvas or
Moodle, one row per student, one column per assignment. A score is computed as nbgrader's own
`nbgrader export` (CsvExportPlugin) computes it: the submission's score minus its late-submission
penalty, never below 0; a student with no submission for an assignment gets 0, as nbgrader's
export gives, written out because both LMSs read a blank cell as "leave this grade unchanged".

Canvas (Grades > Import): the columns of its gradebook export, `Student, ID, SIS User ID,
SIS Login ID, Section`, then one column per assignment. Canvas matches a row to a student by one
of ID (Canvas's own numeric user id), SIS User ID or SIS Login ID; nbgrader's student id goes
into the one chosen with --canvas-match (default SIS Login ID), the others are left blank. An
assignment column whose name matches no Canvas assignment becomes a new assignment on import.
With --points-possible a second row, "Points Possible", gives each assignment's maximum.

Moodle (Grade administration > Import > CSV file): a header row, an identifier column and one
column per grade item; on import, "Identify user by" maps the identifier column (username,
ID number or email address, chosen here with --moodle-match, default username) and each
assignment column is mapped to a grade item.

Text cells (names, ids, emails) come from the gradebook and may be hostile: one that a
spreadsheet would read as a formula is written with a leading apostrophe (report.spreadsheet_cell,
the rule grades.csv follows); every cell is quoted as the csv module quotes.
"""
import csv
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from .course import CourseError
from .report import spreadsheet_cell

FORMATS = ("canvas", "moodle")
CANVAS_MATCH = {"sis-login-id": "SIS Login ID", "sis-user-id": "SIS User ID", "id": "ID"}
MOODLE_MATCH = {"username": "username", "idnumber": "idnumber", "email": "email"}


def safe_text(value):
    """A text cell a spreadsheet will not run (report.spreadsheet_cell, as grades.csv); None is blank."""
    return spreadsheet_cell("" if value is None else value)


def number(value):
    """A score as the LMS reads it: no trailing .0, at most 4 decimals."""
    return f"{round(float(value), 4):g}"


def gradebook_scores(db_url, assignments=None):
    """(assignments [(name, max_score)], students [Student], scores {(assignment, student): points})
    with nbgrader export's rule: max(0, score - late_submission_penalty), 0 without a submission."""
    with Gradebook(db_url) as gradebook:
        known = [a.name for a in gradebook.assignments]
        if assignments:
            unknown = [name for name in assignments if name not in known]
            if unknown:
                raise CourseError(f"no assignment {', '.join(map(repr, unknown))} in the gradebook "
                                  f"(it has: {', '.join(known) or 'none'})")
            chosen = list(dict.fromkeys(assignments))
        else:
            chosen = known
        items = [(name, gradebook.find_assignment(name).max_score) for name in chosen]
        students = [(s.id, s.first_name, s.last_name, s.email) for s in gradebook.students]
        scores = {}
        for name in chosen:
            for student_id, *_ in students:
                try:
                    submission = gradebook.find_submission(name, student_id)
                except MissingEntry:
                    scores[name, student_id] = 0.0
                else:
                    scores[name, student_id] = max(0.0, submission.score - submission.late_submission_penalty)
    return items, students, scores


def _name(first, last):
    return ", ".join(part for part in (last, first) if part)


def canvas_rows(items, students, scores, match="sis-login-id", points_possible=False):
    column = CANVAS_MATCH[match]
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] + [safe_text(name) for name, _ in items]
    rows = [header]
    if points_possible:
        rows.append(["Points Possible", "", "", "", ""] + [number(top) for _, top in items])
    for student_id, first, last, _email in students:
        ids = {key: "" for key in ("ID", "SIS User ID", "SIS Login ID")}
        ids[column] = safe_text(student_id)
        rows.append([safe_text(_name(first, last) or student_id), ids["ID"], ids["SIS User ID"],
                     ids["SIS Login ID"], ""] + [number(scores[name, student_id]) for name, _ in items])
    return rows


def moodle_rows(items, students, scores, match="username"):
    column = MOODLE_MATCH[match]
    rows = [[column, "First name", "Last name"] + [safe_text(name) for name, _ in items]]
    for student_id, first, last, email in students:
        key = email if match == "email" else student_id
        if match == "email" and not email:
            raise CourseError(f"student {student_id!r} has no email in the gradebook: export with "
                              "--moodle-match username or idnumber, or add the email (nbgrader db student add)")
        rows.append([safe_text(key), safe_text(first), safe_text(last)]
                    + [number(scores[name, student_id]) for name, _ in items])
    return rows


def export_grades(db_url, fmt, out, assignments=None, canvas_match="sis-login-id", moodle_match="username",
                  points_possible=False):
    """Write the LMS CSV to OUT; returns (out, number of students, number of assignments)."""
    if fmt not in FORMATS:
        raise CourseError(f"unknown format {fmt!r}: give one of {', '.join(FORMATS)}")
    if db_url.startswith("sqlite:///"):
        path = Path(db_url[len("sqlite:///"):])
        if not path.is_file():
            # Gradebook() would create an empty one and export nothing.
            raise CourseError(f"no gradebook at {path} (give --db, or grade an assignment first)")
    items, students, scores = gradebook_scores(db_url, assignments)
    if not items:
        raise CourseError("the gradebook has no assignments to export")
    rows = (canvas_rows(items, students, scores, canvas_match, points_possible) if fmt == "canvas"
            else moodle_rows(items, students, scores, moodle_match))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows(rows)
    return out, len(students), len(items)
