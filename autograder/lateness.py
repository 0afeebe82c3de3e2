"""Deadlines in nbgrader's own terms, for `python -m autograder grade` as for `nbgrader autograde`.

The due date is the gradebook's (`nbgrader db assignment add A --duedate=...`, or Formgrader's
"Manage Assignments"), an extension is the gradebook's per-submission `extension`
(`python -m autograder extend A STUDENT --hours N`), the submission's time is nbgrader's
`timestamp.txt` (written by `nbgrader submit`, kept by `collect`), and the penalty is what the
course's late-submission plugin (`c.AssignLatePenalties.plugin_class`, by default nbgrader's
LateSubmissionPlugin with `c.LateSubmissionPlugin.penalty_method`) says, bounded as nbgrader's
AssignLatePenalties bounds it (0 to the score).
"""
import datetime
from dataclasses import dataclass

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import AssignLatePenalties
from nbgrader.utils import parse_utc

from .course import CourseError
from .submission import SubmissionError, open_submission, read_regular_file


@dataclass
class Lateness:
    submitted: datetime.datetime | None = None   # nbgrader's timestamp.txt, UTC (naive, as nbgrader keeps it)
    due: datetime.datetime | None = None         # the assignment's due date plus any extension
    extension: datetime.timedelta | None = None
    seconds_late: float = 0.0
    penalty: float = 0.0                         # points taken off the score
    note: str = ""                               # what the student and the instructor are told

    @property
    def late(self):
        return self.seconds_late > 0


def submitted_at(folder):
    """The submission's time from its timestamp.txt (read without following links), or None
    (with why) when there is none or it cannot be read."""
    try:
        with open_submission(folder) as fd:
            raw = read_regular_file("timestamp.txt", fd, 1000, "timestamp.txt")
    except SubmissionError:
        return None, "no timestamp.txt"
    text = raw.decode("utf-8", "replace").strip()
    try:
        return parse_utc(text), ""
    except (ValueError, OverflowError):
        return None, f"timestamp.txt is not a time nbgrader can read ({text[:40]!r})"


def due_date(gradebook, assignment, student):
    """(due date with the student's extension, the extension) from the gradebook."""
    try:
        due = gradebook.find_assignment(assignment).duedate
    except MissingEntry:
        return None, None
    try:
        extension = gradebook.find_submission(assignment, student).extension
    except MissingEntry:
        extension = None
    if due is not None and extension is not None:
        due = due + extension
    return due, extension


def late_penalty(config, student, score, seconds_late):
    """The course's late-submission plugin's penalty, bounded to [0, score] as nbgrader bounds it."""
    if seconds_late <= 0:
        return 0.0
    assigner = AssignLatePenalties(config=config)
    assigner.init_plugin()
    penalty = assigner.plugin_inst.late_submission_penalty(student, score, seconds_late)
    if penalty is None:
        return 0.0
    return float(min(max(penalty, 0.0), score))


def assess(config, gradebook, assignment, student, folder, score):
    submitted, why = submitted_at(folder)
    due, extension = due_date(gradebook, assignment, student)
    seconds = max(0.0, (submitted - due).total_seconds()) if submitted and due else 0.0
    penalty = late_penalty(config, student, score, seconds)
    return Lateness(submitted, due, extension, seconds, penalty, describe(submitted, due, extension, seconds,
                                                                          penalty, why))


def describe(submitted, due, extension, seconds, penalty, why=""):
    if due is None:
        return ""
    stamp = f"submitted {submitted:%Y-%m-%d %H:%M:%S} UTC" if submitted else f"submission time unknown ({why})"
    granted = f", with an extension of {_span(extension.total_seconds())}" if extension else ""
    when = f"due {due:%Y-%m-%d %H:%M:%S} UTC{granted}"
    if seconds <= 0:
        return f"{stamp}, {when}: on time"
    cost = f"a late penalty of {penalty:g} points" if penalty else "no late penalty"
    return f"{stamp}, {when}: {_span(seconds)} late, {cost}"


def _span(seconds):
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes)
    return " ".join(parts) or f"{seconds} s"


def extend(root, db_url, assignment, student, hours):
    """Record an extension of `hours` (0 removes it) for one student's submission in the gradebook.
    The assignment's grade cells are recorded first (as grading records them): once a submission
    exists, nbgrader refuses to record them."""
    import tempfile
    from pathlib import Path

    from .compile import compile_assignment
    from .course import require_assignment
    from .grade import record_assignment

    if not (0 <= hours <= 24 * 366):
        raise CourseError(f"--hours {hours:g}: an extension is between 0 and 8784 hours (a year)")
    with Gradebook(db_url) as gradebook:
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(f"the gradebook {db_url} has no assignment {assignment!r}: give it a due date "
                              f"first (nbgrader db assignment add {assignment} --duedate=...)") from None
    source = require_assignment(root, assignment)
    with tempfile.TemporaryDirectory() as scratch:
        record_assignment(root, assignment, source, compile_assignment(source, assignment), db_url,
                          Path(scratch) / "workspace")
    with Gradebook(db_url) as gradebook:
        try:
            due = gradebook.find_assignment(assignment).duedate
        except MissingEntry:
            raise CourseError(f"the gradebook {db_url} has no assignment {assignment!r}")
        gradebook.update_or_create_student(student)
        extension = datetime.timedelta(hours=hours) if hours else None
        gradebook.update_or_create_submission(assignment, student, extension=extension)
        gradebook.db.commit()
    if due is None:
        return (f"{student}: an extension of {hours:g} h recorded for {assignment}, which has no due date yet "
                f"(nbgrader db assignment add {assignment} --duedate=...)")
    until = due + extension if extension else due
    return f"{student}: {assignment} now due {until:%Y-%m-%d %H:%M:%S} UTC" + (f" ({hours:g} h extension)" if hours else "")
