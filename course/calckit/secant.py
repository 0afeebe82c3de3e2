"""Secant to tangent: the derivative as the limit of rise over run."""
import numpy as np

from ._display import LiveFigure, figure_widget
from .functions import EXAMPLES, get_example


def secant_slope(f, x0, h):
    """Rise over run between x0 and x0 + h."""
    return (f(x0 + h) - f(x0)) / h


class SecantExplorer:
    """A plot of f with its tangent at x0 and the secant through x0 and x0 + h."""

    # The sliders reach x0 + h = 2.5 + 10**0.3 = 4.5: the panel reaches past it, so the far point stays on it.
    def __init__(self, example="sin(x)", xlim=(-3.0, 4.6)):
        self.xlim = xlim
        self.xs = np.linspace(*xlim, 400)
        self.live = LiveFigure(7.0, 4.0)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.12, top=0.9)
        self.ax = self.fig.add_subplot()
        self.curve, = self.ax.plot([], [], color="black", lw=2, label="$f(x)$")
        self.tangent, self.secant, self.points, self.title = self.live.animate(
            self.ax.plot([], [], "--", color="#0072B2", lw=2, label="tangent (dashed), slope $f'(x_0)$")[0],
            self.ax.plot([], [], "-", color="#D55E00", label="secant (solid, dots), slope rise / run")[0],
            self.ax.plot([], [], "o", color="#D55E00")[0],
            self.ax.text(0.5, 1.03, "", transform=self.ax.transAxes, ha="center"))
        self.ax.set_xlim(*xlim)
        self.ax.set_xlabel("$x$")
        self.ax.legend(loc="upper left")
        self.example = None
        self._set_example(example)

    def _set_example(self, name):
        if name == self.example:
            return
        self.example = name
        ex = get_example(name)
        ys = ex.f(self.xs)
        self.curve.set_data(self.xs, ys)
        pad = 0.15 * (ys.max() - ys.min() + 1e-12)
        self.ax.set_ylim(ys.min() - pad, ys.max() + pad)
        self.live.invalidate()

    def update(self, h, x0=1.0, example=None):
        """Move the secant; return its slope, the true derivative and their difference."""
        if example is not None:
            self._set_example(example)
        ex = get_example(self.example)
        slope = secant_slope(ex.f, x0, h)
        exact = float(ex.df(x0))
        y0 = float(ex.f(x0))
        self.tangent.set_data(self.xs, y0 + exact * (self.xs - x0))
        self.secant.set_data(self.xs, y0 + slope * (self.xs - x0))
        self.points.set_data([x0, x0 + h], [y0, ex.f(x0 + h)])
        self.title.set_text(f"${ex.label}$:  h = {h:.3g},  secant slope = {slope:.6f},  "
                          f"f'(x0) = {exact:.6f}")
        second, third = float(ex.d2f(x0)), float(ex.d3f(x0))
        # Taylor: f(x0 + h) = f + h f' + h^2 f''/2 + h^3 f'''/6 + ..., so the secant slope's error
        # is h f''/2 + h^2 f'''/6 + ...: of order h, unless f''(x0) = 0, where it is of order h^2.
        order = 1 if abs(second) > ZERO else 2 if abs(third) > ZERO else 3
        return {"h": h, "secant_slope": float(slope), "derivative": exact,
                "error": float(slope - exact), "second_derivative": second,
                "third_derivative": third, "order": order,
                "coefficient": second / 2 if order == 1 else third / 6 if order == 2 else float("nan")}


ZERO = 1e-12  # |f''(x0)| below this counts as an inflection point (f'' = 0 exactly there)


def secant_readout(r):
    """What the widget prints under the plot for SecantExplorer.update's result r: the error,
    and how it shrinks as h -> 0, which depends on whether f''(x0) = 0."""
    text = f"secant slope − f'(x₀) = <b>{r['error']:+.3e}</b>"
    if r["order"] == 1:
        return text + (f" (as h → 0 it is about f″(x₀) h/2 = {r['coefficient']:+.3g} h: "
                       f"it shrinks in proportion to h)")
    if r["order"] == 2:
        return text + (f" (f″(x₀) = 0 here, so as h → 0 it is about f‴(x₀) h²/6 = "
                       f"{r['coefficient']:+.3g} h²: it shrinks like h², 100 times for every 10 times in h)")
    return text + " (f″(x₀) = f‴(x₀) = 0 here: it shrinks faster than h²)"


ALT = ("Graph of f(x) with its tangent at x₀ (dashed line) and the secant through the points at x₀ and x₀ + h "
       "(solid line, dots): as h shrinks the secant turns into the tangent. The two slopes are in the text below.")


def secant_explorer(example="sin(x)", x0=1.0):
    """Slide h towards 0 and watch the secant turn into the tangent."""
    import ipywidgets as widgets

    explorer = SecantExplorer(example)
    controls = {
        "h": widgets.FloatLogSlider(value=1.0, base=10, min=-4, max=0.3, step=0.05,
                                    description="h", continuous_update=True),
        "x0": widgets.FloatSlider(value=x0, min=-2.5, max=2.5, step=0.05, description="x₀"),
        "example": widgets.Dropdown(options=list(EXAMPLES), value=example,
                                    description="f(x)"),
    }
    return figure_widget(explorer, controls, readout=secant_readout, alt=ALT)

