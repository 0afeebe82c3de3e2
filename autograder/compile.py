"""Compile an assignment's source notebook into what grading needs: the test cells split into
their visible and hidden parts, their points, and the solution code for the reference run.

A CompiledAssignment is plain data (picklable), built once per grading run and handed to
every job.
"""
import contextlib
import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .course import CourseError

HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[ \t]*\n(.*?)^[ \t]*### END HIDDEN TESTS[ \t]*\n?",
                    re.S | re.M)


@dataclass
class TestSpec:
    grade_id: str
    points: float
    source: str          # the whole cell, as in the source notebook
    visible: str         # what the student sees (and what runs inline in the kernel)
    hidden: str | None   # the hidden test code, run by the harness in the grader only
    anchor: str | None   # grade_id of the answer cell it follows in the source notebook
    hidden_line: int = 1  # the cell's line where the hidden test code starts


@dataclass
class CompiledAssignment:
    name: str
    notebook: str                       # file name inside the assignment folder
    cells: list                         # the source notebook's cells (dicts)
    tests: dict = field(default_factory=dict)        # grade_id -> TestSpec, notebook order
    answers: list = field(default_factory=list)      # grade_ids of answer cells
    kernel_side_source: str = ""                     # what the kernel runs: autograder/kernel_side.py
    data_files: dict = field(default_factory=dict)   # relative path -> bytes: files released beside it

    @property
    def max_score(self):
        return sum(t.points for t in self.tests.values())


def compile_assignment(source_dir, assignment):
    source_dir = Path(source_dir)
    path = source_dir / f"{assignment}.ipynb"
    if not path.is_file():
        raise CourseError(f"source notebook {path} is missing")
    nb = nbformat.read(path, as_version=4)
    compiled = CompiledAssignment(assignment, path.name, [dict(c) for c in nb.cells])
    compiled.kernel_side_source = (Path(__file__).parent / "kernel_side.py").read_text()
    compiled.data_files = data_files(source_dir, path.name)
    last_answer = None
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            compiled.answers.append(meta["grade_id"])
            last_answer = meta["grade_id"]
        if meta.get("grade") and cell.cell_type == "code":
            blocks = list(HIDDEN.finditer(cell.source))
            if len(blocks) > 1:
                raise CourseError(f"{meta['grade_id']}: one hidden test block per cell, found {len(blocks)}")
            compiled.tests[meta["grade_id"]] = TestSpec(
                grade_id=meta["grade_id"], points=float(meta.get("points", 0)), source=cell.source,
                visible=HIDDEN.sub("", cell.source).rstrip() + "\n", hidden=blocks[0].group(1) if blocks else None,
                anchor=last_answer,
                hidden_line=cell.source[:blocks[0].start(1)].count("\n") + 1 if blocks else 1)
    if not compiled.tests:
        raise CourseError(f"{path.name} has no graded test cells")
    check_plans(compiled)
    return compiled


def check_plans(compiled):
    """Refuse, naming the cell and line, a hidden test that would send anything but data into the
    student's kernel (a Python function, an object, then=): run each one against the solution,
    as grading does, and see that every call's arguments are data."""
    from .harness import PlanError
    from .verdict import run_reference
    pending = [spec for spec in compiled.tests.values() if spec.hidden]
    if not pending:
        return
    try:
        snapshots = reference_namespaces(compiled)
    except Exception:  # noqa: BLE001  (a broken solution is reported where it is graded)
        return
    for spec in pending:
        try:
            run_reference(snapshots[spec.grade_id], spec.hidden, 0)
        except PlanError as error:
            text = re.sub(r"on line (\d+) of the hidden test",
                          lambda m: f"on line {int(m.group(1)) + spec.hidden_line - 1} of the cell", str(error))
            raise CourseError(f"{compiled.notebook}, {spec.grade_id}: {text}") from None
        except Exception:  # noqa: BLE001  (a failing test is reported by its self-check and grading)
            continue


DATA_FILES_LIMIT = 64 * 2**20   # an assignment's data travel with every job: keep them small


def data_files(source_dir, notebook):
    """The regular files beside the source notebook (what release copies to students), which the
    solution may read: {relative path: bytes}. Links and checkpoints are left out."""
    files, total = {}, 0
    for path in sorted(source_dir.rglob("*")):
        relative = path.relative_to(source_dir)
        if (relative.name == notebook or path.suffix == ".ipynb" or path.is_symlink() or not path.is_file()
                or any(part.startswith(".") for part in relative.parts)):
            continue
        total += path.stat().st_size
        if total > DATA_FILES_LIMIT:
            raise CourseError(f"the files beside {notebook} in {source_dir} exceed {DATA_FILES_LIMIT} bytes")
        files[relative.as_posix()] = path.read_bytes()
    return files


_WORKING_DIRECTORY = threading.Lock()   # one per process: a Dask worker may run jobs in threads


@contextlib.contextmanager
def _beside_data_files(files):
    """Run in a fresh folder holding the assignment's data files, as the student's notebook does.
    The working directory belongs to the whole process, so references that need it take turns."""
    if not files:
        yield
        return
    with _WORKING_DIRECTORY, tempfile.TemporaryDirectory(prefix="reference-") as folder:
        for name, content in files.items():
            target = Path(folder, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        with contextlib.chdir(folder):
            yield


def reference_namespaces(compiled):
    """Execute the solution top to bottom (visible tests included, hidden blocks not) and keep,
    for each test, the namespace as it stands where that test's hidden block would run. Cells
    after the last test are not run: no test sees them."""
    namespace = {"__name__": "__reference__"}
    snapshots = {}
    with _beside_data_files(compiled.data_files):
        for cell in compiled.cells:
            if len(snapshots) == len(compiled.tests):
                break
            if cell["cell_type"] != "code":
                continue
            meta = cell.get("metadata", {}).get("nbgrader", {})
            grade_id = meta.get("grade_id")
            if grade_id in compiled.tests:
                exec(compile(compiled.tests[grade_id].visible, f"<{grade_id}>", "exec"), namespace)
                snapshots[grade_id] = dict(namespace)
            else:
                exec(compile(cell["source"], f"<{grade_id or 'cell'}>", "exec"), namespace)
    return snapshots


def classic_tests(compiled):
    """The test cells without a hidden block: graded all or nothing by whether they raise in the
    student's kernel (as nbgrader does), so a student who patches what they call can pass them."""
    return [grade_id for grade_id, spec in compiled.tests.items() if not spec.hidden]
