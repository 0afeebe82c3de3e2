"""Static plots for the lectures: ordinary matplotlib figures, so that a page rendered without a
kernel still shows them. Colours are Okabe and Ito's colour-blind-safe palette (calckit.figures),
every line is told apart by its style or marker too, not only its colour, and every figure carries
a text alternative (`describe`) saying what it shows."""
import numpy as np

from matplotlib.figure import Figure
from .figures import BLACK, BLUE, GREEN, ORANGE, PURPLE, SKY, VERMILLION, describe
from .functions import get_example
from .secant import secant_slope


def _interval(xlim):
    return f"from x = {xlim[0]:g} to {xlim[1]:g}"


def plot_function_and_derivative(example="sin(x)", xlim=(-3.0, 3.0), h=1e-5):
    """Graph f above f', with rise over run (the forward difference, whose error is about
    h|f''|/2, invisible at h = 1e-5) overlaid as dots."""
    ex = get_example(example)
    xs = np.linspace(*xlim, 400)
    fig = Figure(figsize=(7.0, 5.0), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(xs, ex.f(xs), color=BLACK)
    top.set_ylabel(f"$f(x) = {ex.label}$")
    bottom.plot(xs, ex.df(xs), "-", color=BLUE, label="exact $f'(x)$ (line)")
    coarse = xs[::20]
    bottom.plot(coarse, secant_slope(ex.f, coarse, h), "o", mfc="none",
                color=VERMILLION, label=f"rise over run, $h = {h:g}$ (circles)")
    bottom.axhline(0, color="grey", lw=0.5)
    bottom.set_ylabel("$f'(x)$")
    bottom.set_xlabel("$x$")
    bottom.legend()
    # "on the line" only where it is so: the forward difference is off by about h|f''|/2.
    gap = np.abs(secant_slope(ex.f, coarse, h) - ex.df(coarse)).max()
    span = np.ptp(ex.df(xs)) or 1.0
    on_the_line = ", which lie on the line" if gap < 0.01 * span else f", off the line by up to {gap:.2g}"
    top.grid(alpha=0.3)
    bottom.grid(alpha=0.3)
    return describe(fig, f"Two graphs sharing the x axis {_interval(xlim)}: above, f(x) = {ex.expr}; below, "
                         f"its exact derivative as a solid line with rise-over-run estimates at h = {h:g} "
                         f"drawn as circles{on_the_line}.")


def plot_secants_to_tangent(example="sin(x)", x0=1.0, hs=(1.5, 0.75, 0.3), xlim=(-0.5, 3.0)):
    """f, three secants through (x0, f(x0)) and (x0 + h, f(x0 + h)) for shrinking h, and the
    tangent at x0 they turn into; each line has its own style, each secant's far point a marker."""
    ex = get_example(example)
    if not 1 <= len(hs) <= 3:
        raise ValueError(f"plot_secants_to_tangent draws one to three secants (a style each), not {len(hs)}")
    xs = np.linspace(*xlim, 300)
    y0, slope0 = float(ex.f(x0)), float(ex.df(x0))
    fig = Figure(figsize=(7.0, 4.2), layout="constrained")
    ax = fig.subplots()
    ax.plot(xs, ex.f(xs), "-", color=BLACK, lw=2, label=f"$f(x) = {ex.label}$")
    for h, colour, style, marker in zip(hs, (ORANGE, SKY, PURPLE), ("-.", ":", (0, (5, 2, 1, 2, 1, 2))),
                                        ("s", "^", "D")):
        slope = float(secant_slope(ex.f, x0, h))
        ax.plot(xs, y0 + slope * (xs - x0), linestyle=style, color=colour, lw=1.6,
                label=f"secant, $h = {h:g}$: slope {slope:.3f}")
        ax.plot([x0 + h], [float(ex.f(x0 + h))], marker, color=colour, ms=7)
    ax.plot(xs, y0 + slope0 * (xs - x0), "--", color=BLUE, lw=2,
            label=f"tangent: slope $f'({x0:g})$ = {slope0:.3f}")
    ax.plot([x0], [y0], "o", color=BLACK, ms=7)
    values = ex.f(xs)
    pad = 0.3 * (values.max() - values.min())
    ax.set_ylim(values.min() - pad, values.max() + pad)
    ax.set_xlim(*xlim)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$f(x)$ and the lines through $(x_0, f(x_0))$")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    runs = ", ".join(f"{h:g}" for h in hs)
    return describe(fig, f"The graph of f(x) = {ex.expr} {_interval(xlim)} with secant lines through x0 = {x0:g} "
                         f"and x0 + h for h = {runs}, each in its own line style with a marker at its far "
                         f"point, and the dashed tangent line at x0, of slope {slope0:.3f}: as h shrinks "
                         f"the secants turn towards the tangent.")


def plot_error_valley(example="sin(x)", x0=1.0):
    """|error| of the forward and central differences against h on log-log axes, measured (markers)
    and modelled (lines), with the model's best steps marked: the round-off valley."""
    from .step_size import STEPS, difference_errors, optimal_steps, predicted_errors
    ex = get_example(example)
    forward, central = difference_errors(ex.f, ex.df, x0)
    model_forward, model_central = predicted_errors(ex, x0)
    h_forward, h_central = optimal_steps(ex, x0)
    fig = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = fig.subplots()
    shown = lambda errors: np.where(errors > 0, errors, np.nan)   # an error of 0 has no place on a log axis
    ax.loglog(STEPS, shown(forward), "o", ms=3.5, mfc="none", color=VERMILLION,
              label="forward difference, measured (circles)")
    ax.loglog(STEPS, shown(central), "s", ms=3, color=BLUE, label="central difference, measured (squares)")
    ax.loglog(STEPS, model_forward, "--", color=VERMILLION,
              label=r"forward model $\frac{h}{2}|f''| + \frac{2\epsilon|f|}{h}$ (dashed)")
    ax.loglog(STEPS, model_central, "-.", color=BLUE,
              label=r"central model $\frac{h^2}{6}|f'''| + \frac{\epsilon|f|}{h}$ (dash-dot)")
    for h_star, colour, name in ((h_forward, VERMILLION, "forward"), (h_central, BLUE, "central")):
        if np.isfinite(h_star):
            ax.axvline(h_star, color=colour, ls=":", lw=1)
            ax.text(h_star, 3e-17, f" model's best h,\n {name}: {h_star:.0e} ", color=colour, fontsize=8,
                    ha="right" if name == "forward" else "left")
    ax.set_ylim(1e-17, 1e1)
    ax.set_xlabel("step $h$")
    ax.set_ylabel(r"$|\,$estimate $- f'(x_0)|$")
    ax.set_title(f"${ex.label}$ at $x_0 = {x0:g}$")
    ax.legend(loc="upper center", fontsize=8)
    ax.grid(alpha=0.3, which="major")
    finite = [(name, h) for name, h in (("forward", h_forward), ("central", h_central)) if np.isfinite(h)]
    if finite:   # the model has a valley (and a dotted line) only for the schemes with a finite best step
        both = len(finite) > 1
        valley = (f"the {' and '.join(name for name, _ in finite)} error{'s fall' if both else ' falls'} as h "
                  f"shrinks until rounding makes {'them' if both else 'it'} rise again, a valley whose "
                  f"bottom is near the model's best step (dotted lines: "
                  + "; ".join(f"{name} {h:.0e}" for name, h in finite) + ")")
    else:
        valley = "the model has no valley here: no best step is marked"
    return describe(fig, f"Log-log plot of the error of the forward (circles) and central (squares) difference "
                         f"estimates of the derivative of {ex.expr} at x0 = {x0:g} against the step h from {STEPS.min():g} to {STEPS.max():g}, with the error "
                         f"model's curves (dashed and dash-dot): {valley}.")
