"""The reference run of a solution that reads a data file released beside it (Week 6's
penguins.csv): the grader carries the files with the compiled assignment and runs the solution
beside them, wherever the job runs."""
import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.compile import compile_assignment, reference_namespaces
from autograder.course import CourseError


def meta(grade_id, points=None):
    m = {"grade": points is not None, "grade_id": grade_id, "locked": points is not None,
         "schema_version": 3, "solution": points is None, "task": False}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def source_folder(tmp_path):
    folder = tmp_path / "source" / "toy"
    (folder / "data").mkdir(parents=True)
    (folder / "numbers.csv").write_text("3\n4\n")
    (folder / "data" / "scale.txt").write_text("10")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "toy-checkpoint.ipynb").write_text("{}")
    (folder / "link.csv").symlink_to("/etc/hostname")
    nb = new_notebook(cells=[
        new_code_cell("values = [float(v) for v in open('numbers.csv')]\nscale = float(open('data/scale.txt').read())"),
        new_code_cell("def total(k):\n    ### BEGIN SOLUTION\n    return k * scale * sum(values)\n    ### END SOLUTION",
                      metadata=meta("total")),
        new_code_cell("assert total(1) == 70\n### BEGIN HIDDEN TESTS\nfrom autograder.hidden import hidden\n\n"
                      "@hidden\ndef test(t):\n    t.call('total', float(t.rng.integers(1, 5)))\n    "
                      "t.mistake('total', lambda k: k * sum(values), 'scale it')\n### END HIDDEN TESTS",
                      metadata=meta("test_total", 1)),
        new_code_cell("raise RuntimeError('a cell after the last test: no test needs it')"),
    ])
    nbformat.write(nb, folder / "toy.ipynb")
    return folder


def test_the_solution_runs_beside_its_data_files_from_any_working_directory(tmp_path, monkeypatch):
    compiled = compile_assignment(source_folder(tmp_path), "toy")
    assert compiled.data_files == {"data/scale.txt": b"10", "numbers.csv": b"3\n4\n"}   # no link, no checkpoint
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    snapshots = reference_namespaces(compiled)   # the trailing cell that raises is never run
    assert snapshots["test_total"]["total"](2) == 140
    assert os.getcwd() == str(elsewhere) and not list(elsewhere.iterdir())


def test_data_files_too_large_to_send_with_every_job_are_refused(tmp_path, monkeypatch):
    import autograder.compile

    folder = source_folder(tmp_path)
    monkeypatch.setattr(autograder.compile, "DATA_FILES_LIMIT", 5)   # the two files hold 6 bytes
    with pytest.raises(CourseError, match="exceed"):
        compile_assignment(folder, "toy")


def test_references_in_threads_each_find_their_data_files(tmp_path, monkeypatch):
    """A Dask worker with several threads runs several jobs' reference runs at once, and the
    working directory is the process's: they take turns, and each sees its files."""
    from concurrent.futures import ThreadPoolExecutor

    compiled = compile_assignment(source_folder(tmp_path), "toy")
    # A solution that takes a moment before it reads its files, as a real one might.
    compiled.cells[0]["source"] = "import time\ntime.sleep(0.02)\n" + "".join(compiled.cells[0]["source"])
    monkeypatch.chdir(tmp_path)
    with ThreadPoolExecutor(8) as threads:
        totals = list(threads.map(lambda _: reference_namespaces(compiled)["test_total"]["total"](2), range(16)))
    assert totals == [140.0] * 16
    assert os.getcwd() == str(tmp_path)
