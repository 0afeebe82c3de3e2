"""Verdicts, reached in the grader process only.

For each hidden test the grader re-runs the instructor's hidden test code against the
instructor's solution (the source notebook, executed here), with the same per-student seed
the kernel used. That gives, case by case, the expected outcome and how to judge it; the
student's outcomes arrive from the kernel as plain data (autograder.harness). Comparison,
partial credit and known-mistake diagnosis all happen here.
"""
from dataclasses import dataclass, field

import numpy as np

from .harness import Case, Tester, Unserializable, collecting, decode, encode, record


@dataclass
class CaseVerdict:
    label: str
    passed: bool
    weight: float
    message: str = ""
    mistake: str | None = None


@dataclass
class TestVerdict:
    grade_id: str
    points: float
    max_points: float
    cases: list = field(default_factory=list)
    problem: str | None = None     # why no case could be judged (e.g. the kernel died first)


# --- the instructor's side ---------------------------------------------------------------------

def run_reference(namespace, hidden_source, seed, substitute=None):
    """Run one hidden test against `namespace` (the solution); return its Tester.

    substitute=(name, implementation) replaces one function, to see what a mistake returns.
    """
    ns = dict(namespace)
    if substitute is not None:
        ns[substitute[0]] = substitute[1]
    with collecting(seed) as found:
        exec(compile(hidden_source, "<hidden tests>", "exec"), ns)
    if len(found["testers"]) != 1:
        raise ValueError(f"a hidden test block must define exactly one @hidden test, "
                         f"found {len(found['testers'])}")
    return found["testers"][0]


def judge(grade_id, max_points, namespace, hidden_source, seed, student_payload, problem=None):
    """Compare the student's outcomes with the reference; return a TestVerdict."""
    reference = run_reference(namespace, hidden_source, seed)
    verdict = TestVerdict(grade_id, 0.0, max_points)
    if student_payload is None or "error" in (student_payload or {}):
        verdict.problem = problem or (student_payload or {}).get("error") or \
            "the hidden tests did not run (see the messages above)"
        student_cases = []
    else:
        student_cases = student_payload.get("cases", [])
    mistakes = [(message, run_reference(namespace, hidden_source, seed, (name, impl)))
                for name, impl, message in reference.mistakes]

    in_step = []
    for index, expected in enumerate(reference.cases):
        got = student_cases[index] if index < len(student_cases) else None
        if got is None or got.get("label") != expected.label:
            break  # out of step: the kernel ran different cases, so judge none of the rest
        in_step.append(got)
    # A mistake can only explain a case where it goes wrong: where its outcome passes the case
    # (an unweighted fit when sigma is None), matching it would name a mistake for a slightly-off answer.
    wrong_on = [{i for i, (c, e) in enumerate(zip(mistaken.cases, reference.cases)) if not compare(record(c), e)[0]}
                for _, mistaken in mistakes]
    # Where one case's outcome fits several mistakes, name the one that agrees with the most of
    # this student's outcomes (then the first registered).
    explained = [sum(same_outcome(got, mistaken.cases[i]) for i, got in enumerate(in_step)
                     if i < len(mistaken.cases)) for _, mistaken in mistakes]
    order = sorted(range(len(mistakes)), key=lambda i: -explained[i])
    ranked = [(mistakes[i][0], mistakes[i][1], wrong_on[i]) for i in order]

    for index, expected in enumerate(reference.cases):
        got = in_step[index] if index < len(in_step) else None
        weight = expected.spec["weight"]
        if got is None:
            verdict.cases.append(CaseVerdict(expected.label, False, weight,
                                             verdict.problem or "this case did not run"))
            continue
        passed, message = compare(got, expected)
        case = CaseVerdict(expected.label, passed, weight, message)
        if not passed:
            for mistake_message, mistaken, wrong in ranked:
                if index in wrong and same_outcome(got, mistaken.cases[index]):
                    case.mistake = mistake_message
                    break
        verdict.cases.append(case)

    total = sum(c.weight for c in verdict.cases)
    earned = sum(c.weight for c in verdict.cases if c.passed)
    verdict.points = round(max_points * earned / total, 6) if total else 0.0
    return verdict


# --- comparison ----------------------------------------------------------------------------------

def compare(got, expected):
    """(passed, message): the student's outcome record against a reference Case."""
    outcome = got.get("outcome")
    if expected.outcome == "raised":
        if outcome == "raised" and got.get("error_type") == expected.error_type:
            return True, f"raised {expected.error_type}, as it should"
        if outcome == "returned":
            return False, (f"expected {expected.error_type} to be raised, but it returned "
                           f"{show(decode(got.get('value')))}")
        return False, f"expected {expected.error_type} to be raised, but {describe_failure(got)}"
    if outcome != "returned":
        return False, describe_failure(got)
    try:
        value = decode(got.get("value"))
    except Exception:
        return False, "its result could not be read"
    check = expected.spec.get("check")
    if check is not None:
        try:
            result = check(value, expected.value, expected)
        except Exception as error:  # a check that cannot handle the value fails the case
            return False, f"returned {show(value)}, which could not be checked ({type(error).__name__})"
        passed, message = result if isinstance(result, tuple) else (bool(result), "")
        return bool(passed), message or ("" if passed else f"returned {show(value)}")
    return close(value, expected.value, expected.spec["rtol"], expected.spec["atol"])


MISTAKE_RTOL, MISTAKE_ATOL = 1e-6, 1e-9   # at least this loose when recognising a mistake


def same_outcome(got, mistaken):
    """Whether the student's outcome is what a registered mistake gives. A mistake written another
    way rounds differently, so it is matched at least to MISTAKE_RTOL even where the case itself is
    stricter. A case's `check=` judges against an independent reference, not against the value it is
    handed, so a mistake's value is matched by approximate equality instead."""
    spec = {**mistaken.spec, "check": None, "rtol": max(mistaken.spec["rtol"], MISTAKE_RTOL),
            "atol": max(mistaken.spec["atol"], MISTAKE_ATOL, MISTAKE_RTOL * _magnitude(mistaken.value))}
    plain = Case(mistaken.label, spec, mistaken.name)
    plain.outcome, plain.value, plain.error_type = mistaken.outcome, mistaken.value, mistaken.error_type
    return compare(got, plain)[0]


def _magnitude(value):
    """The largest finite entry of an array-like result, else 0: entries near zero in an array
    (a gradient where it changes sign) are matched to the array's scale, not their own."""
    try:
        array = np.abs(np.asarray(value, dtype=float))
    except (TypeError, ValueError):
        return 0.0
    finite = array[np.isfinite(array)]
    return float(finite.max()) if array.ndim and finite.size else 0.0


def describe_failure(got):
    outcome = got.get("outcome")
    if outcome == "raised" and got.get("error_type") == "NotImplementedError":
        return "not answered yet: the function still raises NotImplementedError"
    if outcome == "raised":
        return f"it raised {got.get('error_type')}: {got.get('error_message') or ''}".rstrip(": ")
    if outcome == "interrupted":
        return "it was stopped by the time limit"
    return got.get("error_message") or "it did not run"


def close(got, expected, rtol, atol):
    """Approximate equality with a message that says how it failed."""
    if isinstance(got, Unserializable):
        return False, f"returned {got.what}, expected {show(expected)}"
    if isinstance(expected, (str, bool, type(None))) or isinstance(got, (str, type(None))):
        if type(got) is type(expected) and got == expected:
            return True, ""
        return False, f"returned {show(got)}, expected {show(expected)}"
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            return False, f"returned {show(got)}, expected a dict with keys {sorted(map(str, expected))}"
        for key in expected:
            ok, message = close(got[key], expected[key], rtol, atol)
            if not ok:
                return False, f"[{key!r}]: {message}"
        return True, ""
    if isinstance(expected, (list, tuple)) and not _is_numeric_sequence(expected):
        if not isinstance(got, (list, tuple)) or len(got) != len(expected):
            return False, f"returned {show(got)}, expected a sequence of {len(expected)} items"
        for index, (g, e) in enumerate(zip(got, expected)):
            ok, message = close(g, e, rtol, atol)
            if not ok:
                return False, f"item {index}: {message}"
        return True, ""
    # numbers and arrays
    try:
        g = np.asarray(got)
        e = np.asarray(expected)
        if g.dtype == object or not np.issubdtype(g.dtype, np.number) and g.dtype != bool:
            raise TypeError
    except (TypeError, ValueError):
        return False, f"returned {show(got)}, expected {show(expected)}"
    if g.shape != e.shape:
        if g.ndim == 2 and g.shape == e.T.shape and np.allclose(g, e.T, rtol=rtol, atol=atol):
            return False, f"returned the transpose of the expected {e.shape} array"
        return False, f"returned shape {g.shape}, expected shape {e.shape}"
    if np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True):
        return True, ""
    error = np.abs(g.astype(complex) - e.astype(complex))
    worst = np.unravel_index(np.nanargmax(np.where(np.isnan(error), np.inf, error)), e.shape) if e.ndim else ()
    known = error[~np.isnan(error)]   # all NaN (a NaN answer): say so without numpy's warning
    return False, (f"returned {show(got)}, expected {show(expected)}: off by "
                   f"{float(known.max()) if known.size else float('nan'):.3g}"
                   f"{' at index ' + str(tuple(int(i) for i in worst)) if e.ndim else ''}"
                   f" (tolerance {atol:g} + {rtol:g}·|expected|)")


def _is_numeric_sequence(value):
    try:
        return np.asarray(value).dtype.kind in "biufc"
    except (TypeError, ValueError):
        return False


def show(value):
    """A short, readable description of a value for feedback."""
    if isinstance(value, Unserializable):
        return value.what
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=6, threshold=6, edgeitems=2, linewidth=10**6):
            text = np.array2string(value, separator=", ").replace("\n", "")
        return f"array of shape {value.shape} {text}" if value.ndim else text
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.10g}"
    with np.printoptions(precision=6):
        text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


# --- the instructor's self-check in the source notebook -------------------------------------------

# Answers that ignore their inputs: a test must not pay for them (DESIGN: no free points).
INPUT_IGNORING = [
    ("return 0.0", lambda *args, **kwargs: 0.0),
    ("return None", lambda *args, **kwargs: None),
    ("return the first argument", lambda *args, **kwargs: args[0] if args else None),
]
FREE_POINTS_LIMIT = 0.10


def free_points(test, reference):
    """[(answer, fraction of the test's weight it earns)] for each input-ignoring answer put
    in place of every function the test calls."""
    names = {case.name for case in reference.cases if case.name}
    total = sum(case.spec["weight"] for case in reference.cases) or 1.0
    found = []
    for answer, implementation in INPUT_IGNORING:
        tester = Tester({**test.__globals__, **{name: implementation for name in names}}, 0)
        test(tester)
        earned = sum(expected.spec["weight"] for got, expected in zip(tester.cases, reference.cases)
                     if compare(record(got), expected)[0])
        found.append((answer, earned / total))
    return found


def self_check(test):
    """Run a hidden test against the solution in the instructor's own notebook.

    Checks what grading relies on: every case runs and its result can leave a kernel as
    data, every registered mistake is caught by at least one case, and answers that ignore
    their inputs (return 0.0, None, or the first argument) earn at most 10 % of the points.
    Prints a summary.
    """
    tester = Tester(test.__globals__, 0)
    test(tester)
    for case in tester.cases:
        assert case.outcome in ("returned", "raised"), f"{case.label}: {case.outcome}"
        if case.outcome == "returned":
            value = decode(encode(case.value))
            assert not isinstance(value, Unserializable), \
                f"{case.label} returns {value.what}: use then= to turn it into numbers"
            assert compare(record(case), case)[0], f"{case.label}: the solution does not pass its own case"
    for name, implementation, message in tester.mistakes:
        mistaken = Tester({**test.__globals__, name: implementation}, 0)
        test(mistaken)
        broken = [c for c in mistaken.cases if c.outcome == "raised" and c.error_type == "NameError"]
        assert not broken, (f"the mistake {message!r} raises NameError ({broken[0].error_message}): it would "
                            "never match a student's answer; define what it uses before @hidden runs")
        caught = [c.label for c, e in zip(mistaken.cases, tester.cases)
                  if not compare(record(c), e)[0]]
        assert caught, f"the mistake {message!r} passes every case: add a case that catches it"
    for answer, fraction in free_points(test, tester):
        assert fraction <= FREE_POINTS_LIMIT, (
            f"an answer that ignores its inputs ({answer}) earns {fraction:.0%} of this test's points: "
            "check a type together with the value, e.g. then=lambda r: (r, isinstance(r, float))")
    print(f"hidden test: {len(tester.cases)} cases pass on the solution; "
          f"{len(tester.mistakes)} known mistakes, each caught; no free points")
