"""Week 2's helpers: hand-written gradients, Hessians and Jacobians against sympy; the widgets'
update functions headless; the sandpit's game logic."""
import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize

import calckit
from calckit.deformation import MAPS, DeformationExplorer, image_of_cell, jacobian_determinant, polygon_area
from calckit.gradient import GradientExplorer
from calckit.sandpit import DIFFICULTIES, DOMAIN, Landscape, Sandpit, SandpitView, local_minima
from calckit.surfaces import SURFACES

x, y = sp.symbols("x y")
u, v = sp.symbols("u v")
GRID = np.meshgrid(np.linspace(-1.3, 1.7, 9), np.linspace(-1.1, 1.9, 9))


@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_gradient_and_hessian_match_sympy(name):
    s = SURFACES[name]
    expr = sp.sympify(s.expr)
    X, Y = GRID
    gradient = [sp.lambdify((x, y), sp.diff(expr, var), "numpy") for var in (x, y)]
    hessian = sp.hessian(expr, (x, y))
    np.testing.assert_allclose(s.f(X, Y), sp.lambdify((x, y), expr, "numpy")(X, Y), rtol=1e-12, atol=1e-12)
    for hand, reference in zip(s.gradient(X, Y), gradient):
        np.testing.assert_allclose(hand, reference(X, Y) + 0 * X, rtol=1e-12, atol=1e-12)
    for hand, (i, j) in zip(s.hessian(X, Y), [(0, 0), (0, 1), (1, 1)]):
        reference = sp.lambdify((x, y), hessian[i, j], "numpy")
        np.testing.assert_allclose(hand, reference(X, Y) + 0 * X, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(MAPS))
def test_map_jacobians_match_sympy(name):
    m = MAPS[name]
    vector = sp.Matrix([sp.sympify(e) for e in m.expr])
    J = sp.lambdify((u, v), vector.jacobian([u, v]), "numpy")
    U, V = np.meshgrid(np.linspace(*m.ulim, 7), np.linspace(*m.vlim, 7))
    for hand_row, row in zip(m.jacobian(U, V), range(2)):
        for hand, col in zip(hand_row, range(2)):
            reference = np.vectorize(lambda a, b: float(J(a, b)[row, col]))(U, V)
            np.testing.assert_allclose(hand, reference, rtol=1e-12, atol=1e-12)
    X, Y = m.apply(U, V)
    Xs, Ys = (sp.lambdify((u, v), e, "numpy")(U, V) + 0 * U for e in vector)
    np.testing.assert_allclose(X, Xs, atol=1e-12)
    np.testing.assert_allclose(Y, Ys, atol=1e-12)


def test_polar_cell_area_is_r_dr_dtheta():
    """An annular sector between r ± dr/2 and θ, θ + dθ has area r dr dθ exactly (½(r₂² − r₁²)dθ)."""
    x_, y_ = image_of_cell(MAPS["polar"], 0.95, 0.4, 0.1, 0.2, points=2000)
    assert polygon_area(x_, y_) == pytest.approx(1.0 * 0.1 * 0.2, rel=1e-6)


@pytest.mark.parametrize("name", list(MAPS))
def test_small_cells_scale_area_by_abs_det(name):
    explorer = DeformationExplorer(name)
    m = MAPS[name]
    u0, v0 = np.mean(m.ulim) + 0.1, np.mean(m.vlim) - 0.05
    coarse, fine = (abs(explorer.update(u0, v0, size)["ratio"] - 1) for size in (0.1, 0.01))
    assert fine < 1e-3 and fine <= coarse + 1e-12
    assert explorer.update(u0, v0, 0.01)["det"] == pytest.approx(float(jacobian_determinant(m, u0, v0)))
    assert explorer.live.png().startswith(b"\x89PNG")


def test_gradient_explorer_points_uphill():
    explorer = GradientExplorer("hill and hole")
    r = explorer.update(0.3, -0.4)
    e = np.exp(-0.25)
    np.testing.assert_allclose(r["gradient"], [(1 - 2 * 0.09) * e, -2 * 0.3 * -0.4 * e], rtol=1e-12)
    # a small step along `uphill` raises f by about |grad f| times its length
    s = SURFACES["hill and hole"]
    step = 1e-5 * r["uphill"]
    assert (s.f(0.3 + step[0], -0.4 + step[1]) - r["f"]) / 1e-5 == pytest.approx(r["slope"], rel=1e-4)
    r = explorer.update(1 / np.sqrt(2), 0.0)   # the top of the hill: a stationary point
    assert r["slope"] < 1e-12 and not np.any(r["uphill"])
    r = explorer.update(1.0, 1.0, surface="saddle")
    np.testing.assert_allclose(r["gradient"], [2.0, -2.0])
    assert explorer.live.png().startswith(b"\x89PNG")


def test_landscape_derivatives_match_finite_differences():
    rng = np.random.default_rng(5)
    land = Landscape([[1.0, 0.3], [0.3, 2.0]], [0.5, -1.0], -2.0,
                     [(1.5, [1.0, 1.0], 0.5), (0.7, [-1.0, 0.5], 0.8)])
    p = rng.uniform(-2, 2, (6, 2))
    h = 1e-5
    eye = np.eye(2)
    numeric_J = np.stack([(land.depth(p + h * e) - land.depth(p - h * e)) / (2 * h) for e in eye], axis=-1)
    np.testing.assert_allclose(land.jacobian(p), numeric_J, rtol=1e-7, atol=1e-8)
    numeric_H = np.stack([(land.jacobian(p + h * e) - land.jacobian(p - h * e)) / (2 * h) for e in eye], axis=-1)
    np.testing.assert_allclose(land.hessian(p), numeric_H, rtol=1e-6, atol=1e-7)
    assert land.depth(p[0]).shape == () and land.jacobian(p[0]).shape == (2,) and land.hessian(p[0]).shape == (2, 2)


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_the_phone_lies_at_the_deepest_point(difficulty):
    for seed in range(12):
        game = Sandpit(seed, difficulty)
        land = game.landscape
        # scipy, started from a grid of points, finds nothing deeper than the buried phone
        starts = np.stack(np.meshgrid(np.linspace(-2.8, 2.8, 5), np.linspace(-2.8, 2.8, 5)), -1).reshape(-1, 2)
        best = min((minimize(land.depth, s, jac=land.jacobian, bounds=[DOMAIN] * 2) for s in starts),
                   key=lambda r: r.fun)
        assert land.depth(game.minimum) <= best.fun + 1e-9
        assert np.linalg.norm(land.jacobian(game.minimum)) < 1e-8
        assert np.all(np.linalg.eigvalsh(land.hessian(game.minimum)) > 0)
        assert np.all(np.abs(game.minimum) < 2.7)


def test_difficulties_differ_as_promised():
    for seed in range(5):
        bowl, valley, bumpy = (Sandpit(seed, d) for d in DIFFICULTIES)
        ratio = lambda g: np.divide(*np.linalg.eigvalsh(g.landscape.A)[::-1])
        assert ratio(bowl) < 2.5 and ratio(valley) > 19   # round bowl, long narrow valley
        assert len(local_minima(bumpy.landscape)) >= 2     # more than one place to get stuck


def test_games_repeat_from_their_seed_and_differ_between_seeds():
    a, b, c = Sandpit(7, "bumpy"), Sandpit(7, "bumpy"), Sandpit(8, "bumpy")
    assert np.array_equal(a.minimum, b.minimum) and np.array_equal(a.start, b.start)
    assert not np.allclose(a.minimum, c.minimum)
    assert not np.allclose(Sandpit(7, "bowl").minimum, Sandpit(7, "valley").minimum)


def test_probes_count_and_the_game_is_won_within_tolerance():
    game = Sandpit(2, "valley", tolerance=0.1)
    far = game.probe(*np.clip(game.minimum + [1.0, 0.0], *DOMAIN))
    assert not far.found and not game.found and len(game.probes) == 1
    assert far.depth > game.landscape.depth(game.minimum)
    near = game.probe(*(game.minimum + [0.06, -0.06]))   # 0.085 away
    assert near.found and game.found_after == 2
    game.probe(0.0, 0.0)
    assert game.found_after == 2 and len(game.probes) == 3   # later probes do not undo the win


@pytest.mark.parametrize("bad, message", [((3.5, 0.0), "outside the sandpit"), ((np.nan, 0.0), "outside"),
                                          (("a", 1.0), "two numbers"), ((None, 1.0), "two numbers")])
def test_bad_probes_are_refused_clearly(bad, message):
    game = Sandpit(0)
    with pytest.raises(ValueError, match=message):
        game.probe(*bad)
    assert game.probes == []


def test_bad_games_are_refused_clearly():
    with pytest.raises(ValueError, match="choose one of bowl, valley, bumpy"):
        Sandpit(0, "volcano")
    with pytest.raises(ValueError, match="whole number"):
        Sandpit(-1)


def test_play_newton_finds_a_bowl_in_two_probes_and_steepest_descent_is_slower_in_a_valley():
    newton = lambda f, J, H: -np.linalg.solve(H, J)
    for seed in range(5):
        game = Sandpit(seed, "bowl")
        probes = game.play(newton)
        assert probes[-1].found and len(probes) == 2   # a quadratic: one Newton step lands on it
    game = Sandpit(0, "valley")
    steepest = game.play(lambda f, J, H: -0.5 * J, max_probes=30)
    assert not steepest[-1].found and len(steepest) == 30
    steps = np.diff([p.point for p in steepest], axis=0)
    assert np.all(np.abs(steps) <= 6.0)


def test_play_stops_at_the_edge_and_checks_the_strategy():
    game = Sandpit(1, "bumpy")
    probes = game.play(lambda f, J, H: np.array([100.0, -100.0]), max_probes=3)
    assert [tuple(p.point) for p in probes[1:]] == [(3.0, -3.0), (3.0, -3.0)]
    with pytest.raises(ValueError, match="shape \\(2,\\)"):
        Sandpit(1).play(lambda f, J, H: 1.0)
    with pytest.raises(ValueError, match="finite"):
        Sandpit(1).play(lambda f, J, H: np.array([np.nan, 0.0]))


def test_view_turns_a_click_into_a_probe_at_the_point_under_it():
    view = SandpitView(0, "bowl")
    view.live.png()
    width, height = view.live.canvas.get_width_height()
    # the pixel where the data point (1, -2) is drawn, counted from the PNG's top left
    px, py = view.ax.transData.transform((1.0, -2.0))
    state = view.click(px, height - py)
    assert state["probes"] == 1
    np.testing.assert_allclose(state["last"].point, [1.0, -2.0], atol=1e-9)
    assert view.click(2, 2)["message"] == "that click was outside the sand"
    assert len(view.game.probes) == 1
    state = view.probe(*view.game.minimum)
    assert state["found"] and "Found the phone after 2 probes" in calckit.sandpit.describe(state)
    assert view.new_game(3, "valley")["probes"] == 0
    assert view.reveal(True)["probes"] == 0 and view.live.png().startswith(b"\x89PNG")
