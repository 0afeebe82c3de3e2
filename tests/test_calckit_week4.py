"""Week 4's helpers: every catalogue derivative against sympy, radii of convergence, and the
widgets' update functions headless."""
import math

import numpy as np
import pytest
import sympy as sp

from calckit.surfaces import SURFACES
from calckit.taylor import (SERIES, TaylorExplorer, TaylorSurfaceExplorer, surface_model_errors,
                            surface_readout, taylor_polynomial, taylor_readout)

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


# --- readouts on every slider position, against independent computations -----------------------

A_SLIDER = np.round(np.arange(-0.9, 0.9 + 1e-9, 0.05), 2)      # taylor_explorer's "about a" slider
DEGREE_SLIDER = range(0, 26)                                    # its "degree n" slider


def independent_coefficients(name, a, count):
    """Taylor coefficients about a written from the textbook formulas (not the catalogue's)."""
    k = np.arange(count)
    fact = np.array([float(math.factorial(j)) for j in k])
    if name == "exp(x)":
        return np.exp(a) / fact
    if name == "sin(x)":
        return np.array([math.sin(a), math.cos(a), -math.sin(a), -math.cos(a)])[k % 4] / fact
    if name == "cos(x)":
        return np.array([math.cos(a), -math.sin(a), -math.cos(a), math.sin(a)])[k % 4] / fact
    if name == "log(1 + x)":
        c = np.empty(count)
        c[0] = math.log(1 + a)
        c[1:] = (-1.0) ** (k[1:] + 1) / (k[1:] * (1 + a) ** k[1:])      # (k-1)!/k! = 1/k
        return c
    if name == "1/(1 - x)":
        return 1.0 / (1 - a) ** (k + 1)                                 # the geometric series in (x-a)/(1-a)
    raise AssertionError(name)


EXACT = {"exp(x)": np.exp, "sin(x)": np.sin, "cos(x)": np.cos,
         "log(1 + x)": lambda x: np.log(1 + x), "1/(1 - x)": lambda x: 1 / (1 - x)}
SINGULARITY = {"log(1 + x)": -1.0, "1/(1 - x)": 1.0}        # the others are entire


def independent_trend(now, after):
    scale = max(now, after)
    if abs(after - now) <= 1e-10 * scale + 1e-15:
        return "the same"
    if abs(after - now) <= 1e-7 * scale:
        return None                                          # too close to call independently
    return "lower" if after < now else "higher"


@pytest.mark.parametrize("name", list(SERIES))
def test_taylor_readout_tells_the_truth_on_every_slider_position(name):
    explorer = TaylorExplorer(name)
    xs = explorer.xs
    exact = EXACT[name](xs)
    counts = {"lower": 0, "higher": 0, "the same": 0}
    for a in A_SLIDER:
        radius = abs(SINGULARITY[name] - a) if name in SINGULARITY else math.inf
        c = independent_coefficients(name, a, 27)
        powers = (xs - a)[None, :] ** np.arange(27)[:, None]
        partial = np.cumsum(c[:, None] * powers, axis=0)          # row n: the degree-n polynomial
        errors = np.abs(exact - partial)
        region = np.abs(xs - a) <= radius / 2
        rounding = 1e-13 * (1 + np.abs(c[:, None] * powers).max())   # summing terms this large rounds here
        for n in DEGREE_SLIDER:
            r = explorer.update(degree=n, a=float(a))
            inside, inside_next = errors[n][region].max(), errors[n + 1][region].max()
            end, end_next = errors[n][-1], errors[n + 1][-1]
            where = (n, a)
            assert r["max_error_inside"] == pytest.approx(inside, rel=1e-7, abs=rounding), where
            assert r["max_error_inside_next"] == pytest.approx(inside_next, rel=1e-7, abs=rounding), where
            assert r["error_at_end"] == pytest.approx(end, rel=1e-7, abs=rounding), where
            assert r["end_inside_radius"] == (abs(xs[-1] - a) < radius), where
            text = taylor_readout(r)
            for key, (now, after) in (("inside_trend", (inside, inside_next)), ("end_trend", (end, end_next))):
                truth = independent_trend(now, after)
                if truth is not None:
                    assert r[key] == truth, (where, key, now, after)
                    counts[truth] += 1
            assert ("outside the radius" in text) == (abs(xs[-1] - a) >= radius), where
            assert ("raises" in text) == ("higher" in (r["inside_trend"], r["end_trend"])), where
            zero_next = abs(c[n + 1]) < 1e-15
            assert ("that term is zero" in text) == (zero_next and "the same" in (r["inside_trend"], r["end_trend"])), where
    # the special cases the old readout got wrong occur on these sliders, and are named
    if name in ("exp(x)", "sin(x)", "cos(x)", "log(1 + x)"):
        assert counts["higher"] > 0, counts
    if name in ("sin(x)", "cos(x)"):
        assert counts["the same"] > 0, counts


def test_taylor_readout_for_sin_at_degree_3_far_from_0():
    # about 0, sin's degree-4 term is zero: one more degree changes nothing, and the readout says so
    explorer = TaylorExplorer("sin(x)")
    text = taylor_readout(explorer.update(degree=3, a=0.0))
    assert "that term is zero" in text and "raises" not in text
    # at x = 8 the degree-5 polynomial is much worse than the degree-4 one (8**5/5! = 273 > 8**3/3!)
    r = explorer.update(degree=4, a=0.0)
    assert r["end_trend"] == "higher" and "raises" in taylor_readout(r)


x_, y_ = sp.symbols("x y")
SLIDER = np.round(np.arange(-1.5, 1.5 + 1e-9, 0.05), 2)    # taylor_surface_explorer's x0 and y0 sliders


@pytest.mark.parametrize("surface", list(SURFACES))
def test_surface_readout_matches_sympy_on_every_slider_position(surface):
    expr = sp.sympify(SURFACES[surface].expr)
    f = sp.lambdify((x_, y_), expr, "numpy")
    grad = sp.lambdify((x_, y_), [sp.diff(expr, v) for v in (x_, y_)], "numpy")
    hess = sp.lambdify((x_, y_), sp.hessian(expr, (x_, y_)).tolist(), "numpy")
    d = 0.1 * np.array([math.sqrt(3) / 2, 0.5])                # 0.1 along 30°
    quadratic_surface = sp.Poly(expr, x_, y_).total_degree() <= 2 if expr.is_polynomial(x_, y_) else False
    for x0 in SLIDER:
        for y0 in SLIDER:
            p = np.array([x0, y0])
            exact, f0, g, H = f(*(p + d)), f(*p), np.array(grad(*p), float), np.array(hess(*p), float)
            plane, quad = abs(exact - f0 - g @ d), abs(exact - f0 - g @ d - 0.5 * d @ H @ d)
            got_plane, got_quad = surface_model_errors(surface, float(x0), float(y0))
            assert got_plane == pytest.approx(plane, rel=1e-9, abs=1e-13), (x0, y0)
            assert got_quad == pytest.approx(quad, rel=1e-6, abs=1e-13), (x0, y0)
            if quadratic_surface:
                assert got_quad < 1e-13, (x0, y0)       # the notebook's "below the plot's floor"
    explorer = TaylorSurfaceExplorer(surface)
    for x0, y0 in ((-1.5, -1.5), (0.0, 0.0), (1.5, 0.35)):
        r = explorer.update(x0, y0)
        assert (r["plane_error"], r["quadratic_error"]) == surface_model_errors(surface, x0, y0)
        assert f"{r['quadratic_error']:.2e}" in surface_readout(r)


def test_surface_explorer_axes_follow_the_surface_both_ways():
    explorer = TaylorSurfaceExplorer("banana valley")
    for name in ["banana valley", "saddle", "egg box", "hill and hole", "bowl", "banana valley"]:
        explorer.update(0.3, 0.2, surface=name)
        explorer.live.png()
        s = SURFACES[name]
        f = sp.lambdify((x_, y_), sp.sympify(s.expr), "numpy")
        X, Y = np.meshgrid(np.linspace(*s.xlim, 201), np.linspace(*s.ylim, 201))
        Z = f(X, Y)
        low, high = explorer.ax3d.get_zlim()
        assert explorer.ax3d.get_xlim() == pytest.approx(s.xlim) and explorer.ax3d.get_ylim() == pytest.approx(s.ylim)
        assert low <= Z.min() and high >= Z.max() and high - low <= 1.2 * (Z.max() - Z.min()), name
        before = (explorer.ax3d.get_xlim(), explorer.ax3d.get_ylim(), explorer.ax3d.get_zlim())
        for x0 in (-1.5, -0.4, 0.9, 1.5):                      # the point moves: the box does not
            explorer.update(x0, -x0)
        explorer.live.png()
        assert (explorer.ax3d.get_xlim(), explorer.ax3d.get_ylim(), explorer.ax3d.get_zlim()) == before, name


def test_bad_input_gets_a_clear_message():
    explorer = TaylorExplorer("log(1 + x)")
    for degree in (-1, 2.5):
        with pytest.raises(ValueError, match="degree must be a whole number"):
            explorer.update(degree=degree)
    with pytest.raises(ValueError, match="not defined there"):
        explorer.update(degree=3, a=-1.0)                     # ln(1 + x) at its singularity
    with pytest.raises(ValueError, match="not defined there"):
        explorer.update(degree=3, a=-2.0)                     # and beyond it
    with pytest.raises(KeyError, match="choose one of"):
        explorer.update(degree=3, function="tan(x)")
    surface = TaylorSurfaceExplorer("bowl")
    with pytest.raises(ValueError, match="finite coordinates"):
        surface.update(float("nan"), 0.0)
    with pytest.raises(KeyError, match="choose one of"):
        surface.update(0.0, 0.0, surface="volcano")


def test_surface_explorer_plane_stays_visible_over_the_quadratic():
    # Week 4 review: on the saddle at (1.0, 0.5) the quadratic patch, drawn after the plane, hid it. The plane
    # is now a wireframe (no faces) blitted after the quadratic, so its blue lines show where the two overlap.
    from matplotlib.colors import to_rgba
    explorer = TaylorSurfaceExplorer("saddle")
    explorer.update(1.0, 0.5)
    assert explorer.live.moving.index(explorer.quad_patch) < explorer.live.moving.index(explorer.plane_patch)
    assert np.all(explorer.plane_patch.get_facecolor()[:, 3] == 0)          # no faces to cover anything
    explorer.live.draw()
    width, height = explorer.live.canvas.get_width_height()
    pixels = np.frombuffer(bytes(explorer.live.canvas.buffer_rgba()), np.uint8).reshape(height, width, 4)
    left = pixels[:, : width // 2, :3].astype(int)                           # the 3-D panel
    blue = np.array(to_rgba("#0072B2")[:3]) * 255
    assert np.sum(np.all(np.abs(left - blue) < 20, axis=-1)) > 100    # 254 now; 5 with the old filled plane under it
