"""Week 4's helpers: every catalogue derivative against sympy, radii of convergence, and the
widgets' update functions headless."""
import math

import numpy as np
import pytest
import sympy as sp

from calckit.taylor import SERIES, TaylorExplorer, TaylorSurfaceExplorer, taylor_polynomial

x = sp.Symbol("x")


@pytest.mark.parametrize("name", list(SERIES))
def test_derivatives_match_sympy_about_several_points(name):
    s = SERIES[name]
    expr = sp.sympify(s.expr)
    for a in (0.0, 0.4, -0.3):
        for k in range(9):
            reference = float(sp.diff(expr, x, k).subs(x, a))
            assert s.derivative(k, a) == pytest.approx(reference, rel=1e-12, abs=1e-12), (name, a, k)
        assert float(s.f(np.array(a))) == pytest.approx(float(expr.subs(x, a)), rel=1e-14)


def test_radii_are_the_distances_to_the_singularities():
    assert SERIES["log(1 + x)"].radius(0.5) == 1.5 and SERIES["1/(1 - x)"].radius(-2.0) == 3.0
    assert math.isinf(SERIES["exp(x)"].radius(3.0))
    # inside the radius high degrees converge; outside they blow up
    assert taylor_polynomial("1/(1 - x)", 0.0, 60, 0.5) == pytest.approx(2.0, rel=1e-12)
    assert abs(taylor_polynomial("1/(1 - x)", 0.0, 60, -1.5)) > 1e8


def test_taylor_explorer_errors_fall_with_degree_inside_the_radius():
    explorer = TaylorExplorer("log(1 + x)")
    low, high = (explorer.update(degree=n, a=0.0)["max_error_inside"] for n in (3, 15))
    assert high < low / 1e3
    r = explorer.update(degree=15, a=0.0)
    assert r["radius"] == 1.0 and r["error_at_end"] > 1e3      # x = 3 lies outside
    r = explorer.update(degree=5, a=0.5, function="exp(x)")
    assert math.isinf(r["radius"])
    xs, ys = explorer.poly.get_data()
    np.testing.assert_allclose(ys, sum(np.exp(0.5) * (np.asarray(xs) - 0.5) ** k / math.factorial(k) for k in range(6)))
    assert explorer.live.png().startswith(b"\x89PNG")


def test_surface_explorer_errors_scale_as_r_squared_and_cubed():
    explorer = TaylorSurfaceExplorer("hill and hole")
    r = explorer.update(0.3, 0.2)
    e_plane, e_quad = (np.asarray(line.get_data()[1]) for line in (explorer.err_plane, explorer.err_quad))
    d = explorer.distances
    small = d < 0.03
    assert abs(np.polyfit(np.log(d[small]), np.log(e_plane[small]), 1)[0] - 2) < 0.1
    assert abs(np.polyfit(np.log(d[small]), np.log(e_quad[small]), 1)[0] - 3) < 0.1
    assert r["quadratic_error"] < r["plane_error"]
    r = explorer.update(0.5, -0.4, surface="saddle")        # a quadratic surface: its own model
    assert r["quadratic_error"] < 1e-14 < r["plane_error"]
    assert explorer.live.png().startswith(b"\x89PNG")
