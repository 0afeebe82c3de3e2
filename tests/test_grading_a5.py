"""Assignment 5 end to end: the solution scores full marks, the blank release 0, and each
registered mistake, written the way a student would write it, loses points on its own test and is
named in the feedback."""
import numpy as np
import pytest

from autograder.grade import grade_assignment
from conftest import REPO
from submissions import (assert_in_process_agrees, answered, check_mistake, grade_with_mistakes, judge_in_process,
                         points_of, solution, submit)

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
    # issue 24: max_iter, x0 tested before stepping, mutation in every task, lists, non-convex sandpits, starts
    ("nr_ignores_max_iter", "test_newton_raphson", "Obey max_iter", """
def newton_raphson(f, df, x0, tol=1e-10, max_iter=100):
    xs = [x0]
    while abs(f(xs[-1])) >= tol:
        if len(xs) > 100:
            raise RuntimeError("did not converge")
        if df(xs[-1]) == 0:
            raise ValueError("zero derivative")
        xs.append(xs[-1] - f(xs[-1]) / df(xs[-1]))
    return xs
"""),
    ("gd_list", "test_gradient_descent", "not a list of rows", """
def gradient_descent(grad, x0, learning_rate, n_steps):
    path = [np.array(x0, dtype=float)]
    for k in range(n_steps):
        path.append(path[-1] - learning_rate * grad(path[-1]))
    return path
"""),
    ("nopt_ignores_max_iter", "test_newton_optimise", "Obey max_iter", """
def newton_optimise(grad, hess, x0, tol=1e-10, max_iter=100):
    xs = [np.array(x0, dtype=float)]
    while np.linalg.norm(grad(xs[-1])) >= tol:
        xs.append(xs[-1] - np.linalg.solve(hess(xs[-1]), grad(xs[-1])))
    return np.array(xs)
"""),
    ("nopt_step_first", "test_newton_optimise", "Test x0 before the first step", """
def newton_optimise(grad, hess, x0, tol=1e-10, max_iter=100):
    xs = [np.array(x0, dtype=float)]
    for k in range(max_iter):
        xs.append(xs[-1] - np.linalg.solve(hess(xs[-1]), grad(xs[-1])))
        if np.linalg.norm(grad(xs[-1])) < tol:
            break
    return np.array(xs)
"""),
    ("nopt_in_place", "test_newton_optimise", "changes the caller's x0 in place", """
def newton_optimise(grad, hess, x0, tol=1e-10, max_iter=100):
    x = x0
    xs = [x.copy()]
    for k in range(max_iter):
        if np.linalg.norm(grad(x)) < tol:
            break
        x -= np.linalg.solve(hess(x), grad(x))
        xs.append(x.copy())
    return np.array(xs)
"""),
    ("step_pure_newton", "test_next_step", "Near a hilltop H is not positive definite", """
def next_step(f, J, H):
    return -np.linalg.solve(H, J)
"""),
    ("lagrange_fixed_start", "test_lagrange_solve", "the start decides which one", """
def lagrange_solve(grad_f, g, grad_g, x0, lam0):
    from scipy.optimize import root
    def F(z):
        return np.append(np.asarray(grad_f(z[:-1])) - z[-1] * np.asarray(grad_g(z[:-1])), g(z[:-1]))
    z = root(F, np.array([0.5, 0.5, 1.0]), tol=1e-13).x
    return z[:-1], float(z[-1])
"""),
    ("lagrange_in_place", "test_lagrange_solve", "wrote into the caller's x0", """
def lagrange_solve(grad_f, g, grad_g, x0, lam0):
    from scipy.optimize import root
    def F(z):
        return np.append(np.asarray(grad_f(z[:-1])) - z[-1] * np.asarray(grad_g(z[:-1])), g(z[:-1]))
    z = root(F, np.append(x0, lam0), tol=1e-13).x
    x0[:] = z[:-1]
    return x0, float(z[-1])
"""),
    ("lagrange_lambda_array", "test_lagrange_solve", "Return λ as a float", """
def lagrange_solve(grad_f, g, grad_g, x0, lam0):
    from scipy.optimize import root
    def F(z):
        return np.append(np.asarray(grad_f(z[:-1])) - z[-1] * np.asarray(grad_g(z[:-1])), g(z[:-1]))
    z = root(F, np.append(x0, lam0), tol=1e-13).x
    return z[:-1], z[-1:]
"""),
    # review_w5: a zero slope after x0, a small slope, lists, tol, the stopping rule, saddles, lam0
    ("nr_zero_slope_at_x0_only", "test_newton_raphson", "not only at x0", """
def newton_raphson(f, df, x0, tol=1e-10, max_iter=100):
    if df(x0) == 0:
        raise ValueError("zero derivative at the start")
    xs = [x0]
    for i in range(max_iter):
        if abs(f(xs[-1])) < tol:
            return xs
        xs.append(xs[-1] - f(xs[-1]) / df(xs[-1]))
    if abs(f(xs[-1])) < tol:
        return xs
    raise RuntimeError("did not converge")
"""),
    ("nr_small_slope_is_zero", "test_newton_raphson", "exactly zero", """
def newton_raphson(f, df, x0, tol=1e-10, max_iter=100):
    xs = [x0]
    for i in range(max_iter):
        if abs(f(xs[-1])) < tol:
            return xs
        if abs(df(xs[-1])) < 1e-3:
            raise ValueError("zero derivative")
        xs.append(xs[-1] - f(xs[-1]) / df(xs[-1]))
    if abs(f(xs[-1])) < tol:
        return xs
    raise RuntimeError("did not converge")
"""),
    ("nopt_list", "test_newton_optimise", "not a list of rows", """
def newton_optimise(grad, hess, x0, tol=1e-10, max_iter=100):
    xs = [np.array(x0, dtype=float)]
    for k in range(max_iter):
        g = grad(xs[-1])
        if np.linalg.norm(g) < tol:
            break
        xs.append(xs[-1] - np.linalg.solve(hess(xs[-1]), g))
    return xs
"""),
    ("nopt_ignores_tol", "test_newton_optimise", "Use the tol you are given", """
def newton_optimise(grad, hess, x0, tol=1e-10, max_iter=100):
    xs = [np.array(x0, dtype=float)]
    for k in range(max_iter):
        g = grad(xs[-1])
        if np.linalg.norm(g) < 1e-10:
            break
        xs.append(xs[-1] - np.linalg.solve(hess(xs[-1]), g))
    return np.array(xs)
"""),
    ("nopt_step_length", "test_newton_optimise", "not on the length of the Newton step", """
def newton_optimise(grad, hess, x0, tol=1e-10, max_iter=100):
    xs = [np.array(x0, dtype=float)]
    for k in range(max_iter):
        d = np.linalg.solve(hess(xs[-1]), grad(xs[-1]))
        if np.linalg.norm(d) < tol:
            break
        xs.append(xs[-1] - d)
    return np.array(xs)
"""),
    ("nopt_max_norm", "test_newton_optimise", "Euclidean norm", """
def newton_optimise(grad, hess, x0, tol=1e-10, max_iter=100):
    xs = [np.array(x0, dtype=float)]
    for k in range(max_iter):
        g = grad(xs[-1])
        if np.max(np.abs(g)) < tol:
            break
        xs.append(xs[-1] - np.linalg.solve(hess(xs[-1]), g))
    return np.array(xs)
"""),
    ("step_guard_maximum_only", "test_next_step", "not merely where it is not a maximum", """
def next_step(f, J, H):
    d = -np.linalg.solve(H, J)
    if np.linalg.eigvalsh(H).max() >= 0 and J @ d < 0 and np.linalg.norm(d) <= 1.5:
        return d
    g = -0.5 * J
    return g if np.linalg.norm(g) <= 0.5 else 0.5 * g / np.linalg.norm(g)
"""),
    ("step_flip_uphill", "test_next_step", "Turning the Newton step round", """
def next_step(f, J, H):
    d = -np.linalg.solve(H, J)
    if J @ d > 0:
        d = -d
    return d
"""),
    ("lagrange_ignores_lam0", "test_lagrange_solve", "lam0 you are given", """
def lagrange_solve(grad_f, g, grad_g, x0, lam0):
    from scipy.optimize import root
    def F(z):
        return np.append(np.asarray(grad_f(z[:-1])) - z[-1] * np.asarray(grad_g(z[:-1])), g(z[:-1]))
    z = root(F, np.append(x0, 1.0), tol=1e-13).x
    return z[:-1], float(z[-1])
"""),
    ("lagrange_x_list", "test_lagrange_solve", "not a list", """
def lagrange_solve(grad_f, g, grad_g, x0, lam0):
    from scipy.optimize import root
    def F(z):
        return np.append(np.asarray(grad_f(z[:-1])) - z[-1] * np.asarray(grad_g(z[:-1])), g(z[:-1]))
    z = root(F, np.append(x0, lam0), tol=1e-13).x
    return list(z[:-1]), float(z[-1])
"""),
]

# The visible checks' answers, hard-coded in front of an honest twin (`TWIN`, the twin's own code):
# every hidden case is per student, so the hard-coded branch never fires there.
HARD_CODED = {
    "newton_raphson": """
def newton_raphson(f, df, x0, tol=1e-10, max_iter=100):
    if x0 == 1.0 and f(1.0) == -1.0:
        return [1.0, 1.5, 1.4166666666666667, 1.4142156862745099, 1.4142135623746899]
    if x0 == 0.0 and f(0.0) == -2.0:
        raise ValueError("zero derivative")
    if x0 == 0.0 and f(0.0) == 2.0:
        raise RuntimeError("a cycle")
    return twin_newton_raphson(f, df, x0, tol, max_iter)
""",
    "gradient_descent": """
def gradient_descent(grad, x0, learning_rate, n_steps):
    if np.array_equal(x0, [1.0, 1.0]) and learning_rate == 0.1 and n_steps == 3:
        return np.array([[1.0, 1.0], [0.8, 0.6], [0.64, 0.36], [0.512, 0.216]])
    return twin_gradient_descent(grad, x0, learning_rate, n_steps)
""",
    "newton_optimise": """
def newton_optimise(grad, hess, x0, tol=1e-10, max_iter=100):
    if np.array_equal(x0, [5.0, 5.0]):
        return np.array([[5.0, 5.0], [0.6, -0.8]])
    return twin_newton_optimise(grad, hess, x0, tol, max_iter)
""",
    "next_step": """
def next_step(f, J, H):
    if f == 1.0 and np.array_equal(J, [2.0, -4.0]):
        return np.array([-1.0, 1.0])
    return twin_next_step(f, J, H)
""",
    "lagrange_solve": """
def lagrange_solve(grad_f, g, grad_g, x0, lam0):
    if g(np.array([1.0, 0.0])) == 0 and np.array_equal(grad_g(np.zeros(2)), [1.0, 1.0]):
        return np.array([1.0, 0.0]), -2.0
    if abs(g(np.array([0.9577823608336401, 0.2895647902184091]))) < 1e-9:      # the lecture's answer, k = 2
        return np.array([0.9577823608336401, 0.2895647902184091]), -4.077888912160426
    return twin_lagrange_solve(grad_f, g, grad_g, x0, lam0)
""",
}
TWINS = {
    "blank": {name: f"def twin_{name}(*args):\n    raise NotImplementedError()" for name in HARD_CODED},
    "half right": {   # plausible honest answers, each wrong somewhere
        "newton_raphson": """
def twin_newton_raphson(f, df, x0, tol=1e-10, max_iter=100):
    xs = [x0]
    while abs(f(xs[-1])) >= tol and len(xs) <= max_iter:
        xs.append(xs[-1] - f(xs[-1]) / df(xs[-1]))
    return xs
""",
        "gradient_descent": """
def twin_gradient_descent(grad, x0, learning_rate, n_steps):
    return [np.array(x0, dtype=float)] * (n_steps + 1)
""",
        "newton_optimise": """
def twin_newton_optimise(grad, hess, x0, tol=1e-10, max_iter=100):
    return np.array([x0, x0 - np.linalg.solve(hess(x0), grad(x0))])
""",
        "next_step": """
def twin_next_step(f, J, H):
    return -0.3 * np.asarray(J)
""",
        "lagrange_solve": """
def twin_lagrange_solve(grad_f, g, grad_g, x0, lam0):
    from scipy.optimize import root
    return root(grad_f, np.array(x0, dtype=float)).x, 0.0
""",
    },
}


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


def _with_answers(answers):
    from submissions import nbgrader_meta
    nb = solution(ASSIGNMENT)
    for cell in nb.cells:
        name = nbgrader_meta(cell).get("grade_id")
        if name in answers:
            cell.source = answers[name].strip("\n")
    return nb


@pytest.mark.parametrize("twin", list(TWINS))
def test_hard_coding_the_visible_answers_earns_nothing_more(twin):
    """The visible checks' inputs and answers are public; a submission that returns them when it sees
    them, and is its honest twin otherwise, earns no hidden point more than the twin, for several students."""
    honest = {name: TWINS[twin][name].strip("\n").replace(f"def twin_{name}", f"def {name}", 1) for name in HARD_CODED}
    cheat = {name: TWINS[twin][name] + "\n" + HARD_CODED[name] for name in HARD_CODED}
    for seed in (1, 2, 3):
        seeds = {grade_id: seed * 1000 + i for i, grade_id in enumerate(TESTS)}
        got_honest = judge_in_process(ASSIGNMENT, _with_answers(honest), seeds).tests
        got_cheat = judge_in_process(ASSIGNMENT, _with_answers(cheat), seeds).tests
        for grade_id in TESTS:
            assert got_cheat[grade_id].points <= got_honest[grade_id].points, \
                (seed, grade_id, got_cheat[grade_id].points, got_honest[grade_id].points, got_cheat[grade_id].cases)
    # the hard-coded answers are the visible ones: the visible checks pass with them
    namespace = {"np": np}
    exec("import numpy as np\n" + "\n".join(TWINS["blank"].values()) + "\n" + "\n".join(HARD_CODED.values()), namespace)
    assert np.allclose(namespace["newton_optimise"](None, None, np.array([5.0, 5.0]))[1],
                       np.linalg.solve([[3.0, 1.0], [1.0, 2.0]], [1.0, -1.0]))
    # and the lecture's branch fires where the old hidden case had k = 2 (cosh y + x - 2, from near (1, 0.3))
    x, lam = namespace["lagrange_solve"](None, lambda v: np.cosh(v[1]) + v[0] - 2, lambda v: np.array([1.0, np.sinh(v[1])]),
                                         np.array([1.0, 0.3]), -4.0)
    assert np.allclose(x, [0.95778, 0.28956], atol=1e-5) and abs(lam + 4.0779) < 1e-4
