"""The a5 sandpit landscapes separate the strategies as the task text says: over many students'
landscapes plain steepest descent solves the hills, the saddle and about half the valleys, pure Newton (and a
"hybrid" that takes the Newton step where H is not positive definite) every valley and no hill, Newton
guarded only against a maximum (or turned round where it climbs) loses the saddle game for every student,
and the lecture's safeguarded hybrid solves everything."""
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


def newton_unless_a_maximum(f, J, H):
    """Guards only against a maximum: Newton wherever H is not negative definite (saddles too)."""
    d = -np.linalg.solve(H, J)
    if np.linalg.eigvalsh(H).max() >= 0 and J @ d < 0 and np.linalg.norm(d) <= 1.5:
        return d
    return capped(-0.5 * np.asarray(J), 0.5)


def newton_flipped_when_uphill(f, J, H):
    d = -np.linalg.solve(H, J)
    return -d if J @ d > 0 else d


# name: (strategy, (low, high) share of the 3 valleys solved, (low, high) share of the 3 non-convex games
# (2 hills, 1 saddle) solved)
STRATEGIES = {
    "steepest descent, -0.3 J": (lambda f, J, H: -0.3 * np.asarray(J), (0.4, 0.75), (0.95, 1.0)),
    "Newton, -H⁻¹J": (lambda f, J, H: -np.linalg.solve(H, J), (0.95, 1.0), (0.0, 0.02)),
    "Newton wherever the step is short": (climbing_hybrid, (0.95, 1.0), (0.0, 0.02)),
    "the lecture's hybrid": (lecture_hybrid, (0.98, 1.0), (0.98, 1.0)),
    "the solution's hybrid": (None, (1.0, 1.0), (1.0, 1.0)),
    "Newton unless H is a maximum's": (newton_unless_a_maximum, (0.95, 1.0), (0.0, 2 / 3)),
    "Newton turned round when uphill": (newton_flipped_when_uphill, (0.95, 1.0), (0.0, 2 / 3)),
}
SADDLE_LOSERS = ["Newton, -H⁻¹J", "Newton wherever the step is short", "Newton unless H is a maximum's",
                 "Newton turned round when uphill"]


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
        assert len(cases) == 6 and "valley" in cases[0].label and "hill" in cases[4].label and "saddle" in cases[5].label
        # each case's check replays the reported steps from the grader's own start and phone
        solved.append([bool(case.spec["check"](case.value, case.value, case)[0]) for case in cases])
    solved = np.array(solved)
    valley_rate, hill_rate = solved[:, :3].mean(), solved[:, 3:].mean()
    print(f"{name}: {valley_rate:.0%} of {solved[:, :3].size} valleys, {hill_rate:.0%} of {solved[:, 3:].size} hills")
    assert valleys[0] <= valley_rate <= valleys[1], f"{name} solved {valley_rate:.0%} of the valleys"
    assert hills[0] <= hill_rate <= hills[1], f"{name} solved {hill_rate:.0%} of the hills"
    # the saddle game: every Newton-at-a-saddle strategy loses it for every student, the hybrids win it
    if name in SADDLE_LOSERS:
        assert not solved[:, 5].any(), f"{name} solved the saddle game for students {np.flatnonzero(solved[:, 5])}"
    elif name in ("the lecture's hybrid", "the solution's hybrid"):
        assert solved[:, 5].all(), f"{name} lost the saddle game for students {np.flatnonzero(~solved[:, 5])}"


def test_half_the_landscapes_are_not_convex(game):
    """Every student's two hill games start where H is negative definite (both eigenvalues below 0); the
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
        assert (largest < -1.0).sum() >= 2, f"seed {seed}: fewer than 2 probes where H is negative definite"
        assert smallest.min() < -5.0 and smallest.max() > 0.3


def test_the_saddle_game_starts_where_newton_goes_downhill_into_the_saddle(game):
    """Game 6 starts where H has one eigenvalue of each sign and -H⁻¹J goes downhill (J·d < 0): a
    "downhill" check does not reject the Newton step there; pure Newton ends on a point with J = 0 that
    is not the phone."""
    namespace, hidden = game
    for seed in range(20):
        first = []

        def recording(f, J, H):
            first.append((np.asarray(J), np.asarray(H)))
            return -np.linalg.solve(H, J)

        cases = run_reference(namespace, hidden, seed, ("next_step", recording)).cases
        kinds = [(np.linalg.eigvalsh(H), J @ -np.linalg.solve(H, J), np.linalg.norm(J)) for J, H in first]
        # a probe where H is indefinite and the Newton step still goes downhill (the saddle game's start) ...
        assert any(lam[0] < 0 < lam[1] and slope < 0 and size > 1e-3 for lam, slope, size in kinds), seed
        # ... and pure Newton sits at a saddle (J = 0, H indefinite: the hills' tops are negative definite)
        assert any(lam[0] < 0 < lam[1] and size < 1e-8 for lam, slope, size in kinds), seed
        assert not cases[5].value["found"] and cases[0].value["found"]
