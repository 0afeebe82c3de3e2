"""Build submission folders for the grading tests."""
import functools
import hashlib
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from conftest import REPO, nbgrader_meta, read_notebook

ASSIGNMENT = "a1_derivatives"   # the default; every helper takes assignment=


def source_of(assignment):
    return REPO / "source" / assignment / f"{assignment}.ipynb"


def release_of(assignment):
    return REPO / "release" / assignment / f"{assignment}.ipynb"


def points_of(grade_id, assignment=ASSIGNMENT):
    """Points as the instructor set them in the source notebook's metadata."""
    for cell in read_notebook(source_of(assignment)).cells:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            return float(nbgrader_meta(cell)["points"])
    raise KeyError(grade_id)


def solution(assignment=ASSIGNMENT):
    return read_notebook(source_of(assignment))


def blank(assignment=ASSIGNMENT):
    return read_notebook(release_of(assignment))


def submit(submissions, student, notebook=None, text=None, assignment=ASSIGNMENT):
    """A student's folder as collected: the notebook and the data files released beside it."""
    folder = submissions / student / assignment
    folder.mkdir(parents=True)
    for data in (REPO / "release" / assignment).iterdir():
        if data.is_file() and data.suffix != ".ipynb":
            shutil.copyfile(data, folder / data.name)
    target = folder / f"{assignment}.ipynb"
    if notebook is not None:
        nbformat.write(notebook, target)
    elif text is not None:
        target.write_text(text)
    return folder


def with_answer(grade_id, old, new, nb=None, assignment=ASSIGNMENT):
    nb = nb or solution(assignment)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            assert old in cell.source
            cell.source = cell.source.replace(old, new)
    return nb


def with_cell(code, after=None, nb=None, assignment=ASSIGNMENT):
    """Insert a code cell after the cell with grade_id `after` (or after the imports)."""
    nb = nb or solution(assignment)
    index = 1 if after is None else next(
        i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == after)
    nb.cells.insert(index + 1, new_code_cell(code))
    return nb


def tree_digest(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def answered(assignment, grade_id, code):
    """The solution with one answer cell replaced by `code` (how a student would write it)."""
    nb = solution(assignment)
    cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id]
    assert len(cells) == 1, grade_id
    cells[0].source = code.strip("\n")
    return nb


def check_mistake(result, tests, test, words, feedback_page, assignment, unaffected=None):
    """A registered mistake loses points on its own test, and every failing case names it; the
    tests in `unaffected` (by default all the others) keep every point. (Where later functions
    call earlier ones, a mistake in an earlier one may cost points further down too.)"""
    assert result.status == "graded", result.problem
    unaffected = [g for g in tests if g != test] if unaffected is None else unaffected
    for grade_id in [test] + list(unaffected):
        verdict = result.tests[grade_id]
        if grade_id == test:
            assert verdict.points < points_of(grade_id, assignment), f"kept every point of {grade_id}"
            failed = [c for c in verdict.cases if not c.passed]
            unnamed = [f"{c.label}: {c.message} (named: {c.mistake})" for c in failed
                       if words not in (c.mistake or "")]
            assert failed and not unnamed, "\n".join(unnamed)
        else:
            assert verdict.points == points_of(grade_id, assignment), (grade_id, verdict.cases)
    if not getattr(result, "in_process", False):
        assert words in feedback_page.read_text()


END_TO_END = 3   # mistakes per assignment graded through the whole pipeline; the rest judged in process


@functools.lru_cache(maxsize=None)
def _compiled(assignment):
    from autograder.compile import compile_assignment, reference_namespaces
    compiled = compile_assignment(REPO / "source" / assignment, assignment)
    return compiled, reference_namespaces(compiled)


_REFERENCE_RUNS = {}
_run_reference = None   # autograder.verdict.run_reference, set on first use


def _fingerprint(function, depth=0):
    """What a registered mistake is, across runs of the test that made it: its code and, for a
    closure, the functions it closes over (walk(step) makes one code object for every step). Data
    it closes over come from the seed, which is part of the key anyway."""
    code = getattr(function, "__code__", None)
    if code is None or depth > 4:
        return code
    cells = getattr(function, "__closure__", None) or ()
    inner = []
    for cell in cells:
        try:
            content = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if callable(content):
            inner.append(_fingerprint(content, depth + 1))
        elif isinstance(content, (bool, int, float, str, type(None))):
            inner.append(content)   # a constant the mistake was made with
    return code, tuple(inner)


def _remembered_reference_run(namespace, hidden_source, seed, replacement=None):
    """The reference's and each registered mistake's outcomes depend only on the test and the
    seed, not on the student: with every in-process student on the same seeds, run them once."""
    what = None if replacement is None else (replacement[0], _fingerprint(replacement[1]))
    key = (id(namespace), hidden_source, seed, what)
    if key not in _REFERENCE_RUNS:
        _REFERENCE_RUNS[key] = _run_reference(namespace, hidden_source, seed, replacement)
    return _REFERENCE_RUNS[key]


def kernel_payload(reference, namespace):
    """What the student's kernel hands out for a recorded hidden test, with the kernel's own code
    (autograder.kernel_side) run here on `namespace`: the rounds of calls, as plans.Rounds sends them."""
    from autograder import kernel_side
    from autograder.plans import Rounds
    rounds = Rounds(reference)
    plan = rounds.first()
    while plan is not None:
        plan = rounds.receive(kernel_side.run(plan, namespace, rounds.serve))
    return rounds.payload()


class JudgedInProcess:
    """The verdicts grading reaches for one submission, without a kernel (see judge_in_process)."""
    in_process, status, problem = True, "graded", None

    def __init__(self, tests):
        self.tests = tests


def judge_in_process(assignment, notebook, seeds=None):
    """The verdicts for a submission reached as grading reaches them, minus the kernel and the
    sandbox: its cells, each followed by the source's visible test, run in one namespace here, each
    hidden test's calls are made by the kernel's own code, and the grader's own `judge` compares. A
    few seconds of kernel and sandbox per submission saved, so every registered mistake a student
    might write can be checked; test_in_process_judging_agrees_with_the_pipeline keeps the two honest."""
    import contextlib

    from autograder.verdict import judge

    import autograder.verdict
    from autograder.job import build_execution_notebook
    from unittest import mock

    global _run_reference
    _run_reference = autograder.verdict.run_reference   # the original: patched only inside judge below
    compiled, references = _compiled(assignment)
    seeds = seeds or {grade_id: 271 + index for index, grade_id in enumerate(compiled.tests)}
    nb, roles = build_execution_notebook(notebook, compiled, seeds)
    namespace, verdicts = {"__name__": "__main__"}, {}
    with contextlib.chdir(REPO / "release" / assignment):   # beside the data files, as a student
        for cell, (role, grade_id) in zip(nb.cells, roles):
            if cell.cell_type != "code":
                continue
            if role == "hidden":
                spec = compiled.tests[grade_id]
                reference = _remembered_reference_run(references[grade_id], spec.hidden, seeds[grade_id])
                payload = kernel_payload(reference, namespace)
                with mock.patch.object(autograder.verdict, "run_reference", _remembered_reference_run):
                    verdicts[grade_id] = judge(grade_id, spec.points, references[grade_id], spec.hidden,
                                               seeds[grade_id], payload, reference=reference)
                continue
            try:
                exec(cell.source, namespace)
            except Exception:  # noqa: BLE001  (a failing visible check or answer: keep going, as the kernel does)
                pass
    return JudgedInProcess(verdicts)


def grade_with_mistakes(base, assignment, mistakes, end_to_end=END_TO_END):
    """Grade the solution, the blank release and the first `end_to_end` (student, test, words,
    code) mistakes as `python -m autograder grade` does; judge the other mistakes in process.
    Return ({student: result}, base)."""
    from autograder.grade import grade_assignment  # here: only the grading tests need it
    submissions = base / "submitted"
    submit(submissions, "solution", solution(assignment), assignment=assignment)
    submit(submissions, "blank", blank(assignment), assignment=assignment)
    for student, test, _, code in mistakes[:end_to_end]:
        submit(submissions, student, answered(assignment, test.removeprefix("test_"), code), assignment=assignment)
    (base / "secret").write_text(f"{assignment}-secret-0123456789abcdef\n")
    results, _ = grade_assignment(REPO, assignment, submissions, base / "out",
                                  db_url=f"sqlite:///{base / 'gradebook.db'}", workers=2,
                                  secret_file=base / "secret", log=lambda *_: None)
    results = {r.student_id: r for r in results}
    for student, test, _, code in mistakes[end_to_end:]:
        results[student] = judge_in_process(assignment, answered(assignment, test.removeprefix("test_"), code))
    return results, base


def assert_in_process_agrees(results, base, assignment, mistakes, end_to_end=END_TO_END):
    """For the submissions that went through the pipeline, judging in process with the same
    student's seeds gives the same points per test: the shortcut the other mistakes take reaches
    the pipeline's own verdicts."""
    from autograder.seeds import load_secret, student_seeds
    secret = load_secret(base / "secret", log=lambda *_: None)
    grade_ids = list(results["solution"].tests)
    for student, test, _, code in [("solution", None, None, None)] + list(mistakes[:min(end_to_end, 1)]):
        nb = solution(assignment) if code is None else answered(assignment, test.removeprefix("test_"), code)
        quick = judge_in_process(assignment, nb, student_seeds(secret, assignment, student, grade_ids))
        assert {g: v.points for g, v in quick.tests.items()} == \
            pytest.approx({g: v.points for g, v in results[student].tests.items()}), student
