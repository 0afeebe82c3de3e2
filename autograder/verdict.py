"""Verdicts, reached in the grader process only.

For each hidden test the grader runs the instructor's hidden test code against the instructor's
solution (the source notebook, executed here), with the same per-student seed: that gives, case by
case, the expected outcome and how to judge it (autograder.harness). The student's outcomes arrive
from the kernel as raw data (autograder.kernel_side, autograder.plans). Types, shapes, symmetry,
changes made to the arguments, tolerances, partial credit and known mistakes are all decided here.
"""
import re
from dataclasses import dataclass, field

import numpy as np

from .harness import GAME_ERROR, Case, Unserializable, collecting, decode
from .kernel_side import RECORD_KEYS, mutable_positions


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
    classic: bool = False          # a plain nbgrader test cell: all or nothing (job.classic_verdict)


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


def as_record(case):
    """A Case recorded in the grader as the outcome record a kernel sends (decoded already)."""
    return {"outcome": case.outcome, "error_type": case.error_type, "error_message": case.error_message,
            "decoded": (case.value, case.after)}


def judge(grade_id, max_points, namespace, hidden_source, seed, student_payload, problem=None, reference=None):
    """Compare the student's outcomes (one record per case, autograder.plans.Rounds.payload) with
    the reference; return a TestVerdict."""
    reference = reference or run_reference(namespace, hidden_source, seed)
    verdict = TestVerdict(grade_id, 0.0, max_points)
    records = student_payload.get("records") if isinstance(student_payload, dict) else None
    if not isinstance(records, list) or problem:
        verdict.problem = problem or "the hidden tests did not run (see the messages above)"
        records = []
    mistakes = [(message, run_reference(namespace, hidden_source, seed, (name, impl)))
                for name, impl, message in reference.mistakes]
    # A mistake can only explain a case where it goes wrong: where its outcome passes the case
    # (an unweighted fit when sigma is None), matching it would name a mistake for a slightly-off answer.
    wrong_on = [{i for i, (c, e) in enumerate(zip(mistaken.cases, reference.cases))
                 if not compare(as_record(c), e)[0]} for _, mistaken in mistakes]
    # Where one case's outcome fits several mistakes, name the one that agrees with the most of
    # this student's outcomes (then the first registered).
    usable = [{k: r[k] for k in RECORD_KEYS if k in r} if isinstance(r, dict) else {}
              for r in records[:len(reference.cases)]]
    matched = [{i for i, got in enumerate(usable) if i < len(mistaken.cases) and same_outcome(got, mistaken.cases[i])}
               for _, mistaken in mistakes]
    # Evidence for a mistake beyond sharing an exception's type: a value it gives where it goes wrong.
    by_value = [{i for i in hits & wrong if mistaken.cases[i].outcome == "returned"}
                for hits, wrong, (_, mistaken) in zip(matched, wrong_on, mistakes)]
    order = sorted(range(len(mistakes)), key=lambda i: -len(matched[i]))
    ranked = [(mistakes[i][0], mistakes[i][1], wrong_on[i], matched[i], by_value[i]) for i in order]

    for index, expected in enumerate(reference.cases):
        got = usable[index] if index < len(usable) else None
        weight = expected.spec["weight"]
        if got is None:
            verdict.cases.append(CaseVerdict(expected.label, False, weight,
                                             verdict.problem or "this case did not run"))
            continue
        passed, message = compare(got, expected)
        case = CaseVerdict(expected.label, passed, weight, message)
        if not passed:
            for mistake_message, mistaken, wrong, hits, values in ranked:
                if index in wrong and (index in hits or values - {index} and
                                       same_exception_type(got, mistaken.cases[index])):
                    case.mistake = mistake_message
                    break
        verdict.cases.append(case)

    total = sum(c.weight for c in verdict.cases)
    earned = sum(c.weight for c in verdict.cases if c.passed)
    verdict.points = round(max_points * earned / total, 6) if total else 0.0
    return verdict


# --- comparison ----------------------------------------------------------------------------------

def read(got):
    """(value, after) of a student's record, decoded strictly; ValueError if it cannot be read."""
    if "decoded" in got:
        return got["decoded"]
    try:
        value = decode(got.get("value"))
        after = got.get("after", [])
        after = [[decode(v) for v in group] for group in after] if isinstance(after, list) else None
    except Exception as error:  # noqa: BLE001  (the kernel's data, whatever it sent)
        raise ValueError("its result could not be read") from error
    if after is None or not all(isinstance(group, list) for group in after):
        raise ValueError("its result could not be read")
    return value, after


def compare(got, expected):
    """(passed, message): the student's outcome record against a reference Case."""
    outcome = got.get("outcome")
    if expected.outcome == "raised":
        if outcome == "raised" and got.get("error_type") == expected.error_type:
            return True, f"raised {expected.error_type}, as it should"
        if outcome == "returned":
            try:
                shown = show(read(got)[0])
            except ValueError:
                shown = "a value that could not be read"
            return False, f"expected {expected.error_type} to be raised, but it returned {shown}"
        return False, f"expected {expected.error_type} to be raised, but {describe_failure(got)}"
    if outcome != "returned":
        return False, describe_failure(got)
    try:
        value, after = read(got)
    except ValueError as error:
        return False, str(error)
    changed = changed_arguments(after, expected, spec_tolerance(expected) if expected.spec.get("loose_after") else None)
    if changed:
        return False, changed
    spec = expected.spec
    if spec.get("returns") is not None:
        # With at=/also= the value is the list of every result: the type is each result's.
        several = bool(expected.call) and ("at" in expected.call or "also" in expected.call) \
            and isinstance(value, list)
        for number, result in enumerate(value if several else [value]):
            if not is_of_type(result, spec["returns"]):
                which = f" (result {number + 1} of {len(value)})" if several else ""
                return False, f"returned {describe_type(result)}{which}, expected {type_name(spec['returns'])}"
    check = spec.get("check")
    if check is not None:
        try:
            result = check(value, expected.value, expected)
        except Exception as error:  # a check that cannot handle the value fails the case
            return False, f"returned {show(value)}, which could not be checked ({type(error).__name__})"
        passed, message = result if isinstance(result, tuple) else (bool(result), "")
        return bool(passed), message or ("" if passed else f"returned {show(value)}")
    passed, message = close(value, expected.value, spec["rtol"], spec["atol"])
    if passed and spec.get("symmetric"):
        return symmetric(value)
    return passed, message


def spec_tolerance(case):
    return case.spec["rtol"], case.spec["atol"]


def changed_arguments(after, expected, tolerance=None):
    """A message if the student's call left an argument (an array, a list, a dict) other than the
    instructor's left it (unchanged, unless the task changes it in place); else ""."""
    if len(after) != len(expected.after):
        return "its arguments after the call could not be read"
    call = expected.call or {"args": [], "kwargs": {}}
    groups = [(call["args"], call["kwargs"])] + [tuple(g) for g in call.get("also", [])]
    for number, (group, wanted) in enumerate(zip(after, expected.after)):
        positions, names = mutable_positions(*groups[number]) if number < len(groups) else ([], [])
        which = [f"argument {p + 1}" for p in positions] + [f"argument {n}=" for n in names]
        if len(group) != len(wanted):
            return "its arguments after the call could not be read"
        for index, (state, reference) in enumerate(zip(group, wanted)):
            if not same_data(state, reference, *(tolerance or (0.0, 0.0))):
                name = which[index] if index < len(which) else "an argument"
                call_number = f" (in call {number + 1})" if len(groups) > 1 else ""
                return (f"it changed its {name}{call_number} in place: the caller's data must be left as it was "
                        "(work on a copy, e.g. np.array(x, dtype=float))")
    return ""


def same_data(a, b, rtol=0.0, atol=0.0):
    """The same data: type, shape, dtype and every entry (NaN equal to NaN), exactly by default; with a
    tolerance (recognising a mistake, written another way), numbers of any type by value."""
    numbers = (int, float, np.integer, np.floating)
    if (rtol or atol) and isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        return bool(np.isclose(float(a), float(b), rtol=rtol, atol=atol, equal_nan=True))
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_data(x, y, rtol, atol) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_data(a[k], b[k], rtol, atol) for k in a)
    if isinstance(a, np.ndarray) and (a.shape != b.shape or a.dtype != b.dtype):
        return False
    if isinstance(a, (np.ndarray, float, np.floating, complex)):
        if not (rtol or atol):
            return bool(np.array_equal(a, b, equal_nan=np.asarray(a).dtype.kind in "fc"))
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
    return a == b


_SCALARS = {float: (float, np.float64), int: (int, np.integer), bool: (bool, np.bool_)}


def is_of_type(value, wanted):
    """`value` (decoded strictly: exact types only) is what `returns=wanted` asks for. A float is a
    Python float or a numpy float64 (which is one); an int any integer, never a bool."""
    if wanted is int:
        return (type(value) is int or isinstance(value, np.integer)) and type(value) is not bool
    if wanted in _SCALARS:
        return isinstance(value, _SCALARS[wanted]) and not isinstance(value, Unserializable)
    return type(value) is wanted


def type_name(wanted):
    return {float: "a float", int: "an int", bool: "a bool", str: "a string", tuple: "a tuple",
            list: "a list", dict: "a dict", np.ndarray: "a numpy array"}.get(wanted, getattr(wanted, "__name__", "?"))


def describe_type(value):
    if isinstance(value, Unserializable):
        return value.what
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"{show(value)} (of type {type(value).__name__})"


def symmetric(value):
    if not isinstance(value, np.ndarray) or value.ndim != 2 or value.shape[0] != value.shape[1]:
        return False, f"returned {describe_type(value)}, expected a square array"
    if np.array_equal(value, value.T, equal_nan=True):
        return True, ""
    gap = np.nanmax(np.abs(value - value.T))
    return False, (f"the values are close, but the result is not exactly symmetric: H[i, j] and H[j, i] differ "
                   f"by up to {gap:.3g} (symmetrise it: (H + H.T) / 2)")


MISTAKE_RTOL, MISTAKE_ATOL = 1e-6, 1e-9   # at least this loose when recognising a mistake
_SHAPE = re.compile(r"\(\s*\d+\s*(?:,\s*\d+\s*)*,?\s*\)")


def messages_match(message, mistaken_message):
    """Evidence that two exceptions of one type come from the same mistake: the same message, or
    the same shapes named in it (numpy's messages name the shapes that did not fit)."""
    a, b = (" ".join(str(m or "").split()) for m in (message, mistaken_message))
    if a == b:
        return True
    shapes = [[re.sub(r"\s", "", s) for s in _SHAPE.findall(m)] for m in (a, b)]
    if shapes[0] or shapes[1]:
        return shapes[0] == shapes[1]
    sizes = [re.findall(r"\d+", m) for m in (a, b)]   # matmul names sizes, not shapes
    return bool(sizes[0]) and sizes[0] == sizes[1]


def same_exception_type(got, mistaken):
    """Both raised the same type of exception: evidence for a mistake only where the student's other
    cases show its values (autograder.verdict.judge); a type alone says little (a shape bug is a
    ValueError too)."""
    return (mistaken.outcome == "raised" and got.get("outcome") == "raised"
            and got.get("error_type") == mistaken.error_type)


def same_outcome(got, mistaken):
    """Whether the student's outcome is what a registered mistake gives, on evidence: the same value
    (at least to MISTAKE_RTOL: a mistake written another way rounds differently) and the same
    arguments after the call; for an exception, the same type and a matching message. A case's
    `check=` judges against an independent reference, not against the value it is handed, so a
    mistake's value is matched by approximate equality instead."""
    if mistaken.outcome == "raised":
        return (got.get("outcome") == "raised" and got.get("error_type") == mistaken.error_type
                and messages_match(got.get("error_message"), mistaken.error_message))
    if mistaken.outcome != "returned" or got.get("outcome") != "returned":
        return False
    spec = {**mistaken.spec, "check": None, "returns": None, "symmetric": False, "loose_after": True,
            "rtol": max(mistaken.spec["rtol"], MISTAKE_RTOL),
            "atol": max(mistaken.spec["atol"], MISTAKE_ATOL, MISTAKE_RTOL * _magnitude(mistaken.value))}
    plain = Case(mistaken.label, spec, mistaken.name)
    plain.outcome, plain.value, plain.after, plain.call = "returned", mistaken.value, mistaken.after, mistaken.call
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
    if outcome == "raised" and got.get("error_type") == GAME_ERROR:
        return str(got.get("error_message"))
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
    lost = ~np.isfinite(g) & np.isfinite(e)      # NaN or inf where a number is expected
    if lost.any():
        where = tuple(int(i) for i in np.argwhere(lost)[0]) if e.ndim else ()
        at = f" at index {where}" if e.ndim else ""
        more = int(lost.sum()) - 1
        others = f" (and {more} more entr{'y' if more == 1 else 'ies'} not finite)" if more else ""
        return False, (f"returned {show(got)}, expected {show(expected)}: {g[where].item()}{at} where "
                       f"{e[where].item():.6g} is expected{others}. A NaN or inf comes from an overflow "
                       f"(e^z for large z, say), 0/0 or inf - inf")
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


