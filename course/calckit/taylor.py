"""Taylor polynomials: a catalogue of functions with every derivative in closed form, and two
widgets (a polynomial against its function; a tangent plane and a quadratic model on a surface)."""
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

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


class TaylorExplorer:
    """Top: f and its Taylor polynomial of degree n about a, with the interval of convergence shaded.
    Bottom: the error |f - p_n| on a log scale."""

    def __init__(self, function="log(1 + x)", points=600):
        self.points = points
        self.live = LiveFigure(8.0, 5.6)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.1, right=0.97, bottom=0.09, top=0.92, hspace=0.12)
        self.ax, self.ax_err = self.fig.subplots(2, 1, sharex=True)
        self.curve, = self.ax.plot([], [], color="black", lw=2, label="$f(x)$")
        self.poly, = self.ax.plot([], [], color="tab:orange", lw=2, label="Taylor polynomial $p_n(x)$")
        self.centre, = self.ax.plot([], [], "o", color="tab:orange")
        self.band = self.ax.axvspan(0, 0, color="tab:green", alpha=0.12, label="within the radius of convergence")
        self.band_err = self.ax_err.axvspan(0, 0, color="tab:green", alpha=0.12)
        self.error, = self.ax_err.semilogy([], [], color="tab:red")
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

    def update(self, degree=3, a=0.0, function=None):
        if function is not None:
            self._set_function(function)
        s = get_series(self.function)
        p = taylor_polynomial(self.function, a, degree, self.xs)
        with np.errstate(all="ignore"):
            error = np.abs(s.f(self.xs) - p)
        self.poly.set_data(self.xs, p)
        self.centre.set_data([a], [float(s.f(a))])
        self.error.set_data(self.xs, np.maximum(error, 1e-16))
        radius = s.radius(a)
        low, high = max(a - radius, self.xs[0]), min(a + radius, self.xs[-1])
        for band in (self.band, self.band_err):   # Rectangles in axes-height units
            band.set_x(low)
            band.set_width(high - low)
        radius_text = "∞" if math.isinf(radius) else f"{radius:.3g}"
        self.title.set_text(f"${s.label}$ about $a = {a:.2f}$, degree {degree}; radius of convergence {radius_text}")
        inside = (self.xs > a - radius) & (self.xs < a + radius)
        return {"degree": degree, "a": a, "radius": radius,
                "max_error_inside": float(np.nanmax(np.where(inside & (np.abs(self.xs - a) <= 0.5 * radius), error, 0))),
                "error_at_end": float(error[-1])}


def taylor_explorer(function="log(1 + x)"):
    """Raise the degree and move the expansion point; watch the error inside and outside the radius."""
    import ipywidgets as widgets

    explorer = TaylorExplorer(function)
    controls = {
        "degree": widgets.IntSlider(value=3, min=0, max=25, description="degree n"),
        "a": widgets.FloatSlider(value=0.0, min=-0.9, max=0.9, step=0.05, description="about a"),
        "function": widgets.Dropdown(options=list(SERIES), value=function, description="f(x)"),
    }
    return figure_widget(explorer, controls, lambda r: (
        f"largest error within half the radius of a: <b>{r['max_error_inside']:.2e}</b> "
        f"(raise n and it falls); error at the right end of the plot: {r['error_at_end']:.2e}"))


DIRECTION = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])


class TaylorSurfaceExplorer:
    """Left: a surface with its tangent plane and its quadratic model at (x0, y0), on a small patch.
    Right: their errors along a line through the point, against the distance from it (log-log):
    slopes 2 and 3."""

    def __init__(self, surface="hill and hole", patch=0.6):
        self.patch = patch
        self.live = LiveFigure(10.0, 4.4)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.02, right=0.97, bottom=0.13, top=0.86, wspace=0.2)
        self.ax3d = self.fig.add_subplot(1, 2, 1, projection="3d")
        self.ax = self.fig.add_subplot(1, 2, 2)
        self.distances = np.geomspace(1e-3, 1.0, 60)
        self.err_plane, = self.ax.loglog([], [], color="tab:blue", label="tangent plane $|f - L|$")
        self.err_quad, = self.ax.loglog([], [], color="tab:orange", label="quadratic $|f - Q|$")
        self.ax.loglog(self.distances, 0.5 * self.distances**2, ":", color="tab:blue", lw=1, label="slope 2")
        self.ax.loglog(self.distances, 0.05 * self.distances**3, ":", color="tab:orange", lw=1, label="slope 3")
        self.ax.set(xlabel="distance $r$ from the point", ylabel="error", ylim=(1e-13, 10))
        self.ax.grid(alpha=0.3, which="both")
        self.ax.legend(loc="upper left", fontsize=8)
        self.title = self.fig.text(0.5, 0.94, "", ha="center")
        self.live.animate(self.err_plane, self.err_quad, self.title)
        self._patches = []
        self.surface_name = None
        self._set_surface(surface)

    def _set_surface(self, name):
        if name == self.surface_name:
            return
        s = get_surface(name)
        self.surface_name = name
        self.ax3d.clear()
        X, Y = np.meshgrid(np.linspace(*s.xlim, 40), np.linspace(*s.ylim, 40))
        self.ax3d.plot_surface(X, Y, s.f(X, Y), cmap="Greys", alpha=0.5, linewidth=0, rcount=30, ccount=30)
        self.ax3d.set(xlabel="$x$", ylabel="$y$", title=f"$f = {s.label}$")
        self._patches = []
        self.live.invalidate()

    def models(self, x0, y0):
        """f(x0, y0), the gradient and the Hessian there, from the catalogue's exact formulas."""
        s = get_surface(self.surface_name)
        f0 = float(s.f(x0, y0))
        g = np.array([float(v) for v in s.gradient(x0, y0)])
        hxx, hxy, hyy = (float(v) for v in s.hessian(x0, y0))
        return f0, g, np.array([[hxx, hxy], [hxy, hyy]])

    def update(self, x0=0.3, y0=0.2, surface=None):
        if surface is not None:
            self._set_surface(surface)
        s = get_surface(self.surface_name)
        f0, g, H = self.models(x0, y0)
        for artist in self._patches:
            artist.remove()
        u = np.linspace(-self.patch, self.patch, 8)
        DX, DY = np.meshgrid(u, u)
        plane = f0 + g[0] * DX + g[1] * DY
        quad = plane + 0.5 * (H[0, 0] * DX**2 + 2 * H[0, 1] * DX * DY + H[1, 1] * DY**2)
        # 3-D patches cannot be blitted (their projection happens in the axes' own draw): the
        # surface panel is redrawn in full, which costs most of a frame.
        self._patches = [
            self.ax3d.plot_surface(x0 + DX, y0 + DY, plane, color="tab:blue", alpha=0.6),
            self.ax3d.plot_surface(x0 + DX, y0 + DY, quad, color="tab:orange", alpha=0.6),
        ]
        self.live.invalidate()
        # errors along the direction 30° above the x axis (not a diagonal, along which a saddle's
        # quadratic part vanishes)
        d = self.distances[:, None] * DIRECTION
        exact = s.f(x0 + d[:, 0], y0 + d[:, 1])
        linear = f0 + d @ g
        quadratic = linear + 0.5 * np.einsum("ij,jk,ik->i", d, H, d)
        self.err_plane.set_data(self.distances, np.maximum(np.abs(exact - linear), 1e-16))
        self.err_quad.set_data(self.distances, np.maximum(np.abs(exact - quadratic), 1e-16))
        tenth = 0.1 * DIRECTION                       # the readout's errors, exactly 0.1 away
        e_lin = float(abs(s.f(x0 + tenth[0], y0 + tenth[1]) - (f0 + tenth @ g)))
        e_quad = float(abs(s.f(x0 + tenth[0], y0 + tenth[1]) - (f0 + tenth @ g + 0.5 * tenth @ H @ tenth)))
        self.title.set_text(f"at ({x0:.2f}, {y0:.2f}): 0.1 away, the plane is off by {e_lin:.1e}, "
                            f"the quadratic by {e_quad:.1e}")
        return {"f": f0, "gradient": g, "hessian": H, "plane_error": e_lin, "quadratic_error": e_quad}


def taylor_surface_explorer(surface="hill and hole"):
    """Move the point: the tangent plane is good to first order, the quadratic model to second."""
    import ipywidgets as widgets

    explorer = TaylorSurfaceExplorer(surface)
    controls = {
        "x0": widgets.FloatSlider(value=0.3, min=-1.5, max=1.5, step=0.05, description="x₀"),
        "y0": widgets.FloatSlider(value=0.2, min=-1.5, max=1.5, step=0.05, description="y₀"),
        "surface": widgets.Dropdown(options=list(SURFACES), value=surface, description="f(x, y)"),
    }
    return figure_widget(explorer, controls, lambda r: (
        f"0.1 away, 30° above the x axis: tangent-plane error {r['plane_error']:.2e}, quadratic-model error "
        f"<b>{r['quadratic_error']:.2e}</b>"))
