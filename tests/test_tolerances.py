"""Hidden tests' tolerances, over many students' inputs: correct implementations written another
way (algebraically equal, rounded differently) pass every case, and every registered mistake loses
points for every student. DESIGN.md: tolerances a correct code meets with margin."""
import numpy as np
import pytest

from autograder.compile import compile_assignment, reference_namespaces
from autograder.verdict import as_record as record
from autograder.verdict import compare, run_reference
from conftest import REPO

SEEDS = range(40)
# Tests that train a network for thousands of steps per student: fewer students, same checks.
FEWER_SEEDS = {"test_train": range(6)}


# --- a2_jacobians: other correct ways to write each answer ------------------------------------------

def gradient_in_place(f, x, h=1e-5):
    x = np.array(x, dtype=float)      # a private copy, shifted and restored
    g = np.zeros_like(x)
    for i in range(x.size):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        g[i] = (up - f(x)) * (0.5 / h)
        x[i] = old
    return g


def jacobian_by_rows(f, x, h=1e-5):
    m = len(f(x))
    rows = [[(f(x + h * e)[i] - f(x - h * e)[i]) / 2 / h for e in np.eye(len(x))] for i in range(m)]
    return np.array(rows)


def hessian_all_four_point(f, x, h=1e-4):
    """Every entry, the diagonal too, by the four-point formula (the diagonal's step is then 2h)."""
    n = len(x)
    e = h * np.eye(n)
    H = np.array([[(f(x + e[i] + e[j]) - f(x + e[i] - e[j]) - f(x - e[i] + e[j]) + f(x - e[i] - e[j]))
                   / (4 * h * h) for j in range(n)] for i in range(n)])
    return (H + H.T) / 2


def hessian_of_central_gradient(f, x, h=1e-4):
    """The central-difference Jacobian of the central-difference gradient, symmetrised."""
    e = h * np.eye(len(x))
    grad = lambda p: np.array([(f(p + ei) - f(p - ei)) / (2 * h) for ei in e])
    H = np.column_stack([(grad(x + ej) - grad(x - ej)) / (2 * h) for ej in e])
    return 0.5 * (H + H.T)


def hessian_upper_copied(f, x, h=1e-4):
    n = len(x)
    H = np.zeros((n, n))
    fx = f(x)
    for i in range(n):
        ei = np.zeros(n)
        ei[i] = h
        H[i, i] = (f(x + ei) + f(x - ei) - 2 * fx) / h**2
        for j in range(i + 1, n):
            ej = np.zeros(n)
            ej[j] = h
            H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / 4 / h**2
    return H


def polar_jacobian_stacked(r, theta):
    c, s = np.cos(theta), np.sin(theta)
    return np.vstack([[c, -r * s], [s, r * c]])


def classify_by_sorted_eigenvalues(H, tol=1e-8):
    values = np.sort(np.linalg.eigvals(H).real)
    if values[0] < -tol < tol < values[-1]:
        return "saddle"
    if np.min(np.abs(values)) <= tol:
        return "degenerate"
    return "minimum" if values[0] > 0 else "maximum"


# --- a3_backpropagation ---------------------------------------------------------------------------

def sigma_from_exp(z):
    e = np.exp(z)
    return e / (1.0 + e)


def d_sigma_from_exp(z):
    e = np.exp(-z)
    return e / (1.0 + e) ** 2


def cost_by_norm(weights, biases, x, y):
    a = x
    for W, b in zip(weights, biases):
        a = sigma_from_exp(np.dot(W, a) + b)
    return float(np.linalg.norm(a - y) ** 2 / a.shape[1])


def backpropagate_with_einsum(weights, biases, x, y):
    """Errors from the activations, a(1 - a), and the sums over samples by einsum."""
    activations = [x]
    for W, b in zip(weights, biases):
        activations.append(1.0 / (1.0 + np.exp(-(np.einsum("ij,jk->ik", W, activations[-1]) + b))))
    a = activations[-1]
    delta = (a - y) * a * (1 - a) * 2 / x.shape[1]
    dW, db = [], []
    for layer in reversed(range(len(weights))):
        dW.insert(0, np.einsum("ik,jk->ij", delta, activations[layer]))
        db.insert(0, np.einsum("ik->i", delta)[:, None])
        a = activations[layer]
        delta = np.einsum("ji,jk->ik", weights[layer], delta) * a * (1 - a)
    return dW, db


def train_with_own_loop(weights, biases, x, y, learning_rate, n_steps):
    ws, bs = list(weights), list(biases)
    history = []
    for step in range(n_steps + 1):
        history.append(cost_by_norm(ws, bs, x, y))
        if step == n_steps:
            break
        dW, db = backpropagate_with_einsum(ws, bs, x, y)
        ws = [W - learning_rate * g for W, g in zip(ws, dW)]
        bs = [b - learning_rate * g for b, g in zip(bs, db)]
    return ws, bs, history


# --- a4_taylor ----------------------------------------------------------------------------------------

def taylor_by_polyval(derivatives, a, x):
    import math
    coefficients = [d / math.factorial(k) for k, d in enumerate(derivatives)][::-1]
    value = np.polyval(coefficients, np.asarray(x, dtype=float) - a)
    return float(value) if np.ndim(value) == 0 else value


def maclaurin_exp_direct(x, n):
    import math
    x = np.asarray(x, dtype=float)
    value = sum(x ** k / math.factorial(k) for k in range(n + 1))
    return float(value) if np.ndim(value) == 0 else value


def maclaurin_sin_direct(x, n):
    import math
    x = np.asarray(x, dtype=float)
    value = sum((-1) ** (k // 2) * x ** k / math.factorial(k) for k in range(1, n + 1, 2)) + 0 * x
    return float(value) if np.ndim(value) == 0 else value


def lagrange_by_gamma(M, a, x, n):
    import math
    value = M * np.abs(np.subtract(x, a)) ** (n + 1) / math.gamma(n + 2)
    return float(value) if np.ndim(value) == 0 else value


def linearise_by_rows(f, x0, h=1e-5):
    x0 = np.array(x0, dtype=float)
    f0 = f(x0)
    rows = []
    for i in range(len(f0)):
        row = []
        for j in range(len(x0)):
            step = np.zeros(len(x0))
            step[j] = h
            row.append((f(x0 + step)[i] - f(x0 - step)[i]) / (2 * h))
        rows.append(row)
    J = np.array(rows)
    return lambda x: f0 + J.dot(np.asarray(x) - x0)


def quadratic_from_nested_differences(f, x0, h=1e-4):
    x0 = np.asarray(x0, dtype=float)
    e = h * np.eye(len(x0))
    grad = lambda p: np.array([(f(p + ei) - f(p - ei)) / (2 * h) for ei in e])
    g = grad(x0)
    H = np.column_stack([(grad(x0 + ej) - grad(x0 - ej)) / (2 * h) for ej in e])
    H = (H + H.T) / 2
    f0 = f(x0)
    return lambda x: float(f0 + g.dot(x - x0) + 0.5 * (x - x0).dot(H).dot(x - x0))


# --- a5_optimisation -------------------------------------------------------------------------------

def newton_raphson_while(f, df, x0, tol=1e-10, max_iter=100):
    xs, steps = [x0], 0
    while abs(f(xs[-1])) >= tol:
        if steps == max_iter:
            raise RuntimeError("no convergence")
        d = df(xs[-1])
        if d == 0:
            raise ValueError("zero derivative")
        xs.append(xs[-1] - f(xs[-1]) / d)
        steps += 1
    return xs


def gradient_descent_preallocated(grad, x0, learning_rate, n_steps):
    path = np.empty((n_steps + 1, len(x0)))
    path[0] = x0
    for k in range(n_steps):
        path[k + 1] = path[k] - learning_rate * np.asarray(grad(path[k]))
    return path


def newton_optimise_by_inverse(grad, hess, x0, tol=1e-10, max_iter=100):
    xs = [np.array(x0, dtype=float)]
    while len(xs) <= max_iter and np.linalg.norm(grad(xs[-1])) >= tol:
        xs.append(xs[-1] - np.linalg.inv(hess(xs[-1])) @ grad(xs[-1]))
    return np.array(xs)


def lagrange_by_own_newton(grad_f, g, grad_g, x0, lam0):
    def F(z):
        return np.append(np.asarray(grad_f(z[:-1])) - z[-1] * np.asarray(grad_g(z[:-1])), g(z[:-1]))
    z = np.append(np.asarray(x0, dtype=float), lam0)
    for _ in range(50):
        h = 1e-7
        J = np.column_stack([(F(z + h * e) - F(z - h * e)) / (2 * h) for e in np.eye(len(z))])
        step = np.linalg.solve(J, -F(z))
        z = z + step
        if np.abs(step).max() < 1e-14:
            break
    return z[:-1], float(z[-1])


# --- a6_regression ---------------------------------------------------------------------------------

def chi_squared_by_dot(y, y_model, sigma=1.0):
    r = np.subtract(y, y_model) / np.broadcast_to(np.asarray(sigma, dtype=float), np.shape(y))
    return np.dot(r, r)   # a numpy float, summed in another order


def linear_fit_centred(x, y, sigma=None):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w = np.full(x.size, 1.0) if sigma is None else np.full(x.size, 1.0) / np.asarray(sigma, dtype=float) ** 2
    xw, yw = np.average(x, weights=w), np.average(y, weights=w)
    m = np.sum(w * (x - xw) * (y - yw)) / np.sum(w * (x - xw) ** 2)
    return m, yw - m * xw


def linear_fit_lstsq(x, y, sigma=None):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    s = np.ones(x.size) if sigma is None else np.broadcast_to(np.asarray(sigma, dtype=float), x.shape)
    A = np.column_stack([x, np.ones(x.size)]) / s[:, None]
    return tuple(np.linalg.lstsq(A, y / s, rcond=None)[0])


def linear_fit_uncertainty_by_inverse(x, y, sigma):
    X = np.column_stack([x, np.ones(len(x))])
    W = np.diag(np.broadcast_to(1.0 / np.asarray(sigma, dtype=float) ** 2, (len(x),)))
    return tuple(np.sqrt(np.diag(np.linalg.inv(X.T @ W @ X))))


def linear_fit_uncertainty_by_curve_fit(x, y, sigma):
    from scipy.optimize import curve_fit
    s = np.broadcast_to(np.asarray(sigma, dtype=float), np.shape(x))
    _, covariance = curve_fit(lambda u, m, c: m * u + c, x, y, sigma=s, absolute_sigma=True)
    return tuple(np.sqrt(np.diag(covariance)))


def gaussian_by_scipy(x, mu, sig):
    from scipy.stats import norm
    return norm.pdf(x, mu, sig)


def gaussian_gradient_by_z(x, mu, sig):
    z = (np.asarray(x, dtype=float) - mu) / sig
    g = np.exp(-z * z / 2) / (sig * np.sqrt(2 * np.pi))
    return np.vstack([g * z / sig, g * (z * z - 1) / sig])


def steepest_descent_preallocated(x, y, mu0, sig0, aggression, n_steps):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    path = np.empty((n_steps + 1, 2))
    path[0] = mu0, sig0
    for k in range(n_steps):
        mu, sig = path[k]
        z = (x - mu) / sig
        g = np.exp(-z * z / 2) / (sig * np.sqrt(2 * np.pi))
        r = y - g
        path[k + 1] = path[k] + 2 * aggression * np.array([np.sum(r * g * z / sig), np.sum(r * g * (z * z - 1) / sig)])
    return path


def fit_by_least_squares(x, y, p0):
    from scipy.optimize import least_squares
    model = lambda p: np.exp(-((x - p[0]) ** 2) / (2 * p[1] ** 2)) / (p[1] * np.sqrt(2 * np.pi))
    return tuple(least_squares(lambda p: y - model(p), p0).x)


# --- a1_derivatives ------------------------------------------------------------------------------------

def forward_by_reciprocal(f, x, h=1e-6):
    return (f(x + h) - f(x)) * (1.0 / h)


def central_halved(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / h / 2


def second_by_sum(f, x, h=1e-4):
    return (f(x + h) + f(x - h) - 2 * f(x)) / (h * h)


def product_rule_other_order(f, df, g, dg):
    return lambda x: f(x) * dg(x) + g(x) * df(x)


def chain_rule_other_order(f, df, g, dg):
    return lambda x: dg(x) * df(g(x))


def convergence_order_by_lstsq(hs, errors):
    design = np.column_stack([np.log(hs), np.ones(len(hs))])
    return float(np.linalg.lstsq(design, np.log(errors), rcond=None)[0][0])


def feed_forward_by_loop(weights, biases, a0):
    activations, zs = [np.asarray(a0, dtype=float)], []
    for layer in range(len(weights)):
        z = np.einsum("ij,jk->ik", weights[layer], activations[-1]) + biases[layer]
        zs.append(z)
        activations.append(1.0 / (1.0 + np.exp(-z)))
    return activations, zs


def degree_by_terms(x, tol):
    """Adds terms until the remainder, computed directly, is below tol."""
    n, total, term = 0, 1.0, 1.0
    while abs(np.exp(x) - total) >= tol:
        n += 1
        term = term * x / n
        total = total + term
    return n


ALTERNATIVES = {
    "a1_derivatives": {
        "test_forward_difference": [("forward_difference", forward_by_reciprocal)],
        "test_central_difference": [("central_difference", central_halved)],
        "test_second_difference": [("second_difference", second_by_sum)],
        "test_product_rule": [("product_rule", product_rule_other_order)],
        "test_chain_rule": [("chain_rule", chain_rule_other_order)],
        "test_convergence_order": [("convergence_order", convergence_order_by_lstsq)],
    },
    "a2_jacobians": {
        "test_gradient": [("gradient", gradient_in_place)],
        "test_jacobian": [("jacobian", jacobian_by_rows)],
        "test_hessian": [("hessian", hessian_all_four_point), ("hessian", hessian_of_central_gradient),
                         ("hessian", hessian_upper_copied)],
        "test_polar_jacobian": [("polar_jacobian", polar_jacobian_stacked)],
        "test_classify_stationary_point": [("classify_stationary_point", classify_by_sorted_eigenvalues)],
    },
    "a3_backpropagation": {
        "test_sigma": [("sigma", sigma_from_exp), ("d_sigma", d_sigma_from_exp)],
        "test_feed_forward": [("feed_forward", feed_forward_by_loop)],
        "test_cost": [("cost", cost_by_norm)],
        "test_backpropagate": [("backpropagate", backpropagate_with_einsum)],
        "test_train": [("train", train_with_own_loop)],
    },
    "a4_taylor": {
        "test_taylor_polynomial": [("taylor_polynomial", taylor_by_polyval)],
        "test_maclaurin": [("maclaurin_exp", maclaurin_exp_direct), ("maclaurin_sin", maclaurin_sin_direct)],
        "test_lagrange_remainder_bound": [("lagrange_remainder_bound", lagrange_by_gamma)],
        "test_degree_for_tolerance": [("degree_for_tolerance", degree_by_terms)],
        "test_linearise": [("linearise", linearise_by_rows)],
        "test_quadratic_approximation": [("quadratic_approximation", quadratic_from_nested_differences)],
    },
    "a5_optimisation": {
        "test_newton_raphson": [("newton_raphson", newton_raphson_while)],
        "test_gradient_descent": [("gradient_descent", gradient_descent_preallocated)],
        "test_newton_optimise": [("newton_optimise", newton_optimise_by_inverse)],
        "test_lagrange_solve": [("lagrange_solve", lagrange_by_own_newton)],
    },
    "a6_regression": {
        "test_chi_squared": [("chi_squared", chi_squared_by_dot)],
        "test_linear_fit": [("linear_fit", linear_fit_centred), ("linear_fit", linear_fit_lstsq)],
        "test_linear_fit_uncertainty": [("linear_fit_uncertainty", linear_fit_uncertainty_by_inverse),
                                        ("linear_fit_uncertainty", linear_fit_uncertainty_by_curve_fit)],
        "test_gaussian": [("gaussian", gaussian_by_scipy), ("gaussian_gradient", gaussian_gradient_by_z)],
        "test_steepest_descent_fit": [("steepest_descent_fit", steepest_descent_preallocated)],
        "test_fit_with_scipy": [("fit_with_scipy", fit_by_least_squares)],
    },
}
TESTED = [(a, t) for a, tests in ALTERNATIVES.items() for t in tests]


@pytest.fixture(scope="module")
def compiled():
    out = {}
    for assignment in ALTERNATIVES:
        spec = compile_assignment(REPO / "source" / assignment, assignment)
        out[assignment] = (spec, reference_namespaces(spec))
    return out


def failures(reference, tester):
    return [(c.label, compare(record(c), e)[1]) for c, e in zip(tester.cases, reference.cases)
            if not compare(record(c), e)[0]]


@pytest.mark.parametrize("assignment, grade_id", TESTED)
def test_other_correct_implementations_pass_for_every_student(compiled, assignment, grade_id):
    spec, namespaces = compiled[assignment]
    hidden, namespace = spec.tests[grade_id].hidden, namespaces[grade_id]
    for seed in FEWER_SEEDS.get(grade_id, SEEDS):
        reference = run_reference(namespace, hidden, seed)
        for name, implementation in ALTERNATIVES[assignment][grade_id]:
            failed = failures(reference, run_reference(namespace, hidden, seed, (name, implementation)))
            assert not failed, f"seed {seed}: {implementation.__name__} fails {failed[:1]}"


@pytest.mark.parametrize("assignment, grade_id", TESTED)
def test_every_registered_mistake_loses_points_for_every_student(compiled, assignment, grade_id):
    spec, namespaces = compiled[assignment]
    hidden, namespace = spec.tests[grade_id].hidden, namespaces[grade_id]
    assert len(run_reference(namespace, hidden, 0).mistakes) >= 2
    for seed in FEWER_SEEDS.get(grade_id, SEEDS):
        reference = run_reference(namespace, hidden, seed)
        for name, implementation, message in reference.mistakes:
            mistaken = run_reference(namespace, hidden, seed, (name, implementation))
            assert failures(reference, mistaken), f"seed {seed}: the mistake {message[:60]!r} passes"
            # Matched by its values or by the type of what it raises (both are outcomes the grader compares);
            # only a NameError would mean the mistake itself is broken.
            assert not any(c.outcome == "raised" and c.error_type == "NameError" for c in mistaken.cases), \
                f"seed {seed}: the mistake {message[:60]!r} raises NameError"
