"""A surface, its contours and the gradient arrow at a point the student moves."""
import numpy as np

from ._display import LiveFigure, figure_widget
from .surfaces import SURFACES, get_surface


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
        self.marker3d, = self.ax3d.plot([], [], [], "o", color="tab:red", ms=7, zorder=10)
        self.marker, = self.ax.plot([], [], "o", color="tab:red", zorder=5)
        self.level, = self.ax.plot([], [], "--", color="tab:red", lw=1, label="contour through the point")
        self.arrow = self.ax.annotate("", xy=(0, 0), xytext=(0, 0), zorder=6,
                                      arrowprops=dict(arrowstyle="-|>", color="tab:red", lw=2.5))
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
        xs = np.linspace(*s.xlim, self.points)
        ys = np.linspace(*s.ylim, self.points)
        X, Y = np.meshgrid(xs, ys)
        Z = s.f(X, Y)
        gx, gy = s.gradient(X, Y)
        # One scale for every arrow: the steepest point of the plot gets a quarter of its width.
        self.scale = 0.25 * (s.xlim[1] - s.xlim[0]) / max(float(np.hypot(gx, gy).max()), 1e-12)
        surf = self.ax3d.plot_surface(X, Y, Z, cmap="viridis", linewidth=0, antialiased=False,
                                      rcount=40, ccount=40, alpha=0.85)
        contours = self.ax.contour(X, Y, Z, levels=15, cmap="viridis")
        self._static = [surf, contours]
        self.ax3d.set(xlabel="$x$", ylabel="$y$", zlabel="$f$")
        self.ax3d.set_title(f"$f(x, y) = {s.label}$", fontsize=10)
        self.ax.set(xlim=s.xlim, ylim=s.ylim, xlabel="$x$", ylabel="$y$", aspect="equal")
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
            tangent = np.array([-g[1], g[0]]) / norm * 0.15 * (s.xlim[1] - s.xlim[0])
            self.level.set_data([x0 - tangent[0], x0 + tangent[0]], [y0 - tangent[1], y0 + tangent[1]])
        else:
            self.level.set_data([], [])
        self.title.set_text(f"at ({x0:.2f}, {y0:.2f}):  f = {f0:.4f},  "
                            f"∇f = ({g[0]:.4f}, {g[1]:.4f}),  |∇f| = {norm:.4f}")
        direction = g / norm if norm > 1e-12 else np.zeros(2)
        return {"f": f0, "gradient": g, "slope": norm, "uphill": direction}


def gradient_explorer(surface="hill and hole", x0=0.5, y0=0.5):
    """Move the point and watch the gradient: it points uphill, across the contours."""
    import ipywidgets as widgets

    explorer = GradientExplorer(surface)
    controls = {
        "x0": widgets.FloatSlider(value=x0, min=-2.0, max=2.0, step=0.01, description="x₀"),
        "y0": widgets.FloatSlider(value=y0, min=-2.0, max=2.0, step=0.01, description="y₀"),
        "surface": widgets.Dropdown(options=list(SURFACES), value=surface, description="f(x, y)"),
    }

    def readout(r):
        if r["slope"] < 0.01:  # the sliders move in steps of 0.01: as close to ∇f = 0 as they get
            return (f"|∇f| = {r['slope']:.4f} ≈ 0: (next to) a <b>stationary point</b>, where no direction "
                    "is uphill")
        return (f"steepest ascent along ({r['uphill'][0]:+.3f}, {r['uphill'][1]:+.3f}); "
                f"a step of length 0.01 that way raises f by about <b>{0.01 * r['slope']:.4f}</b>")

    return figure_widget(explorer, controls, readout)
