"""Grade one submission: a pure job.

`grade_submission(job)` takes a submission folder (read only), the compiled assignment and
the student's seeds, and returns a SubmissionResult. It touches nothing shared: it works in
its own scratch folder, which it removes, so any number of jobs can run side by side, here
or on other machines.
"""
import asyncio
import html
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_output

from . import execute, sandbox
from .compile import CompiledAssignment, reference_namespaces
from .feedback import render_feedback
from .harness import MIME
from .verdict import TestVerdict, judge

HIDDEN_CELL = """def __autograder_hidden():
    import sys, types
    harness = types.ModuleType("autograder.harness")
    exec(compile({harness!r}, "<autograder harness>", "exec"), harness.__dict__)
    harness.MODE, harness.SEED = "student", {seed}
    package = types.ModuleType("autograder")
    package.__path__, package.harness = [], harness
    sys.modules["autograder"], sys.modules["autograder.harness"] = package, harness
    exec(compile({hidden!r}, "<hidden tests>", "exec"), dict(globals()))
__autograder_hidden()
del __autograder_hidden
"""


@dataclass
class GradingJob:
    student_id: str
    submission: Path                 # DIR/<student_id>/<assignment>, never written
    compiled: CompiledAssignment
    seeds: dict                      # grade_id -> int, derived from the secret by the caller
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    use_sandbox: bool = True
    scratch_root: str | None = None  # where the scratch folder goes (default: system temp)


@dataclass
class SubmissionResult:
    student_id: str
    status: str = "graded"           # "graded", or why the submission could not be graded
    score: float = 0.0
    max_score: float = 0.0
    tests: dict = field(default_factory=dict)   # grade_id -> TestVerdict
    problem: str | None = None       # what went wrong while running (the submission still counts)
    notebook: dict | None = None     # the autograded notebook, as nbgrader stores it
    feedback_html: str | None = None # what the student receives
    seconds: float = 0.0


def grade_submission(job):
    compiled = job.compiled
    result = SubmissionResult(job.student_id, max_score=compiled.max_score)
    path = Path(job.submission) / compiled.notebook
    try:
        student_nb = read_submission(path)
    except SubmissionError as error:
        result.status = str(error)
        result.tests = {g: TestVerdict(g, 0.0, t.points, problem=str(error))
                        for g, t in compiled.tests.items()}
        return result

    nb, roles = build_execution_notebook(student_nb, compiled, job.seeds)
    scratch = Path(tempfile.mkdtemp(prefix="ag-", dir=job.scratch_root))
    cgroup = None
    try:
        workdir = scratch / Path(job.submission).name
        shutil.copytree(job.submission, workdir, symlinks=False,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        runtime = scratch / "rt"
        runtime.mkdir()
        cgroup = sandbox.make_pids_cgroup(job.limits.processes) if job.use_sandbox else None
        manager = execute.start_kernel(workdir, runtime, job.limits, cgroup, job.use_sandbox)
        # Launch the kernel, then compute the reference while it boots.
        asyncio.run(manager.start_kernel(cwd=str(workdir), stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL))
        references = reference_namespaces(compiled)
        run = execute.run(nb, manager, workdir, job.limits)
        result.seconds = run.seconds
    finally:
        sandbox.remove_cgroup(cgroup)
        shutil.rmtree(scratch, ignore_errors=True)

    if run.problem:
        where = describe_cell(roles, run.problem_cell)
        result.problem = f"{run.problem}{where}"
    for grade_id, spec in compiled.tests.items():
        index = roles.index(("hidden", grade_id)) if ("hidden", grade_id) in roles else None
        payload, problem = None, None
        if index is not None:
            payload = find_payload(nb.cells[index])
            if payload is None:
                problem = (f"not graded: {result.problem}" if result.problem
                           else "the hidden tests handed out no results")
        result.tests[grade_id] = judge(grade_id, spec.points, references[grade_id], spec.hidden or "",
                                       job.seeds[grade_id], payload, problem) if spec.hidden \
            else TestVerdict(grade_id, 0.0, spec.points, problem="this test has no hidden part")
    result.score = round(sum(t.points for t in result.tests.values()), 6)
    result.notebook = autograded_notebook(nb, roles, compiled, result, run)
    result.feedback_html = render_feedback(result.notebook, compiled.name, job.student_id, result)
    return result


class SubmissionError(Exception):
    pass


def read_submission(path):
    if not path.is_file():
        raise SubmissionError(f"missing notebook: expected {path.parent.name}/{path.name}")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise SubmissionError(f"unreadable notebook: {type(error).__name__}: {first[:200]}") from None
    try:
        nbformat.validate(nb)
    except Exception as error:
        first = (str(error).strip().splitlines() or [""])[0]
        raise SubmissionError(f"invalid notebook: {first[:200]}") from None
    return nb


def build_execution_notebook(student_nb, compiled, seeds):
    """The student's cells in the student's order, with each test cell restored from the
    source (whatever the student did to it) right after the answer it tests, followed by
    a cell that runs its hidden part. Returns (notebook, roles), roles[i] = (role, grade_id)."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    roles = []
    tests_after = {}
    for spec in compiled.tests.values():
        tests_after.setdefault(spec.anchor, []).append(spec)
    placed = set()

    def place(specs):
        for spec in specs:
            if spec.grade_id in placed:
                continue
            placed.add(spec.grade_id)
            cell = new_code_cell(spec.visible, metadata={"nbgrader": {
                "grade": True, "grade_id": spec.grade_id, "locked": True, "points": spec.points,
                "schema_version": 3, "solution": False, "task": False}})
            nb.cells.append(cell)
            roles.append(("visible", spec.grade_id))
            if spec.hidden:
                nb.cells.append(new_code_cell(HIDDEN_CELL.format(
                    harness=compiled.harness_source, hidden=spec.hidden, seed=int(seeds[spec.grade_id]))))
                roles.append(("hidden", spec.grade_id))

    place(tests_after.get(None, []))
    answered = set()
    for cell in student_nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in compiled.tests:
            continue  # a test cell: the source's version is placed instead
        copy = nbformat.from_dict(dict(cell))
        if copy.cell_type == "code":
            copy.outputs, copy.execution_count = [], None
        if grade_id in compiled.answers and grade_id not in answered:
            answered.add(grade_id)
            nb.cells.append(copy)
            roles.append(("answer", grade_id))
            place(tests_after.get(grade_id, []))
        else:
            if grade_id:  # a duplicate answer cell, or an id we do not know: plain student code
                copy.metadata.pop("nbgrader", None)
            nb.cells.append(copy)
            roles.append(("student", None))
    for specs in tests_after.values():  # answers the student deleted: their tests go last
        place(specs)
    return nb, roles


def find_payload(cell):
    payload = None
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if MIME in data and isinstance(data[MIME], dict):
            payload = data[MIME]
    return payload


def describe_cell(roles, index):
    if index is None or index >= len(roles):
        return ""
    role, grade_id = roles[index]
    if role in ("visible", "hidden"):
        return f" (while testing: {grade_id})"
    position = sum(1 for r in roles[:index + 1] if r[0] in ("answer", "student"))
    return f" (in your cell {position}{', the answer cell ' + grade_id if grade_id else ''})"


def autograded_notebook(nb, roles, compiled, result, run):
    """What nbgrader stores and renders as feedback: the student's cells with their outputs,
    each test cell in its source form (hidden block included; GenerateFeedback removes it)
    whose outputs are the visible checks' outputs, the verdict, and the score."""
    out = nbformat.v4.new_notebook(metadata=nb.metadata)
    for index, (cell, (role, grade_id)) in enumerate(zip(nb.cells, roles)):
        if role == "hidden":
            continue  # its outputs are the student's prints during hidden tests and the raw data
        cell = nbformat.from_dict(dict(cell))
        if run.problem and index == run.problem_cell and cell.cell_type == "code":
            cell.outputs.append(new_output("stream", name="stdout",
                                           text=f"\n[autograder] {run.problem}\n"))
        if role == "visible":
            verdict = result.tests[grade_id]
            cell.source = compiled.tests[grade_id].source
            shown = []
            for output in cell.outputs:
                if output.output_type == "error":  # a failed visible check: show it, keep grading
                    shown.append(new_output("stream", name="stdout",
                                            text=f"visible check failed: {output.ename}: {output.evalue}\n"))
                elif output.output_type == "stream" and output.name == "stderr":
                    shown.append(new_output("stream", name="stdout", text=output.text))
                elif output.output_type != "execute_result":
                    shown.append(output)
            shown.append(new_output("display_data", data={
                "text/html": verdict_html(verdict), "text/plain": verdict_text(verdict)}))
            # nbgrader reads a numeric execute_result as the cell's (partial) score.
            shown.append(new_output("execute_result", data={"text/plain": repr(verdict.points)},
                                    execution_count=cell.execution_count))
            cell.outputs = shown
            cell.metadata["nbgrader"]["cell_type"] = "code"
        out.cells.append(cell)
    return dict(out)


def verdict_text(verdict):
    lines = [f"{verdict.grade_id}: {verdict.points:g} / {verdict.max_points:g} points"]
    if verdict.problem:
        lines.append(f"  {verdict.problem}")
    for case in verdict.cases:
        mark = "passed" if case.passed else "FAILED"
        lines.append(f"  [{mark}] {case.label}" + ("" if case.passed else f": {case.message}"))
        if case.mistake:
            lines.append(f"      likely mistake: {case.mistake}")
    return "\n".join(lines)


def verdict_html(verdict):
    rows = []
    for case in verdict.cases:
        colour = "#1a7f37" if case.passed else "#cf222e"
        detail = html.escape(case.message) if not case.passed else "passed"
        if case.mistake:
            detail += f"<br><b>Likely mistake:</b> {html.escape(case.mistake)}"
        rows.append(f"<tr><td><code>{html.escape(case.label)}</code></td>"
                    f"<td style='color:{colour}'>{detail}</td></tr>")
    problem = f"<p><b>{html.escape(verdict.problem)}</b></p>" if verdict.problem else ""
    return (f"<div class='autograder-verdict'><p><b>Hidden tests: {verdict.points:g} / "
            f"{verdict.max_points:g} points</b> ({sum(c.passed for c in verdict.cases)} of "
            f"{len(verdict.cases)} cases passed)</p>{problem}"
            f"<table><tr><th>call</th><th>result</th></tr>{''.join(rows)}</table></div>")
