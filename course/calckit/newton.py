"""Newton–Raphson in one dimension: the iteration, and a widget that draws each tangent line."""
from dataclasses import dataclass
from typing import Callable

import numpy as np
from matplotlib.collections import LineCollection

from ._display import LiveFigure, figure_widget
from .figures import BLACK, BLUE, ORANGE, VERMILLION


@dataclass(frozen=True)
class RootProblem:
    expr: str            # sympy-readable, for tests
    label: str
    f: Callable
    df: Callable
    xlim: tuple
    ylim: tuple


ROOT_PROBLEMS = {
    "x**2 - 2": RootProblem("x**2 - 2", r"x^2 - 2", lambda x: x**2 - 2, lambda x: 2 * x,
                            (-0.5, 3.0), (-3.0, 7.0)),
    "cos(x) - x": RootProblem("cos(x) - x", r"\cos x - x", lambda x: np.cos(x) - x, lambda x: -np.sin(x) - 1,
                              (-1.0, 3.0), (-4.0, 2.0)),
    "x**3 - 2*x + 2": RootProblem("x**3 - 2*x + 2", r"x^3 - 2x + 2", lambda x: x**3 - 2 * x + 2,
                                  lambda x: 3 * x**2 - 2, (-2.5, 2.0), (-6.0, 8.0)),
    "arctan(x)": RootProblem("atan(x)", r"\arctan x", np.arctan, lambda x: 1 / (1 + x**2),
                             (-6.0, 6.0), (-1.8, 1.8)),
}


X0_SLIDER = (-2.0, 2.5, 0.05)    # the widget's x0 slider: min, max, step
MAX_STEPS = 8


def newton_iterates(f, df, x0, steps):
    """[x0, x1, ..., x_steps], stopping early (and saying why) at a zero derivative or an overflow."""
    xs = [float(x0)]
    for _ in range(steps):
        slope = float(df(xs[-1]))
        if slope == 0.0:
            return xs, "the derivative is zero: the tangent never meets the axis"
        nxt = xs[-1] - float(f(xs[-1])) / slope
        if not np.isfinite(nxt) or abs(nxt) > 1e12:
            return xs, "the iterates ran away"
        xs.append(nxt)
    return xs, None


class NewtonExplorer:
    """f, and for each step the tangent at x_k running down to its root x_{k+1} on the axis."""

    def __init__(self, problem="x**2 - 2"):
        self.live = LiveFigure(7.5, 4.2)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.09, right=0.98, bottom=0.12, top=0.9)
        self.ax = self.fig.add_subplot()
        # As in the lecture's static figure: dashed tangents, dotted drops, circled guesses (told apart
        # by line style and marker, not by colour alone).
        self.curve, = self.ax.plot([], [], "-", color=BLACK, lw=2)
        self.ax.axhline(0, color="grey", lw=0.8)
        self.tangents = LineCollection([], colors=VERMILLION, linewidths=1.5, linestyles="dashed")
        self.ax.add_collection(self.tangents)
        self.drops = LineCollection([], colors=BLUE, linewidths=1.0, linestyles="dotted")
        self.ax.add_collection(self.drops)
        self.points, = self.ax.plot([], [], "o", color=ORANGE, mec=BLACK, ms=6)
        self.title = self.ax.text(0.5, 1.03, "", transform=self.ax.transAxes, ha="center")
        self.live.animate(self.tangents, self.drops, self.points, self.title)
        self.problem = None
        self._set_problem(problem)

    def _set_problem(self, name):
        if name == self.problem:
            return
        p = ROOT_PROBLEMS[name]
        self.problem = name
        # The plot always spans the x0 slider's range, so every starting guess is on it.
        self.xlim = (min(p.xlim[0], X0_SLIDER[0]), max(p.xlim[1], X0_SLIDER[1]))
        xs = np.linspace(*self.xlim, 500)
        self.curve.set_data(xs, p.f(xs))
        self.ax.set(xlim=self.xlim, ylim=p.ylim, xlabel="$x$", ylabel=f"$f(x) = {p.label}$")
        self.live.invalidate()

    def update(self, x0=1.0, steps=3, problem=None):
        if problem is not None:
            self._set_problem(problem)
        p = ROOT_PROBLEMS[self.problem]
        xs, stopped = newton_iterates(p.f, p.df, x0, steps)
        # tangent k: from (x_k, f(x_k)) down to (x_{k+1}, 0); then a dotted drop to the curve
        self.tangents.set_segments([[(a, float(p.f(a))), (b, 0.0)] for a, b in zip(xs[:-1], xs[1:])])
        self.drops.set_segments([[(b, 0.0), (b, float(p.f(b)))] for b in xs[1:]])
        self.points.set_data(xs, [float(p.f(v)) for v in xs])
        last = xs[-1]
        self.title.set_text(f"${p.label}$ from $x_0 = {x0:.2f}$: $x_{{{len(xs) - 1}}} = {last:.10g}$, "
                            f"$f = {float(p.f(last)):.1e}$")
        return {"iterates": xs, "stopped": stopped, "residual": float(p.f(last)), "problem": self.problem,
                "on_plot": bool(self.xlim[0] <= last <= self.xlim[1]),
                # guesses whose circle (x, f(x)) is outside the axes, so not drawn
                "off_plot": [i for i, v in enumerate(xs) if not (self.xlim[0] <= v <= self.xlim[1]
                                                                 and p.ylim[0] <= float(p.f(v)) <= p.ylim[1])]}


def _readable(expr):
    """A problem's formula as a screen reader can say it: x², not x**2."""
    return expr.replace("**2", "²").replace("**3", "³").replace("2*x", "2x")


_SUB = ["₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"]


def newton_alt(r):
    """The plot's text alternative, for what `update` returned: what is drawn, and where the last guess is."""
    xs = r["iterates"]
    n = len(xs) - 1
    text = f"Graph of f(x) = {_readable(r['problem'])}"
    off = r.get("off_plot", [])
    if n == 0:
        first = "off the plot" if 0 in off else "as a circle"
        reason = "no step could be taken" if r["stopped"] else "no step taken yet"
        text += f" with the first guess x₀ = {xs[0]:.3g} {first}: {reason}, so no tangent is drawn"
    else:
        text += (f" with Newton's guesses as circles, from x₀ = {xs[0]:.3g}: from each guess a dashed tangent runs down to the x axis, and a dotted line joins its "
                 f"root on the axis to the next guess on the curve; after {n} step{'s' if n != 1 else ''} the guess is {xs[-1]:.6g}"
                 + ("" if r["on_plot"] else ", off the plot"))
        if off and len(off) == len(xs):
            text += "; none of the guesses is on the plot"
        elif off:
            text += (f"; {len(off)} of the {len(xs)} guesses {'is' if len(off) == 1 else 'are'} off the plot "
                     f"({', '.join(f'x{_SUB[i]}' for i in off)})")
    if r["stopped"]:
        text += f". Stopped early: {r['stopped']}"
    return text + ". The guesses are in the text below."


def newton_explorer(problem="x**2 - 2", x0=1.0):
    """Add steps one at a time and watch each tangent's root become the next guess."""
    import ipywidgets as widgets

    explorer = NewtonExplorer(problem)
    controls = {
        "x0": widgets.FloatSlider(value=x0, min=X0_SLIDER[0], max=X0_SLIDER[1], step=X0_SLIDER[2], description="x₀"),
        "steps": widgets.IntSlider(value=3, min=0, max=MAX_STEPS, description="steps"),
        "problem": widgets.Dropdown(options=list(ROOT_PROBLEMS), value=problem, description="f(x)"),
    }
    return figure_widget(explorer, controls, newton_readout, alt=newton_alt)


def newton_readout(r):
    """The widget's sentence: the iterates, and why they stopped early if they did."""
    shown = ", ".join(f"{v:.10g}" for v in r["iterates"])
    note = f" ({r['stopped']})" if r["stopped"] else ""
    return f"iterates: {shown}{note}"
