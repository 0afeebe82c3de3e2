"""Assignment 5 end to end: the solution scores full marks, the blank release 0, and each
registered mistake, written the way a student would write it, loses points on its own test and is
named in the feedback."""
import pytest

from autograder.grade import grade_assignment
from conftest import REPO
from submissions import assert_in_process_agrees, answered, check_mistake, grade_with_mistakes, points_of, submit

pytestmark = pytest.mark.slow
ASSIGNMENT = "a5_optimisation"
TESTS = ["test_newton_raphson", "test_gradient_descent", "test_newton_optimise", "test_next_step",
         "test_lagrange_solve"]

MISTAKES = [
    ("nr_plus", "test_newton_raphson", "walk away from the root", """
def newton_raphson(f, df, x0, tol=1e-10, max_iter=100):
    xs = [x0]
    x = x0
    for i in range(max_iter):
        if abs(f(x)) < tol:
            return xs
        if df(x) == 0:
            raise ValueError("zero derivative")
        x = x + f(x) / df(x)
        xs.append(x)
    raise RuntimeError("did not converge")
"""),
    ("nr_extra_step", "test_newton_raphson", "extra step", """
def newton_raphson(f, df, x0, tol=1e-10, max_iter=100):
    xs = [x0]
    for i in range(max_iter):
        x = xs[-1]
        if df(x) == 0:
            raise ValueError("zero derivative")
        xs.append(x - f(x) / df(x))
        if abs(f(x)) < tol:
            return xs
    raise RuntimeError("did not converge")
"""),
    ("gd_ascent", "test_gradient_descent", "climbs", """
def gradient_descent(grad, x0, learning_rate, n_steps):
    path = [np.array(x0, dtype=float)]
    for k in range(n_steps):
        path.append(path[-1] + learning_rate * grad(path[-1]))
    return np.array(path)
"""),
    ("gd_no_start", "test_gradient_descent", "Include the start", """
def gradient_descent(grad, x0, learning_rate, n_steps):
    x = np.array(x0, dtype=float)
    path = []
    for k in range(n_steps):
        x = x - learning_rate * grad(x)
        path.append(x)
    return np.array(path)
"""),
    ("nopt_sign", "test_newton_optimise", "Wrong sign", """
def newton_optimise(grad, hess, x0, tol=1e-10, max_iter=100):
    xs = [np.array(x0, dtype=float)]
    for k in range(max_iter):
        g = grad(xs[-1])
        if np.linalg.norm(g) < tol:
            break
        xs.append(xs[-1] + np.linalg.solve(hess(xs[-1]), g))
    return np.array(xs)
"""),
    ("nopt_multiplied", "test_newton_optimise", "solved for, not multiplied", """
def newton_optimise(grad, hess, x0, tol=1e-10, max_iter=100):
    x = np.array(x0, dtype=float)
    xs = [x]
    for k in range(max_iter):
        g = grad(x)
        if np.linalg.norm(g) < tol:
            break
        x = x - hess(x) @ g
        xs.append(x)
    return np.array(xs)
"""),
    ("step_ascent", "test_next_step", "climbs", """
def next_step(f, J, H):
    return 0.5 * J
"""),
    ("step_newton_sign", "test_next_step", "Wrong sign", """
def next_step(f, J, H):
    return np.linalg.inv(H) @ J
"""),
    ("nr_no_x0_check", "test_newton_raphson", "Check x0 too", """
def newton_raphson(f, df, x0, tol=1e-10, max_iter=100):
    xs = [x0]
    for i in range(max_iter):
        if df(xs[-1]) == 0:
            raise ValueError("zero derivative")
        xs.append(xs[-1] - f(xs[-1]) / df(xs[-1]))
        if abs(f(xs[-1])) < tol:
            return xs
    raise RuntimeError("did not converge")
"""),
    ("lagrange_sign", "test_lagrange_solve", "opposite sign", """
def lagrange_solve(grad_f, g, grad_g, x0, lam0):
    from scipy.optimize import root
    def F(z):
        return np.append(grad_f(z[:-1]) + z[-1] * grad_g(z[:-1]), g(z[:-1]))
    z = root(F, np.append(x0, -lam0), tol=1e-13).x
    return z[:-1], float(z[-1])
"""),
    ("lagrange_no_constraint", "test_lagrange_solve", "constraint g(x) = 0 must hold", """
def lagrange_solve(grad_f, g, grad_g, x0, lam0):
    from scipy.optimize import root
    return root(grad_f, np.array(x0, dtype=float)).x, 0.0
"""),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_with_mistakes(tmp_path_factory.mktemp("a5"), ASSIGNMENT, MISTAKES)


def test_a_strategy_that_replaces_the_game_earns_nothing(tmp_path):
    """The game runs in the student's kernel, but the grader replays the reported steps itself: a
    next_step that swaps the game for one reporting success (or no steps) wins nothing."""
    cheat = answered(ASSIGNMENT, "next_step", """
def next_step(f, J, H):
    import sys
    sys._getframe(1).f_globals["sandpit_game"] = lambda *a, **k: {"steps": [], "problem": None, "found": True}
    return np.zeros(2)
""")
    submit(tmp_path / "subs", "cheat", cheat, assignment=ASSIGNMENT)
    (tmp_path / "secret").write_text("a5-cheat-secret-0123456789\n")
    results, _ = grade_assignment(REPO, ASSIGNMENT, tmp_path / "subs", tmp_path / "out",
                                  db_url=f"sqlite:///{tmp_path / 'gb.db'}", workers=1,
                                  secret_file=tmp_path / "secret", log=lambda *_: None)
    assert results[0].tests["test_next_step"].points == 0


def test_points_add_up_to_ten():
    assert [points_of(t, ASSIGNMENT) for t in TESTS] == [2, 1, 2, 3, 2]


def test_solution_full_marks_and_blank_zero(graded):
    results, _ = graded
    assert results["solution"].status == "graded" and results["solution"].score == 10, results["solution"].tests
    assert results["blank"].status == "graded" and results["blank"].score == 0


@pytest.mark.parametrize("student, test, words, code", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_loses_its_own_points_and_is_named(graded, student, test, words, code):
    results, base = graded
    check_mistake(results[student], TESTS, test, words,
                  base / "out" / "feedback" / student / f"{ASSIGNMENT}.html", ASSIGNMENT)


def test_in_process_judging_agrees_with_the_pipeline(graded):
    results, base = graded
    assert_in_process_agrees(results, base, ASSIGNMENT, MISTAKES)
