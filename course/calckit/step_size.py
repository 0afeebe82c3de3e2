"""Numerical derivatives: truncation error against round-off error as h shrinks."""
import numpy as np

from ._display import LiveFigure, figure_widget
from .functions import EXAMPLES, get_example

EPS = np.finfo(float).eps
STEPS = np.logspace(-16, 0, 161)


def difference_errors(f, df, x0, hs=STEPS):
    """Absolute errors of the forward and central differences at x0, for every step in hs."""
    hs = np.asarray(hs, dtype=float)
    exact = df(x0)
    f0 = f(x0)
    forward = (f(x0 + hs) - f0) / hs
    central = (f(x0 + hs) - f(x0 - hs)) / (2 * hs)
    return np.abs(forward - exact), np.abs(central - exact)


def predicted_errors(example, x0, hs=STEPS):
    """The error model derived in the lecture: truncation + round-off, for both schemes."""
    ex = get_example(example) if isinstance(example, str) else example
    hs = np.asarray(hs, dtype=float)
    scale = max(abs(float(ex.f(x0))), EPS)  # round-off is relative to |f(x0)|
    forward = hs * abs(float(ex.d2f(x0))) / 2 + 2 * EPS * scale / hs
    central = hs**2 * abs(float(ex.d3f(x0))) / 6 + EPS * scale / hs
    return forward, central


def optimal_steps(example, x0):
    """Steps that minimise the modelled errors: h* = 2 sqrt(eps|f|/|f''|), (3 eps|f|/|f'''|)^(1/3)."""
    ex = get_example(example) if isinstance(example, str) else example
    scale = max(abs(float(ex.f(x0))), EPS)
    d2 = max(abs(float(ex.d2f(x0))), EPS)
    d3 = max(abs(float(ex.d3f(x0))), EPS)
    return 2 * np.sqrt(EPS * scale / d2), np.cbrt(3 * EPS * scale / d3)


class StepSizeExplorer:
    """Log-log plot of |error| against h for forward and central differences."""

    def __init__(self, example="sin(x)"):
        self.live = LiveFigure(7.5, 4.5)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.11, right=0.98, bottom=0.11, top=0.92)
        ax = self.ax = self.fig.add_subplot()
        # Fixed limits: the axes, ticks and legend are drawn once, the curves blitted.
        self.forward, self.central, self.forward_model, self.central_model, self.title = \
            self.live.animate(
                ax.loglog([], [], ".", color="tab:blue", label="forward difference")[0],
                ax.loglog([], [], ".", color="tab:red", label="central difference")[0],
                ax.loglog([], [], "-", color="tab:blue", alpha=0.5,
                          label=r"model $\frac{h}{2}|f''| + \frac{2\epsilon|f|}{h}$")[0],
                ax.loglog([], [], "-", color="tab:red", alpha=0.5,
                          label=r"model $\frac{h^2}{6}|f'''| + \frac{\epsilon|f|}{h}$")[0],
                ax.text(0.5, 1.02, "", transform=ax.transAxes, ha="center"))
        ax.axvline(np.sqrt(EPS), color="tab:blue", ls=":", lw=1)
        ax.axvline(np.cbrt(EPS), color="tab:red", ls=":", lw=1)
        ax.text(np.sqrt(EPS), 1e-17, r" $\epsilon^{1/2}$", color="tab:blue")
        ax.text(np.cbrt(EPS), 1e-17, r" $\epsilon^{1/3}$", color="tab:red")
        ax.set_xlim(STEPS[0], STEPS[-1])
        ax.set_ylim(1e-18, 1e2)
        ax.set_xlabel("step $h$")
        ax.set_ylabel("|estimate − f'(x₀)|")
        ax.legend(loc="lower left", fontsize=8)
        self.example = example

    def update(self, example=None, x0=1.0):
        """Redraw for (example, x0); return the best measured and the predicted steps."""
        if example is not None:
            self.example = example
        ex = get_example(self.example)
        fwd, cen = difference_errors(ex.f, ex.df, x0)
        # An error of exactly 0 cannot sit on a log axis; leave a gap instead.
        fwd_plot = np.where(fwd > 0, fwd, np.nan)
        cen_plot = np.where(cen > 0, cen, np.nan)
        model_fwd, model_cen = predicted_errors(ex, x0)
        self.forward.set_data(STEPS, fwd_plot)
        self.central.set_data(STEPS, cen_plot)
        self.forward_model.set_data(STEPS, model_fwd)
        self.central_model.set_data(STEPS, model_cen)
        h_fwd, h_cen = optimal_steps(ex, x0)
        self.title.set_text(f"${ex.label}$ at $x_0$ = {x0:g}")
        return {
            "best_forward_step": float(STEPS[np.nanargmin(fwd_plot)]),
            "best_central_step": float(STEPS[np.nanargmin(cen_plot)]),
            "predicted_forward_step": float(h_fwd),
            "predicted_central_step": float(h_cen),
            "best_forward_error": float(np.nanmin(fwd_plot)),
            "best_central_error": float(np.nanmin(cen_plot)),
        }


def step_size_explorer(example="sin(x)", x0=1.0):
    """Choose a function and a point; find the round-off valley of each scheme."""
    import ipywidgets as widgets

    explorer = StepSizeExplorer(example)
    controls = {
        "example": widgets.Dropdown(options=list(EXAMPLES), value=example, description="f(x)"),
        "x0": widgets.FloatSlider(value=x0, min=-2.0, max=2.0, step=0.1, description="x₀"),
    }

    def readout(r):
        return (f"forward: best h ≈ {r['best_forward_step']:.1e} "
                f"(model {r['predicted_forward_step']:.1e}), error {r['best_forward_error']:.1e}"
                f"<br>central: best h ≈ {r['best_central_step']:.1e} "
                f"(model {r['predicted_central_step']:.1e}), error {r['best_central_error']:.1e}")

    return figure_widget(explorer, controls, readout)
