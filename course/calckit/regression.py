"""Fitting a straight line by hand: residuals and chi-squared live, beside the best fit."""
import numpy as np

from ._display import LiveFigure, figure_widget


def chi_squared(y, model, sigma):
    return float(np.sum(((np.asarray(y) - model) / sigma) ** 2))


def weighted_line(x, y, sigma):
    """The line minimising chi-squared, from the normal equations, and its covariance (XᵀWX)⁻¹."""
    X = np.column_stack([x, np.ones_like(x)])
    w = 1.0 / np.broadcast_to(np.asarray(sigma, dtype=float), np.shape(x)) ** 2
    normal = X.T @ (w[:, None] * X)
    coefficients = np.linalg.solve(normal, X.T @ (w * y))
    return coefficients, np.linalg.inv(normal)


class LineFitExplorer:
    """Left: the data, your line and the best line, with your residuals drawn. Right: chi-squared
    against the slope (intercept at its best for each slope), with your slope marked."""

    def __init__(self, x, y, sigma, xlabel="$x$", ylabel="$y$"):
        self.x, self.y, self.sigma = np.asarray(x, float), np.asarray(y, float), sigma
        (self.m_best, self.c_best), _ = weighted_line(self.x, self.y, sigma)
        self.chi2_best = chi_squared(self.y, self.m_best * self.x + self.c_best, sigma)
        self.live = LiveFigure(10.0, 4.0)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.88, wspace=0.28)
        self.ax, self.ax_chi = self.fig.subplots(1, 2)
        self.ax.plot(self.x, self.y, ".", color="0.4", ms=4)
        xs = np.array([self.x.min(), self.x.max()])
        self.ax.plot(xs, self.m_best * xs + self.c_best, color="tab:green", lw=1.5, label="least squares")
        self.line, = self.ax.plot([], [], color="tab:orange", lw=2, label="your line")
        self.xs = xs
        self.ax.set(xlabel=xlabel, ylabel=ylabel)
        self.ax.legend(loc="upper left", fontsize=8)
        slopes = self.m_best * np.linspace(0.5, 1.5, 201)
        # for each slope the best intercept is the weighted mean of y - m x
        w = 1.0 / np.broadcast_to(np.asarray(sigma, float), self.x.shape) ** 2
        intercepts = [(w @ (self.y - m * self.x)) / w.sum() for m in slopes]
        chi = [chi_squared(self.y, m * self.x + c, sigma) for m, c in zip(slopes, intercepts)]
        self.ax_chi.plot(slopes, chi, color="tab:green")
        self.ax_chi.set(xlabel="slope $m$", ylabel="$\\chi^2$ (best intercept for each slope)", yscale="log")
        self.marker, = self.ax_chi.plot([], [], "o", color="tab:orange")
        self.residuals = self.ax.vlines([], [], [], color="tab:orange", lw=0.6, alpha=0.6)
        self.title = self.fig.text(0.5, 0.94, "", ha="center")
        self.live.animate(self.line, self.residuals, self.marker, self.title)

    def update(self, slope=None, intercept=None):
        m = self.m_best if slope is None else slope
        c = self.c_best if intercept is None else intercept
        model = m * self.x + c
        chi2 = chi_squared(self.y, model, self.sigma)
        self.line.set_data(self.xs, m * self.xs + c)
        self.residuals.set_segments([[(xi, yi), (xi, mi)] for xi, yi, mi in zip(self.x, self.y, model)])
        self.marker.set_data([m], [chi2])
        self.title.set_text(f"your line: m = {m:.4g}, c = {c:.4g}, χ² = {chi2:.4g}   "
                            f"(least squares: χ² = {self.chi2_best:.4g})")
        return {"slope": m, "intercept": c, "chi2": chi2, "chi2_best": self.chi2_best}


def line_fit_explorer(x, y, sigma, xlabel="$x$", ylabel="$y$"):
    """Move the slope and intercept; chi-squared is smallest on the least-squares line."""
    import ipywidgets as widgets

    explorer = LineFitExplorer(x, y, sigma, xlabel, ylabel)
    m, c = explorer.m_best, explorer.c_best
    spread = float(np.ptp(y))
    controls = {
        "slope": widgets.FloatSlider(value=0.8 * m, min=0.5 * m, max=1.5 * m, step=abs(m) / 200, description="slope m",
                                     readout_format=".4g"),
        "intercept": widgets.FloatSlider(value=c, min=c - spread, max=c + spread, step=spread / 200,
                                         description="intercept c", readout_format=".4g"),
    }
    return figure_widget(explorer, controls, lambda r: (
        f"χ² = <b>{r['chi2']:.5g}</b>, {r['chi2'] / r['chi2_best']:.3f} times the least-squares value"))
