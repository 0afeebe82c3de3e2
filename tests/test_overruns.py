"""A cell that overruns its time and ignores the interrupt costs only its own task (issue 25):
the kernel is restarted, the cells before it run again, grading goes on with the next task, the
result says which cell it was, and the same submission gets the same score every time."""
import shutil

import pytest

from autograder.compile import compile_assignment
from autograder.job import RESTARTED, GradingJob, grade_submission
from autograder.limits import Limits
from conftest import REPO, nbgrader_meta
from submissions import ASSIGNMENT, solution, submit, with_cell

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not shutil.which("bwrap"), reason="the sandbox needs the Debian package bubblewrap")]

# A loop that swallows every KeyboardInterrupt: only a new kernel gets past it.
STUCK = ("import time\nwhile True:\n    try:\n        time.sleep(60)\n"
         "    except KeyboardInterrupt:\n        pass\n")
LIMITS = Limits(cell_seconds=2, notebook_seconds=150)


def in_answer(grade_id, code):
    nb = solution()
    cell = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)
    cell.source += "\n" + code
    return nb


def stuck_when_called(grade_id):
    """The answer's function, when called, never returns (so its test cell is the one stuck)."""
    nb = solution()
    cell = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)
    cell.source += f"\n_honest = {grade_id}\ndef {grade_id}(*args, **kwargs):\n" + \
        "\n".join("    " + line for line in STUCK.splitlines())
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("overruns")
    compiled = compile_assignment(REPO / "source" / ASSIGNMENT, ASSIGNMENT)
    seeds = dict.fromkeys(compiled.tests, 7)
    cases = {"honest": solution(),
             "between_tasks": with_cell(STUCK, after="central_difference"),
             "in_an_answer": in_answer("second_difference", STUCK),
             "in_a_test": stuck_when_called("forward_difference")}

    def grade(student, notebook):
        folder = submit(base / "subs", student, notebook)
        return grade_submission(GradingJob(student, folder, compiled, seeds, LIMITS, scratch_root=str(base)))

    results = {student: grade(student, notebook) for student, notebook in cases.items()}
    results["in_an_answer_again"] = grade("in_an_answer_again", cases["in_an_answer"])
    return results


def points(result):
    return {grade_id: verdict.points for grade_id, verdict in result.tests.items()}


def test_a_stuck_cell_between_tasks_costs_nothing(graded):
    assert points(graded["between_tasks"]) == points(graded["honest"])
    problem = graded["between_tasks"].problem
    assert "went on running when interrupted" in problem and RESTARTED in problem and "in your cell" in problem


def assert_only_lost(graded, student, test):
    """`student` scored 0 on `test` (which the honest twin passes) and what the twin scored elsewhere."""
    honest, stuck = points(graded["honest"]), points(graded[student])
    assert stuck[test] == 0 < honest[test]
    assert {g: p for g, p in stuck.items() if g != test} == {g: p for g, p in honest.items() if g != test}


def test_a_stuck_answer_costs_only_its_own_task(graded):
    assert_only_lost(graded, "in_an_answer", "test_second_difference")
    assert "the answer cell second_difference" in graded["in_an_answer"].problem
    verdict = graded["in_an_answer"].tests["test_second_difference"]
    assert "went on running when interrupted" in verdict.problem   # the test says why it has no points


def test_a_test_stuck_in_the_students_function_costs_only_that_test(graded):
    assert_only_lost(graded, "in_a_test", "test_forward_difference")
    assert "while testing: test_forward_difference" in graded["in_a_test"].problem


def test_the_note_is_in_the_autograded_notebook_and_the_score_repeats(graded):
    notes = [o.get("text", "") for c in graded["in_an_answer"].notebook["cells"] for o in c.get("outputs", [])]
    assert any("[autograder]" in text and RESTARTED in text for text in notes)
    assert points(graded["in_an_answer_again"]) == points(graded["in_an_answer"])
    assert graded["in_an_answer_again"].problem == graded["in_an_answer"].problem
