"""Gradient descent and Newton's method on a surface: the paths they take, drawn on its contours."""
import numpy as np

from ._display import LiveFigure, figure_widget, label_contours
from .figures import BLUE, VERMILLION
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


def newton_path(gradient, hessian, start, steps, tol=1e-10):
    """Points of Newton's method x <- x - H⁻¹ ∇f(x): at most `steps` steps, stopping once |∇f| < tol
    (so len(path) - 1 is the number of steps it really took) or at a singular Hessian."""
    path = [np.asarray(start, dtype=float)]
    for _ in range(steps):
        g = np.asarray(gradient(*path[-1]), dtype=float)
        if np.linalg.norm(g) < tol:
            break
        a, b, c = (float(v) for v in hessian(*path[-1]))
        H = np.array([[a, b], [b, c]])
        try:
            path.append(path[-1] - np.linalg.solve(H, g))
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(path[-1])):
            path.pop()
            break
    return np.array(path)


def hessian_matrix(surface, point):
    a, b, c = (float(v) for v in surface.hessian(*point))
    return np.array([[a, b], [b, c]])


def descent_summary(surface, start, learning_rate, steps, newton_steps=50):
    """Everything the readout states, as numbers: both paths, and what the gradient-descent path did.

    `status` is one of
      "converged"       |∇f| < 1e-6 at the end;
      "rate too large"  the path ran off (past 1e6, or a window's width beyond the plotted window) with
                        f above its start, from a start where the Hessian is positive definite and
                        η > 2/λ_max there;
      "unbounded"       the path ran off downhill (f below its start) along negative curvature: f has no
                        minimum that way, and no rate helps (a saddle);
      "ran off"         it ran off otherwise;
      "moving"          none of these: still on its way after `steps` steps.
    """
    path = descent_path(surface.gradient, start, learning_rate, steps)
    newton = newton_path(surface.gradient, surface.hessian, start, newton_steps)
    end = path[-1]
    value, value0 = float(surface.f(*end)), float(surface.f(*start))
    gradient_norm = float(np.hypot(*surface.gradient(*end)))
    eigenvalues = np.linalg.eigvalsh(hessian_matrix(surface, end))
    at_start = np.linalg.eigvalsh(hessian_matrix(surface, start))
    (x0, x1), (y0, y1) = surface.xlim, surface.ylim
    width = max(x1 - x0, y1 - y0)
    outside = not (x0 - width <= end[0] <= x1 + width and y0 - width <= end[1] <= y1 + width)
    hit_limit = len(path) < steps + 1
    if gradient_norm < 1e-6 and not hit_limit:
        status = "converged"
    elif hit_limit or outside:
        if at_start.min() > 0 and learning_rate > 2 / at_start.max() and value > value0:
            status = "rate too large"
        elif eigenvalues.min() < 0 and value < value0:
            status = "unbounded"
        else:
            status = "ran off"
    else:
        status = "moving"
    newton_gradient = float(np.hypot(*surface.gradient(*newton[-1])))
    # |∇f| < 1e-10 alone is not arrival: on a flat tail (x e^(-x²-y²) far out) ∇f and H are both ~1e-11
    # while the Newton step H⁻¹∇f is still long. Arrived: the next Newton step is tiny, inside the window.
    try:
        next_step = float(np.linalg.norm(np.linalg.solve(hessian_matrix(surface, newton[-1]),
                                                         np.asarray(surface.gradient(*newton[-1]), dtype=float))))
    except np.linalg.LinAlgError:
        next_step = np.inf
    inside = bool(x0 <= newton[-1][0] <= x1 and y0 <= newton[-1][1] <= y1)
    newton_converged = bool(newton_gradient < 1e-10 and next_step < 1e-8 and inside)
    return {"path": path, "newton": newton, "f": value, "status": status,
            "ran_away": status in ("rate too large", "unbounded", "ran off"),
            "gradient_norm": gradient_norm, "eigenvalues": eigenvalues, "start_eigenvalues": at_start,
            "newton_steps": len(newton) - 1, "newton_converged": newton_converged,
            "newton_ran_off": bool(not newton_converged and (not inside or (newton_gradient < 1e-10 and next_step >= 1e-8))),
            "newton_next_step": next_step,
            "newton_end": newton[-1], "newton_eigenvalues": np.linalg.eigvalsh(hessian_matrix(surface, newton[-1])),
            "learning_rate": float(learning_rate)}


def _kind(eigenvalues):
    if eigenvalues.min() > 0:
        return "a minimum"
    if eigenvalues.max() < 0:
        return "a maximum"
    if eigenvalues.min() < 0 < eigenvalues.max():
        return "a saddle"
    return "a degenerate stationary point"


def descent_readout(r):
    """The widget's sentence for a descent_summary: each clause is one the numbers support."""
    eta, lam, lam0 = r["learning_rate"], r["eigenvalues"], r["start_eigenvalues"]
    if r["status"] == "converged":
        first = f"gradient descent converged: |∇f| = {r['gradient_norm']:.2g} at {_kind(lam)}"
    elif r["status"] == "rate too large":
        first = (f"diverging: the rate η = {eta:.3g} is above 2/λ_max = {2 / lam0.max():.3g} "
                 "(λ_max the largest Hessian eigenvalue at the start)")
    elif r["status"] == "unbounded":
        first = (f"running downhill without end: the Hessian has a negative eigenvalue ({lam.min():.3g}), "
                 "so f has no minimum this way and gradient descent leaves at every rate")
    elif r["status"] == "ran off":
        first = "gradient descent ran off the picture"
    else:
        first = f"still moving: |∇f| at the end = {r['gradient_norm']:.3g}"
    if r["newton_converged"]:
        n = r["newton_steps"]
        second = (f"Newton (squares) reached |∇f| < 1e-10 in {n} step{'s' if n != 1 else ''}, "
                  f"at {_kind(r['newton_eigenvalues'])}")
    elif r["newton_ran_off"]:
        x, y = r["newton_end"]
        second = (f"Newton (squares) ran off to ({x:.2f}, {y:.2f}), where f is flat: not a stationary point "
                  f"(its next step would still be {r['newton_next_step']:.2g} long)")
    else:
        second = f"Newton (squares) has not converged after {r['newton_steps']} steps"
    return f"{first}; {second}"


class DescentExplorer:
    """Contours of a surface, the gradient-descent path from a start, and Newton's path beside it."""

    def __init__(self, surface=QUADRATIC_BOWL, start=(1.5, 1.2)):
        self.start = np.array(start, dtype=float)
        self.live = LiveFigure(6.5, 5.2)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.1, right=0.97, bottom=0.1, top=0.9)
        self.ax = self.fig.add_subplot()
        self.path, = self.ax.plot([], [], "o-", color=VERMILLION, ms=3, lw=1.2, label="gradient descent (circles)")
        self.newton, = self.ax.plot([], [], "s--", color=BLUE, ms=4, lw=1, label="Newton (squares, dashed)")
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
        label_contours(self.ax, self._contours)
        self.ax.set(xlim=s.xlim, ylim=s.ylim, xlabel="$x$", ylabel="$y$", aspect="equal")
        self.ax.legend(loc="lower right", fontsize=8)
        self.live.invalidate()

    def update(self, learning_rate=0.1, steps=30, surface=None):
        if surface is not None:
            self._set_surface(surface)
        s = get_surface(self.surface)
        r = descent_summary(s, self.start, learning_rate, steps)
        path, newton = r["path"], r["newton"]
        self.path.set_data(path[:, 0], path[:, 1])
        self.newton.set_data(newton[:, 0], newton[:, 1])
        self.title.set_text(f"η = {learning_rate:.3g}: after {len(path) - 1} step{'' if len(path) == 2 else 's'} f = {r['f']:.4g}"
                            + ("  (diverging)" if r["ran_away"] else ""))
        (x0, x1), (y0, y1) = s.xlim, s.ylim
        shown = lambda p: bool(x0 <= p[0] <= x1 and y0 <= p[1] <= y1)
        return {**r, "surface": self.surface, "start": self.start,
                "path_end_shown": shown(path[-1]), "newton_end_shown": shown(newton[-1])}


def descent_alt(r):
    """The plot's text alternative, for what `update` returned: the two paths, and where each ends."""
    def end(points, shown):
        n = len(points) - 1
        x, y = (f"{round(float(v), 3) + 0.0:.6g}" for v in points[-1])
        steps = f"{n} step{'s' if n != 1 else ''}"
        if shown:
            return f"ends at ({x}, {y}) after {steps}"
        return f"leaves the picture: after {steps} it is at ({x}, {y})"

    a, b = r["start"]
    return (f"Contour map of f(x, y), the surface “{r['surface']}”, with two paths from the start ({a:g}, {b:g}): "
            f"gradient descent (circles joined by a solid line) {end(r['path'], r['path_end_shown'])}; Newton's "
            f"method (squares, dashed line) {end(r['newton'], r['newton_end_shown'])}. "
            "The text below says whether each converged.")


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
    return figure_widget(explorer, controls, descent_readout, alt=descent_alt)
