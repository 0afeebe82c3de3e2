"""Compile an assignment's source notebook into what grading needs: the test cells split into
their visible and hidden parts, their points, and the solution code for the reference run.

A CompiledAssignment is plain data (picklable), built once per grading run and handed to
every job.
"""
import ast
import contextlib
import json
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
    hidden: str | None   # the hidden test code, run by the harness in the grader
    anchor: str | None   # grade_id of the answer cell it follows in the source notebook
    kernel_hidden: str | None = None  # what the kernel runs: `hidden` without grader-only code


@dataclass
class CompiledAssignment:
    name: str
    notebook: str                       # file name inside the assignment folder
    cells: list                         # the source notebook's cells (dicts)
    tests: dict = field(default_factory=dict)        # grade_id -> TestSpec, notebook order
    answers: list = field(default_factory=list)      # grade_ids of answer cells
    harness_source: str = ""
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
    compiled.harness_source = (Path(__file__).parent / "harness.py").read_text()
    compiled.data_files = data_files(source_dir, path.name)
    last_answer = None
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            compiled.answers.append(meta["grade_id"])
            last_answer = meta["grade_id"]
        if meta.get("grade") and cell.cell_type == "code":
            blocks = HIDDEN.findall(cell.source)
            if len(blocks) > 1:
                raise CourseError(f"{meta['grade_id']}: one hidden test block per cell, found {len(blocks)}")
            compiled.tests[meta["grade_id"]] = TestSpec(
                grade_id=meta["grade_id"], points=float(meta.get("points", 0)), source=cell.source,
                visible=HIDDEN.sub("", cell.source).rstrip() + "\n", hidden=blocks[0] if blocks else None,
                anchor=last_answer, kernel_hidden=for_the_kernel(blocks[0]) if blocks else None)
    if not compiled.tests:
        raise CourseError(f"{path.name} has no graded test cells")
    check_kernel_copies(compiled)
    return compiled


def _method_call(node, name):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name


def _evaluates_calls(nodes):
    """True if evaluating these expressions calls anything (a lambda's body is not evaluated,
    its defaults are): removing them could change the draws from t.rng."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Lambda):
            stack.extend(node.args.defaults + [d for d in node.args.kw_defaults if d is not None])
            continue
        if isinstance(node, ast.Call):
            return True
        stack.extend(ast.iter_child_nodes(node))
    return False


def _strippable_check(keyword):
    return keyword.arg == "check" and (isinstance(keyword.value, ast.Name) or (
        isinstance(keyword.value, ast.Lambda) and not _evaluates_calls([keyword.value])))


class _GraderOnly(ast.NodeTransformer):
    """Takes out what only the grader runs: `t.mistake(...)` statements, `check=` rules on
    `t.call`, and the bodies of functions defined only to be such rules (their decorators and
    defaults stay, so the draws from t.rng stay). Anything whose removal could change what
    runs is left alone, and `compile_assignment` checks the result."""

    def __init__(self, check_only):
        self.check_only = check_only

    def visit_ClassDef(self, node):
        return node

    def visit_Expr(self, node):
        call = node.value
        if _method_call(call, "mistake") and not _evaluates_calls(call.args + [k.value for k in call.keywords]):
            return ast.Pass()
        return self.generic_visit(node)

    def visit_FunctionDef(self, node):
        if node.name in self.check_only:
            node.body = [ast.Expr(ast.Constant(Ellipsis))]
            return node
        return self.generic_visit(node)

    def visit_Call(self, node):
        if _method_call(node, "call"):
            node.keywords = [ast.keyword(k.arg, ast.Constant(None)) if _strippable_check(k) else k
                             for k in node.keywords]
        return self.generic_visit(node)


def for_the_kernel(hidden):
    """The hidden test as the student's kernel runs it: the same calls, in the same order, on
    the same draws from t.rng, without the code only the grader runs, so that a student who
    reads the kernel's memory finds no more there than the calls made to their functions."""
    tree = ast.parse(hidden)
    in_checks = [k.value.id for node in ast.walk(tree) if _method_call(node, "call")
                 for k in node.keywords if _strippable_check(k) and isinstance(k.value, ast.Name)]
    loads = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store)]
    check_only = {name for name in in_checks if loads.count(name) == in_checks.count(name)}
    return ast.unparse(ast.fix_missing_locations(_GraderOnly(check_only).visit(tree))) + "\n"


def _cases(namespace, source):
    """What a hidden test does against the solution: labels, outcomes and values, as data."""
    from .harness import collecting, encode
    try:
        with collecting(0) as found:
            exec(compile(source, "<hidden tests>", "exec"), dict(namespace))
        return [(case.label, case.outcome, case.error_type,
                 json.dumps(encode(case.value), sort_keys=True) if case.outcome == "returned" else None)
                for tester in found["testers"] for case in tester.cases]
    except Exception as error:  # noqa: BLE001  (compared, not raised: the self-check reports it)
        return [("raised", type(error).__name__)]


def check_kernel_copies(compiled):
    """Where the kernel's copy of a hidden test does not make exactly the calls the full test
    makes on the solution (same labels, order and values), send the full test instead: a
    stricter secret is not worth a wrong grade."""
    pending = [spec for spec in compiled.tests.values() if spec.hidden and spec.kernel_hidden != spec.hidden]
    if not pending:
        return
    try:
        snapshots = reference_namespaces(compiled)
    except Exception:  # noqa: BLE001  (a broken solution is reported where it is graded)
        return
    for spec in pending:
        namespace = snapshots[spec.grade_id]
        if _cases(namespace, spec.hidden) != _cases(namespace, spec.kernel_hidden):
            spec.kernel_hidden = spec.hidden


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
