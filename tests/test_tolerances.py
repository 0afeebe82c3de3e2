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


def jacobian_on_a_copy(f, x, h=1e-5):
    """Shifts a private copy in place and puts each entry back exactly: x itself is never touched."""
    p = np.array(x, dtype=float)
    columns = []
    for j in range(p.size):
        old = p[j]
        p[j] = old + h
        up = np.asarray(f(p), dtype=float).copy()
        p[j] = old - h
        columns.append((up - np.asarray(f(p), dtype=float)) / (2 * h))
        p[j] = old
    return np.stack(columns, axis=1)


def polar_jacobian_stacked(r, theta):
    c, s = np.cos(theta), np.sin(theta)
    return np.vstack([[c, -r * s], [s, r * c]])


def polar_jacobian_by_math(r, theta):
    """math.cos / math.sin and a product in another order: the exact entries, rounded differently."""
    import math
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, -(s * r)], [s, c * r]], dtype=float)


def polar_jacobian_richardson(r, theta):
    """Not right (the task asks for the exact Jacobian): central differences, Richardson-extrapolated twice."""
    to_xy = lambda p: np.array([p[0] * np.cos(p[1]), p[0] * np.sin(p[1])])
    p = np.array([r, theta], dtype=float)
    D = lambda h: np.column_stack([(to_xy(p + h * e) - to_xy(p - h * e)) / (2 * h) for e in np.eye(2)])
    d1, d2, d3 = D(4e-3), D(2e-3), D(1e-3)
    r1, r2 = (4 * d2 - d1) / 3, (4 * d3 - d2) / 3
    return (16 * r2 - r1) / 15


def polar_jacobian_complex_step(r, theta):
    """The complex-step derivative, exact to rounding: values cannot tell it from the formulas (the task
    text says it passes)."""
    to_xy = lambda p: np.array([p[0] * np.cos(p[1]), p[0] * np.sin(p[1])])
    p = np.array([r, theta], dtype=complex)
    return np.column_stack([np.imag(to_xy(p + 1e-30j * e)) / 1e-30 for e in np.eye(2)])


def classify_one_by_one_too(H, tol=1e-8):
    """Loops over the eigenvalues (works for n = 1 like any n)."""
    above = below = zero = False
    for value in np.linalg.eigvalsh(np.array(H, dtype=float)):
        above, below, zero = above or value > tol, below or value < -tol, zero or abs(value) <= tol
    if above and below:
        return "saddle"
    return "degenerate" if zero else "minimum" if above else "maximum"


def gradient_as_list(f, x, h=1e-5):
    """Not right: the right values in a Python list."""
    return [(f(x + e) - f(x - e)) / (2 * h) for e in h * np.eye(len(x))]


def hessian_diagonal_fixed_step(f, x, h=1e-4):
    """Not right: the off-diagonal uses h, the diagonal always 1e-4."""
    n = len(x)
    e, d = h * np.eye(n), 1e-4 * np.eye(n)
    H = np.array([[(f(x + e[i] + e[j]) - f(x + e[i] - e[j]) - f(x - e[i] + e[j]) + f(x - e[i] - e[j])) / (4 * h * h)
                   if i != j else (f(x + d[i]) - 2 * f(x) + f(x - d[i])) / 1e-8 for j in range(n)] for i in range(n)])
    return (H + H.T) / 2


def classify_saddle_fixed_tol(H, tol=1e-8):
    """Not right: the saddle check compares with 1e-8 whatever tol is."""
    values = np.linalg.eigvalsh(H)
    if values.max() > 1e-8 and values.min() < -1e-8:
        return "saddle"
    if np.any(np.abs(values) <= tol):
        return "degenerate"
    return "minimum" if values.min() > 0 else "maximum"


def classify_needs_two(H, tol=1e-8):
    """Not right: unpacking needs n >= 2."""
    lowest, *_, highest = np.linalg.eigvalsh(H)
    if lowest < -tol and highest > tol:
        return "saddle"
    if np.min(np.abs(np.linalg.eigvalsh(H))) <= tol:
        return "degenerate"
    return "minimum" if lowest > 0 else "maximum"


@pytest.mark.parametrize("grade_id, name, mistake", [
    ("test_gradient", "gradient", gradient_as_list),
    ("test_hessian", "hessian", hessian_diagonal_fixed_step),
    ("test_polar_jacobian", "polar_jacobian", polar_jacobian_richardson),
    ("test_classify_stationary_point", "classify_stationary_point", classify_saddle_fixed_tol),
    ("test_classify_stationary_point", "classify_stationary_point", classify_needs_two)])
def test_a2_review_mistakes_lose_points_for_every_student(compiled, grade_id, name, mistake):
    # Week 2 review: each of these used to score full marks for (almost) every student.
    spec, namespaces = compiled["a2_jacobians"]
    hidden, namespace = spec.tests[grade_id].hidden, namespaces[grade_id]
    passing = [seed for seed in SEEDS if not failures(
        run_reference(namespace, hidden, seed), run_reference(namespace, hidden, seed, (name, mistake)))]
    assert not passing, f"{mistake.__name__} passes every case for students {passing[:10]}"


def classify_by_sorted_eigenvalues(H, tol=1e-8):
    values = np.sort(np.linalg.eigvals(H).real)
    if values[0] < -tol < tol < values[-1]:
        return "saddle"
    if np.min(np.abs(values)) <= tol:
        return "degenerate"
    return "minimum" if values[0] > 0 else "maximum"


def classify_by_counting(H, tol=1e-8):
    """Counts eigenvalues above tol, below -tol and within tol of zero (eigh, not eigvalsh)."""
    values = np.linalg.eigh(np.asarray(H, dtype=float))[0]
    up, down = int(np.sum(values > tol)), int(np.sum(values < -tol))
    if up and down:
        return "saddle"
    if up + down < len(values):
        return "degenerate"
    return "minimum" if up else "maximum"


# --- a3_backpropagation ---------------------------------------------------------------------------

def sigma_from_exp(z):
    """σ = e^z / (1 + e^z): right on paper, inf / inf = NaN where e^z overflows (z > 709). A mistake now."""
    e = np.exp(z)
    return e / (1.0 + e)


def d_sigma_from_exp(z):
    """σ' = e^(-z) / (1 + e^(-z))²: right on paper, inf / inf = NaN for z < -709. A mistake now."""
    e = np.exp(-z)
    return e / (1.0 + e) ** 2


def sigma_two_branch(z):
    """The stable two-branch σ: 1 / (1 + e^(-z)) for z >= 0, e^z / (1 + e^z) below (both evaluated, one kept)."""
    z = np.asarray(z, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))


def cost_by_norm(weights, biases, x, y):
    a = x
    for W, b in zip(weights, biases):
        a = sigma_two_branch(np.dot(W, a) + b)
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


def backpropagate_sample_by_sample(weights, biases, x, y, slope=None):
    """One sample at a time, σ in two branches, σ' = 1/(4cosh²(z/2)), the gradients summed over the samples."""
    slope = slope or d_sigma_by_cosh
    N = x.shape[1]
    dW, db = [np.zeros(W.shape) for W in weights], [np.zeros(b.shape) for b in biases]
    for s in range(N):
        a, zs, activations = x[:, s:s + 1], [], [x[:, s:s + 1]]
        for W, b in zip(weights, biases):
            zs.append(W.dot(a) + b)
            a = sigma_two_branch(zs[-1])
            activations.append(a)
        delta = (activations[-1] - y[:, s:s + 1]) * (2.0 / N) * slope(zs[-1])
        for layer in range(len(weights) - 1, -1, -1):
            dW[layer] += np.outer(delta, activations[layer])
            db[layer] += delta
            if layer:
                delta = weights[layer].T.dot(delta) * slope(zs[layer - 1])
    return dW, db


def backpropagate_sigma_sigma_minus(weights, biases, x, y):
    """Backpropagation with σ'(z) = σ(z)σ(-z), σ as 1 / (1 + e^(-z)) (overflow silenced: 1 / (1 + inf) = 0)."""
    return backpropagate_sample_by_sample(weights, biases, x, y, slope=d_sigma_by_pair)


def backpropagate_raw_exp_slope(weights, biases, x, y):
    """Honest backpropagation, but σ' = e^(-z) / (1 + e^(-z))², which is inf / inf = NaN where z < -709."""
    with np.errstate(over="ignore", invalid="ignore"):
        return backpropagate_sample_by_sample(weights, biases, x, y, slope=d_sigma_from_exp)


def sigma_by_tanh(z):
    """σ(z) = ½(1 + tanh(z/2)): exact, but 1 + tanh(z/2) loses digits for very negative z."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def d_sigma_by_cosh(z):
    return 0.25 / np.cosh(0.5 * np.asarray(z, dtype=float)) ** 2


def d_sigma_by_pair(z):
    """σ'(z) = σ(z) σ(-z)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z)) / (1.0 + np.exp(z))


def sigma_by_logaddexp(z):
    """σ(z) = exp(-log(1 + e^(-z))), the log-sum-exp form: never overflows."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))


def d_sigma_by_logaddexp(z):
    """σ'(z) = exp(-z - 2 log(1 + e^(-z))): never overflows."""
    z = np.asarray(z, dtype=float)
    return np.exp(-z - 2.0 * np.logaddexp(0.0, -z))


def backpropagate_with_tanh_sigma(weights, biases, x, y):
    """Backpropagation with σ written with tanh and σ' = s(1 - s) from it: on the switched-off neuron
    (z near -31) its tiny entries are off by up to a few per cent, rounding in 1 + tanh(z/2)."""
    activations, zs = [x], []
    for W, b in zip(weights, biases):
        zs.append(W @ activations[-1] + b)
        activations.append(sigma_by_tanh(zs[-1]))
    slope = [sigma_by_tanh(z) * (1.0 - sigma_by_tanh(z)) for z in zs]
    delta = 2.0 / x.shape[1] * (activations[-1] - y) * slope[-1]
    dW, db = [None] * len(weights), [None] * len(weights)
    for layer in range(len(weights) - 1, -1, -1):
        dW[layer] = delta @ activations[layer].T
        db[layer] = delta.sum(axis=1, keepdims=True)
        if layer:
            delta = (weights[layer].T @ delta) * slope[layer - 1]
    return dW, db


def numerical_backpropagate(h, central=True, complex_step=False):
    """A numerical gradient of the cost, one parameter at a time, handed in as Task 4's answer."""
    def gradient(weights, biases, x, y):
        def cost_of(ws, bs):
            a = x
            for W, b in zip(ws, bs):
                a = 1 / (1 + np.exp(-(W @ a + b)))
            return np.sum((a - y) ** 2) / x.shape[1]
        grads = []
        for kind, params in (("W", weights), ("b", biases)):
            for layer, P in enumerate(params):
                grad = np.zeros(P.shape)
                for index in np.ndindex(P.shape):
                    shifted = []
                    for step in ((1j * h,) if complex_step else (h, -h) if central else (h, 0.0)):
                        moved = [p.astype(complex) if complex_step else p.copy() for p in params]
                        moved[layer][index] += step
                        shifted.append(cost_of(moved, biases) if kind == "W" else cost_of(weights, moved))
                    grad[index] = (shifted[0].imag / h if complex_step else
                                   (shifted[0] - shifted[1]) / (2 * h if central else h))
                grads.append(grad)
        return grads[:len(weights)], grads[len(weights):]
    return gradient


# Steps other than the registered mistakes' (central 1e-6, forward 1e-7, which test_every_registered_mistake
# runs for every student), from the largest to the smallest a student might choose. Each runs every case of
# the test by finite differences, so on fewer students.
NUMERICAL = {f"{'central' if central else 'forward'} difference, h = {h:g}": numerical_backpropagate(h, central)
             for central, steps in ((True, (1e-2, 1e-4, 1e-8)), (False, (1e-5, 1e-9))) for h in steps}
NUMERICAL_SEEDS = range(8)


@pytest.mark.parametrize("name", list(NUMERICAL))
def test_a3_a_numerical_gradient_loses_points_and_is_told_why(compiled, name):
    """Task 4 asks for backpropagation: a finite-difference gradient, whatever its step, loses the case
    with the switched-off neuron for every student, and its feedback says why it is not the task."""
    spec, namespaces = compiled["a3_backpropagation"]
    hidden, namespace = spec.tests["test_backpropagate"].hidden, namespaces["test_backpropagate"]
    for seed in NUMERICAL_SEEDS:
        reference = run_reference(namespace, hidden, seed)
        failed = dict(failures(reference, run_reference(namespace, hidden, seed, ("backpropagate", NUMERICAL[name]))))
        told = [m for label, m in failed.items() if "switched off" in label]
        assert told and "numerical gradient" in told[0] and "backpropagation" in told[0], (seed, failed)


def saturated_verdicts(compiled, implementation, seed):
    """The judge's verdicts on the saturated-neuron case (z near -800) of test_backpropagate."""
    from autograder.verdict import judge
    spec, namespaces = compiled["a3_backpropagation"]
    hidden, namespace = spec.tests["test_backpropagate"].hidden, namespaces["test_backpropagate"]
    from submissions import kernel_payload
    reference = run_reference(namespace, hidden, seed)
    with np.errstate(all="ignore"):   # the student's calls made by the kernel's own code, as grading makes them
        payload = kernel_payload(reference, {**namespace, "backpropagate": implementation})
    verdict = judge("test_backpropagate", 4, namespace, hidden, seed, payload, reference=reference)
    return [c for c in verdict.cases if "saturated" in c.label], verdict


def test_a3_complex_step_loses_points(compiled):
    """The complex step, Im C(θ + ih) / h, is exact to rounding where it is finite; on the saturated neuron
    (z near -800) it is NaN, and the feedback names both causes of that NaN and backpropagation's exact 0."""
    for seed in range(5):
        saturated, verdict = saturated_verdicts(compiled, numerical_backpropagate(1e-20, complex_step=True), seed)
        assert verdict.points < 4 and len(saturated) == 1 and not saturated[0].passed, (seed, verdict.points)
        told = saturated[0].message + " " + (saturated[0].mistake or "")
        for words in ("complex-step", "not backpropagation", "e^(-z) / (1 + e^(-z))²", "exact 0"):
            assert words in told, (seed, words, told)
        assert saturated[0].mistake and "complex-step" in saturated[0].mistake, seed
        # Everywhere else the complex step is right: only the saturated case is lost.
        assert [c.label for c in verdict.cases if not c.passed] == [saturated[0].label], seed


def test_a3_overflowing_slope_in_backpropagation_is_told_both_causes(compiled):
    """Honest backpropagation with σ' = e^(-z) / (1 + e^(-z))² leaves the same NaN as the complex step: it loses
    the saturated case and only that, and the message names the raw e^(-z) as a cause beside the complex step."""
    for seed in range(5):
        saturated, verdict = saturated_verdicts(compiled, backpropagate_raw_exp_slope, seed)
        assert len(saturated) == 1 and not saturated[0].passed, seed
        assert [c.label for c in verdict.cases if not c.passed] == [saturated[0].label], seed
        assert "raw e^(-z)" in saturated[0].message and "complex-step" in saturated[0].message, saturated[0].message


def test_a3_other_wrong_answers_on_the_saturated_neuron_get_the_ordinary_message(compiled):
    """Finite but wrong (the 1/N missing) is told the ordinary way, with no word of NaN or complex steps."""
    def no_one_over_n(weights, biases, x, y):
        dW, db = backpropagate_with_einsum(weights, biases, x, y)
        return [g * x.shape[1] for g in dW], [g * x.shape[1] for g in db]
    for seed in range(3):
        saturated, _ = saturated_verdicts(compiled, no_one_over_n, seed)
        assert not saturated[0].passed and "the gradient is wrong" in saturated[0].message, saturated[0].message
        assert "NaN" not in saturated[0].message and "complex" not in saturated[0].message


OVERFLOWING = [("sigma", sigma_from_exp, "sigma returned NaN for large z"),
               ("d_sigma", d_sigma_from_exp, "d_sigma returned NaN for very negative z")]


@pytest.mark.parametrize("name, implementation, words", OVERFLOWING, ids=[o[1].__name__ for o in OVERFLOWING])
def test_a3_overflowing_forms_lose_points_in_task_1_and_are_named(compiled, name, implementation, words):
    """e^z / (1 + e^z) and e^(-z) / (1 + e^(-z))² are right on paper and pass every case but the one where
    e^(±z) overflows (|z| > 709): there they give inf / inf = NaN, lose points, and are named."""
    from autograder.verdict import judge
    spec, namespaces = compiled["a3_backpropagation"]
    hidden, namespace = spec.tests["test_sigma"].hidden, namespaces["test_sigma"]
    from submissions import kernel_payload
    for seed in range(10):
        reference = run_reference(namespace, hidden, seed)
        with np.errstate(all="ignore"):
            payload = kernel_payload(reference, {**namespace, name: implementation})
        verdict = judge("test_sigma", 1, namespace, hidden, seed, payload, reference=reference)
        lost = [c for c in verdict.cases if not c.passed]
        assert verdict.points < 1 and lost and all("overflows" in c.label for c in lost), (seed, verdict.points)
        assert all(c.mistake and words in c.mistake and "inf / inf" in c.mistake for c in lost), \
            [(c.label, c.mistake) for c in lost]


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


def degree_by_lagrange_bound(x, tol):
    """The registered Task 4 mistake, written as a student would: the Lagrange bound with M = e^max(x, 0)
    in place of the actual error."""
    import math
    n = 0
    while math.exp(max(x, 0)) * abs(x) ** (n + 1) / math.factorial(n + 1) >= tol:
        n += 1
    return n


def maclaurin_sin_from_x(x, n):
    """Starts the sine's sum at x: right for every degree but 0."""
    x = np.asarray(x, dtype=float)
    total = x.copy()
    for k in range(3, n + 1, 2):
        total = total + (-1) ** ((k - 1) // 2) * x ** k / np.prod(np.arange(1.0, k + 1))
    return float(total) if total.ndim == 0 else total


def degree_by_next_term(x, tol):
    """The textbook rule "stop when the next term is below tol" (the Lagrange bound with M = 1): it used
    to get full marks for 221 of 300 students."""
    import math
    n = 0
    while abs(x) ** (n + 1) / math.factorial(n + 1) >= tol:
        n += 1
    return n


def degree_as_float(x, tol):
    """The right degree, counted in a float (14.0)."""
    n = 0.0
    while abs(np.exp(x) - maclaurin_exp_direct(x, int(n))) >= tol:
        n += 1
    return n


def lagrange_a_minus_x(M, a, x, n):
    """No absolute value, the distance written a - x: used to pass for 123 of 300 students."""
    import math
    return M * (a - x) ** (n + 1) / math.factorial(n + 1)


def lagrange_x_minus_a(M, a, x, n):
    import math
    return M * (x - a) ** (n + 1) / math.factorial(n + 1)


def maclaurin_sin_zero_d(x, n):
    """Right values, but a 0-d array for a float x (np.zeros_like summed in place)."""
    import math
    x = np.asarray(x, dtype=float)
    total = np.zeros_like(x)
    for k in range(1, n + 1, 2):
        total += (-1) ** (k // 2) * x ** k / math.factorial(k)
    return total


def maclaurin_sin_int_zero(x, n):
    """Right at every degree >= 1; the int 0 at degree 0 (for an array x too)."""
    import math
    total = 0
    for k in range(1, n + 1, 2):
        total = total + (-1) ** (k // 2) * x ** k / math.factorial(k)
    return total


def maclaurin_sin_int_zero_for_floats(x, n):
    """Zeros of x's shape for an array; for a float x the int 0 at degree 0 (the task says 0.0)."""
    import math
    total = np.zeros_like(x) if isinstance(x, np.ndarray) else 0
    for k in range(1, n + 1, 2):
        total = total + (-1) ** (k // 2) * x ** k / math.factorial(k)
    return total


def taylor_as_list(derivatives, a, x):
    import math
    p = lambda z: sum(d * (z - a) ** k / math.factorial(k) for k, d in enumerate(derivatives))
    return float(p(x)) if np.ndim(x) == 0 else [p(z) for z in x]


def taylor_flattened(derivatives, a, x):
    import math
    x = np.asarray(x, dtype=float)
    p = lambda z: sum(d * (z - a) ** k / math.factorial(k) for k, d in enumerate(derivatives))
    return float(p(x)) if x.ndim == 0 else np.array([p(z) for z in x.flatten()])


def taylor_first_five(derivatives, a, x):
    """Uses at most the first 5 derivatives (a hard-coded degree 4): used to pass for 16 of 300 students."""
    import math
    value = sum(d * (np.asarray(x, dtype=float) - a) ** k / math.factorial(k) for k, d in enumerate(derivatives[:5]))
    return float(value) if np.ndim(value) == 0 else value


def linearise_as_list(f, x0, h=1e-5):
    x0 = np.asarray(x0, dtype=float)
    J = np.column_stack([(f(x0 + e) - f(x0 - e)) / (2 * h) for e in h * np.eye(len(x0))])
    return lambda x: [f(x0)[i] + J[i] @ (x - x0) for i in range(len(J))]


def quadratic_zero_d(f, x0, h=1e-4):
    """Right values, but Q returns a 0-d array."""
    inner = quadratic_from_nested_differences(f, x0, h)
    return lambda x: np.array(inner(x))


@pytest.mark.parametrize("grade_id, name, mistake", [
    ("test_degree_for_tolerance", "degree_for_tolerance", degree_by_lagrange_bound),
    ("test_degree_for_tolerance", "degree_for_tolerance", degree_by_next_term),
    ("test_degree_for_tolerance", "degree_for_tolerance", degree_as_float),
    ("test_lagrange_remainder_bound", "lagrange_remainder_bound", lagrange_a_minus_x),
    ("test_lagrange_remainder_bound", "lagrange_remainder_bound", lagrange_x_minus_a),
    ("test_maclaurin", "maclaurin_sin", maclaurin_sin_from_x),
    ("test_maclaurin", "maclaurin_sin", maclaurin_sin_zero_d),
    ("test_maclaurin", "maclaurin_sin", maclaurin_sin_int_zero),
    ("test_maclaurin", "maclaurin_sin", maclaurin_sin_int_zero_for_floats),
    ("test_taylor_polynomial", "taylor_polynomial", taylor_as_list),
    ("test_taylor_polynomial", "taylor_polynomial", taylor_flattened),
    ("test_taylor_polynomial", "taylor_polynomial", taylor_first_five),
    ("test_linearise", "linearise", linearise_as_list),
    ("test_quadratic_approximation", "quadratic_approximation", quadratic_zero_d)])
def test_a4_issue_mistakes_lose_points_for_300_students(compiled, grade_id, name, mistake):
    # Issue 24: the Lagrange-bound answer used to pass every case for about 30 of 300 students, and a sine
    # wrong at degree 0 for all of them. Week 4 review: the next-term rule (221 of 300), the unsigned power
    # (a - x)**(n + 1) (123 of 300), the first five derivatives only (16 of 300) and right values of the
    # wrong type or shape (every student) used to pass too. Now each loses at least one case for every one
    # of 300 students.
    spec, namespaces = compiled["a4_taylor"]
    hidden, namespace = spec.tests[grade_id].hidden, namespaces[grade_id]
    passing = [seed for seed in range(300) if not failures(
        run_reference(namespace, hidden, seed), run_reference(namespace, hidden, seed, (name, mistake)))]
    assert not passing, f"{mistake.__name__} passes every case for students {passing[:10]}"


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


def newton_raphson_not_slope(f, df, x0, tol=1e-10, max_iter=100):
    """Tests the slope with `not`, the gradient with abs(); a for-else for the last iterate."""
    xs = [x0]
    for _ in range(max_iter):
        value = f(xs[-1])
        if abs(value) < tol:
            break
        slope = df(xs[-1])
        if not slope:
            raise ValueError(f"f'({xs[-1]}) = 0")
        xs.append(xs[-1] - value / slope)
    else:
        if abs(f(xs[-1])) >= tol:
            raise RuntimeError("no convergence")
    return xs


def newton_optimise_by_dot(grad, hess, x0, tol=1e-10, max_iter=100):
    """|g| as sqrt(g·g), the step by lstsq, rows stacked with vstack."""
    x, rows = np.array(x0, dtype=float), []
    for k in range(max_iter + 1):
        rows.append(x)
        g = np.asarray(grad(x), dtype=float)
        if np.sqrt(g @ g) < tol or k == max_iter:
            break
        x = x - np.linalg.lstsq(np.asarray(hess(x), dtype=float), g, rcond=None)[0]
    return np.vstack(rows)


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


def next_step_lecture_hybrid(f, J, H):
    """Week 5 notebook 3's hybrid: Newton when H is positive definite, downhill and at most 1 long,
    else -0.5 J capped at length 1."""
    J, H = np.asarray(J, dtype=float), np.asarray(H, dtype=float)
    d = -np.linalg.solve(H, J)
    if np.linalg.eigvalsh(H).min() > 0 and J @ d < 0 and np.linalg.norm(d) <= 1.0:
        return d
    step = -0.5 * J
    return step if np.linalg.norm(step) <= 1.0 else step / np.linalg.norm(step)


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


def linear_fit_by_polyfit(x, y, sigma=None):
    """Allowed (Week 6 review): np.polyfit's w multiplies each residual, so w = 1/sigma."""
    w = None if sigma is None else np.broadcast_to(1 / np.asarray(sigma, dtype=float), np.shape(x))
    m, c = np.polyfit(x, y, 1, w=w)
    return m, c


def gaussian_gradient_by_complex_step(x, mu, sig, h=1e-30):
    """Exact to rounding (no difference is taken), so accepted, as Task 4 says."""
    x = np.asarray(x, dtype=float)
    g = lambda m, s: np.exp(-((x - m) ** 2) / (2 * s ** 2)) / (s * np.sqrt(2 * np.pi))
    return np.array([g(mu + 1j * h, sig).imag / h, g(mu, sig + 1j * h).imag / h])


def gaussian_gradient_in_log_space(x, mu, sig):
    d = np.asarray(x, dtype=float) - mu
    g = np.exp(-0.5 * (d / sig) ** 2 - np.log(sig) - 0.5 * np.log(2 * np.pi))
    return np.stack([d / (sig * sig) * g, (d * d - sig * sig) / sig ** 3 * g])


def steepest_descent_as_array_of_list(x, y, mu0, sig0, aggression, n_steps):
    from scipy.stats import norm
    path = [[mu0, sig0]]
    for _ in range(n_steps):
        mu, sig = path[-1]
        g = norm.pdf(x, mu, sig)
        rows = np.array([g * (x - mu) / sig ** 2, g * ((x - mu) ** 2 / sig ** 3 - 1 / sig)])
        step = 2 * rows @ (y - g)
        path.append([mu + aggression * step[0], sig + aggression * step[1]])
    return np.asarray(path)


def fourth_order_gradient(step, relative):
    def gaussian_gradient(x, mu, sig):
        h = step * sig if relative else step
        g = lambda m, s: np.exp(-((np.asarray(x, dtype=float) - m) ** 2) / (2 * s ** 2)) / (s * np.sqrt(2 * np.pi))
        d = lambda f: (f(-2 * h) - 8 * f(-h) + 8 * f(h) - f(2 * h)) / (12 * h)
        return np.array([d(lambda e: g(mu + e, sig)), d(lambda e: g(mu, sig + e))])
    return gaussian_gradient


@pytest.mark.parametrize("step, relative", [(1e-2, True), (1e-3, True), (1e-4, True), (1e-5, True), (1e-4, False)])
def test_a6_fourth_order_differences_lose_points_for_every_student(compiled, step, relative):
    # Week 6 review: fourth-order differences with h = 1e-3 σ kept 1.11 to 1.56 of 2 points. The case far in the
    # tails (12σ to 20σ from μ, rtol 1e-12) now fails them for every student, whatever the step.
    spec, namespaces = compiled["a6_regression"]
    hidden, namespace = spec.tests["test_gaussian"].hidden, namespaces["test_gaussian"]
    mistake = fourth_order_gradient(step, relative)
    passing = [seed for seed in SEEDS if not [label for label, _ in failures(
        run_reference(namespace, hidden, seed), run_reference(namespace, hidden, seed, ("gaussian_gradient", mistake)))
        if "far in the tails" in label]]
    assert not passing, f"h = {step:g}{' σ' if relative else ''} passes the tails case for students {passing[:10]}"


# --- a1_derivatives ------------------------------------------------------------------------------------

def forward_by_reciprocal(f, x, h=1e-6):
    return (f(x + h) - f(x)) * (1.0 / h)


def central_halved(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / h / 2


def second_by_sum(f, x, h=1e-4):
    return (f(x + h) + f(x - h) - 2 * f(x)) / (h * h)


def central_via_asarray(f, x, h=1e-5):
    """Works on np.asarray(x) and hands a float back for a float x (a 0-d result made a float)."""
    x = np.asarray(x, dtype=float)
    estimate = np.asarray((f(x + h) - f(x - h)) / (2.0 * h))
    return float(estimate) if estimate.ndim == 0 else estimate


def second_via_asarray(f, x, h=1e-4):
    x = np.asarray(x, dtype=float)
    estimate = np.asarray((f(x + h) - 2.0 * f(x) + f(x - h)) / h**2)
    return float(estimate) if estimate.ndim == 0 else estimate


def product_rule_other_order(f, df, g, dg):
    return lambda x: f(x) * dg(x) + g(x) * df(x)


def forward_via_asarray(f, x, h=1e-6):
    """np.subtract/np.divide on np.asarray(x): a float back for a float x, an array for an array."""
    estimate = np.divide(np.subtract(f(np.asarray(x, dtype=float) + h), f(np.asarray(x, dtype=float))), h)
    return float(estimate) if np.ndim(estimate) == 0 else estimate


def product_rule_by_def(f, df, g, dg):
    def derivative(x):
        u, v = f(x), g(x)
        return v * df(x) + u * dg(x)
    return derivative


def chain_rule_by_multiply(f, df, g, dg):
    def derivative(x):
        inner = g(x)
        return np.multiply(df(inner), dg(x))
    return derivative


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


def degree_by_argmax(x, tol):
    """The first degree in a table of errors: an np.int64, which is an int."""
    import math
    partial = np.cumsum([x ** k / math.factorial(k) for k in range(60)])
    return np.argmax(np.abs(np.exp(x) - partial) < tol)


def taylor_by_horner(derivatives, a, x):
    """Horner's rule on the whole array: x's shape kept, np.float64 for a float x."""
    import math
    d = np.asarray(x, dtype=float) - a
    value = np.zeros_like(d)
    for k in range(len(derivatives) - 1, -1, -1):
        value = value * d + derivatives[k] / math.factorial(k)
    return value[()] if value.ndim == 0 else value


def maclaurin_sin_by_mask(x, n):
    """Every term k <= n with a mask for the odd ones; np.float64 for a float x."""
    import math
    x = np.asarray(x, dtype=float)
    total = 0.0 * x
    for k in range(n + 1):
        total = total + (k % 2) * (-1) ** (k // 2) * x ** k / math.factorial(k)
    return total[()] if np.ndim(total) == 0 else total


def lagrange_by_math(M, a, x, n):
    """math for a float, numpy for an array."""
    import math
    if np.ndim(x) == 0:
        return M * math.fabs(x - a) ** (n + 1) / math.factorial(n + 1)
    return M * np.abs(x - a) ** (n + 1) / math.factorial(n + 1)


def quadratic_returning_float64(f, x0, h=1e-4):
    """Q returns an np.float64 (no float()), which is a float."""
    x0 = np.asarray(x0, dtype=float)
    n = len(x0)
    E = h * np.eye(n)
    g = np.array([(f(x0 + E[i]) - f(x0 - E[i])) / (2 * h) for i in range(n)])
    H = np.array([[(f(x0 + E[i] + E[j]) - f(x0 + E[i] - E[j]) - f(x0 - E[i] + E[j]) + f(x0 - E[i] - E[j]))
                   / (4 * h * h) for j in range(n)] for i in range(n)])
    f0 = np.float64(f(x0))
    return lambda x: f0 + np.dot(g, x - x0) + 0.5 * np.dot(x - x0, H.dot(x - x0))


def linearise_by_einsum(f, x0, h=1e-5):
    x0 = np.asarray(x0, dtype=float)
    J = np.stack([(f(x0 + e) - f(x0 - e)) / (2 * h) for e in h * np.eye(len(x0))], axis=1)
    f0 = f(x0)
    return lambda x: f0 + np.einsum("ij,j->i", J, x - x0)


ALTERNATIVES = {
    "a1_derivatives": {
        "test_forward_difference": [("forward_difference", forward_by_reciprocal),
                                    ("forward_difference", forward_via_asarray)],
        "test_central_difference": [("central_difference", central_halved),
                                    ("central_difference", central_via_asarray)],
        "test_second_difference": [("second_difference", second_by_sum),
                                   ("second_difference", second_via_asarray)],
        "test_product_rule": [("product_rule", product_rule_other_order), ("product_rule", product_rule_by_def)],
        "test_chain_rule": [("chain_rule", chain_rule_other_order), ("chain_rule", chain_rule_by_multiply)],
        "test_convergence_order": [("convergence_order", convergence_order_by_lstsq)],
    },
    "a2_jacobians": {
        "test_gradient": [("gradient", gradient_in_place)],
        "test_jacobian": [("jacobian", jacobian_by_rows), ("jacobian", jacobian_on_a_copy)],
        "test_hessian": [("hessian", hessian_all_four_point), ("hessian", hessian_of_central_gradient),
                         ("hessian", hessian_upper_copied)],
        "test_polar_jacobian": [("polar_jacobian", polar_jacobian_stacked), ("polar_jacobian", polar_jacobian_by_math),
                                ("polar_jacobian", polar_jacobian_complex_step)],
        "test_classify_stationary_point": [("classify_stationary_point", classify_by_sorted_eigenvalues),
                                           ("classify_stationary_point", classify_by_counting),
                                           ("classify_stationary_point", classify_one_by_one_too)],
    },
    "a3_backpropagation": {
        "test_sigma": [("sigma", sigma_two_branch), ("sigma", sigma_by_tanh), ("sigma", sigma_by_logaddexp),
                       ("d_sigma", d_sigma_by_cosh), ("d_sigma", d_sigma_by_pair), ("d_sigma", d_sigma_by_logaddexp)],
        "test_feed_forward": [("feed_forward", feed_forward_by_loop)],
        "test_cost": [("cost", cost_by_norm)],
        "test_backpropagate": [("backpropagate", backpropagate_with_einsum),
                               ("backpropagate", backpropagate_sample_by_sample),
                               ("backpropagate", backpropagate_sigma_sigma_minus),
                               ("backpropagate", backpropagate_with_tanh_sigma)],
        "test_train": [("train", train_with_own_loop)],
    },
    "a4_taylor": {
        "test_taylor_polynomial": [("taylor_polynomial", taylor_by_polyval), ("taylor_polynomial", taylor_by_horner)],
        "test_maclaurin": [("maclaurin_exp", maclaurin_exp_direct), ("maclaurin_sin", maclaurin_sin_direct),
                           ("maclaurin_sin", maclaurin_sin_by_mask)],
        "test_lagrange_remainder_bound": [("lagrange_remainder_bound", lagrange_by_gamma),
                                          ("lagrange_remainder_bound", lagrange_by_math)],
        "test_degree_for_tolerance": [("degree_for_tolerance", degree_by_terms),
                                      ("degree_for_tolerance", degree_by_argmax)],
        "test_linearise": [("linearise", linearise_by_rows), ("linearise", linearise_by_einsum)],
        "test_quadratic_approximation": [("quadratic_approximation", quadratic_from_nested_differences),
                                         ("quadratic_approximation", quadratic_returning_float64)],
    },
    "a5_optimisation": {
        "test_newton_raphson": [("newton_raphson", newton_raphson_while), ("newton_raphson", newton_raphson_not_slope)],
        "test_gradient_descent": [("gradient_descent", gradient_descent_preallocated)],
        "test_newton_optimise": [("newton_optimise", newton_optimise_by_inverse),
                                 ("newton_optimise", newton_optimise_by_dot)],
        "test_next_step": [("next_step", next_step_lecture_hybrid)],
        "test_lagrange_solve": [("lagrange_solve", lagrange_by_own_newton)],
    },
    "a6_regression": {
        "test_chi_squared": [("chi_squared", chi_squared_by_dot)],
        "test_linear_fit": [("linear_fit", linear_fit_centred), ("linear_fit", linear_fit_lstsq),
                            ("linear_fit", linear_fit_by_polyfit)],
        "test_linear_fit_uncertainty": [("linear_fit_uncertainty", linear_fit_uncertainty_by_inverse),
                                        ("linear_fit_uncertainty", linear_fit_uncertainty_by_curve_fit)],
        "test_gaussian": [("gaussian", gaussian_by_scipy), ("gaussian_gradient", gaussian_gradient_by_z),
                          ("gaussian_gradient", gaussian_gradient_by_complex_step),
                          ("gaussian_gradient", gaussian_gradient_in_log_space)],
        "test_steepest_descent_fit": [("steepest_descent_fit", steepest_descent_preallocated),
                                      ("steepest_descent_fit", steepest_descent_as_array_of_list)],
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
