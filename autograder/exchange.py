"""nbgrader's file routes that copy what students control, made link-safe.

nbgrader's exchange inbound folder is writable by every student, and nbgrader's own copying
(shutil.copytree, shutil.copy, glob) follows links: a submission holding a link to the
instructor's source notebook or `course.secret` was collected as the student's work, and its
bytes came back in the feedback. nbgrader_config.py plugs in what is here, so the command line
and Formgrader's buttons (which call the same nbgrader classes) behave the same:

* LinkSafeCollect (`nbgrader collect`): each inbound submission is opened from the exchange's
  root down with directory descriptors and O_NOFOLLOW (autograder/submission.py), and only its
  regular files are copied; links (to files or folders, the submission folder itself, the
  course or inbound folder), hard links, devices, FIFOs and sockets are never followed or
  copied. What was left out is named in nbgrader's log and in
  submitted/<student>/<assignment>.not-collected.txt, beside the submission, never in it.
* LinkSafeReleaseFeedback (`nbgrader release_feedback`): releases, for each notebook of the
  assignment, the regular file <notebook>.html in feedback/<student>/<assignment>/, read
  without following links; any other page there, or a link, is named in a warning.
* make_converters_link_safe(): Autograde and GenerateFeedback copy a submission's other
  files through links in nbgrader's BaseConverter.init_assignment, which no setting reaches;
  the patch applied from nbgrader_config.py copies them with the same reader.

Student ids, timestamps and everything else nbgrader decides are nbgrader's: the latest
submission wins (or the last before the due date), `--update` replaces an older one,
timestamp.txt travels with the submission, CourseDirectory.ignore/include/max_file_size are
honoured and groupshared permissions set as nbgrader sets them.
"""
import datetime
import fnmatch
import glob
import os
import stat
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde, BaseConverter, GenerateFeedback
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.utils import notebook_hash, parse_utc

from .limits import size
from .submission import (NOT_COLLECTED, FILE_FLAGS, WRITE_FLAGS, SubmissionError, copy_regular_files, kind_of,
                         open_submission, printable, read_regular_file)

SMALL_FILE_BYTES = 1000              # timestamp.txt, submission_secret.txt
NEVER_FOLLOWED = "links, hard links and special files are never followed or copied"


def _matches(name, patterns, like_glob=False):
    """Whether `name` matches one of nbgrader's file globs. nbgrader's converters match with
    glob.glob (a wildcard pattern never matches a hidden name), its exchange with fnmatch."""
    for pattern in patterns:
        if like_glob and name.startswith(".") and not pattern.startswith(".") and any(c in pattern for c in "*?["):
            continue
        if fnmatch.fnmatch(name, pattern):
            return True
    return False


def _reason(error):
    """A SubmissionError's reason, without the advice meant for a student's submission."""
    return str(error).removeprefix("refused: ").split("; submit ")[0]


def _listed(items, limit=20):
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _lstat(name, dir_fd):
    try:
        return os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return None


class LinkSafeCollect(ExchangeCollect):
    """`nbgrader collect` copying only the regular files of each submission, never through a link."""

    def _path_to_record(self, path):
        # A name nbgrader cannot parse stopped the whole collect for every student; it is
        # refused on its own (and a student's other, readable submissions still count).
        name = os.path.basename(path)
        try:
            record = super()._path_to_record(path)
            problem = None if record["username"] else "nothing before the first '+' names a student"
        except (ValueError, OverflowError):
            record = {"username": name.split("+")[0], "filename": name}
            problem = "its name does not end in a time nbgrader can read"
        if problem:   # never the latest, so a student's readable submissions win
            record.update(timestamp=datetime.datetime.min, refused=problem)
            self._unreadable.append(record)
        return record

    def init_src(self):
        self._unreadable = []
        super().init_src()

        # The exchange's root is the administrator's; the course and inbound folders below it
        # must be the real folders nbgrader made (students may write in the root).
        for path in (self.course_path, self.inbound_path):
            st = os.lstat(path)
            if not stat.S_ISDIR(st.st_mode):
                self.fail(f"Refusing to collect: {path} is {kind_of(st.st_mode)}, not a folder "
                          "(someone replaced it); make it again with nbgrader release_assignment")
            if not self.coursedir.groupshared and st.st_uid != os.geteuid():
                self.fail(f"Refusing to collect: {path} belongs to user id {st.st_uid}, not to you "
                          f"({os.geteuid()}); if instructors share the course, set CourseDirectory.groupshared")

    def copy_files(self):
        for record in self._unreadable:
            if record not in self.src_records:   # the student's readable submission is collected
                self.log.warning("Not collected: %s: %s", printable(record["filename"]), record["refused"])
        kept = []
        for record in self.src_records:
            problem = record.get("refused")
            if problem is None:
                try:
                    st = os.lstat(os.path.join(self.inbound_path, record["filename"]))
                    if not stat.S_ISDIR(st.st_mode):
                        problem = f"it is {kind_of(st.st_mode)}, not a folder ({NEVER_FOLLOWED})"
                except FileNotFoundError:
                    problem = "it is gone from the inbound folder"
            if problem:
                self._refuse(record["username"], record["filename"], problem)
            else:
                kept.append(record)
        self.src_records = kept
        super().copy_files()   # nbgrader decides what to copy and calls do_copy

    def do_copy(self, src, dest, log=None):
        """Copy the submission `src` (in the inbound folder) to `dest`, regular files only."""
        student, name = Path(dest).parent.name, Path(src).name
        try:
            with open_submission(src, depth=3) as folder:   # root trusted; course, inbound, submission not
                copied, _, skipped = copy_regular_files(folder, dest, 1000 * self.coursedir.max_dir_size,
                                                        leave_out=self._leave_out)
        except SubmissionError as error:   # replaced by a link since it was listed
            self._refuse(student, name, f"{_reason(error)} ({NEVER_FOLLOWED})")
            return
        skipped += self._check_timestamp(Path(dest))
        if self.coursedir.groupshared:
            self._make_groupshared(dest)
        note = self._note_path(dest)
        if skipped:
            self.log.warning("Collected %s's submission %s without: %s (%s; listed in %s)", student,
                             printable(name), _listed(skipped), NEVER_FOLLOWED, note)
            self._write_note(note, f"Collected {printable(name)} ({self._now()}) without these "
                                   f"({NEVER_FOLLOWED}):\n" + "".join(f"- {item}\n" for item in skipped), "w")
        elif os.path.lexists(note):
            os.unlink(note)   # it described the submission just replaced
        self.log.info("Collected %s of regular files for %s", size(copied), student)

    def _leave_out(self, relative, st):
        return collect_leave_out(self.coursedir, relative, st)

    def _check_timestamp(self, dest):
        return drop_unreadable_timestamp(dest)

    def _make_groupshared(self, dest):
        # What nbgrader's do_copy does for a groupshared course (dest holds no links: we made it).
        for dirname, _, filenames in os.walk(dest):
            for path in [dirname] + [os.path.join(dirname, f) for f in filenames]:
                mode = os.lstat(path).st_mode
                wanted = (mode | 0o2770) & 0o2777 if stat.S_ISDIR(mode) else (mode | 0o660) & 0o777
                if stat.S_IMODE(mode) != wanted:
                    try:
                        os.chmod(path, wanted)
                    except PermissionError:
                        self.log.warning("Could not update permissions of %s to make it groupshared", path)

    def _note_path(self, dest):
        dest = Path(dest)
        return dest.parent / f"{dest.name}{NOT_COLLECTED}"  # beside it; the grader reads it too

    def _refuse(self, student, name, problem):
        dest = Path(self.coursedir.format_path(self.coursedir.submitted_directory, student,
                                               self.coursedir.assignment_id))
        kept = "the submission collected before is kept" if dest.is_dir() else "nothing is collected"
        self.log.warning("Not collected: %s's submission %s: %s; %s", printable(student),
                         printable(name), problem, kept)
        if student and not student.startswith("."):   # a note needs a student's folder to go in
            note = self._note_path(dest)
            note.parent.mkdir(parents=True, exist_ok=True)
            line = f"Not collected: {printable(name)}: {problem}"
            if not (note.is_file() and line in note.read_text(encoding="utf-8", errors="replace")):
                self._write_note(note, f"{line}; {kept} ({self._now()}).\n", "a")   # once, not each run

    def _write_note(self, note, text, mode):
        flags = (WRITE_FLAGS & ~os.O_TRUNC | os.O_APPEND) if mode == "a" else WRITE_FLAGS
        with os.fdopen(os.open(note, flags, 0o666), "w", encoding="utf-8") as out:
            out.write(text)

    def _now(self):
        return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


class LinkSafeReleaseFeedback(ExchangeReleaseFeedback):
    """`nbgrader release_feedback` releasing only <notebook>.html for the assignment's notebooks,
    each a regular file read without following links."""

    def copy_files(self):
        exclude = set(self.coursedir.student_id_exclude.split(",")) if self.coursedir.student_id_exclude else set()
        notebooks = self._notebooks()
        for folder in sorted(glob.glob(self.src_path)):
            student = os.path.basename(os.path.dirname(folder))
            if student in exclude:
                self.log.debug("Skipping student '%s'", student)
                continue
            skipped = []
            try:
                with open_submission(folder) as fd:   # feedback/ trusted; <student>/<assignment> not
                    self._release(fd, student, notebooks, skipped)
            except SubmissionError as error:
                skipped.append(_reason(error))
            if skipped:
                self.log.warning("Not released for student '%s': %s; what is released is <notebook>.html "
                                 "for each notebook of the assignment, a regular file", printable(student),
                                 _listed(skipped))

    def _notebooks(self):
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                return [nb.name for nb in gb.find_assignment(self.coursedir.assignment_id).notebooks]
            except MissingEntry:
                self.fail(f"No assignment '{self.coursedir.assignment_id}' in the gradebook: run "
                          "nbgrader generate_assignment and generate_feedback first")

    def _release(self, fd, student, notebooks, skipped):
        pages = {f"{nb}.html": nb for nb in notebooks}
        for name in sorted(os.listdir(fd)):
            if name.endswith(".html") and name not in pages:
                skipped.append(f"{printable(name)} (not the feedback page of one of the assignment's notebooks)")
        secret, problem = self._small_text(fd, "submission_secret.txt")
        timestamp, _ = self._small_text(fd, "timestamp.txt")
        for page, notebook_id in pages.items():
            st = _lstat(page, fd)
            if st is None:
                self.log.info("No feedback page %s for student '%s'", page, student)
                continue
            if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
                skipped.append(f"{page} ({kind_of(st.st_mode) if not stat.S_ISREG(st.st_mode) else 'a hard link'})")
                continue
            if problem:
                skipped.append(f"{page} (submission_secret.txt {problem}: the student could not fetch it)")
                continue
            try:
                data = read_regular_file(page, fd, 1000 * self.coursedir.max_file_size, page)
            except SubmissionError as error:
                skipped.append(f"{page} ({_reason(error)})")
                continue
            checksum = notebook_hash(secret=secret, notebook_id=notebook_id)
            self.log.info("Releasing feedback for student '%s' on assignment '%s/%s/%s' (%s)", student,
                          self.coursedir.course_id, self.coursedir.assignment_id, notebook_id, timestamp)
            temporary = os.path.join(self.dest_path, f"{checksum}-tmp.html")
            with os.fdopen(os.open(temporary, WRITE_FLAGS, 0o600), "wb") as out:
                out.write(data)
                os.fchmod(out.fileno(), stat.S_IMODE(st.st_mode) & 0o777)   # as shutil.copy would
            released = os.path.join(self.dest_path, f"{checksum}.html")
            os.replace(temporary, released)   # students see the old page or the new, never half
            self.log.info("Feedback released to: %s", released)

    def _small_text(self, fd, name):
        """(text, None) for a small regular file read as nbgrader reads it, or (None, what is wrong)."""
        st = _lstat(name, fd)
        if st is None:
            return None, "is missing"
        if not stat.S_ISREG(st.st_mode):
            return None, f"is {kind_of(st.st_mode)}"
        try:
            with os.fdopen(os.open(name, FILE_FLAGS, dir_fd=fd), "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    return None, "is not a regular file"
                raw = handle.read(SMALL_FILE_BYTES + 1)
        except OSError as error:
            return None, f"could not be read ({error.strerror})"
        if len(raw) > SMALL_FILE_BYTES:
            return None, f"is over {SMALL_FILE_BYTES} bytes"
        text = raw.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")   # open()'s text mode
        return (text, None) if text else (None, "is empty")


def collect_leave_out(coursedir, relative, st):
    """Why collect leaves `relative` out (nbgrader's CourseDirectory.ignore, include and
    max_file_size, as its collect applies them), or None. `python -m autograder serve` copies
    attempts by the same rule, so an attempt graded on submission and after collect is the same."""
    name = relative.rsplit("/", 1)[-1]
    if _matches(name, coursedir.ignore):
        return "matches CourseDirectory.ignore"
    if stat.S_ISREG(st.st_mode):
        if coursedir.include and not _matches(name, coursedir.include):
            return "not matched by CourseDirectory.include"
        if coursedir.max_file_size and st.st_size > 1000 * coursedir.max_file_size:
            return f"{size(st.st_size)}: over CourseDirectory.max_file_size"
    return None


def drop_unreadable_timestamp(dest):
    """A timestamp.txt nbgrader cannot read stops later `collect --update` runs for every
    student and the student's autograde: it is removed from the copy `dest` (and named), like a link."""
    path = Path(dest) / "timestamp.txt"
    if not path.is_file():
        return []
    raw = path.read_bytes()   # our own copy, a regular file
    try:
        if len(raw) > SMALL_FILE_BYTES:
            raise ValueError("too long")
        text = raw.decode("utf-8").strip()
        if text:
            parse_utc(text)
        return []
    except (ValueError, OverflowError):
        path.unlink()
        return [f"timestamp.txt (not a time nbgrader can read: {printable(raw[:40].decode('utf-8', 'replace'))!r})"]


def copy_other_files(converter, assignment_id, student_id):
    """BaseConverter.init_assignment for Autograde and GenerateFeedback: the submission's other
    files (not notebooks, not CourseDirectory.ignore) copied as regular files only."""
    source = converter._format_source(assignment_id, student_id)
    dest = converter._format_dest(assignment_id, student_id)
    patterns = converter.coursedir.ignore + ["*.ipynb"]

    def leave_out(relative, st):   # what nbgrader leaves out, as quietly as it does
        return "" if _matches(relative.rsplit("/", 1)[-1], patterns, like_glob=True) else None

    try:
        with open_submission(source) as folder:
            copied, entries, skipped = copy_regular_files(folder, dest, 1000 * converter.coursedir.max_dir_size,
                                                          leave_out=leave_out)
    except SubmissionError as error:
        if isinstance(converter, Autograde):
            # Autograde reads the notebook with SafeSubmissionExporter; the grader then refuses
            # the submission with this reason, so the student gets a score and a page.
            converter.log.warning("No other files copied from %s: %s", source, _reason(error))
            return
        raise   # GenerateFeedback: nbgrader's exporter would read through the link
    if skipped:
        converter.log.warning("Not copied from %s: %s (%s)", source, _listed(skipped), NEVER_FOLLOWED)
    converter.log.info("Copied %d files and folders (%s) from %s -> %s", entries, size(copied), source, dest)


def make_converters_link_safe():
    """Patch nbgrader's BaseConverter.init_assignment so that Autograde and GenerateFeedback
    copy a submission's other files with `copy_other_files`; other converters (generate_assignment,
    which copies the instructor's own source/) are left as they are. Applied once per process
    from nbgrader_config.py."""
    original = BaseConverter.init_assignment
    if getattr(original, "link_safe", False):
        return

    def init_assignment(self, assignment_id, student_id):
        if isinstance(self, (Autograde, GenerateFeedback)):
            copy_other_files(self, assignment_id, student_id)
        else:
            original(self, assignment_id, student_id)

    init_assignment.link_safe = True
    init_assignment.__doc__ = original.__doc__
    BaseConverter.init_assignment = init_assignment
