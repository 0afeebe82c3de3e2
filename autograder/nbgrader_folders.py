"""`make grade`'s results where nbgrader's own commands look for them.

When the submissions graded are the course's own submitted/ folder (what `nbgrader collect`
fills), each result is also written in nbgrader's layout:

    <course>/autograded/<student>/<assignment>/<notebook>.ipynb   (read by generate_feedback)
    <course>/feedback/<student>/<assignment>/<notebook>.html      (read by release_feedback)

each folder with the submission's timestamp.txt and submission_secret.txt (written by
`nbgrader submit`; release_feedback names the released page with a hash of the secret, which is
how the student's fetch_feedback finds it). So after `make grade`, `nbgrader release_feedback`
hands back the grader's pages as they are, and `nbgrader generate_feedback` can render them again
from the autograded notebooks and the gradebook: the same scores either way.

The two small files are read from the submission as regular files only (never through a link;
the exchange is writable by students) and are left out, with the stale copies of an earlier
attempt removed, when the submission has none.
"""
import os
from pathlib import Path

import nbformat
from nbgrader.coursedir import CourseDirectory

from .course import course_config
from .submission import SubmissionError, open_submission, read_regular_file

SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")
SMALL_FILE_BYTES = 10_000   # nbgrader writes 26 and 128 characters


class NbgraderFolders:
    """The course's autograded/ and feedback/ folders, as its nbgrader_config.py names them."""

    def __init__(self, root):
        config = course_config(root, CourseDirectory__root=str(Path(root).resolve()))
        self.coursedir = CourseDirectory(config=config)

    def autograded(self, student, assignment):
        return Path(self.coursedir.format_path(self.coursedir.autograded_directory, student, assignment))

    def feedback(self, student, assignment):
        return Path(self.coursedir.format_path(self.coursedir.feedback_directory, student, assignment))

    def write(self, student, assignment, notebook_name, notebook, page, submission):
        """The autograded notebook (a dict; None when the submission could not be run: an earlier
        one is then removed, so generate_feedback cannot render a stale attempt) and the feedback
        page (str), each beside the submission's timestamp.txt and submission_secret.txt.
        Returns what was left out of the two small files, and why (for a warning)."""
        files, problems = submission_files(submission)
        stem = Path(notebook_name).stem
        autograded = self.autograded(student, assignment)
        if notebook is not None:
            _write(autograded, notebook_name, nbformat.writes(nbformat.from_dict(notebook)).encode("utf-8"), files)
        else:
            (autograded / notebook_name).unlink(missing_ok=True)
        _write(self.feedback(student, assignment), f"{stem}.html", page.encode("utf-8", "replace"), files)
        return problems


def submission_files(submission):
    """({name: bytes} of timestamp.txt and submission_secret.txt in the submission folder, read as
    regular files only, [what could not be read])."""
    files, problems = {}, []
    try:
        with open_submission(submission) as fd:
            for name in SUBMISSION_FILES:
                try:
                    files[name] = read_regular_file(name, fd, SMALL_FILE_BYTES, name)
                except SubmissionError as error:
                    if "missing" not in str(error):
                        problems.append(f"{name}: {error}")
    except (SubmissionError, OSError) as error:
        problems.append(str(error))
    return files, problems


def _write(folder, name, data, files):
    folder.mkdir(parents=True, exist_ok=True)
    _replace(folder / name, data)
    for small in SUBMISSION_FILES:
        if small in files:
            _replace(folder / small, files[small])
        else:
            (folder / small).unlink(missing_ok=True)   # an earlier attempt's: not this one's


def _replace(path, data):
    """Write `path` whole or not at all (nbgrader's release may read it meanwhile)."""
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as out:
        out.write(data)
    os.replace(temporary, path)
