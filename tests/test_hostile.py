"""Hostile submissions: each is contained, graded fairly and reported, and leaves the
gradebook consistent and the honest students' grades untouched."""
import csv
import json
import os
import shutil
import socket
import subprocess
import threading

import nbformat
import pytest

from autograder.grade import grade_assignment
from autograder.report import write_grades_csv
from autograder.limits import Limits
from autograder.sandbox import CGROUP_ROOTS
from conftest import REPO, nbgrader_meta
from submissions import (ASSIGNMENT, blank, points_of, solution, submit, tree_digest,
                         with_answer, with_cell)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not shutil.which("bwrap"), reason="the sandbox needs the Debian package bubblewrap")]

AFTER_TWO_TESTS = "central_difference"   # hostile cells placed here run after two tests (4 points)
EARLY_POINTS = points_of("test_forward_difference") + points_of("test_central_difference")
LIMITS = Limits(cell_seconds=5, notebook_seconds=60, disk_bytes=64 * 1024**2, notebook_max_bytes=2 * 1024**2)
SOURCE_NOTEBOOK = REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def filler(where):
    """A cell that writes 1 GiB in 8 MiB files under `where` and prints how far it got."""
    return (f"import os\nwritten = 0\ntry:\n    for i in range(128):\n"
            f"        with open(os.path.join({where}, f'fill{{i}}.bin'), 'wb') as out:\n"
            f"            for _ in range(8):\n                out.write(b'x' * 2**20)\n                written += 2**20\n"
            f"except OSError as error:\n    print('stopped:', error)\nprint('WROTE', written)\n")


def hostile_probe(paths, marker):
    """Code that tries to read or write each path and prints LEAK if it can."""
    return (f"import os\nfor path in {paths!r}:\n"
            f"    try:\n        open(path, {marker!r}).close() if {marker!r} == 'a' else open(path).read(1)\n"
            f"        print('LEAK', path)\n"
            f"    except Exception as error:\n        print('blocked', path, type(error).__name__)\n")


def tree_bytes(folder):
    """Bytes of disk the files under `folder` occupy (allocated blocks), skipping any that vanish."""
    total = 0
    for root, dirs, files in os.walk(folder):
        for name in files + dirs:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    subs = base / "submitted"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    connections = []

    def accept():
        try:
            while True:
                try:
                    connections.append(listener.accept())
                except socket.timeout:
                    if stop.is_set():
                        return
        except OSError:
            return

    stop = threading.Event()
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()

    honest = submit(subs, "honest", solution())
    secret = base / "secret"
    secret.write_text("hostile-test-secret-0123456789\n")
    targets = [str(base / "gradebook.db"), str(secret), str(REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
               str(honest / f"{ASSIGNMENT}.ipynb"), "../../gradebook.db", "../honest/a1_derivatives/a1_derivatives.ipynb",
               str(REPO / "nbgrader_config.py"), str(REPO / "autograder" / "grade.py")]
    outside = [str(REPO / "pwned.txt"), str(honest / "pwned.txt"), str(base / "pwned.txt"), "../pwned.txt"]

    cases = {
        "infinite_loop": with_cell("while True:\n    pass"),
        "memory_bomb": with_cell("x = bytearray(16 * 1024**3)"),
        "numpy_memory_bomb": with_cell("big = np.ones((200_000, 200_000))"),
        "output_flood": with_cell("for _ in range(30):\n    print('x' * 1_000_000)"),
        "sys_exit": with_cell("import sys\nsys.exit(3)"),
        "os_exit": with_cell("import os\nos._exit(0)", after=AFTER_TWO_TESTS),
        "segfault": with_cell("import ctypes\nctypes.string_at(0)", after=AFTER_TWO_TESTS),
        "fork_loop": with_cell("import os, time\nfor _ in range(500):\n    if os.fork() == 0:\n"
                               "        time.sleep(20)\n        os._exit(0)"),
        "subprocess": with_cell("import subprocess\nprint(subprocess.run(['ls', '/'], capture_output=True, text=True).stdout)"),
        "socket": with_cell(f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
                            f"    print('LEAK network')\nexcept OSError as error:\n    print('blocked network', error)"),
        "read_files": with_cell(hostile_probe(targets, "r")),
        "write_files": with_cell(hostile_probe(outside, "a")),
        "monkeypatch": with_cell(
            "import numpy as np, builtins, sys, types\n"
            "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
            "builtins.isinstance = lambda *a: True\n"
            "fake = types.ModuleType('autograder.harness')\n"
            "fake.hidden = lambda f: f\nsys.modules['autograder.harness'] = fake\n"
            "real_compile = builtins.compile\n", nb=blank()),
    }
    every_cell_fails = solution()
    for cell in every_cell_fails.cells:
        if cell.cell_type == "code" and not nbgrader_meta(cell).get("grade"):
            cell.source = "raise RuntimeError('broken on purpose')\n" + cell.source
    cases["exception_everywhere"] = every_cell_fails

    deleted = solution()
    deleted.cells = [c for c in deleted.cells if not nbgrader_meta(c).get("grade")]
    cases["deleted_tests"] = deleted
    reordered = solution()
    tests = [c for c in reordered.cells if nbgrader_meta(c).get("grade")]
    reordered.cells = tests + [c for c in reordered.cells if not nbgrader_meta(c).get("grade")]
    cases["reordered_tests"] = reordered
    edited = with_answer("central_difference", "(f(x + h) - f(x - h)) / (2 * h)", "(f(x + h) - f(x)) / h")
    for cell in edited.cells:
        if nbgrader_meta(cell).get("grade"):
            cell.source = "pass"
    cases["edited_tests"] = edited

    cases["disk_in_folder"] = with_cell(filler("'.'"))
    cases["disk_in_tmp"] = with_cell(filler("'/tmp'"))
    # the kernel's own connection file names host paths: writing beside it or its sockets
    cases["disk_beside_sockets"] = with_cell(
        "import sys, os\nconnection = sys.argv[sys.argv.index('-f') + 1]\n"
        "for folder in [os.path.dirname(connection), os.path.dirname(connection) + '/rt']:\n"
        "    try:\n        with open(folder + '/evil.bin', 'wb') as out:\n"
        "            for _ in range(512):\n                out.write(b'x' * 2**20)\n"
        "        print('WROTE ALL', folder)\n    except OSError as error:\n        print('stopped:', folder, error)\n")
    cases["dev_and_shm"] = with_cell(
        "import os\nfor path in ['/dev/evil.bin', '/dev/shm/evil.bin']:\n    written = 0\n    try:\n"
        "        with open(path, 'wb') as out:\n            for _ in range(64):\n"
        "                out.write(b'x' * 2**20)\n                written += 2**20\n"
        "    except OSError as error:\n        print('stopped:', path, error)\n    print('DEVWROTE', written)\n")
    cases["reads_hidden_code"] = with_cell(
        "import linecache\nmanager = get_ipython().history_manager\n"
        "places = list(_ih) + list(manager.input_hist_raw) + [str(r) for r in manager.db_input_cache]\n"
        "places += [''.join(e[2]) for e in linecache.cache.values() if len(e) > 2 and e[2]]\n"
        "for text in places + [str(v) for k, v in globals().items() if k.startswith('_i')]:\n"
        "    if ('t.' + 'call(' in text or '@' + 'hidden' in text) and 'HISTORY' not in text:\n"
        "        print('HISTORY', text)\n",
        after="test_convergence_order")
    cases["reads_linked_data"] = with_cell(
        "import os\nfor name in ['data.csv', 'course', 'pipe']:\n"
        "    print(name, 'LEAK' if os.path.lexists(name) else 'absent')\n")

    for student, nb in cases.items():
        submit(subs, student, nb)
    # links and special files, each the way a student could place them
    linked = subs / "linked_notebook" / ASSIGNMENT
    linked.mkdir(parents=True)
    (linked / f"{ASSIGNMENT}.ipynb").symlink_to(SOURCE_NOTEBOOK)
    (subs / "linked_folder").mkdir()
    (subs / "linked_folder" / ASSIGNMENT).symlink_to(REPO / "source" / ASSIGNMENT)
    (subs / "linked_student").symlink_to(REPO / "source")
    fifo = subs / "fifo_notebook" / ASSIGNMENT
    fifo.mkdir(parents=True)
    os.mkfifo(fifo / f"{ASSIGNMENT}.ipynb")
    data = subs / "reads_linked_data" / ASSIGNMENT
    (data / "data.csv").symlink_to(SOURCE_NOTEBOOK)
    (data / "course").symlink_to(REPO / "source")
    os.mkfifo(data / "pipe")
    copy = base / "copy-of-source.ipynb"
    shutil.copy(SOURCE_NOTEBOOK, copy)
    hard = subs / "hardlinked" / ASSIGNMENT
    hard.mkdir(parents=True)
    os.link(copy, hard / f"{ASSIGNMENT}.ipynb")
    huge = solution()
    huge.metadata["padding"] = "x" * (3 * 1024**2)
    submit(subs, "huge_notebook", huge)
    submit(subs, "not_json", text="this is not a notebook")
    old = solution()
    old.nbformat = 99
    submit(subs, "wrong_version", text=json.dumps(old))
    (subs / "missing" / ASSIGNMENT).mkdir(parents=True)
    (submit(subs, "stray", solution()) / "stray.bin").write_bytes(b"\0" * 1000)

    before = tree_digest(subs)
    (base / "scratch").mkdir()
    # the run's own folders (submissions, scratch, out, gradebook), sampled while it runs: the
    # machine's free space moves with whatever else runs there
    size_before = tree_bytes(base)
    peak = [size_before]
    sampling = threading.Event()

    def sample():
        while not sampling.wait(0.2):
            peak[0] = max(peak[0], tree_bytes(base))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    results, info = grade_assignment(REPO, ASSIGNMENT, subs, base / "out", db_url=f"sqlite:///{base / 'gradebook.db'}",
                                     workers=2, secret_file=secret, limits=LIMITS, log=lambda *_: None,
                                     scratch_root=base / "scratch")
    stop.set()
    thread.join(2)
    sampling.set()
    sampler.join(30)
    peak[0] = max(peak[0], tree_bytes(base))
    tests_ids = list(results[0].tests)
    write_grades_csv(results, base / "out" / "grades.csv", tests_ids)
    rows = {r["student_id"]: r for r in csv.DictReader((base / "out" / "grades.csv").open())}
    yield {"results": {r.student_id: r for r in results}, "rows": rows, "base": base, "subs": subs,
           "before": before, "connections": connections, "info": info,
           "disk_used": peak[0] - size_before}
    listener.close()


def outputs_of(hostile, student):
    path = hostile["base"] / "out" / "workspace" / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    return "\n".join(o.get("text", "") + json.dumps(o.get("data", {})) + o.get("ename", "") + o.get("evalue", "")
                     for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.parametrize("student", ["infinite_loop", "memory_bomb", "numpy_memory_bomb", "output_flood",
                                     "sys_exit", "fork_loop", "subprocess", "socket", "read_files",
                                     "write_files", "deleted_tests", "reordered_tests", "stray", "honest",
                                     "disk_in_folder", "disk_in_tmp", "disk_beside_sockets",
                                     "reads_linked_data", "dev_and_shm", "reads_hidden_code"])
def test_contained_and_full_marks(hostile, student):
    """Bad behaviour in a cell of its own costs nothing when the answers are right."""
    result = hostile["results"][student]
    assert result.status == "graded", result.status
    assert result.score == 10, {g: (v.points, v.problem) for g, v in result.tests.items()}


@pytest.mark.parametrize("student", ["os_exit", "segfault"])
def test_a_crash_keeps_what_ran_before(hostile, student):
    result = hostile["results"][student]
    assert result.score == EARLY_POINTS
    assert "kernel died" in result.problem
    assert "kernel died" in hostile["rows"][student]["status"]
    assert "kernel died" in outputs_of(hostile, student)  # the student sees where


def test_time_limit_interrupts(hostile):
    assert "KeyboardInterrupt" in outputs_of(hostile, "infinite_loop")


def test_memory_limit_raises_memory_error(hostile):
    assert "MemoryError" in outputs_of(hostile, "memory_bomb")
    assert "MemoryError" in outputs_of(hostile, "numpy_memory_bomb")


def test_output_is_truncated(hostile):
    path = hostile["base"] / "out" / "workspace" / "autograded" / "output_flood" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert path.stat().st_size < 2_000_000
    assert "output truncated" in outputs_of(hostile, "output_flood")


def test_processes_are_limited(hostile):
    assert "BlockingIOError" in outputs_of(hostile, "fork_loop") or "Resource temporarily" in outputs_of(hostile, "fork_loop")


def test_no_file_outside_its_folder_is_readable(hostile):
    text = outputs_of(hostile, "read_files")
    assert "LEAK" not in text and text.count("blocked") == 8, text[:2000]


def test_writes_outside_its_folder_never_reach_the_machine(hostile):
    """Inside, a write may land in the sandbox's private /tmp (when the course itself lives
    under /tmp) or fail on the read-only root; outside, nothing appears."""
    assert "blocked" in outputs_of(hostile, "write_files")
    assert not (REPO / "pwned.txt").exists()
    assert not (hostile["base"] / "pwned.txt").exists()
    assert not (hostile["subs"] / "honest" / ASSIGNMENT / "pwned.txt").exists()
    assert not list(hostile["subs"].rglob("pwned.txt"))


def test_no_network(hostile):
    assert "blocked network" in outputs_of(hostile, "socket")
    assert hostile["connections"] == []


def test_monkeypatching_earns_nothing(hostile):
    assert hostile["results"]["monkeypatch"].score == 0


def test_exception_in_every_cell_scores_zero_with_reasons(hostile):
    result = hostile["results"]["exception_everywhere"]
    assert result.status == "graded" and result.score == 0
    assert "NameError" in result.tests["test_forward_difference"].cases[0].message


def test_edited_tests_are_restored(hostile):
    result = hostile["results"]["edited_tests"]
    assert result.score == 10 - points_of("test_central_difference")


@pytest.mark.parametrize("student, reason", [("not_json", "not appear to be JSON"),
                                             ("wrong_version", "nbformat"),
                                             ("missing", "missing notebook")])
def test_unreadable_submissions_get_a_reason(hostile, student, reason):
    row = hostile["rows"][student]
    assert row["score"] == "0" and reason in row["status"], row["status"]
    assert (hostile["base"] / "out" / "feedback" / student / f"{ASSIGNMENT}.html").is_file()


def test_every_student_has_a_row_feedback_and_a_gradebook_record(hostile):
    from nbgrader.api import Gradebook
    students = sorted(p.name for p in hostile["subs"].iterdir())
    assert sorted(hostile["rows"]) == students
    with Gradebook(f"sqlite:///{hostile['base'] / 'gradebook.db'}") as gradebook:
        for student in students:
            assert (hostile["base"] / "out" / "feedback" / student / f"{ASSIGNMENT}.html").is_file()
            submission = gradebook.find_submission(ASSIGNMENT, student)
            assert submission.score == pytest.approx(float(hostile["rows"][student]["score"]))


def test_submissions_untouched(hostile):
    assert tree_digest(hostile["subs"]) == hostile["before"]


def test_nothing_is_left_behind(hostile):
    """Scratch folders, socket links, cgroups and sandboxed processes all end with the run."""
    import glob
    run = hostile["info"]["run_id"]
    assert list((hostile["base"] / "scratch").iterdir()) == []
    assert glob.glob(f"/tmp/autograder-{run}-*") == []  # the kernels' socket links
    assert glob.glob(f"/sys/fs/cgroup/*/autograder-{run}-*") == []
    assert subprocess.run(["pgrep", "-f", str(hostile["base"] / "scratch")], capture_output=True).stdout == b""


@pytest.mark.parametrize("student, reason", [
    ("linked_notebook", "refused: a1_derivatives/a1_derivatives.ipynb is a link, not a file; submit the notebook itself"),
    ("linked_folder", "refused: a1_derivatives/ is a link, not a folder"),
    ("linked_student", "refused: linked_student/ is a link, not a folder"),
    ("fifo_notebook", "refused: a1_derivatives/a1_derivatives.ipynb is a FIFO, not a file"),
    ("huge_notebook", "over the 2 MiB limit for a notebook"),
    ("hardlinked", "refused: a1_derivatives/a1_derivatives.ipynb is a hard link to another file"),
])
def test_links_special_files_and_huge_notebooks_are_refused(hostile, student, reason):
    """The source notebook behind a link would score 10/10: a link is never followed."""
    result = hostile["results"][student]
    assert reason in result.status and result.score == 0
    assert reason in hostile["rows"][student]["status"]
    page = (hostile["base"] / "out" / "feedback" / student / f"{ASSIGNMENT}.html").read_text()
    assert reason.split(": ", 1)[-1][:40] in page and "could not be graded" in page
    assert "BEGIN SOLUTION" not in page and "(f(x + h) - f(x - h))" not in page


def test_huge_notebook_is_named_by_size(hostile):
    assert "is 3" in hostile["results"]["huge_notebook"].status  # "is 3 MiB, over the 2 MiB limit"


def test_links_beside_the_notebook_are_skipped_and_listed(hostile):
    result = hostile["results"]["reads_linked_data"]
    text = outputs_of(hostile, "reads_linked_data")
    assert "LEAK" not in text and text.count("absent") == 3
    note = " ".join(result.notes)
    for entry in ["data.csv (a link", "course (a link", "pipe (a FIFO"]:
        assert entry in note
    page = (hostile["base"] / "out" / "feedback" / "reads_linked_data" / f"{ASSIGNMENT}.html").read_text()
    assert "data.csv (a link" in page


@pytest.mark.parametrize("student", ["disk_in_folder", "disk_in_tmp"])
def test_writes_are_capped_and_the_feedback_says_so(hostile, student):
    text = outputs_of(hostile, student)
    assert "No space left on device" in text
    written = int(text.split("WROTE ")[1].split()[0])
    assert 32 * 2**20 <= written <= LIMITS.disk_bytes
    assert any("filled its 64 MiB of disk space" in note for note in hostile["results"][student].notes)
    page = (hostile["base"] / "out" / "feedback" / student / f"{ASSIGNMENT}.html").read_text()
    assert "filled its 64 MiB of disk space" in page


def test_the_kernels_own_folders_are_capped_too(hostile):
    text = outputs_of(hostile, "disk_beside_sockets")
    assert "WROTE ALL" not in text and text.count("stopped:") == 2


def test_the_hosts_disk_never_saw_the_writes(hostile):
    """Four submissions tried to write 1 GiB or more each; the grading run's own folders (sampled
    while it ran) grew by far less (the gradebook, the feedback and the autograded notebooks)."""
    assert hostile["disk_used"] < 200 * 2**20


def test_dev_is_read_only_and_shared_memory_small(hostile):
    text = outputs_of(hostile, "dev_and_shm")
    assert "stopped: /dev/evil.bin" in text and "Read-only file system" in text
    assert "No space left on device" in text and "DEVWROTE 0" in text
    shm = int(text.split("DEVWROTE ")[2].split()[0])
    assert shm <= 1024**2


def test_hidden_test_code_is_not_in_the_kernels_history(hostile):
    """Known mistakes and check= rules never enter the kernel, and the hidden cells leave
    the input history: a student printing it finds nothing of the hidden tests."""
    text = outputs_of(hostile, "reads_hidden_code")
    assert "HISTORY" not in text
    assert hostile["results"]["reads_hidden_code"].score == 10


@pytest.mark.skipif(not os.access(CGROUP_ROOTS["memory"], os.W_OK), reason="a memory cgroup needs root")
def test_memory_no_rlimit_sees_is_held_by_the_memory_cgroup(tmp_path):
    """memfds (each under the file-size limit, none mapped, so no address-space limit sees
    them) add up to 1.9 GiB against a 768 MiB kernel: the sandbox's memory cgroup stops them."""
    submit(tmp_path / "subs", "memfd_bomb", with_cell(
        "import os\nchunk = b'x' * 48 * 2**20\nfds = [os.memfd_create(f'bomb{i}') for i in range(40)]\n"
        "for fd in fds:\n    os.write(fd, chunk)\nprint('ALL WRITTEN')\n", after=AFTER_TWO_TESTS))
    (tmp_path / "secret").write_text("memfd-secret-0123456789")
    limits = Limits(cell_seconds=30, notebook_seconds=120, memory_bytes=768 * 1024**2, disk_bytes=64 * 1024**2)
    results, _ = grade_assignment(REPO, ASSIGNMENT, tmp_path / "subs", tmp_path / "out",
                                  db_url=f"sqlite:///{tmp_path / 'gb.db'}", workers=1, limits=limits,
                                  secret_file=tmp_path / "secret", log=lambda *_: None, scratch_root=tmp_path)
    nb = nbformat.read(tmp_path / "out" / "workspace" / "autograded" / "memfd_bomb" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "ALL WRITTEN" not in text
    assert "MemoryError" in text or "kernel died" in (results[0].problem or "")
    assert results[0].score >= EARLY_POINTS
