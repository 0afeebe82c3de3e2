"""What an instructor's hidden block imports: `@hidden`.

In the grader (inside `harness.collecting`) it records the test against whatever functions its
namespace holds: the solution, a registered mistake, an answer that ignores its inputs. In the
instructor's own notebook it self-checks the test against the solution, so that a test which
would grade wrongly fails where it is written. Hidden blocks never reach the student's kernel.
"""
import warnings

import numpy as np

from .harness import GAME_ERROR, PlanError, Tester, collector
from .verdict import as_record, compare

# Answers that ignore their inputs: a test must not pay for them (DESIGN: no free points).
INPUT_IGNORING = [
    ("return 0.0", lambda *args, **kwargs: 0.0),
    ("return None", lambda *args, **kwargs: None),
    ("return the first argument", lambda *args, **kwargs: args[0] if args else None),
]
FREE_POINTS_LIMIT = 0.10


def hidden(test):
    """Decorator: record the hidden test (in the grader) or self-check it (in the source notebook)."""
    found = collector()
    if found is not None:
        tester = Tester(test.__globals__, found["seed"])
        test(tester)
        found["testers"].append(tester)
    else:
        # Mistakes and input-ignoring answers overflow and divide by zero by design: their numpy
        # warnings on stderr would read as a failing cell (nbgrader's validate counts stderr).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            with np.errstate(all="ignore"):
                self_check(test)
    return test


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
                     if compare(as_record(got), expected)[0])
        found.append((answer, earned / total))
    return found


def _unserializable(value, depth=0):
    """The first part of a result that could not leave a kernel as data, or None."""
    from .kernel_side import Unserializable
    if isinstance(value, Unserializable):
        return value
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    for item in items:
        found = _unserializable(item, depth + 1) if depth < 20 else None
        if found is not None:
            return found
    return None


def self_check(test):
    """Run a hidden test against the solution in the instructor's own notebook.

    Checks what grading relies on: every call's arguments are data (PlanError names the line
    otherwise), every case runs and its result can leave a kernel as data, every registered
    mistake is caught by at least one case, and answers that ignore their inputs (return 0.0,
    None, or the first argument) earn at most 10 % of the points. Prints a summary.
    """
    tester = Tester(test.__globals__, 0)
    try:
        test(tester)
    except PlanError as error:
        raise AssertionError(str(error)) from None
    for case in tester.cases:
        assert case.outcome in ("returned", "raised"), f"{case.label}: {case.outcome}"
        assert case.error_type != GAME_ERROR, f"{case.label}: {case.error_message} (on the solution)"
        if case.outcome == "returned":
            inner = _unserializable(case.value)
            assert inner is None, f"{case.label} returns {inner.what}: use at=[points] to evaluate a returned function"
            assert compare(as_record(case), case)[0], \
                f"{case.label}: the solution does not pass its own case ({compare(as_record(case), case)[1]})"
    for name, implementation, message in tester.mistakes:
        mistaken = Tester({**test.__globals__, name: implementation}, 0)
        test(mistaken)
        broken = [c for c in mistaken.cases if c.outcome == "raised" and c.error_type == "NameError"]
        assert not broken, (f"the mistake {message!r} raises NameError ({broken[0].error_message}): it would "
                            "never match a student's answer; define what it uses before @hidden runs")
        caught = [c.label for c, e in zip(mistaken.cases, tester.cases) if not compare(as_record(c), e)[0]]
        assert caught, f"the mistake {message!r} passes every case: add a case that catches it"
    for answer, fraction in free_points(test, tester):
        assert fraction <= FREE_POINTS_LIMIT, (
            f"an answer that ignores its inputs ({answer}) earns {fraction:.0%} of this test's points: "
            "check the type of the result (returns=float) or call the function on several inputs in one "
            "case (also=[...])")
    print(f"hidden test: {len(tester.cases)} cases pass on the solution; "
          f"{len(tester.mistakes)} known mistakes, each caught; no free points")
