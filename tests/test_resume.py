"""Resumable, idempotent grading runs (issue 13, part 2): each result is kept as its submission
finishes; running the same command again grades only what is missing or changed, unless --force;
a run killed part-way loses nothing that had finished."""
import csv
import os
import signal
import subprocess
import sys
import time

import pytest
from nbgrader.api import Gradebook

from autograder.grade import grade_assignment
from autograder.limits import Limits
from conftest import REPO
from submissions import ASSIGNMENT, blank, solution, submit, with_answer, with_cell

pytestmark = pytest.mark.slow


def grade_command(tmp_path, *extra):
    return [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(tmp_path / "subs"),
            "--out", str(tmp_path / "out"), "--db", f"sqlite:///{tmp_path / 'gb.db'}",
            "--secret-file", str(tmp_path / "secret"), *extra]


def run(tmp_path, *extra):
    done = subprocess.run(grade_command(tmp_path, *extra), cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def scores(tmp_path):
    """grades.csv as the CLI wrote it."""
    rows = csv.DictReader((tmp_path / "out" / "grades.csv").open())
    return {r["student_id"]: float(r["score"]) for r in rows}


def gradebook_scores(tmp_path):
    with Gradebook(f"sqlite:///{tmp_path / 'gb.db'}") as gradebook:
        return {s.student.id: s.score for s in gradebook.assignment_submissions(ASSIGNMENT)}


def test_a_rerun_grades_only_the_changed_submission_and_force_grades_all(tmp_path):
    (tmp_path / "secret").write_text("resume-secret-0123456789")
    submit(tmp_path / "subs", "ann", solution())
    bob = submit(tmp_path / "subs", "bob", blank())

    def grade(db="gb.db", **options):
        results, info = grade_assignment(REPO, ASSIGNMENT, tmp_path / "subs", tmp_path / "out",
                                         db_url=f"sqlite:///{tmp_path / db}", workers=2,
                                         secret_file=tmp_path / "secret", log=lambda *_: None, **options)
        return {r.student_id: r.score for r in results}, info["graded"]

    assert grade() == ({"ann": 10.0, "bob": 0.0}, 2)
    (bob / f"{ASSIGNMENT}.ipynb").write_text((tmp_path / "subs" / "ann" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    assert grade() == ({"ann": 10.0, "bob": 10.0}, 1)          # ann's result kept, bob's new one
    assert gradebook_scores(tmp_path) == {"ann": 10.0, "bob": 10.0}
    # Kept results go into a gradebook that lacks them (the gradebook is not part of the fingerprint).
    assert grade(db="other.db") == ({"ann": 10.0, "bob": 10.0}, 0)
    with Gradebook(f"sqlite:///{tmp_path / 'other.db'}") as gradebook:
        assert {s.student.id: s.score for s in gradebook.assignment_submissions(ASSIGNMENT)} == \
               {"ann": 10.0, "bob": 10.0}
    assert grade(force=True) == ({"ann": 10.0, "bob": 10.0}, 2)


def test_what_decides_whether_a_result_is_kept(tmp_path):
    """The fingerprint changes with the submission's content, the limits, the seeds, the sandbox
    and the compiled assignment, and with nothing else (not the file's modification time)."""
    from dataclasses import replace

    from autograder.compile import compile_assignment
    from autograder.job import GradingJob
    from autograder.results_store import compiled_digest, fingerprint

    folder = submit(tmp_path / "subs", "ann", solution())
    compiled = compile_assignment(REPO / "source" / ASSIGNMENT, ASSIGNMENT)
    job = GradingJob("ann", folder, compiled, {"test_a": 1, "test_b": 2}, Limits())
    digest = compiled_digest(compiled)
    key = fingerprint(job, digest, "sandboxed")
    os.utime(folder / f"{ASSIGNMENT}.ipynb", (0, 0))
    assert fingerprint(job, digest, "sandboxed") == key
    different = [fingerprint(replace(job, limits=Limits(cell_seconds=9)), digest, "sandboxed"),
                 fingerprint(replace(job, seeds={"test_a": 1, "test_b": 3}), digest, "sandboxed"),
                 fingerprint(job, digest, "NOT SANDBOXED"),
                 fingerprint(job, compiled_digest(replace(compiled, kernel_side_source="# changed")), "sandboxed")]
    (folder / "notes.txt").write_text("a new file in the folder")
    different.append(fingerprint(job, digest, "sandboxed"))
    assert key not in different and len(set(different)) == len(different)


def test_a_run_killed_part_way_loses_nothing_that_finished(tmp_path):
    """Also the CLI's report of the limits it used."""
    (tmp_path / "secret").write_text("killed-secret-0123456789")
    wrong = with_answer("central_difference", "return (f(x + h) - f(x - h)) / (2 * h)",
                        "return (f(x + h) - f(x)) / h")
    students = {"ann": solution(), "bob": blank(), "cat": wrong}
    for student, notebook in students.items():
        submit(tmp_path / "subs", student, notebook)
    limits = ("--cell-seconds", "7", "--disk-bytes", "100MiB")
    grader = subprocess.Popen(grade_command(tmp_path, "--workers", "1", *limits), cwd=REPO, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    kept = tmp_path / "out" / "results"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (kept.exists() and list(kept.glob("*.pickle"))):
        time.sleep(0.05)
    os.killpg(grader.pid, signal.SIGKILL)   # the grader and its workers, mid-run
    grader.wait()
    finished = sorted(p.stem for p in kept.glob("*.pickle"))
    assert 1 <= len(finished) < len(students), finished

    output = run(tmp_path, "--workers", "2", *limits)
    assert f"graded {len(students) - len(finished)} of {len(students)} submissions" in output, output
    report = (tmp_path / "out" / "report.html").read_text()
    for used in ["7 s per cell", "100 MiB written in all", "notebooks up to 50 MiB"]:  # the limits used
        assert used in report and used in output
    final = scores(tmp_path)
    assert final["ann"] == 10.0 and final["bob"] == 0.0 and 0 < final["cat"] < 10
    assert gradebook_scores(tmp_path) == final    # each student once, with the kept or new result
    start = time.monotonic()
    again = run(tmp_path, *limits)
    assert "graded 0 of 3 submissions" in again and "3 unchanged" in again, again
    print(f"an unchanged re-run of 3 submissions took {time.monotonic() - start:.1f} s")


def test_ctrl_c_stops_at_once_and_the_next_run_grades_the_rest(tmp_path):
    """SIGINT (Ctrl-C) after the first result: the grader stops without running the jobs still
    queued or waiting for the one running, keeps what finished, and the same command finishes the
    job. No clock is read: the two later submissions each sleep 12 s in a cell, so a grader that
    waited for its running job would keep a result that was not there when Ctrl-C was sent."""
    (tmp_path / "secret").write_text("interrupt-secret-0123456789")
    slow = with_cell("import time\ntime.sleep(12)")   # the solution, and a slow cell
    submit(tmp_path / "subs", "ann", solution())
    for student in ["bob", "cat"]:
        submit(tmp_path / "subs", student, slow)
    grader = subprocess.Popen(grade_command(tmp_path, "--workers", "1"), cwd=REPO, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    kept = tmp_path / "out" / "results"
    deadline = time.monotonic() + 120   # a ceiling for a loaded machine, not a measurement
    while time.monotonic() < deadline and not (kept.exists() and list(kept.glob("*.pickle"))):
        time.sleep(0.05)
    finished_at_interrupt = sorted(p.stem for p in kept.glob("*.pickle"))
    grader.send_signal(signal.SIGINT)
    _, stderr = grader.communicate(timeout=120)
    assert grader.returncode == 130 and "interrupted: every result finished so far is kept" in stderr
    finished = sorted(p.stem for p in kept.glob("*.pickle"))
    assert finished == finished_at_interrupt and len(finished) == 1, \
        f"the grader went on grading after Ctrl-C: {finished_at_interrupt} then {finished}"
    output = run(tmp_path, "--workers", "2")
    assert "graded 2 of 3 submissions" in output, output
    assert gradebook_scores(tmp_path) == scores(tmp_path) == dict.fromkeys(["ann", "bob", "cat"], 10.0)


def test_a_submission_too_big_to_fingerprint_is_held_not_kept(tmp_path, monkeypatch):
    """Results the store does not keep (here: every submission is over the size that is hashed)
    are held for the run's report and gradebook, and graded again next time."""
    import autograder.results_store

    monkeypatch.setattr(autograder.results_store, "MAX_HASHED_BYTES", 10)
    (tmp_path / "secret").write_text("held-secret-0123456789")
    submit(tmp_path / "subs", "ann", solution())
    submit(tmp_path / "subs", "bob", blank())

    def grade():
        results, info = grade_assignment(REPO, ASSIGNMENT, tmp_path / "subs", tmp_path / "out",
                                         db_url=f"sqlite:///{tmp_path / 'gb.db'}", workers=2,
                                         secret_file=tmp_path / "secret", log=lambda *_: None)
        return {r.student_id: r.score for r in results}, info["graded"]

    assert grade() == ({"ann": 10.0, "bob": 0.0}, 2)
    assert not list((tmp_path / "out" / "results").glob("*.pickle"))
    assert grade() == ({"ann": 10.0, "bob": 0.0}, 2)           # nothing kept: graded again
    assert gradebook_scores(tmp_path) == {"ann": 10.0, "bob": 0.0}


def test_progress_is_one_line_per_submission_in_a_log_and_a_bar_on_a_terminal():
    import io

    from autograder.grade import _Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    log, terminal = io.StringIO(), Terminal()
    for stream in (log, terminal):
        progress = _Progress(2, stream)
        progress.step("ann: 10/10")
        progress.step("bob: 0/10")
        progress.close()
    assert log.getvalue() == "grading 1/2 ann: 10/10\ngrading 2/2 bob: 0/10\n"
    assert "\r" in terminal.getvalue() and "2/2" in terminal.getvalue() and "bob: 0/10" in terminal.getvalue()
