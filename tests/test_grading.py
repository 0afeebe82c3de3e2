"""End to end: `python -m autograder grade` (what `make grade` runs) on known submissions."""
import csv
import shutil
import subprocess
import sys

import numpy as np
import pytest

from autograder.grade import grade_assignment
from autograder.report import write_grades_csv, write_report
from conftest import REPO
from submissions import (ASSIGNMENT, blank, points_of, solution, submit, tree_digest,
                         with_answer)

pytestmark = pytest.mark.slow
TESTS = ["test_forward_difference", "test_central_difference", "test_second_difference",
         "test_product_rule", "test_chain_rule", "test_convergence_order"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    submissions = base / "submitted"
    submit(submissions, "solution", solution())
    submit(submissions, "blank", blank())
    submit(submissions, "wrong_central", with_answer(
        "central_difference", "(f(x + h) - f(x - h)) / (2 * h)", "(f(x + h) - f(x)) / h"))
    submit(submissions, "missing_two", with_answer(
        "central_difference", "(f(x + h) - f(x - h)) / (2 * h)", "(f(x + h) - f(x - h)) / h"))
    submit(submissions, "broken_json", text='{"cells": [')
    (submissions / "no_notebook" / ASSIGNMENT).mkdir(parents=True)
    stray = submit(submissions, "stray_file", solution())
    (stray / "notes.txt").write_text("my working")
    (base / "secret").write_text("test-secret-0123456789abcdef\n")
    before = tree_digest(submissions)
    results, info = grade_assignment(REPO, ASSIGNMENT, submissions, base / "out",
                                     db_url=f"sqlite:///{base / 'gradebook.db'}", workers=2,
                                     secret_file=base / "secret", log=lambda *_: None)
    table = write_grades_csv(results, base / "out" / "grades.csv", TESTS)
    write_report(results, info, base / "out" / "report.html", TESTS, 1.0)
    rows = {row["student_id"]: row for row in csv.DictReader(table.open())}
    return {"results": {r.student_id: r for r in results}, "rows": rows, "base": base,
            "submissions": submissions, "before": before, "info": info}


def test_solution_scores_full_marks(graded):
    total = sum(points_of(g) for g in TESTS)
    result = graded["results"]["solution"]
    assert result.status == "graded" and result.problem is None
    assert result.max_score == total == 10
    assert result.score == total
    assert graded["results"]["stray_file"].score == total  # an extra file changes nothing


def test_blank_release_scores_zero(graded):
    result = graded["results"]["blank"]
    assert result.status == "graded" and result.score == 0
    assert all(v.points == 0 for v in result.tests.values())
    case = result.tests["test_forward_difference"].cases[0]
    assert "NotImplementedError" in case.message


def test_wrong_central_difference_loses_exactly_its_points(graded):
    result = graded["results"]["wrong_central"]
    assert result.score == 10 - points_of("test_central_difference")
    assert result.tests["test_central_difference"].points == 0
    for grade_id in TESTS:
        if grade_id != "test_central_difference":
            assert result.tests[grade_id].points == points_of(grade_id)


def test_known_mistakes_are_named(graded):
    forward = graded["results"]["wrong_central"].tests["test_central_difference"]
    assert all("forward difference" in (c.mistake or "") for c in forward.cases)
    factor = graded["results"]["missing_two"].tests["test_central_difference"]
    assert all("factor of 2" in (c.mistake or "") for c in factor.cases)
    # the message says what was called, what came back and by how much it missed
    assert "central_difference(" in factor.cases[0].label and "off by" in factor.cases[0].message


def test_every_student_gets_a_row_and_a_reason(graded):
    rows = graded["rows"]
    assert set(rows) == {"solution", "blank", "wrong_central", "missing_two", "broken_json",
                         "no_notebook", "stray_file"}
    assert list(next(iter(rows.values())))[:3] == ["student_id", "score", "max_score"]
    assert rows["broken_json"]["score"] == "0" and "not appear to be JSON" in rows["broken_json"]["status"]
    assert rows["no_notebook"]["score"] == "0" and "missing notebook" in rows["no_notebook"]["status"]
    assert rows["solution"]["test_central_difference"] == "2" and rows["solution"]["status"] == "graded"


def test_feedback_teaches_and_hides_hidden_tests(graded):
    source = (REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert "t.mistake(" in source and "linregress" in source
    for student in graded["rows"]:
        page = (graded["base"] / "out" / "feedback" / student / f"{ASSIGNMENT}.html").read_text()
        for secret in ["BEGIN HIDDEN TESTS", "t.mistake(", "linregress", "t.rng", "@hidden"]:
            assert secret not in page, f"{student}'s feedback shows {secret}"
    page = (graded["base"] / "out" / "feedback" / "wrong_central" / f"{ASSIGNMENT}.html").read_text()
    assert "Hidden tests: 0 / 2 points" in page and "forward difference" in page
    page = (graded["base"] / "out" / "feedback" / "broken_json" / f"{ASSIGNMENT}.html").read_text()
    assert "could not be graded" in page


def test_report_summarises_the_run(graded):
    page = (graded["base"] / "out" / "report.html").read_text()
    assert page.count("data:image/png;base64") == 2
    assert "forward difference" in page and "broken_json" in page
    assert "NOT SANDBOXED" not in page or not shutil.which("bwrap")
    assert "30 s per cell" in page and "256 MiB written in all" in page
    assert "<script" not in page and "http:" not in page and "https:" not in page  # offline: nothing to fetch
    assert "Content-Security-Policy" in page.split("<title>")[0]


def test_submissions_are_untouched(graded):
    assert tree_digest(graded["submissions"]) == graded["before"]


def test_inputs_differ_between_students_and_repeat_on_regrade(graded, tmp_path):
    first = graded["results"]["solution"].tests["test_forward_difference"].cases[0].label
    second = graded["results"]["stray_file"].tests["test_forward_difference"].cases[0].label
    assert first != second  # forward_difference(x**2, a) with a drawn per student
    submit(tmp_path / "subs", "solution", solution())
    results, _ = grade_assignment(REPO, ASSIGNMENT, tmp_path / "subs", tmp_path / "out",
                                  db_url=f"sqlite:///{tmp_path / 'gb.db'}", workers=1,
                                  secret_file=graded["base"] / "secret", log=lambda *_: None)
    assert results[0].tests["test_forward_difference"].cases[0].label == first


def run_cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args, message", [
    (["grade", "a9_nothing", "--submissions", ".", "--out", "/tmp/x"], "unknown assignment"),
    (["grade", ASSIGNMENT, "--submissions", "/nonexistent", "--out", "/tmp/x"], "does not exist"),
    (["grade", ASSIGNMENT, "--submissions", "course", "--out", "/tmp/x", "--secret-file", "/nonexistent"],
     "cannot read secret file"),
    (["grade", ASSIGNMENT, "--submissions", "course", "--out", "/tmp/x", "--workers", "2",
      "--scheduler", "tcp://127.0.0.1:8786"], "not both"),
])
def test_cli_errors_are_one_line(args, message):
    done = run_cli(*args)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_cli_empty_submissions_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    done = run_cli("grade", ASSIGNMENT, "--submissions", str(tmp_path / "empty"), "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "holds no student folders" in done.stderr


def test_a_resubmission_draws_new_inputs_and_a_regrade_the_same(tmp_path):
    """nbgrader's timestamp.txt names the attempt: same attempt, same inputs; new attempt, new."""
    (tmp_path / "secret").write_text("attempt-secret-0123456789")
    folder = submit(tmp_path / "subs", "ann", solution())

    def labels(run):
        results, _ = grade_assignment(REPO, ASSIGNMENT, tmp_path / "subs", tmp_path / f"out{run}",
                                      db_url=f"sqlite:///{tmp_path / 'gb.db'}", workers=1,
                                      secret_file=tmp_path / "secret", log=lambda *_: None)
        assert results[0].score == 10
        return [c.label for v in results[0].tests.values() for c in v.cases]

    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    first = labels(1)
    assert labels(2) == first
    (folder / "timestamp.txt").write_text("2026-11-21 16:30:00.000000 UTC")
    second = labels(3)
    assert second != first and len(second) == len(first)


def test_without_bubblewrap_grading_still_works_and_says_so(tmp_path):
    submit(tmp_path / "subs", "solution", solution())
    (tmp_path / "secret").write_text("fallback-secret-0123456789")
    results, info = grade_assignment(REPO, ASSIGNMENT, tmp_path / "subs", tmp_path / "out",
                                     db_url=f"sqlite:///{tmp_path / 'gb.db'}", workers=1,
                                     secret_file=tmp_path / "secret", use_sandbox=False,
                                     log=lambda *_: None)
    assert results[0].score == 10
    assert info["sandbox"].startswith("NOT SANDBOXED") and "bubblewrap" in info["sandbox"]
    write_report(results, info, tmp_path / "report.html", TESTS, 1.0)
    assert "NOT SANDBOXED" in (tmp_path / "report.html").read_text()


# --- What a1's hidden tests catch: mistakes the visible checks let through ----------------------------
# Judged in process (tests/submissions.py: the kernel's own code, the grader's own judge), as the
# other assignments' MISTAKES lists are; each was graded 10/10 before its hidden case existed.
A1_MISTAKES = [
    ("forward_default_1e8", "test_forward_difference", "default step is not 1e-6", """
def forward_difference(f, x, h=1e-8):
    return (f(x + h) - f(x)) / h
"""),
    ("forward_default_1e7", "test_forward_difference", "default step is not 1e-6", """
def forward_difference(f, x, h=1e-7):
    return (f(x + h) - f(x)) / h
"""),
    ("forward_ignores_h", "test_forward_difference", "ignores the h it is given", """
def forward_difference(f, x, h=1e-6):
    step = 1e-6
    return (f(x + step) - f(x)) / step
"""),
    ("forward_nested_lists", "test_forward_difference", "not a list", """
def forward_difference(f, x, h=1e-6):
    if np.ndim(x) == 0:
        return (f(x + h) - f(x)) / h
    if np.ndim(x) == 2:
        return [[(f(v + h) - f(v)) / h for v in row] for row in x]
    return [(f(v + h) - f(v)) / h for v in x]
"""),
    ("central_default_1e6", "test_central_difference", "default step is not 1e-5", """
def central_difference(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)
"""),
    ("central_default_2e5", "test_central_difference", "default step is not 1e-5", """
def central_difference(f, x, h=2e-5):
    return (f(x + h) - f(x - h)) / (2 * h)
"""),
    ("central_default_3e5", "test_central_difference", "default step is not 1e-5", """
def central_difference(f, x, h=3e-5):
    return (f(x + h) - f(x - h)) / (2 * h)
"""),
    ("central_ignores_h", "test_central_difference", "ignores the h it is given", """
def central_difference(f, x, h=1e-5):
    return (f(x + 1e-5) - f(x - 1e-5)) / 2e-5
"""),
    ("central_tolist", "test_central_difference", "not a list", """
def central_difference(f, x, h=1e-5):
    estimate = (f(x + h) - f(x - h)) / (2 * h)
    return estimate.tolist() if isinstance(estimate, np.ndarray) else estimate
"""),
    ("central_zero_d", "test_central_difference", "0-d numpy array", """
def central_difference(f, x, h=1e-5):
    return np.array((f(x + h) - f(x - h)) / (2 * h))
"""),
    ("second_default_1e3", "test_second_difference", "default step is not 1e-4", """
def second_difference(f, x, h=1e-3):
    return (f(x + h) - 2 * f(x) + f(x - h)) / h**2
"""),
    ("second_tolist", "test_second_difference", "not a list", """
def second_difference(f, x, h=1e-4):
    estimate = (f(x + h) - 2 * f(x) + f(x - h)) / h**2
    return estimate.tolist() if np.ndim(x) else estimate
"""),
    ("second_zero_d", "test_second_difference", "0-d numpy array", """
def second_difference(f, x, h=1e-4):
    return np.asarray((f(x + h) - 2 * f(x) + f(x - h)) / h**2)
"""),
    ("product_f_g_plus_df_dg", "test_product_rule", "mixes up the functions and their derivatives", """
def product_rule(f, df, g, dg):
    return lambda x: f(x) * g(x) + df(x) * dg(x)
"""),
    ("product_f_for_df", "test_product_rule", "You used f(x) where f'(x) belongs", """
def product_rule(f, df, g, dg):
    def derivative(x):
        return f(x) * g(x) + f(x) * dg(x)
    return derivative
"""),
    ("product_central_1e5", "test_product_rule", "numerically and ignored df and dg", """
def product_rule(f, df, g, dg):
    h = 1e-5
    return lambda x: (f(x + h) * g(x + h) - f(x - h) * g(x - h)) / (2 * h)
"""),
    ("product_central_1e6", "test_product_rule", "numerically and ignored df and dg", """
def product_rule(f, df, g, dg):
    fg = lambda x: f(x) * g(x)
    return lambda x: (fg(x + 1e-6) - fg(x - 1e-6)) / 2e-6
"""),
    ("product_complex_step", "test_product_rule", "complex step", """
def product_rule(f, df, g, dg):
    return lambda x: np.imag(f(x + 1e-30j) * g(x + 1e-30j)) / 1e-30
"""),
    ("chain_central_1e5", "test_chain_rule", "numerically and ignored df and dg", """
def chain_rule(f, df, g, dg):
    h = 1e-5
    return lambda x: (f(g(x + h)) - f(g(x - h))) / (2 * h)
"""),
    ("chain_central_1e6", "test_chain_rule", "numerically and ignored df and dg", """
def chain_rule(f, df, g, dg):
    return lambda x: (f(g(x + 1e-6)) - f(g(x - 1e-6))) / 2e-6
"""),
    ("chain_complex_step", "test_chain_rule", "complex step", """
def chain_rule(f, df, g, dg):
    return lambda x: np.imag(f(g(x + 1e-30j))) / 1e-30
"""),
    ("chain_f_for_df", "test_chain_rule", "outer function's value", """
def chain_rule(f, df, g, dg):
    return lambda x: f(g(x)) * dg(x)
"""),
    ("chain_g_for_dg", "test_chain_rule", "inner function's value", """
def chain_rule(f, df, g, dg):
    return lambda x: df(g(x)) * g(x)
"""),
]


@pytest.mark.parametrize("student, test, words, code", A1_MISTAKES, ids=[m[0] for m in A1_MISTAKES])
def test_a1_mistakes_the_visible_checks_miss_lose_points_and_are_named(student, test, words, code):
    from submissions import answered, check_mistake, judge_in_process
    result = judge_in_process(ASSIGNMENT, answered(ASSIGNMENT, test.removeprefix("test_"), code))
    check_mistake(result, TESTS, test, words, None, ASSIGNMENT)


def test_a1_both_wrong_defaults_lose_points_and_right_variants_keep_them():
    """The submission the review scored 10/10 (defaults 1e-6 and 1e-3) now loses points on both
    tasks; right answers written otherwise (np.float64 results, floats made from 0-d arrays,
    functions returned by def or lambda, factors in another order) keep every point."""
    from submissions import answered, judge_in_process, with_answer
    both = with_answer("second_difference", "def second_difference(f, x, h=1e-4):",
                       "def second_difference(f, x, h=1e-3):",
                       nb=with_answer("central_difference", "def central_difference(f, x, h=1e-5):",
                                      "def central_difference(f, x, h=1e-6):"))
    result = judge_in_process(ASSIGNMENT, both)
    assert result.tests["test_central_difference"].points < points_of("test_central_difference")
    assert result.tests["test_second_difference"].points < points_of("test_second_difference")
    assert sum(v.points for v in result.tests.values()) < 10
    right = {
        "central_difference": """
def central_difference(f, x, h=1e-5):
    estimate = np.asarray((f(np.asarray(x) + h) - f(np.asarray(x) - h)) / (2 * h))
    return float(estimate) if estimate.ndim == 0 else estimate
""",
        "second_difference": """
def second_difference(f, x, h=1e-4):
    return np.float64((f(x + h) + f(x - h) - 2 * f(x)) / (h * h)) if np.ndim(x) == 0 else \\
        (f(x + h) + f(x - h) - 2 * f(x)) / (h * h)
""",
        "product_rule": """
def product_rule(f, df, g, dg):
    return lambda x: g(x) * df(x) + dg(x) * f(x)
""",
        "chain_rule": """
def chain_rule(f, df, g, dg):
    def derivative(x):
        inner = g(x)
        return dg(x) * df(inner)
    return derivative
""",
    }
    for name, code in right.items():
        result = judge_in_process(ASSIGNMENT, answered(ASSIGNMENT, name, code))
        assert all(v.points == points_of(g) for g, v in result.tests.items()), \
            (name, {g: [c.message for c in v.cases if not c.passed] for g, v in result.tests.items()})


# Wrong default steps and numerical shortcuts, over many students: each is named for what it is
# (the review found a wrong default told "This is the central difference" or "default step is
# 1e-6"), judged by the grader's own judge on the outcomes the kernel would send.
def _fwd_default_1e8(f, x, h=1e-8):
    return (f(x + h) - f(x)) / h


def _fwd_default_1e7(f, x, h=1e-7):
    return (f(x + h) - f(x)) / h


def _cen_default(step):
    def central_difference(f, x, h=step):
        return (f(x + h) - f(x - h)) / (2 * h)
    return central_difference


def _product_by_differences(f, df, g, dg):
    return lambda x: (f(x + 1e-6) * g(x + 1e-6) - f(x - 1e-6) * g(x - 1e-6)) / 2e-6


def _chain_by_differences(f, df, g, dg):
    return lambda x: (f(g(x + 1e-5)) - f(g(x - 1e-5))) / 2e-5


NAMED_OVER_SEEDS = [
    ("test_forward_difference", "forward_difference", _fwd_default_1e8, "default step is not 1e-6", 20),
    ("test_forward_difference", "forward_difference", _fwd_default_1e7, "default step is not 1e-6", 19),
    ("test_central_difference", "central_difference", _cen_default(2e-5), "default step is not 1e-5", 20),
    ("test_central_difference", "central_difference", _cen_default(3e-5), "default step is not 1e-5", 20),
    ("test_central_difference", "central_difference", _cen_default(1e-4), "default step is not 1e-5", 16),
    ("test_product_rule", "product_rule", _product_by_differences, "numerically and ignored df and dg", 20),
    ("test_chain_rule", "chain_rule", _chain_by_differences, "numerically and ignored df and dg", 20),
]


@pytest.mark.parametrize("grade_id, name, implementation, words, at_least", NAMED_OVER_SEEDS,
                         ids=[f"{m[1]}-{m[2].__name__}-{i}" for i, m in enumerate(NAMED_OVER_SEEDS)])
def test_a1_wrong_steps_and_numerical_rules_are_named_right_for_many_students(grade_id, name, implementation,
                                                                             words, at_least):
    """Over 20 students: the submission loses points on every seed; its failing cases are named
    `words` on at least `at_least` seeds, and never by another registered mistake's message (where
    the value is too close to the reference to say which step was used, no name is better than a
    wrong one)."""
    from autograder.kernel_side import encode
    from autograder.verdict import judge, run_reference
    from submissions import _compiled
    compiled, namespaces = _compiled(ASSIGNMENT)
    hidden, namespace = compiled.tests[grade_id].hidden, namespaces[grade_id]
    named_right = 0
    for seed in range(5000, 5020):
        cases = run_reference(namespace, hidden, seed, (name, implementation)).cases
        payload = {"records": [{"outcome": c.outcome, "error_type": c.error_type, "error_message": c.error_message,
                                "value": encode(c.value), "after": [[encode(v) for v in g] for g in c.after]}
                               for c in cases]}
        verdict = judge(grade_id, points_of(grade_id), namespace, hidden, seed, payload)
        assert verdict.points < points_of(grade_id), seed
        failed = [c for c in verdict.cases if not c.passed]
        assert all(c.mistake is None or words in c.mistake for c in failed), \
            (seed, [(c.label, c.mistake) for c in failed])
        named_right += all(c.mistake and words in c.mistake for c in failed)
    assert named_right >= at_least, named_right


def _forward_in_place(f, x, h=1e-6):
    if isinstance(x, np.ndarray):
        f0 = f(x)
        x += h
        return (f(x) - f0) / h
    return (f(x + h) - f(x)) / h


def _central_in_place(f, x, h=1e-5):
    if isinstance(x, np.ndarray):
        x += h
        up = f(x)
        x -= 2 * h
        down = f(x)
        x += h
        return (up - down) / (2 * h)
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("grade_id, name, implementation", [
    ("test_forward_difference", "forward_difference", _forward_in_place),
    ("test_central_difference", "central_difference", _central_in_place)])
def test_a1_code_that_changes_x_in_place_is_not_told_it_returned_a_list(grade_id, name, implementation):
    """The list mistake's values are the reference's (only the type differs), so it must be wrong only
    where a change in place cannot pass for it: on the integer array, where x += h raises."""
    from autograder.kernel_side import encode
    from autograder.verdict import judge, run_reference
    from submissions import _compiled
    compiled, namespaces = _compiled(ASSIGNMENT)
    hidden, namespace = compiled.tests[grade_id].hidden, namespaces[grade_id]
    for seed in range(5000, 5010):
        cases = run_reference(namespace, hidden, seed, (name, implementation)).cases
        payload = {"records": [{"outcome": c.outcome, "error_type": c.error_type, "error_message": c.error_message,
                                "value": encode(c.value), "after": [[encode(v) for v in g] for g in c.after]}
                               for c in cases]}
        verdict = judge(grade_id, points_of(grade_id), namespace, hidden, seed, payload)
        failed = [c for c in verdict.cases if not c.passed]
        assert verdict.points < points_of(grade_id) and any("in place" in c.message for c in failed)
        assert not any("not a list" in (c.mistake or "") for c in failed), [(c.label, c.mistake) for c in failed]
