"""Start a student's kernel in a sandbox.

On Linux with bubblewrap the kernel runs in new user, network, PID, IPC and mount
namespaces. It sees, read-only, only the system libraries and the Python environment. All
it may write lives in one tmpfs of a fixed size (Limits.disk_bytes plus the submission's
own files): its folder, /home/student/<assignment>, holding a copy of the submission, and
/tmp (a link into the same tmpfs). Past that size, writes fail with "No space left on
device" inside; the host's disk and memory never see more. The course (source/, the
gradebook, the secret), the grader's package and other submissions are simply not there,
and there is no network. Limits: address space, file size, open files and core dumps
through prlimit; processes through a pids cgroup where one can be made (root), else
RLIMIT_NPROC; memory, all processes and tmpfs pages together, through a memory cgroup
where one can be made.

The kernel's ZeroMQ sockets live in a tiny tmpfs of their own inside the sandbox. The grader
never connects to them by a path, which the student's code could point at any socket on the
host: it opens the tmpfs from /proc/<pid>/root and then each socket without following a link
(`open_runtime`, `open_sockets`), checks that each is a socket on that tmpfs, and connects
through the descriptors it holds (ipc:///proc/self/fd/N), so whatever the kernel later does to
the names, a connection reaches that socket or nothing. No host folder is writable from
inside, and no host path names the sockets.

The kernel is started with `python -P`: nothing in the submission's folder is imported before
its sockets exist (a file named ipykernel_launcher.py, zmq.py or json.py there would otherwise
run first); the folder joins sys.path once they do, where Jupyter puts it, so a student's own
modules import as they did in JupyterLab.

Without bubblewrap the kernel runs with the same rlimits only, in a plain scratch folder,
and `describe()` says so, loudly, for the instructor's report.
"""
import functools
import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import time
import uuid
from pathlib import Path

CGROUP_ROOTS = {"pids": Path("/sys/fs/cgroup/pids"), "memory": Path("/sys/fs/cgroup/memory")}
HOME = "/home/student"
INSIDE_TMP = f"{HOME}/.tmp"       # /tmp inside is a link here: one tmpfs holds all writes
SUBMISSION_COPY = "/submission"   # the grader's read-only copy, copied into the folder at start
SOCKETS_BYTES = 64 * 1024         # the sockets' own tmpfs: sockets take no space
SHM_BYTES = 1024 * 1024           # /dev/shm (POSIX semaphores need it); /dev itself is read-only
# `python -m ipykernel_launcher`, run under -P so that sys.path names the kernel's folder only once
# the sockets are bound: first, as -m has it, and '' before site-packages, as IPython adds it.
KERNEL_LAUNCHER = """import os, sys
from ipykernel import kernelapp
class IPKernelApp(kernelapp.IPKernelApp):  # what ipykernel_launcher starts
    def init_path(self):
        sites = [i for i, p in enumerate(sys.path) if os.path.basename(p) in ('site-packages', 'dist-packages')]
        sys.path.insert(sites[0] if sites else 0, '')
        sys.path.insert(0, os.getcwd())
IPKernelApp.launch_instance()
"""


def bubblewrap():
    return shutil.which("bwrap")


INSTALL_HINT = ("install it with `make sandbox` (root on Debian: apt-get install bubblewrap), or run "
                "student code unprotected with --unsandboxed-i-trust-every-submission")


def describe(use_sandbox=True):
    """One line for the report: how student code was contained."""
    if use_sandbox and not unavailable():
        return "sandboxed with bubblewrap: no network, private file system, resource limits"
    reason = "turned off" if use_sandbox is False else unavailable()
    return (f"NOT SANDBOXED: bubblewrap was not used ({reason}), so student code ran with "
            "resource limits only and could read and change the files this user can")


@functools.lru_cache(maxsize=1)
def unavailable():
    """None when bubblewrap can build this module's sandbox here; else why not, in a few words.
    Installed is not enough: a container may forbid the namespaces it needs. Checked once per
    process by starting an empty sandbox with the same namespaces and mounts (about 10 ms)."""
    if not bubblewrap():
        return "bubblewrap is not installed"
    probe = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
             "--ro-bind", "/usr", "/usr", "--ro-bind-try", "/lib", "/lib",
             "--ro-bind-try", "/lib64", "/lib64", "--ro-bind-try", "/bin", "/bin",
             "--proc", "/proc", "--dev", "/dev", "--tmpfs", HOME, "--uid", "65534", "--gid", "65534",
             "--", "/bin/sh", "-c", "exit 0"]
    try:
        done = subprocess.run(probe, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap cannot start a sandbox here ({type(error).__name__})"
    if done.returncode != 0:
        reason = (done.stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        return f"bubblewrap cannot start a sandbox here ({reason[:160]})"
    return None


def _python_roots():
    """Folders the kernel's Python needs: the venv and the interpreter it was made from."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sysconfig.get_paths()["stdlib"]).parent}
    return sorted({r.resolve() for r in roots} | {r for r in roots})


def sandboxed(use_sandbox=True):
    return bool(use_sandbox and not unavailable())


def make_cgroups(limits, tmpfs_bytes, prefix="autograder-"):
    """Fresh cgroups (v1) for one kernel, where we may make them (root): pids capped at
    limits.processes, and memory capped at limits.memory_bytes plus the sandbox's tmpfs (the
    address-space rlimit is per process; this also counts every child, shared memory, memfd
    and tmpfs pages). `prefix` names the grading run, so a later run can clean up after a
    dead one. Returns the list made (possibly empty)."""
    made = []
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    for controller, setting, value in (("pids", "pids.max", limits.processes),
                                       ("memory", "memory.limit_in_bytes",
                                        limits.memory_bytes + (tmpfs_bytes or 0) + SHM_BYTES)):
        root = CGROUP_ROOTS[controller]
        if not root.is_dir() or not os.access(root, os.W_OK):
            continue
        path = root / name
        try:
            path.mkdir()
        except OSError:
            continue
        try:
            (path / setting).write_text(str(int(value)))
            made.append(path)
        except OSError:  # a cgroup without its limit would only hide the rlimit fallback
            path.rmdir()
    return made


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


def inside_path(path):
    """Where a host path under /tmp really lives inside the sandbox, where /tmp is a link.
    Both bwrap's mount points and paths reached through /proc/<pid>/root (which resolves
    links against the grader's root) must name it with the link already resolved."""
    path = str(path)
    return INSIDE_TMP + path[len("/tmp"):] if path == "/tmp" or path.startswith("/tmp/") else path


def tmpfs_size(limits, copied_bytes, copied_entries):
    """The sandbox's writable tmpfs: the submission's own files (a page per file at least)
    plus everything the kernel may write."""
    page = 4096
    return int(limits.disk_bytes + copied_bytes + page * (copied_entries + 64))


def kernel_argv(workdir, runtime, connection_file, limits, cgroups=(), use_sandbox=True,
                tmpfs_bytes=None):
    """The command that starts an ipykernel for one submission.

    workdir: the grader's copy of the submission folder. Sandboxed, it is mounted read-only
    and copied into the kernel's own folder at start; unsandboxed, the kernel runs in it.
    runtime: where the kernel's sockets go (sandboxed: a tmpfs inside, opened from the host by
    `open_runtime`; unsandboxed: a folder the grader made). connection_file: read-only inside.
    """
    python = sys.executable
    launcher = ["prlimit", f"--as={limits.memory_bytes}", f"--fsize={limits.file_bytes}",
                "--nofile=256", "--core=0"]
    if not any(c.parent == CGROUP_ROOTS["pids"] for c in cgroups) and os.geteuid() != 0:
        launcher.append(f"--nproc={limits.processes}")
    kernel = [python, "-P", "-c", KERNEL_LAUNCHER, "-f", "{connection_file}",
              "--HistoryManager.enabled=False"]
    if sandboxed(use_sandbox):
        folder = f"{HOME}/{Path(workdir).name}"
        size = tmpfs_bytes or tmpfs_size(limits, 0, 0)
        # The capped tmpfs comes first: /tmp must be the link before any mount lands under it.
        box = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
               "--size", str(size), "--tmpfs", HOME, "--dir", INSIDE_TMP,
               "--symlink", INSIDE_TMP, "/tmp", "--dir", folder,
               "--ro-bind", "/usr", "/usr", "--ro-bind-try", "/lib", "/lib",
               "--ro-bind-try", "/lib64", "/lib64", "--ro-bind-try", "/bin", "/bin",
               "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
               "--ro-bind-try", "/etc/localtime", "/etc/localtime",
               "--proc", "/proc", "--dev", "/dev", "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm",
               "--remount-ro", "/dev", "--uid", "65534", "--gid", "65534"]
        # Mount points under /tmp must name the real folder: bwrap does not follow the link.
        for root in _python_roots():
            box += ["--ro-bind", str(root), inside_path(root)]
        box += ["--ro-bind", str(workdir), SUBMISSION_COPY,
                "--ro-bind", str(connection_file), inside_path(connection_file),
                "--size", str(SOCKETS_BYTES), "--tmpfs", inside_path(runtime),
                "--remount-ro", "/", "--chdir", folder,
                "--setenv", "HOME", HOME, "--setenv", "PATH", "/usr/bin:/bin",
                "--setenv", "MPLBACKEND", "module://matplotlib_inline.backend_inline",
                "--setenv", "MPLCONFIGDIR", "/tmp", "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
                "--setenv", "OPENBLAS_NUM_THREADS", "1", "--setenv", "OMP_NUM_THREADS", "1"]
        for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # machine-specific BLAS fixes
            if name in os.environ:
                box += ["--setenv", name, os.environ[name]]
        # Copy the submission into its (capped) folder, then become the kernel.
        start = ["sh", "-c", 'cp -R "$0/." . && exec "$@"', SUBMISSION_COPY]
        command = launcher + ["--"] + box + ["--"] + start + kernel
    else:
        command = launcher + ["--"] + kernel
    for cgroup in cgroups:
        # Join the cgroups first, so the kernel and everything it forks are counted.
        command = ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(cgroup)] + command
    return command


def _children(pid):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid):
    """Running, not a zombie waiting to be reaped (a sandbox that failed to start)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class SocketError(Exception):
    """The kernel's sockets are not what the kernel was told to bind: never connected to."""


_PATH_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC


def open_runtime(launcher_pid, runtime, sandboxed, timeout=30.0):
    """The folder of the kernel's sockets, as an O_PATH descriptor the caller closes; None if the
    sandbox never started. Sandboxed: the launcher execs bwrap (same pid), which forks the
    sandbox's init, which forks the kernel once every mount is in place; from then on
    /proc/<init>/root is the sandbox's root, and the folder is walked down to from it one name
    at a time, following no link, and must be the sockets' own tmpfs (a mount point of
    SOCKETS_BYTES). Unsandboxed: the folder the grader made, opened without following a link."""
    if not sandboxed:
        return _open_directory(os.fspath(runtime))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inits = _children(launcher_pid)
        if inits and _children(inits[0]):
            return _sockets_tmpfs(inits[0], inside_path(runtime))
        if not _alive(launcher_pid):
            return None
        time.sleep(0.005)
    return None


def _open_directory(path, dir_fd=None):
    fd = os.open(path, _PATH_FLAGS | os.O_DIRECTORY, dir_fd=dir_fd)
    if not stat.S_ISDIR(os.fstat(fd).st_mode):
        os.close(fd)
        raise SocketError(f"{path} is not a folder")
    return fd


def _sockets_tmpfs(init, path):
    # /proc/<init>/root, Linux's own link to the sandbox's root, is the one link followed.
    fd = os.open(f"/proc/{init}/root", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        parent_device = None
        for name in Path(path).relative_to("/").parts:
            parent_device = os.fstat(fd).st_dev
            child = _open_directory(name, dir_fd=fd)
            os.close(fd)
            fd = child
        info = os.fstatvfs(fd)
        if os.fstat(fd).st_dev == parent_device or info.f_blocks * info.f_frsize != SOCKETS_BYTES:
            raise SocketError(f"{path} in the sandbox is not the sockets' own tmpfs")
        return fd
    except (OSError, SocketError) as error:
        os.close(fd)
        raise SocketError(f"the sandbox's sockets folder cannot be opened safely: {error}") from None


def open_sockets(folder_fd, names):
    """{name: O_PATH descriptor} of each socket in the folder `folder_fd`, opened without
    following a link; None while any is still missing (the kernel has not bound it yet). Raises
    SocketError if a name is anything but a socket on that folder's file system (a link the
    kernel's code made, say): the caller connects to nothing then."""
    device = os.fstat(folder_fd).st_dev
    opened = {}
    try:
        for name in names:
            try:
                fd = os.open(name, _PATH_FLAGS, dir_fd=folder_fd)
            except FileNotFoundError:
                close_all(opened)
                return None
            opened[name] = fd
            info = os.fstat(fd)
            if not stat.S_ISSOCK(info.st_mode) or info.st_dev != device:
                raise SocketError(f"the kernel's socket {name} was replaced by "
                                  f"{'a link' if stat.S_ISLNK(info.st_mode) else 'something else'}")
    except BaseException:
        close_all(opened)
        raise
    return opened


def close_all(fds):
    for fd in list(fds.values()):
        try:
            os.close(fd)
        except OSError:
            pass
    fds.clear()


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
