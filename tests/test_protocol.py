"""The hidden-test protocol on toy problems of the kinds the later weeks need.

The student's side runs in-process here, with the kernel's own code (autograder.kernel_side, driven
round by round as plans.Rounds drives it: tests/submissions.kernel_payload); tests/test_hostile.py
and tests/test_grading*.py cover the sandboxed kernel. Verdicts come from autograder.verdict exactly
as in grading.
"""
import json
import textwrap

import numpy as np
import pytest

from autograder.harness import PlanError, decode, encode
from autograder.hidden import free_points, self_check
from autograder.seeds import derive_seed, student_seeds
from autograder.verdict import judge, run_reference
from submissions import kernel_payload

IMPORT = "from autograder.hidden import hidden\n"


def namespace(code):
    ns = {"np": np}
    exec(textwrap.dedent(code), ns)
    return ns


def grade(hidden, reference_code, student_code, points=3.0, seed=7):
    hidden = IMPORT + textwrap.dedent(hidden)
    reference, student = namespace(reference_code), namespace(student_code)
    recorded = run_reference(reference, hidden, seed)
    return judge("test_x", points, reference, hidden, seed, kernel_payload(recorded, student), reference=recorded)


def test_encoding_round_trips_plain_data():
    values = [1, 2.5, float("nan"), -np.inf, 1 + 2j, True, None, "saddle", np.float32(3.5),
              np.arange(6).reshape(2, 3), np.array([True, False]), (np.eye(2), [np.ones(3), 4]),
              {"a": np.zeros(2)}, np.array(2.5), np.array(7), np.int64(3)]
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
            assert type(back) is type(value)   # exact types: numpy scalars stay numpy scalars
            if isinstance(value, np.ndarray):  # arrays keep dtype and shape (0-d too)
                assert back.dtype == value.dtype and back.shape == value.shape
    assert "function" in repr(decode(encode(lambda x: x)))


def test_subclasses_and_object_arrays_are_reported_as_what_they_are():
    """A float or ndarray subclass could lie about its value, its comparisons or its transpose: it
    is never coerced into a number, and fails every case that expects one."""
    class Liar(float):
        def __eq__(self, other):
            return True

    class Mirror(np.ndarray):
        @property
        def T(self):
            return self

    for value, words in [(Liar(2.0), "subclass of float"), (np.eye(2).view(Mirror), "subclass Mirror"),
                         (np.array([1.0, None]), "dtype object"), ([Liar(1.0)], "subclass of float")]:
        back = decode(encode(value))
        back = back[0] if isinstance(back, list) else back
        assert words in back.what
    hidden = """
    @hidden
    def test(t):
        t.call("half", 4.0, returns=float)
        t.call("eye", 2, symmetric=True)
    """
    reference = "def half(x): return x / 2\ndef eye(n): return np.eye(n)"
    assert grade(hidden, reference, reference).points == 3
    forged = namespace(reference)
    forged["half"] = lambda x: Liar(x / 2)
    forged["eye"] = lambda n: (np.eye(n) + np.triu(np.ones((n, n)), 1) * 1e-3).view(Mirror)
    verdict = judge("t", 2, namespace(reference), IMPORT + textwrap.dedent(hidden), 0,
                    kernel_payload(run_reference(namespace(reference), IMPORT + textwrap.dedent(hidden), 0), forged))
    assert verdict.points == 0 and "subclass" in verdict.cases[0].message and "subclass" in verdict.cases[1].message


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


def test_a_nan_or_inf_answer_is_named_where_it_is_not_as_the_largest_finite_gap():
    """Before: a NaN in an array was reported as 'off by' the largest *finite* gap (say 5e-318) at the
    NaN's index, which reads as a rounding miss."""
    hidden = """
    @hidden
    def test(t):
        z = t.rng.uniform(1, 2, size=4)
        t.call("f", z)
    """
    reference = """
    import numpy as np
    def f(z): return np.exp(z)
    """
    wrong = """
    import numpy as np
    def f(z):
        out = np.exp(z) * (1 + 1e-15)
        out[2] = np.nan
        out[3] = np.inf
        return out
    """
    verdict = grade(hidden, reference, wrong)
    message = verdict.cases[0].message
    assert verdict.points == 0 and "off by" not in message, message
    assert "nan at index (2,) where" in message and "(and 1 more entry not finite)" in message, message
    rounding = grade(hidden, reference, wrong.replace("out[2] = np.nan", "out[2] += 1e-3").replace("out[3] = np.inf", ""))
    assert "off by 0.001 at index (2,)" in rounding.cases[0].message, rounding.cases[0].message


def test_named_exception_must_be_raised():
    hidden = """
    @hidden
    def test(t):
        t.call("newton_raphson", t.function("lambda x: x**2 - 2"), t.function("lambda x: 2 * x"), 1.0)
        t.call("newton_raphson", t.function("lambda x: x**2 + 1"), t.function("lambda x: 0 * x"), 1.0)
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
        quadratic = t.function("lambda v: v @ A @ v", A=A, label="a random quadratic form")
        t.call("gradient", quadratic, x, rtol=1e-5)
        t.call("jacobian", t.function("lambda v: M @ v", M=M), x, rtol=1e-5, label="jacobian of a random linear map")
        t.call("linearise", np.sin, np.cos, 0.3, at=[np.linspace(0, 1, 5)])
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
        f = t.function("lambda v: np.sin(v) @ A @ np.cos(v)", A=A)

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
        t.call("normalise", v, label="normalise(v), v left unchanged")   # arguments after the call: checked
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
    assert "changed its argument 1 in place" in verdict.cases[3].message


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


def test_missing_function_and_garbled_results_fail_cleanly():
    hidden = """
    @hidden
    def test(t):
        t.call("f", 1.0)
        t.call("f", 2.0)
    """
    verdict = grade(hidden, "def f(x): return x", "def g(x): return x", points=2)
    assert verdict.points == 0 and "NameError" in verdict.cases[0].message
    reference = namespace("def f(x): return x")
    source = IMPORT + textwrap.dedent(hidden)
    for forged in [{"records": ["not a record", {"outcome": "returned", "value": {"__ndarray__": "!!", "dtype": "<f8",
                                                                               "shape": [1]}}]},
                   {"records": [{"outcome": "returned", "value": {"__float__": "1.0"}, "after": "x"}, {}]},
                   {"records": 3}, "text", None]:
        verdict = judge("t", 2, reference, source, 0, forged)
        assert verdict.points == 0 and len(verdict.cases) == 2, forged
    assert judge("t", 1, reference, source, 0, None, "the kernel died").cases[0].message == "the kernel died"


def test_self_check_rejects_a_mistake_no_case_catches():
    ns = namespace("def f(x): return 2 * x")
    exec(IMPORT, ns)
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
    exec(IMPORT, ns)
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
    exec(IMPORT, ns)
    exec(textwrap.dedent(code), ns)
    return ns["test"]


def test_self_check_rejects_free_points_for_answers_that_ignore_their_inputs():
    reference = "def slope(x, y): return float(np.polyfit(x, y, 1)[0])"
    type_only = """
    def test(t):
        x = t.rng.uniform(0, 1, size=5)
        t.call("slope", x, 2 * x + 1)
        t.call("slope", x, 3 * x - 1)
        t.call("slope", x, x, check=lambda got, expected, case: isinstance(got, float), label="returns a float")
        t.mistake("slope", lambda x, y: float(np.polyfit(y, x, 1)[0]), "regressed x on y")
        t.mistake("slope", lambda x, y: -float(np.polyfit(x, y, 1)[0]), "sign")
    """
    # `return 0.0` passes the type-only case: a third of the points for nothing
    with pytest.raises(AssertionError, match=r"ignores its inputs \(return 0.0\) earns 33%"):
        self_check(_hidden_test(type_only, reference))
    fixed = type_only.replace("check=lambda got, expected, case: isinstance(got, float)", "returns=float")
    self_check(_hidden_test(fixed, reference))  # the type together with the value: no free points


def test_free_points_counts_each_input_ignoring_answer():
    from autograder.harness import Tester
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
    (folder / "answers.json").write_text("{}")                        # only a file beside it changed
    assert attempt_of(folder, "a1.ipynb", 10**6) != forged
    (folder / "timestamp.txt").unlink()
    (folder / "timestamp.txt").symlink_to(tmp_path / "elsewhere")    # never followed
    assert attempt_of(folder, "a1.ipynb", 10**6).startswith("timestamp:|sha256:")


def test_the_kernel_receives_only_the_calls_inputs():
    """What enters the kernel is the plan: the name of each function and its arguments as data.
    No test code, no check, no mistake, no helper and no expected value is in it."""
    from autograder.plans import Rounds
    hidden = IMPORT + textwrap.dedent("""
    @hidden
    def test(t):
        x = t.rng.normal(size=3)
        secret_target = 123.456789  # SECRET-TARGET

        def near_reference(got, expected, case):
            from scipy.stats import linregress  # SECRET-REFERENCE
            return abs(got - secret_target) < 1

        t.call("f", x, check=near_reference)
        t.call("f", 2 * x, at=[0.5])
        t.mistake("f", lambda x: -x, "SECRET-MISTAKE")
    """)
    reference = namespace("def f(x): return float(np.sum(x))")
    recorded = run_reference(reference, hidden, 5)
    rounds = Rounds(recorded)
    plan = rounds.first()
    for secret in ("SECRET", "linregress", "123.456", "mistake", "near_reference", "lambda x: -x",
                   repr(recorded.cases[0].value)):
        assert secret not in plan
    calls = json.loads(plan)["calls"]
    assert [c["name"] for c in calls] == ["f", "f"]
    assert np.array_equal(decode(calls[1]["args"][0]), 2 * decode(calls[0]["args"][0]))
    assert set(calls[0]) == {"name", "args", "kwargs"} and calls[1]["at"] == [encode(0.5)]


def test_a_hidden_test_that_would_send_code_into_the_kernel_is_refused_with_its_line(tmp_path):
    """A Python function passed to the student's code (its closure, defaults and code could be read
    there) or then= (it would run there) is refused by the self-check and by compiling, which names
    the cell's line."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from autograder.compile import compile_assignment
    from autograder.course import CourseError
    for line in ['    t.call("f", lambda x: x + minimum, 1.0)', '    t.call("f", 1.0, then=lambda r: r == 2)']:
        hidden = f"@hidden\ndef test(t):\n    minimum = 2.0\n{line}\n    t.mistake('f', lambda x: x, 'm')\n"
        ns = namespace("def f(g, x=None): return 2.0")
        exec(IMPORT, ns)
        with pytest.raises(AssertionError, match="line 4 of the hidden test"):
            exec(hidden, ns)
        folder = tmp_path / ("lambda" if "lambda x" in line else "then")
        folder.mkdir()
        nb = new_notebook(cells=[
            new_code_cell("def f(g, x=None):\n    return 2.0", metadata={"nbgrader": {"solution": True, "grade_id": "f"}}),
            new_code_cell("assert f(1) == 2\n### BEGIN HIDDEN TESTS\n" + IMPORT + hidden + "### END HIDDEN TESTS\n",
                          metadata={"nbgrader": {"grade": True, "grade_id": "test_f", "points": 1}})])
        nbformat.write(nb, folder / "toy.ipynb")
        with pytest.raises(CourseError, match=r"toy.ipynb, test_f: t.call\('f', ...\) on line 7 of the cell"):
            compile_assignment(folder, "toy")


def test_changed_arguments_are_judged_in_the_grader_and_name_the_mistake_that_makes_them():
    hidden = """
    @hidden
    def test(t):
        x = t.rng.normal(size=4)
        t.call("centre", x)
        t.call("centre", [1.0, 2.0, 6.0], label="centre(a list)")

        def in_place(x):
            mean = np.mean(x)
            for i in range(len(x)):
                x[i] -= mean
            return np.asarray(x, dtype=float)
        t.mistake("centre", in_place, "You centred x in place: subtract into a new array.")
        t.mistake("centre", lambda x: np.asarray(x) - np.median(x), "The mean, not the median.")
    """
    reference = "def centre(x): return np.asarray(x) - np.mean(x)"
    assert grade(hidden, reference, reference, points=2).points == 2
    student = """
    def centre(x):
        mean = sum(x) / len(x)
        for i in range(len(x)):
            x[i] = x[i] - mean
        return np.asarray(x, dtype=float)
    """
    verdict = grade(hidden, reference, student, points=2)
    assert verdict.points == 0
    assert all("in place" in c.message and c.mistake.startswith("You centred x in place") for c in verdict.cases)
    honest_copy = student.replace("mean = sum(x)", "x = list(x)\n        mean = sum(x)")
    assert grade(hidden, reference, honest_copy, points=2).points == 2


def test_games_are_played_by_the_grader_and_batched_per_round():
    """The grader keeps the target and the position; the kernel is sent only each probe's numbers,
    every game of a test in the same round trip."""
    from autograder import kernel_side
    from autograder.plans import Rounds
    hidden = IMPORT + textwrap.dedent("""
    def hunt(target, budget=30):
        x = 0.0
        for probe in range(1, budget + 1):
            if abs(x - target) < 1e-3:
                return {"found": True, "probes": probe}
            step = yield (float(x - target),)       # only the signed gap at the current point
            try:
                x += float(step)
            except (TypeError, ValueError):
                return {"found": False, "probes": probe}
        return {"found": False, "probes": budget}

    @hidden
    def test(t):
        found = lambda got, expected, case: (got["found"], f"found in {got['probes']} probes" if got["found"] else "not found")
        for target in t.rng.uniform(1.0, 9.0, size=4):
            t.play("move", hunt, target, check=found)
        t.mistake("move", lambda gap: gap, "You move away from the target.")
        t.mistake("move", lambda gap: -0.01 * gap, "Steps that small never arrive.")
    """)
    reference = namespace("def move(gap): return -gap")
    recorded = run_reference(reference, hidden, 3)
    targets = [case.game[1][0] for case in recorded.cases]
    rounds, seen, plan = Rounds(recorded), [], None
    plan = rounds.first()
    while plan is not None:
        seen.append(plan)
        plan = rounds.receive(kernel_side.run(plan, namespace("def move(gap): return -0.5 * gap")))
    assert 5 < len(seen) < 30 and all(len(json.loads(p)["calls"]) <= 4 for p in seen)
    assert len(json.loads(seen[0])["calls"]) == 4                       # the four games, batched
    assert not any(f"{target!r}"[:8] in text for target in targets for text in seen)
    verdict = judge("t", 4, reference, hidden, 3, rounds.payload(), reference=recorded)
    assert verdict.points == 4
    verdict = grade(hidden.removeprefix(IMPORT), "def move(gap): return -gap", "def move(gap): return gap", seed=3)
    assert verdict.points == 0 and all(c.mistake == "You move away from the target." for c in verdict.cases)
    assert grade(hidden.removeprefix(IMPORT), "def move(gap): return -gap", "def move(gap): return 'left'",
                 seed=3).points == 0
    # a step the game's own code cannot take (float(10**400) overflows, in the grader): that game is lost
    verdict = grade(hidden.removeprefix(IMPORT), "def move(gap): return -gap", "def move(gap): return 10**400", seed=3)
    assert verdict.points == 0 and "could not go on" in verdict.cases[0].message


def test_an_exception_names_a_mistake_only_on_evidence():
    """Sharing an exception's type is not evidence: a student's shape bug (a ValueError) is not told
    it made a registered mistake that also raises ValueError. The same message (or the same shapes in
    it), or the mistake's values in another case, are."""
    hidden = """
    @hidden
    def test(t):
        t.call("last_z", [np.ones((3, 2)), np.ones((2, 3))], np.ones((2, 4)))
        t.call("last_z", [np.ones((2, 2))], np.ones((2, 3)))
        t.mistake("last_z", lambda Ws, x: Ws[-1] @ x, "You applied the last layer to the input only.")
    """
    reference = """
    def last_z(Ws, x):
        for W in Ws:
            x = W @ x
        return x
    """
    shape_bug = """
    def last_z(Ws, x):
        for W in Ws:
            x = W @ x.T
        return x
    """
    verdict = grade(hidden, reference, shape_bug, points=2)
    assert verdict.points == 0 and [c.mistake for c in verdict.cases] == [None, None]
    assert "ValueError" in verdict.cases[0].message
    last_only = "def last_z(Ws, x):\n    return np.matmul(Ws[len(Ws) - 1], x)"
    verdict = grade(hidden, reference, last_only, points=2)
    assert verdict.cases[0].mistake == "You applied the last layer to the input only."   # the same shapes named
    assert verdict.cases[1].passed


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


def test_what_the_kernel_sends_is_decoded_as_data_never_as_code(tmp_path):
    """Plans may carry functions as source text (grader to kernel); the grader decodes what comes
    back as data only: a forged outcome or request that names a function is refused, not run."""
    from autograder.harness import serve_request
    marker = tmp_path / "ran"
    code = {"__function__": f"open({str(marker)!r}, 'w').close() or (lambda: 0)", "data": {}}
    hidden = """
    @hidden
    def test(t):
        t.call("f", 1.0)
    """
    reference = namespace("def f(x): return 2 * x")
    source = IMPORT + textwrap.dedent(hidden)
    for forged in [{"outcome": "returned", "value": code, "after": [[]]},
                   {"outcome": "returned", "value": {"__list__": [{"__numpy__": "lib.npyio.load"}]}, "after": [[]]},
                   {"outcome": "returned", "value": {"__float__": "2.0"}, "after": [[code]]}]:
        verdict = judge("t", 1, reference, source, 0, {"records": [forged]})
        assert verdict.points == 0 and "could not be read" in verdict.cases[0].message
    reply = json.loads(serve_request([lambda x: x], "autograder-served:" + json.dumps({"served": 0, "args": [code]})))
    assert reply["error_type"] == "ValueError" and "could not read" in reply["error"]
    assert not marker.exists()


def test_served_functions_keep_their_definition_in_the_grader():
    """t.served: the plan holds an index, never the function or its data; each call the student's
    code makes is answered by the grader, with the arguments it sent."""
    from autograder.plans import Rounds
    hidden = IMPORT + textwrap.dedent("""
    @hidden
    def test(t):
        secret = t.rng.uniform(3.0, 4.0)
        t.call("root_of", t.served(lambda x: x**2 - secret, label="x**2 - c"), 1.0, rtol=1e-9)
        t.mistake("root_of", lambda f, x0: -1.0, "wrong sign")
        t.mistake("root_of", lambda f, x0: 0.0, "zero")
    """)
    solver = """
    def root_of(f, x0):
        lo, hi = 0.0, 10.0
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
        return (lo + hi) / 2
    """
    reference = namespace(solver)
    recorded = run_reference(reference, hidden, 11)
    plan = Rounds(recorded).first()
    assert json.loads(plan)["calls"][0]["args"][0] == {"__served__": 0}
    assert f"{recorded.cases[0].value:.6f}"[:6] not in plan
    assert judge("t", 1, reference, hidden, 11, kernel_payload(recorded, namespace(solver)), reference=recorded).points == 1
    reads = namespace("def root_of(f, x0):\n    return float(getattr(f, 'data', {}).get('secret', 0.0) ** 0.5)")
    assert judge("t", 1, reference, hidden, 11, kernel_payload(recorded, reads), reference=recorded).points == 0


def test_a_record_from_the_kernel_holds_only_the_keys_of_an_outcome():
    """A forged record cannot carry the grader's own decoded form (which would skip strict decoding)."""
    from autograder.plans import Rounds
    hidden = IMPORT + "@hidden\ndef test(t):\n    t.call('f', 1.0, returns=float)\n"
    reference = namespace("def f(x): return 2 * x")
    recorded = run_reference(reference, hidden, 0)
    rounds = Rounds(recorded)
    rounds.first()
    forged = {"outcome": "returned", "value": {"__unserializable__": "x"}, "decoded": [2.0, []]}
    assert rounds.receive({"records": [forged]}) is None
    assert "decoded" not in rounds.payload()["records"][0]
    assert judge("t", 1, reference, hidden, 0, rounds.payload(), reference=recorded).points == 0


def test_returns_is_the_type_of_each_result_with_also_and_at():
    """With also= (more calls) or at= (a returned function's values) the value is a list of results:
    returns=float asks each of them to be a float (it used to ask the list, failing the solution)."""
    hidden = """
    @hidden
    def test(t):
        t.call("half", 4.0, also=[(6.0,), (8.0,)], returns=float)
        t.call("scale", 3.0, at=[1.0, 2.0], returns=float)
    """
    reference = "def half(x): return x / 2\ndef scale(k): return lambda x: k * x"
    right = grade(hidden, reference, reference)
    assert right.points == right.max_points and all(c.passed for c in right.cases)
    wrong = ("def half(x): return np.array(x / 2) if x == 8.0 else x / 2\n"
             "def scale(k): return lambda x: np.array(k * x)")
    verdict = grade(hidden, reference, wrong)
    assert verdict.points == 0
    assert "(result 3 of 3)" in verdict.cases[0].message and "expected a float" in verdict.cases[0].message
    assert "(result 1 of 2)" in verdict.cases[1].message
