"""Assignment 6 end to end: the solution scores full marks, the blank release 0, and each
registered mistake, written the way a student would write it, loses points on its own test and is
named in the feedback."""
import pytest

from submissions import assert_in_process_agrees, check_mistake, grade_with_mistakes, points_of

pytestmark = pytest.mark.slow
ASSIGNMENT = "a6_regression"
TESTS = ["test_chi_squared", "test_linear_fit", "test_linear_fit_uncertainty", "test_gaussian",
         "test_steepest_descent_fit", "test_fit_with_scipy"]

GAUSSIAN = """
def gaussian(x, mu, sig):
    return 1 / (sig * np.sqrt(2 * np.pi)) * np.exp(-0.5 * ((x - mu) / sig) ** 2)

"""
MISTAKES = [
    ("chi_mean", "test_chi_squared", "not their mean", """
def chi_squared(y, y_model, sigma=1.0):
    r = (np.array(y) - np.array(y_model)) / sigma
    return float(np.mean(r * r))
"""),
    ("chi_sigma", "test_chi_squared", "σ² underneath", """
def chi_squared(y, y_model, sigma=1.0):
    total = 0.0
    for yi, mi, si in zip(y, y_model, np.broadcast_to(sigma, np.shape(y))):
        total += (yi - mi) ** 2 / si
    return float(total)
"""),
    ("lf_unweighted", "test_linear_fit", "Use the weights", """
def linear_fit(x, y, sigma=None):
    x, y = np.asarray(x, float), np.asarray(y, float)
    xm, ym = x.mean(), y.mean()
    m = np.sum((x - xm) * (y - ym)) / np.sum((x - xm) ** 2)
    return m, ym - m * xm
"""),
    ("lf_swapped", "test_linear_fit", "slope first", """
def linear_fit(x, y, sigma=None):
    x, y = np.asarray(x, float), np.asarray(y, float)
    w = np.ones(len(x)) if sigma is None else np.ones(len(x)) / np.asarray(sigma, float) ** 2
    A = np.array([[w.sum(), w @ x], [w @ x, w @ x ** 2]])
    c, m = np.linalg.solve(A, [w @ y, w @ (x * y)])
    return c, m
"""),
    ("lf_one_over_sigma", "test_linear_fit", "not 1/sigma", """
def linear_fit(x, y, sigma=None):
    x, y = np.asarray(x, float), np.asarray(y, float)
    w = np.ones(len(x)) if sigma is None else np.ones(len(x)) / np.asarray(sigma, float)
    S, Sx, Sy, Sxx, Sxy = w.sum(), np.sum(w * x), np.sum(w * y), np.sum(w * x * x), np.sum(w * x * y)
    d = S * Sxx - Sx * Sx
    return (S * Sxy - Sx * Sy) / d, (Sxx * Sy - Sx * Sxy) / d
"""),
    ("lf_polyfit_squared", "test_linear_fit", "1/sigma**4", """
def linear_fit(x, y, sigma=None):
    if sigma is None:
        m, c = np.polyfit(x, y, 1)
    else:
        m, c = np.polyfit(x, y, 1, w=1 / np.asarray(sigma) ** 2 * np.ones(len(x)))
    return m, c
"""),
    ("unc_rescaled", "test_linear_fit_uncertainty", "Do not rescale", """
def linear_fit_uncertainty(x, y, sigma):
    from scipy.optimize import curve_fit
    s = np.full(len(x), 1.0) * sigma
    popt, pcov = curve_fit(lambda t, m, c: m * t + c, x, y, sigma=s)
    return np.sqrt(pcov[0, 0]), np.sqrt(pcov[1, 1])
"""),
    ("unc_variances", "test_linear_fit_uncertainty", "square roots", """
def linear_fit_uncertainty(x, y, sigma):
    x = np.asarray(x, float)
    w = np.ones(len(x)) / np.asarray(sigma, float) ** 2
    X = np.column_stack([x, np.ones(len(x))])
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    return cov[0, 0], cov[1, 1]
"""),
    ("g_no_prefactor", "test_gaussian", "two terms", GAUSSIAN + """
def gaussian_gradient(x, mu, sig):
    g = gaussian(x, mu, sig)
    return np.vstack([g * (x - mu) / sig ** 2, g * (x - mu) ** 2 / sig ** 3])
"""),
    ("g_sign", "test_gaussian", "Sign of ∂g/∂μ", GAUSSIAN + """
def gaussian_gradient(x, mu, sig):
    g = gaussian(x, mu, sig)
    d_mu = -(x - mu) / sig ** 2 * g
    d_sig = ((x - mu) ** 2 / sig ** 3 - 1 / sig) * g
    return np.stack([d_mu, d_sig])
"""),
    ("g_differences", "test_gaussian", "finite differences", GAUSSIAN + """
def gaussian_gradient(x, mu, sig):
    h = 1e-6
    d_mu = (gaussian(x, mu + h, sig) - gaussian(x, mu - h, sig)) / (2 * h)
    d_sig = (gaussian(x, mu, sig + h) - gaussian(x, mu, sig - h)) / (2 * h)
    return np.array([d_mu, d_sig])
"""),
    ("g_fourth_order", "test_gaussian", "fourth-order", GAUSSIAN + """
def gaussian_gradient(x, mu, sig):
    h = 1e-3 * sig
    def diff(f):
        return (-f(2 * h) + 8 * f(h) - 8 * f(-h) + f(-2 * h)) / (12 * h)
    d_mu = diff(lambda e: gaussian(x, mu + e, sig))
    d_sig = diff(lambda e: gaussian(x, mu, sig + e))
    return np.array([d_mu, d_sig])
"""),
    ("sd_ascent", "test_steepest_descent_fit", "Wrong sign", """
def steepest_descent_fit(x, y, mu0, sig0, aggression, n_steps):
    mu, sig = mu0, sig0
    out = [[mu, sig]]
    for k in range(n_steps):
        J = 2 * gaussian_gradient(x, mu, sig) @ (y - gaussian(x, mu, sig))
        mu, sig = mu - aggression * J[0], sig - aggression * J[1]
        out.append([mu, sig])
    return np.array(out)
"""),
    ("sd_no_two", "test_steepest_descent_fit", "factor 2", """
def steepest_descent_fit(x, y, mu0, sig0, aggression, n_steps):
    p = np.zeros((n_steps + 1, 2))
    p[0] = mu0, sig0
    for k in range(n_steps):
        r = y - gaussian(x, p[k, 0], p[k, 1])
        p[k + 1] = p[k] + aggression * gaussian_gradient(x, p[k, 0], p[k, 1]) @ r
    return p
"""),
    ("sd_one_at_a_time", "test_steepest_descent_fit", "together", """
def steepest_descent_fit(x, y, mu0, sig0, aggression, n_steps):
    mu, sig = mu0, sig0
    path = [(mu, sig)]
    for k in range(n_steps):
        mu = mu + aggression * 2 * np.sum((y - gaussian(x, mu, sig)) * gaussian_gradient(x, mu, sig)[0])
        sig = sig + aggression * 2 * np.sum((y - gaussian(x, mu, sig)) * gaussian_gradient(x, mu, sig)[1])
        path.append((mu, sig))
    return np.array(path)
"""),
    ("sd_lists", "test_steepest_descent_fit", "list of lists", """
def steepest_descent_fit(x, y, mu0, sig0, aggression, n_steps):
    path = [[mu0, sig0]]
    for k in range(n_steps):
        mu, sig = path[-1]
        J = -2 * gaussian_gradient(x, mu, sig) @ (y - gaussian(x, mu, sig))
        path.append([mu - aggression * J[0], sig - aggression * J[1]])
    return path
"""),
    ("fws_no_p0", "test_fit_with_scipy", "p0 you are given", """
def fit_with_scipy(x, y, p0):
    from scipy.optimize import curve_fit
    popt, pcov = curve_fit(gaussian, x, y)
    return popt[0], popt[1]
"""),
    ("fws_p0", "test_fit_with_scipy", "starting guess", """
def fit_with_scipy(x, y, p0):
    from scipy.optimize import curve_fit
    result = curve_fit(gaussian, x, y, p0=p0)
    return p0[0], p0[1]
"""),
    ("fws_swapped", "test_fit_with_scipy", "in that order", """
def fit_with_scipy(x, y, p0):
    from scipy.optimize import curve_fit
    popt, pcov = curve_fit(gaussian, x, y, p0=p0)
    return popt[1], popt[0]
"""),
]
# A wrong gradient also misleads the steepest-descent walk that uses it.
DOWNSTREAM = {"test_gaussian": ["test_steepest_descent_fit"]}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_with_mistakes(tmp_path_factory.mktemp("a6"), ASSIGNMENT, MISTAKES)


def test_points_add_up_to_ten():
    assert [points_of(t, ASSIGNMENT) for t in TESTS] == [1, 2, 2, 2, 2, 1]


def test_solution_full_marks_and_blank_zero(graded):
    results, _ = graded
    assert results["solution"].status == "graded" and results["solution"].score == 10, results["solution"].tests
    assert results["blank"].status == "graded" and results["blank"].score == 0


@pytest.mark.parametrize("student, test, words, code", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_loses_its_own_points_and_is_named(graded, student, test, words, code):
    results, base = graded
    unaffected = [t for t in TESTS if t != test and t not in DOWNSTREAM.get(test, [])]
    check_mistake(results[student], TESTS, test, words,
                  base / "out" / "feedback" / student / f"{ASSIGNMENT}.html", ASSIGNMENT, unaffected)


def test_in_process_judging_agrees_with_the_pipeline(graded):
    results, base = graded
    assert_in_process_agrees(results, base, ASSIGNMENT, MISTAKES)
