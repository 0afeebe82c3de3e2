"""Hostile submissions against the grading host: grading fails closed without a working sandbox,
and nothing a student names reaches a spreadsheet as a formula (issue 22, items 7 and 8)."""
import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.report import spreadsheet_cell
from conftest import REPO
from submissions import ASSIGNMENT, solution, submit, with_cell

pytestmark = pytest.mark.slow
FORMULAS = ['=HYPERLINK("http:..evil.example","click")', "+cmd", "-2+3", "@SUM(1)"]


def tools_without_bwrap(folder, fake_bwrap=None):
    """A PATH with this Python's tools and the system's commands, but no bwrap (or a stand-in
    that fails as bubblewrap does where user namespaces are forbidden)."""
    folder.mkdir()
    for command in Path("/usr/bin").iterdir():
        if command.name != "bwrap":
            (folder / command.name).symlink_to(command)
    if fake_bwrap:
        (folder / "bwrap").write_text(f"#!/bin/sh\necho '{fake_bwrap}' >&2\nexit 1\n")
        (folder / "bwrap").chmod(0o755)
    return f"{Path(sys.executable).parent}{os.pathsep}{folder}"


def grade(base, path, *extra):
    command = [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--submissions", str(base / "subs"),
               "--out", str(base / "out"), "--secret-file", str(base / "secret"),
               "--db", f"sqlite:///{base / 'gb.db'}", "--workers", "2", *extra]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PATH": path})


@pytest.fixture
def scanner(tmp_path):
    """A student whose answers are right and whose extra cell looks for the instructor's solution
    and writes outside its folder: unsandboxed it would find both."""
    (tmp_path / "secret").write_text("host-secret-0123456789\n")
    marker = tmp_path / "ran-unsandboxed"
    submit(tmp_path / "subs", "scanner", with_cell(
        f"open({str(marker)!r}, 'w').write('student code ran')\n"
        f"print('FOUND' if __import__('os').path.exists({str(REPO / 'source')!r}) else 'absent')"))
    return tmp_path, marker


@pytest.mark.parametrize("fake_bwrap", [None, "bwrap: No permissions to create new namespace"],
                         ids=["not installed", "installed but cannot sandbox"])
def test_without_a_working_sandbox_grading_refuses_in_one_line(scanner, fake_bwrap):
    base, marker = scanner
    done = grade(base, tools_without_bwrap(base / "tools", fake_bwrap))
    assert done.returncode == 2
    message = done.stderr.strip().splitlines()
    assert len(message) == 1 and message[0].startswith("error: refusing to run student code")
    assert "make sandbox" in message[0] and "--unsandboxed-i-trust-every-submission" in message[0]
    if fake_bwrap:
        assert "No permissions to create new namespace" in message[0]
    assert not marker.exists(), "student code ran without a sandbox"
    assert not (base / "out" / "grades.csv").exists()


def test_running_unsandboxed_takes_the_loud_option_and_says_so(scanner):
    base, marker = scanner
    done = grade(base, tools_without_bwrap(base / "tools"), "--unsandboxed-i-trust-every-submission")
    assert done.returncode == 0, done.stderr
    assert "WARNING: NOT SANDBOXED" in done.stderr
    assert marker.exists()  # what the option allows, and why it is loud
    rows = {r["student_id"]: r for r in csv.DictReader((base / "out" / "grades.csv").open())}
    assert float(rows["scanner"]["score"]) == 10
    assert "NOT SANDBOXED" in (base / "out" / "report.html").read_text()


def test_a_job_on_a_machine_without_a_sandbox_runs_nothing(tmp_path, monkeypatch):
    """What a Dask worker without bubblewrap does with a job: returns it unrun, not graded."""
    from autograder.compile import compile_assignment
    from autograder.job import NO_SANDBOX, GradingJob, grade_submission

    marker = tmp_path / "ran"
    folder = submit(tmp_path / "subs", "scanner", with_cell(f"open({str(marker)!r}, 'w').write('ran')"))
    compiled = compile_assignment(REPO / "source" / ASSIGNMENT, ASSIGNMENT)
    monkeypatch.setattr(sandbox, "unavailable", lambda: "bubblewrap is not installed")
    result = grade_submission(GradingJob("scanner", folder, compiled, dict.fromkeys(compiled.tests, 1)))
    assert result.status.startswith(NO_SANDBOX) and "make sandbox" in result.status
    assert result.score == 0 and result.notebook is None and result.feedback_html is None
    assert not marker.exists()


def test_the_sandbox_check_reports_a_bubblewrap_that_cannot_start(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", tools_without_bwrap(tmp_path / "tools", "bwrap: setting up uid map: Permission denied"))
    sandbox.unavailable.cache_clear()
    try:
        assert "setting up uid map: Permission denied" in sandbox.unavailable()
        assert not sandbox.sandboxed()
    finally:
        monkeypatch.undo()
        sandbox.unavailable.cache_clear()
    if sandbox.bubblewrap():
        assert sandbox.unavailable() is None  # the real one works on this machine


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\tx", "\rx", " =1+1", "\n=1+1", "\uff1d1+1"])
def test_a_cell_a_spreadsheet_would_run_is_quoted(value):
    assert spreadsheet_cell(value) == "'" + value
    assert spreadsheet_cell("ann") == "ann" and spreadsheet_cell("10") == "10"


@pytest.mark.skipif(not sandbox.bubblewrap(), reason="the sandbox needs the Debian package bubblewrap")
def test_student_folders_named_as_formulas_are_refused_and_never_a_formula(tmp_path):
    """...and, in the same run, what nbgrader's collect left out (autograder.exchange notes it
    beside the submission) is told to the student; a link in place of that note is not read."""
    (tmp_path / "secret").write_text("host-secret-0123456789\n")
    honest = submit(tmp_path / "subs", "honest", solution())
    (honest.parent / f"{ASSIGNMENT}.not-collected.txt").write_text(
        "Collected honest+a1+2026 without these (never followed):\n- data.csv (a link)\n")
    linked = submit(tmp_path / "subs", "linked_note", solution())
    (linked.parent / f"{ASSIGNMENT}.not-collected.txt").symlink_to(tmp_path / "secret")
    for name in FORMULAS:
        submit(tmp_path / "subs", name, solution())
    done = grade(tmp_path, os.environ["PATH"])
    assert done.returncode == 0, done.stderr
    with (tmp_path / "out" / "grades.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    by_id = {row[0]: row for row in rows[1:]}
    assert float(by_id["honest"][1]) == 10
    for name in FORMULAS:  # listed, with the reason, as text: never graded under that name
        assert "'" + name in by_id and "not a plain student id" in by_id["'" + name][-1]
        assert name in done.stderr
    report = (tmp_path / "out" / "report.html").read_text()
    assert "not a plain student id" in report and "HYPERLINK(&quot;" in report
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{tmp_path / 'gb.db'}") as gradebook:
        assert sorted(s.id for s in gradebook.students) == ["honest", "linked_note"]
    page = (tmp_path / "out" / "feedback" / "honest" / f"{ASSIGNMENT}.html").read_text()
    linked = (tmp_path / "out" / "feedback" / "linked_note" / f"{ASSIGNMENT}.html").read_text()
    assert "When your submission was collected from the exchange" in page and "data.csv (a link)" in page
    assert "host-secret" not in linked and "When your submission was collected" not in linked

