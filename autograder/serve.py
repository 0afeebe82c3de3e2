"""`python -m autograder serve`: feedback within a minute of a student's `nbgrader submit`.

The service watches nbgrader's exchange inbound folder (<Exchange.root>/<course_id>/inbound/),
where `nbgrader submit` (the Assignments tab's Submit button) leaves one folder per attempt,
<student>+<assignment>+<timestamp>+<random>. Each new attempt at an assignment it serves is

1. copied out as `nbgrader collect` copies it (regular files only, by collect's own rules:
   autograder.exchange; the inbound folder is writable by every student), into the service's
   state folder;
2. graded by the sandboxed job `make grade` runs, with the seeds `make grade` draws for the
   same attempt (the course secret and the attempt's timestamp and files), so the score a
   student sees now is the score that attempt gets when the instructor collects and grades it;
3. answered: its feedback page is released into the exchange's feedback/ folder under the name
   `nbgrader fetch_feedback` looks for (a hash of the attempt's submission_secret.txt and the
   notebook's name), written whole or not at all.

Instant feedback is practice: nothing is written to the gradebook, which holds only what the
instructor grades (`nbgrader collect` then `make grade` or Autograde).

Each attempt is handled once. <state>/served.jsonl has one line per attempt handled (graded, or
refused and why), appended once its page is out; a restarted service reads it back and goes on
with the rest (an attempt being graded when the service stopped has no line yet, and is graded
then). With a limit of attempts per student and assignment per day (UTC, by the service's clock),
attempts past it are refused with a page that says so. <state>/serve.log says what was graded
and what was refused, and why.
"""
import datetime
import hashlib
import html
import json
import logging
import os
import re
import shutil
import stat
import time
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import notebook_hash

from . import sandbox
from .compile import compile_assignment
from .course import CourseError, course_config, require_assignment, source_assignments
from .dispatch import LocalPool
from .exchange import collect_leave_out, drop_unreadable_timestamp
from .grade import PLAIN_ID, build_job, default_workers
from .job import grade_submission
from .limits import resolve_limits
from .runs import Run, clean_dead_runs
from .sanitize import with_csp
from .seeds import load_secret
from .submission import (DIR_FLAGS, WRITE_FLAGS, SubmissionError, copy_regular_files, kind_of, open_submission,
                         printable, read_regular_file)

SECRET_BYTES = 1000   # nbgrader's submission_secret.txt is 128 characters
LEDGER, LOG = "served.jsonl", "serve.log"


@dataclass
class Attempt:
    name: str          # the inbound folder's name
    student: str
    assignment: str
    timestamp: str


def parse_attempt(name):
    """(Attempt, None) for an inbound folder name nbgrader submit writes, or (None, why not)."""
    parts = name.split("+")
    if len(parts) not in (3, 4) or not all(parts[:3]):
        return None, "its name is not <student>+<assignment>+<time>[+<random>], as nbgrader submit names attempts"
    student, assignment, timestamp = parts[:3]
    if not PLAIN_ID.fullmatch(student):
        return None, "the student id is not a plain id (letters, digits and . _ @ -)"
    return Attempt(name, student, assignment, timestamp), None


class Exchange:
    """The course's folders in nbgrader's exchange: inbound (read, never through a link) and the
    feedback folder fetch_feedback reads (written through a descriptor, never through a link)."""

    def __init__(self, root, coursedir):
        self.root = Path(root)
        self.course_id = coursedir.course_id
        self.inbound = self.root / self.course_id / "inbound"
        self.groupshared = coursedir.groupshared

    def attempts(self):
        """Names in the inbound folder (refused wholesale if it, or the course folder, is a link)."""
        for path in (self.root / self.course_id, self.inbound):
            st = os.lstat(path) if os.path.lexists(path) else None
            if st is None:
                return []
            if not stat.S_ISDIR(st.st_mode):
                raise CourseError(f"refusing to read {path}: it is {kind_of(st.st_mode)}, not a folder "
                                  "(someone replaced it); make it again with nbgrader release_assignment")
            # Students may write in the exchange's root: a course folder one of them made first is theirs.
            if not self.groupshared and st.st_uid != os.geteuid():
                raise CourseError(f"refusing to serve from {path}: it belongs to user id {st.st_uid}, not to you "
                                  f"({os.geteuid()}); if instructors share the course, set CourseDirectory.groupshared")
        return sorted(os.listdir(self.inbound))

    def copy(self, attempt, target, coursedir):
        """The attempt's regular files into `target`, as collect copies them; returns what was left out."""
        with open_submission(self.inbound / attempt.name, depth=3) as folder:   # the root trusted, nothing below
            _, _, skipped = copy_regular_files(folder, target, 1000 * coursedir.max_dir_size,
                                               leave_out=lambda rel, st: collect_leave_out(coursedir, rel, st))
        return skipped + drop_unreadable_timestamp(target)

    def release(self, secret, notebook_id, page):
        """Write the page where fetch_feedback finds it: feedback/<notebook_hash(secret, notebook)>.html."""
        course = os.open(self.root / self.course_id, DIR_FLAGS)
        try:
            try:
                os.mkdir("feedback", 0o711, dir_fd=course)   # nbgrader's mode: students read only known names
                os.chmod("feedback", 0o711, dir_fd=course)
            except FileExistsError:
                pass
            feedback = os.open("feedback", DIR_FLAGS, dir_fd=course)   # refuses a link
        finally:
            os.close(course)
        try:
            name = f"{notebook_hash(secret=secret, notebook_id=notebook_id)}.html"
            temporary = f".{name}.{os.getpid()}.tmp"
            with os.fdopen(os.open(temporary, WRITE_FLAGS, 0o644, dir_fd=feedback), "wb") as out:
                out.write(page.encode("utf-8", "replace"))
                os.fchmod(out.fileno(), 0o644)
            os.replace(temporary, name, src_dir_fd=feedback, dst_dir_fd=feedback)
        finally:
            os.close(feedback)
        return name


class Ledger:
    """served.jsonl: one JSON line per attempt handled, appended and flushed as it happens."""

    def __init__(self, path):
        self.path, self.entries = Path(path), {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    self.entries[entry["attempt"]] = entry
                except (ValueError, KeyError, TypeError):
                    continue   # a line cut short by a crash: that attempt is handled again

    def __contains__(self, name):
        return name in self.entries

    def graded_today(self, student, assignment, day):
        return sum(1 for e in self.entries.values() if e.get("status") == "graded" and e.get("student") == student
                   and e.get("assignment") == assignment and e.get("day") == day)

    def add(self, **entry):
        self.entries[entry["attempt"]] = entry
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")
            out.flush()
            os.fsync(out.fileno())


class Service:
    """One course's instant feedback. `run()` serves until stopped (or, with once=True, until every
    attempt in the inbound folder when it started is handled)."""

    def __init__(self, root, assignments=None, state=None, max_per_day=None, workers=None, interval=2.0,
                 secret_file=None, use_sandbox=True, scratch_root=None, log=None):
        self.root = Path(root).resolve()
        config = course_config(self.root)
        self.coursedir = CourseDirectory(config=config)
        exchange_root = config.Exchange.get("root") or "/usr/local/share/nbgrader/exchange"
        self.exchange = Exchange(exchange_root, self.coursedir)
        self.assignments = list(assignments or source_assignments(self.root))
        self.compiled = {a: compile_assignment(require_assignment(self.root, a), a) for a in self.assignments}
        self.limits = {a: resolve_limits(config, a) for a in self.assignments}
        serve_config = config.get("Autograder", {})
        self.max_per_day = max_per_day if max_per_day is not None else serve_config.get("serve_attempts_per_day")
        if self.max_per_day is not None and self.max_per_day < 1:
            raise CourseError("the limit of attempts per day must be at least 1")
        self.state = Path(state or self.root / "serve").resolve()
        self.state.mkdir(parents=True, exist_ok=True)
        self.ledger = Ledger(self.state / LEDGER)
        self.log = log or _file_logger(self.state / LOG)
        self.secret = load_secret(secret_file, self.root, self.log.info)
        self.workers = max(1, workers or default_workers(max(self.limits.values(), key=lambda l: l.memory_bytes + l.disk_bytes)))
        self.interval, self.use_sandbox, self.scratch_root = interval, use_sandbox, scratch_root
        self.failed = set()   # attempts the grader itself failed on: tried again after a restart, not in a loop
        if use_sandbox and sandbox.unavailable():   # fail closed
            raise CourseError(f"refusing to run student code: {sandbox.unavailable()}, so it cannot be "
                              f"sandboxed; {sandbox.INSTALL_HINT}")

    def run(self, once=False, stop=lambda: False):
        """Serve. Returns {"graded": n, "refused": n}."""
        counts = {"graded": 0, "refused": 0}
        clean_dead_runs(self.scratch_root, log=None)
        self.log.info("serving %s from %s (%d workers; %s per student and assignment per day)",
                      ", ".join(self.assignments), self.exchange.inbound, self.workers,
                      self.max_per_day or "no limit of attempts")
        pool = LocalPool(self.workers, next(iter(self.compiled.values()), None))
        in_flight = {}   # future -> (attempt, folder, started)
        try:
            with Run(self.scratch_root) as run:
                while True:
                    for name in self.exchange.attempts():
                        if name in self.ledger or name in self.failed or \
                                any(a.name == name for a, _, _ in in_flight.values()):
                            continue
                        job = self._prepare(name, run, counts, in_flight)
                        if job is not None:
                            attempt, folder, job = job
                            in_flight[pool.pool.submit(grade_submission, job)] = (attempt, folder, time.monotonic())
                    if in_flight:
                        done, _ = wait(list(in_flight), timeout=self.interval, return_when=FIRST_COMPLETED)
                        for future in done:
                            self._answer(*in_flight.pop(future), future, counts)
                    elif once or stop():
                        break
                    else:
                        time.sleep(self.interval)
                    if stop() and not in_flight:
                        break
        finally:
            pool.close()
        return counts

    def _prepare(self, name, run, counts, in_flight):
        """The job for a new attempt, or None when it is refused (recorded, and answered where it can be)."""
        attempt, why = parse_attempt(name)
        if attempt is None:
            return self._refuse(name, None, why, counts)
        if attempt.assignment not in self.compiled:
            return self._refuse(name, attempt, f"{attempt.assignment} is not an assignment this service grades", counts,
                                answer=False)
        day = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        if self.max_per_day is not None:
            pending = sum(1 for a, _, _ in in_flight.values()
                          if (a.student, a.assignment) == (attempt.student, attempt.assignment))
            if self.ledger.graded_today(attempt.student, attempt.assignment, day) + pending >= self.max_per_day:
                return self._refuse(name, attempt, f"over the limit of {self.max_per_day} graded attempts per "
                                    f"day at {attempt.assignment}: try again tomorrow (UTC)", counts)
        folder = self.state / "attempts" / hashlib.sha256(os.fsencode(name)).hexdigest()[:20] / attempt.student / \
            attempt.assignment
        if folder.parent.parent.exists():
            shutil.rmtree(folder.parent.parent)   # a copy left by a service that stopped mid-attempt
        try:
            skipped = self.exchange.copy(attempt, folder, self.coursedir)
        except (SubmissionError, OSError) as error:
            shutil.rmtree(folder.parent.parent, ignore_errors=True)
            return self._refuse(name, attempt, f"it could not be read as submitted: {error}", counts)
        if skipped:
            self.log.warning("%s: left out as collect leaves it out: %s", printable(name), "; ".join(skipped[:20]))
        compiled = self.compiled[attempt.assignment]
        return attempt, folder, build_job(attempt.student, folder, compiled, self.secret,
                                          self.limits[attempt.assignment], run, self.use_sandbox)

    def _answer(self, attempt, folder, started, future, counts):
        compiled = self.compiled[attempt.assignment]
        try:
            result = future.result()
        except Exception as error:  # noqa: BLE001  (a failure of the grader, for this attempt only)
            self.log.error("%s: grading failed (%s: %s); it is tried again at the next restart",
                           printable(attempt.name), type(error).__name__, error)
            shutil.rmtree(folder.parent.parent, ignore_errors=True)
            self.failed.add(attempt.name)
            return
        page = banner(result.feedback_html or plain_page(attempt.assignment, result.status), attempt)
        released = self._release(attempt, folder, compiled, page)
        seconds = time.monotonic() - started
        day = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        self.ledger.add(attempt=attempt.name, student=attempt.student, assignment=attempt.assignment,
                        submitted=attempt.timestamp, status="graded", score=result.score, max_score=result.max_score,
                        grading_status=result.status, day=day, released=released, seconds=round(seconds, 2))
        counts["graded"] += 1
        self.log.info("graded %s's attempt at %s submitted %s: %g / %g (%s) in %.1f s; %s", attempt.student,
                      attempt.assignment, printable(attempt.timestamp), result.score, result.max_score, result.status,
                      seconds, f"feedback released as {released}" if released else "feedback NOT released")
        shutil.rmtree(folder.parent.parent, ignore_errors=True)   # the exchange keeps the attempt itself

    def _release(self, attempt, folder, compiled, page):
        """Release the page under the attempt's secret; the released file's name, or None (logged)."""
        try:
            with open_submission(folder) as fd:
                secret = read_regular_file("submission_secret.txt", fd, SECRET_BYTES, "submission_secret.txt")
        except SubmissionError as error:
            self.log.warning("%s: no feedback can be released (%s): nbgrader submit writes "
                             "submission_secret.txt, and fetch_feedback finds the page by it", printable(attempt.name), error)
            return None
        secret = secret.decode("utf-8", "replace").replace("\r\n", "\n")   # as nbgrader's open() reads it
        try:
            return self.exchange.release(secret, Path(compiled.notebook).stem, page)
        except OSError as error:
            self.log.error("%s: feedback could not be released: %s", printable(attempt.name), error)
            return None

    def _refuse(self, name, attempt, why, counts, answer=True):
        """Record a refused attempt once, log why and, where the attempt can be answered, release a
        page saying so (so the student learns why no feedback came)."""
        released = None
        if answer and attempt is not None and attempt.assignment in self.compiled:
            with_secret = self.state / "refused" / hashlib.sha256(os.fsencode(name)).hexdigest()[:20] / attempt.student / \
                attempt.assignment
            try:
                self.exchange.copy(attempt, with_secret, self.coursedir)
                page = banner(plain_page(attempt.assignment, f"not graded: {why}"), attempt)
                released = self._release(attempt, with_secret, self.compiled[attempt.assignment], page)
            except (SubmissionError, OSError):
                pass
            shutil.rmtree(with_secret.parent.parent, ignore_errors=True)
        student = attempt.student if attempt else None
        self.ledger.add(attempt=name, student=student, assignment=attempt.assignment if attempt else None,
                        status="refused", reason=why, released=released,
                        day=datetime.datetime.now(datetime.timezone.utc).date().isoformat())
        counts["refused"] += 1
        self.log.warning("refused %s: %s%s", printable(name), why, "; a page saying so was released" if released else "")
        return None


def banner(page, attempt):
    """The page, headed by what it is: feedback on one attempt, graded on submission, not the grade
    of record (our own text, escaped; the page is the job's, already sanitised)."""
    note = (f"<p class='autograder-instant'><b>Feedback on your attempt submitted {html.escape(attempt.timestamp)}"
            "</b>, graded when you submitted it. Your grade is recorded when your instructor collects and "
            "grades the course's submissions; the same attempt gets the same score then.</p>")
    match = re.search(r"<body[^>]*>", page)
    return page[:match.end()] + note + page[match.end():] if match else note + page


def plain_page(assignment, status):
    return with_csp(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(assignment)}: feedback</title>"
        f"</head><body><h1>{html.escape(assignment)}</h1><p><b>{html.escape(status)}</b>.</p></body></html>")


def _file_logger(path):
    logger = logging.getLogger(f"autograder.serve.{path}")
    if not logger.handlers:
        logger.setLevel(logging.INFO)
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
        for handler in (logging.FileHandler(path, encoding="utf-8"), logging.StreamHandler()):
            handler.setFormatter(formatter)
            logger.addHandler(handler)
        logger.propagate = False
    return logger
