"""Grade N synthetic submissions on a Dask LocalCluster and watch the grading process's memory.

    .venv/bin/python benchmarks/dask_scale.py [N] [WORKERS] [local]   (default 1000 submissions, 2 workers)

With `local`, the same through the local pool (--workers) instead of a LocalCluster.

The submissions cycle through right, wrong and blank a1 notebooks. The grader runs as the CLI
does (`python -m autograder grade ... --scheduler ADDRESS`) in its own process, whose resident
memory is sampled every 0.2 s: the peak, and the peak over each tenth of the run, show whether
it stays flat as results arrive (they go to disk, not into memory). Prints submissions per
minute. Not part of `make test`: at 2 workers, 1,000 submissions take several minutes.
"""
import contextlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from distributed import LocalCluster

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from grading import ASSIGNMENT, make_submissions  # noqa: E402  (the same three kinds)


def run_watched(command, results):
    """Run the grader; sample its resident memory and the results on disk every 0.2 s."""
    start = time.perf_counter()
    grader = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    process, samples = psutil.Process(grader.pid), []   # (seconds, results on disk, RSS bytes)
    while grader.poll() is None:
        try:
            rss = process.memory_info().rss
        except psutil.NoSuchProcess:
            break
        done = sum(1 for _ in results.glob("*.pickle")) if results.is_dir() else 0
        samples.append((time.perf_counter() - start, done, rss))
        time.sleep(0.2)
    stdout = grader.communicate()[0]
    if grader.returncode != 0:
        sys.exit(f"grading failed:\n{stdout[-2000:]}")
    return time.perf_counter() - start, stdout, samples


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    local = "local" in sys.argv[3:]
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        where = ["--workers", str(workers)]
        if not local:
            cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                       dashboard_address=":0"))
            where = ["--scheduler", cluster.scheduler_address]
        tmp = Path(tmp)
        make_submissions(tmp / "submitted", count)
        (tmp / "secret").write_text("benchmark-secret-0123456789")
        command = [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions",
                   str(tmp / "submitted"), "--out", str(tmp / "out"), "--db", f"sqlite:///{tmp / 'gb.db'}",
                   "--secret-file", str(tmp / "secret"), *where]
        seconds, stdout, samples = run_watched(command, tmp / "out" / "results")
        print(stdout.strip().splitlines()[-1])
        print(f"{count} submissions on {workers} {'local' if local else 'Dask'} workers: {seconds:.0f} s, "
              f"{count / seconds * 60:.0f} submissions per minute")
        print(f"grader peak memory: {max(s[2] for s in samples) / 2**20:.0f} MiB")
        print("peak memory by results on disk (tenths of the run):")
        for tenth in range(10):
            low, high = count * tenth / 10, count * (tenth + 1) / 10
            window = [s[2] for s in samples if low <= s[1] < high or (tenth == 9 and s[1] >= high)]
            if window:
                print(f"  {int(low):5d}-{int(high):5d} graded: {max(window) / 2**20:6.0f} MiB")
        out_size = sum(f.stat().st_size for f in (tmp / "out").rglob("*") if f.is_file())
        print(f"OUT holds {out_size / 2**20:.0f} MiB (results, feedback pages, autograded notebooks)")
        match = re.search(r"graded (\d+) of (\d+)", stdout)
        assert match and match.group(1) == match.group(2) == str(count), stdout[-500:]
        again, stdout, samples = run_watched(command, tmp / "out" / "results")
        assert f"graded 0 of {count}" in stdout, stdout[-500:]
        print(f"the same command again (every result unchanged, kept): {again:.1f} s, "
              f"peak memory {max(s[2] for s in samples) / 2**20:.0f} MiB")
        shutil.rmtree(tmp / "submitted")


if __name__ == "__main__":
    main()
