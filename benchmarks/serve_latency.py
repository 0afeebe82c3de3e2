"""Seconds from a student's submit to feedback they can fetch, with `python -m autograder serve`.

    .venv/bin/python benchmarks/serve_latency.py [PER_MINUTE] [MINUTES]   (default 30 a minute for 2 minutes)

A temporary course (a1_derivatives released to its own exchange) and the service, started as
`make serve` starts it (`python -m autograder serve`, default workers), in the background.

1. One attempt, end to end as a student does it: `nbgrader submit`, then `nbgrader
   fetch_feedback` until the page arrives (the time includes both commands' start-up).
2. A stream: PER_MINUTE attempts a minute, evenly spaced, from as many students (a third right,
   a third with a forward difference, a third blank), each placed in the inbound folder as
   `nbgrader submit` places it (the notebook, timestamp.txt and submission_secret.txt, moved in
   whole), so that the students' own nbgrader start-up, which runs on their machines, is not
   counted against the grader. The latency of each is the time until its page is in the
   exchange's feedback folder under the name fetch_feedback looks for. Prints p50, p95 and max.
"""
import datetime
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader.utils import notebook_hash

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
A = "a1_derivatives"
COURSE_ID = "mvcalc-ml"
PER_MINUTE = float(sys.argv[1]) if len(sys.argv) > 1 else 30
MINUTES = float(sys.argv[2]) if len(sys.argv) > 2 else 2


def nbgrader(cwd, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_SOURCE", "COURSE_EXCHANGE")}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"nbgrader {' '.join(args)} failed: {done.stderr[-2000:]}")


def kinds():
    source = nbformat.read(REPO / "source" / A / f"{A}.ipynb", as_version=4)
    blank = nbformat.read(REPO / "release" / A / f"{A}.ipynb", as_version=4)
    wrong = nbformat.from_dict(source)
    for cell in wrong.cells:
        cell.source = cell.source.replace("(f(x + h) - f(x - h)) / (2 * h)", "(f(x + h) - f(x)) / h")
    return [nbformat.writes(nb) for nb in (source, wrong, blank)]


def place(inbound, student, text):
    """What `nbgrader submit` leaves in the inbound folder, moved in whole; returns the page's name."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    secret = secrets.token_hex(64)
    staging = Path(tempfile.mkdtemp(dir=inbound.parent))
    (staging / f"{A}.ipynb").write_text(text)
    (staging / "timestamp.txt").write_text(now)
    (staging / "submission_secret.txt").write_text(secret)
    os.rename(staging, inbound / f"{student}+{A}+{now}+{secrets.token_hex(4)}")
    return f"{notebook_hash(secret=secret, notebook_id=A)}.html"


def main():
    from test_term import student_config

    base = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    course, exchange = base / "course", base / "exchange"
    shutil.copytree(REPO / "source" / A, course / "source" / A)
    config = (REPO / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(config + f"\nc.Exchange.root = {str(exchange)!r}\n")
    nbgrader(course, "generate_assignment", A, "--force")
    nbgrader(course, "release_assignment", A)
    home = base / "home" / "solo"
    home.mkdir(parents=True)
    student_config(home, exchange)
    nbgrader(home, "fetch_assignment", A, "--CourseDirectory.student_id=solo")
    inbound, feedback = exchange / COURSE_ID / "inbound", exchange / COURSE_ID / "feedback"

    log = (base / "serve.out").open("w")
    service = subprocess.Popen([sys.executable, "-m", "autograder", "serve", "--interval", "0.5"], cwd=course,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        time.sleep(10)   # its workers import the Jupyter stack first
        start = time.monotonic()
        nbgrader(home, "submit", A, "--CourseDirectory.student_id=solo")
        pages = home / A / "feedback"
        while not list(pages.glob(f"*/{A}.html")):
            if service.poll() is not None:
                sys.exit(f"the service stopped: {(base / 'serve.out').read_text()[-2000:]}")
            nbgrader(home, "fetch_feedback", A, "--CourseDirectory.student_id=solo")
        print(f"one attempt, nbgrader submit to fetch_feedback showing the page: {time.monotonic() - start:.1f} s")

        texts, count, gap = kinds(), int(PER_MINUTE * MINUTES), 60 / PER_MINUTE
        placed, latency = {}, {}
        stream_start = time.monotonic()
        while len(latency) < count:
            now = time.monotonic()
            if len(placed) < count and now >= stream_start + len(placed) * gap:
                index = len(placed)
                placed[place(inbound, f"s{index:03d}", texts[index % 3])] = now
            for name, when in placed.items():
                if name not in latency and (feedback / name).exists():
                    latency[name] = time.monotonic() - when
            if service.poll() is not None:
                sys.exit(f"the service stopped: {(base / 'serve.out').read_text()[-2000:]}")
            if now - stream_start > MINUTES * 60 + 600:
                sys.exit(f"only {len(latency)} of {count} pages after 10 minutes past the stream")
            time.sleep(0.05)
        values = sorted(latency.values())
        p95 = values[min(len(values) - 1, int(round(0.95 * len(values))) - 1)]
        print(f"{count} attempts at {PER_MINUTE:g} a minute on {os.cpu_count()} cores: submit to released page "
              f"p50 {statistics.median(values):.1f} s, p95 {p95:.1f} s, max {values[-1]:.1f} s "
              f"(load average {os.getloadavg()[0]:.1f})")
    finally:
        os.killpg(service.pid, signal.SIGINT)
        service.wait(timeout=60)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
