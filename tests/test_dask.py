"""Grading on a Dask cluster (issue 13, part 1): a real `distributed.LocalCluster` with two worker
processes, reached only through its scheduler's address, as an instructor's cluster would be."""
import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from distributed import Client, LocalCluster
from nbgrader.api import Gradebook

from autograder.grade import sandbox_summary
from autograder.job import SubmissionResult
from conftest import REPO
from submissions import ASSIGNMENT, blank, solution, submit, with_answer, with_cell

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not shutil.which("bwrap"), reason="the workers sandbox with the Debian package bubblewrap")]

FORWARD = with_answer("central_difference", "(f(x + h) - f(x - h)) / (2 * h)", "(f(x + h) - f(x)) / h")


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as running:
        yield running


def make_submissions(folder):
    """Right, wrong, blank, one with a data file and a link (which must not travel), one refused."""
    submit(folder, "ann", solution())
    submit(folder, "bob", blank())
    submit(folder, "cat", FORWARD)
    dan = submit(folder, "dan", solution())
    (dan / "notes.txt").write_text("my working")
    (dan / "secret-link").symlink_to(REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    os.symlink("/etc/passwd", os.fsencode(dan) + b"/odd\xffname")   # not UTF-8: still named
    (folder / "eve" / ASSIGNMENT).mkdir(parents=True)   # submitted nothing
    return {"ann": 10.0, "bob": 0.0, "cat": None, "dan": 10.0, "eve": 0.0}


def grade(tmp_path, out, *extra, returncode=0):
    command = [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(tmp_path / "subs"),
               "--out", str(tmp_path / out), "--db", f"sqlite:///{tmp_path / out}.db",
               "--secret-file", str(tmp_path / "secret"), *extra]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == returncode, done.stderr
    return done.stdout


def grade_rows(tmp_path, out):
    return list(csv.DictReader((tmp_path / out / "grades.csv").open()))


def gradebook_scores(tmp_path, out):
    with Gradebook(f"sqlite:///{tmp_path / out}.db") as gradebook:
        return {s.student.id: s.score for s in gradebook.assignment_submissions(ASSIGNMENT)}


def test_a_dask_cluster_grades_as_the_local_pool_does(cluster, tmp_path):
    (tmp_path / "secret").write_text("dask-secret-0123456789")
    expected = make_submissions(tmp_path / "subs")
    local = grade(tmp_path, "local", "--workers", "2")
    remote = grade(tmp_path, "dask", "--scheduler", cluster.scheduler_address)
    assert "graded 5 of 5" in local and "graded 5 of 5" in remote
    assert "Dask cluster" in remote and "local worker processes" in local

    rows = grade_rows(tmp_path, "dask")
    assert rows == grade_rows(tmp_path, "local")
    assert (tmp_path / "dask" / "grades.csv").read_bytes() == (tmp_path / "local" / "grades.csv").read_bytes()
    scores = {r["student_id"]: float(r["score"]) for r in rows}
    assert {s: v for s, v in scores.items() if expected[s] is not None} == \
           {s: v for s, v in expected.items() if v is not None}
    assert 0 < scores["cat"] < 10
    status = {r["student_id"]: r["status"] for r in rows}
    assert "secret-link" in status["dan"] and "odd\\xffname" in status["dan"]
    assert "missing notebook" in status["eve"]
    assert gradebook_scores(tmp_path, "dask") == gradebook_scores(tmp_path, "local") == scores
    for student in expected:   # the same feedback, word for word
        page = f"feedback/{student}/{ASSIGNMENT}.html"
        assert (tmp_path / "dask" / page).read_text() == (tmp_path / "local" / page).read_text(), student
    assert "NOT SANDBOXED" not in (tmp_path / "dask" / "report.html").read_text()

    # Resumable on Dask as locally (--force: tests/test_resume.py): unchanged, nothing is graded;
    # a changed submission is graded again.
    assert "graded 0 of 5" in grade(tmp_path, "dask", "--scheduler", cluster.scheduler_address)
    notebook = tmp_path / "subs" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook.write_bytes((tmp_path / "subs" / "ann" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes())
    assert "graded 1 of 5" in grade(tmp_path, "dask", "--scheduler", cluster.scheduler_address)
    assert gradebook_scores(tmp_path, "dask")["bob"] == 10.0


def test_a_killed_worker_loses_nothing(cluster, tmp_path):
    """SIGKILL a worker process while it grades: its jobs run again on the other, and every
    student ends up graded once, with the scores a calm run gives."""
    (tmp_path / "secret").write_text("dask-secret-0123456789")
    expected = {f"s{index}": 10.0 if index % 2 else 0.0 for index in range(8)}
    for student, score in expected.items():
        submit(tmp_path / "subs", student, solution() if score else blank())

    command = [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(tmp_path / "subs"),
               "--out", str(tmp_path / "dask"), "--db", f"sqlite:///{tmp_path / 'dask'}.db",
               "--secret-file", str(tmp_path / "secret"), "--scheduler", cluster.scheduler_address]
    grader = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = None
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and grader.poll() is None:
            busy = [worker for worker, tasks in client.processing().items()
                    if any(str(task).startswith("grade-") for task in tasks)]
            if busy and list((tmp_path / "dask" / "results").glob("*.pickle")):
                killed = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(killed, signal.SIGKILL)
            time.sleep(0.05)
    stdout, stderr = grader.communicate(timeout=300)
    assert grader.returncode == 0, stderr
    assert killed is not None, "no worker was busy grading while results came in"
    assert "graded 8 of 8" in stdout, stdout + stderr
    rows = grade_rows(tmp_path, "dask")
    assert [r["student_id"] for r in rows] == list(expected), rows   # once each
    assert {r["student_id"]: float(r["score"]) for r in rows} == expected, (rows, stdout + stderr)
    assert all(r["status"] == "graded" for r in rows), (rows, stdout + stderr)   # none lost to the kill
    assert gradebook_scores(tmp_path, "dask") == expected


def test_the_worker_holding_the_only_copy_of_the_assignment_can_die(cluster, tmp_path):
    """The worker holding the only copy of the compiled assignment dies before the jobs start: they
    still run, because the scheduler makes the assignment again from what the grader sent. (It was
    scattered to every worker before; Dask's memory manager kept one copy within 5 s, and when that
    worker died every job still to run was cancelled. This test failed so on that code.)"""
    from autograder.compile import compile_assignment
    from autograder.dispatch import DaskCluster
    from autograder.grade import build_job
    from autograder.limits import Limits
    from autograder.runs import Run
    from autograder.seeds import load_secret

    (tmp_path / "secret").write_text("dask-secret-0123456789")
    submit(tmp_path / "subs", "ann", solution())
    submit(tmp_path / "subs", "bob", blank())
    compiled = compile_assignment(REPO / "source" / ASSIGNMENT, ASSIGNMENT)
    dispatcher = DaskCluster(cluster.scheduler_address, compiled)
    try:
        assignment = dispatcher.compiled_on_workers
        assignment.result(timeout=60)   # in a worker's memory
        deadline = time.monotonic() + 20
        while len(holders := dispatcher.client.who_has(assignment)[assignment.key]) != 1:
            assert time.monotonic() < deadline, f"the assignment stayed on {holders}"
            time.sleep(0.2)
        os.kill(dispatcher.client.run(os.getpid, workers=list(holders))[holders[0]], signal.SIGKILL)
        secret = load_secret(tmp_path / "secret", REPO, lambda *_: None)
        with Run(tmp_path) as run:
            jobs = [(build_job(student, tmp_path / "subs" / student / ASSIGNMENT, compiled, secret, Limits(), run),
                     student) for student in ("ann", "bob")]
            dispatcher.start(jobs)
            for future in list(dispatcher.owners):   # fails here, in time, rather than hang
                future.result(timeout=240)
            outcomes = {job.student_id: outcome for job, _, outcome in dispatcher.results()}
    finally:
        dispatcher.close()
    assert all(isinstance(o, SubmissionResult) for o in outcomes.values()), outcomes
    assert {student: o.score for student, o in outcomes.items()} == {"ann": 10.0, "bob": 0.0}


def test_a_lost_scheduler_records_nothing_for_the_waiting_and_the_next_run_grades_them(cluster, tmp_path):
    """The cluster goes away mid-run: the grader stops in one line, the students still waiting get
    no zero in the gradebook, and the same command on a live cluster grades only them."""
    (tmp_path / "secret").write_text("dask-secret-0123456789")
    expected = {f"s{index}": 10.0 if index % 2 else 0.0 for index in range(6)}
    for student, score in expected.items():
        submit(tmp_path / "subs", student, solution() if score else blank())
    doomed = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0")
    command = [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(tmp_path / "subs"),
               "--out", str(tmp_path / "dask"), "--db", f"sqlite:///{tmp_path / 'dask'}.db",
               "--secret-file", str(tmp_path / "secret"), "--scheduler", doomed.scheduler_address]
    grader = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    kept = tmp_path / "dask" / "results"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (kept.exists() and list(kept.glob("*.pickle"))):
        time.sleep(0.05)
    doomed.close()
    _, stderr = grader.communicate(timeout=120)
    assert grader.returncode == 2, stderr
    assert stderr.strip().splitlines()[-1].startswith("error: lost the Dask cluster"), stderr
    finished = sorted(p.stem for p in kept.glob("*.pickle"))
    assert 1 <= len(finished) < 6, finished
    assert gradebook_scores(tmp_path, "dask") == {s: expected[s] for s in finished}   # no zeros for the rest

    again = grade(tmp_path, "dask", "--scheduler", cluster.scheduler_address)
    assert f"graded {6 - len(finished)} of 6" in again
    assert gradebook_scores(tmp_path, "dask") == expected


def test_a_worker_on_other_grader_code_is_refused():
    from autograder.dispatch import grade_on_worker

    with pytest.raises(RuntimeError, match="another version of the autograder"):
        grade_on_worker(None, None, "0000000000000000")


def test_a_worker_without_bubblewrap_runs_no_student_code(cluster, tmp_path):
    """Fail closed: a worker that cannot sandbox grades nothing (no score, no page, nothing in the
    gradebook; the report says NOT GRADED and names them, the command exits 1); a later run on
    sandboxing workers grades them. With the loud option, it grades them unsandboxed and says so."""
    tools = tmp_path / "tools"   # the system's commands, but no bwrap
    tools.mkdir()
    for command in Path("/usr/bin").iterdir():
        if command.name != "bwrap":
            (tools / command.name).symlink_to(command)
    path = f"{Path(sys.executable).parent}{os.pathsep}{tools}"
    (tmp_path / "secret").write_text("dask-secret-0123456789")
    marker = tmp_path / "ran-on-the-bare-worker"
    submit(tmp_path / "subs", "ann", solution())
    submit(tmp_path / "subs", "bob", with_cell(f"open({str(marker)!r}, 'w').write('ran')"))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                      env={"PATH": path}) as bare:
        grade(tmp_path, "dask", "--scheduler", bare.scheduler_address, returncode=1)
        assert not marker.exists()
        report = (tmp_path / "dask" / "report.html").read_text()
        assert "NOT GRADED for 2 of 2 submissions (ann, bob)" in report and "make sandbox" in report
        rows = {r["student_id"]: r for r in grade_rows(tmp_path, "dask")}
        assert all(rows[s]["status"].startswith("not graded: the machine that ran this job cannot sandbox")
                   for s in ("ann", "bob"))
        assert gradebook_scores(tmp_path, "dask") == {}
        assert not (tmp_path / "dask" / "feedback").exists()

        grade(tmp_path, "bare", "--scheduler", bare.scheduler_address, "--unsandboxed-i-trust-every-submission")
        assert marker.exists()
        assert "NOT SANDBOXED" in (tmp_path / "bare" / "report.html").read_text()

    assert "graded 2 of 2" in grade(tmp_path, "dask", "--scheduler", cluster.scheduler_address)
    report = (tmp_path / "dask" / "report.html").read_text()
    assert "NOT SANDBOXED" not in report and "NOT GRADED" not in report
    assert {r["student_id"]: float(r["score"]) for r in grade_rows(tmp_path, "dask")} == {"ann": 10.0, "bob": 10.0}


def test_the_report_names_the_submissions_a_bare_worker_graded():
    boxed = "sandboxed with bubblewrap: no network, private file system, resource limits"
    bare = "NOT SANDBOXED: bubblewrap was not used (missing: apt-get install bubblewrap), ..."
    results = [SubmissionResult("ann", sandbox=boxed), SubmissionResult("bob", sandbox=bare),
               SubmissionResult("cat", sandbox=boxed)]
    summary = sandbox_summary(results)
    assert summary.startswith("NOT SANDBOXED for 1 of 3 submissions (bob)")
    assert sandbox_summary([results[0], results[2]]) == boxed


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path):
    from conftest import free_port
    (tmp_path / "secret").write_text("dask-secret-0123456789")
    submit(tmp_path / "subs", "ann", solution())
    command = [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(tmp_path / "subs"),
               "--out", str(tmp_path / "out"), "--secret-file", str(tmp_path / "secret"),
               "--db", f"sqlite:///{tmp_path / 'gb.db'}", "--scheduler", f"tcp://127.0.0.1:{free_port()}"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "could not reach the Dask scheduler" in done.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_a_job_carries_its_files_and_seeds_but_not_the_secret_or_the_assignment(tmp_path):
    """What travels to a worker, per job: the submission's files as data (links left out, as the
    job itself would leave them), the seeds and the limits; the compiled assignment is sent once
    (a future the jobs share), and the course secret never."""
    import pickle

    from autograder.compile import compile_assignment
    from autograder.dispatch import DaskCluster
    from autograder.grade import build_job
    from autograder.runs import Run

    secret = "the-course-secret-0123456789"
    (tmp_path / "secret").write_text(secret)
    folder = submit(tmp_path / "subs", "ann", solution())
    (folder / "data.csv").write_text("x,y\n1,2\n")
    (folder / "elsewhere").symlink_to("/etc/passwd")
    compiled = compile_assignment(REPO / "source" / ASSIGNMENT, ASSIGNMENT)

    class Recorder:   # stands in for distributed.Client.submit: only what would be sent is kept
        sent = []

        def submit(self, function, *args, **kwargs):
            self.sent.append(pickle.dumps((function, args)))
            return object()

    class Started:
        def add(self, future):
            pass

    dispatcher = object.__new__(DaskCluster)
    dispatcher.client, dispatcher.compiled, dispatcher.compiled_on_workers = Recorder(), compiled, "<the assignment future>"
    dispatcher.version, dispatcher.owners, dispatcher.sizes, dispatcher.started = "v1", {}, {}, Started()
    from autograder.limits import Limits
    from autograder.seeds import load_secret
    with Run(tmp_path) as run:
        job = build_job("ann", folder, compiled, load_secret(tmp_path / "secret", REPO, lambda *_: None),
                        Limits(), run)
        dispatcher._submit(job, "key")
    sent = Recorder.sent[0]
    assert secret.encode() not in sent
    _, (assignment, travelling, version) = pickle.loads(sent)
    assert assignment == "<the assignment future>" and travelling.compiled is None and version == "v1"
    notebook = (folder / f"{ASSIGNMENT}.ipynb").read_bytes()
    assert travelling.packed.notebook_bytes() == notebook and sent.count(notebook[:200]) == 1   # sent once
    assert dispatcher.sizes[next(iter(dispatcher.sizes))] == len(notebook) + len(b"x,y\n1,2\n")
    assert travelling.seeds == job.seeds
    assert dict(travelling.packed.entries)["data.csv"] == b"x,y\n1,2\n"
    assert "elsewhere" not in dict(travelling.packed.entries)
    assert any("elsewhere" in s for s in travelling.packed.skipped)
    assert compiled.kernel_side_source.encode() not in sent   # the assignment is not in every job
