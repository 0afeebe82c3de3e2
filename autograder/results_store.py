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

FORMAT = 4                       # bump when SubmissionResult changes shape
MAX_HASHED_BYTES = 256 * 2**20   # a bigger submission is always graded again, never hashed in full


def compiled_digest(compiled):
    """What decides the reference: every source cell, the harness, the data files."""
    digest = hashlib.sha256()
    digest.update(json.dumps([compiled.name, compiled.notebook, compiled.cells], sort_keys=True,
                             default=str).encode())
    digest.update(compiled.harness_source.encode())
    for name, content in sorted(compiled.data_files.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


def submission_digest(folder):
    """The content of every regular file under `folder`, links and special files left out as the
    job leaves them out; None if the folder cannot be read or is too big to hash."""
    digest, total = hashlib.sha256(), 0
    folder = Path(folder)
    if folder.is_symlink() or folder.parent.is_symlink():   # a linked student: refused by the job, never read
        return None
    try:
        for directory, subfolders, files in os.walk(folder):   # does not follow links to folders
            subfolders.sort()
            for name in sorted(files):
                path = Path(directory, name)
                info = path.lstat()
                if not stat.S_ISREG(info.st_mode):
                    continue
                total += info.st_size
                if total > MAX_HASHED_BYTES:
                    return None
                digest.update(str(path.relative_to(folder)).encode() + b"\0")
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
    """OUT/results/<student>.pickle: (fingerprint, the result without its notebook and feedback
    page, and those two pickled apart), replaced atomically. Reading a result back for the gradebook
    or the report then costs little, whatever the size of its notebook. Only the grading process
    writes here, and only it reads it back (pickle: never load one from elsewhere)."""

    def __init__(self, out):
        self.folder = Path(out) / "results"

    def _path(self, student):
        return self.folder / f"{student}.pickle"

    def _read(self, student):
        try:
            with open(self._path(student), "rb") as file:
                return pickle.load(file)
        except Exception:  # noqa: BLE001  (missing, torn or from another version: grade again)
            return None

    def load(self, student, key, pages=True):
        """The result kept for `student` if its fingerprint is `key`, else None; with its notebook
        and feedback page when `pages`."""
        stored = self._read(student) if key is not None else None
        if not stored or len(stored) != 3 or stored[0] != key:
            return None
        _, result, heavy = stored
        if pages:
            result.notebook, result.feedback_html = pickle.loads(heavy)
        return result

    def summary(self, student):
        """The result last kept for `student`, without notebook and page, whatever its fingerprint."""
        stored = self._read(student)
        return stored[1] if stored and len(stored) == 3 else None

    def save(self, student, key, result):
        if key is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        heavy = pickle.dumps((result.notebook, result.feedback_html), protocol=pickle.HIGHEST_PROTOCOL)
        light = dataclasses.replace(result, notebook=None, feedback_html=None)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{student}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                pickle.dump((key, light, heavy), file, protocol=pickle.HIGHEST_PROTOCOL)
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
