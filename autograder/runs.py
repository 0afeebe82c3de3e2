"""A grading run's footprint on the machine, and cleaning up after runs that died.

Every run (the CLI's, or nbgrader's Autograde through our preprocessor) owns one folder,
<temp>/autograder-run-<id>/, holding its jobs' scratch folders, and names its pids cgroups and
its unsandboxed kernels' socket folders (/tmp/autograder-<id>-*; a sandboxed kernel's sockets
exist only inside its sandbox, and older versions left links there) after itself. While the
run's process lives it holds an exclusive flock on the folder's `lock` file; the kernel drops
that lock when the process dies, however it dies (SIGKILL included). So a run whose lock can
be taken is dead, and everything carrying its id can go: its sandboxed processes, its cgroups,
its folder. A live run's lock cannot be taken, and nothing of it is touched.
"""
import fcntl
import os
import re
import shutil
import stat
import time
import signal
import tempfile
import uuid
from pathlib import Path

from . import sandbox

PREFIX = "autograder-run-"
RUN_ID = re.compile(r"[0-9a-f]{12}")   # anything else under that prefix is not ours: ignored
STARTING_SECONDS = 600                 # a run folder without a lock this old was never finished


def scratch_root(root=None):
    return Path(root or tempfile.gettempdir())


class Run:
    """`with Run() as run:` a run's folder, lock and cgroup prefix, removed at the end."""

    def __init__(self, root=None):
        self.id = uuid.uuid4().hex[:12]
        self.path = scratch_root(root) / f"{PREFIX}{self.id}"
        self.path.mkdir(mode=0o700)
        # Not inherited by workers or kernels (Python opens files close-on-exec), so the
        # lock dies with this process alone.
        self._lock = open(self.path / "lock", "w")
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._lock.write(f"{os.getpid()}\n")
        self._lock.flush()

    @property
    def cgroup_prefix(self):
        return f"autograder-{self.id}-"

    def close(self):
        if self._lock.closed:
            return
        remove_footprint(self.id, self.path)
        self._lock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _is_dead(folder):
    """Take the run's lock if nobody holds it (its process is gone). Returns the open lock
    (hold it while cleaning) or None for a live run, or for anything that is not a run folder
    this user made: the temp folder is shared, so a name, a link or a stranger's folder there
    proves nothing."""
    if not RUN_ID.fullmatch(folder.name[len(PREFIX):]):
        return None
    try:
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        return None
    try:
        fd = os.open(folder / "lock", os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)  # never creates
    except FileNotFoundError:
        # A run killed between making its folder and its lock: dead once it is old enough
        # that no live run can still be starting.
        if time.time() - info.st_mtime > STARTING_SECONDS:
            return open(os.devnull)
        return None
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return os.fdopen(fd, "r+")
    except OSError:
        os.close(fd)
        return None


def _processes_mentioning(text):
    """Pids whose command line names `text` (a dead run's sandboxes, kernels and launchers,
    which name their scratch folders). Needed where no cgroup holds them (not root)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if text.encode() in handle.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def process_start_time(pid):
    """When `pid` started (clock ticks since boot, /proc/<pid>/stat field 22): with the pid, it
    names one process, even after the pid is reused."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _noted_children(folder):
    """Processes a run noted in its folder (`render-<pid>`: feedback rendering children, which
    fork from a worker and so name no folder), if the same process still lives."""
    found = []
    for note in Path(folder).glob("render-*"):
        try:
            pid, started = (int(x) for x in note.read_text().split())
        except (OSError, ValueError):
            continue
        if process_start_time(pid) == started:
            found.append(pid)
    return found


def remove_footprint(run_id, folder):
    """Kill and remove what belongs to run `run_id`: processes in its cgroups, processes
    naming its folder, the cgroups, then the folder. Returns counts of what was removed."""
    removed = {"processes": 0, "cgroups": 0, "folders": 0}
    assert RUN_ID.fullmatch(run_id), run_id  # it names globs and kills: never a pattern
    cgroups = sorted(cgroup for root in sandbox.CGROUP_ROOTS.values() if root.is_dir()
                     for cgroup in root.glob(f"autograder-{run_id}-*"))
    pids = set()
    for cgroup in cgroups:
        try:
            pids.update(int(pid) for pid in (cgroup / "cgroup.procs").read_text().split())
        except OSError:
            pass
    pids.update(_processes_mentioning(str(folder) + "/") + _processes_mentioning(f"/tmp/autograder-{run_id}-"))
    pids.update(_noted_children(folder))
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    removed["processes"] = len(pids)
    for cgroup in cgroups:
        sandbox.remove_cgroup(cgroup)
        removed["cgroups"] += not cgroup.exists()
    for sockets in Path("/tmp").glob(f"autograder-{run_id}-*"):  # socket folders (and old links)
        try:
            if sockets.lstat().st_uid != os.geteuid():
                continue  # planted by someone else in the shared /tmp: not ours to remove
            if sockets.is_symlink():
                sockets.unlink()
            else:
                shutil.rmtree(sockets, ignore_errors=True)
        except OSError:
            continue
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
        removed["folders"] += not folder.exists()
    return removed


def clean_dead_runs(root=None, log=print):
    """Remove every dead run's leftovers under `root` (default: the temp folder); leave live
    runs alone. Returns the totals removed."""
    totals = {"processes": 0, "cgroups": 0, "folders": 0}
    for folder in sorted(scratch_root(root).glob(f"{PREFIX}*")):
        if not folder.is_dir() or folder.is_symlink():
            continue
        lock = _is_dead(folder)
        if lock is None:
            continue
        try:
            found = remove_footprint(folder.name[len(PREFIX):], folder)
        finally:
            lock.close()
        for key in totals:
            totals[key] += found[key]
    if any(totals.values()) and log:
        log(f"cleaned up after dead grading runs: {totals['processes']} processes, "
            f"{totals['cgroups']} cgroups, {totals['folders']} scratch folders")
    return totals
