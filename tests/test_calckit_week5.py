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
