"""Week 5's helpers: the Newton-Raphson iteration and its widget, headless."""
import math

import numpy as np
import pytest
import sympy as sp

from calckit.newton import ROOT_PROBLEMS, NewtonExplorer, newton_iterates

x = sp.Symbol("x")


@pytest.mark.parametrize("name", list(ROOT_PROBLEMS))
def test_derivatives_match_sympy(name):
    p = ROOT_PROBLEMS[name]
    expr = sp.sympify(p.expr)
    grid = np.linspace(*p.xlim, 13)
    np.testing.assert_allclose(p.f(grid), sp.lambdify(x, expr, "numpy")(grid), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(p.df(grid), sp.lambdify(x, sp.diff(expr, x), "numpy")(grid) + 0 * grid,
                               rtol=1e-13, atol=1e-13)


def test_newton_converges_quadratically_to_sqrt2():
    p = ROOT_PROBLEMS["x**2 - 2"]
    xs, stopped = newton_iterates(p.f, p.df, 1.0, 4)
    assert stopped is None and xs[:3] == [1.0, 1.5, 17 / 12]        # the Babylonian steps
    errors = np.abs(np.array(xs) - math.sqrt(2))
    assert errors[4] < 2e-12 and errors[3] / errors[2] ** 2 == pytest.approx(1 / (2 * math.sqrt(2)), rel=0.01)


def test_failures_are_reported():
    p = ROOT_PROBLEMS["x**2 - 2"]
    assert newton_iterates(p.f, p.df, 0.0, 3) == ([0.0], "the derivative is zero: the tangent never meets the axis")
    p = ROOT_PROBLEMS["arctan(x)"]
    xs, stopped = newton_iterates(p.f, p.df, 1.5, 50)
    assert stopped == "the iterates ran away" and len(xs) < 50


def test_explorer_draws_one_tangent_per_step():
    explorer = NewtonExplorer("cos(x) - x")
    r = explorer.update(x0=1.0, steps=4)
    assert len(r["iterates"]) == 5 and abs(r["residual"]) < 1e-12
    segments = explorer.tangents.get_segments()
    assert len(segments) == 4
    (xa, ya), (xb, yb) = segments[0]
    assert xa == 1.0 and yb == 0.0 and (ya - yb) / (xa - xb) == pytest.approx(-math.sin(1.0) - 1)  # slope f'(x0)
    r = explorer.update(x0=0.0, steps=6, problem="x**3 - 2*x + 2")
    assert r["iterates"] == [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    assert explorer.live.png().startswith(b"\x89PNG")


def test_gradient_descent_limit_is_two_over_the_largest_eigenvalue():
    from calckit.descent import DescentExplorer, descent_path, newton_path
    from calckit.surfaces import SURFACES
    bowl = SURFACES["bowl"]                                   # Hessian diag(2, 4): limit 0.5
    start = np.array([1.0, 1.0])
    for rate, converges in [(0.45, True), (0.499, True), (0.501, False), (0.7, False)]:
        path = descent_path(bowl.gradient, start, rate, 3000)
        assert (bowl.f(*path[-1]) < 1e-6) == converges, rate
    # one Newton step reaches the stationary point of a quadratic, minimum or saddle alike
    for name in ("bowl", "saddle"):
        s = SURFACES[name]
        assert np.allclose(newton_path(s.gradient, s.hessian, start, 1)[-1], 0)
    explorer = DescentExplorer("bowl")
    assert not explorer.update(0.1, 50)["ran_away"] and explorer.update(0.6, 50)["ran_away"]
    assert len(explorer.update(0.1, 50)["newton"]) == 2          # one Newton step on the bowl, not min(steps, 8)
    assert explorer.live.png().startswith(b"\x89PNG")


@pytest.mark.parametrize("name", ["the lecture's example", "a line across a bowl"])
def test_lagrange_problems_match_sympy_and_the_widget_finds_parallel_gradients(name):
    from calckit.lagrange import PROBLEMS, LagrangeExplorer
    y = sp.Symbol("y")
    p = PROBLEMS[name]
    f, g = sp.sympify(p.f_expr), sp.sympify(p.g_expr)
    for point in [(0.3, -0.4), (1.1, 0.6)]:
        at = {x: point[0], y: point[1]}
        assert np.allclose([float(sp.diff(f, v).subs(at)) for v in (x, y)], p.grad_f(*point), rtol=1e-12)
        assert np.allclose([float(sp.diff(g, v).subs(at)) for v in (x, y)], p.grad_g(*point), rtol=1e-12)
    s = np.linspace(*p.s_range, 7)
    assert np.allclose(p.g(*p.curve(s)), 0, atol=1e-12)        # the drawn curve is the constraint
    explorer = LagrangeExplorer(name)
    optimum = {"the lecture's example": 0.28956479, "a line across a bowl": 2 / 3}[name]
    r = explorer.update(optimum)
    assert abs(r["sin_angle"]) < 1e-6
    assert abs(explorer.update(optimum + 0.3)["sin_angle"]) > 0.05
    assert explorer.live.png().startswith(b"\x89PNG")


# --- the readouts, on a grid over every slider and every function the widgets offer ---------------

RATES = 10 ** np.round(np.arange(-2.5, 0.0001, 0.02), 2)       # the FloatLogSlider's grid
STEPS = [1, 2, 5, 30, 100, 200]                                  # the IntSlider's ends and between


def sympy_surface(name):
    """f, ∇f, H of a widget surface, from its sympy expression (independent of the hand-written ones)."""
    from calckit.surfaces import SURFACES
    X, Y = sp.symbols("x y")
    expr = sp.sympify(SURFACES[name].expr, locals={"x": X, "y": Y})
    grad = [sp.diff(expr, v) for v in (X, Y)]
    hess = [[sp.diff(g, v) for v in (X, Y)] for g in grad]
    to = lambda e: sp.lambdify((X, Y), e, "numpy")
    return to(expr), to(grad), to(hess)


@pytest.mark.parametrize("name", ["bowl", "saddle"])
def test_descent_readout_on_the_quadratics_matches_the_closed_form(name):
    """bowl x² + 2y²: x_k = (1 - 2η)^k x0, y_k = (1 - 4η)^k y0, divergence iff η > 1/2;
    saddle x² - y²: y_k = (1 + 2η)^k y0 grows at every rate, f → -∞. Newton: one step on both."""
    from calckit.descent import descent_readout, descent_summary
    from calckit.surfaces import SURFACES
    s, start = SURFACES[name], np.array([1.5, 1.2])
    fy = {"bowl": lambda eta: 1 - 4 * eta, "saddle": lambda eta: 1 + 2 * eta}[name]
    for eta in RATES:
        for steps in STEPS:
            r = descent_summary(s, start, eta, steps)
            text = descent_readout(r)
            k = len(r["path"]) - 1
            closed = np.array([(1 - 2 * eta) ** k * start[0], fy(eta) ** k * start[1]])
            assert np.allclose(r["path"][-1], closed, rtol=1e-9, atol=1e-12), (eta, steps)
            assert "Newton (squares) reached |∇f| < 1e-10 in 1 step," in text, (eta, steps, text)
            assert ("a saddle" in text) == (name == "saddle")
            if name == "saddle":
                assert "rate" not in text.split(";")[0] or "every rate" in text, (eta, steps, text)
                if abs(closed[1]) > 6:                          # left the picture downhill
                    assert "leaves at every rate" in text, (eta, steps, text)
            else:
                says = "diverging: the rate" in text
                assert not says or eta > 0.5, (eta, steps, text)
                if eta > 0.5 and abs(closed[1]) > 6:
                    assert says and "2/λ_max = 0.5 " in text, (eta, steps, text)
                if "converged" in text.split(";")[0]:
                    assert np.hypot(2 * closed[0], 4 * closed[1]) < 1e-6


@pytest.mark.parametrize("name", ["hill and hole", "egg box", "banana valley"])
def test_descent_readout_on_the_other_surfaces_agrees_with_sympy(name):
    from calckit.descent import descent_readout, descent_summary
    from calckit.surfaces import SURFACES
    f, grad, hess = sympy_surface(name)
    s, start = SURFACES[name], np.array([1.5, 1.2])
    # Newton's step count, by an independent loop on sympy's derivatives
    x, n = start.copy(), 0
    while np.linalg.norm(grad(*x)) >= 1e-10 and n < 50:
        x, n = x - np.linalg.solve(np.array(hess(*x), dtype=float), np.array(grad(*x), dtype=float)), n + 1
    # did it arrive? Compare the end with the stationary points sympy finds: solve() on the gradient
    # (hill and hole: (±1/√2, 0); banana: (1, 1)), or, for the periodic egg box, nsolve started at the end
    X, Y = sp.symbols("x y", real=True)
    expr = sp.sympify(SURFACES[name].expr, locals={"x": X, "y": Y})
    equations = [sp.diff(expr, X), sp.diff(expr, Y)]
    if name == "egg box":
        points = [[float(v) for v in sp.nsolve(equations, [X, Y], list(x))]]
    else:
        points = [[float(p[X]), float(p[Y])] for p in sp.solve(equations, [X, Y], dict=True)]
    arrived = n < 50 and min(np.hypot(*(np.array(p) - x)) for p in points) < 1e-6
    if name == "hill and hole":   # the review's case: Newton walks off into the flat tail
        assert not arrived and n < 50 and x.min() > 3, x
    for eta in RATES[::3]:
        for steps in STEPS:
            r = descent_summary(s, start, eta, steps)
            text = descent_readout(r)
            end = r["path"][-1]
            lam = np.linalg.eigvalsh(np.array(hess(*end), dtype=float))
            if arrived:
                assert f"reached |∇f| < 1e-10 in {n} step" in text, (eta, steps, text)
            elif n < 50:   # |∇f| < 1e-10 far from every stationary point: the flat tail
                assert "ran off to" in text and "not a stationary point" in text and "reached" not in text, text
                assert f"({x[0]:.2f}, {x[1]:.2f})" in text, text
            else:
                assert "has not converged" in text
            first = text.split(";")[0]
            if first.startswith("gradient descent converged"):
                assert np.linalg.norm(grad(*end)) < 1e-6
                kind = "a minimum" if lam.min() > 0 else "a maximum" if lam.max() < 0 else "a saddle"
                assert kind in first
            if first.startswith("diverging: the rate"):
                lam0 = np.linalg.eigvalsh(np.array(hess(*start), dtype=float))
                assert lam0.min() > 0 and eta > 2 / lam0.max() and f(*end) > f(*start)
            if first.startswith("running downhill"):
                assert lam.min() < 0 and f(*end) < f(*start)
            if first.startswith("still moving"):
                assert f"{np.linalg.norm(grad(*end)):.3g}" in first


@pytest.mark.parametrize("name", ["the lecture's example", "a line across a bowl"])
def test_lagrange_readout_over_the_whole_slider(name):
    """At every slider position the point is on the axes, the sine and λ match sympy, and "parallel"
    is said exactly within a slider step of a root of d/ds f(curve(s)) (found by brentq on sympy's
    derivative)."""
    from scipy.optimize import brentq

    from calckit.lagrange import PROBLEMS, SLIDER, LagrangeExplorer, lagrange_readout
    X, Y, S = sp.symbols("x y s")
    p = PROBLEMS[name]
    f, g = sp.sympify(p.f_expr), sp.sympify(p.g_expr)
    gf = sp.lambdify((X, Y), [sp.diff(f, X), sp.diff(f, Y)], "numpy")
    gg = sp.lambdify((X, Y), [sp.diff(g, X), sp.diff(g, Y)], "numpy")
    cx, cy = p.curve(S) if name == "a line across a bowl" else (2 - sp.cosh(S), S)
    along = sp.lambdify(S, sp.diff(f.subs({X: cx, Y: cy}), S), "numpy")
    grid = np.round(np.arange(SLIDER[0], SLIDER[1] + SLIDER[2] / 2, SLIDER[2]), 2)
    signs = np.sign(along(grid))
    roots = [brentq(along, a, b) for a, b, u, v in zip(grid, grid[1:], signs, signs[1:]) if u * v < 0]
    assert roots, "each problem has a constrained stationary point on the slider"
    explorer = LagrangeExplorer(name)
    for s in grid:
        r = explorer.update(float(s))
        x, y = r["point"]
        assert p.xlim[0] < x < p.xlim[1] and p.ylim[0] < y < p.ylim[1], f"s = {s}: the point leaves the axes"
        a, b = np.array(gf(x, y), dtype=float), np.array(gg(x, y), dtype=float)
        assert r["sin_angle"] == pytest.approx((a[0] * b[1] - a[1] * b[0]) / np.linalg.norm(a) / np.linalg.norm(b), abs=1e-12)
        assert r["lam"] == pytest.approx(a @ b / (b @ b), rel=1e-12)
        text = lagrange_readout(r)
        near = min(abs(s - root) for root in roots) <= SLIDER[2] / 2
        if "are parallel" in text:
            assert min(abs(s - root) for root in roots) <= SLIDER[2], (s, text)
        if near:
            assert "are parallel" in text, (s, roots, text)
    with pytest.raises(ValueError, match="off the drawn constraint"):
        explorer.update(p.s_range[1] + 0.5)


@pytest.mark.parametrize("name", list(ROOT_PROBLEMS))
def test_newton_readout_over_the_whole_slider(name):
    """Every x0 on the slider's grid, the largest step count: the iterates agree with Newton's
    iteration on sympy's f and f', and "stopped" is said exactly when sympy's f' is 0 or an iterate
    passes 1e12. (Fewer steps show a prefix of the same list.)"""
    from calckit.newton import MAX_STEPS, X0_SLIDER, newton_readout
    p = ROOT_PROBLEMS[name]
    expr = sp.sympify(p.expr)
    f, df = sp.lambdify(x, expr, "math"), sp.lambdify(x, sp.diff(expr, x), "math")
    explorer = NewtonExplorer(name)
    for x0 in np.round(np.arange(X0_SLIDER[0], X0_SLIDER[1] + X0_SLIDER[2] / 2, X0_SLIDER[2]), 2):
        mine, why = [float(x0)], None
        for _ in range(MAX_STEPS):
            slope = df(mine[-1])
            if slope == 0:
                why = "zero"
                break
            nxt = mine[-1] - f(mine[-1]) / slope
            if abs(nxt) > 1e12:
                why = "ran away"
                break
            mine.append(nxt)
        r = explorer.update(x0=float(x0), steps=MAX_STEPS)
        assert np.allclose(r["iterates"], mine, rtol=1e-9, atol=1e-12), (x0, r["iterates"], mine)
        text = newton_readout(r)
        assert ("derivative is zero" in text) == (why == "zero") and ("ran away" in text) == (why == "ran away"), (x0, text)
        assert explorer.update(x0=float(x0), steps=2)["iterates"] == r["iterates"][:3]
