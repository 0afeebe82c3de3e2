"""Assignment 2 end to end: the solution scores full marks, the blank release 0, and each
registered mistake, written the way a student would write it, loses points on its own test only
and is named in the feedback."""
import pytest

from submissions import assert_in_process_agrees, check_mistake, grade_with_mistakes, points_of

pytestmark = pytest.mark.slow
ASSIGNMENT = "a2_jacobians"
TESTS = ["test_gradient", "test_jacobian", "test_hessian", "test_polar_jacobian",
         "test_classify_stationary_point"]


# (student, test it should lose points on, words the feedback must use, the student's code)
MISTAKES = [
    ("gradient_forward", "test_gradient", "forward difference", """
def gradient(f, x, h=1e-5):
    g = np.zeros(len(x))
    for i in range(len(x)):
        step = np.zeros(len(x))
        step[i] = h
        g[i] = (f(x + step) - f(x)) / h
    return g
"""),
    ("gradient_no_two", "test_gradient", "factor of 2", """
def gradient(f, x, h=1e-5):
    g = []
    for i in range(len(x)):
        e = np.zeros(len(x)); e[i] = 1.0
        g.append((f(x + h * e) - f(x - h * e)) / h)
    return np.array(g)
"""),
    ("gradient_in_place", "test_gradient", "never put it back", """
def gradient(f, x, h=1e-5):
    result = np.zeros(x.shape)
    for i in range(x.size):
        x[i] = x[i] + h
        plus = f(x)
        x[i] = x[i] - 2 * h
        minus = f(x)
        result[i] = (plus - minus) / (2 * h)
    return result
"""),
    ("jacobian_transposed", "test_jacobian", "transposed", """
def jacobian(f, x, h=1e-5):
    rows = []
    for j in range(len(x)):
        e = np.zeros(len(x)); e[j] = h
        rows.append((f(x + e) - f(x - e)) / (2 * h))
    return np.array(rows)
"""),
    ("jacobian_forward", "test_jacobian", "forward difference", """
def jacobian(f, x, h=1e-5):
    fx = f(x)
    J = np.zeros((len(fx), len(x)))
    for j in range(len(x)):
        e = np.zeros(len(x)); e[j] = h
        J[:, j] = (f(x + e) - fx) / h
    return J
"""),
    ("jacobian_in_place", "test_jacobian", "never put it back", """
def jacobian(f, x, h=1e-5):
    J = []
    for j in range(len(x)):
        x[j] += h
        fp = np.array(f(x))
        x[j] -= 2 * h
        fm = np.array(f(x))
        J.append((fp - fm) / (2 * h))
    return np.array(J).T
"""),
    ("hessian_in_place", "test_hessian", "never put it back", """
def hessian(f, x, h=1e-4):
    n = len(x)
    H = np.zeros((n, n))
    fx = f(x)
    for i in range(n):
        for j in range(i + 1, n):
            ei = np.zeros(n); ei[i] = h
            ej = np.zeros(n); ej[j] = h
            H[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h * h)
            H[j, i] = H[i, j]
    for i in range(n):
        x[i] = x[i] + h
        fp = f(x)
        x[i] = x[i] - 2 * h
        H[i, i] = (fp - 2 * fx + f(x)) / h**2
    return H
"""),
    ("hessian_not_symmetric", "test_hessian", "not symmetric", """
def hessian(f, x, h=1e-4):
    n = len(x)
    def grad(p):
        return np.array([(f(p + h * np.eye(n)[i]) - f(p - h * np.eye(n)[i])) / (2 * h) for i in range(n)])
    H = np.zeros((n, n))
    g0 = grad(x)
    for j in range(n):
        H[:, j] = (grad(x + h * np.eye(n)[j]) - g0) / h
    return H
"""),
    ("hessian_mixed_over_h2", "test_hessian", "4 times too big", """
def hessian(f, x, h=1e-4):
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            ei = np.zeros(n); ei[i] = h
            ej = np.zeros(n); ej[j] = h
            if i == j:
                H[i, i] = (f(x + ei) - 2 * f(x) + f(x - ei)) / h**2
            else:
                H[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / h**2
    return (H + H.T) / 2
"""),
    ("hessian_one_sided", "test_hessian", "one-sided", """
def hessian(f, x, h=1e-4):
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            ei = np.zeros(n); ei[i] = h
            ej = np.zeros(n); ej[j] = h
            H[i, j] = (f(x + ei + ej) - f(x + ei) - f(x + ej) + f(x)) / h**2
    return H
"""),
    ("polar_transposed", "test_polar_jacobian", "transposed", """
def polar_jacobian(r, theta):
    return np.array([[np.cos(theta), np.sin(theta)], [-r * np.sin(theta), r * np.cos(theta)]])
"""),
    ("polar_no_r", "test_polar_jacobian", "missing its factor r", """
def polar_jacobian(r, theta):
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]])
"""),
    ("polar_sign", "test_polar_jacobian", "Sign error", """
def polar_jacobian(r, theta):
    return np.array([[np.cos(theta), r * np.sin(theta)], [np.sin(theta), r * np.cos(theta)]])
"""),
    ("polar_by_differences", "test_polar_jacobian", "finite-difference estimate", """
def polar_jacobian(r, theta):
    h = 1e-5
    J = np.zeros((2, 2))
    J[:, 0] = [((r + h) * np.cos(theta) - (r - h) * np.cos(theta)) / (2 * h),
               ((r + h) * np.sin(theta) - (r - h) * np.sin(theta)) / (2 * h)]
    J[:, 1] = [(r * np.cos(theta + h) - r * np.cos(theta - h)) / (2 * h),
               (r * np.sin(theta + h) - r * np.sin(theta - h)) / (2 * h)]
    return J
"""),
    ("classify_swapped", "test_classify_stationary_point", "wrong way round", """
def classify_stationary_point(H, tol=1e-8):
    lam = np.linalg.eigvalsh(H)
    if lam.max() > tol and lam.min() < -tol:
        return "saddle"
    if np.any(abs(lam) <= tol):
        return "degenerate"
    if (lam < 0).all():
        return "minimum"
    return "maximum"
"""),
    ("classify_never_degenerate", "test_classify_stationary_point", "never return", """
def classify_stationary_point(H, tol=1e-8):
    lam = np.linalg.eigvalsh(H)
    if min(lam) > 0:
        return "minimum"
    elif max(lam) < 0:
        return "maximum"
    else:
        return "saddle"
"""),
    ("classify_degenerate_last", "test_classify_stationary_point", "before minimum and maximum", """
def classify_stationary_point(H, tol=1e-8):
    lam = np.linalg.eigvalsh(H)
    if all(lam > 0):
        return "minimum"
    if all(lam < 0):
        return "maximum"
    if any(abs(lam) <= tol):
        return "degenerate"
    return "saddle"
"""),
    ("classify_degenerate_first", "test_classify_stationary_point", "check for a saddle first", """
def classify_stationary_point(H, tol=1e-8):
    lam = np.linalg.eigvalsh(H)
    if np.any(np.abs(lam) <= tol):
        return "degenerate"
    if np.all(lam > 0):
        return "minimum"
    if np.all(lam < 0):
        return "maximum"
    return "saddle"
"""),
    ("classify_diagonal", "test_classify_stationary_point", "diagonal entries", """
def classify_stationary_point(H, tol=1e-8):
    d = np.diag(H)
    if d.max() > tol and d.min() < -tol:
        return "saddle"
    if np.any(np.abs(d) <= tol):
        return "degenerate"
    if np.all(d > 0):
        return "minimum"
    return "maximum"
"""),
    ("classify_tol_no_abs", "test_classify_stationary_point", "absolute value", """
def classify_stationary_point(H, tol=1e-8):
    lam = np.linalg.eigvalsh(H)
    if any(0 <= v <= tol for v in lam):
        return "degenerate"
    if any(v > 0 for v in lam) and any(v < 0 for v in lam):
        return "saddle"
    if all(v > 0 for v in lam):
        return "minimum"
    return "maximum"
"""),
    ("classify_relative_tol", "test_classify_stationary_point", "absolute", """
def classify_stationary_point(H, tol=1e-8):
    lam = np.linalg.eigvalsh(H)
    scale = np.abs(lam).max()
    if lam.max() > tol * scale and lam.min() < -tol * scale:
        return "saddle"
    if np.any(np.abs(lam) <= tol * scale):
        return "degenerate"
    return "minimum" if lam.min() > 0 else "maximum"
"""),
    ("classify_zeroes_H_in_place", "test_classify_stationary_point", "changed H in place", """
def classify_stationary_point(H, tol=1e-8):
    H[abs(H) < tol] = 0
    lam = np.linalg.eigvalsh(H)
    if lam.max() > tol and lam.min() < -tol:
        return "saddle"
    if np.any(np.abs(lam) <= tol):
        return "degenerate"
    return "minimum" if lam.min() > 0 else "maximum"
"""),
    ("classify_by_determinant", "test_classify_stationary_point", "product of the eigenvalues", """
def classify_stationary_point(H, tol=1e-8):
    lam = np.linalg.eigvalsh(H)
    if lam.max() > tol and lam.min() < -tol:
        return "saddle"
    if abs(np.linalg.det(H)) <= tol:
        return "degenerate"
    if lam.min() > 0:
        return "minimum"
    return "maximum"
"""),
    # Week 2 review: each of these used to score full marks.
    ("gradient_list", "test_gradient", "Python list", """
def gradient(f, x, h=1e-5):
    g = []
    for i in range(len(x)):
        e = np.zeros(len(x)); e[i] = h
        g.append((f(x + e) - f(x - e)) / (2 * h))
    return g
"""),
    ("jacobian_list", "test_jacobian", "list of lists", """
def jacobian(f, x, h=1e-5):
    cols = [(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))]
    return [list(row) for row in np.column_stack(cols)]
"""),
    ("polar_list", "test_polar_jacobian", "list of lists", """
def polar_jacobian(r, theta):
    return [[np.cos(theta), -r * np.sin(theta)], [np.sin(theta), r * np.cos(theta)]]
"""),
    ("polar_richardson", "test_polar_jacobian", "finite-difference estimate", """
def polar_jacobian(r, theta):
    g = lambda p: np.array([p[0] * np.cos(p[1]), p[0] * np.sin(p[1])])
    p = np.array([r, theta], dtype=float)
    def D(h):
        return np.column_stack([(g(p + h * e) - g(p - h * e)) / (2 * h) for e in np.eye(2)])
    d1, d2, d3 = D(4e-3), D(2e-3), D(1e-3)
    r1 = (4 * d2 - d1) / 3
    r2 = (4 * d3 - d2) / 3
    return (16 * r2 - r1) / 15
"""),
    ("hessian_diagonal_ignores_h", "test_hessian", "diagonal ignores the h", """
def hessian(f, x, h=1e-4):
    n = len(x); H = np.zeros((n, n)); f0 = f(x); d = 1e-4
    for i in range(n):
        ei = np.zeros(n); ei[i] = d
        H[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / d**2
        for j in range(i):
            a = np.zeros(n); a[i] = h
            b = np.zeros(n); b[j] = h
            H[i, j] = H[j, i] = (f(x + a + b) - f(x + a - b) - f(x - a + b) + f(x - a - b)) / (4 * h * h)
    return H
"""),
    ("classify_saddle_fixed_tol", "test_classify_stationary_point", "saddle check ignores the tol", """
def classify_stationary_point(H, tol=1e-8):
    lam = np.linalg.eigvalsh(H)
    if lam.max() > 1e-8 and lam.min() < -1e-8:
        return "saddle"
    if np.any(np.abs(lam) <= tol):
        return "degenerate"
    return "minimum" if lam.min() > 0 else "maximum"
"""),
    ("classify_needs_two", "test_classify_stationary_point", "1x1 matrix", """
def classify_stationary_point(H, tol=1e-8):
    lo, *_, hi = np.linalg.eigvalsh(H)
    lam = np.linalg.eigvalsh(H)
    if lo < -tol and hi > tol:
        return "saddle"
    if np.min(np.abs(lam)) <= tol:
        return "degenerate"
    return "minimum" if lo > 0 else "maximum"
"""),
    ("hessian_ignores_h", "test_hessian", "ignore the h", """
def hessian(f, x, h=1e-4):
    h = 1e-4
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            ei = np.zeros(n); ei[i] = h
            ej = np.zeros(n); ej[j] = h
            if i == j:
                H[i, i] = (f(x + ei) - 2 * f(x) + f(x - ei)) / h**2
            else:
                H[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h**2)
                H[j, i] = H[i, j]
    return H
"""),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_with_mistakes(tmp_path_factory.mktemp("a2"), ASSIGNMENT, MISTAKES)


def test_points_add_up_to_ten():
    assert [points_of(t, ASSIGNMENT) for t in TESTS] == [2, 2, 2, 2, 2]


def test_solution_full_marks_and_blank_zero(graded):
    results, _ = graded
    assert results["solution"].status == "graded" and results["solution"].score == 10
    assert results["blank"].status == "graded" and results["blank"].score == 0


@pytest.mark.parametrize("student, test, words, code", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_loses_its_own_points_and_is_named(graded, student, test, words, code):
    results, base = graded
    check_mistake(results[student], TESTS, test, words,
                  base / "out" / "feedback" / student / f"{ASSIGNMENT}.html", ASSIGNMENT)


def test_in_process_judging_agrees_with_the_pipeline(graded):
    results, base = graded
    assert_in_process_agrees(results, base, ASSIGNMENT, MISTAKES)
