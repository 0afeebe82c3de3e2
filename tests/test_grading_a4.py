"""Assignment 4 end to end: the solution scores full marks, the blank release 0, and each
registered mistake, written the way a student would write it, loses points on its own test (the
tests before it keep theirs) and is named in the feedback."""
import pytest

from submissions import assert_in_process_agrees, check_mistake, grade_with_mistakes, points_of

pytestmark = pytest.mark.slow
ASSIGNMENT = "a4_taylor"
TESTS = ["test_taylor_polynomial", "test_maclaurin", "test_lagrange_remainder_bound",
         "test_degree_for_tolerance", "test_linearise", "test_quadratic_approximation"]

EXP = """
def maclaurin_exp(x, n):
    total = 0.0
    for k in range(n + 1):
        total = total + x ** k / math.factorial(k)
    return total
"""
SIN = """
def maclaurin_sin(x, n):
    total = 0 * x                      # the right shape for an array x, even at degree 0
    for k in range(1, n + 1, 2):
        total = total + (-1) ** ((k - 1) // 2) * x ** k / math.factorial(k)
    return total
"""
GRAD_HESS = """
    x0 = np.array(x0, dtype=float)
    n = len(x0)
    I = np.eye(n)
    g = np.zeros(n)
    H = np.zeros((n, n))
    for i in range(n):
        g[i] = (f(x0 + h * I[i]) - f(x0 - h * I[i])) / (2 * h)
        for j in range(n):
            H[i, j] = (f(x0 + h * I[i] + h * I[j]) - f(x0 + h * I[i] - h * I[j])
                       - f(x0 - h * I[i] + h * I[j]) + f(x0 - h * I[i] - h * I[j])) / (4 * h * h)
"""
JAC = """
    x0 = np.array(x0, dtype=float)
    J = np.zeros((len(f(x0)), len(x0)))
    for j in range(len(x0)):
        e = np.zeros(len(x0))
        e[j] = h
        J[:, j] = (f(x0 + e) - f(x0 - e)) / (2 * h)
"""

MISTAKES = [
    ("tp_no_factorial", "test_taylor_polynomial", "factorial", """
def taylor_polynomial(derivatives, a, x):
    result = 0
    for k in range(len(derivatives)):
        result = result + derivatives[k] * (x - a) ** k
    return result
"""),
    ("tp_powers_of_x", "test_taylor_polynomial", "not of x", """
def taylor_polynomial(derivatives, a, x):
    result = 0
    for k in range(len(derivatives)):
        result = result + derivatives[k] * x ** k / math.factorial(k)
    return result
"""),
    ("tp_one_short", "test_taylor_polynomial", "Degree off by one", """
def taylor_polynomial(derivatives, a, x):
    result = 0
    for k in range(len(derivatives) - 1):
        result = result + derivatives[k] * (x - a) ** k / math.factorial(k)
    return result
"""),
    ("exp_n_terms", "test_maclaurin", "n + 1 terms", """
def maclaurin_exp(x, n):
    total = 0.0
    for k in range(n):
        total = total + x ** k / math.factorial(k)
    return total
""" + SIN),
    ("exp_no_factorial", "test_maclaurin", "factorial", """
def maclaurin_exp(x, n):
    total = 0.0
    for k in range(n + 1):
        total = total + x ** k
    return total
""" + SIN),
    ("exp_is_np_exp", "test_maclaurin", "np.exp itself", """
def maclaurin_exp(x, n):
    return np.exp(x)
""" + SIN),
    ("sin_n_terms", "test_maclaurin", "not the number of terms", EXP + """
def maclaurin_sin(x, n):
    total = 0 * x                      # an array for an array x, at degree 0 too
    for j in range(n):
        total = total + (-1) ** j * x ** (2 * j + 1) / math.factorial(2 * j + 1)
    return total
"""),
    ("sin_no_signs", "test_maclaurin", "signs alternate", EXP + """
def maclaurin_sin(x, n):
    total = 0 * x                      # an array for an array x, at degree 0 too
    for k in range(1, n + 1, 2):
        total = total + x ** k / math.factorial(k)
    return total
"""),
    ("sin_from_x_at_degree_0", "test_maclaurin", "Degree 0 is the constant term alone", EXP + """
def maclaurin_sin(x, n):
    total = x
    for k in range(3, n + 1, 2):
        total = total + (-1) ** ((k - 1) // 2) * x ** k / math.factorial(k)
    return total
"""),
    ("lagrange_n", "test_lagrange_remainder_bound", "next derivative", """
def lagrange_remainder_bound(M, a, x, n):
    return M * abs(x - a) ** n / math.factorial(n)
"""),
    ("lagrange_no_abs", "test_lagrange_remainder_bound", "distance", """
def lagrange_remainder_bound(M, a, x, n):
    return M * (x - a) ** (n + 1) / math.factorial(n + 1)
"""),
    ("degree_bound", "test_degree_for_tolerance", "not the Lagrange bound", """
def degree_for_tolerance(x, tol):
    n = 0
    M = np.exp(max(x, 0))
    while M * abs(x) ** (n + 1) / math.factorial(n + 1) >= tol:
        n = n + 1
    return n
"""),
    ("degree_one_more", "test_degree_for_tolerance", "Off by one", """
def degree_for_tolerance(x, tol):
    n = 0
    error = abs(np.exp(x) - maclaurin_exp(x, n))
    while error >= tol:
        n = n + 1
        error = abs(np.exp(x) - maclaurin_exp(x, n))
    return n + 1
"""),
    ("lin_x_not_d", "test_linearise", "not J x", """
def linearise(f, x0, h=1e-5):
""" + JAC + """
    def L(x):
        return f(x0) + J @ x
    return L
"""),
    ("lin_transposed", "test_linearise", "transposed", """
def linearise(f, x0, h=1e-5):
""" + JAC + """
    def L(x):
        return f(x0) + J.T @ (x - x0)
    return L
"""),
    ("lin_f_of_x", "test_linearise", "not f(x)", """
def linearise(f, x0, h=1e-5):
""" + JAC + """
    def L(x):
        return f(x) + J @ (x - x0)
    return L
"""),
    ("lin_ignores_h", "test_linearise", "ignore the h", """
def linearise(f, x0, h=1e-5):
    h = 1e-5
""" + JAC + """
    def L(x):
        return f(x0) + J @ (x - x0)
    return L
"""),
    ("quad_ignores_h", "test_quadratic_approximation", "ignore the h", """
def quadratic_approximation(f, x0, h=1e-4):
    h = 1e-4
""" + GRAD_HESS + """
    def Q(x):
        d = x - x0
        return f(x0) + g @ d + 0.5 * d @ H @ d
    return Q
"""),
    ("quad_no_half", "test_quadratic_approximation", "needs its ½", """
def quadratic_approximation(f, x0, h=1e-4):
""" + GRAD_HESS + """
    def Q(x):
        d = x - x0
        return f(x0) + g @ d + d @ H @ d
    return Q
"""),
    ("quad_x_not_d", "test_quadratic_approximation", "d = x - x0", """
def quadratic_approximation(f, x0, h=1e-4):
""" + GRAD_HESS + """
    def Q(x):
        return f(x0) + g @ x + 0.5 * x @ H @ x
    return Q
"""),
    ("quad_no_gradient", "test_quadratic_approximation", "gradient term", """
def quadratic_approximation(f, x0, h=1e-4):
""" + GRAD_HESS + """
    def Q(x):
        d = x - x0
        return f(x0) + 0.5 * d @ H @ d
    return Q
"""),
    # Week 4 review: each of these used to get full marks (right values of the wrong type or shape, the
    # next-term rule, a signed power).
    ("tp_as_list", "test_taylor_polynomial", "not a list", """
def taylor_polynomial(derivatives, a, x):
    def p(z):
        return sum(derivatives[k] * (z - a) ** k / math.factorial(k) for k in range(len(derivatives)))
    if np.ndim(x) == 0:
        return float(p(x))
    return [p(z) for z in x]
"""),
    ("sin_zero_d", "test_maclaurin", "0-d numpy array", EXP + """
def maclaurin_sin(x, n):
    x = np.asarray(x, dtype=float)
    total = np.zeros_like(x)
    for k in range(1, n + 1, 2):
        total += (-1) ** ((k - 1) // 2) * x ** k / math.factorial(k)
    return total
"""),
    ("sin_int_zero", "test_maclaurin", "the int 0", EXP + """
def maclaurin_sin(x, n):
    total = 0
    for k in range(1, n + 1, 2):
        total = total + (-1) ** ((k - 1) // 2) * x ** k / math.factorial(k)
    return total
"""),
    ("lagrange_a_minus_x", "test_lagrange_remainder_bound", "(a - x)**(n + 1) is negative", """
def lagrange_remainder_bound(M, a, x, n):
    return M * (a - x) ** (n + 1) / math.factorial(n + 1)
"""),
    ("degree_next_term", "test_degree_for_tolerance", "next term", """
def degree_for_tolerance(x, tol):
    n = 0
    while abs(x) ** (n + 1) / math.factorial(n + 1) >= tol:
        n = n + 1
    return n
"""),
    ("lin_as_list", "test_linearise", "not a list", """
def linearise(f, x0, h=1e-5):
""" + JAC + """
    def L(x):
        return [f(x0)[i] + J[i] @ (x - x0) for i in range(len(J))]
    return L
"""),
    ("quad_column_d", "test_quadratic_approximation", "column of shape", """
def quadratic_approximation(f, x0, h=1e-4):
""" + GRAD_HESS + """
    def Q(x):
        d = (x - x0).reshape(-1, 1)
        return f(x0) + g @ d + 0.5 * d.T @ H @ d
    return Q
"""),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_with_mistakes(tmp_path_factory.mktemp("a4"), ASSIGNMENT, MISTAKES)


def test_points_add_up_to_ten():
    assert [points_of(t, ASSIGNMENT) for t in TESTS] == [2, 2, 1, 1, 2, 2]


def test_solution_full_marks_and_blank_zero(graded):
    results, _ = graded
    assert results["solution"].status == "graded" and results["solution"].score == 10, results["solution"].tests
    assert results["blank"].status == "graded" and results["blank"].score == 0


@pytest.mark.parametrize("student, test, words, code", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_loses_its_own_points_and_is_named(graded, student, test, words, code):
    results, base = graded
    check_mistake(results[student], TESTS, test, words,
                  base / "out" / "feedback" / student / f"{ASSIGNMENT}.html", ASSIGNMENT,
                  unaffected=TESTS[:TESTS.index(test)])


def test_in_process_judging_agrees_with_the_pipeline(graded):
    results, base = graded
    assert_in_process_agrees(results, base, ASSIGNMENT, MISTAKES)
