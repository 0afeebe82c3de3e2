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
    if m.exact_at_every_size:         # polar, shear, stretch and turn: 1 up to the polygon's chords
        assert max(coarse, fine) < 2e-6
    else:
        assert fine < 1e-3 and fine < coarse
    assert explorer.update(u0, v0, 0.01)["det"] == pytest.approx(float(jacobian_determinant(m, u0, v0)))
    assert explorer.live.png().startswith(b"\x89PNG")


@pytest.mark.parametrize("name", list(MAPS))
def test_deformation_readout_over_its_sliders(name):
    """Over a grid of every slider (where across u, where across v, cell size), the readout's
    det J is sympy's, its measured area is the integral of |det J| over the cell (Gauss-Legendre
    quadrature of sympy's determinant, independent of the traced polygon), and at the smallest
    cell the ratio it calls "→ 1" is within 1e-4 of 1. The measured area is right to 2e-6 (relative),
    below the 5 decimals printed; polar, shear and stretch-and-turn, said to be exact at every size,
    have ratio 1 to those 5 decimals at every size, squaring and ripple do not at the largest cell."""
    from calckit.deformation import _Fractions, _readout
    m = MAPS[name]
    det = sp.lambdify((u, v), sp.Matrix([sp.sympify(e) for e in m.expr]).jacobian([u, v]).det(), "numpy")
    nodes, weights = np.polynomial.legendre.leggauss(24)
    widget = _Fractions(DeformationExplorer(name))
    worst = 0.0
    for fu in np.arange(0.1, 0.91, 0.2):
        for fv in np.arange(0.1, 0.91, 0.2):
            for size in 10.0 ** np.array([-3.0, -2.0, -1.0, -0.7]):
                r = widget.update(fu, fv, size, name)
                u0 = m.ulim[0] + fu * (m.ulim[1] - m.ulim[0])
                v0 = m.vlim[0] + fv * (m.vlim[1] - m.vlim[0])
                du, dv = size * (m.ulim[1] - m.ulim[0]), size * (m.vlim[1] - m.vlim[0])
                U, V = np.meshgrid(u0 + du / 2 * nodes, v0 + dv / 2 * nodes)
                exact = np.sum(np.outer(weights, weights) * np.abs(det(U, V) + 0 * U)) * du * dv / 4
                assert r["det"] == pytest.approx(float(det(u0, v0)), rel=1e-12, abs=1e-12)
                assert r["area_after"] == pytest.approx(exact, rel=2e-6)
                assert r["area_before"] == pytest.approx(du * dv, rel=1e-12)
                exact_ratio = exact / (abs(float(det(u0, v0))) * du * dv)
                if name in ("polar", "shear", "stretch and turn"):
                    assert exact_ratio == pytest.approx(1.0, abs=1e-12)
                    assert "ratio <b>1.00000</b> (exactly 1 at every size" in _readout(r)
                else:
                    assert "→ 1 as the cell shrinks" in _readout(r)
                    worst = max(worst, abs(exact_ratio - 1))
                if size == 1e-3:
                    assert abs(r["ratio"] - 1) < 1e-4
    if name not in ("polar", "shear", "stretch and turn"):
        assert worst > 1e-3           # squaring and ripple: visibly not 1 at the largest cells


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
    assert r["slope"] < 1e-12 and not np.any(r["uphill"]) and r["kind"] == "maximum"
    r = explorer.update(2.0, 2.0)              # nearly flat (|∇f| ≈ 1e-3), but no stationary point
    assert r["slope"] < 0.01 and r["stationary"] is None
    r = explorer.update(1.0, 1.0, surface="saddle")
    np.testing.assert_allclose(r["gradient"], [2.0, -2.0])
    assert explorer.live.png().startswith(b"\x89PNG")


def _stationary_points_by_scipy(name):
    """Every stationary point in (and just around) the sliders' square, found independently of the
    widget: scipy's root finder on sympy's gradient, from a grid of starts, duplicates merged."""
    from scipy.optimize import root
    expr = sp.sympify(SURFACES[name].expr)
    grad = sp.lambdify([(x, y)], [sp.diff(expr, x), sp.diff(expr, y)], "numpy")
    hess = sp.lambdify([(x, y)], sp.hessian(expr, (x, y)), "numpy")
    found = []
    for start in np.stack(np.meshgrid(np.linspace(-2.2, 2.2, 12), np.linspace(-2.2, 2.2, 12)), -1).reshape(-1, 2):
        sol = root(lambda p: np.array(grad(p), dtype=float), start, jac=lambda p: np.array(hess(p), dtype=float),
                   tol=1e-14)
        p = sol.x
        if sol.success and np.all(np.abs(p) <= 2.1) and np.hypot(*grad(p)) < 1e-10 \
                and not any(np.allclose(p, q, atol=1e-7) for q in found):
            found.append(p)
    kinds = []
    for p in found:
        lam = np.linalg.eigvalsh(np.array(hess(p), dtype=float))
        kinds.append("minimum" if lam[0] > 0 else "maximum" if lam[1] < 0 else "saddle")
    return found, kinds


SLIDER_VALUES = np.round(np.arange(-200, 201) * 0.01, 2)


@pytest.mark.parametrize("name", list(SURFACES))
def test_gradient_readout_calls_stationary_exactly_the_slider_points_next_to_one(name):
    """Over a grid of slider positions (every 0.1, plus every slider point within 0.03 of a true
    stationary point), the readout says "stationary" iff a stationary point lies within half a
    slider step, names that point and its kind, and reports the true change of f uphill."""
    from calckit.gradient import describe
    truth, kinds = _stationary_points_by_scipy(name)
    expected_counts = {"bowl": 1, "saddle": 1, "hill and hole": 2, "egg box": 4, "banana valley": 1}
    assert len(truth) == expected_counts[name]          # (±π/2, 0), (0, ±π/2) for the egg box
    expr = sp.sympify(SURFACES[name].expr)
    f = sp.lambdify((x, y), expr, "numpy")
    grad = sp.lambdify((x, y), [sp.diff(expr, x), sp.diff(expr, y)], "numpy")
    coarse = SLIDER_VALUES[::10]
    points = {(a, b) for a in coarse for b in coarse}
    for q in truth:
        near = SLIDER_VALUES[np.abs(SLIDER_VALUES - q[0]) <= 0.03], SLIDER_VALUES[np.abs(SLIDER_VALUES - q[1]) <= 0.03]
        points |= {(a, b) for a in near[0] for b in near[1]}
    explorer = GradientExplorer(name)
    said_stationary = 0
    for a, b in sorted(points):
        r = explorer.update(float(a), float(b))
        text = describe(r)
        nearby = [i for i, q in enumerate(truth) if np.max(np.abs(q - (a, b))) <= 0.005]
        if nearby:
            said_stationary += 1
            assert r["stationary"] is not None and "stationary point" in text, (a, b)
            np.testing.assert_allclose(r["stationary"], truth[nearby[0]], atol=1e-9)
            assert r["kind"] == kinds[nearby[0]] and kinds[nearby[0]] in text
            assert "no direction is uphill to first order" in text
            # Second order, checked on f itself: the share of 360 directions in which a step of 1e-3 from
            # the stationary point raises f is 360 at a minimum, 0 at a maximum, in between at a saddle.
            q = truth[nearby[0]]
            angles = np.arange(360) * np.pi / 180
            rises = int(np.sum(f(q[0] + 1e-3 * np.cos(angles), q[1] + 1e-3 * np.sin(angles)) > f(q[0], q[1])))
            wording = {"minimum": "every direction rises", "maximum": "every direction falls",
                       "saddle": "rises along some directions and falls along others"}
            assert wording[kinds[nearby[0]]] in text
            assert {"minimum": rises == 360, "maximum": rises == 0, "saddle": 0 < rises < 360}[kinds[nearby[0]]], rises
        else:
            assert r["stationary"] is None and "stationary point</b>, (" not in text, (a, b)
            g = np.array(grad(a, b), dtype=float)
            np.testing.assert_allclose(r["gradient"], g, rtol=1e-12, atol=1e-14)
            if np.hypot(*g) > 1e-9:
                u = g / np.hypot(*g)
                np.testing.assert_allclose(r["uphill"], u, atol=1e-9)
                assert r["rise"] == pytest.approx(f(a + 0.01 * u[0], b + 0.01 * u[1]) - f(a, b), rel=1e-9, abs=1e-15)
            if np.hypot(*g) < 0.01:
                assert "not</b> a stationary point" in text
    assert said_stationary == len(truth)   # each stationary point has exactly one nearest slider point


def test_gradient_explorer_rescales_its_3d_plot_for_each_surface():
    """After every switch between two surfaces, the 3-D axes span the new surface exactly (its
    range over the plotted square, computed with sympy), not the union with the old one; every
    slider position, corners included, lies inside both panels."""
    names = list(SURFACES)
    explorer = GradientExplorer(names[0])
    # Each surface after the one whose range differs most from it (the banana valley reaches 189,
    # the others at most 12): a plot that only grew would keep the old range.
    for new in names:
        for old in {"banana valley", "egg box"} - {new}:
            explorer.update(0.0, 0.0, surface=old)
            explorer.update(0.0, 0.0, surface=new)
            s = SURFACES[new]
            xlim = (min(s.xlim[0], -2.0), max(s.xlim[1], 2.0))
            ylim = (min(s.ylim[0], -2.0), max(s.ylim[1], 2.0))
            X, Y = np.meshgrid(np.linspace(*xlim, explorer.points), np.linspace(*ylim, explorer.points))
            Z = sp.lambdify((x, y), sp.sympify(s.expr), "numpy")(X, Y) + 0 * X
            pad = 0.05 * (Z.max() - Z.min())        # the widget's stated margin
            np.testing.assert_allclose(explorer.ax3d.get_zlim3d(), (Z.min() - pad, Z.max() + pad), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(explorer.ax3d.get_xlim3d(), xlim)
            np.testing.assert_allclose(explorer.ax3d.get_ylim3d(), ylim)
            for a in (-2.0, 0.0, 2.0):
                for b in (-2.0, 0.0, 2.0):
                    r = explorer.update(a, b)
                    x_lo, x_hi = explorer.ax.get_xlim()
                    y_lo, y_hi = explorer.ax.get_ylim()
                    assert x_lo <= a <= x_hi and y_lo <= b <= y_hi
                    z_lo, z_hi = explorer.ax3d.get_zlim3d()
                    assert z_lo <= r["f"] <= z_hi
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
    # The game is over: a later probe is refused, clearly, and the count stays at the winning probe.
    with pytest.raises(ValueError, match="already found after 2 probes"):
        game.probe(0.0, 0.0)
    assert game.found_after == 2 and len(game.probes) == 2
    with pytest.raises(ValueError, match="game is over"):
        game.play(lambda f, J, H: -J)
    assert len(game.probes) == 2


def test_the_view_stops_counting_once_the_phone_is_found():
    view = SandpitView(4, "valley")
    view.probe(0.0, 0.0)
    state = view.probe(*view.game.minimum)
    assert state["found"] and state["probes"] == 2
    for point in [(1.0, 1.0), (-2.0, 2.5), tuple(view.game.minimum)]:
        state = view.probe(*point)
        assert state["probes"] == 2 and len(view.game.probes) == 2 and "already found" in state["message"]
        assert "Found the phone after 2 probes" in calckit.sandpit.describe(state)
    assert view.game.found_after == 2
    assert view.new_game(4, "valley")["probes"] == 0


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
    # A game won after Reveal says so, in the title and the readout; hiding again does not undo it.
    view.reveal(False)
    state = view.probe(*view.game.minimum)
    assert state["found"] and state["revealed"]
    assert "with the landscape revealed" in calckit.sandpit.describe(state)
    assert "(landscape revealed)" in view.title.get_text()
    state = view.new_game(3, "valley")
    assert not state["revealed"]
    state = view.probe(*view.game.minimum)
    assert state["found"] and "revealed" not in calckit.sandpit.describe(state)


@pytest.mark.parametrize("seed", [True, False, np.True_, -1, 1.5, "3"])
def test_sandpit_refuses_seeds_that_are_not_whole_numbers(seed):
    with pytest.raises(ValueError, match="whole number 0 or more"):
        Sandpit(seed)
