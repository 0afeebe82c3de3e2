"""Assignment 3 end to end: the solution scores full marks, the blank release 0, and each
registered mistake, written the way a student would write it, loses points on its own test (the
tests before it keep theirs) and is named in the feedback."""
import pytest

from submissions import assert_in_process_agrees, check_mistake, grade_with_mistakes, points_of

pytestmark = pytest.mark.slow
ASSIGNMENT = "a3_backpropagation"
TESTS = ["test_sigma", "test_feed_forward", "test_cost", "test_backpropagate", "test_train"]

SIGMA = """
def sigma(z):
    return 1 / (1 + np.exp(-z))

"""
BACKPROP_START = """
def backpropagate(weights, biases, x, y):
    activations, zs = feed_forward(weights, biases, x)
    N = x.shape[1]
    L = len(weights)
"""
TRAIN_LOOP = """
    for step in range(n_steps):
        dW, db = backpropagate(weights, biases, x, y)
"""

MISTAKES = [
    ("sigma_sign", "test_sigma", "Sign error", """
def sigma(z):
    return 1 / (1 + np.exp(z))

def d_sigma(z):
    return sigma(z) * (1 - sigma(z))
"""),
    ("d_sigma_of_z", "test_sigma", "apply σ first", SIGMA + """
def d_sigma(z):
    return z * (1 - z)
"""),
    ("d_sigma_no_square", "test_sigma", "Missing a square", SIGMA + """
def d_sigma(z):
    return np.exp(-z) / (1 + np.exp(-z))
"""),
    ("ff_without_input", "test_feed_forward", "start with the input", """
def feed_forward(weights, biases, a0):
    activations = []
    zs = []
    a = a0
    for i in range(len(weights)):
        z = weights[i] @ a + biases[i]
        a = sigma(z)
        zs.append(z)
        activations.append(a)
    return activations, zs
"""),
    ("ff_linear_last", "test_feed_forward", "last layer needs its activation", """
def feed_forward(weights, biases, a0):
    activations, zs = [a0], []
    for i, (W, b) in enumerate(zip(weights, biases)):
        z = np.dot(W, activations[-1]) + b
        zs.append(z)
        if i < len(weights) - 1:
            activations.append(sigma(z))
        else:
            activations.append(z)
    return activations, zs
"""),
    ("ff_no_bias", "test_feed_forward", "biases are missing", """
def feed_forward(weights, biases, a0):
    activations, zs = [a0], []
    for W in weights:
        zs.append(W @ activations[-1])
        activations.append(sigma(zs[-1]))
    return activations, zs
"""),
    ("cost_no_mean", "test_cost", "Missing 1/N", """
def cost(weights, biases, x, y):
    activations, zs = feed_forward(weights, biases, x)
    return float(np.sum((activations[-1] - y) ** 2))
"""),
    ("cost_np_mean", "test_cost", "np.mean divides", """
def cost(weights, biases, x, y):
    activations, zs = feed_forward(weights, biases, x)
    return float(np.mean((activations[-1] - y) ** 2))
"""),
    ("bp_no_N", "test_backpropagate", "Missing 1/N", BACKPROP_START + """
    delta = 2 * (activations[-1] - y) * d_sigma(zs[-1])
    dW, db = [0] * L, [0] * L
    for l in reversed(range(L)):
        dW[l] = delta @ activations[l].T
        db[l] = np.sum(delta, axis=1, keepdims=True)
        if l > 0:
            delta = weights[l].T @ delta * d_sigma(zs[l - 1])
    return dW, db
"""),
    ("bp_no_two", "test_backpropagate", "Missing factor 2", BACKPROP_START + """
    delta = (activations[-1] - y) / N * d_sigma(zs[-1])
    dW, db = [0] * L, [0] * L
    for l in reversed(range(L)):
        dW[l] = delta @ activations[l].T
        db[l] = np.sum(delta, axis=1, keepdims=True)
        if l > 0:
            delta = weights[l].T @ delta * d_sigma(zs[l - 1])
    return dW, db
"""),
    ("bp_transposed", "test_backpropagate", "transposed", BACKPROP_START + """
    delta = 2 * (activations[-1] - y) / N * d_sigma(zs[-1])
    dW, db = [0] * L, [0] * L
    for l in reversed(range(L)):
        dW[l] = activations[l] @ delta.T
        db[l] = np.sum(delta, axis=1, keepdims=True)
        if l > 0:
            delta = weights[l].T @ delta * d_sigma(zs[l - 1])
    return dW, db
"""),
    ("bp_bias_mean", "test_backpropagate", "averaged", BACKPROP_START + """
    delta = 2 * (activations[-1] - y) / N * d_sigma(zs[-1])
    dW, db = [0] * L, [0] * L
    for l in reversed(range(L)):
        dW[l] = delta @ activations[l].T
        db[l] = np.mean(delta, axis=1, keepdims=True)
        if l > 0:
            delta = weights[l].T @ delta * d_sigma(zs[l - 1])
    return dW, db
"""),
    ("bp_d_sigma_of_a", "test_backpropagate", "applied to the activation", BACKPROP_START + """
    delta = 2 * (activations[-1] - y) / N * d_sigma(activations[-1])
    dW, db = [0] * L, [0] * L
    for l in reversed(range(L)):
        dW[l] = delta @ activations[l].T
        db[l] = np.sum(delta, axis=1, keepdims=True)
        if l > 0:
            delta = weights[l].T @ delta * d_sigma(activations[l])
    return dW, db
"""),
    ("bp_no_output_slope", "test_backpropagate", "output layer's error", BACKPROP_START + """
    delta = 2 * (activations[-1] - y) / N
    dW, db = [0] * L, [0] * L
    for l in reversed(range(L)):
        dW[l] = delta @ activations[l].T
        db[l] = np.sum(delta, axis=1, keepdims=True)
        if l > 0:
            delta = weights[l].T @ delta * d_sigma(zs[l - 1])
    return dW, db
"""),
    ("bp_wrong_z", "test_backpropagate", "that layer's z", BACKPROP_START + """
    delta = 2 * (activations[-1] - y) / N * d_sigma(zs[-1])
    dW, db = [0] * L, [0] * L
    for l in reversed(range(L)):
        dW[l] = delta @ activations[l].T
        db[l] = np.sum(delta, axis=1, keepdims=True)
        if l > 0:
            delta = weights[l].T @ delta * d_sigma(zs[l])
    return dW, db
"""),
    ("sigma_in_place", "test_sigma", "changed its argument in place", """
def sigma(z):
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1
    return 1 / z

def d_sigma(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)
"""),
    ("d_sigma_in_place", "test_sigma", "d_sigma changed its argument in place", SIGMA + """
def d_sigma(z):
    z *= -1
    np.exp(z, out=z)
    return z / (1 + z) ** 2
"""),
    ("ff_pops", "test_feed_forward", "emptied the caller's lists", """
def feed_forward(weights, biases, a0):
    activations, zs = [a0], []
    while len(weights) > 0:
        W = weights.pop(0)
        b = biases.pop(0)
        zs.append(W @ activations[-1] + b)
        activations.append(sigma(zs[-1]))
    return activations, zs
"""),
    ("cost_y_in_place", "test_cost", "changed the caller's targets", """
def cost(weights, biases, x, y):
    activations, zs = feed_forward(weights, biases, x)
    y -= activations[-1]
    return float(np.sum(y ** 2) / x.shape[1])
"""),
    # A numerical gradient in place of backpropagation, with a step of its own (not the registered 1e-6).
    ("bp_central_difference", "test_backpropagate", "not backpropagation", """
def backpropagate(weights, biases, x, y, h=1e-5):
    dW = [np.zeros(W.shape) for W in weights]
    db = [np.zeros(b.shape) for b in biases]
    for l in range(len(weights)):
        for grads, params in ((dW, weights), (db, biases)):
            for i in np.ndindex(params[l].shape):
                up = [p.copy() for p in params]
                down = [p.copy() for p in params]
                up[l][i] += h
                down[l][i] -= h
                if params is weights:
                    grads[l][i] = (cost(up, biases, x, y) - cost(down, biases, x, y)) / (2 * h)
                else:
                    grads[l][i] = (cost(weights, up, x, y) - cost(weights, down, x, y)) / (2 * h)
    return dW, db
"""),
    ("bp_reverses_the_list", "test_backpropagate", "reversed the caller's list", BACKPROP_START + """
    delta = 2 * (activations[-1] - y) / N * d_sigma(zs[-1])
    dW, db = [], []
    weights.reverse()
    for k in range(L):
        l = L - 1 - k
        dW.insert(0, delta @ activations[l].T)
        db.insert(0, np.sum(delta, axis=1, keepdims=True))
        if l > 0:
            delta = weights[k].T @ delta * d_sigma(zs[l - 1])
    return dW, db
"""),
    ("train_bias_per_sample", "test_train", "one column per sample", """
def train(weights, biases, x, y, learning_rate, n_steps):
    weights, biases = list(weights), list(biases)
    cost_history = [cost(weights, biases, x, y)]
    for step in range(n_steps):
        activations, zs = feed_forward(weights, biases, x)
        delta = 2.0 / x.shape[1] * (activations[-1] - y) * d_sigma(zs[-1])
        for l in reversed(range(len(weights))):
            dW = delta @ activations[l].T
            if l > 0:
                new_delta = weights[l].T @ delta * d_sigma(zs[l - 1])
            weights[l] = weights[l] - learning_rate * dW
            biases[l] = biases[l] - learning_rate * delta
            if l > 0:
                delta = new_delta
        cost_history.append(cost(weights, biases, x, y))
    return weights, biases, cost_history
"""),
    ("train_in_place", "test_train", "changed the caller's weights", """
def train(weights, biases, x, y, learning_rate, n_steps):
    cost_history = [cost(weights, biases, x, y)]
""" + TRAIN_LOOP + """
        for l in range(len(weights)):
            weights[l] -= learning_rate * dW[l]
            biases[l] -= learning_rate * db[l]
        cost_history.append(cost(weights, biases, x, y))
    return weights, biases, cost_history
"""),
    ("train_no_start", "test_train", "n_steps + 1", """
def train(weights, biases, x, y, learning_rate, n_steps):
    cost_history = []
""" + TRAIN_LOOP + """
        weights = [W - learning_rate * g for W, g in zip(weights, dW)]
        biases = [b - learning_rate * g for b, g in zip(biases, db)]
        cost_history.append(cost(weights, biases, x, y))
    return weights, biases, cost_history
"""),
    ("train_uphill", "test_train", "against the gradient", """
def train(weights, biases, x, y, learning_rate, n_steps):
    cost_history = [cost(weights, biases, x, y)]
""" + TRAIN_LOOP + """
        weights = [W + learning_rate * g for W, g in zip(weights, dW)]
        biases = [b + learning_rate * g for b, g in zip(biases, db)]
        cost_history.append(cost(weights, biases, x, y))
    return weights, biases, cost_history
"""),
    # Review of week 3: a numerical d_sigma, a train that ignores its rate, and momentum used to score full
    # marks (d_sigma) or half of Task 5 (the heart case trained at the visible check's rate, 10).
    ("d_sigma_numerical", "test_sigma", "numerical derivative", SIGMA + """
def d_sigma(z):
    h = 1e-4
    return (sigma(z + h) - sigma(z - h)) / (2 * h)
"""),
    ("train_ignores_rate", "test_train", "ignores its learning_rate", """
def train(weights, biases, x, y, learning_rate, n_steps):
    cost_history = [cost(weights, biases, x, y)]
""" + TRAIN_LOOP + """
        weights = [W - 10 * g for W, g in zip(weights, dW)]
        biases = [b - 10 * g for b, g in zip(biases, db)]
        cost_history.append(cost(weights, biases, x, y))
    return weights, biases, cost_history
"""),
    ("train_momentum", "test_train", "momentum", """
def train(weights, biases, x, y, learning_rate, n_steps):
    cost_history = [cost(weights, biases, x, y)]
    velocity_W = [np.zeros_like(W) for W in weights]
    velocity_b = [np.zeros_like(b) for b in biases]
""" + TRAIN_LOOP + """
        velocity_W = [0.5 * v + g for v, g in zip(velocity_W, dW)]
        velocity_b = [0.5 * v + g for v, g in zip(velocity_b, db)]
        weights = [W - learning_rate * v for W, v in zip(weights, velocity_W)]
        biases = [b - learning_rate * v for b, v in zip(biases, velocity_b)]
        cost_history.append(cost(weights, biases, x, y))
    return weights, biases, cost_history
"""),
    # Forms right on paper that overflow to inf / inf = NaN where |z| > 709, and the complex step, exact to
    # rounding where finite but NaN on a neuron saturated at z near -800.
    ("sigma_overflows", "test_sigma", "sigma returned NaN for large z", """
def sigma(z):
    return np.exp(z) / (1 + np.exp(z))

def d_sigma(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)
"""),
    ("d_sigma_overflows", "test_sigma", "d_sigma returned NaN for very negative z", SIGMA + """
def d_sigma(z):
    return np.exp(-z) / (1 + np.exp(-z)) ** 2
"""),
    ("bp_complex_step", "test_backpropagate", "complex-step", """
def backpropagate(weights, biases, x, y, h=1e-20):
    def complex_cost(ws, bs):
        return np.sum((feed_forward(ws, bs, x)[0][-1] - y) ** 2) / x.shape[1]
    dW = [np.zeros(W.shape) for W in weights]
    db = [np.zeros(b.shape) for b in biases]
    for l in range(len(weights)):
        for grads, params in ((dW, weights), (db, biases)):
            for i in np.ndindex(params[l].shape):
                moved = [p.astype(complex) for p in params]
                moved[l][i] += 1j * h
                if params is weights:
                    grads[l][i] = complex_cost(moved, biases).imag / h
                else:
                    grads[l][i] = complex_cost(weights, moved).imag / h
    return dW, db
"""),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_with_mistakes(tmp_path_factory.mktemp("a3"), ASSIGNMENT, MISTAKES)


def test_points_add_up_to_ten():
    assert [points_of(t, ASSIGNMENT) for t in TESTS] == [1, 2, 1, 4, 2]


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


# --- review of the overflow change (e4a5a77): each finding's regression, judged in process -------------

def _verdict(grade_id, implementations, seed):
    """The grader's verdict on one hidden test for the solution with `implementations` put in its place,
    the calls made by the kernel's own code (as judge_in_process makes them)."""
    import numpy as np

    from autograder.verdict import judge, run_reference
    from submissions import _compiled, kernel_payload
    compiled, namespaces = _compiled(ASSIGNMENT)
    spec, namespace = compiled.tests[grade_id], namespaces[grade_id]
    reference = run_reference(namespace, spec.hidden, seed)
    with np.errstate(all="ignore"):
        payload = kernel_payload(reference, {**namespace, **implementations})
    return judge(grade_id, spec.points, namespace, spec.hidden, seed, payload, reference=reference)


def _sigma_from_exp(z):
    import numpy as np
    return np.exp(z) / (1 + np.exp(z))


def _sigma_stable(z):
    import numpy as np
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


def _d_sigma_from_overflowing_sigma(z):
    s = _sigma_from_exp(z)
    return s * (1 - s)


@pytest.mark.parametrize("implementations", [{"sigma": _sigma_from_exp},
                                             {"sigma": _sigma_from_exp, "d_sigma": _d_sigma_from_overflowing_sigma}],
                         ids=["sigma", "d_sigma_through_sigma"])
def test_a3_nan_where_exp_overflows_is_told_as_nan_with_its_z(implementations):
    """Where e^(±z) overflows, a NaN answer is told as NaN at an index and its z, never as "off by" a tiny
    number (the plain comparison leaves NaN out of its gap and reported 5e-318 there): also where no
    registered mistake is named (d_sigma = s(1 - s) through an overflowing sigma)."""
    for seed in range(3):
        lost = [c for c in _verdict("test_sigma", implementations, seed).cases if not c.passed]
        assert lost and all("overflows" in c.label for c in lost), [c.label for c in lost]
        for case in lost:
            assert "returned nan at index" in case.message and "where z = " in case.message, case.message
            assert "not finite" in case.message and "off by" not in case.message, case.message


def _backpropagate_slope_zero_below(threshold):
    """Honest backpropagation whose σ' is set to 0 below z = threshold (an overflow guard taken too far)."""
    import numpy as np

    def slope(z):
        s = _sigma_stable(z)
        return np.where(z < threshold, 0.0, s * (1 - s))

    def backpropagate(weights, biases, x, y):
        activations, zs = [x], []
        for W, b in zip(weights, biases):
            zs.append(W @ activations[-1] + b)
            activations.append(_sigma_stable(zs[-1]))
        delta = 2 / x.shape[1] * (activations[-1] - y) * slope(zs[-1])
        dW, db = [None] * len(weights), [None] * len(weights)
        for layer in range(len(weights) - 1, -1, -1):
            dW[layer] = delta @ activations[layer].T
            db[layer] = delta.sum(axis=1, keepdims=True)
            if layer:
                delta = (weights[layer].T @ delta) * slope(zs[layer - 1])
        return dW, db
    return backpropagate


def test_a3_backpropagation_that_loses_the_switched_off_entries_is_not_called_a_numerical_gradient():
    """Backpropagation with σ' set to 0 below z = -25 gets every ordinary entry right to rounding and loses
    only the switched-off neuron's tiny entries (z near -31). That is no numerical gradient: the check's
    message points at σ' for very negative z instead, and the numerical-gradient mistake (matched on any
    near-right gradient there, its tolerance being far above those entries) says so too."""
    told = 0
    for seed in range(4):   # where the weights reading the neuron carry most of the tiny entries, it passes
        verdict = _verdict("test_backpropagate", {"backpropagate": _backpropagate_slope_zero_below(-25.0)}, seed)
        lost = [c for c in verdict.cases if not c.passed]
        assert all("switched off" in c.label for c in lost), (seed, [c.label for c in lost])
        for case in lost:
            told += 1
            assert "right to rounding" in case.message and "a σ' set to 0" in case.message, case.message
            assert "signature of a numerical gradient" not in case.message, case.message
            assert case.mistake is None or "a σ' set to 0" in case.mistake, case.mistake
    assert told >= 2, told


def test_a3_a_numerical_gradient_is_still_told_it_is_one():
    """The other side of the line drawn at 1e-12: central differences (h = 1e-5, not the registered 1e-6) get
    ordinary entries right only to about 1e-10, and are told it is a numerical gradient."""
    import numpy as np

    def central(weights, biases, x, y, h=1e-5):
        def cost_of(ws, bs):
            a = x
            for W, b in zip(ws, bs):
                a = _sigma_stable(W @ a + b)
            return np.sum((a - y) ** 2) / x.shape[1]
        grads = []
        for kind, params in (("W", weights), ("b", biases)):
            for layer, P in enumerate(params):
                grad = np.zeros(P.shape)
                for i in np.ndindex(P.shape):
                    up, down = [p.copy() for p in params], [p.copy() for p in params]
                    up[layer][i] += h
                    down[layer][i] -= h
                    grad[i] = ((cost_of(up, biases) - cost_of(down, biases)) if kind == "W" else
                               (cost_of(weights, up) - cost_of(weights, down))) / (2 * h)
                grads.append(grad)
        return grads[:len(weights)], grads[len(weights):]
    for seed in range(2):
        off = [c for c in _verdict("test_backpropagate", {"backpropagate": central}, seed).cases
               if "switched off" in c.label][0]
        assert not off.passed and "signature of a numerical gradient" in off.message, off.message


def _backpropagate_with_inf(weights, biases, x, y):
    """Right, but inf in the entries of the first layer's neuron with the lowest bias (the saturated one)."""
    import numpy as np
    dW, db = _backpropagate_slope_zero_below(-np.inf)(weights, biases, x, y)
    lowest = int(np.argmin(biases[0][:, 0]))
    dW[0][lowest], db[0][lowest] = np.inf, -np.inf
    return dW, db


def test_a3_saturated_inf_is_told_as_nan_or_inf_without_other_numerical_derivatives():
    """inf (not NaN) in the saturated neuron's entries is told as "NaN or inf"; the causes named are the raw
    e^(-z) and the complex step through e^(-z), not "other numerical" derivatives (finite differences give
    finite values there)."""
    saturated = [c for c in _verdict("test_backpropagate", {"backpropagate": _backpropagate_with_inf}, 0).cases
                 if "saturated" in c.label][0]
    assert not saturated.passed and saturated.message.startswith("NaN or inf in exactly"), saturated.message
    assert "or other numerical" not in saturated.message and "written with e^(-z)" in saturated.message


@pytest.mark.parametrize("grade_id", ["test_sigma", "test_backpropagate"])
def test_a3_grading_prints_no_numpy_warnings_in_the_grader(grade_id):
    """The reference and every registered mistake run in the grader at z beyond ±709.78 by design (e^(±z)
    overflows there), and the checks judge a student's inf: none of it may reach the grader's log as a
    RuntimeWarning."""
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _verdict(grade_id, {}, 0)
        _verdict(grade_id, {} if grade_id == "test_sigma" else
                 {"backpropagate": _backpropagate_with_inf}, 0)
    assert not [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
