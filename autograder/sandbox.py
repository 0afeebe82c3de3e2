"""Start a student's kernel in a sandbox.

On Linux with bubblewrap the kernel runs in new user, network, PID, IPC and mount
namespaces. It sees, read-only, only the system libraries and the Python environment, and,
writable, a scratch copy of its own submission folder (/home/student/<assignment>) and a
private /tmp. The course (source/, the gradebook, the secret), the grader's package and
other submissions are simply not there, and there is no network. Limits: address space,
file size, open files and core dumps through prlimit; processes through a pids cgroup
where one can be made (root), else RLIMIT_NPROC.

Without bubblewrap the kernel runs with the same rlimits only, and `describe()` says so,
loudly, for the instructor's report.
"""
import json
import os
import shutil
import sys
import sysconfig
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

PIDS_CGROUP_ROOT = Path("/sys/fs/cgroup/pids")


@dataclass(frozen=True)
class Limits:
    cell_seconds: float = 30.0         # wall time of one cell (hidden tests included)
    notebook_seconds: float = 180.0    # wall time of the whole submission
    memory_bytes: int = 3 * 1024**3    # address space of the kernel
    processes: int = 64                # processes and threads in the sandbox
    output_bytes: int = 200_000        # outputs kept per cell; the rest is dropped
    file_bytes: int = 64 * 1024**2     # largest file the kernel may write


def bubblewrap():
    return shutil.which("bwrap")


def describe(use_sandbox=True):
    """One line for the report: how student code was contained."""
    if use_sandbox and bubblewrap():
        return "sandboxed with bubblewrap: no network, private file system, resource limits"
    reason = "turned off" if bubblewrap() else "missing: apt-get install bubblewrap"
    return (f"NOT SANDBOXED: bubblewrap was not used ({reason}), so student code ran with "
            "resource limits only and could read files this user can read")


def _python_roots():
    """Folders the kernel's Python needs: the venv and the interpreter it was made from."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sysconfig.get_paths()["stdlib"]).parent}
    return sorted({r.resolve() for r in roots} | {r for r in roots})


def make_pids_cgroup(limit):
    """A fresh pids cgroup (cgroup v1) capped at `limit`, or None where we may not make one."""
    if not PIDS_CGROUP_ROOT.is_dir() or not os.access(PIDS_CGROUP_ROOT, os.W_OK):
        return None
    path = PIDS_CGROUP_ROOT / f"autograder-{uuid.uuid4().hex[:12]}"
    try:
        path.mkdir()
        (path / "pids.max").write_text(str(limit))
        return path
    except OSError:
        return None


def remove_cgroup(path):
    """Kill whatever is left in the cgroup (forked children, say) and remove it. Killed
    processes leave it only once reaped, so the removal is retried for up to 2 s."""
    if path is None:
        return
    for _ in range(40):
        try:
            for pid in (path / "cgroup.procs").read_text().split():
                try:
                    os.kill(int(pid), 9)
                except OSError:
                    pass
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.05)


def kernel_argv(workdir, runtime, limits, cgroup=None, use_sandbox=True):
    """The command that starts an ipykernel for one submission.

    workdir: the scratch copy of the submission folder; runtime: connection file and IPC
    sockets (bound at the same path inside, so both sides find them).
    """
    python = sys.executable
    launcher = ["prlimit", f"--as={limits.memory_bytes}", f"--fsize={limits.file_bytes}",
                "--nofile=256", "--core=0"]
    if cgroup is None and os.geteuid() != 0:
        launcher.append(f"--nproc={limits.processes}")
    kernel = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}",
              "--HistoryManager.enabled=False"]
    if use_sandbox and bubblewrap():
        home = f"/home/student/{Path(workdir).name}"
        box = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
               "--ro-bind", "/usr", "/usr", "--ro-bind-try", "/lib", "/lib",
               "--ro-bind-try", "/lib64", "/lib64", "--ro-bind-try", "/bin", "/bin",
               "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
               "--ro-bind-try", "/etc/localtime", "/etc/localtime",
               "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
               "--uid", "65534", "--gid", "65534"]
        for root in _python_roots():
            box += ["--ro-bind", str(root), str(root)]
        box += ["--bind", str(workdir), home, "--bind", str(runtime), str(runtime),
                "--remount-ro", "/", "--chdir", home,
                "--setenv", "HOME", "/home/student", "--setenv", "PATH", "/usr/bin:/bin",
                "--setenv", "MPLBACKEND", "module://matplotlib_inline.backend_inline",
                "--setenv", "MPLCONFIGDIR", "/tmp", "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
                "--setenv", "OPENBLAS_NUM_THREADS", "1", "--setenv", "OMP_NUM_THREADS", "1"]
        for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # machine-specific BLAS fixes
            if name in os.environ:
                box += ["--setenv", name, os.environ[name]]
        command = launcher + ["--"] + box + ["--"] + kernel
    else:
        command = launcher + ["--"] + kernel
    if cgroup is not None:
        # Join the cgroup first, so the kernel and everything it forks are counted.
        command = ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(cgroup)] + command
    return command


def write_kernelspec(folder, argv):
    """A kernelspec directory `folder/sandboxed` whose argv is the sandboxed command."""
    spec = Path(folder) / "sandboxed"
    spec.mkdir(parents=True, exist_ok=True)
    # No parent polling inside a PID namespace (bwrap's --die-with-parent does that job);
    # one BLAS thread per kernel, since jobs already run in parallel.
    env = {"JPY_PARENT_PID": "", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    (spec / "kernel.json").write_text(json.dumps(
        # Interrupt by message: a SIGINT to bwrap would end the whole sandbox.
        {"argv": argv, "display_name": "sandboxed python3", "language": "python", "env": env,
         "interrupt_mode": "message"}))
    return spec
