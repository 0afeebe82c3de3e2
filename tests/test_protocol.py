"""The hidden-test protocol on toy problems of the kinds the later weeks need.

The student side runs in-process here (the sandboxed kernel runs the same harness code;
tests/test_hostile.py and tests/test_grading.py cover that path); verdicts come from
autograder.verdict exactly as in grading.
"""
import textwrap

import numpy as np
import pytest

from autograder.harness import collecting, decode, encode, outcomes
from autograder.seeds import derive_seed, student_seeds
from autograder.verdict import judge, self_check


def namespace(code):
    ns = {"np": np}
    exec(textwrap.dedent(code), ns)
    return ns


def grade(hidden, reference_code, student_code, points=3.0, seed=7):
    hidden = "from autograder.harness import hidden\n" + textwrap.dedent(hidden)
    reference, student = namespace(reference_code), namespace(student_code)
    with collecting(seed) as found:       # what the kernel would do with the student's code
        exec(hidden, dict(student))
    payload = {"cases": outcomes(found["testers"][0])}
    return judge("test_x", points, reference, hidden, seed, payload)


def test_encoding_round_trips_plain_data():
    values = [1, 2.5, float("nan"), -np.inf, 1 + 2j, True, None, "saddle", np.float32(3.5),
              np.arange(6).reshape(2, 3), np.array([True, False]), (np.eye(2), [np.ones(3), 4]),
              {"a": np.zeros(2)}, np.array(2.5), np.array(7)]
    for value in values:
        back = decode(encode(value))
        if isinstance(value, float) and np.isnan(value):
            assert np.isnan(back)
        elif isinstance(value, tuple):
            assert np.array_equal(back[0], value[0]) and np.array_equal(back[1][0], value[1][0])
        elif isinstance(value, dict):
            assert np.array_equal(back["a"], value["a"])
        else:
            assert np.array_equal(back, value)
            if isinstance(value, np.ndarray):  # arrays keep dtype and shape (0-d too); scalars become Python numbers
                assert back.dtype == value.dtype and back.shape == value.shape
    assert "function" in repr(decode(encode(lambda x: x)))


def test_arrays_tuples_lists_and_strings():
    hidden = """
    @hidden
    def test(t):
        x = t.rng.normal(size=(2, 3))
        t.call("stats", x)
        t.call("classify", 2.0)
        t.call("classify", -1.0)
    """
    reference = """
    def stats(x): return (x.mean(axis=0), [x.min(), x.max()])
    def classify(h): return "minimum" if h > 0 else "maximum"
    """
    verdict = grade(hidden, reference, reference)
    assert verdict.points == 3 and all(c.passed for c in verdict.cases)
    wrong = """
    def stats(x): return (x.mean(axis=1), [x.min(), x.max()])
    def classify(h): return "min" if h > 0 else "maximum"
    """
    verdict = grade(hidden, reference, wrong)
    assert verdict.points == pytest.approx(1.0)
    assert "shape (2,), expected shape (3,)" in verdict.cases[0].message
    assert "'min'" in verdict.cases[1].message and "'minimum'" in verdict.cases[1].message


def test_named_exception_must_be_raised():
    hidden = """
    @hidden
    def test(t):
        t.call("newton_raphson", lambda x: x**2 - 2, lambda x: 2 * x, 1.0)
        t.call("newton_raphson", lambda x: x**2 + 1, lambda x: 0 * x, 1.0)
    """
    reference = """
    def newton_raphson(f, df, x):
        for _ in range(50):
            if df(x) == 0:
                raise ValueError("zero derivative")
            x = x - f(x) / df(x)
        return x
    """
    assert grade(hidden, reference, reference).points == 3
    returns_nan = reference.replace('raise ValueError("zero derivative")', "return float('nan')")
    verdict = grade(hidden, reference, returns_nan)
    assert verdict.cases[0].passed and not verdict.cases[1].passed
    assert "expected ValueError to be raised, but it returned nan" in verdict.cases[1].message
    divides = reference.replace('raise ValueError("zero derivative")', "x = x / 0")
    assert "ZeroDivisionError" in grade(hidden, reference, divides).cases[1].message


def test_returned_functions_and_function_inputs_with_a_known_mistake():
    hidden = """
    @hidden
    def test(t):
        A = t.rng.normal(size=(3, 3))
        M = t.rng.normal(size=(2, 3))
        x = t.rng.normal(size=3)
        quadratic = t.label(lambda v: v @ A @ v, "a random quadratic form")
        t.call("gradient", quadratic, x, rtol=1e-5)
        t.call("jacobian", lambda v: M @ v, x, rtol=1e-5, label="jacobian of a random linear map")
        t.call("linearise", np.sin, np.cos, 0.3, then=lambda g: g(np.linspace(0, 1, 5)))
        t.mistake("jacobian", lambda f, x: jacobian(f, x).T, "Your Jacobian is transposed: rows are outputs.")
    """
    reference = """
    def gradient(f, x, h=1e-6):
        return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])
    def jacobian(f, x, h=1e-6):
        return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))]).T
    def linearise(f, df, a):
        return lambda x: f(a) + df(a) * (x - a)
    """
    assert grade(hidden, reference, reference).points == 3
    transposed = reference.replace("for e in np.eye(len(x))]).T", "for e in np.eye(len(x))])")
    verdict = grade(hidden, reference, transposed)
    case = verdict.cases[1]
    assert not case.passed and "transpose" in case.message and "transposed" in case.mistake
    no_function = reference.replace("return lambda x: f(a) + df(a) * (x - a)", "return f(a)")
    assert "not callable" in grade(hidden, reference, no_function).cases[2].message


def test_checks_that_are_not_equality():
    hidden = """
    @hidden
    def test(t):
        A = t.rng.normal(size=(4, 4))
        x = t.rng.normal(size=4)
        f = lambda v: np.sin(v) @ A @ np.cos(v)

        def near_finite_difference(got, expected, case):
            h = 1e-6   # computed in the grader, independently of the reference
            fd = np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(4)])
            return bool(np.max(np.abs(np.asarray(got) - fd)) < 1e-6), "not within 1e-6 of finite differences"

        t.call("gradient", f, x, check=near_finite_difference)
        t.call("train", 200, check=lambda got, expected, case: (got < 0.05, f"final cost {got:.3g} is not below 0.05"))
        starts = t.rng.uniform(-3, 3, size=50)

        def reaches_minimum(got, expected, case):
            fraction = np.mean(np.abs(np.asarray(got) - 1.0) < 1e-3)
            return fraction >= 0.7, f"reached the minimum from {fraction:.0%} of 50 starts (need 70%)"

        t.call("descend", starts, check=reaches_minimum)
        v = t.rng.normal(size=5)
        t.call("normalise", v, then=lambda result: v, label="normalise(v) leaves v unchanged")
    """
    reference = """
    def gradient(f, x):
        h = 1e-6
        return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])
    def train(steps):
        w = 5.0
        for _ in range(steps):
            w -= 0.1 * 2 * w
        return w**2
    def descend(starts):
        x = np.array(starts, dtype=float)
        for _ in range(500):
            x -= 0.1 * 2 * (x - 1.0)
        return x
    def normalise(v):
        return v / np.linalg.norm(v)
    """
    assert grade(hidden, reference, reference, points=4).points == 4
    bad = """
    def gradient(f, x):
        return np.zeros(len(x))
    def train(steps):
        return 0.5
    def descend(starts):
        x = np.array(starts, dtype=float)
        return np.where(np.arange(len(x)) % 2 == 0, 1.0, x)
    def normalise(v):
        v /= np.linalg.norm(v)
        return v
    """
    verdict = grade(hidden, reference, bad, points=4)
    assert verdict.points == 0
    assert "finite differences" in verdict.cases[0].message
    assert "0.5 is not below 0.05" in verdict.cases[1].message
    assert "of 50 starts (need 70%)" in verdict.cases[2].message


def test_partial_credit_is_shared_by_weight_and_tolerance_is_per_case():
    hidden = """
    @hidden
    def test(t):
        t.call("f", 1.0, rtol=1e-3, weight=3)
        t.call("f", 2.0, rtol=1e-12)
    """
    verdict = grade(hidden, "def f(x): return x / 3", "def f(x): return x * 0.3333334", points=2)
    assert [c.passed for c in verdict.cases] == [True, False]
    assert verdict.points == pytest.approx(2 * 3 / 4)


def test_missing_function_and_out_of_step_results_fail_cleanly():
    hidden = """
    @hidden
    def test(t):
        t.call("f", 1.0)
    """
    verdict = grade(hidden, "def f(x): return x", "def g(x): return x")
    assert verdict.points == 0 and "NameError" in verdict.cases[0].message
    reference = namespace("def f(x): return x")
    source = "from autograder.harness import hidden\n" + textwrap.dedent(hidden)
    forged = {"cases": [{"label": "something else", "outcome": "returned", "value": 1.0}]}
    assert judge("t", 1, reference, source, 0, forged).points == 0
    assert judge("t", 1, reference, source, 0, None, "the kernel died").cases[0].message == "the kernel died"


def test_self_check_rejects_a_mistake_no_case_catches():
    ns = namespace("def f(x): return 2 * x")
    exec("from autograder.harness import hidden", ns)
    code = """
def test(t):
    t.call("f", 0.0)
    t.mistake("f", lambda x: 3 * x, "factor 3")
"""
    exec(code, ns)
    with pytest.raises(AssertionError, match="passes every case"):
        self_check(ns["test"])


def test_self_check_rejects_a_mistake_that_only_raises_name_error():
    """A mistake that uses a helper defined after @hidden ran "differs" from every case only by
    raising NameError: it could never match a student's answer, so the self-check says so."""
    ns = namespace("def f(x): return 2 * x")
    exec("from autograder.harness import hidden", ns)
    exec("""
def test(t):
    t.call("f", 1.0)
    t.mistake("f", lambda x: helper_defined_later(x), "factor 3")
""", ns)
    with pytest.raises(AssertionError, match="raises NameError"):
        self_check(ns["test"])


def test_seeds_differ_per_student_and_test_and_repeat():
    secret = b"0123456789abcdef-secret"
    a = student_seeds(secret, "a1", "alice", ["t1", "t2"])
    assert a == student_seeds(secret, "a1", "alice", ["t1", "t2"])
    assert a["t1"] != a["t2"]
    assert a["t1"] != student_seeds(secret, "a1", "bob", ["t1"])["t1"]
    assert a["t1"] != student_seeds(b"another-secret-0123456", "a1", "alice", ["t1"])["t1"]
    assert 0 <= derive_seed(secret, "a1", "alice", "t1") < 2**63


def _hidden_test(code, reference):
    ns = namespace(reference)
    exec("from autograder.harness import hidden", ns)
    exec(textwrap.dedent(code), ns)
    return ns["test"]


def test_self_check_rejects_free_points_for_answers_that_ignore_their_inputs():
    reference = "def slope(x, y): return float(np.polyfit(x, y, 1)[0])"
    type_only = """
    def test(t):
        x = t.rng.uniform(0, 1, size=5)
        t.call("slope", x, 2 * x + 1)
        t.call("slope", x, 3 * x - 1)
        t.call("slope", x, x, then=lambda s: isinstance(s, float), label="returns a float")
        t.mistake("slope", lambda x, y: float(np.polyfit(y, x, 1)[0]), "regressed x on y")
        t.mistake("slope", lambda x, y: -float(np.polyfit(x, y, 1)[0]), "sign")
    """
    # `return 0.0` passes the type-only case: a third of the points for nothing
    with pytest.raises(AssertionError, match=r"ignores its inputs \(return 0.0\) earns 33%"):
        self_check(_hidden_test(type_only, reference))
    fixed = type_only.replace("then=lambda s: isinstance(s, float)", "then=lambda s: (s, isinstance(s, float))")
    self_check(_hidden_test(fixed, reference))  # the type together with the value: no free points


def test_free_points_counts_each_input_ignoring_answer():
    from autograder.harness import Tester
    from autograder.verdict import free_points
    code = """
    def test(t):
        t.call("first", 4.0, 5.0)
        t.call("first", 0.0, 7.0, weight=3)
        t.call("nothing", 1.0)
    """
    test = _hidden_test(code, "def first(a, b): return a\ndef nothing(x): return None")
    reference = Tester(test.__globals__, 0)
    test(reference)
    found = dict(free_points(test, reference))
    # return 0.0 passes first(0, 7); None passes nothing(1); the first argument passes both firsts
    assert found == {"return 0.0": pytest.approx(3 / 5), "return None": pytest.approx(1 / 5),
                     "return the first argument": pytest.approx(4 / 5)}


def test_attempts_draw_new_inputs_and_regrades_repeat_them(tmp_path):
    from autograder.submission import attempt_of
    secret = b"0123456789abcdef-secret"
    folder = tmp_path / "subs" / "ann" / "a1"
    folder.mkdir(parents=True)
    (folder / "a1.ipynb").write_text('{"cells": []}')
    by_hash = attempt_of(folder, "a1.ipynb", 10**6)
    assert by_hash.startswith("timestamp:|sha256:") and by_hash == attempt_of(folder, "a1.ipynb", 10**6)
    (folder / "a1.ipynb").write_text('{"cells": [], "changed": 1}')
    assert attempt_of(folder, "a1.ipynb", 10**6) != by_hash          # a new notebook, a new attempt
    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC\n")
    first = attempt_of(folder, "a1.ipynb", 10**6)
    assert first.startswith("timestamp:2026-11-20 10:00:00.000000 UTC|sha256:")
    (folder / "timestamp.txt").write_text("2026-11-21 09:00:00.000000 UTC\n")
    resubmitted = attempt_of(folder, "a1.ipynb", 10**6)               # same notebook, submitted again
    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC\n")
    (folder / "a1.ipynb").write_text('{"cells": [], "changed": 2}')
    forged = attempt_of(folder, "a1.ipynb", 10**6)                    # a new notebook, an old timestamp
    seeds = [student_seeds(secret, "a1", "ann", ["t1"], attempt)["t1"]
             for attempt in (first, first, resubmitted, forged)]
    assert seeds[0] == seeds[1] and len(set(seeds[1:])) == 3
    (folder / "timestamp.txt").unlink()
    (folder / "timestamp.txt").symlink_to(tmp_path / "elsewhere")    # never followed
    assert attempt_of(folder, "a1.ipynb", 10**6).startswith("timestamp:|sha256:")


def test_the_kernel_runs_the_hidden_test_without_grader_only_code():
    """Known mistakes and check= rules never enter the kernel; the calls, their order and the
    draws from t.rng are unchanged, so the kernel's cases line up with the grader's."""
    from autograder.compile import for_the_kernel
    hidden = textwrap.dedent("""
    from autograder.harness import hidden

    @hidden
    def test(t):
        x = t.rng.normal(size=3)

        def near_reference(got, expected, case):
            from scipy.stats import linregress  # SECRET-REFERENCE
            return True

        t.call("f", x, check=near_reference)
        t.call("f", 2 * x, then=lambda r: r + 1)
        t.mistake("f", lambda x: -x, "SECRET-MISTAKE")
    """)
    kernel = for_the_kernel(hidden)
    assert "SECRET" not in kernel and "linregress" not in kernel and "mistake" not in kernel
    reference = namespace("def f(x): return x.sum()")
    student = namespace("def f(x): return x.sum()")
    with collecting(5) as full:
        exec(hidden, dict(student))
    with collecting(5) as stripped:
        exec(kernel, dict(student))
    assert [c.label for c in full["testers"][0].cases] == [c.label for c in stripped["testers"][0].cases]
    payload = {"cases": outcomes(stripped["testers"][0])}
    assert judge("t", 2, reference, hidden, 5, payload).points == 2


def test_a_kernel_copy_that_would_make_other_calls_is_replaced_by_the_full_test():
    """If stripping ever changed what the kernel runs, the grader would judge the wrong
    cases; compiling compares the two on the solution and keeps the full test if they differ."""
    from autograder.compile import CompiledAssignment, TestSpec, check_kernel_copies, for_the_kernel
    from nbformat.v4 import new_code_cell
    hidden = textwrap.dedent("""
    from autograder.harness import hidden

    @hidden
    def test(t):
        def loose(got, expected, case, probes=t.rng.normal(size=2)):   # draws when defined
            return True
        t.call("f", t.rng.uniform(), check=loose)
        t.call("f", t.rng.uniform())
        t.mistake("f", lambda x: -x, "sign")
    """)
    solution = new_code_cell("import numpy as np\ndef f(x):\n    return 2 * x",
                             metadata={"nbgrader": {"solution": True, "grade_id": "f"}})
    test_cell = new_code_cell("pass", metadata={"nbgrader": {"grade": True, "grade_id": "test_f"}})
    spec = TestSpec("test_f", 1.0, "pass", "pass\n", hidden, "f", kernel_hidden=for_the_kernel(hidden))
    good = CompiledAssignment("toy", "toy.ipynb", [dict(solution), dict(test_cell)], {"test_f": spec}, ["f"])
    check_kernel_copies(good)
    assert spec.kernel_hidden != hidden and "sign" not in spec.kernel_hidden  # stripped, and it lines up
    broken = hidden.replace('t.call("f", t.rng.uniform())\n', "")           # a copy that skips a call
    spec.kernel_hidden = broken
    check_kernel_copies(good)
    assert spec.kernel_hidden == hidden


def test_a_mistake_is_named_in_a_case_judged_by_check():
    """check= compares with an independent reference; a registered mistake is still recognised
    there, by its value."""
    hidden = """
    @hidden
    def test(t):
        def against_closed_form(got, expected, case):
            return bool(np.allclose(got, [[0.0, -2.0], [1.0, 0.0]])), "not the closed form"
        t.call("polar", 2.0, np.pi / 2, check=against_closed_form)
        t.mistake("polar", lambda r, th: np.array([[np.cos(th), np.sin(th)], [-r * np.sin(th), r * np.cos(th)]]),
                  "transposed")
    """
    reference = """
    def polar(r, th):
        return np.array([[np.cos(th), -r * np.sin(th)], [np.sin(th), r * np.cos(th)]])
    """
    student = """
    def polar(r, th):
        return np.array([[np.cos(th), -r * np.sin(th)], [np.sin(th), r * np.cos(th)]]).T
    """
    verdict = grade(hidden, reference, student)
    assert verdict.points == 0 and verdict.cases[0].mistake == "transposed"
    other = grade(hidden, reference, student.replace(".T", " * 2"))
    assert other.points == 0 and other.cases[0].mistake is None


def test_where_two_mistakes_fit_a_case_the_one_fitting_more_cases_is_named():
    hidden = """
    @hidden
    def test(t):
        t.call("sign", 0.0)
        t.call("sign", -2.0)
        t.mistake("sign", lambda x: 1.0, "always 1")
        t.mistake("sign", lambda x: 1.0 if x >= 0 else -1.0, "zero is not positive")
    """
    reference = "def sign(x): return float(np.sign(x))"
    verdict = grade(hidden, reference, "def sign(x): return 1.0 if x >= 0 else -1.0")
    assert [c.mistake for c in verdict.cases] == ["zero is not positive", None]
    verdict = grade(hidden, reference, "def sign(x): return 1.0")
    assert [c.mistake for c in verdict.cases] == ["always 1", "always 1"]


def test_a_mistake_written_another_way_is_named_despite_a_strict_case():
    """The case demands 1e-12; the student's version of the registered mistake differs from the
    registered one by rounding (~1e-11): still recognised, still failing."""
    hidden = """
    @hidden
    def test(t):
        t.call("slope", 0.7, rtol=1e-12, atol=0)
        t.mistake("slope", lambda x: (np.sin(x + 1e-5) - np.sin(x - 1e-5)) / 2e-5, "finite differences")
    """
    reference = "def slope(x): return float(np.cos(x))"
    student = "def slope(x): return float((np.sin(x + 1e-5) - np.sin(x)) / 1e-5 / 2 + (np.sin(x) - np.sin(x - 1e-5)) / 2e-5)"
    verdict = grade(hidden, reference, student)
    assert verdict.points == 0 and verdict.cases[0].mistake == "finite differences"


def test_a_mistake_is_not_named_where_it_gives_the_right_answer():
    """An unweighted fit is right when there are no weights: a student slightly off there (here by
    1e-7, beyond the case's 1e-9) fails the case, but is not told to use the weights."""
    hidden = """
    @hidden
    def test(t):
        t.call("mean", np.array([1.0, 2.0, 6.0]), None, rtol=1e-9)
        t.call("mean", np.array([1.0, 2.0, 6.0]), np.array([1.0, 1.0, 2.0]), rtol=1e-9)
        t.mistake("mean", lambda y, w: float(np.mean(y)), "use the weights")
    """
    reference = "def mean(y, w): return float(np.average(y, weights=w))"
    verdict = grade(hidden, reference, "def mean(y, w): return float(np.average(y, weights=w)) * (1 + 1e-7)")
    assert [c.passed for c in verdict.cases] == [False, False]
    assert [c.mistake for c in verdict.cases] == [None, None]
    verdict = grade(hidden, reference, "def mean(y, w): return float(sum(y) / len(y))")
    assert [c.passed for c in verdict.cases] == [True, False] and verdict.cases[1].mistake == "use the weights"


def test_a_mistake_in_an_array_is_matched_at_the_arrays_scale():
    """Finite differences with another step differ from the registered ones by a tiny fraction of
    the derivative's size (h² here), but by far more than 1e-6 of the entry at x = 1, where the
    derivative is 0: still named."""
    hidden = """
    @hidden
    def test(t):
        t.call("slopes", np.linspace(-2.0, 2.0, 5), rtol=1e-12, atol=1e-14)
        f = lambda x: x**3 - 3 * x
        t.mistake("slopes", lambda x: (f(x + 1e-3) - f(x - 1e-3)) / 2e-3, "finite differences")
    """
    reference = "def slopes(x): return 3 * x**2 - 3"
    student = "def slopes(x): return ((x + 1e-4)**3 - 3 * (x + 1e-4) - (x - 1e-4)**3 + 3 * (x - 1e-4)) / 2e-4"
    verdict = grade(hidden, reference, student)
    assert verdict.points == 0 and verdict.cases[0].mistake == "finite differences"
