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


ZERO = 1e-9  # |f|, |f''| or |f'''| below this at x0 count as zero for the error model


def model_caveats(example, x0):
    """Why the error model's valley does not apply at x0, per scheme (None where it does).

    Where f''(x0) = 0 the forward difference's h/2 |f''| term vanishes: it is second order
    there, like the central difference. Where f(x0) = 0 the values f(x0 +- h) are themselves
    small (about |f'| h), so their rounding errors are about eps |f'| h, a round-off term
    near eps |f'| whatever h; what is left is the rounding of x0 + h (about eps |x0 f'|/2h),
    which vanishes at x0 = 0: no valley there. Where f'''(x0) = 0 the central difference's
    leading truncation term vanishes.
    """
    ex = get_example(example) if isinstance(example, str) else example
    if abs(float(ex.f(x0))) < ZERO:
        note = ("f(x₀) = 0 at x₀ = 0: round-off stays near ε|f′| for every h, so there is no valley"
                if x0 == 0 else
                "f(x₀) = 0: the round-off comes from rounding x₀ + h (about ε|x₀ f′|/2h), not ε|f|/h")
        return {"forward": note, "central": note}
    return {"forward": ("f″(x₀) = 0: the forward difference is second order here"
                        if abs(float(ex.d2f(x0))) < ZERO else None),
            "central": ("f‴(x₀) = 0: the central difference's h² term vanishes here"
                        if abs(float(ex.d3f(x0))) < ZERO else None)}


CANCELLATION = 5  # terms of f this many times |f(x0)| or more: the readout warns


def cancellation_warning(example, x0):
    """Where f is computed by subtracting nearly equal terms (x**3 - 2x near its roots +-sqrt 2),
    a computed f(x) is off by about eps times the size of the terms, not eps |f(x)|: the model's
    round-off term is too small by that factor, and measured errors can sit above the model. Say
    so (with the factor) where it is CANCELLATION or more; None elsewhere, and where f(x0) = 0
    (model_caveats already says the model does not apply there)."""
    ex = get_example(example) if isinstance(example, str) else example
    value = abs(float(ex.f(x0)))
    if ex.terms is None or value < ZERO:
        return None
    factor = float(ex.terms(x0)) / value
    if factor < CANCELLATION:
        return None
    return (f"f is computed by cancelling terms here (they are {factor:.0f}× |f(x₀)|): its rounding "
            f"error is up to {factor:.0f}× ε|f|, so the errors can sit above the model")


def optimal_steps(example, x0):
    """Steps that minimise the modelled errors: h* = 2 sqrt(eps|f|/|f''|), (3 eps|f|/|f'''|)^(1/3);
    NaN for a scheme whose model does not apply at x0 (see model_caveats)."""
    ex = get_example(example) if isinstance(example, str) else example
    caveats = model_caveats(ex, x0)
    scale = abs(float(ex.f(x0)))
    forward = np.nan if caveats["forward"] else 2 * np.sqrt(EPS * scale / abs(float(ex.d2f(x0))))
    central = np.nan if caveats["central"] else np.cbrt(3 * EPS * scale / abs(float(ex.d3f(x0))))
    return forward, central


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
                ax.loglog([], [], "o", ms=3, mfc="none", color="#D55E00", label="forward difference (circles)")[0],
                ax.loglog([], [], "s", ms=2.5, color="#0072B2", label="central difference (squares)")[0],
                ax.loglog([], [], "--", color="#D55E00", alpha=0.7,
                          label=r"model $\frac{h}{2}|f''| + \frac{2\epsilon|f|}{h}$")[0],
                ax.loglog([], [], "-.", color="#0072B2", alpha=0.7,
                          label=r"model $\frac{h^2}{6}|f'''| + \frac{\epsilon|f|}{h}$")[0],
                ax.text(0.5, 1.02, "", transform=ax.transAxes, ha="center"))
        # the two marks differ by line style (dotted, long dashes) and by their labels, not by colour alone
        ax.axvline(np.sqrt(EPS), color="#D55E00", ls=":", lw=1)
        ax.axvline(np.cbrt(EPS), color="#0072B2", ls=(0, (8, 3)), lw=1)
        ax.text(np.sqrt(EPS), 1e-17, r" $\epsilon^{1/2}$", color="#D55E00")
        ax.text(np.cbrt(EPS), 1e-17, r" $\epsilon^{1/3}$", color="#0072B2")
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
        caveats = model_caveats(ex, x0)
        self.forward.set_data(STEPS, fwd_plot)
        self.central.set_data(STEPS, cen_plot)
        # A model that does not apply here is not drawn: it would show a valley that is not there.
        nothing = np.full_like(STEPS, np.nan)
        self.forward_model.set_data(STEPS, nothing if caveats["forward"] else model_fwd)
        self.central_model.set_data(STEPS, nothing if caveats["central"] else model_cen)
        h_fwd, h_cen = optimal_steps(ex, x0)
        self.title.set_text(f"${ex.label}$ at $x_0$ = {x0:g}")
        result = {"forward_caveat": caveats["forward"], "central_caveat": caveats["central"],
                  "predicted_forward_step": float(h_fwd), "predicted_central_step": float(h_cen),
                  "cancellation_warning": cancellation_warning(ex, x0), "example": self.example, "x0": x0}
        for scheme, errors in (("forward", fwd), ("central", cen)):
            step, error = _best(errors)
            result[f"best_{scheme}_step"], result[f"best_{scheme}_error"] = step, error
            exact = errors == 0
            result[f"exact_{scheme}_steps"] = int(np.count_nonzero(exact))
            result[f"exact_{scheme}_range"] = ((float(STEPS[exact].min()), float(STEPS[exact].max()))
                                               if exact.any() else None)
        return result


def _best(errors):
    """The step with the smallest non-zero error, and that error; (nan, 0.0) when every
    step gives the exact answer (the central difference of an even function at 0)."""
    positive = errors > 0
    if not positive.any():
        return float("nan"), 0.0
    index = int(np.argmin(np.where(positive, errors, np.inf)))
    return float(STEPS[index]), float(errors[index])


def step_size_alt(r):
    """The plot's text alternative, for what `update` returned: which curves are drawn (a model that does
    not apply is not; an error of exactly 0 leaves a gap on the log axis)."""
    name = r["example"].replace("**2", "²").replace("**3", "³").replace("2*x", "2x")
    text = (f"Log-log plot, for {name} at x₀ = {r['x0']:g}, of the error against the step h for the "
            "forward difference (circles) and the central difference (squares), with vertical lines at √ε "
            "(dotted) and ∛ε (long dashes)")
    models = [f"{scheme} {line}" for scheme, line in (("forward", "dashed"), ("central", "dash-dotted"))
              if not r[f"{scheme}_caveat"]]
    if len(models) == 2:
        text += ("; each error model is a line (forward dashed, central dash-dotted): the errors fall as h "
                 "shrinks, then rise again where round-off takes over.")
    elif models:
        text += f"; only one error model applies here and is drawn as a line ({models[0]})."
    else:
        text += "; neither error model applies here, so no model line is drawn."
    for scheme, points in (("forward", "circles"), ("central", "squares")):
        exact = r[f"exact_{scheme}_steps"]
        if exact == len(STEPS):
            text += f" The {scheme} difference is exact at every step, so no {points} are drawn."
        elif exact:
            text += f" The {scheme} {points} have gaps where the error is exactly 0."
    return text + " The best steps are in the text below."


def step_size_explorer(example="sin(x)", x0=1.0):
    """Choose a function and a point; find the round-off valley of each scheme."""
    import ipywidgets as widgets

    explorer = StepSizeExplorer(example)
    controls = {
        "example": widgets.Dropdown(options=list(EXAMPLES), value=example, description="f(x)"),
        "x0": widgets.FloatSlider(value=x0, min=-2.0, max=2.0, step=0.1, description="x₀"),
    }
    return figure_widget(explorer, controls, step_size_readout, alt=step_size_alt)


def step_size_readout(r):
    """The widget's readout for StepSizeExplorer.update's result: one line per scheme, and a
    third where f's own rounding makes the model too optimistic."""
    lines = [_scheme_line(r, scheme) for scheme in ("forward", "central")]
    if r["cancellation_warning"]:
        lines.append(f"caution: {r['cancellation_warning']}")
    return "<br>".join(lines)


def _scheme_line(r, scheme):
    exact, caveat = r[f"exact_{scheme}_steps"], r[f"{scheme}_caveat"]
    model = (f"model does not apply: {caveat}" if caveat
             else f"model's best h {r[f'predicted_{scheme}_step']:.1e}")
    if exact == len(STEPS):
        return f"{scheme}: exact (error 0) at every step"
    if exact:
        # Error 0 is the best there is: name those steps first, not the best non-zero one.
        low, high = r[f"exact_{scheme}_range"]
        where = f"every h ≤ {high:.1e}" if low == STEPS[0] and _contiguous(r, scheme) else \
            f"h between {low:.1e} and {high:.1e}"
        return (f"{scheme}: exact (error 0) at {exact} of the {len(STEPS)} steps ({where}); "
                f"the smallest non-zero error is {r[f'best_{scheme}_error']:.1e}, at h ≈ "
                f"{r[f'best_{scheme}_step']:.1e} ({model})")
    return (f"{scheme}: best h ≈ {r[f'best_{scheme}_step']:.1e} ({model}), "
            f"error {r[f'best_{scheme}_error']:.1e}")


def _contiguous(r, scheme):
    """The exact steps are all the steps from the smallest up to the largest exact one."""
    low, high = r[f"exact_{scheme}_range"]
    return r[f"exact_{scheme}_steps"] == int(np.count_nonzero((STEPS >= low) & (STEPS <= high)))
