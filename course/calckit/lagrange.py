"""Constrained optimisation: a point sliding along a constraint curve over the contours of f, with
both gradients drawn; at a constrained optimum they are parallel."""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._display import LiveFigure, figure_widget, label_contours
from .figures import BLACK, BLUE, VERMILLION


@dataclass(frozen=True)
class Constrained:
    f_expr: str            # sympy-readable in x, y (tests)
    g_expr: str
    label: str
    f: Callable
    grad_f: Callable
    g: Callable
    grad_g: Callable
    curve: Callable        # s -> (x, y) on g = 0
    s_range: tuple
    xlim: tuple
    ylim: tuple


PROBLEMS = {
    "the lecture's example": Constrained(
        "-exp(x - y**2 + x*y)", "cosh(y) + x - 2",
        r"f = -e^{x - y^2 + xy}\ \ \mathrm{on}\ \ \cosh y + x = 2",
        lambda x, y: -np.exp(x - y**2 + x * y),
        lambda x, y: -np.exp(x - y**2 + x * y) * np.array([1 + y, x - 2 * y]),
        lambda x, y: np.cosh(y) + x - 2,
        lambda x, y: np.array([1.0 + 0 * y, np.sinh(y)]),
        lambda s: (2 - np.cosh(s), s), (-1.6, 1.6), (-1.0, 2.0), (-1.8, 1.8)),
    "a line across a bowl": Constrained(
        "x**2 + 2*y**2", "x + y - 1",
        r"f = x^2 + 2y^2\ \ \mathrm{on}\ \ x + y = 1",
        lambda x, y: x**2 + 2 * y**2,
        lambda x, y: np.array([2 * x, 4 * y]),
        lambda x, y: x + y - 1,
        lambda x, y: np.array([1.0 + 0 * x, 1.0 + 0 * x]),
        lambda s: (s, 1 - s), (-1.5, 1.5), (-1.8, 2.0), (-1.0, 2.7)),
}

SLIDER = (-1.5, 1.5, 0.01)   # the widget's range of s (min, max, step): inside every problem's s_range


class LagrangeExplorer:
    def __init__(self, problem="the lecture's example"):
        self.live = LiveFigure(6.5, 5.4)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.1, right=0.97, bottom=0.1, top=0.9)
        self.ax = self.fig.add_subplot()
        self.point, = self.ax.plot([], [], "o", color=BLACK, zorder=5)
        # annotation_clip=False: an arrow whose tip leaves the axes is still drawn (matplotlib would skip
        # it), like its label, which is text and never clipped.
        # The two arrows differ by more than colour: ∇f solid with a filled head, ∇g dashed with an
        # open one, each labelled at its tip.
        self.arrow_f = self.ax.annotate("", xy=(0, 0), xytext=(0, 0), zorder=6, annotation_clip=False,
                                        arrowprops=dict(arrowstyle="-|>", color=VERMILLION, lw=2.5,
                                                        mutation_scale=18))
        self.arrow_g = self.ax.annotate("", xy=(0, 0), xytext=(0, 0), zorder=7, annotation_clip=False,
                                        arrowprops=dict(arrowstyle="->", color=BLUE, lw=2, linestyle="--",
                                                        mutation_scale=18))
        label = dict(ha="center", va="center", fontsize=12, zorder=8,
                     bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.8))
        self.label_f = self.ax.text(0, 0, "$\\nabla f$", color=BLACK, **label)
        self.label_g = self.ax.text(0, 0, "$\\nabla g$", color=BLACK, **label)
        self.title = self.ax.text(0.5, 1.02, "", transform=self.ax.transAxes, ha="center")
        self.live.animate(self.point, self.arrow_f, self.arrow_g, self.label_f, self.label_g, self.title)
        self._static = []
        self.problem = None
        self._set_problem(problem)

    def _set_problem(self, name):
        if name == self.problem:
            return
        p = PROBLEMS[name]
        self.problem = name
        for artist in self._static:
            artist.remove()
        X, Y = np.meshgrid(np.linspace(*p.xlim, 200), np.linspace(*p.ylim, 200))
        contours = self.ax.contour(X, Y, p.f(X, Y), levels=25, cmap="viridis", linewidths=0.8)
        label_contours(self.ax, contours)
        s = np.linspace(*p.s_range, 400)
        cx, cy = p.curve(s)
        curve, = self.ax.plot(cx, cy, "-", color=BLACK, lw=2, label="the constraint $g = 0$")
        self._static = [contours, curve]
        self.ax.set(xlim=p.xlim, ylim=p.ylim, xlabel="$x$", ylabel="$y$", aspect="equal")
        self.ax.legend(loc="lower left", fontsize=8)
        self.ax.set_title(f"${p.label}$", fontsize=9, pad=18)
        self.live.invalidate()

    def update(self, s=0.0, problem=None):
        if problem is not None:
            self._set_problem(problem)
        p = PROBLEMS[self.problem]
        if not (isinstance(s, (int, float, np.integer, np.floating)) and p.s_range[0] <= s <= p.s_range[1]):
            raise ValueError(f"s = {s!r} is off the drawn constraint: for {self.problem!r} choose s in "
                             f"[{p.s_range[0]}, {p.s_range[1]}]")
        x, y = (float(v) for v in p.curve(s))
        gf, gg = np.asarray(p.grad_f(x, y), dtype=float), np.asarray(p.grad_g(x, y), dtype=float)
        self.point.set_data([x], [y])
        here = np.array([x, y])
        units = []
        for arrow, vector in ((self.arrow_f, gf), (self.arrow_g, gg)):
            length = np.linalg.norm(vector)
            unit = vector / length if length > 0 else np.zeros(2)
            units.append(unit)
            arrow.xy = tuple(here + 0.6 * unit)
            arrow.set_position((x, y))
        # each label just beyond its arrow's tip; side by side when the tips (nearly) coincide
        at_f, at_g = here + 0.78 * units[0], here + 0.78 * units[1]
        if np.linalg.norm(at_f - at_g) < 0.2:
            across = np.array([-units[0][1], units[0][0]]) * 0.11
            at_f, at_g = at_f + across, at_g - across
        self.label_f.set_position(tuple(at_f))
        self.label_g.set_position(tuple(at_g))
        # sine of the angle between the gradients: 0 when they are parallel (a constrained stationary point)
        cross = float((gf[0] * gg[1] - gf[1] * gg[0]) / (np.linalg.norm(gf) * np.linalg.norm(gg)))
        self.title.set_text(f"at ({x:.3f}, {y:.3f}): f = {float(p.f(x, y)):.4f}, "
                            f"sin(angle between ∇f and ∇g) = {cross:+.3f}")
        cosine = float(np.clip(gf @ gg / (np.linalg.norm(gf) * np.linalg.norm(gg)), -1, 1))
        (x_lo, x_hi), (y_lo, y_hi) = p.xlim, p.ylim
        past = [name for name, arrow in (("∇f", self.arrow_f), ("∇g", self.arrow_g))
                if not (x_lo <= arrow.xy[0] <= x_hi and y_lo <= arrow.xy[1] <= y_hi)]
        return {"point": (x, y), "f": float(p.f(x, y)), "sin_angle": cross, "problem": self.problem,
                "past_edge": past,
                "angle": float(np.degrees(np.arccos(cosine))),
                "lam": float(gf @ gg / (gg @ gg))}


def lagrange_alt(r):
    """The plot's text alternative, for what `update` returned: the point, and whether the arrows are parallel
    (as the readout decides it: |sin| < 0.01)."""
    x, y = r["point"]
    if abs(r["sin_angle"]) < 0.01:
        relation = ("parallel, pointing the same way" if r["angle"] < 90 else "parallel, pointing opposite ways")
        relation += ": f is stationary along the curve here"
    else:
        relation = f"not parallel ({r['angle']:.0f}° apart): f still changes along the curve"
    past = r.get("past_edge", [])
    edge = ""
    if past:
        edge = (f" (the {past[0]} arrow's tip and label reach past the plot's edge)" if len(past) == 1
                else " (both tips and labels reach past the plot's edge)")
    return (f"Contour map of f(x, y) for “{r['problem']}”, with the constraint curve g = 0 (thick solid line) and "
            f"the point ({x:.2f}, {y:.2f}) on it. From the point, a solid arrow labelled ∇f and a dashed arrow "
            f"labelled ∇g show the directions of the two gradients{edge}; here they are {relation}. "
            f"λ is in the text below.")


def lagrange_explorer(problem="the lecture's example"):
    """Slide along the constraint: f is stationary where ∇f (solid arrow) lines up with ∇g (dashed)."""
    import ipywidgets as widgets

    explorer = LagrangeExplorer(problem)
    controls = {
        "s": widgets.FloatSlider(value=0.0, min=SLIDER[0], max=SLIDER[1], step=SLIDER[2], description="along g = 0"),
        "problem": widgets.Dropdown(options=list(PROBLEMS), value=problem, description="problem"),
    }
    return figure_widget(explorer, controls, lagrange_readout, alt=lagrange_alt)


def lagrange_readout(r):
    """The widget's sentence: parallel (|sin| < 0.01) means within a slider step of a stationary point."""
    if abs(r["sin_angle"]) < 0.01:
        return (f"∇f and ∇g are parallel here (|sin| = {abs(r['sin_angle']):.1e}): a constrained stationary "
                f"point, to the slider's step; λ = ∇f·∇g / |∇g|² = {r['lam']:.4f}")
    return (f"∇f and ∇g are not parallel (sin = {r['sin_angle']:+.3f}): f still changes along the curve "
            f"(the best-fit λ = ∇f·∇g / |∇g|² = {r['lam']:.4f} is not a multiplier here)")
