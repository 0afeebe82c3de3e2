"""Read a submission folder without trusting it: regular files inside it, nothing else.

Students can place links where submissions are collected (nbgrader's exchange inbound
folder is writable by all of them; tar archives carry links), so a submission may hold a
link to the instructor's source notebook, a FIFO that blocks whoever opens it, or a
notebook of many gigabytes. Everything here walks with directory file descriptors and
O_NOFOLLOW, so a link is never followed, even one swapped in while we read; special files
are never opened for reading; sizes are checked before anything is parsed.
"""
import hashlib
import os
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .limits import size

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
IGNORED = {".ipynb_checkpoints", "__pycache__"}
MAX_ENTRIES = 10_000   # files and folders copied from one submission
MAX_DEPTH = 20


class SubmissionError(Exception):
    """Why a submission cannot be graded as it stands, in one line the student can act on."""


def kind_of(mode):
    if stat.S_ISLNK(mode):
        return "a link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def _lstat(name, dir_fd):
    try:
        return os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return None


def _open_dir(name, dir_fd, shown):
    st = _lstat(name, dir_fd)
    if st is None:
        raise SubmissionError(f"missing folder: expected {shown}")
    if not stat.S_ISDIR(st.st_mode):
        raise SubmissionError(f"refused: {shown} is {kind_of(st.st_mode)}, not a folder; "
                              "submit the folder itself")
    try:
        return os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except OSError as error:  # swapped for a link since the lstat, or unreadable
        raise SubmissionError(f"refused: {shown} could not be opened as a folder "
                              f"({error.strerror})") from None


@contextmanager
def open_submission(folder, depth=2):
    """A descriptor for DIR/<student>/<assignment>, opened without following a link at the
    student's or the assignment's level (DIR itself is the instructor's and is trusted).
    `depth` is how many of the path's last parts are opened so: nbgrader's exchange opens
    ROOT/<course>/inbound/<submission> with 3, trusting only its root."""
    folder = Path(folder)
    parts = folder.parts[-depth:]
    base = os.open(folder.parents[depth - 1], os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    fds = [base]
    try:
        for name in parts:
            fds.append(_open_dir(name, fds[-1], f"{name}/"))
        yield fds[-1]
    finally:
        for fd in reversed(fds):
            os.close(fd)


def read_regular_file(name, dir_fd, max_bytes, shown):
    """The bytes of the regular file `name`, refused if it is a link, a special file or
    larger than `max_bytes` (checked before reading)."""
    st = _lstat(name, dir_fd)
    if st is None:
        raise SubmissionError(f"missing notebook: expected {shown}")
    if not stat.S_ISREG(st.st_mode):
        what = "submit the notebook itself" if stat.S_ISLNK(st.st_mode) else "submit a saved notebook"
        raise SubmissionError(f"refused: {shown} is {kind_of(st.st_mode)}, not a file; {what}")
    if st.st_nlink > 1:  # the same file as one elsewhere: whose work is it?
        raise SubmissionError(f"refused: {shown} is a hard link to another file; submit a copy of the notebook")
    if st.st_size > max_bytes:
        raise SubmissionError(f"refused: {shown} is {size(st.st_size)}, over the "
                              f"{size(max_bytes)} limit for a notebook")
    try:
        fd = os.open(name, FILE_FLAGS, dir_fd=dir_fd)
    except OSError as error:
        raise SubmissionError(f"refused: {shown} could not be opened ({error.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        opened = os.fstat(handle.fileno())   # what was opened, not what was looked at before
        if not stat.S_ISREG(opened.st_mode):
            raise SubmissionError(f"refused: {shown} is not a regular file")
        if opened.st_nlink > 1:
            raise SubmissionError(f"refused: {shown} is a hard link to another file; submit a copy of the notebook")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SubmissionError(f"refused: {shown} is over the {size(max_bytes)} limit for a notebook")
    return data


def copy_regular_files(dir_fd, target, budget, leave_out=None):
    """Copy the regular files and folders under `dir_fd` into `target` (created), never
    following a link. Returns (bytes copied, entries copied, skipped) where skipped lists
    "path (why)" for every link, special file, or file past the byte `budget`.

    `leave_out(relative path, lstat)`, if given, is asked about each folder and regular file:
    None copies it, a reason leaves it out and lists it with that reason ("" leaves it out
    unlisted, for what the caller handles itself). Folders already in `target` are kept and
    files replaced, never written through a link."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)

    def keep(relative, data):
        if data is None:
            (target / relative).mkdir(exist_ok=True)
            if (target / relative).is_symlink():
                raise SubmissionError(f"refused: {target / printable(relative)} is a link; remove it")
        else:
            fd = os.open(target / relative, WRITE_FLAGS, 0o666)
            with os.fdopen(fd, "wb") as out:
                out.write(data)

    state = _walk(dir_fd, "", budget, keep, leave_out)
    return state["bytes"], state["entries"], state["skipped"]


def pack_regular_files(dir_fd, budget):
    """What `copy_regular_files` would copy, as data for a job on another machine: a list of
    (relative path, bytes, or None for a folder) in the order to create them, and skipped."""
    entries = []
    state = _walk(dir_fd, "", budget, lambda relative, data: entries.append((relative, data)))
    return entries, state["skipped"]


def unpack_regular_files(entries, target):
    """Create what `pack_regular_files` packed under `target`; returns (bytes, entries)."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    total = 0
    for relative, data in entries:
        path = target / relative
        if not path.resolve().is_relative_to(target.resolve()):  # never outside, whoever packed it
            raise SubmissionError(f"refused: a packed path leaves the submission folder: {relative}")
        if data is None:
            path.mkdir(exist_ok=True)
        else:
            path.write_bytes(data)
            total += len(data)
    return total, len(entries)


def _walk(dir_fd, prefix, budget, keep, leave_out=None):
    state = {"bytes": 0, "entries": 0, "skipped": []}
    _copy(dir_fd, prefix, budget, state, 0, keep, leave_out)
    return state


def _left_out(leave_out, relative, st, shown, state):
    """Whether the caller's `leave_out` leaves this folder or file out (listed with its reason)."""
    reason = leave_out(relative, st) if leave_out else None
    if reason:
        state["skipped"].append(f"{shown}{'/' if stat.S_ISDIR(st.st_mode) else ''} ({reason})")
    return reason is not None


def _copy(dir_fd, prefix, budget, state, depth, keep, leave_out=None):
    with os.scandir(dir_fd) as entries:
        names = sorted(entry.name for entry in entries)
    for name in names:
        if name in IGNORED:
            continue
        relative = prefix + name
        shown = printable(relative)   # for messages: a name need not be valid UTF-8
        if state["entries"] >= MAX_ENTRIES:
            state["skipped"].append(f"{shown} (more than {MAX_ENTRIES:,} files)")
            continue
        st = _lstat(name, dir_fd)
        if st is None:
            continue
        if (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)) and _left_out(leave_out, relative, st, shown, state):
            continue
        if stat.S_ISDIR(st.st_mode):
            if depth >= MAX_DEPTH:
                state["skipped"].append(f"{shown}/ (folders nested more than {MAX_DEPTH} deep)")
                continue
            try:
                child = os.open(name, DIR_FLAGS, dir_fd=dir_fd)
            except OSError:
                state["skipped"].append(f"{shown}/ (could not be opened)")
                continue
            try:
                state["entries"] += 1
                keep(relative, None)
                _copy(child, relative + "/", budget, state, depth + 1, keep, leave_out)
            finally:
                os.close(child)
        elif stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            state["skipped"].append(f"{shown} (a hard link to another file)")
        elif stat.S_ISREG(st.st_mode):
            if state["bytes"] + st.st_size > budget:
                state["skipped"].append(f"{shown} ({size(st.st_size)}: over the {size(budget)} "
                                        "allowed for a submission's files)")
                continue
            data = _read_file(name, dir_fd, budget - state["bytes"])
            if data is None:
                state["skipped"].append(f"{shown} (could not be read as a regular file)")
            else:
                keep(relative, data)
                state["bytes"] += len(data)
                state["entries"] += 1
        else:
            state["skipped"].append(f"{shown} ({kind_of(st.st_mode)})")


def printable(name):
    """A file name as text that can be written anywhere: bytes that are not UTF-8 (which
    os.listdir hands back as lone surrogates) shown as \\xNN."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _read_file(name, dir_fd, budget):
    try:
        fd = os.open(name, FILE_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as source:
        if not stat.S_ISREG(os.fstat(source.fileno()).st_mode):
            return None
        data = source.read(budget + 1)
    return None if len(data) > budget else data


@dataclass
class PackedSubmission:
    """A submission read here, safely, and carried as data to a job on another machine (which
    then needs no shared file system): what the job would have read and copied itself."""
    notebook: bytes | None = None            # the notebook's bytes when not among `entries`
    entries: list = field(default_factory=list)   # pack_regular_files' (path, bytes or None)
    skipped: list = field(default_factory=list)
    refusal: str | None = None               # why it cannot be graded, as the job would say
    notebook_name: str = ""

    def notebook_bytes(self):
        if self.notebook is not None:
            return self.notebook
        return next(data for path, data in self.entries if path == self.notebook_name)

    def size(self):
        return len(self.notebook or b"") + sum(len(data) for _, data in self.entries if data is not None)


def pack_submission(folder, notebook, notebook_max_bytes, budget):
    """Read DIR/<student>/<assignment> as `grade_submission` reads it: the notebook (refused if
    missing, a link or too big) and every regular file within `budget` bytes."""
    shown = f"{Path(folder).name}/{notebook}"
    try:
        with open_submission(folder) as fd:
            raw = read_regular_file(notebook, fd, notebook_max_bytes, shown)
            entries, skipped = pack_regular_files(fd, budget)
    except SubmissionError as error:
        return PackedSubmission(refusal=str(error))
    except OSError as error:
        return PackedSubmission(refusal=f"refused: {shown} could not be read ({error.strerror})")
    packed = any(path == notebook and data is not None for path, data in entries)   # sent once
    return PackedSubmission(None if packed else raw, entries, skipped, notebook_name=notebook)


NOT_COLLECTED = ".not-collected.txt"   # beside DIR/<student>/<assignment>: what collect left out


def collect_note(folder):
    """What nbgrader's collect (autograder.exchange) left out of this submission and why, from
    DIR/<student>/<assignment>.not-collected.txt beside it (the instructor's file, read without
    following a link); None when there is none. The feedback's notes tell the student."""
    folder = Path(folder)
    try:
        with open_submission(folder.parent, depth=1) as fd:
            data = read_regular_file(folder.name + NOT_COLLECTED, fd, 20_000, folder.name + NOT_COLLECTED)
    except (SubmissionError, OSError):
        return None
    return data.decode("utf-8", "replace").strip() or None


def attempt_of(folder, notebook, max_bytes):
    """What tells one attempt from the next: nbgrader's timestamp.txt where present (written
    when the student submits) together with a hash of the notebook's bytes and one of every other
    file submitted with it. A regrade of the same attempt gives the same value; a resubmission a
    new one, even if the student wrote timestamp.txt themselves, and even if only a data file
    beside the notebook changed (which could carry answers read from the last feedback into the
    same inputs). Returns "" when the notebook cannot be read (the job then reports why)."""
    try:
        with open_submission(folder) as fd:
            try:
                stamp = read_regular_file("timestamp.txt", fd, 1000, "timestamp.txt")
                stamp = stamp.decode("utf-8", "replace").strip()
            except SubmissionError:
                stamp = ""
            data = read_regular_file(notebook, fd, max_bytes, notebook)
        from .results_store import submission_digest
        files = submission_digest(folder) or "unhashed"   # too big to hash: the notebook decides
        return f"timestamp:{stamp}|sha256:{hashlib.sha256(data).hexdigest()}|files:{files}"
    except (SubmissionError, OSError):
        return ""
