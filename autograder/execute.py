"""Execute a prepared notebook in a sandboxed kernel, within time and output limits.

The kernel may die (os._exit, a segfault, the memory limit), loop forever or flood its
output; none of that escapes this module. What ran before is kept, and `Execution.problem`
says in one line what happened.

Output: one budget over every channel a kernel can send on (LimitedClient). Streams, displays,
execute results and errors are kept up to `output_bytes` per cell and `notebook_output_bytes`
per notebook; a display update is charged, like a new output, for every output it rewrites;
widget (comm) messages are never kept at all: the notebook keeps no widget state and nothing
mimics an Output widget, whose captured outputs reach the cell as ordinary outputs. What does
not fit is cut, and the cell says so. The result a grader's cell hands out (a hidden test's
outcomes, the disk probe's reading) has an allowance of its own, so a student who spent the
notebook's budget loses outputs, never points.

Sockets: the grader connects to the kernel only through descriptors it opened itself, without
following links (PinnedKernelManager, sandbox.open_sockets), never by a path the kernel could change.
"""
import asyncio
import collections
import json
import math
import os
import time
from dataclasses import dataclass
from queue import Empty
from pathlib import Path

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output, output_from_msg

from . import sandbox


@dataclass
class Execution:
    problem: str | None = None      # why execution stopped early, if it did
    problem_cell: int | None = None
    seconds: float = 0.0
    stuck: bool = False             # a cell ignored the interrupt: only a new kernel can go on
    output_bytes_kept: int = 0      # of the notebook's output budget, this run's and earlier runs'


class InterruptIgnored(Exception):
    """A cell ran past its time and was still running after the interrupt and a grace period."""


# After a cell's time runs out it is interrupted; a kernel that has not answered this much later
# ignores interrupts (a loop that catches KeyboardInterrupt): every later cell would queue behind
# it, so execution stops here and the job goes on in a new kernel (job.execute_with_restarts).
INTERRUPT_GRACE_SECONDS = 5


TRUNCATED = "[output truncated:"
NOTE_BYTES = 200          # room left for the note that says what was cut
CHANNELS = ("shell", "iopub", "stdin", "control", "hb")
OUTPUT_TYPES = ("stream", "display_data", "execute_result", "error")


class _Kept:
    """One output kept in the notebook, and what it costs."""
    __slots__ = ("output", "size", "part", "cell", "own", "alive")

    def __init__(self, output, size, part, cell, own):
        self.output, self.size, self.part, self.cell, self.own = output, size, part, cell, own
        self.alive = True


class LimitedClient(NotebookClient):
    """nbclient with one output budget over every channel: `output_limit` bytes kept per cell,
    `notebook_limit` per notebook (outputs' JSON, as the notebook stores them). `results` maps
    a cell's index to the one output it hands out on an allowance of its own (up to
    `output_limit`, in no other budget): a MIME type (a display carrying it) or "error" (a
    failed visible check)."""

    output_limit = 200_000
    notebook_limit = 4 * 1024**2
    results = {}
    rounds = {}          # cell index -> plans.Rounds: a hidden test's cell, run once per round
    kernel_side = ""     # the source the kernel runs each round with (autograder/kernel_side.py)

    def __init__(self, nb, km=None, **kw):
        # Widget state is not kept in an autograded notebook (nothing there runs widgets).
        super().__init__(nb, km=km, store_widget_state=False, **kw)
        self.comm_open_handlers = {}  # and no Output widget mimic: captures come as outputs

    def reset_execution_trackers(self):
        super().reset_execution_trackers()
        self._kept = {}                        # id(output) -> _Kept, for the outputs kept
        self._cell_bytes = collections.Counter()
        self._own_bytes = collections.Counter()
        self.kept_bytes = 0                    # the notebook's, allowances aside
        self._displays = {}                    # display id -> [_Kept] showing it
        self._noted = set()                    # cells that say they were cut: the rest is dropped
        self._current = None

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        """A hidden test's cell runs once per round of calls: each round's plan goes in as the cell's
        source, the outcomes it hands out go to the test's Rounds, which says what to send next."""
        driver = self.rounds.get(cell_index)
        if driver is None:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        from .plans import cell_source, find_payload
        plan = driver.first()
        while plan is not None:
            self._clear(cell.outputs, cell_index)
            cell.source = cell_source(plan, self.kernel_side)
            server = asyncio.ensure_future(self._serve_values(driver)) if driver.served else None
            self.kc.allow_stdin = server is not None
            try:
                await super().async_execute_cell(cell, cell_index, execution_count, store_history=False)
            finally:
                self.kc.allow_stdin = False
                if server is not None:
                    server.cancel()
            plan = driver.receive(find_payload(cell))
        cell.source = "# the hidden test's calls ran here"
        return cell

    async def _async_handle_timeout(self, timeout, cell=None):
        """nbclient interrupts the kernel and hands back a timeout error for the cell at once, even if
        the kernel is still running it. Wait (a grace period) for the interrupted cell's own reply."""
        reply = await super()._async_handle_timeout(timeout, cell)
        deadline = time.monotonic() + INTERRUPT_GRACE_SECONDS
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise InterruptIgnored()
            try:
                msg = await self.kc.shell_channel.get_msg(timeout=left)
            except Empty:
                raise InterruptIgnored() from None
            if msg.get("msg_type") == "execute_reply":   # the one execution outstanding has ended
                return reply

    async def _serve_values(self, driver):
        """Answer the kernel's requests for served functions' values (plans.Rounds.serve): they come
        as input requests on the stdin channel while a hidden test's round runs."""
        while True:
            msg = await self.kc.stdin_channel.get_msg()
            if msg.get("msg_type") == "input_request":
                content = msg.get("content") if isinstance(msg.get("content"), dict) else {}
                self.kc.input(driver.serve(content.get("prompt")))

    # -- every message from the kernel -------------------------------------------------------

    def process_message(self, msg, cell, cell_index):
        content = msg.get("content")
        if not isinstance(content, dict):
            return None
        # What nbclient copies into the cell unchecked: only what the notebook format allows.
        if "execution_count" in content and not _is_count(content["execution_count"]):
            content["execution_count"] = None
        transient = content.get("transient")
        if transient is not None and not (isinstance(transient, dict)
                                          and isinstance(transient.get("display_id", ""), str)):
            content["transient"] = None
        self._current = cell_index
        return super().process_message(msg, cell, cell_index)

    def handle_comm_msg(self, outs, msg, cell_index):
        """Widget traffic (comm_open, comm_msg, comm_close, with any buffers): nothing kept."""
        return None

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] not in OUTPUT_TYPES:
            return None  # not an output (nbclient ignores these too)
        if cell_index in self._noted and not self._may_be_own(msg, cell_index):
            return None  # cut already: not even parsed
        try:
            if not _plausible_output(msg["content"]):
                raise ValueError("not an output")  # refused before the schema, which costs per bad item
            out = output_from_msg(msg)  # checked against the notebook format's schema
        except Exception:  # the kernel's code sent a message no notebook can hold
            self._note(outs, cell_index, f"{TRUNCATED} the kernel sent a {str(msg['msg_type'])[:40]!r} "
                                         "message that is not a valid output]\n")
            return None
        if self.clear_before_next_output:
            self._clear(outs, cell_index)
            self.clear_before_next_output = False
        kept = self._admit(outs, out, cell_index)
        if kept is not None and display_id:
            self._displays.setdefault(display_id, []).append(kept)
        return kept.output if kept is not None else None

    def clear_output(self, outs, msg, cell_index):
        if msg["content"].get("wait"):
            self.clear_before_next_output = True
        else:
            self._clear(outs, cell_index)

    def _update_display_id(self, display_id, msg):
        """A display update (or a new display with an id shown before) rewrites every output
        showing that id, in any cell: charged for each, all or nothing."""
        targets = [kept for kept in self._displays.get(display_id, ()) if kept.alive]
        self._displays[display_id] = targets
        if not targets:
            return
        content = msg["content"]
        data, metadata = content.get("data"), content.get("metadata", {})
        low = _at_least(data, self.output_limit) + _at_least(metadata, self.output_limit)
        if not self._fits(targets, low):
            self._cut_update(targets)
            return
        try:
            new = new_output("display_data", data=data, metadata=metadata)
        except Exception:
            self._cut_update(targets, valid=False)
            return
        part = _size(new.data) + _size(new.metadata)
        if not self._fits(targets, part):
            self._cut_update(targets)
            return
        for kept in targets:
            delta = part - kept.part
            kept.output["data"], kept.output["metadata"] = new.data, new.metadata
            kept.size, kept.part = kept.size + delta, part
            self._charge(kept, delta)

    # -- the budget ------------------------------------------------------------------------------

    def _may_be_own(self, msg, cell_index):
        wanted = self.results.get(cell_index)
        if wanted == "error":
            return msg["msg_type"] == "error"
        data = msg["content"].get("data")
        return wanted is not None and msg["msg_type"] == "display_data" and isinstance(data, dict) \
            and wanted in data

    def _is_own(self, out, cell_index):
        wanted = self.results.get(cell_index)
        if wanted is None or self._own_bytes[cell_index]:
            return False  # one output per cell only
        return out.output_type == "error" if wanted == "error" else \
            out.output_type == "display_data" and wanted in out.data

    def _admit(self, outs, out, cell_index):
        if self._is_own(out, cell_index) and _at_least(out, self.output_limit) <= self.output_limit:
            size = _size(out)
            if size <= self.output_limit:
                return self._keep(outs, out, size, cell_index, own=True)
        if cell_index in self._noted:
            return None
        room = min(self.output_limit - self._cell_bytes[cell_index], self.notebook_limit - self.kept_bytes)
        if _at_least(out, room) <= room:
            size = _size(out)
            if size <= room:
                return self._keep(outs, out, size, cell_index, own=False)
        # One message can be huge (ipykernel batches prints): keep what fits, then a note.
        smaller = _fitted(out, room - NOTE_BYTES)
        if smaller is not None:
            self._keep(outs, smaller, _size(smaller), cell_index, own=False)
        self._note(outs, cell_index, self._why(cell_index))
        return None

    def _keep(self, outs, out, size, cell_index, own):
        part = _size(out.get("data", {})) + _size(out.get("metadata", {})) if "data" in out else 0
        kept = _Kept(out, size, part, cell_index, own)
        self._kept[id(out)] = kept
        self._charge(kept, size)
        outs.append(out)
        return kept

    def _charge(self, kept, delta):
        if kept.own:
            self._own_bytes[kept.cell] += delta
        else:
            self._cell_bytes[kept.cell] += delta
            self.kept_bytes += delta

    def _fits(self, targets, part):
        cells, own, total = collections.Counter(), collections.Counter(), 0
        for kept in targets:
            delta = part - kept.part
            if kept.own:
                own[kept.cell] += delta
            else:
                cells[kept.cell] += delta
                total += delta
        return (all(self._own_bytes[c] + d <= self.output_limit for c, d in own.items())
                and all(self._cell_bytes[c] + d <= self.output_limit for c, d in cells.items() if d > 0)
                and (total <= 0 or self.kept_bytes + total <= self.notebook_limit))

    def _cut_update(self, targets, valid=True):
        cell_index = self._current
        if cell_index is None or cell_index in self._noted:
            return
        what = "a display update of" if valid else "a display update that is not a valid output, of"
        self._note(self.nb.cells[cell_index].outputs, cell_index,
                   f"{TRUNCATED} {what} {len(targets):,} output(s) was refused: it would pass the limits of "
                   f"{self.output_limit:,} bytes per cell, {self.notebook_limit:,} per notebook]\n")

    def _why(self, cell_index):
        if self.notebook_limit - self.kept_bytes <= self.output_limit - self._cell_bytes[cell_index]:
            return f"{TRUNCATED} this notebook's outputs reached {self.notebook_limit:,} bytes]\n"
        return f"{TRUNCATED} more than {self.output_limit:,} bytes]\n"

    def _note(self, outs, cell_index, text):
        outs.append(new_output("stream", name="stdout", text=text))
        self._noted.add(cell_index)

    def _clear(self, outs, cell_index):
        for out in outs:
            kept = self._kept.pop(id(out), None)
            if kept is not None:
                kept.alive = False
                self._charge(kept, -kept.size)
        outs[:] = []
        self._noted.discard(cell_index)  # its note went too: what comes next is counted afresh


def _texts(value):
    """A string, or a list of strings (how the notebook format stores multi-line text)."""
    return type(value) is str or (type(value) is list and all(type(item) is str for item in value))


def _plausible_output(content):
    """A cheap look at what the schema will check item by item: jsonschema builds an error for every
    bad item of a list (a list of 10**6 empty dicts costs gigabytes and minutes), so a message whose
    texts are not strings never reaches it. JSON types (application/json, *+json) hold any JSON."""
    data = content.get("data", {})
    if not isinstance(data, dict):
        return False
    for kind, value in data.items():
        if not (isinstance(kind, str) and (kind.endswith("json") or _texts(value))):
            return False
    return all(_texts(content[key]) for key in ("text", "traceback") if key in content)


def _is_count(value):
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31)


def _size(value):
    """Bytes of `value` as JSON (never fewer than the notebook takes on disk)."""
    return len(json.dumps(value))


def _at_least(value, stop):
    """A lower bound of `_size(value)`, reached without writing the JSON: a huge message too
    large for any room costs no copy of itself. Stops counting past `stop`."""
    total, stack = 0, [value]
    while stack and total <= stop:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            total += 2 + len(item)
            stack.extend(item)
        else:
            total += 1
    return total


def _prefix(text, room):
    """The longest prefix of `text` (about) whose JSON fits in `room` bytes."""
    cut = text[:max(0, room)]
    while cut and _size(cut) > room:
        cut = cut[:max(0, len(cut) * room // _size(cut) - 1)]
    return cut


def _fitted(out, room):
    """A cut-down copy of a stream or an error within `room` bytes, or None."""
    if room < 100:
        return None
    if out.output_type == "stream":
        text = _prefix(out.text, room - 60)
        return new_output("stream", name=out.name, text=text) if text else None
    if out.output_type == "error":
        ename = _prefix(out.ename, 100)
        left = room - 100 - _size(ename)
        evalue = _prefix(out.evalue, left // 2)
        left -= _size(evalue)
        traceback = []
        for line in out.traceback:
            piece = _prefix(line, left - 10)
            if not piece:
                break
            traceback.append(piece)
            left -= _size(piece) + 2
        return new_output("error", ename=ename, evalue=evalue, traceback=traceback)
    return None


class PinnedKernelClient(AsyncKernelClient):
    """A client whose channels connect to the URLs it is given (`urls`), never to the paths
    in the connection file."""

    urls = None

    def _make_url(self, channel):
        if self.urls is None:  # fail closed: never the connection file's paths
            raise sandbox.SocketError("the kernel's sockets are not open")
        return self.urls[channel]

    def _create_connected_socket(self, channel, identity=None):
        """The stdin socket carries only requests for served functions' values (under 1 MB each): it
        refuses larger messages and queues few, so a kernel that floods it costs the grader little
        (a peer that sends an oversized message is disconnected: served values then fail, for it)."""
        if channel != "stdin":
            return super()._create_connected_socket(channel, identity)
        self.context.setsockopt(zmq.MAXMSGSIZE, STDIN_MESSAGE_BYTES)   # defaults for the next socket
        self.context.setsockopt(zmq.RCVHWM, STDIN_QUEUE)
        try:
            return super()._create_connected_socket(channel, identity)
        finally:
            self.context.sockopts.pop(zmq.MAXMSGSIZE, None)
            self.context.sockopts.pop(zmq.RCVHWM, None)


STDIN_MESSAGE_BYTES = 2 * 2**20
STDIN_QUEUE = 10


class PinnedKernelManager(AsyncKernelManager):
    """Connects to the kernel's sockets only through descriptors of the socket inodes, which the
    grader opened itself (`open_sockets`): ipc:///proc/self/fd/N reaches the socket that was
    bound there, whatever the kernel's code later does to its name or its folder, or nothing."""

    def __init__(self, use_sandbox=True, **kwargs):
        super().__init__(client_class="autograder.execute.PinnedKernelClient", **kwargs)
        self.use_sandbox = use_sandbox
        self._socket_fds, self._folder_fd = {}, None   # channel -> descriptor; their folder

    def socket_urls(self):
        if len(self._socket_fds) != len(CHANNELS):
            raise sandbox.SocketError("the kernel's sockets are not open")
        return {channel: f"ipc:///proc/self/fd/{fd}" for channel, fd in self._socket_fds.items()}

    def _make_url(self, channel):
        return self.socket_urls()[channel]

    def _connect_control_socket(self):
        if len(self._socket_fds) == len(CHANNELS):  # after open_sockets, not at launch
            super()._connect_control_socket()

    def client(self, **kwargs):
        client = super().client(**kwargs)
        client.urls = self.socket_urls()
        return client

    def cleanup_ipc_files(self):
        """Nothing to remove by path: the sockets' folder goes with the sandbox or the job."""

    async def open_sockets(self, timeout):
        """Open the kernel's five sockets once it has bound them (SocketError if it never does,
        or if any is not a socket: nothing is connected then)."""
        deadline = time.monotonic() + timeout
        process = self.provisioner.process
        runtime = Path(self.ip).parent
        self._folder_fd = sandbox.open_runtime(process.pid, runtime, sandbox.sandboxed(self.use_sandbox),
                                               timeout=timeout)
        if self._folder_fd is None:
            raise DeadKernelError("the sandbox did not start")
        names = {channel: f"{Path(self.ip).name}-{getattr(self, channel + '_port')}" for channel in CHANNELS}
        while True:
            opened = sandbox.open_sockets(self._folder_fd, list(names.values()))
            if opened is not None:
                self._socket_fds = {channel: opened[name] for channel, name in names.items()}
                return
            if process.poll() is not None:
                raise DeadKernelError("the kernel died before it opened its sockets")
            if time.monotonic() > deadline:
                raise sandbox.SocketError(f"the kernel did not open its sockets within {timeout:g} s")
            await asyncio.sleep(0.01)

    def close_sockets(self, client=None):
        """Close the client's channels, then the descriptors they reached the kernel through (a
        socket left open would reconnect to whatever file takes a descriptor's number next)."""
        if client is not None:
            try:
                client.stop_channels()
            except Exception:
                pass
        self._close_control_socket()
        sandbox.close_all(self._socket_fds)
        if self._folder_fd is not None:
            os.close(self._folder_fd)
            self._folder_fd = None


def start_kernel(workdir, runtime, scratch, limits, cgroups, use_sandbox, tmpfs_bytes=None):
    """Create the kernel manager (the caller starts it, so start-up overlaps its other work).
    The connection file and the kernelspec go in `scratch`; the sockets in `runtime`."""
    connection_file = Path(scratch) / "connection.json"
    argv = sandbox.kernel_argv(workdir, runtime, connection_file, limits, cgroups, use_sandbox, tmpfs_bytes)
    sandbox.write_kernelspec(Path(scratch) / "kernels", argv)
    specs = KernelSpecManager(kernel_dirs=[str(Path(scratch) / "kernels")], ensure_native_kernel=False)
    return PinnedKernelManager(use_sandbox, kernel_name="sandboxed", kernel_spec_manager=specs, transport="ipc",
                               ip=str(Path(runtime) / "kernel"), connection_file=str(connection_file))


STARTUP_SECONDS = 60
# After a cell's reply, how long its last outputs may take to arrive: on a loaded machine a burst of
# displays can lag its reply by seconds (at 2 s, a 300-display cell lost its last ones under load).
IOPUB_SECONDS = 10


def run(nb, manager, workdir, limits, results=None, rounds=None, kernel_side="", notebook_seconds=None,
        output_bytes_kept=0):
    """Execute `nb` in place (outputs filled in). Returns an Execution. `results`: cell index
    -> the output that cell hands out on an allowance of its own (LimitedClient.results);
    `rounds`: cell index -> the hidden test (plans.Rounds) whose calls that cell makes.
    A run that goes on after a stuck cell passes what is left of the notebook's time
    (`notebook_seconds`) and output budget (`output_bytes_kept` used already)."""
    result = Execution()
    start = time.monotonic()
    # nbclient takes whole seconds, and 0 would mean no limit at all.
    client = LimitedClient(nb, km=manager, timeout=max(1, math.ceil(limits.cell_seconds)), allow_errors=True,
                           interrupt_on_timeout=True, kernel_name="sandboxed", iopub_timeout=IOPUB_SECONDS,
                           # after the interrupt, stop waiting for a reply that may never come
                           error_on_timeout={"ename": "TimeoutError", "traceback": [],
                                             "evalue": f"the cell ran longer than {limits.cell_seconds:g} s"},
                           startup_timeout=STARTUP_SECONDS, shutdown_kernel="immediate",
                           resources={"metadata": {"path": str(workdir)}})
    client.output_limit = limits.output_bytes
    client.notebook_limit = max(0, limits.notebook_output_bytes - output_bytes_kept)
    client.results = dict(results or {})
    client.rounds, client.kernel_side = dict(rounds or {}), kernel_side
    budget = limits.notebook_seconds if notebook_seconds is None else notebook_seconds
    deadline = start + budget

    async def on_start(cell, cell_index):
        result.problem_cell = cell_index  # if anything goes wrong now, it is in this cell
        if time.monotonic() > deadline:
            raise TimeoutError(f"the notebook ran out of its {limits.notebook_seconds:g} s")

    client.on_cell_start = on_start
    # A kernel whose own machinery the student broke may never answer: a hard stop.
    hard_stop = budget + 2 * limits.cell_seconds + INTERRUPT_GRACE_SECONDS + 30

    async def execute_within_limit():
        async def connect_and_execute():
            await manager.open_sockets(STARTUP_SECONDS)
            await client.async_execute()
        await asyncio.wait_for(connect_and_execute(), hard_stop)

    try:
        asyncio.run(execute_within_limit())
    except asyncio.TimeoutError:
        result.problem = f"the notebook did not finish within {hard_stop:g} s and was stopped"
    except DeadKernelError:
        result.problem = "the kernel died (the code ended Python, crashed, or ran out of memory)"
    except InterruptIgnored:
        result.problem = (f"a cell ran longer than {limits.cell_seconds:g} s and went on running when "
                          "interrupted")
        result.stuck = True
    except CellTimeoutError:
        result.problem = f"a cell did not stop within {limits.cell_seconds:g} s, even when interrupted"
    except TimeoutError as error:
        result.problem = str(error)
    except sandbox.SocketError as error:
        result.problem = f"the kernel could not be reached safely: {error}"
    except Exception as error:  # the kernel failed to start, or the protocol broke down
        result.problem = f"execution failed: {type(error).__name__}: {str(error)[:200]}"
    finally:
        try:
            if manager.has_kernel:
                asyncio.run(manager.shutdown_kernel(now=True))
        except Exception:
            pass
        manager.close_sockets(client.kc)
    if not result.problem:
        result.problem_cell = None
    result.seconds = time.monotonic() - start
    result.output_bytes_kept = output_bytes_kept + getattr(client, "kept_bytes", 0)
    return result
