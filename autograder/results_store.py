"""Finished results, kept as each submission finishes, so that a grading run that stops part-way
(a crash, Ctrl-C, a lost machine) can be started again and grade only what is missing or changed.

A result is reused only when its fingerprint matches: the submission's content, the compiled
assignment (solution, tests, data files, harness), the limits, the sandbox setting and the
student's seeds (which follow from the secret and the attempt). Anything else grades again.
"""
import dataclasses
import hashlib
import json
import os
import pickle
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

FORMAT = 6                       # bump when SubmissionResult changes shape
MAX_HASHED_BYTES = 256 * 2**20   # a bigger submission is always graded again, never hashed in full


def compiled_digest(compiled):
    """What decides a verdict besides the submission: every source cell, the grader's code (what the
    kernel runs, the recording and the judging of hidden tests), the data files."""
    digest = hashlib.sha256()
    digest.update(json.dumps([compiled.name, compiled.notebook, compiled.cells], sort_keys=True,
                             default=str).encode())
    digest.update(compiled.kernel_side_source.encode())
    for module in ("harness.py", "plans.py", "verdict.py", "hidden.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    for name, content in sorted(compiled.data_files.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


def submission_digest(folder):
    """The content of every regular file under `folder`, and the names of the links, special files
    and hard links the job leaves out (the feedback lists them); None if the folder cannot be read
    or is too big to hash."""
    digest, total = hashlib.sha256(), 0
    folder = Path(folder)
    if folder.is_symlink() or folder.parent.is_symlink():   # a linked student: refused by the job, never read
        return None
    try:
        for directory, subfolders, files in os.walk(folder):   # does not follow links to folders
            subfolders.sort()
            for name in sorted(files + [d for d in subfolders if Path(directory, d).is_symlink()]):
                path = Path(directory, name)
                info = path.lstat()
                if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
                    # not read, but its presence is in the feedback's notes (left out, and why)
                    digest.update(b"not copied\0" + os.fsencode(path.relative_to(folder)) + b"\0"
                                  + str(stat.S_IFMT(info.st_mode)).encode() + b"\0")
                    continue
                total += info.st_size
                if total > MAX_HASHED_BYTES:
                    return None
                digest.update(os.fsencode(path.relative_to(folder)) + b"\0")
                with open(path, "rb", opener=lambda p, flags: os.open(p, flags | os.O_NOFOLLOW)) as file:
                    for block in iter(lambda: file.read(1 << 20), b""):
                        digest.update(block)
                digest.update(b"\0")
    except OSError:
        return None
    return digest.hexdigest()


def fingerprint(job, compiled_hash, environment=""):
    """None when the submission cannot be hashed (it is then always graded). `environment`
    names what else changes a result: whether the kernel can really be sandboxed here."""
    content = submission_digest(job.submission)
    if content is None:
        return None
    parts = [FORMAT, compiled_hash, content, repr(job.limits), job.use_sandbox, environment,
             sorted(job.seeds.items())]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class ResultStore:
    """OUT/results/<student>.pickle: two pickles one after the other, (fingerprint, the result
    without its notebook and feedback page) and then (notebook, page), replaced atomically, so that
    reading a result back for the gradebook or the report reads only the first, whatever the size
    of its notebook. Only the grading process writes here, and only it reads it back (pickle:
    never load one from elsewhere)."""

    def __init__(self, out):
        self.folder = Path(out) / "results"

    def _path(self, student):
        return self.folder / f"{student}.pickle"

    def _read(self, student, pages):
        """(fingerprint, result), with the result's notebook and page when `pages`; None if missing,
        torn or from another version (it is then graded again)."""
        try:
            with open(self._path(student), "rb") as file:
                stored_format, key, result = pickle.load(file)
                if stored_format != FORMAT:
                    return None
                if pages:
                    result.notebook, result.feedback_html = pickle.load(file)
                return key, result
        except Exception:  # noqa: BLE001
            return None

    def load(self, student, key, pages=True):
        """The result kept for `student` if its fingerprint is `key`, else None; with its notebook
        and feedback page when `pages`."""
        stored = self._read(student, pages) if key is not None else None
        return stored[1] if stored and stored[0] == key else None

    def summary(self, student):
        """The result last kept for `student`, without notebook and page, whatever its fingerprint."""
        stored = self._read(student, pages=False)
        return stored[1] if stored else None

    def save(self, student, key, result):
        if key is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        light = dataclasses.replace(result, notebook=None, feedback_html=None)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{student}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                pickle.dump((FORMAT, key, light), file, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump((result.notebook, result.feedback_html), file, protocol=pickle.HIGHEST_PROTOCOL)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self._path(student))   # a reader sees the old result or the new one
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


class StoredResults(Sequence):
    """A run's results in student order, read back from the store one at a time when asked for,
    so that the grading process never holds them all (a thousand a1 notebooks and pages are
    about 400 MB). Results the store does not keep (a grader failure, a submission too big to
    fingerprint) are held here, without their notebooks and pages."""

    def __init__(self, store, students):
        self.store, self.students, self.held = store, list(students), {}
        self.lateness = {}   # student -> lateness.Lateness, as the gradebook's due dates stand this run

    def hold(self, result):
        self.held[result.student_id] = dataclasses.replace(result, notebook=None, feedback_html=None)

    def __len__(self):
        return len(self.students)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        student = self.students[index]
        result = self.held.get(student) or self.store.summary(student)
        if result is None:
            raise LookupError(f"the result for {student} is neither kept in {self.store.folder} nor held")
        return result
