"""A surface, its contours and the gradient arrow at a point the student moves."""
import numpy as np

from ._display import LiveFigure, figure_widget, label_contours
from .figures import BLACK, VERMILLION
from .surfaces import SURFACES, get_surface


# The sliders' range and step (the same for every surface); the plots always cover the range.
SLIDER_RANGE = (-2.0, 2.0)
SLIDER_STEP = 0.01
READOUT_STEP = 0.01   # the readout reports the change of f over a step of this length


def _domain(s):
    """The plotted square: the surface's own domain, widened to the sliders' range."""
    return ((min(s.xlim[0], SLIDER_RANGE[0]), max(s.xlim[1], SLIDER_RANGE[1])),
            (min(s.ylim[0], SLIDER_RANGE[0]), max(s.ylim[1], SLIDER_RANGE[1])))


def nearest_stationary_point(s, x0, y0, within=SLIDER_STEP / 2, iterations=30):
    """A stationary point (∇f = 0) of surface `s` within `within` of (x0, y0) in each coordinate,
    or None. Newton's method on ∇f = 0 from (x0, y0) with the exact Hessian: from inside a cell this
    small it converges to the stationary point there (all of the catalogue's are non-degenerate);
    a run that leaves the neighbourhood, meets a singular Hessian or does not converge finds none."""
    p = np.array([x0, y0], dtype=float)
    start = p.copy()
    for _ in range(iterations):
        g = np.array([float(v) for v in s.gradient(*p)])
        if np.hypot(*g) < 1e-13:
            break
        fxx, fxy, fyy = (float(v) for v in s.hessian(*p))
        H = np.array([[fxx, fxy], [fxy, fyy]])
        if abs(np.linalg.det(H)) < 1e-14:
            return None
        p = p - np.linalg.solve(H, g)
        if np.max(np.abs(p - start)) > 10 * within:
            return None
    else:
        return None
    if np.max(np.abs(p - start)) <= within + 1e-12:
        return p
    return None


def stationary_kind(s, p):
    """'minimum', 'maximum' or 'saddle' at a non-degenerate stationary point p, from the Hessian."""
    fxx, fxy, fyy = (float(v) for v in s.hessian(*p))
    values = np.linalg.eigvalsh(np.array([[fxx, fxy], [fxy, fyy]]))
    if values[0] > 0:
        return "minimum"
    if values[1] < 0:
        return "maximum"
    return "saddle"


class GradientExplorer:
    """Left: the surface z = f(x, y). Right: its contours, the gradient at (x0, y0) as an
    arrow (drawn to one scale for the whole plot, so longer means steeper) and the contour
    through the point, which the arrow crosses at a right angle."""

    def __init__(self, surface="hill and hole", points=60):
        self.points = points
        self.live = LiveFigure(9.5, 4.2)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.02, right=0.97, bottom=0.12, top=0.84, wspace=0.12)
        self.ax3d = self.fig.add_subplot(1, 2, 1, projection="3d")
        self.ax = self.fig.add_subplot(1, 2, 2)
        self.surface_name = None
        self._static = []
        self.marker3d, = self.ax3d.plot([], [], [], "o", color=VERMILLION, mec=BLACK, ms=7, zorder=10)
        self.marker, = self.ax.plot([], [], "o", color=VERMILLION, mec=BLACK, zorder=5)
        # the contour's tangent line at the point: dashed, unlike the solid contours
        self.level, = self.ax.plot([], [], "--", color=BLACK, lw=1.2, label="tangent to the contour through the point")
        # annotation_clip=False: matplotlib would otherwise skip the whole arrow whenever its tip
        # leaves the axes; it is drawn across the plot's edge instead (and the text says so).
        self.arrow = self.ax.annotate("", xy=(0, 0), xytext=(0, 0), zorder=6, annotation_clip=False,
                                      arrowprops=dict(arrowstyle="-|>", color=VERMILLION, lw=2.5))
        self.title = self.fig.text(0.5, 0.955, "", ha="center", fontsize=11)
        self.live.animate(self.marker3d, self.marker, self.level, self.arrow, self.title)
        self._set_surface(surface)

    def _set_surface(self, name):
        if name == self.surface_name:
            return
        s = get_surface(name)
        self.surface_name = name
        for artist in self._static:
            artist.remove()
        self.xlim, self.ylim = _domain(s)
        xs = np.linspace(*self.xlim, self.points)
        ys = np.linspace(*self.ylim, self.points)
        X, Y = np.meshgrid(xs, ys)
        Z = s.f(X, Y) + 0 * X
        gx, gy = s.gradient(X, Y)
        # One scale for every arrow: the steepest point of the plot gets a quarter of its width.
        self.width = self.xlim[1] - self.xlim[0]
        self.scale = 0.25 * self.width / max(float(np.hypot(gx, gy).max()), 1e-12)
        surf = self.ax3d.plot_surface(X, Y, Z, cmap="viridis", linewidth=0, antialiased=False,
                                      rcount=40, ccount=40, alpha=0.85)
        contours = self.ax.contour(X, Y, Z, levels=15, cmap="viridis")
        label_contours(self.ax, contours)      # removed with the contour set
        self._static = [surf, contours]
        # Set the 3-D limits to this surface (autoscaling would only ever grow them, keeping the
        # previous surface's range after a switch).
        # A margin of 5 % of the range keeps the point in view between the mesh's nodes.
        pad = 0.05 * max(float(Z.max() - Z.min()), 1e-12)
        self.zlim = (float(Z.min()) - pad, float(Z.max()) + pad)
        self.ax3d.set_xlim3d(*self.xlim)
        self.ax3d.set_ylim3d(*self.ylim)
        self.ax3d.set_zlim3d(*self.zlim)
        self.ax3d.set(xlabel="$x$", ylabel="$y$", zlabel="$f$")
        self.ax3d.set_title(f"$f(x, y) = {s.label}$", fontsize=10)
        self.ax.set(xlim=self.xlim, ylim=self.ylim, xlabel="$x$", ylabel="$y$", aspect="equal")
        self.ax.set_title("contours and the gradient $\\nabla f$ (arrow)", fontsize=10)
        self.live.invalidate()

    def update(self, x0=0.5, y0=0.5, surface=None):
        """Move the point; return f, the gradient and the direction of steepest ascent there."""
        if surface is not None:
            self._set_surface(surface)
        s = get_surface(self.surface_name)
        f0 = float(s.f(x0, y0))
        g = np.array([float(v) for v in s.gradient(x0, y0)])
        self.marker3d.set_data_3d([x0], [y0], [f0])
        self.marker.set_data([x0], [y0])
        self.arrow.xy = (x0 + self.scale * g[0], y0 + self.scale * g[1])
        self.arrow.set_position((x0, y0))
        # The contour through the point is perpendicular to the gradient: its tangent line.
        norm = float(np.hypot(*g))
        if norm > 1e-12:
            tangent = np.array([-g[1], g[0]]) / norm * 0.15 * self.width
            self.level.set_data([x0 - tangent[0], x0 + tangent[0]], [y0 - tangent[1], y0 + tangent[1]])
        else:
            self.level.set_data([], [])
        self.title.set_text(f"at ({x0:.2f}, {y0:.2f}):  f = {f0:.4f},  "
                            f"∇f = ({g[0]:.4f}, {g[1]:.4f}),  |∇f| = {norm:.4f}")
        direction = g / norm if norm > 1e-12 else np.zeros(2)
        stationary = nearest_stationary_point(s, x0, y0)
        # The change of f over a step of READOUT_STEP uphill, computed from f itself (near a
        # stationary point the curvature term outweighs the first-order estimate READOUT_STEP |∇f|).
        ahead = np.array([x0, y0]) + READOUT_STEP * direction
        return {"f": f0, "gradient": g, "slope": norm, "uphill": direction, "point": (x0, y0),
                "surface": self.surface_name, "arrow_length": self.scale * norm / self.width,
                "tip_in_view": bool(self.xlim[0] <= self.arrow.xy[0] <= self.xlim[1]
                                    and self.ylim[0] <= self.arrow.xy[1] <= self.ylim[1]),
                "stationary": stationary,
                "kind": None if stationary is None else stationary_kind(s, stationary),
                "rise": float(s.f(*ahead)) - f0, "first_order_rise": READOUT_STEP * norm}


def describe(r):
    """The readout under the picture, from what `update` returned."""
    if r["stationary"] is not None:
        a, b = r["stationary"]
        shape = {"minimum": "every direction rises (to second order)",
                 "saddle": "f rises along some directions and falls along others",
                 "maximum": "every direction falls (to second order)"}[r["kind"]]
        return (f"|∇f| = {r['slope']:.4f}: this is the slider point nearest to a <b>stationary point</b>, "
                f"({a:.4f}, {b:.4f}), where ∇f = 0, so no direction is uphill to first order; "
                f"there {shape}: a <b>{r['kind']}</b>")
    text = (f"steepest ascent along ({r['uphill'][0]:+.3f}, {r['uphill'][1]:+.3f}); a step of length "
            f"{READOUT_STEP:g} that way changes f by <b>{r['rise']:+.2e}</b> "
            f"(first-order estimate {READOUT_STEP:g} |∇f| = {r['first_order_rise']:.2e})")
    if r["slope"] < 0.01:
        text += ("; the ground is nearly flat here, but this is <b>not</b> a stationary point: "
                 "none lies within half a slider step")
    return text


VISIBLE = 0.01   # an arrow shorter than this fraction of the plot's width is drawn as little more than its head


def gradient_alt(r):
    """The plot's text alternative, for what `update` returned (the arrow and the tangent segment are
    drawn only where ∇f ≠ 0; a very short arrow is said to be just its head, and one whose tip reaches
    past the plot's edge is said to)."""
    x0, y0 = r["point"]
    gx, gy = r["gradient"]
    text = (f"Left: the surface “{r['surface']}” in 3-D with the point ({x0:.2f}, {y0:.2f}) on it as a dot. Right: "
            f"its contour map with the point")
    if r["slope"] <= 1e-12:
        text += ", where the gradient is zero: no arrow and no tangent segment are drawn"
    else:
        arrow = ("a very short arrow, little more than its head" if r["arrow_length"] < VISIBLE
                 else "an arrow pointing uphill across the contours, longer where steeper")
        if not r.get("tip_in_view", True):
            arrow += ", its tip reaching past the edge of the contour map"
        text += (f", the gradient ∇f = ({_number(gx)}, {_number(gy)}) there as {arrow}, and a short dashed segment along "
                 f"the tangent to the contour through the point, at a right angle to the gradient")
    return text + ". The text below gives the direction of steepest ascent, or says the point is stationary."


def _number(v):
    return f"{v:.3f}".replace("-0.000", "0.000")


def gradient_explorer(surface="hill and hole", x0=0.5, y0=0.5):
    """Move the point and watch the gradient: it points uphill, across the contours."""
    import ipywidgets as widgets

    explorer = GradientExplorer(surface)
    controls = {
        "x0": widgets.FloatSlider(value=x0, min=SLIDER_RANGE[0], max=SLIDER_RANGE[1], step=SLIDER_STEP,
                                  description="x₀"),
        "y0": widgets.FloatSlider(value=y0, min=SLIDER_RANGE[0], max=SLIDER_RANGE[1], step=SLIDER_STEP,
                                  description="y₀"),
        "surface": widgets.Dropdown(options=list(SURFACES), value=surface, description="f(x, y)"),
    }
    return figure_widget(explorer, controls, describe, alt=gradient_alt)
