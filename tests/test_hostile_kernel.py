"""Attacks on hidden tests from inside the student's kernel: nothing is judged there and no answer is
kept there, so no attack earns more than the same student's honest work.

Each assignment is graded through the real pipeline (sandboxed kernel, `grade_assignment`) with
pairs of submissions: an honest twin (plausible wrong answers, written honestly) and the same
answers with an attack added, one per class the issue names:
- patched comparisons: numpy's array_equal / allclose / isclose and builtins.isinstance replaced;
- stack-walking writes: the student's function walks the call stack and overwrites what it finds
  (a kept copy of an input, the arguments it was called with);
- lying subclasses: float and ndarray subclasses that claim any type, equality or transpose;
- borrowing instructor code: the kernel is searched (gc, frames) for the hidden test's functions,
  helpers and checks, which are called if found;
- reading the caller's frame: a strategy looks for the target's position in the frames above it;
- reading a closure: functions given to the student's code are searched for an answer.
Every attack also reports what it found; nothing of the hidden tests may be among it.
"""
import json
import shutil
import textwrap

import nbformat
import pytest

from autograder.limits import Limits
from conftest import REPO
from submissions import points_of, solution, submit

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not shutil.which("bwrap"), reason="the sandbox needs the Debian package bubblewrap")]

LIMITS = Limits(cell_seconds=60, notebook_seconds=300)

# What a student's function can find of the grader while a hidden test calls it: functions of the
# hidden test anywhere in memory (gc), and every variable of every frame above it.
SNOOP = '''
import gc as _gc, sys as _sys, types as _types
FOUND = set()

def snoop():
    for obj in _gc.get_objects():
        if type(obj) is _types.FunctionType and obj.__code__.co_filename == "<hidden tests>":
            FOUND.add("hidden-test function " + obj.__code__.co_name)
    frame = _sys._getframe(1)
    values = []
    while frame is not None:
        for key, value in list(frame.f_locals.items()):
            FOUND.add(f"{frame.f_code.co_filename}:{frame.f_code.co_name}:{key}")
            values.append((key, value))
        frame = frame.f_back
    return values

def borrowed(name):
    """An instructor's function of that name, if one is anywhere in the kernel."""
    for obj in _gc.get_objects():
        if type(obj) is _types.FunctionType and obj.__code__.co_filename == "<hidden tests>" \
                and obj.__code__.co_name == name:
            return obj
    return None
'''
REPORT = "print('FOUND', sorted(FOUND))"
PATCHES = '''
import builtins as _builtins
np.array_equal = lambda *a, **k: True
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True

class Liar(float):
    def __eq__(self, other):
        return True
    __hash__ = float.__hash__

class Mirror(np.ndarray):
    @property
    def T(self):
        return self
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)
'''


def with_cells(nb, first, last):  # noqa: D401
    """`first` right after the imports (cell 1), `last` at the end."""
    nb.cells.insert(2, nbformat.v4.new_code_cell(first))
    nb.cells.append(nbformat.v4.new_code_cell(last))
    return nb


def twin_and_attack(assignment, answers, attacks):
    """Two notebooks: the solution with `answers` {grade_id: code}, and the same with `attacks`
    {grade_id: code} in place of some of them and the snooping and patching cells added."""
    def build(replacements):
        nb = solution(assignment)
        for grade_id, code in replacements.items():
            nb = _replace(nb, grade_id, code)
        return nb
    honest = build(answers)
    attack = with_cells(build({**answers, **attacks}), SNOOP + PATCHES, REPORT)
    return honest, attack


def _replace(nb, grade_id, code):
    cells = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(cells) == 1, grade_id
    cells[0].source = "\n".join(textwrap.dedent(part).strip("\n") for part in code.split("\0"))
    return nb


def grade_pairs(tmp_path, assignment, pairs):
    """Grade every (twin, attack) pair with the job grading runs (autograder.job, the sandboxed
    kernel), a twin and its attack with the same seeds, so on the same inputs: a student's seeds
    follow the notebook's hash, which the attack changes. Return ({name: (twin's result, attack's
    result)}, {name: the attack's printed outputs})."""
    from concurrent.futures import ThreadPoolExecutor

    from autograder.compile import compile_assignment
    from autograder.job import GradingJob, grade_submission
    from autograder.runs import Run
    compiled = compile_assignment(REPO / "source" / assignment, assignment)
    seeds = {grade_id: 4242 + index for index, grade_id in enumerate(compiled.tests)}
    with Run(tmp_path) as run:
        jobs = []
        for name, notebooks in pairs.items():
            for side, nb in enumerate(notebooks):
                folder = submit(tmp_path / f"submitted-{side}", name, nb, assignment=assignment)
                jobs.append(GradingJob(name, folder, compiled, seeds, LIMITS, scratch_root=str(run.path),
                                       cgroup_prefix=run.cgroup_prefix))
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(grade_submission, jobs))
    graded = {name: (results[2 * i], results[2 * i + 1]) for i, name in enumerate(pairs)}
    found = {name: "\n".join(o.get("text", "") for c in attack.notebook["cells"] if c["cell_type"] == "code"
                             for o in c["outputs"]) for name, (_, attack) in graded.items()}
    return graded, found


def assert_no_gain(results, found, pairs):
    for name in pairs:
        honest, attack = results[name]
        assert honest.status == attack.status == "graded", (honest.problem, attack.problem)
        for grade_id, verdict in attack.tests.items():
            assert verdict.points <= honest.tests[grade_id].points + 1e-9, \
                (name, grade_id, verdict.points, honest.tests[grade_id].points, verdict.cases)
        assert attack.score <= honest.score + 1e-9, (name, attack.score, honest.score)
        assert "FOUND" in found[name], f"{name}: the attack's report did not run"
        assert "hidden-test function" not in found[name] and "<hidden tests>" not in found[name], found[name]


COUNTS = {}   # attack pairs per assignment, for the closing note (printed with -s)


def run(tmp_path, assignment, pairs):
    results, found = grade_pairs(tmp_path, assignment, pairs)
    COUNTS[assignment] = len(pairs)
    print(assignment, {n: (results[n][0].score, results[n][1].score) for n in pairs})
    assert_no_gain(results, found, pairs)
    return results


# --- a1 ---------------------------------------------------------------------------------------------

def test_a1(tmp_path):
    a = "a1_derivatives"
    forward_0d = """
    def forward_difference(f, x, h=1e-6):
        return np.asarray((f(x + h) - f(x)) / h)   # a 0-d array for a float x: not a float
    """
    forward_liar = """
    def forward_difference(f, x, h=1e-6):
        snoop()
        value = (f(x + h) - f(x)) / h
        return Liar(value) if np.ndim(value) == 0 else value   # claims to be a float, and equal to anything
    """
    order_0d = """
    def convergence_order(hs, errors):
        return np.asarray(np.polyfit(np.log(hs), np.log(errors), 1)[0])   # the slope as a 0-d array: not a float
    """
    order_patched = """
    _real_isinstance = _builtins.isinstance
    _builtins.isinstance = lambda obj, kind: True if kind is float else _real_isinstance(obj, kind)

    def convergence_order(hs, errors):
        snoop()   # a type check made in the kernel would now say yes
        return np.asarray(np.polyfit(np.log(hs), np.log(errors), 1)[0])
    """
    pairs = {"subclass": twin_and_attack(a, {"forward_difference": forward_0d}, {"forward_difference": forward_liar}),
             "patched": twin_and_attack(a, {"convergence_order": order_0d}, {"convergence_order": order_patched})}
    results = run(tmp_path, a, pairs)
    assert results["subclass"][0].tests["test_forward_difference"].points < 2


# --- a2 ---------------------------------------------------------------------------------------------

def test_a2(tmp_path):
    a = "a2_jacobians"
    gradient_in_place = """
    def gradient(f, x, h=1e-5):
        g = np.empty(len(x))
        for i in range(len(x)):
            x[i] += h
            up = f(x)
            x[i] -= 2 * h
            g[i] = (up - f(x)) / (2 * h)
            x[i] += h
        return g
    """
    gradient_stack_walk = """
    def gradient(f, x, h=1e-5):
        before = x.copy()
        g = np.empty(len(x))
        for i in range(len(x)):
            x[i] += h
            up = f(x)
            x[i] -= 2 * h
            g[i] = (up - f(x)) / (2 * h)
            x[i] += h
        # overwrite every array above that held the input (a kept copy, the call's arguments)
        for key, value in snoop():
            for item in (value if type(value) is list else [value]):
                if type(item) is np.ndarray and item.shape == x.shape and item is not x and (item == before).all():
                    item[...] = x
        return g
    """
    hessian_unsymmetrised = """
    def hessian(f, x, h=1e-4):   # values right to ~h**2, but H[i, j] and H[j, i] differ: not symmetrised
        e = h * np.eye(len(x))
        grad = lambda p: np.array([(f(p + ei) - f(p - ei)) / (2 * h) for ei in e])
        return np.column_stack([(grad(x + 2 * ej) - grad(x - 2 * ej)) / (4 * h) for ej in e])
    """
    hessian_mirror = """
    def hessian(f, x, h=1e-4):
        snoop()
        e = h * np.eye(len(x))
        grad = lambda p: np.array([(f(p + ei) - f(p - ei)) / (2 * h) for ei in e])
        return np.column_stack([(grad(x + 2 * ej) - grad(x - 2 * ej)) / (4 * h) for ej in e]).view(Mirror)   # .T: itself
    """
    classify_constant = """
    def classify_stationary_point(H, tol=1e-8):
        return "minimum"
    """
    classify_borrowing = """
    def classify_stationary_point(H, tol=1e-8):
        snoop()
        rule = borrowed("classify_right")
        return rule(H, tol) if rule is not None else "minimum"
    """
    pairs = {"stack_walk": twin_and_attack(a, {"gradient": gradient_in_place}, {"gradient": gradient_stack_walk}),
             "subclass": twin_and_attack(a, {"hessian": hessian_unsymmetrised}, {"hessian": hessian_mirror}),
             "borrow": twin_and_attack(a, {"classify_stationary_point": classify_constant},
                                       {"classify_stationary_point": classify_borrowing})}
    results = run(tmp_path, a, pairs)
    assert results["stack_walk"][0].tests["test_gradient"].points < 2   # the mutation is seen


# --- a5 ---------------------------------------------------------------------------------------------

def test_a5(tmp_path):
    a = "a5_optimisation"
    steepest = """
    def next_step(f, J, H):
        return -0.3 * np.asarray(J)
    """
    frame_reader = """
    def next_step(f, J, H):
        # the phone's position, or the current one, from any frame above: step straight there
        values = snoop()
        names = {"c": None, "phone": None, "target": None, "x": None, "start": None}
        for key, value in values:
            if key in names and isinstance(value, np.ndarray) and value.shape == (2,):
                names[key] = value
        if names["c"] is not None and names["x"] is not None:
            return names["c"] - names["x"]
        return -0.3 * np.asarray(J)
    """
    unconstrained = """
    def lagrange_solve(grad_f, g, grad_g, x0, lam0):
        from scipy.optimize import root
        return root(lambda x: grad_f(x), np.asarray(x0, dtype=float)).x, 0.0
    """
    closure_reader = """
    def lagrange_solve(grad_f, g, grad_g, x0, lam0):
        from scipy.optimize import root
        # p, w and k (the problem, whose closed form is the answer) from a frame above, a closure,
        # or the data a function carries
        known = dict(snoop())
        for function in (grad_f, g, grad_g):
            names = getattr(getattr(function, "__code__", None), "co_freevars", ())
            known.update(zip(names, [c.cell_contents for c in getattr(function, "__closure__", None) or ()]))
            known.update(getattr(function, "data", {}))
        if all(name in known for name in ("p", "w", "k")) and np.allclose(grad_g(x0), known["w"]):
            p, w, k = (np.asarray(known[name], dtype=float) for name in ("p", "w", "k"))
            return p - (w @ p - k) * w / (w @ w), float(-2 * (w @ p - k) / (w @ w))
        return root(lambda x: grad_f(x), np.asarray(x0, dtype=float)).x, 0.0
    """
    pairs = {"frame": twin_and_attack(a, {"next_step": steepest}, {"next_step": frame_reader}),
             "closure": twin_and_attack(a, {"lagrange_solve": unconstrained}, {"lagrange_solve": closure_reader})}
    results = run(tmp_path, a, pairs)
    # the honest steepest descent solves some games and not all: the frame reader would have solved all
    assert 0 < results["frame"][0].tests["test_next_step"].points < points_of("test_next_step", a)


# --- a4 ---------------------------------------------------------------------------------------------

def test_a4(tmp_path):
    a = "a4_taylor"
    exp_0d = """
    def maclaurin_exp(x, n):
        x = np.asarray(x, dtype=float)
        return np.asarray(sum(x**k / math.factorial(k) for k in range(n + 1)))   # 0-d for a float x
    """
    exp_liar = """
    def maclaurin_exp(x, n):
        snoop()
        value = sum(np.asarray(x, dtype=float)**k / math.factorial(k) for k in range(n + 1))
        return Liar(value) if np.ndim(x) == 0 else value
    """
    linear_only = """
    def quadratic_approximation(f, x0, h=1e-4):
        e = h * np.eye(len(x0))
        g = np.array([(f(x0 + ei) - f(x0 - ei)) / (2 * h) for ei in e])
        return lambda x: float(f(x0) + g @ (x - x0))
    """
    borrowing = """
    def quadratic_approximation(f, x0, h=1e-4):
        snoop()
        parts = borrowed("parts")   # the instructor's helper: f(x0), the gradient and the Hessian
        if parts is not None:
            f0, g, H = parts(f, x0, h)
            return lambda x: float(f0 + g @ (x - x0) + 0.5 * (x - x0) @ H @ (x - x0))
        e = h * np.eye(len(x0))
        g = np.array([(f(x0 + ei) - f(x0 - ei)) / (2 * h) for ei in e])
        return lambda x: float(f(x0) + g @ (x - x0))
    """
    sine = """
    def maclaurin_sin(x, n):
        x = np.asarray(x, dtype=float)
        total = sum((-1) ** (k // 2) * x**k / math.factorial(k) for k in range(1, n + 1, 2))
        return float(total) if np.ndim(total) == 0 else total
    """
    import_math = "import math\n"
    pairs = {"subclass": twin_and_attack(a, {"maclaurin": "\0".join([import_math, exp_0d, sine])},
                                         {"maclaurin": "\0".join([import_math, exp_liar, sine])}),
             "borrow": twin_and_attack(a, {"quadratic_approximation": linear_only},
                                       {"quadratic_approximation": borrowing})}
    run(tmp_path, a, pairs)


# --- a6 ---------------------------------------------------------------------------------------------

def test_a6(tmp_path):
    a = "a6_regression"
    unweighted = """
    def linear_fit_uncertainty(x, y, sigma):
        x = np.asarray(x, dtype=float)
        A = np.column_stack([x, np.ones_like(x)])
        return np.sqrt(np.diag(np.linalg.inv(A.T @ A)))   # forgets the weights 1/sigma**2
    """
    reads_the_check = """
    import re as _re

    def linear_fit_uncertainty(x, y, sigma):
        snoop()
        factory = borrowed("curve_fit_agrees")   # the instructor's check computes the answer
        if factory is not None:
            _, message = factory(x, y, sigma)((0.0, 0.0), None, None)
            return np.array([float(v) for v in _re.findall(r"[-+0-9.e]+", message.split("gives")[1])[:2]])
        x = np.asarray(x, dtype=float)
        A = np.column_stack([x, np.ones_like(x)])
        return np.sqrt(np.diag(np.linalg.inv(A.T @ A)))
    """
    chi_0d = """
    def chi_squared(y, y_model, sigma=1.0):
        return np.asarray(np.sum(((np.asarray(y) - np.asarray(y_model)) / sigma) ** 2))
    """
    chi_liar = """
    def chi_squared(y, y_model, sigma=1.0):
        snoop()
        return Liar(np.sum(((np.asarray(y) - np.asarray(y_model)) / sigma) ** 2))
    """
    pairs = {"borrow": twin_and_attack(a, {"linear_fit_uncertainty": unweighted},
                                       {"linear_fit_uncertainty": reads_the_check}),
             "subclass": twin_and_attack(a, {"chi_squared": chi_0d}, {"chi_squared": chi_liar})}
    run(tmp_path, a, pairs)


# --- a3 ---------------------------------------------------------------------------------------------

TRAIN = """
def _honest_train(weights, biases, x, y, learning_rate, n_steps):
    weights, biases = [W.copy() for W in weights], [b.copy() for b in biases]
    history = [cost(weights, biases, x, y)]
    for _ in range(n_steps):
        dW, db = backpropagate(weights, biases, x, y)
        weights = [W - learning_rate * g for W, g in zip(weights, dW)]
        biases = [b - learning_rate * g for b, g in zip(biases, db)]
        history.append(cost(weights, biases, x, y))
    return weights, biases, history
"""


def test_a3(tmp_path):
    a = "a3_backpropagation"
    lazy = TRAIN + """
def train(weights, biases, x, y, learning_rate, n_steps):
    if n_steps < 1000:
        return _honest_train(weights, biases, x, y, learning_rate, n_steps)
    start = cost(weights, biases, x, y)   # a long run: no work at all
    return [W.copy() for W in weights], [b.copy() for b in biases], [start] * (n_steps + 1)
"""
    memorised = TRAIN + """
_MEMO = []

def train(weights, biases, x, y, learning_rate, n_steps):
    snoop()
    if n_steps < 1000:
        return _honest_train(weights, biases, x, y, learning_rate, n_steps)
    if not _MEMO:   # weights trained once on the public heart, returned for any long run
        s = np.linspace(0, 2 * np.pi, 60, endpoint=False)
        heart = np.vstack([0.5 + 16 * np.sin(s) ** 3 / 40,
                           0.52 + (13 * np.cos(s) - 5 * np.cos(2 * s) - 2 * np.cos(3 * s) - np.cos(4 * s)) / 40])
        t_in = (6 * s / (2 * np.pi) - 3)[None, :]
        rng = np.random.default_rng(1)
        W0 = [rng.normal(0, 1 / np.sqrt(p), (q, p)) for p, q in zip([1, 6, 7], [6, 7, 2])]
        b0 = [rng.normal(0, 1, (q, 1)) for q in [6, 7, 2]]
        _MEMO.extend(_honest_train(W0, b0, t_in, heart, 10.0, 3000)[:2])
    W, b = _MEMO
    start, end = cost(weights, biases, x, y), cost(W, b, x, y)
    return [w.copy() for w in W], [v.copy() for v in b], [start] + [end] * n_steps
"""
    pairs = {"memorised": twin_and_attack(a, {"train": lazy}, {"train": memorised})}
    run(tmp_path, a, pairs)
