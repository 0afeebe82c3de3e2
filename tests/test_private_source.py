"""Teaching a graded course from a public clone: the solutions live in a private copy of
source/ that COURSE_SOURCE names; release and grading use it, and students get release/ only."""
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.course import CourseError, require_assignment, source_assignments
from autograder.grade import grade_assignment
from autograder.release import release_assignment
from conftest import REPO
from submissions import ASSIGNMENT, solution, submit

MARKER = "# This comment exists only in the private copy."


@pytest.fixture
def private_source(tmp_path, monkeypatch):
    private = tmp_path / "private-solutions"
    shutil.copytree(REPO / "source" / ASSIGNMENT, private / ASSIGNMENT)
    notebook = private / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    first_test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    first_test.source = MARKER + "\n" + first_test.source   # a visible line of a test cell
    nbformat.write(nb, notebook)
    monkeypatch.setenv("COURSE_SOURCE", str(private))
    return private


def test_the_course_finds_the_private_copy(private_source):
    assert source_assignments(REPO) == [ASSIGNMENT]
    assert require_assignment(REPO, ASSIGNMENT) == private_source / ASSIGNMENT


def test_release_comes_from_the_private_copy_without_solutions(private_source, tmp_path):
    released = release_assignment(REPO, ASSIGNMENT, release_dir=tmp_path / "release")
    text = (released / f"{ASSIGNMENT}.ipynb").read_text()
    assert MARKER in text                          # generated from the private copy
    for secret in ["BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "t.mistake("]:
        assert secret not in text


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("bwrap"), reason="the sandbox needs the Debian package bubblewrap")
def test_grading_uses_the_private_copy(private_source, tmp_path):
    submit(tmp_path / "subs", "ann", solution())
    (tmp_path / "secret").write_text("private-source-secret-0123456789")
    results, _ = grade_assignment(REPO, ASSIGNMENT, tmp_path / "subs", tmp_path / "out",
                                  db_url=f"sqlite:///{tmp_path / 'gb.db'}", workers=1,
                                  secret_file=tmp_path / "secret", log=lambda *_: None)
    assert results[0].score == 10
    page = (tmp_path / "out" / "feedback" / "ann" / f"{ASSIGNMENT}.html").read_text()
    assert MARKER in page  # the test cells were restored from the private source


def test_a_missing_private_copy_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_SOURCE", str(tmp_path / "nowhere"))
    with pytest.raises(CourseError, match="COURSE_SOURCE"):
        source_assignments(REPO)
    done = subprocess.run([sys.executable, "-m", "autograder", "release", ASSIGNMENT], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "does not exist" in done.stderr and "COURSE_SOURCE" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
