"""Gradient descent and Newton's method on a surface: the paths they take, drawn on its contours."""
import numpy as np

from ._display import LiveFigure, figure_widget
from .surfaces import SURFACES, get_surface

QUADRATIC_BOWL = "bowl"   # x² + 2y²: Hessian diag(2, 4), so gradient descent diverges for η > 2/4


def descent_path(gradient, start, learning_rate, steps, limit=1e6):
    """Points of gradient descent x <- x - η ∇f(x), stopping early if they run away (|x| > limit)."""
    path = [np.asarray(start, dtype=float)]
    for _ in range(steps):
        step = path[-1] - learning_rate * np.asarray(gradient(*path[-1]), dtype=float)
        if not np.all(np.isfinite(step)) or np.abs(step).max() > limit:
            break
        path.append(step)
    return np.array(path)


def newton_path(gradient, hessian, start, steps):
    """Points of Newton's method x <- x - H⁻¹ ∇f(x), stopping at a singular Hessian."""
    path = [np.asarray(start, dtype=float)]
    for _ in range(steps):
        a, b, c = (float(v) for v in hessian(*path[-1]))
        H = np.array([[a, b], [b, c]])
        try:
            path.append(path[-1] - np.linalg.solve(H, np.asarray(gradient(*path[-1]), dtype=float)))
        except np.linalg.LinAlgError:
            break
    return np.array(path)


class DescentExplorer:
    """Contours of a surface, the gradient-descent path from a start, and Newton's path beside it."""

    def __init__(self, surface=QUADRATIC_BOWL, start=(1.5, 1.2)):
        self.start = np.array(start, dtype=float)
        self.live = LiveFigure(6.5, 5.2)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.1, right=0.97, bottom=0.1, top=0.9)
        self.ax = self.fig.add_subplot()
        self.path, = self.ax.plot([], [], "o-", color="tab:red", ms=3, lw=1.2, label="gradient descent")
        self.newton, = self.ax.plot([], [], "s--", color="tab:blue", ms=4, lw=1, label="Newton")
        self.title = self.ax.text(0.5, 1.02, "", transform=self.ax.transAxes, ha="center")
        self.live.animate(self.path, self.newton, self.title)
        self._contours = None
        self.surface = None
        self._set_surface(surface)

    def _set_surface(self, name):
        if name == self.surface:
            return
        s = get_surface(name)
        self.surface = name
        if self._contours is not None:
            self._contours.remove()
        X, Y = np.meshgrid(np.linspace(*s.xlim, 200), np.linspace(*s.ylim, 200))
        self._contours = self.ax.contour(X, Y, s.f(X, Y), levels=25, cmap="viridis", linewidths=0.8)
        self.ax.set(xlim=s.xlim, ylim=s.ylim, xlabel="$x$", ylabel="$y$", aspect="equal")
        self.ax.legend(loc="lower right", fontsize=8)
        self.live.invalidate()

    def update(self, learning_rate=0.1, steps=30, surface=None):
        if surface is not None:
            self._set_surface(surface)
        s = get_surface(self.surface)
        path = descent_path(s.gradient, self.start, learning_rate, steps)
        newton = newton_path(s.gradient, s.hessian, self.start, min(steps, 8))
        self.path.set_data(path[:, 0], path[:, 1])
        self.newton.set_data(newton[:, 0], newton[:, 1])
        end = path[-1]
        value = float(s.f(*end))
        # diverging: stopped early (ran off), or ended higher than it started
        ran_away = len(path) < steps + 1 or value > float(s.f(*self.start))
        self.title.set_text(f"η = {learning_rate:.3g}: after {len(path) - 1} steps f = {value:.4g}"
                            + ("  (diverging)" if ran_away else ""))
        return {"path": path, "newton": newton, "f": value, "ran_away": ran_away,
                "gradient_norm": float(np.hypot(*s.gradient(*end)))}


def descent_explorer(surface=QUADRATIC_BOWL):
    """Slide the learning rate: too small crawls, too large zig-zags and then runs away."""
    import ipywidgets as widgets

    explorer = DescentExplorer(surface)
    controls = {
        "learning_rate": widgets.FloatLogSlider(value=0.1, base=10, min=-2.5, max=0.0, step=0.02,
                                                description="rate η"),
        "steps": widgets.IntSlider(value=30, min=1, max=200, description="steps"),
        "surface": widgets.Dropdown(options=list(SURFACES), value=surface, description="f(x, y)"),
    }
    return figure_widget(explorer, controls, lambda r: (
        "diverging: the rate is too large (on a quadratic, above 2 / the largest Hessian eigenvalue)"
        if r["ran_away"] else
        f"|∇f| at the end = <b>{r['gradient_norm']:.3g}</b>; Newton (blue) took {len(r['newton']) - 1} steps"))
