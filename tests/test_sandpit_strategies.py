"""The a5 sandpit landscapes separate the strategies as the task text says: over many students'
landscapes plain steepest descent solves about half, Newton's method and the lecture's hybrid all."""
import numpy as np
import pytest

from autograder.compile import compile_assignment, reference_namespaces
from autograder.verdict import run_reference
from conftest import REPO

STRATEGIES = {
    "steepest descent, -0.3 J": (lambda f, J, H: -0.3 * np.asarray(J), (0.4, 0.75)),
    "Newton, -H⁻¹J": (lambda f, J, H: -np.linalg.solve(H, J), (0.95, 1.0)),
    "the solution's hybrid": (None, (0.98, 1.0)),
}


@pytest.fixture(scope="module")
def game():
    spec = compile_assignment(REPO / "source" / "a5_optimisation", "a5_optimisation")
    return reference_namespaces(spec)["test_next_step"], spec.tests["test_next_step"].hidden


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_success_rates(game, name):
    namespace, hidden = game
    strategy, (low, high) = STRATEGIES[name]
    # each case's check replays the reported steps from the grader's own start and phone
    solved = [bool(case.spec["check"](case.value, case.value, case)[0])
              for seed in range(50)
              for case in run_reference(namespace, hidden, seed, None if strategy is None else ("next_step", strategy)).cases]
    rate = np.mean(solved)
    print(f"{name}: {rate:.0%} of {len(solved)} landscapes")
    assert low <= rate <= high, f"{name} solved {rate:.0%}, expected {low:.0%} to {high:.0%}"
