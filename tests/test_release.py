"""release/ is exactly what the release command makes, and gives nothing away."""
import filecmp
import re
from pathlib import Path

import nbclient
import pytest

from autograder.release import release_assignment
from conftest import ASSIGNMENTS, RELEASE_NOTEBOOKS, REPO, ids, nbgrader_meta, read_notebook

SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_matches_fresh_regeneration(assignment, tmp_path):
    fresh = release_assignment(REPO, assignment, release_dir=tmp_path)
    committed = REPO / "release" / assignment
    comparison = filecmp.dircmp(fresh, committed)
    assert not comparison.left_only and not comparison.right_only, \
        f"file lists differ: {comparison.left_only} vs {comparison.right_only}"
    for name in comparison.common_files:
        assert (fresh / name).read_bytes() == (committed / name).read_bytes(), \
            f"release/{assignment}/{name} is stale: run `make release`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_contains_no_solutions_or_hidden_tests(assignment):
    source = (REPO / "source" / assignment / f"{assignment}.ipynb").read_text()
    source_nb = read_notebook(REPO / "source" / assignment / f"{assignment}.ipynb")
    secret_lines = set()
    for cell in source_nb.cells:
        for block in SOLUTION.findall(cell.source) + HIDDEN.findall(cell.source):
            # Distinctive lines only: short ones like `return derivative` may appear in stubs.
            secret_lines.update(line.strip() for line in block.splitlines() if len(line.strip()) > 20)
    assert secret_lines and "BEGIN SOLUTION" in source
    for path in (REPO / "release" / assignment).rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
                assert marker not in text, f"{path.name} contains {marker}"
            nb = read_notebook(path) if path.suffix == ".ipynb" else None
            cells = "\n".join(c.source for c in nb.cells) if nb else text
            leaked = [line for line in secret_lines if line in cells]
            assert not leaked, f"{path.name} leaks: {leaked[:3]}"


@pytest.mark.slow
@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS, ids=ids(RELEASE_NOTEBOOKS))
def test_release_runs_with_only_not_implemented_errors(path):
    """A student opening the release sees NotImplementedError from the tests of the
    unanswered tasks, and no other error anywhere."""
    nb = read_notebook(path)
    nbclient.NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=120,
                            resources={"metadata": {"path": str(REPO / Path(path).parent)}}).execute()
    errors = {}
    for number, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                errors[number] = output.ename
    assert errors, "the blank release should fail the tests of unanswered tasks"
    for number, ename in errors.items():
        meta = nbgrader_meta(nb.cells[number])
        assert meta.get("grade") or meta.get("solution"), f"cell {number} (not an answer or test) raised {ename}"
        assert ename == "NotImplementedError", f"cell {number} raised {ename}"
    graded = [n for n, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade")]
    assert sorted(errors) == graded, "every test cell of an unanswered task should fail"
