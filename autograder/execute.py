"""Execute a prepared notebook in a sandboxed kernel, within time and output limits.

The kernel may die (os._exit, a segfault, the memory limit), loop forever or flood its
output; none of that escapes this module. What ran before is kept, and `Execution.problem`
says in one line what happened.
"""
import asyncio
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output

from . import sandbox


@dataclass
class Execution:
    problem: str | None = None      # why execution stopped early, if it did
    problem_cell: int | None = None
    seconds: float = 0.0


TRUNCATED = "[output truncated:"


class LimitedClient(NotebookClient):
    """nbclient with an output budget per cell (set `output_limit`)."""

    output_limit = 200_000

    def output(self, outs, msg, display_id, cell_index):
        used = sum(len(json.dumps(o)) for o in outs)
        if any(o.get("text", "").startswith(TRUNCATED) for o in outs):
            return None  # already over budget: drop everything else this cell prints
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or used + len(json.dumps(out)) <= self.output_limit:
            return out
        # One message can be huge (ipykernel batches prints): keep what fits, then a note.
        outs.remove(out)
        room = max(0, self.output_limit - used - 200)
        if out.output_type == "stream" and room:
            outs.append(new_output("stream", name=out.name, text=out.text[:room]))
        outs.append(new_output("stream", name="stdout",
                               text=f"{TRUNCATED} more than {self.output_limit:,} bytes]\n"))
        return None


def start_kernel(workdir, runtime, scratch, limits, cgroups, use_sandbox, tmpfs_bytes=None):
    """Create the kernel manager (the caller starts it, so start-up overlaps its other work).
    The connection file and the kernelspec go in `scratch`; the sockets in `runtime`."""
    connection_file = Path(scratch) / "connection.json"
    argv = sandbox.kernel_argv(workdir, runtime, connection_file, limits, cgroups, use_sandbox, tmpfs_bytes)
    sandbox.write_kernelspec(Path(scratch) / "kernels", argv)
    specs = KernelSpecManager(kernel_dirs=[str(Path(scratch) / "kernels")], ensure_native_kernel=False)
    manager = AsyncKernelManager(kernel_name="sandboxed", kernel_spec_manager=specs,
                                 transport="ipc", ip=str(Path(runtime) / "kernel"),
                                 connection_file=str(connection_file))
    return manager


def run(nb, manager, workdir, limits):
    """Execute `nb` in place (outputs filled in). Returns an Execution."""
    result = Execution()
    start = time.monotonic()
    # nbclient takes whole seconds, and 0 would mean no limit at all.
    client = LimitedClient(nb, km=manager, timeout=max(1, math.ceil(limits.cell_seconds)), allow_errors=True,
                           interrupt_on_timeout=True, kernel_name="sandboxed", iopub_timeout=2,
                           # after the interrupt, stop waiting for a reply that may never come
                           error_on_timeout={"ename": "TimeoutError", "traceback": [],
                                             "evalue": f"the cell ran longer than {limits.cell_seconds:g} s"},
                           startup_timeout=60, shutdown_kernel="immediate",
                           resources={"metadata": {"path": str(workdir)}})
    client.output_limit = limits.output_bytes
    deadline = start + limits.notebook_seconds

    async def on_start(cell, cell_index):
        result.problem_cell = cell_index  # if anything goes wrong now, it is in this cell
        if time.monotonic() > deadline:
            raise TimeoutError(f"the notebook ran out of its {limits.notebook_seconds:g} s")

    client.on_cell_start = on_start
    # A kernel whose own machinery the student broke may never answer: a hard stop.
    hard_stop = limits.notebook_seconds + 2 * limits.cell_seconds + 30

    async def execute_within_limit():
        await asyncio.wait_for(client.async_execute(), hard_stop)

    try:
        asyncio.run(execute_within_limit())
    except asyncio.TimeoutError:
        result.problem = f"the notebook did not finish within {hard_stop:g} s and was stopped"
    except DeadKernelError:
        result.problem = "the kernel died (the code ended Python, crashed, or ran out of memory)"
    except CellTimeoutError:
        result.problem = f"a cell did not stop within {limits.cell_seconds:g} s, even when interrupted"
    except TimeoutError as error:
        result.problem = str(error)
    except Exception as error:  # the kernel failed to start, or the protocol broke down
        result.problem = f"execution failed: {type(error).__name__}: {str(error)[:200]}"
    finally:
        try:
            if manager.has_kernel:
                asyncio.run(manager.shutdown_kernel(now=True))
        except Exception:
            pass
    if not result.problem:
        result.problem_cell = None
    result.seconds = time.monotonic() - start
    return result
