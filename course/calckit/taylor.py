"""Taylor polynomials: a catalogue of functions with every derivative in closed form, and two
widgets (a polynomial against its function; a tangent plane and a quadratic model on a surface)."""
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from mpl_toolkits.mplot3d import art3d

from ._display import LiveFigure, figure_widget
from .surfaces import SURFACES, get_surface


@dataclass(frozen=True)
class Series:
    expr: str              # sympy-readable in x, for tests
    label: str
    f: Callable
    derivative: Callable   # (k, a) -> the k-th derivative at a
    radius: Callable       # a -> radius of convergence of the series about a
    xlim: tuple


SERIES = {
    "exp(x)": Series("exp(x)", r"e^x", np.exp, lambda k, a: math.exp(a), lambda a: math.inf, (-4.0, 4.0)),
    "sin(x)": Series("sin(x)", r"\sin x", np.sin, lambda k, a: math.sin(a + k * math.pi / 2),
                     lambda a: math.inf, (-8.0, 8.0)),
    "cos(x)": Series("cos(x)", r"\cos x", np.cos, lambda k, a: math.cos(a + k * math.pi / 2),
                     lambda a: math.inf, (-8.0, 8.0)),
    # ln(1 + x): derivatives (-1)^(k-1) (k-1)! / (1 + a)^k; the singularity at x = -1 sets the radius.
    "log(1 + x)": Series("log(1 + x)", r"\ln(1+x)", lambda x: np.log1p(x),
                         lambda k, a: math.log1p(a) if k == 0 else (-1) ** (k - 1) * math.factorial(k - 1) / (1 + a) ** k,
                         lambda a: abs(1 + a), (-0.99, 3.0)),
    # 1/(1 - x): derivatives k! / (1 - a)^(k+1); the pole at x = 1 sets the radius.
    "1/(1 - x)": Series("1/(1 - x)", r"\frac{1}{1-x}", lambda x: 1 / (1 - x),
                        lambda k, a: math.factorial(k) / (1 - a) ** (k + 1), lambda a: abs(1 - a), (-3.0, 0.99)),
}


def get_series(name):
    try:
        return SERIES[name]
    except KeyError:
        raise KeyError(f"unknown function {name!r}; choose one of {sorted(SERIES)}") from None


def taylor_polynomial(name, a, n, x):
    """The degree-n Taylor polynomial of the catalogue function `name` about a, at x."""
    s = get_series(name)
    x = np.asarray(x, dtype=float)
    total, power = np.zeros_like(x), np.ones_like(x)
    for k in range(n + 1):
        total = total + s.derivative(k, a) / math.factorial(k) * power
        power = power * (x - a)
    return total


# Okabe-Ito colours (distinguishable with every common colour-vision deficiency); lines also
# differ by style.
BLACK, ORANGE, SKY, GREEN, BLUE, VERMILLION = "#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00"


def _trend(now, after):
    """'lower', 'higher' or 'the same' (to rounding), comparing an error with the next degree's."""
    if abs(after - now) <= 1e-9 * max(now, after) + 1e-14:
        return "the same"
    return "lower" if after < now else "higher"


class TaylorExplorer:
    """Top: f and its Taylor polynomial of degree n about a, with the interval of convergence shaded.
    Bottom: the error |f - p_n| on a log scale."""

    def __init__(self, function="log(1 + x)", points=600):
        self.points = points
        self.live = LiveFigure(8.0, 5.6)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.1, right=0.97, bottom=0.09, top=0.92, hspace=0.12)
        self.ax, self.ax_err = self.fig.subplots(2, 1, sharex=True)
        self.curve, = self.ax.plot([], [], color=BLACK, lw=2, label="$f(x)$")
        self.poly, = self.ax.plot([], [], "--", color=ORANGE, lw=2, label="Taylor polynomial $p_n(x)$")
        self.centre, = self.ax.plot([], [], "o", color=ORANGE)
        self.band = self.ax.axvspan(0, 0, color=GREEN, alpha=0.12, label="within the radius of convergence")
        self.band_err = self.ax_err.axvspan(0, 0, color=GREEN, alpha=0.12)
        self.error, = self.ax_err.semilogy([], [], color=VERMILLION)
        self.title = self.ax.text(0.5, 1.03, "", transform=self.ax.transAxes, ha="center")
        self.ax_err.set(ylim=(1e-16, 1e3), xlabel="$x$", ylabel="$|f(x) - p_n(x)|$")
        self.ax_err.grid(alpha=0.3)
        self.ax.legend(loc="upper left", fontsize=8)
        self.live.animate(self.poly, self.centre, self.band, self.band_err, self.error, self.title)
        self.function = None
        self._set_function(function)

    def _set_function(self, name):
        if name == self.function:
            return
        s = get_series(name)
        self.function = name
        self.xs = np.linspace(*s.xlim, self.points)
        ys = s.f(self.xs)
        self.curve.set_data(self.xs, ys)
        low, high = np.percentile(ys, [2, 98])
        pad = 0.3 * (high - low + 1e-9)
        self.ax.set(xlim=s.xlim, ylim=(low - pad, high + pad))
        self.live.invalidate()

    def errors(self, degree, a):
        """|f - p_n| on the plot's points, and the two numbers the readout states: the largest error
        where |x - a| <= radius / 2 (the whole plot when the radius is infinite) and the error at the
        plot's right end."""
        s = get_series(self.function)
        with np.errstate(all="ignore"):
            error = np.abs(s.f(self.xs) - taylor_polynomial(self.function, a, degree, self.xs))
        region = np.abs(self.xs - a) <= 0.5 * s.radius(a)
        return error, float(np.max(error[region])), float(error[-1])

    def update(self, degree=3, a=0.0, function=None):
        if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 0:
            raise ValueError(f"degree must be a whole number >= 0, got {degree!r}")
        if function is not None:
            self._set_function(function)
        s = get_series(self.function)
        with np.errstate(all="ignore"):
            undefined = not math.isfinite(a) or not np.isfinite(s.f(np.float64(a))) or s.radius(a) == 0
        if undefined:
            raise ValueError(f"cannot expand {self.function} about a = {a!r}: it is not defined there")
        error, inside, at_end = self.errors(degree, a)
        _, inside_next, at_end_next = self.errors(degree + 1, a)
        self.poly.set_data(self.xs, taylor_polynomial(self.function, a, degree, self.xs))
        self.centre.set_data([a], [float(s.f(a))])
        self.error.set_data(self.xs, np.maximum(error, 1e-16))
        radius = s.radius(a)
        low, high = max(a - radius, self.xs[0]), min(a + radius, self.xs[-1])
        for band in (self.band, self.band_err):   # Rectangles in axes-height units
            band.set_x(low)
            band.set_width(high - low)
        radius_text = "∞" if math.isinf(radius) else f"{radius:.3g}"
        self.title.set_text(f"${s.label}$ about $a = {a:.2f}$, degree {degree}; radius of convergence {radius_text}")
        return {"degree": degree, "a": a, "radius": radius,
                "max_error_inside": inside, "max_error_inside_next": inside_next,
                "inside_trend": _trend(inside, inside_next),
                "end": float(self.xs[-1]), "end_inside_radius": bool(abs(self.xs[-1] - a) < radius),
                "error_at_end": at_end, "error_at_end_next": at_end_next,
                "end_trend": _trend(at_end, at_end_next),
                "next_term_zero": abs(s.derivative(degree + 1, a)) < 1e-12}


def taylor_readout(r):
    """The widget's sentence: what the error is, and what one more degree does to it (measured, not
    assumed: outside the radius, and far from a even inside it, one more degree can make it worse)."""
    region = ("on the whole plot (the radius is infinite)" if math.isinf(r["radius"])
              else "within half the radius of a")
    same = ("one more degree leaves it unchanged: that term is zero" if r["next_term_zero"]
            else "one more degree leaves it unchanged, to rounding")
    consequence = {"lower": "one more degree lowers it", "higher": "one more degree <b>raises</b> it",
                   "the same": same}
    where = "inside" if r["end_inside_radius"] else "outside"
    return (f"largest error {region}: <b>{r['max_error_inside']:.2e}</b>; at degree {r['degree'] + 1} "
            f"{r['max_error_inside_next']:.2e} ({consequence[r['inside_trend']]}). "
            f"At the right end, x = {r['end']:.3g}, {where} the radius: {r['error_at_end']:.2e}; at degree "
            f"{r['degree'] + 1} {r['error_at_end_next']:.2e} ({consequence[r['end_trend']]}).")


TAYLOR_ALT = ("Top: f(x) (solid line) and its Taylor polynomial of degree n about a (dashed line, a dot at a), "
              "with the interval of convergence shaded. Bottom: the error between them, on a log scale. The "
              "numbers are in the text below.")


def taylor_explorer(function="log(1 + x)"):
    """Raise the degree and move the expansion point; watch the error inside and outside the radius."""
    import ipywidgets as widgets

    explorer = TaylorExplorer(function)
    controls = {
        "degree": widgets.IntSlider(value=3, min=0, max=25, description="degree n"),
        "a": widgets.FloatSlider(value=0.0, min=-0.9, max=0.9, step=0.05, description="about a"),
        "function": widgets.Dropdown(options=list(SERIES), value=function, description="f(x)"),
    }
    return figure_widget(explorer, controls, taylor_readout, alt=TAYLOR_ALT)


DIRECTION = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])


def surface_model_errors(surface, x0, y0, distance=0.1):
    """The surface explorer's readout: the errors of the tangent plane and of the quadratic model at
    the point `distance` away from (x0, y0) in DIRECTION (30° above the x axis)."""
    s = get_surface(surface)
    f0 = float(s.f(x0, y0))
    g = np.array([float(v) for v in s.gradient(x0, y0)])
    hxx, hxy, hyy = (float(v) for v in s.hessian(x0, y0))
    H = np.array([[hxx, hxy], [hxy, hyy]])
    d = distance * DIRECTION
    exact = float(s.f(x0 + d[0], y0 + d[1]))
    return abs(exact - (f0 + d @ g)), abs(exact - (f0 + d @ g + 0.5 * d @ H @ d))


class _Patch3D(art3d.Poly3DCollection):
    """A 3-D patch that projects itself when drawn on its own (blitted), with the camera of the last
    full draw: the view never changes in the widget, so the projection is the same."""

    def draw(self, renderer):
        self.do_3d_projection()
        super().draw(renderer)


class TaylorSurfaceExplorer:
    """Left: a surface with its tangent plane and its quadratic model at (x0, y0), on a small patch.
    Right: their errors along a line through the point, against the distance from it (log-log):
    slopes 2 and 3.

    The surface and the axes are the background, drawn once per surface with limits set from that
    surface (so they shrink as well as grow when the surface changes, and never move with the
    point); the two patches are blitted over it, clipped to the box."""

    def __init__(self, surface="hill and hole", patch=0.6, grid=8):
        self.patch = patch
        self.grid = grid
        self.live = LiveFigure(10.0, 4.4)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.02, right=0.97, bottom=0.13, top=0.86, wspace=0.2)
        self.ax3d = self.fig.add_subplot(1, 2, 1, projection="3d")
        self.ax = self.fig.add_subplot(1, 2, 2)
        self.distances = np.geomspace(1e-3, 1.0, 60)
        self.err_plane, = self.ax.loglog([], [], "-", color=BLUE, lw=2, label="tangent plane $|f - L|$")
        self.err_quad, = self.ax.loglog([], [], "--", color=ORANGE, lw=2, label="quadratic $|f - Q|$")
        self.ax.loglog(self.distances, 0.5 * self.distances**2, ":", color=BLUE, lw=1, label="slope 2")
        self.ax.loglog(self.distances, 0.05 * self.distances**3, "-.", color=ORANGE, lw=1, label="slope 3")
        self.ax.set(xlabel="distance $r$ from the point", ylabel="error", ylim=(1e-13, 10))
        self.ax.grid(alpha=0.3, which="both")
        self.ax.legend(loc="upper left", fontsize=8)
        self.title = self.fig.text(0.5, 0.94, "", ha="center")
        self.live.animate(self.err_plane, self.err_quad, self.title)
        self.plane_patch = self.quad_patch = None
        self.surface_name = None
        self._set_surface(surface)

    def _set_surface(self, name):
        if name == self.surface_name:
            return
        s = get_surface(name)
        self.surface_name = name
        self.ax3d.clear()
        X, Y = np.meshgrid(np.linspace(*s.xlim, 40), np.linspace(*s.ylim, 40))
        Z = s.f(X, Y)
        pad = 0.05 * (Z.max() - Z.min())
        self.zlim = (float(Z.min() - pad), float(Z.max() + pad))
        self.ax3d.plot_surface(X, Y, Z, cmap="Greys", alpha=0.5, linewidth=0, rcount=25, ccount=25)
        self.ax3d.set(xlim=s.xlim, ylim=s.ylim, zlim=self.zlim, xlabel="$x$", ylabel="$y$",
                      title=f"$f = {s.label}$")
        self.ax3d.set_autoscale_on(False)     # limits from the surface alone, never from the patches
        # The quadratic as a translucent patch, the plane as a wireframe (no faces) drawn after it: where
        # the two cross (a saddle, near the point) the plane's lines stay visible over the quadratic.
        self.plane_patch = _Patch3D([], facecolor="none", edgecolor=BLUE, linewidth=1.2)
        self.quad_patch = _Patch3D([], facecolor=ORANGE, edgecolor=BLACK, alpha=0.45, linewidth=0.3)
        for patch in (self.quad_patch, self.plane_patch):
            self.ax3d.add_collection3d(patch, autolim=False)
            patch.set_animated(True)
        self.live.moving = [a for a in self.live.moving if not isinstance(a, _Patch3D)]
        self.live.moving[:0] = [self.quad_patch, self.plane_patch]     # blitted in this order: the plane on top
        self.live.invalidate()

    def models(self, x0, y0):
        """f(x0, y0), the gradient and the Hessian there, from the catalogue's exact formulas."""
        s = get_surface(self.surface_name)
        f0 = float(s.f(x0, y0))
        g = np.array([float(v) for v in s.gradient(x0, y0)])
        hxx, hxy, hyy = (float(v) for v in s.hessian(x0, y0))
        return f0, g, np.array([[hxx, hxy], [hxy, hyy]])

    def _quads(self, X, Y, Z):
        """The grid's cells as quadrilaterals (n, 4, 3), for a Poly3DCollection."""
        corners = [(slice(None, -1), slice(None, -1)), (slice(None, -1), slice(1, None)),
                   (slice(1, None), slice(1, None)), (slice(1, None), slice(None, -1))]
        return np.stack([np.stack([A[i, j] for i, j in corners], axis=-1).reshape(-1, 4)
                         for A in (X, Y, Z)], axis=-1)

    def update(self, x0=0.3, y0=0.2, surface=None):
        if not (np.isfinite(x0) and np.isfinite(y0)):
            raise ValueError(f"the point must have finite coordinates, got ({x0!r}, {y0!r})")
        if surface is not None:
            self._set_surface(surface)
        s = get_surface(self.surface_name)
        f0, g, H = self.models(x0, y0)
        # the patch, cut to the surface's box; heights clipped to the box's z range
        xs = np.linspace(max(x0 - self.patch, s.xlim[0]), min(x0 + self.patch, s.xlim[1]), self.grid)
        ys = np.linspace(max(y0 - self.patch, s.ylim[0]), min(y0 + self.patch, s.ylim[1]), self.grid)
        X, Y = np.meshgrid(xs, ys)
        DX, DY = X - x0, Y - y0
        plane = f0 + g[0] * DX + g[1] * DY
        quad = plane + 0.5 * (H[0, 0] * DX**2 + 2 * H[0, 1] * DX * DY + H[1, 1] * DY**2)
        self.plane_patch.set_verts(self._quads(X, Y, np.clip(plane, *self.zlim)))
        self.quad_patch.set_verts(self._quads(X, Y, np.clip(quad, *self.zlim)))
        # errors along the direction 30° above the x axis (not a diagonal, along which a saddle's
        # quadratic part vanishes)
        d = self.distances[:, None] * DIRECTION
        exact = s.f(x0 + d[:, 0], y0 + d[:, 1])
        linear = f0 + d @ g
        quadratic = linear + 0.5 * np.einsum("ij,jk,ik->i", d, H, d)
        self.err_plane.set_data(self.distances, np.maximum(np.abs(exact - linear), 1e-16))
        self.err_quad.set_data(self.distances, np.maximum(np.abs(exact - quadratic), 1e-16))
        e_lin, e_quad = surface_model_errors(self.surface_name, x0, y0)
        self.title.set_text(f"at ({x0:.2f}, {y0:.2f}): 0.1 away, the plane is off by {e_lin:.1e}, "
                            f"the quadratic by {e_quad:.1e}")
        return {"f": f0, "gradient": g, "hessian": H, "plane_error": e_lin, "quadratic_error": e_quad}


def surface_readout(r):
    return (f"0.1 away, 30° above the x axis: tangent-plane error {r['plane_error']:.2e}, quadratic-model "
            f"error <b>{r['quadratic_error']:.2e}</b>")


SURFACE_ALT = ("Left: the surface f(x, y) in 3-D with its tangent plane (a wireframe) and its quadratic model (a "
               "shaded patch) at the point (x₀, y₀). Right: log-log plot of each model's error against the "
               "distance r from the point, with guide lines of slope 2 and 3. The errors are in the text below.")


def taylor_surface_explorer(surface="hill and hole"):
    """Move the point: the tangent plane is good to first order, the quadratic model to second."""
    import ipywidgets as widgets

    explorer = TaylorSurfaceExplorer(surface)
    controls = {
        "x0": widgets.FloatSlider(value=0.3, min=-1.5, max=1.5, step=0.05, description="x₀"),
        "y0": widgets.FloatSlider(value=0.2, min=-1.5, max=1.5, step=0.05, description="y₀"),
        "surface": widgets.Dropdown(options=list(SURFACES), value=surface, description="f(x, y)"),
    }
    return figure_widget(explorer, controls, surface_readout, alt=SURFACE_ALT)
