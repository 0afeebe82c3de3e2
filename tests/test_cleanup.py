"""A grading run killed with SIGKILL leaves sandboxes, cgroups and scratch folders; the next
run, or `python -m autograder clean`, removes them and touches nothing of a live run."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.limits import Limits
from autograder.runs import PREFIX, Run
from conftest import REPO
from submissions import ASSIGNMENT, submit, with_cell

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not shutil.which("bwrap"), reason="the sandbox needs the Debian package bubblewrap")]


def mentioning(text, also=b""):
    """Pids of processes whose command line names `text` (and `also`)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                cmdline = open(f"/proc/{entry}/cmdline", "rb").read()
            except OSError:
                continue
            if text.encode() in cmdline and also in cmdline:
                found.append(int(entry))
    return found


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_killed_run_is_cleaned_up_and_a_live_one_is_not(tmp_path, request):
    # Short: the workers' forkserver puts a Unix socket in TMPDIR (at most 107 bytes of path),
    # and pytest's tmp_path is deep under pytest-xdist.
    scratch = Path(tempfile.mkdtemp(prefix="ag-cleanup-", dir="/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(scratch, ignore_errors=True))
    env = dict(os.environ, TMPDIR=str(scratch))
    submit(tmp_path / "subs", "looper", with_cell("while True:\n    pass"))
    (tmp_path / "secret").write_text("cleanup-test-secret-0123456789")
    grader = subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(tmp_path / "subs"),
         "--out", str(tmp_path / "out"), "--db", f"sqlite:///{tmp_path / 'gb.db'}",
         "--secret-file", str(tmp_path / "secret"), "--workers", "1", "--cell-seconds", "300",
         "--notebook-seconds", "600"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "stderr").open("w"))
    try:
        # wait until the student's kernel runs inside the dead-to-be run's folder
        assert wait_for(lambda: mentioning(f"{scratch}/{PREFIX}", b"ipykernel_launcher"), 120), \
            f"the kernel never started: {(tmp_path / 'stderr').read_text()[-2000:]}"
    finally:
        grader.send_signal(signal.SIGKILL)
        grader.wait()
    dead = list(scratch.glob(f"{PREFIX}*"))
    assert len(dead) == 1  # the killed run left its folder behind
    dead_id = dead[0].name[len(PREFIX):]

    # names and links a local user could plant in a shared temp folder: never taken for runs
    (scratch / f"{PREFIX}*").mkdir()
    (scratch / f"{PREFIX}*" / "lock").write_text("")
    planted = scratch / f"{PREFIX}abcdefabcdef"
    planted.mkdir(mode=0o700)
    (planted / "lock").symlink_to(scratch / "created-by-the-cleaner")

    with Run(scratch) as live:
        live_cgroups = sandbox.make_cgroups(Limits(), 0, live.cgroup_prefix)
        live_process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", f"{live.path}/job"])
        time.sleep(0.2)
        done = subprocess.run([sys.executable, "-m", "autograder", "clean"], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "scratch folders of dead grading runs" in done.stdout
        # the dead run: no folder, no cgroup, no process
        assert not dead[0].exists()
        assert not [c for root in sandbox.CGROUP_ROOTS.values() for c in root.glob(f"autograder-{dead_id}-*")]
        assert wait_for(lambda: mentioning(str(dead[0])) == [], 5), mentioning(str(dead[0]))
        assert not (scratch / "created-by-the-cleaner").exists() and (scratch / f"{PREFIX}*").is_dir()
        # the live run: all still there
        assert live.path.is_dir() and (live.path / "lock").is_file()
        assert live_process.poll() is None
        assert all(cgroup.is_dir() for cgroup in live_cgroups)
        for cgroup in live_cgroups:
            sandbox.remove_cgroup(cgroup)
    assert wait_for(lambda: live_process.poll() is not None, 5)  # a run's own close ends its processes
    assert not live.path.exists()
