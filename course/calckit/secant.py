"""Secant to tangent: the derivative as the limit of rise over run."""
import numpy as np

from ._display import LiveFigure, figure_widget
from .functions import EXAMPLES, get_example


def secant_slope(f, x0, h):
    """Rise over run between x0 and x0 + h."""
    return (f(x0 + h) - f(x0)) / h


class SecantExplorer:
    """A plot of f with its tangent at x0 and the secant through x0 and x0 + h."""

    def __init__(self, example="sin(x)", xlim=(-3.0, 3.0)):
        self.xlim = xlim
        self.xs = np.linspace(*xlim, 400)
        self.live = LiveFigure(7.0, 4.0)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.12, top=0.9)
        self.ax = self.fig.add_subplot()
        self.curve, = self.ax.plot([], [], color="black", lw=2, label="$f(x)$")
        self.tangent, self.secant, self.points, self.title = self.live.animate(
            self.ax.plot([], [], "--", color="tab:green", label="tangent, slope $f'(x_0)$")[0],
            self.ax.plot([], [], color="tab:orange", label="secant, slope rise / run")[0],
            self.ax.plot([], [], "o", color="tab:orange")[0],
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
        return {"h": h, "secant_slope": float(slope), "derivative": exact,
                "error": float(slope - exact)}


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
    return figure_widget(
        explorer, controls,
        readout=lambda r: (f"secant slope − f'(x₀) = <b>{r['error']:+.3e}</b> "
                           f"(shrinks in proportion to h)"))

