"""The gradebook on a real PostgreSQL server (Debian's postgresql), started by the test."""
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.grade import grade_assignment
from conftest import REPO, free_port
from submissions import ASSIGNMENT, points_of, solution, submit, with_answer

pytestmark = pytest.mark.slow
BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    if not BINARIES:
        pytest.skip("needs the Debian package postgresql")
    bin_dir = BINARIES[-1]
    # Not under pytest's own temp folder: the postgres user must be able to reach it.
    base = Path(tempfile.mkdtemp(prefix="pg-gradebook-"))
    data, sockets = base / "data", base / "sockets"
    sockets.mkdir()
    as_user = []
    if os.geteuid() == 0:  # initdb refuses to run as root: use the package's postgres user
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()

    def run(*command):
        subprocess.run(as_user + list(command), check=True, capture_output=True, timeout=120)

    run(f"{bin_dir}/initdb", "-D", str(data), "--auth=trust", "-U", "grader")
    run(f"{bin_dir}/pg_ctl", "-D", str(data), "-w", "-l", str(base / "log"), "-o",
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1", "start")
    try:
        for name in ("gradebook", "nbgrader_gradebook"):
            run(f"{bin_dir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "grader", name)
        yield f"postgresql+psycopg2://grader@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run(as_user + [f"{bin_dir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def test_grades_are_recorded_in_postgres(postgres, tmp_path):
    submit(tmp_path / "subs", "ada", solution())
    submit(tmp_path / "subs", "ben", with_answer(
        "central_difference", "(f(x + h) - f(x - h)) / (2 * h)", "(f(x + h) - f(x)) / h"))
    (tmp_path / "secret").write_text("postgres-test-secret-0123456789")
    results, info = grade_assignment(REPO, ASSIGNMENT, tmp_path / "subs", tmp_path / "out", db_url=postgres,
                                     workers=2, secret_file=tmp_path / "secret", log=lambda *_: None)
    assert [r.score for r in results] == [10, 10 - points_of("test_central_difference")]
    with Gradebook(postgres) as gradebook:
        assert gradebook.find_submission(ASSIGNMENT, "ada").score == 10
        ben = gradebook.find_submission(ASSIGNMENT, "ben")
        assert ben.score == 10 - points_of("test_central_difference")
        grade = gradebook.find_grade("test_central_difference", ASSIGNMENT, ASSIGNMENT, "ben")
        assert grade.score == 0
    assert "postgresql" in info["db_url"]
    # a regrade updates the same records rather than adding new ones
    results, _ = grade_assignment(REPO, ASSIGNMENT, tmp_path / "subs", tmp_path / "out2", db_url=postgres,
                                  workers=1, secret_file=tmp_path / "secret", log=lambda *_: None)
    with Gradebook(postgres) as gradebook:
        assert len(gradebook.find_assignment(ASSIGNMENT).submissions) == 2


@pytest.mark.skipif(not shutil.which("bwrap"), reason="the sandbox needs the Debian package bubblewrap")
def test_nbgrader_autograde_and_the_cli_agree_in_postgres(postgres, tmp_path):
    """The equality of tests/test_nbgrader_path.py, with both gradebooks on the server."""
    from test_nbgrader_path import cell_scores, grade_both_ways
    nbgrader_db = postgres.rsplit("/", 1)[0] + "/nbgrader_gradebook"
    _, results = grade_both_ways(tmp_path, nbgrader_db, postgres)
    ours = {key: score for key, score in cell_scores(postgres).items() if key[0] in results}
    assert cell_scores(nbgrader_db) == ours and len(ours) == 5 * 6
    assert 0 < results["cy"].tests["test_central_difference"].points < 2
