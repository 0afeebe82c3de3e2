"""Static plots for the lectures."""
import numpy as np

from matplotlib.figure import Figure
from .functions import get_example
from .secant import secant_slope


def plot_function_and_derivative(example="sin(x)", xlim=(-3.0, 3.0), h=1e-5):
    """Graph f above f', with rise over run (the forward difference, whose error is about
    h|f''|/2, invisible at h = 1e-5) overlaid as dots."""
    ex = get_example(example)
    xs = np.linspace(*xlim, 400)
    fig = Figure(figsize=(7.0, 5.0), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(xs, ex.f(xs), color="black")
    top.set_ylabel(f"$f(x) = {ex.label}$")
    bottom.plot(xs, ex.df(xs), color="tab:green", label="exact $f'(x)$")
    coarse = xs[::20]
    bottom.plot(coarse, secant_slope(ex.f, coarse, h), "o",
                color="tab:orange", label="rise over run, $h=10^{-5}$")
    bottom.axhline(0, color="grey", lw=0.5)
    bottom.set_ylabel("$f'(x)$")
    bottom.set_xlabel("$x$")
    bottom.legend()
    top.grid(alpha=0.3)
    bottom.grid(alpha=0.3)
    return fig
