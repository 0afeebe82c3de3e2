"""Where grading jobs run: a pool of local worker processes (the default), or an existing Dask
cluster (`--scheduler ADDRESS`).

Both are started before the gradebook is set up (workers import the Jupyter stack meanwhile).
`start(pending)` hands them the (job, key) pairs, and `results()` yields (job, key, outcome) as
jobs finish, in any order; outcome is the SubmissionResult, or the exception that stopped the
grader on that job (for that student only). When the workers as a whole are lost (the scheduler
goes away, the local pool breaks) `results()` raises a CourseError instead: nothing is recorded
for the students still waiting, and the next run grades them (every finished result is kept).

On Dask, workers need not share a file system with the grading process: each job carries its
submission's files as data (read here, as the job would read them) and its result comes back as
data; the compiled assignment is sent once (the scheduler keeps it, and workers fetch it from each
other); the secret stays here (a job carries only its seeds); nothing but this process writes the
gradebook or OUT. A worker that dies mid-job loses nothing: the scheduler runs its jobs again on
another worker (up to Dask's `distributed.scheduler.allowed-failures`, 3; a job that kills that
many workers is reported as the student's grading failure).
"""
import dataclasses
import hashlib
import multiprocessing
import os
import time
import uuid
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from .course import CourseError
from .job import grade_submission
from .submission import pack_submission

CONNECT_SECONDS = 30            # to reach the scheduler, and for its first worker to appear
IN_FLIGHT_BYTES = 512 * 2**20   # submissions' files sent and not yet graded, at most (but one job)


class LocalPool:
    """`workers` processes on this machine, forked from a server that has the job's imports."""

    def __init__(self, workers, compiled=None):
        context = multiprocessing.get_context("forkserver")
        # Imported once, before the first fork: the job, a compiled feedback template, and what
        # the assignment's solution and hidden tests import (each worker's first job paid ~2 s).
        context.set_forkserver_preload(["autograder.job", "autograder.warm",
                                        *(imported_modules(compiled) if compiled else [])])
        self.workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                        initializer=_end_with_grader, initargs=(os.getpid(),))
        for _ in range(workers):   # the workers start (and import) now
            self.pool.submit(_warm_up)
        self.futures = {}

    def describe(self):
        return f"{self.workers} local worker processes"

    def start(self, pending):
        self.futures = {self.pool.submit(grade_submission, job): (job, key) for job, key in pending}

    def results(self):
        for future in as_completed(list(self.futures)):
            job, key = self.futures.pop(future)   # let go of the result once it is handed on
            try:
                outcome = future.result()
            except BrokenProcessPool:
                raise CourseError("a worker process died (killed from outside, or out of memory) and "
                                  "the pool stopped; every result finished so far is kept: run the "
                                  "same command again to grade the rest") from None
            except Exception as error:  # noqa: BLE001  (reported for this student alone)
                outcome = error
            yield job, key, outcome

    def close(self):
        # Not `with pool`: after Ctrl-C that would run every queued job before returning.
        # `_processes` (pid -> Process) is private, but has been there since Python 3.2.
        workers = list(self.pool._processes.values()) if self.pool._processes else []
        self.pool.shutdown(wait=False, cancel_futures=True)
        if self.futures:
            # Stopped early (Ctrl-C, a lost pool): the jobs already handed to a worker cannot be
            # cancelled, and waiting for them made a Ctrl-C take as long as the slowest. They are
            # graded next time; the run's cleanup ends their sandboxes.
            for worker in workers:
                worker.kill()


class DaskCluster:
    """Jobs on the Dask cluster whose scheduler is at `address`."""

    def __init__(self, address, compiled):
        from distributed import Client

        _refuse_unreachable(address)
        try:
            self.client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise CourseError(f"could not reach the Dask scheduler at {address}: {error}") from None
        try:
            self.client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except TimeoutError:
            self.client.close()
            raise CourseError(f"the Dask scheduler at {address} has no workers (start some with "
                              f"`dask worker {address}`)") from None
        self.address, self.compiled, self.version = address, compiled, code_version()
        # What each worker's first job would import, now, while this process sets up the gradebook.
        self.client.run(_import_in_background, ["autograder.job", "autograder.warm",
                                                *imported_modules(compiled)], wait=False)
        # Sent once, as a task's argument (not scattered): the scheduler keeps it and can compute
        # it again if every worker holding it dies. Dask's memory manager keeps one copy of
        # scattered data, and losing that worker cancelled every job still to run. Workers fetch
        # it from each other (100 a1 submissions on 4 workers: 134-138 per minute, scattered 132-133).
        with warnings.catch_warnings():   # a large data file is fine here: it is sent once
            warnings.filterwarnings("ignore", message="Sending large graph")
            self.compiled_on_workers = self.client.submit(_the_assignment, compiled,
                                                          key=f"assignment-{uuid.uuid4().hex[:8]}")
        self.queue, self.owners, self.sizes = iter(()), {}, {}
        self.started = None

    def describe(self):
        return f"the Dask cluster at {self.address} ({self.threads()} worker threads)"

    def threads(self):
        return max(1, sum(self.client.nthreads().values()))

    def start(self, pending):
        from distributed import as_completed as dask_completed

        # Submissions are read and sent a few at a time, so that neither this process nor the
        # scheduler ever holds all of them: enough jobs to keep every worker thread busy, and no
        # more than IN_FLIGHT_BYTES of their files.
        self.queue, self.in_flight = iter(pending), max(4, 2 * self.threads())
        self.started = dask_completed(loop=self.client.loop)
        self._refill()

    def _refill(self):
        while len(self.owners) < self.in_flight and (
                not self.owners or sum(self.sizes.values()) < IN_FLIGHT_BYTES):
            pair = next(self.queue, None)
            if pair is None:
                return
            self._submit(*pair)

    def results(self):
        from distributed import KilledWorker

        for future in self.started:
            job, key = self.owners.pop(future)
            self.sizes.pop(future, None)
            try:
                outcome = future.result()
            except KilledWorker as error:   # this job ended a worker again and again
                outcome = error
            except Exception as error:  # noqa: BLE001
                if _cluster_lost(error):
                    raise self._lost(error) from None
                outcome = error     # raised by the job itself: this student alone
            finally:
                future.release()
            yield job, key, outcome
            try:
                self._refill()
            except Exception as error:  # noqa: BLE001  (the client could not send: the cluster is gone)
                raise self._lost(error) from None

    def _lost(self, error):
        reason = " ".join(str(error).split())   # one line: Dask's messages span several
        return CourseError(f"lost the Dask cluster at {self.address} ({type(error).__name__}: {reason}); "
                           "every result finished so far is kept: run the same command again to grade the rest")

    def _submit(self, job, key):
        packed = pack_submission(job.submission, self.compiled.notebook, job.limits.notebook_max_bytes,
                                 job.limits.disk_bytes)
        travelling = dataclasses.replace(job, compiled=None, packed=packed, scratch_root=None)
        future = self.client.submit(grade_on_worker, self.compiled_on_workers, travelling, self.version,
                                    pure=False, key=f"grade-{job.student_id}-{uuid.uuid4().hex[:8]}")
        self.owners[future] = (job, key)
        self.sizes[future] = packed.size()
        self.started.add(future)

    def close(self):
        self.client.close()


def _cluster_lost(error):
    """The scheduler or the connection to it went away (not something a job raised)."""
    from concurrent.futures import CancelledError

    from distributed.client import ClosedClientError
    from distributed.comm.core import CommClosedError

    return isinstance(error, (CancelledError, ClosedClientError, CommClosedError))


def code_version():
    """A digest of the grader's own code: a Dask worker must run the same, or its verdicts (and
    the results this process then keeps) would come from another grader."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _refuse_unreachable(address):
    """Fail at once, with the reason, when nothing listens at a tcp:// address (Dask's client
    would retry for CONNECT_SECONDS before saying so)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme != "tcp" or not parts.hostname:
        return   # tls://, inproc:// ...: Dask's client will say what is wrong
    try:
        socket.create_connection((parts.hostname, parts.port or 8786), timeout=CONNECT_SECONDS).close()
    except OSError as error:
        raise CourseError(f"could not reach the Dask scheduler at {address}: "
                          f"{error.strerror or error}") from None


_WORKER_VERSION = None


def _the_assignment(compiled):
    return compiled


def grade_on_worker(compiled, job, version):
    """Run on a Dask worker: the job, with the worker's copy of the compiled assignment."""
    global _WORKER_VERSION
    _WORKER_VERSION = _WORKER_VERSION or code_version()
    if _WORKER_VERSION != version:
        raise RuntimeError(f"this Dask worker runs another version of the autograder ({_WORKER_VERSION}, "
                           f"the grading process {version}): update its checkout and restart it")
    return grade_submission(dataclasses.replace(job, compiled=compiled))


def imported_modules(compiled):
    """The modules the source notebook's cells (solutions and hidden tests) import, by name."""
    import ast
    import importlib.util

    names = set()
    for cell in compiled.cells:
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse("".join(cell.get("source", "")))
        except SyntaxError:   # IPython magics and the like: nothing to learn here
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
    found = []
    for name in sorted(names):
        try:
            if importlib.util.find_spec(name) is not None:
                found.append(name)
        except (ImportError, ValueError):   # a parent package that is not there
            continue
    return found


def _end_with_grader(grader_pid):
    """A worker ends when the grading process does, however it ends (SIGKILL included), and
    bwrap's --die-with-parent then ends its sandbox. Without this a killed grader leaves its
    workers behind: they and the forkserver keep each other alive, waiting for jobs."""
    import select
    import threading

    def watch():
        try:
            select.select([os.pidfd_open(grader_pid)], [], [])
        except (OSError, AttributeError):  # no pidfd (Linux < 5.3): ask every second
            while os.path.exists(f"/proc/{grader_pid}"):
                time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="end-with-grader").start()


async def _import_in_background(names):
    """On each Dask worker, in a thread of its own: the worker's event loop must not wait."""
    import threading
    threading.Thread(target=_import_modules, args=(names,), daemon=True, name="autograder-warm-up").start()


def _import_modules(names):
    import importlib
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001  (only a head start: the job imports what it needs)
            pass


def _warm_up():
    import autograder.job  # noqa: F401  (already imported where the forkserver preloaded it)
    return True
