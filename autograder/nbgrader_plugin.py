"""nbgrader's own Autograde (`nbgrader autograde`, Formgrader's Autograde button) grading
with the same sandboxed job and the same verdicts as `python -m autograder grade`.

nbgrader_config.py plugs two pieces into nbgrader's configurable Autograde converter:

* SafeSubmissionExporter reads each submitted notebook the way the job does (never through
  a link, never a special file, never past the size limit). What it cannot read becomes an
  empty notebook, so nbgrader carries on to the grading step, where the job refuses the
  submission with its reason, scores it zero and writes feedback that says why.
* GradeSubmission takes the place of nbgrader's Execute preprocessor: it runs
  `autograder.job.grade_submission` on the student's submitted folder with the seeds the
  CLI would draw (same course secret, same attempt) and the course's limits, and hands
  nbgrader the autograded notebook, whose test cells end with the score as a numeric
  execute_result. nbgrader's SaveAutoGrades records that as the cell's (partial) credit,
  and `nbgrader generate_feedback` renders the hidden cases and likely mistakes.
"""
import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor, OverwriteCells
from nbgrader.utils import compute_checksum

from . import sandbox
from .compile import compile_assignment
from .course import ensure_tools_on_path
from .limits import resolve_limits
from .sanitize import strip_submitted_metadata, valid_text
from .submission import SubmissionError, open_submission, read_regular_file


class SafeSubmissionExporter(NotebookExporter):
    """Autograde's exporter: reads a notebook without following links or reading special
    or oversized files; what it cannot read or parse is handed on as an empty notebook."""

    def from_filename(self, filename, resources=None, **kw):
        path = Path(filename)
        try:
            limit = resolve_limits(self.config, path.parent.name).notebook_max_bytes
            with open_submission(path.parent) as folder:
                raw = read_regular_file(path.name, folder, limit, path.name)
            nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
            # The student's metadata is not nbgrader's to trust: only the source's cells keep theirs.
            nb = strip_submitted_metadata(valid_text(nb), self._source_grade_ids(path.parent.name))
            nbformat.validate(nb)
        except Exception as error:  # noqa: BLE001  (any shape of notebook: the grader says why)
            self.log.warning("%s cannot be read as submitted (%s: %s); the grader will say why", filename,
                             type(error).__name__, str(error)[:200])
            nb = nbformat.v4.new_notebook()
        return self.from_notebook_node(nb, resources=resources, **kw)

    def _source_grade_ids(self, assignment):
        coursedir = CourseDirectory(config=self.config)
        source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
        ids = set()
        for notebook in source.glob("*.ipynb"):
            for cell in nbformat.read(notebook, as_version=4).cells:
                ids.add(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"))
        return ids - {None}


def refusal(config):
    """Why this nbgrader process may not run student code (no working sandbox, and the course did
    not choose to run it bare), or None."""
    if config.get("Autograder", {}).get("unsandboxed_i_trust_every_submission", False) or not sandbox.unavailable():
        return None
    return (f"refusing to run student code: {sandbox.unavailable()}, so it cannot be sandboxed; install it "
            "with `make sandbox` (root on Debian: apt-get install bubblewrap), or set "
            "c.Autograder.unsandboxed_i_trust_every_submission = True")


def refuse_before_touching_anything():
    """Patch nbgrader's Autograde so that our error loses no student's notebook. Applied once per
    process from nbgrader_config.py.

    * start fails closed before it converts anything when no sandbox works: once converting, nbgrader
      removes a student's earlier autograded notebook (with --force, which Formgrader's Autograde
      button always passes, or when the submission is newer) and, when grading fails, the new one too.
    * When grading a student fails anyway (our grader raised), nbgrader has already removed that
      student's earlier autograded folder, and the gradebook still holds its grades: the folder is
      kept aside before nbgrader removes it and put back (restore_failed)."""
    from nbgrader.converters import Autograde
    from nbgrader.converters.base import NbGraderException

    original = Autograde.start
    if getattr(original, "fails_closed", False):
        return
    original_init_destination = Autograde.init_destination

    def init_destination(self, assignment_id, student_id):
        kept = getattr(self, "_kept_autograded", None)
        dest = Path(os.path.normpath(self._format_dest(assignment_id, student_id)))
        if kept is not None and dest not in kept and dest.is_dir() and not dest.is_symlink():
            aside = Path(tempfile.mkdtemp(prefix="autograded-kept-")) / dest.name
            shutil.copytree(dest, aside, symlinks=True)
            kept[dest] = aside
        return original_init_destination(self, assignment_id, student_id)

    def start(self):
        why = refusal(self.config)
        if why is not None:
            self.log.error(why)
            raise NbGraderException(why)
        self._kept_autograded = {}
        try:
            return original(self)
        finally:
            kept, self._kept_autograded = self._kept_autograded, None
            restore_failed(kept, self.log)

    start.fails_closed = True
    start.__doc__ = original.__doc__
    init_destination.__doc__ = original_init_destination.__doc__
    Autograde.init_destination = init_destination
    Autograde.start = start


def restore_failed(kept, log):
    """Put back each autograded folder (or notebook) that nbgrader removed because grading that
    student failed: {folder: its copy from before}. A folder graded again is there, new: its copy
    is dropped."""
    for dest, aside in kept.items():
        try:
            if not dest.exists():
                shutil.copytree(aside, dest, symlinks=True)
                log.warning("Grading failed: restored the earlier autograded %s", dest)
            else:   # one notebook graded (--notebook): nbgrader removed only that one
                for notebook in aside.glob("*.ipynb"):
                    if not (dest / notebook.name).exists():
                        shutil.copy2(notebook, dest / notebook.name)
                        log.warning("Grading failed: restored the earlier autograded %s", dest / notebook.name)
        finally:
            shutil.rmtree(aside.parent, ignore_errors=True)


class OverwriteCellsQuietly(OverwriteCells):
    """nbgrader's OverwriteCells, without its false alarm (nbgrader issue 1961): the gradebook keeps
    each test cell's checksum with its hidden tests, a student's copy has them removed, so every
    unchanged test cell was reported as changed. A cell whose source equals the source's with its
    hidden tests removed is unchanged: it is restored without a warning; any other change is
    reported as nbgrader reports it."""

    def report_change(self, name, attr, old, new):
        if attr == "checksum" and self._unchanged_but_for_hidden_tests:
            return
        super().report_change(name, attr, old, new)

    def preprocess_cell(self, cell, resources, cell_index):
        self._unchanged_but_for_hidden_tests = False
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and cell.cell_type == "code":
            try:
                source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except Exception:  # noqa: BLE001  (nbgrader's own method says what is missing)
                source_cell = None
            if source_cell is not None and source_cell.locked:
                released = nbformat.from_dict(dict(cell))
                released.source = source_cell.source
                ClearHiddenTests(parent=self)._remove_hidden_test_region(released)
                self._unchanged_but_for_hidden_tests = released.source == cell.source
        return super().preprocess_cell(cell, resources, cell_index)


@functools.lru_cache(maxsize=4)
def _compiled(source_dir, assignment, mtime):
    return compile_assignment(source_dir, assignment)


@functools.lru_cache(maxsize=1)
def _run():
    """One grading run for this nbgrader process: its scratch folder and cgroups, cleaned
    at exit (and by the next run if this process is killed)."""
    from .runs import Run, clean_dead_runs
    clean_dead_runs(log=None)
    run = Run()
    atexit.register(run.close)
    return run


class GradeSubmission(NbGraderPreprocessor):
    """In place of nbgrader's Execute: grade the submission with the sandboxed job."""

    def preprocess(self, nb, resources):
        from .grade import build_job
        from .job import grade_submission
        from .seeds import load_secret

        ensure_tools_on_path()
        info = resources["nbgrader"]
        student, assignment = info["student"], info["assignment"]
        coursedir = CourseDirectory(config=self.config)
        root = Path(coursedir.root)
        source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
        submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
        notebook = source / f"{assignment}.ipynb"
        compiled = _compiled(str(source), assignment, notebook.stat().st_mtime_ns if notebook.exists() else 0)
        if Path(compiled.notebook).stem != info["notebook"]:
            self.log.warning("%s is not %s: left ungraded", info["notebook"], compiled.notebook)
            return nb, resources
        limits = resolve_limits(self.config, assignment)
        secret_file = self.config.get("Autograder", {}).get("secret_file") or None
        secret = load_secret(secret_file, root, log=self.log.info)
        # Fail closed: unsandboxed only when nbgrader_config.py says so, loudly.
        use_sandbox = not self.config.get("Autograder", {}).get("unsandboxed_i_trust_every_submission", False)
        if refusal(self.config):   # (Autograde.start refused already, unless the sandbox broke since)
            raise RuntimeError(f"{student}: {refusal(self.config)}")
        job = build_job(student, submitted, compiled, secret, limits, _run(), use_sandbox)
        if not use_sandbox:
            self.log.warning(sandbox.describe(use_sandbox))
        result = grade_submission(job)
        self.log.info("%s: %g / %g (%s)", student, result.score, result.max_score,
                      "; ".join([result.status, *([result.problem] if result.problem else []), *result.notes]))
        graded = nbformat.from_dict(result.notebook)
        nb.cells = graded.cells
        return nb, resources
