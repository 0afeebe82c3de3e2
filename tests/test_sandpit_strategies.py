"""The a5 sandpit landscapes separate the strategies as the task text says: over many students'
landscapes plain steepest descent solves the hills and about half the valleys, pure Newton (and a
"hybrid" that takes the Newton step where H is not positive definite) every valley and no hill, and the
lecture's safeguarded hybrid everything."""
import numpy as np
import pytest

from autograder.compile import compile_assignment, reference_namespaces
from autograder.verdict import run_reference
from conftest import REPO


def capped(step, cap):
    length = np.linalg.norm(step)
    return step if length <= cap else step * cap / length


def climbing_hybrid(f, J, H):
    """Newton whenever the step is short, whatever the curvature: climbs to a hilltop."""
    d = -np.linalg.solve(H, J)
    return d if np.linalg.norm(d) <= 1.5 else capped(-0.5 * np.asarray(J), 0.5)


def lecture_hybrid(f, J, H):
    """Week 5 notebook 3's hybrid (cap 1, rate 0.5), written independently of the solution."""
    d = -np.linalg.solve(H, J)
    if np.linalg.eigvalsh(H).min() > 0 and J @ d < 0 and np.linalg.norm(d) <= 1.0:
        return d
    return capped(-0.5 * np.asarray(J), 1.0)


# name: (strategy, (low, high) share of the 3 valleys solved, (low, high) share of the 3 hills solved)
STRATEGIES = {
    "steepest descent, -0.3 J": (lambda f, J, H: -0.3 * np.asarray(J), (0.4, 0.75), (0.95, 1.0)),
    "Newton, -H⁻¹J": (lambda f, J, H: -np.linalg.solve(H, J), (0.95, 1.0), (0.0, 0.02)),
    "Newton wherever the step is short": (climbing_hybrid, (0.95, 1.0), (0.0, 0.02)),
    "the lecture's hybrid": (lecture_hybrid, (0.98, 1.0), (0.98, 1.0)),
    "the solution's hybrid": (None, (1.0, 1.0), (1.0, 1.0)),
}


@pytest.fixture(scope="module")
def game():
    spec = compile_assignment(REPO / "source" / "a5_optimisation", "a5_optimisation")
    return reference_namespaces(spec)["test_next_step"], spec.tests["test_next_step"].hidden


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_success_rates(game, name):
    namespace, hidden = game
    strategy, valleys, hills = STRATEGIES[name]
    solved = []
    for seed in range(50):
        cases = run_reference(namespace, hidden, seed, None if strategy is None else ("next_step", strategy)).cases
        assert len(cases) == 6 and "valley" in cases[0].label and "hill" in cases[5].label
        # each case's check replays the reported steps from the grader's own start and phone
        solved.append([bool(case.spec["check"](case.value, case.value, case)[0]) for case in cases])
    solved = np.array(solved)
    valley_rate, hill_rate = solved[:, :3].mean(), solved[:, 3:].mean()
    print(f"{name}: {valley_rate:.0%} of {solved[:, :3].size} valleys, {hill_rate:.0%} of {solved[:, 3:].size} hills")
    assert valleys[0] <= valley_rate <= valleys[1], f"{name} solved {valley_rate:.0%} of the valleys"
    assert hills[0] <= hill_rate <= hills[1], f"{name} solved {hill_rate:.0%} of the hills"


def test_half_the_landscapes_are_not_convex(game):
    """Every student's hill games start where H is negative definite (both eigenvalues below 0); the
    valleys stay positive definite."""
    namespace, hidden = game
    for seed in range(20):
        seen = []

        def recording(f, J, H):
            seen.append(np.linalg.eigvalsh(np.asarray(H)))
            return lecture_hybrid(f, J, H)

        run_reference(namespace, hidden, seed, ("next_step", recording))
        largest = np.array([e.max() for e in seen])
        smallest = np.array([e.min() for e in seen])
        assert (largest < -1.0).sum() >= 3, f"seed {seed}: fewer than 3 probes where H is negative definite"
        assert smallest.min() < -5.0 and smallest.max() > 0.3
