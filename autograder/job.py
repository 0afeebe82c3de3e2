"""Grade one submission: a pure job.

`grade_submission(job)` takes a submission folder (read only, and read without following
links: autograder.submission), the compiled assignment and the student's seeds, and returns
a SubmissionResult. It touches nothing shared: it works in its own scratch folder, which it
removes, so any number of jobs can run side by side, here or on other machines.
"""
import asyncio
import html
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from . import sandbox
from .kernel import SandboxedKernel
from .compile import CompiledAssignment, reference_namespaces
from .feedback import render_feedback
from .limits import Limits, size
from .sanitize import kernel_outputs, valid_text, well_formed_metadata
from .submission import (PackedSubmission, SubmissionError, copy_regular_files, open_submission,
                         read_regular_file, unpack_regular_files)
from .plans import MIME, Rounds
from .verdict import CaseVerdict, TestVerdict, judge, run_reference

_KERNELSPEC = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}

@dataclass
class GradingJob:
    student_id: str
    submission: Path                 # DIR/<student_id>/<assignment>, never written
    compiled: CompiledAssignment
    seeds: dict                      # grade_id -> int, derived from the secret by the caller
    limits: Limits = field(default_factory=Limits)
    use_sandbox: bool = True
    scratch_root: str | None = None  # where the scratch folder goes (the run's folder)
    cgroup_prefix: str = "autograder-"  # names the run, for cleaning up after a dead one
    packed: PackedSubmission | None = None  # the submission as data (Dask): `submission` is then a name
    collect_note: str | None = None  # what nbgrader's collect left out (submission.collect_note)


@dataclass
class SubmissionResult:
    student_id: str
    status: str = "graded"           # "graded", or why the submission could not be graded
    score: float = 0.0
    max_score: float = 0.0
    tests: dict = field(default_factory=dict)   # grade_id -> TestVerdict
    problem: str | None = None       # what went wrong while running (the submission still counts)
    notes: list = field(default_factory=list)   # things the student should know (skipped files, disk cap)
    notebook: dict | None = None     # the autograded notebook, as nbgrader stores it
    feedback_html: str | None = None # what the student receives
    seconds: float = 0.0
    phases: dict = field(default_factory=dict)  # phase -> seconds of this job (benchmarks/grading.py)
    sandbox: str = ""                # how this job contained the code, where it ran (sandbox.describe)


DISK_MIME = "application/vnd.mvcalc.autograder-disk+json"
DISK_PROBE = f"""def __autograder_disk():
    import os
    from IPython.display import display
    info = os.statvfs(os.path.expanduser("~"))
    display({{{DISK_MIME!r}: {{"free": info.f_bavail * info.f_frsize}}}}, raw=True)
__autograder_disk()
del __autograder_disk
"""
NO_SPACE = ("No space left on device", "Errno 28")


# The status of a job that would not run student code: the machine it landed on cannot sandbox
# it (a Dask worker without bubblewrap). Nothing is recorded for it; the next run grades it.
NO_SANDBOX = "not graded: the machine that ran this job cannot sandbox student code"


def grade_submission(job):
    """Grade one submission. Formgrader calls nbgrader's API (and so this) from the Jupyter
    server's event loop thread, where the kernel's `asyncio.run` cannot run: there the job runs
    in a thread of its own, which lives until the job and its processes have ended."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _grade_submission(job)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="grade-submission") as pool:
        return pool.submit(_grade_submission, job).result()


def _grade_submission(job):
    compiled = job.compiled
    if job.use_sandbox and sandbox.unavailable():  # fail closed: never run it bare unasked
        status = f"{NO_SANDBOX} ({sandbox.unavailable()}; {sandbox.INSTALL_HINT})"
        return SubmissionResult(job.student_id, status=status, max_score=compiled.max_score,
                                tests={g: TestVerdict(g, 0.0, t.points, problem=status)
                                       for g, t in compiled.tests.items()},
                                sandbox=f"refused: {sandbox.unavailable()}")
    result = SubmissionResult(job.student_id, max_score=compiled.max_score,
                              sandbox=sandbox.describe(job.use_sandbox))
    clock = _PhaseClock(result.phases)
    folder_name = Path(job.submission).name
    scratch = Path(tempfile.mkdtemp(prefix="ag-", dir=job.scratch_root))
    try:
        workdir = scratch / folder_name
        try:
            if job.packed is not None:  # read by the grading process, carried here as data
                if job.packed.refusal:
                    raise SubmissionError(job.packed.refusal)
                student_nb = parse_notebook(job.packed.notebook_bytes())
                copied, entries = unpack_regular_files(job.packed.entries, workdir)
                skipped = job.packed.skipped
            else:
                with open_submission(job.submission) as folder:
                    raw = read_regular_file(compiled.notebook, folder, job.limits.notebook_max_bytes,
                                            f"{folder_name}/{compiled.notebook}")
                    student_nb = parse_notebook(raw)
                    copied, entries, skipped = copy_regular_files(folder, workdir, job.limits.disk_bytes)
        except SubmissionError as error:
            return refused(result, compiled, str(error), job.student_id)
        if job.collect_note:
            result.notes.append("When your submission was collected from the exchange, this was "
                                "left out (links and special files are never followed): "
                                + " ".join(job.collect_note.split())[:2000])
        if skipped:
            result.notes.append("Not copied for grading, because links and special files are never "
                                "followed: " + ", ".join(skipped[:20])
                                + (f" and {len(skipped) - 20} more" if len(skipped) > 20 else ""))

        clock.done("read and copy the submission")
        nb, roles = build_execution_notebook(student_nb, compiled, job.seeds)
        sandboxed = sandbox.sandboxed(job.use_sandbox)
        if sandboxed:  # (the same answer SandboxedKernel gets)
            nb.cells.append(new_code_cell(DISK_PROBE, id=_cell_id("probe")))
            roles.append(("probe", None))
        # Launch the kernel, then compute the reference while it boots.
        with SandboxedKernel(workdir, scratch, job.limits, job.use_sandbox, job.cgroup_prefix, copied, entries) as kernel:
            clock.done("launch the sandboxed kernel (it boots meanwhile)")
            references = reference_namespaces(compiled)
            recorded, rounds = record_tests(compiled, references, job.seeds, roles)
            clock.done("run the solution and the hidden tests on it (while the kernel boots)")
            # What each grader's cell hands out has an allowance of its own in the output budget.
            results = {index: MIME if role == "hidden" else DISK_MIME if role == "probe" else "error"
                       for index, (role, _) in enumerate(roles) if role in ("hidden", "probe", "visible")}
            run = kernel.run(nb, results, rounds, compiled.kernel_side_source)
        run = go_on_after_stuck_cells(run, nb, roles, results, rounds, compiled.kernel_side_source, job.limits,
                                      lambda: SandboxedKernel(workdir, scratch, job.limits, job.use_sandbox,
                                                              job.cgroup_prefix, copied, entries))
        result.seconds = run.seconds
        clock.done("wait for the kernel, execute the notebook")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    if run.problems:
        result.problem = "; then ".join(f"{text}{describe_cell(roles, cell)}{', so ' + RESTARTED if restarted else ''}"
                                        for text, cell, restarted in run.problems)
    if sandboxed and disk_was_filled(nb, roles):
        result.notes.append(f"Your code filled its {size(job.limits.disk_bytes)} of disk space (its folder and "
                            "/tmp together): writes past that failed with 'No space left on device'")
    for grade_id, spec in compiled.tests.items():
        if spec.hidden:
            result.tests[grade_id] = verdict_for(grade_id, spec, references, recorded, rounds, roles, job.seeds, result)
        else:
            result.tests[grade_id] = classic_verdict(grade_id, spec, nb, roles, result)
    result.score = round(sum(t.points for t in result.tests.values()), 6)
    _valid_texts(result)
    clock.done("clean up and judge")
    result.notebook = valid_text(autograded_notebook(nb, roles, compiled, result, run))
    result.feedback_html = render_feedback(result.notebook, compiled.name, job.student_id, result, job.scratch_root)
    clock.done("render the feedback")
    return result


@dataclass
class Executions:
    """A notebook's execution, over one kernel or more: each problem with the cell (an index into
    the execution notebook) where it happened, and whether grading went on in a new kernel."""
    problems: list = field(default_factory=list)
    seconds: float = 0.0


RESTARTED = ("the kernel was restarted, your cells before that one ran again, and grading went on "
             "with the next task")


def go_on_after_stuck_cells(run, nb, roles, results, rounds, kernel_side, limits, new_kernel):
    """A cell that ignores the interrupt would hold every later cell behind it: it costs only its own
    task. The rest of that task is skipped; a new kernel (`new_kernel()`) runs the student's cells
    before it again (copies: their outputs from the first run stay) and then everything from the next
    answer cell on, within what is left of the notebook's time and output budget. Repeats for each
    stuck cell. Cells are run in place, so outputs land in `nb`; `results` and `rounds` are keyed by
    `nb`'s indices."""
    done = Executions(seconds=run.seconds)
    index_of = list(range(len(nb.cells)))     # the last run's cell -> the cell of `nb`
    skipped = set()
    while run.problem:
        stuck = index_of[run.problem_cell] if run.problem_cell is not None and run.problem_cell < len(index_of) \
            else None
        resume = None if stuck is None or not run.stuck else \
            next((i for i in range(stuck + 1, len(roles)) if roles[i][0] == "answer"), None)
        left = limits.notebook_seconds - done.seconds
        if resume is None or left < 1:
            done.problems.append((run.problem, stuck, False))
            break
        done.problems.append((run.problem, stuck, True))
        skipped.update(range(stuck, resume))
        again = [i for i in range(stuck) if roles[i][0] in ("answer", "student") and i not in skipped]
        index_of = again + list(range(resume, len(nb.cells)))
        part = nbformat.v4.new_notebook(metadata=nb.metadata)
        part.cells = [nbformat.from_dict(dict(nb.cells[i])) for i in again] + nb.cells[resume:]
        position = {i: j for j, i in enumerate(index_of)}
        with new_kernel() as kernel:
            run = kernel.run(part, {position[i]: kind for i, kind in results.items() if i >= resume},
                             {position[i]: driver for i, driver in rounds.items() if i >= resume}, kernel_side,
                             notebook_seconds=left, output_bytes_kept=run.output_bytes_kept)
        done.seconds += run.seconds
    return done


def record_tests(compiled, references, seeds, roles):
    """Each hidden test recorded against the solution with the student's seed (expected outcomes,
    and the calls the kernel makes), and the Rounds that make those calls in the kernel, by the
    index of the cell that runs them. A test that fails on the solution is left out and reported."""
    recorded, rounds = {}, {}
    for grade_id, spec in compiled.tests.items():
        if not spec.hidden or ("hidden", grade_id) not in roles:
            continue
        try:
            recorded[grade_id] = run_reference(references[grade_id], spec.hidden, seeds[grade_id])
        except Exception as error:  # noqa: BLE001  (the instructor's test: reported, others still graded)
            recorded[grade_id] = f"the hidden test failed on the solution ({type(error).__name__}: {error})"[:300]
            continue
        rounds[roles.index(("hidden", grade_id))] = Rounds(recorded[grade_id])
    return recorded, rounds


CLASSIC = ("A test cell without hidden tests, graded as nbgrader grades it: all its points if it runs "
           "without an error, none otherwise.")


def classic_verdict(grade_id, spec, nb, roles, result):
    """A plain nbgrader test cell (asserts, no hidden block): all or nothing, by whether it raised.
    It is judged by what the student's kernel did, so it is only as strong as nbgrader's own; the
    instructor is told so when the assignment is compiled (compile.classic_tests)."""
    cell = nb.cells[roles.index(("visible", grade_id))]
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if cell.get("execution_count") is None and not errors:
        why = f"not graded: {result.problem}" if result.problem else "not graded: the cell did not run"
        return TestVerdict(grade_id, 0.0, spec.points, problem=why, classic=True)
    if errors:
        message = f"{errors[0].get('ename', 'Error')}: {errors[0].get('evalue', '')}"[:500]
        case = CaseVerdict("the cell's checks", False, spec.points, message)
    else:
        case = CaseVerdict("the cell's checks", True, spec.points)
    return TestVerdict(grade_id, spec.points if case.passed else 0.0, spec.points, cases=[case], classic=True)


def verdict_for(grade_id, spec, references, recorded, rounds, roles, seeds, result):
    """The verdict of one test, from what its Rounds brought back from the kernel."""
    reference = recorded.get(grade_id)
    if isinstance(reference, str):
        return TestVerdict(grade_id, 0.0, spec.points, problem=reference)
    driver = rounds.get(roles.index(("hidden", grade_id)))
    payload, problem = driver.payload(), None
    if driver.rounds == 0 or driver.pending or all(r is None for r in driver.records):
        problem = (f"not graded: {result.problem}" if result.problem else
                   driver.problem or "the hidden tests handed out no results")
    return judge(grade_id, spec.points, references[grade_id], spec.hidden, seeds[grade_id], payload,
                 problem, reference=reference)


def _valid_texts(result):
    """Every text of the result as valid Unicode: labels and messages quote the student's values."""
    result.problem, result.notes = valid_text(result.problem), valid_text(result.notes)
    for verdict in result.tests.values():
        verdict.problem = valid_text(verdict.problem)
        for case in verdict.cases:
            case.label, case.message, case.mistake = valid_text([case.label, case.message, case.mistake])


class _PhaseClock:
    """Seconds spent in each phase of a job, in order, into `phases`."""

    def __init__(self, phases):
        self.phases, self.last = phases, time.perf_counter()

    def done(self, phase):
        now = time.perf_counter()
        self.phases[phase] = now - self.last
        self.last = now


def parse_notebook(raw):
    """The student's notebook, read and checked; its metadata of the shapes nbgrader expects and its
    text valid Unicode (autograder.sanitize), so that nothing in it can stop a later step."""
    try:
        nb = nbformat.from_dict(well_formed_metadata(valid_text(nbformat.reads(raw.decode("utf-8"), as_version=4))))
    except Exception as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise SubmissionError(f"unreadable notebook: {type(error).__name__}: {first[:200]}") from None
    try:
        nbformat.validate(nb)
    except Exception as error:
        first = (str(error).strip().splitlines() or [""])[0]
        raise SubmissionError(f"invalid notebook: {first[:200]}") from None
    return nb


def refused(result, compiled, reason, student_id):
    """A submission that could not be run: zero per test, and a notebook (for nbgrader's
    gradebook and feedback) that says why."""
    result.status = reason
    result.tests = {g: TestVerdict(g, 0.0, t.points, problem=reason) for g, t in compiled.tests.items()}
    nb = nbformat.v4.new_notebook(metadata=_KERNELSPEC)
    nb.cells.append(new_markdown_cell(id=_cell_id("refused"), source=
        f"**Your submission could not be graded:** {html.escape(reason)}.\n\n"
        f"Check that you submitted `{compiled.notebook}`, saved from JupyterLab, in the folder "
        f"`{compiled.name}/`, and ask your instructor if this persists."))
    for grade_id, spec in compiled.tests.items():
        cell = new_code_cell(spec.source, metadata=_test_metadata(spec), id=_cell_id("test", grade_id))
        cell.outputs = verdict_outputs(result.tests[grade_id], None)
        nb.cells.append(cell)
    result.notebook = dict(nb)
    result.feedback_html = render_feedback(result.notebook, compiled.name, student_id, result)
    return result


def disk_was_filled(nb, roles):
    for cell, (role, _) in zip(nb.cells, roles):
        for output in cell.get("outputs", []):
            if role == "probe":
                free = output.get("data", {}).get(DISK_MIME, {}).get("free")
                if isinstance(free, (int, float)) and free < 1024**2:
                    return True
            text = output.get("text", "") + output.get("evalue", "")
            if any(marker in text for marker in NO_SPACE):
                return True
    return False


def build_execution_notebook(student_nb, compiled, seeds):
    """The student's cells in the student's order, with each test cell restored from the
    source (whatever the student did to it) right after the answer it tests, followed by
    a cell that runs its hidden part. Returns (notebook, roles), roles[i] = (role, grade_id)."""
    nb = nbformat.v4.new_notebook(metadata=_KERNELSPEC)
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
            cell = new_code_cell(spec.visible, metadata=_test_metadata(spec), id=_cell_id("visible", spec.grade_id))
            nb.cells.append(cell)
            roles.append(("visible", spec.grade_id))
            if spec.hidden:  # its source is each round's plan (execute.LimitedClient, plans.Rounds)
                nb.cells.append(new_code_cell(id=_cell_id("hidden", spec.grade_id),
                                              source=f"# the calls of {spec.grade_id}'s hidden test"))
                roles.append(("hidden", spec.grade_id))

    place(tests_after.get(None, []))
    answered = set()
    for position, cell in enumerate(student_nb.cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in compiled.tests:
            continue  # a test cell: the source's version is placed instead
        copy = nbformat.from_dict(dict(cell))
        copy.id = _cell_id("student", position)  # never one of ours (nbformat would rename ours)
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


def _cell_id(*parts):
    """The same id for the same cell in every run (nbformat's are random), so that a regrade or a
    run on another machine gives the same feedback page, byte for byte."""
    import hashlib
    return "autograder-" + hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:16]


def describe_cell(roles, index):
    if index is None or index >= len(roles):
        return ""
    role, grade_id = roles[index]
    if role in ("visible", "hidden"):
        return f" (while testing: {grade_id})"
    position = sum(1 for r in roles[:index + 1] if r[0] in ("answer", "student"))
    return f" (in your cell {position}{', the answer cell ' + grade_id if grade_id else ''})"


def _test_metadata(spec):
    return {"nbgrader": {"grade": True, "grade_id": spec.grade_id, "locked": True, "points": spec.points,
                         "schema_version": 3, "solution": False, "task": False}}


def verdict_outputs(verdict, execution_count):
    """The verdict as the student reads it, then the score as nbgrader reads it (a numeric
    execute_result is the cell's partial credit for SaveAutoGrades and GetGrades)."""
    return [new_output("display_data", data={"text/html": verdict_html(verdict),
                                             "text/plain": verdict_text(verdict)}),
            new_output("execute_result", data={"text/plain": repr(verdict.points)},
                       execution_count=execution_count)]


def autograded_notebook(nb, roles, compiled, result, run):
    """What nbgrader stores and renders as feedback: the student's cells with their outputs,
    each test cell in its source form (hidden block included; GenerateFeedback removes it)
    whose outputs are the visible checks' outputs, the verdict, and the score.

    What the student's kernel produced is kept as inert data only (autograder.sanitize), and no
    metadata of the student's survives: answer cells carry the source's nbgrader metadata, other
    cells none, so nothing the student wrote is shown as a grade or a comment, and nbgrader's own
    commands meet only metadata they know."""
    out = nbformat.v4.new_notebook(metadata=nb.metadata)
    out.metadata.pop("widgets", None)
    if result.notes:
        out.cells.append(new_markdown_cell(id=_cell_id("notes"), source="**Notes from the autograder**\n\n" + "\n".join(
            f"- {html.escape(note)}." for note in result.notes)))
    source_meta = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id"): c["metadata"]["nbgrader"]
                   for c in compiled.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")}
    for index, (cell, (role, grade_id)) in enumerate(zip(nb.cells, roles)):
        if role in ("hidden", "probe"):
            continue  # outputs: the student's prints during hidden tests, and raw data
        cell = nbformat.from_dict(dict(cell))
        if role == "answer" and grade_id in source_meta:
            cell.metadata = {"nbgrader": dict(source_meta[grade_id])}
        elif role != "visible":  # the student's own cells (a visible test cell's is the source's)
            cell.metadata = {}
        if cell.cell_type == "code":
            cell.outputs = kernel_outputs(cell.outputs)
        for text, problem_cell, restarted in run.problems:
            if index == problem_cell and cell.cell_type == "code":
                text += f", so {RESTARTED}" if restarted else ""
                cell.outputs.append(new_output("stream", name="stdout", text=f"\n[autograder] {text}\n"))
        if role == "visible":
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
            cell.outputs = shown + verdict_outputs(result.tests[grade_id], cell.execution_count)
            cell.metadata["nbgrader"]["cell_type"] = "code"
        out.cells.append(cell)
    return dict(out)


def verdict_text(verdict):
    lines = [f"{verdict.grade_id}: {verdict.points:g} / {verdict.max_points:g} points"]
    if verdict.classic:
        lines.append(f"  {CLASSIC}")
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
        detail = html.escape(case.message) if not case.passed else "passed"
        if case.mistake:
            detail += f"<br><b>Likely mistake:</b> {html.escape(case.mistake)}"
        # Colour by class: pages keep no style attribute (autograder.sanitize); their CSS has these.
        rows.append(f"<tr><td><code>{html.escape(case.label)}</code></td>"
                    f"<td class='{'case-passed' if case.passed else 'case-failed'}'>{detail}</td></tr>")
    problem = f"<p><b>{html.escape(verdict.problem)}</b></p>" if verdict.problem else ""
    kind = "This cell's checks" if verdict.classic else "Hidden tests"
    if verdict.classic:
        problem = f"<p>{html.escape(CLASSIC)}</p>" + problem
    return (f"<div class='autograder-verdict'><p><b>{kind}: {verdict.points:g} / "
            f"{verdict.max_points:g} points</b> ({sum(c.passed for c in verdict.cases)} of "
            f"{len(verdict.cases)} cases passed)</p>{problem}"
            f"<table><tr><th>call</th><th>result</th></tr>{''.join(rows)}</table></div>")
