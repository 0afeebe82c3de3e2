"""Memory of the grader and of its worker while a submission floods the channels a kernel can
send output on, outside print(): display updates and comm (widget) messages.

    .venv/bin/python benchmarks/output_channels.py [MiB]      (default 100)

Each case is one `python -m autograder grade` run of one a1 submission (the solution plus one
flooding cell), with one worker. Printed per case: the peak RSS of the grading process and of
its worker (sampled every 10 ms), the size of the autograded notebook and the score.

    update_display   a display handle updated MiB times with 1 MiB of text each
    display_fanout   one display id shown 1,000 times, then updated with 150 kB of text
    comm_state       a raw comm ('jupyter.widget' target) sent MiB messages of 1 MiB of state each
    comm_buffers     the same with 1 MiB binary buffers (each a new buffer path)
    output_widget    an ipywidgets Output widget capturing MiB prints of 1 MiB
    one_message      a single display of MiB MiB (one ZeroMQ message)
    honest           the solution alone
"""
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbformat.v4 import new_code_cell

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "a1_derivatives"
BIN = Path(sys.executable).parent


def cases(mib):
    chunk = "chunk = 'x' * 2**20\n"
    return {
        "update_display": chunk + (
            "from IPython.display import display\n"
            "handle = display({'text/plain': 'start'}, raw=True, display_id=True)\n"
            f"for i in range({mib}):\n    handle.update({{'text/plain': chunk + str(i)}}, raw=True)\n"),
        "display_fanout": (
            "import time\nfrom IPython.display import display\n"
            "for i in range(1000):\n    display({'text/plain': '.'}, raw=True, display_id='fan')\n"
            "    time.sleep(0.002)  # slower than the grader reads: none dropped at ZeroMQ's high-water mark\n"
            "display({'text/plain': 'x' * 150_000}, raw=True, display_id='fan', update=True)\n"),
        "comm_state": chunk + (
            "from comm import create_comm\n"
            "c = create_comm(target_name='jupyter.widget', data={'state': {'_model_name': 'X', "
            "'_model_module': 'y', '_model_module_version': '1'}, 'buffer_paths': []})\n"
            f"for i in range({mib}):\n"
            "    c.send({'method': 'update', 'state': {f'v{i}': chunk}, 'buffer_paths': []})\n"),
        "comm_buffers": (
            "from comm import create_comm\nblob = b'x' * 2**20\n"
            "c = create_comm(target_name='jupyter.widget', data={'state': {'_model_name': 'X', "
            "'_model_module': 'y', '_model_module_version': '1'}, 'buffer_paths': []})\n"
            f"for i in range({mib}):\n"
            "    c.send({'method': 'update', 'state': {f'b{i}': None}, 'buffer_paths': [[f'b{i}']]}, "
            "buffers=[blob])\n"),
        "output_widget": chunk + (
            "import ipywidgets\nfrom IPython.display import display\nout = ipywidgets.Output()\n"
            f"display(out)\nwith out:\n    for i in range({mib}):\n        print(chunk)\n"),
        "one_message": (
            "from IPython.display import display\n"
            f"display({{'text/plain': 'x' * {mib} * 2**20}}, raw=True)\n"),
        "honest": None,
    }


def submission(folder, code):
    nb = nbformat.read(REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    if code:
        nb.cells.insert(2, new_code_cell(code))
    target = folder / "student" / ASSIGNMENT
    target.mkdir(parents=True)
    for data in (REPO / "release" / ASSIGNMENT).iterdir():
        if data.is_file() and data.suffix != ".ipynb":
            (target / data.name).write_bytes(data.read_bytes())
    nbformat.write(nb, target / f"{ASSIGNMENT}.ipynb")


def watch(pid, peaks, stop):
    """Peak RSS per process of the grader's tree: the grader itself, and its workers (the
    forkserver's children, which run grade_submission; kernels and sandboxes left out)."""
    root = psutil.Process(pid)
    while not stop.is_set():
        try:
            tree = [root] + root.children(recursive=True)
        except psutil.NoSuchProcess:
            return
        for process in tree:
            try:
                rss = process.memory_info().rss
                if process.pid == pid:
                    role = "grader"
                elif "forkserver" in " ".join(process.cmdline()):
                    role = "worker"
                else:
                    continue
            except psutil.Error:
                continue
            peaks[role] = max(peaks.get(role, 0), rss)
        time.sleep(0.01)


def run_case(tmp, name, code):
    folder = tmp / name
    submission(folder / "subs", code)
    (folder / "secret").write_text("benchmark-secret-0123456789")
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    grader = subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(folder / "subs"),
         "--out", str(folder / "out"), "--db", f"sqlite:///{folder / 'gb.db'}",
         "--secret-file", str(folder / "secret"), "--workers", "1"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks, stop = {}, threading.Event()
    watcher = threading.Thread(target=watch, args=(grader.pid, peaks, stop), daemon=True)
    watcher.start()
    start = time.perf_counter()
    out, err = grader.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    watcher.join()
    if grader.returncode != 0:
        sys.exit(f"{name}: the grader failed:\n{err[-2000:]}")
    graded = folder / "out" / "workspace" / "autograded" / "student" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    score = (folder / "out" / "grades.csv").read_text().splitlines()[1].split(",")
    return peaks, graded.stat().st_size, score, seconds


def main():
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    print(f"{'case':16s} {'grader peak':>12s} {'worker peak':>12s} {'notebook':>10s} {'seconds':>8s}  grades.csv row")
    with tempfile.TemporaryDirectory(prefix="ag-bench-", dir="/tmp") as tmp:
        for name, code in cases(mib).items():
            peaks, size, score, seconds = run_case(Path(tmp), name, code)
            print(f"{name:16s} {peaks.get('grader', 0) / 2**20:9.0f} MiB {peaks.get('worker', 0) / 2**20:9.0f} MiB "
                  f"{size / 2**20:7.2f} MiB {seconds:8.1f}  {','.join(score)[:80]}", flush=True)


if __name__ == "__main__":
    main()
