"""Hostile submissions on the channels outside print(): display updates, widget (comm) messages,
huge tracebacks, a flooded notebook budget, and the kernel's own sockets and start-up. Each is
graded beside an honest twin with the same answers, which it must not beat and may not lose to."""
import json
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import nbformat
import pytest

from autograder.grade import grade_assignment
from autograder.limits import Limits
from conftest import REPO
from submissions import ASSIGNMENT, points_of, solution, submit, with_answer, with_cell

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not shutil.which("bwrap"), reason="the sandbox needs the Debian package bubblewrap")]

LIMITS = Limits(cell_seconds=20, notebook_seconds=90, output_bytes=200_000, notebook_output_bytes=1024**2)
NOTE = 400   # the cut note and JSON framing the cap leaves room for
WRONG = ("(f(x + h) - f(x - h)) / (2 * h)", "(f(x + h) - f(x)) / h")   # a wrong central difference
CHUNK = "chunk = 'x' * 2**20\n"
MARK = "# FLOOD\n"   # first line of every flooding cell, to find it in the autograded notebook

DISPLAY_FLOOD = MARK + CHUNK + (   # 30 MiB through update_display_data
    "from IPython.display import display\n"
    "handle = display({'text/plain': 'start'}, raw=True, display_id=True)\n"
    "for i in range(30):\n    handle.update({'text/plain': chunk + str(i)}, raw=True)\n")
# one display id shown 300 times, then one 150 kB update: 45 MB if every copy were rewritten
DISPLAY_FANOUT = MARK + (
    "import time\nfrom IPython.display import display\n"
    "for i in range(300):\n    display({'text/plain': '.'}, raw=True, display_id='fan')\n"
    "    time.sleep(0.002)  # slower than the grader reads: nothing lost at ZeroMQ's high-water mark\n"
    "display({'text/plain': 'y' * 150_000}, raw=True, display_id='fan', update=True)\n")
HONEST_DISPLAY = MARK + (   # a progress display updated in place, as an honest student writes it
    "from IPython.display import display\n"
    "handle = display({'text/plain': 'step 0'}, raw=True, display_id=True)\n"
    "for i in range(200):\n    handle.update({'text/plain': f'step {i}'}, raw=True)\n")
COMM_FLOOD = MARK + CHUNK + (   # 30 MiB of widget state and 30 MiB of buffers on a raw comm
    "from comm import create_comm\n"
    "c = create_comm(target_name='jupyter.widget', data={'state': {'_model_name': 'X', "
    "'_model_module': 'y', '_model_module_version': '1'}, 'buffer_paths': []})\n"
    "for i in range(30):\n"
    "    c.send({'method': 'update', 'state': {f'v{i}': chunk}, 'buffer_paths': []})\n"
    "    c.send({'method': 'update', 'state': {f'b{i}': None}, 'buffer_paths': [[f'b{i}']]}, "
    "buffers=[chunk.encode()])\n")
WIDGET_FLOOD = MARK + CHUNK + (   # an Output widget capturing 30 MiB of prints
    "import ipywidgets\nfrom IPython.display import display\nout = ipywidgets.Output()\ndisplay(out)\n"
    "with out:\n    for i in range(30):\n        print(chunk)\n")
TRACEBACK_FLOOD = MARK + "raise ValueError('z' * 5_000_000)\n"
BUDGET_FLOOD = MARK + "print('w' * 190_000)\n"   # under the cell's cap: eight of them pass the notebook's


def flood(code, cells=1, nb=None):
    nb = nb or solution()
    for _ in range(cells):
        nb = with_cell(code, nb=nb)
    return nb


def printing_answers():
    """forward_difference prints 100 kB each time it is called: the hidden test's cell prints
    far past its cap before it hands out its result."""
    return with_answer("forward_difference", "return (f(x + h) - f(x)) / h",
                       "print('p' * 100_000)\n    return (f(x + h) - f(x)) / h")


# Replaces the kernel's five socket files, then their folder, with links to a host socket, and
# drops the grader's connections so that ZeroMQ reconnects.
SOCKET_ATTACK = """import json, os, socket, sys, time
info = json.load(open(sys.argv[sys.argv.index('-f') + 1]))
paths = [f"{info['ip']}-{info[name + '_port']}" for name in ('shell', 'iopub', 'stdin', 'control', 'hb')]
folder = os.path.dirname(os.path.realpath(paths[0]))
for path in paths:
    os.rename(path, path + '.real')
    os.symlink(LISTENER, path)
print('LINKED', sum(os.path.islink(p) for p in paths))
try:
    os.rename(os.path.dirname(folder), os.path.dirname(folder) + '-moved')
    os.mkdir(os.path.dirname(folder))
    os.symlink(FAKE_FOLDER, folder)
    print('FOLDER LINKED', os.path.islink(folder))
except OSError as error:
    print('folder kept:', error)
sys.stdout.flush()
time.sleep(1)   # the evidence reaches the grader before the connections are cut
dropped = 0
for fd in map(int, os.listdir('/proc/self/fd')):
    try:
        if not os.readlink(f'/proc/self/fd/{fd}').startswith('socket:'):
            continue
        s = socket.socket(fileno=os.dup(fd))
    except OSError:
        continue
    try:
        if s.family == socket.AF_UNIX and not s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            s.shutdown(socket.SHUT_RDWR)
            dropped += 1
    except OSError:
        pass
    finally:
        s.close()
print('DROPPED', dropped)
time.sleep(4)
"""
# Would run instead of the kernel if the submission's folder came first on sys.path at start-up.
PLANTED_LAUNCHER = """import os, runpy, sys
open('/tmp/planted-ran', 'w').close()
sys.path[:] = [p for p in sys.path if p not in ('', os.getcwd())]
sys.modules.pop('ipykernel_launcher', None)
runpy.run_module('ipykernel_launcher', run_name='__main__')
"""
PLANTED_CHECK = ("import os, helpers\n"
                 "print('PLANTED RAN' if os.path.exists('/tmp/planted-ran') else 'no planted code')\n"
                 "print('HELPER', helpers.VALUE)\n")


class Listener:
    """A Unix socket on the host, counting the connections and bytes it gets."""

    def __init__(self, path):
        self.path, self.connections, self.bytes = str(path), 0, 0
        self.socket = socket.socket(socket.AF_UNIX)
        self.socket.bind(self.path)
        self.socket.listen(64)
        self.socket.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            connection.settimeout(0.2)
            try:
                self.bytes += len(connection.recv(4096))
            except OSError:
                pass
            connection.close()

    def close(self):
        self.stop.set()
        self.thread.join(2)
        self.socket.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("channels")
    subs = base / "submitted"
    # Short: a Unix socket's path must fit in 107 bytes, and pytest's tmp_path is deep.
    short = Path(tempfile.mkdtemp(prefix="ag-listen-", dir="/tmp"))
    listener = Listener(short / "host.sock")
    fake = short / "fake"   # a host folder of links to the listener, for the folder's link
    fake.mkdir()
    for port in range(1, 64):
        (fake / f"kernel-{port}").symlink_to(listener.path)

    cases = {
        "honest": solution(),
        "honest_wrong": with_answer("central_difference", *WRONG),
        "honest_display": flood(HONEST_DISPLAY),
        "display_flood": flood(DISPLAY_FLOOD),
        "display_fanout": flood(DISPLAY_FANOUT),
        "comm_flood": flood(COMM_FLOOD),
        "widget_flood": flood(WIDGET_FLOOD),
        "traceback_flood": flood(TRACEBACK_FLOOD),
        "budget_flood": flood(BUDGET_FLOOD, cells=8),
        "budget_flood_wrong": flood(BUDGET_FLOOD, cells=8, nb=with_answer("central_difference", *WRONG)),
        "prints_in_hidden_tests": printing_answers(),
        "socket_attack": with_cell(SOCKET_ATTACK.replace("LISTENER", repr(listener.path))
                                   .replace("FAKE_FOLDER", repr(str(fake)))),
    }
    for student, nb in cases.items():
        submit(subs, student, nb)
    planted = submit(subs, "planted_launcher", with_cell(PLANTED_CHECK))
    (planted / "ipykernel_launcher.py").write_text(PLANTED_LAUNCHER)
    (planted / "helpers.py").write_text("VALUE = 'from the folder'\n")

    (base / "secret").write_text("channels-test-secret-0123456789\n")
    try:
        results, _ = grade_assignment(REPO, ASSIGNMENT, subs, base / "out", db_url=f"sqlite:///{base / 'gb.db'}",
                                      workers=2, secret_file=base / "secret", limits=LIMITS,
                                      log=lambda *_: None, scratch_root=base)
    finally:
        listener.close()
        shutil.rmtree(short, ignore_errors=True)
    yield {"results": {r.student_id: r for r in results}, "base": base, "listener": listener}


def autograded(graded, student):
    path = graded["base"] / "out" / "workspace" / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    return path, nbformat.read(path, as_version=4)


def flood_cells(graded, student):
    _, nb = autograded(graded, student)
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(MARK)]
    assert cells, f"{student}: no flooding cell in the autograded notebook"
    return cells


def size_of(outputs):
    return sum(len(json.dumps(o)) for o in outputs)


def text_of(cell):
    return "".join(o.get("text", "") + json.dumps(o.get("data", {})) + o.get("evalue", "") for o in cell.outputs)


def points(graded, student):
    return {g: v.points for g, v in graded["results"][student].tests.items()}


@pytest.mark.parametrize("student, twin", [
    ("display_flood", "honest"), ("display_fanout", "honest"), ("comm_flood", "honest"),
    ("widget_flood", "honest"), ("traceback_flood", "honest"), ("budget_flood", "honest"),
    ("prints_in_hidden_tests", "honest"), ("budget_flood_wrong", "honest_wrong"),
    ("honest_display", "honest"), ("planted_launcher", "honest"),
])
def test_scores_what_its_honest_twin_scores(graded, student, twin):
    result = graded["results"][student]
    assert result.status == "graded" and result.problem is None, (result.status, result.problem)
    assert points(graded, student) == points(graded, twin)
    assert graded["results"]["honest"].score == 10
    assert graded["results"]["honest_wrong"].score == 10 - points_of("test_central_difference")


@pytest.mark.parametrize("student", ["display_flood", "widget_flood", "traceback_flood"])
def test_a_flooding_cell_keeps_its_cap_and_says_so(graded, student):
    """30 MiB through a display handle's updates, an Output widget, or one error: the cell keeps
    at most its cap, and a note saying it was cut."""
    (cell,) = flood_cells(graded, student)
    assert size_of(cell.outputs) <= LIMITS.output_bytes + NOTE
    assert "[output truncated:" in text_of(cell)
    if student == "display_flood":   # a display is not cut in half: the update that does not fit is refused
        assert [o["data"]["text/plain"] for o in cell.outputs if o.output_type == "display_data"] == ["start"]
    else:   # a stream or an error keeps what fits
        assert size_of(cell.outputs) > LIMITS.output_bytes // 2


def test_a_cut_error_is_still_an_error(graded):
    (cell,) = flood_cells(graded, "traceback_flood")
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "ValueError" and errors[0].evalue.startswith("zzz")


def test_a_display_update_is_charged_for_every_output_it_rewrites(graded):
    """One 150 kB update of an id shown 300 times would be 45 MB: refused, with a note; the 300
    small displays stay as they were."""
    path, _ = autograded(graded, "display_fanout")
    (cell,) = flood_cells(graded, "display_fanout")
    assert size_of(cell.outputs) <= LIMITS.output_bytes + NOTE
    assert "[output truncated:" in text_of(cell) and "y" * 1000 not in text_of(cell)
    assert sum(o.get("data", {}).get("text/plain") == "." for o in cell.outputs) == 300
    assert path.stat().st_size < 2 * 1024**2


def test_honest_display_updates_still_update(graded):
    (cell,) = flood_cells(graded, "honest_display")
    shown = [o["data"]["text/plain"] for o in cell.outputs if o.output_type == "display_data"]
    assert shown == ["step 199"] and "[output truncated:" not in text_of(cell)


def test_widget_messages_are_not_kept(graded):
    """60 MiB of widget state and buffers sent on a comm: the autograded notebook keeps no
    widget state (nbclient would have written all of it into the notebook's metadata)."""
    path, nb = autograded(graded, "comm_flood")
    assert "widgets" not in nb.metadata
    assert path.stat().st_size < 1024**2
    honest_path, _ = autograded(graded, "honest")
    assert path.stat().st_size < honest_path.stat().st_size + 50_000


def test_the_notebook_budget_holds_and_costs_no_points(graded):
    """Eight cells of 190 kB each, each under its cap: the notebook keeps its 1 MiB, the later
    cells say the notebook's budget was reached, and every hidden test still hands out its result."""
    path, nb = autograded(graded, "budget_flood")
    cells = flood_cells(graded, "budget_flood")
    kept = sum(size_of(c.outputs) for c in cells)
    assert LIMITS.notebook_output_bytes - 200_000 <= kept <= LIMITS.notebook_output_bytes + 8 * NOTE
    assert any("this notebook's outputs reached" in text_of(c) for c in cells)
    assert path.stat().st_size < LIMITS.notebook_output_bytes + 300_000


def test_a_failed_visible_check_is_shown_after_the_budget_is_spent(graded):
    _, nb = autograded(graded, "budget_flood_wrong")
    shown = json.dumps([c.outputs for c in nb.cells if c.cell_type == "code"])
    assert "visible check failed" in shown


def test_prints_during_hidden_tests_do_not_drop_their_results(graded):
    result = graded["results"]["prints_in_hidden_tests"]
    assert result.score == 10, {g: (v.points, v.problem) for g, v in result.tests.items()}


def test_no_host_socket_is_ever_connected_to(graded):
    """The submission pointed its kernel's socket files, and then their folder, at a host
    socket and broke the grader's connections: the grader reconnected to the kernel's own
    sockets only, and graded it in full."""
    listener = graded["listener"]
    assert (listener.connections, listener.bytes) == (0, 0)
    _, nb = autograded(graded, "socket_attack")
    text = json.dumps([c.outputs for c in nb.cells if c.cell_type == "code"])
    assert "LINKED 5" in text and "FOLDER LINKED True" in text   # the attack did what it says
    # It cut its own kernel's connections: what it earns after that is its own doing (usually all of
    # it, as the grader reconnects by descriptor; under a heavily loaded CI run once none), never
    # more than its honest twin.
    assert graded["results"]["socket_attack"].score <= graded["results"]["honest"].score == 10


def test_nothing_in_the_folder_runs_before_the_kernel(graded):
    """An ipykernel_launcher.py in the submission is not what starts the kernel; the student's own
    modules in the folder still import from their cells."""
    _, nb = autograded(graded, "planted_launcher")
    text = json.dumps([c.outputs for c in nb.cells if c.cell_type == "code"])
    assert "no planted code" in text and "PLANTED RAN" not in text
    assert "HELPER from the folder" in text


def test_an_invalid_output_of_many_items_is_refused_before_the_schema_sees_it():
    """nbformat's schema check builds an error per bad item of a list: a display of a million empty
    dicts (a few megabytes on the wire) once cost the grader gigabytes. It is refused unread."""
    from autograder.execute import _plausible_output
    assert not _plausible_output({"data": {"application/x-bomb": [{}] * 1_000_000}, "metadata": {}})
    assert not _plausible_output({"name": "stdout", "text": [{}] * 10})
    assert not _plausible_output({"traceback": [1, 2]})
    assert _plausible_output({"data": {"text/plain": ["a\n", "b"], "application/json": [{}] * 5}, "metadata": {}})
    assert _plausible_output({"name": "stdout", "text": "hello"})
