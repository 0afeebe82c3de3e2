"""The sandboxed kernel's whole life, owned by one context manager.

    with SandboxedKernel(workdir, scratch, limits, use_sandbox, run_prefix, copied, entries) as kernel:
        ...                         # the kernel boots meanwhile
        execution = kernel.run(nb, ...)

Entering makes the socket folder's name, the cgroups (memory, pids) and the kernelspec, and launches
the kernel in the sandbox (autograder.sandbox), without waiting for it; `run` executes the notebook
(autograder.execute: it connects through descriptors, never by path, and stops the kernel when
done). Leaving stops the kernel if it still runs and removes the cgroups and the socket folder,
whatever happened. The scratch folder is the job's, not the kernel's.
"""
import asyncio
import shutil
import subprocess
import uuid
from pathlib import Path

from . import execute, sandbox


def sockets_path(run_prefix):
    """Where the kernel binds its sockets: a short path in /tmp, whatever TMPDIR is, since a Unix
    socket's path must fit in 107 bytes. Sandboxed, it exists only inside (the grader reaches the
    sockets through descriptors, execute.PinnedKernelManager); unsandboxed, the job makes it. Named
    after the run, for cleaning up."""
    return Path("/tmp") / f"{run_prefix}{uuid.uuid4().hex[:8]}"


class SandboxedKernel:
    def __init__(self, workdir, scratch, limits, use_sandbox, run_prefix, copied=0, entries=0):
        self.workdir, self.scratch, self.limits, self.use_sandbox = workdir, scratch, limits, use_sandbox
        self.run_prefix, self.copied, self.entries = run_prefix, copied, entries
        self.sandboxed = sandbox.sandboxed(use_sandbox)
        self.cgroups, self.runtime, self.manager = [], None, None

    def __enter__(self):
        try:
            self.runtime = sockets_path(self.run_prefix)  # sandboxed: a tmpfs inside, nothing on the host
            if not self.sandboxed:
                self.runtime.mkdir(mode=0o700)
            tmpfs_bytes = sandbox.tmpfs_size(self.limits, self.copied, self.entries)
            if self.use_sandbox:
                self.cgroups = sandbox.make_cgroups(self.limits, tmpfs_bytes, self.run_prefix)
            self.manager = execute.start_kernel(self.workdir, self.runtime, self.scratch, self.limits, self.cgroups,
                                                self.use_sandbox, tmpfs_bytes)
            asyncio.run(self.manager.start_kernel(cwd=str(self.workdir), stdout=subprocess.DEVNULL,
                                                  stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def run(self, nb, results=None, rounds=None, kernel_side="", **left):
        """Execute the notebook (autograder.execute.run); the kernel is stopped when it returns.
        `left`: what a run that goes on after a stuck cell has left (execute.run's keywords)."""
        return execute.run(nb, self.manager, self.workdir, self.limits, results, rounds, kernel_side, **left)

    def __exit__(self, *exc):
        try:
            if self.manager is not None and self.manager.has_kernel:
                asyncio.run(self.manager.shutdown_kernel(now=True))
        except Exception:  # noqa: BLE001  (a kernel that will not stop is killed with its cgroup)
            pass
        for cgroup in self.cgroups:
            sandbox.remove_cgroup(cgroup)
        if self.runtime is not None:
            if self.runtime.is_symlink():
                self.runtime.unlink()
            elif self.runtime.is_dir():
                shutil.rmtree(self.runtime, ignore_errors=True)
        return False
