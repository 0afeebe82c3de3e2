"""Grade the same N generated submissions with our autograder and with plain nbgrader.

    .venv/bin/python benchmarks/grading.py [N] [ASSIGNMENT]   (default 12 of a1_derivatives: a third
                                                               correct, wrong, blank)

Prints the wall times and their ratios. Plain `nbgrader autograde` runs unsandboxed, one
submission at a time; ours sandboxes every kernel and runs --workers jobs at once. Also timed:
`nbgrader autograde` with this course's nbgrader_config.py, which runs our sandboxed job one
submission at a time (what Formgrader's Autograde button does).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = sys.argv[2] if len(sys.argv) > 2 else "a1_derivatives"
BIN = Path(sys.executable).parent


def make_submissions(folder, count):
    source = nbformat.read(REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    blank = nbformat.read(REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    wrong = nbformat.from_dict(source)
    for cell in wrong.cells:
        cell.source = cell.source.replace("(f(x + h) - f(x - h)) / (2 * h)", "(f(x + h) - f(x)) / h")
    kinds = [source, wrong, blank]
    for index in range(count):
        target = folder / f"student{index:03d}" / ASSIGNMENT
        target.mkdir(parents=True)
        nbformat.write(kinds[index % 3], target / f"{ASSIGNMENT}.ipynb")


def timed(command, **kwargs):
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{done.stderr[-2000:]}")
    timed.stdout = done.stdout
    return elapsed


def where_the_time_goes(out, cli_output):
    """Mean seconds per job phase, from the results the grader kept in OUT/results, and the
    grading process's own gradebook writing, from the CLI's summary line."""
    phases = {}
    from autograder.results_store import ResultStore
    store = ResultStore(out)
    results = [store.summary(path.stem) for path in sorted((out / "results").glob("*.pickle"))]
    for result in results:
        for phase, seconds in result.phases.items():
            phases.setdefault(phase, []).append(seconds)
    lines = [f"  {phase:45s} {sum(values) / len(values):6.2f} s" for phase, values in phases.items()]
    gradebook = re.search(r"gradebook ([0-9.]+) s", cli_output)
    lines.append(f"  {'(grader) gradebook, all':45s} {float(gradebook.group(1)):6.2f} s")
    return "\n".join(lines)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        course = tmp / "course"
        shutil.copytree(REPO / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
        make_submissions(course / "submitted", count)
        nbgrader = [str(BIN / "nbgrader")]
        options = [f"--CourseDirectory.root={course}", f"--CourseDirectory.db_url=sqlite:///{tmp / 'plain.db'}"]
        timed(nbgrader + ["generate_assignment", ASSIGNMENT, "--force"] + options, env=env, cwd=tmp)
        plain = timed(nbgrader + ["autograde", ASSIGNMENT, "--force"] + options, env=env, cwd=tmp)
        # From the repository, nbgrader reads the course's config: our job in place of Execute.
        plugged = timed(nbgrader + ["autograde", ASSIGNMENT, "--force"] + options, env=env, cwd=REPO)

        (tmp / "secret").write_text("benchmark-secret-0123456789")
        ours = [timed([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions",
                       str(course / "submitted"), "--out", str(tmp / f"out{run}"), "--db",
                       f"sqlite:///{tmp / 'ours.db'}", "--secret-file", str(tmp / "secret")],
                      env=env, cwd=REPO) for run in range(2)]
        breakdown = where_the_time_goes(tmp / "out1", timed.stdout)
        # the same command again: every result is unchanged and kept (OUT/results)
        ours.append(timed([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions",
                           str(course / "submitted"), "--out", str(tmp / "out1"), "--db",
                           f"sqlite:///{tmp / 'ours.db'}", "--secret-file", str(tmp / "secret")],
                          env=env, cwd=REPO))
    print(f"{count} submissions of {ASSIGNMENT} (correct / wrong central_difference, in a1 / blank), "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"plain nbgrader autograde (unsandboxed, serial):      {plain:7.2f} s  ({plain / count:.2f} s each)")
    for name, seconds in zip(["first run, new gradebook", "regrade", "unchanged re-run"], ours):
        print(f"python -m autograder grade, {name:24s} {seconds:7.2f} s  ({seconds / count:.2f} s each), "
              f"ratio plain / ours {plain / seconds:.2f}")
    print(f"nbgrader autograde with our job (sandboxed, serial): {plugged:7.2f} s  ({plugged / count:.2f} s each)")
    print("(ours: sandboxed, parallel, including gradebook, feedback pages and report)")
    print("where a job's time goes (mean per submission, regrade):")
    print(breakdown)


if __name__ == "__main__":
    main()
