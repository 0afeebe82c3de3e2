"""Committed notebooks are valid, output-free and use the python3 kernel."""
import sys

import nbformat
import pytest

from autograder.compile import HIDDEN

from conftest import COURSE_NOTEBOOKS, RELEASE_NOTEBOOKS, SOURCE_NOTEBOOKS, ids, read_notebook

ALL = COURSE_NOTEBOOKS + SOURCE_NOTEBOOKS + RELEASE_NOTEBOOKS


def test_every_kind_of_notebook_exists():
    assert COURSE_NOTEBOOKS and SOURCE_NOTEBOOKS and RELEASE_NOTEBOOKS


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_committed_without_outputs(path):
    nb = read_notebook(path)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for number, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {number} has outputs: clear them before committing"
            assert cell.execution_count is None, f"cell {number} has an execution count"


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=ids(SOURCE_NOTEBOOKS))
def test_assignment_imports_only_installed_libraries(path):
    """Students receive only release/<assignment>/: no course helpers may be imported.
    (Hidden tests may import the grader's harness: they never reach students.)"""
    allowed = {"numpy", "scipy", "matplotlib", "ipywidgets", "IPython"} | set(sys.stdlib_module_names)
    for cell in read_notebook(path).cells:
        if cell.cell_type != "code":
            continue
        visible = HIDDEN.sub("", cell.source)
        for line in visible.splitlines():
            words = line.split()
            if words[:1] in (["import"], ["from"]) and len(words) > 1:
                assert words[1].split(".")[0] in allowed, f"{path.name} imports {words[1]}"
