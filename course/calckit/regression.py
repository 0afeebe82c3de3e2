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


def slope_reach(m, x, y):
    """How far the slope slider reaches either side of the best slope m: half of m, but never less
    than a twentieth of the data's rise over run (so a best slope near 0 still has room)."""
    return max(abs(m) / 2, 0.05 * float(np.ptp(y)) / (float(np.ptp(x)) or 1.0)) or 1.0


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
        slopes = self.m_best + slope_reach(self.m_best, self.x, self.y) * np.linspace(-1, 1, 201)
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
    reach = slope_reach(m, explorer.x, explorer.y)
    controls = {
        "slope": widgets.FloatSlider(value=m - 0.4 * reach, min=m - reach, max=m + reach, step=reach / 100,
                                     description="slope m", readout_format=".4g"),
        "intercept": widgets.FloatSlider(value=c, min=c - spread, max=c + spread, step=spread / 200,
                                         description="intercept c", readout_format=".4g"),
    }
    return figure_widget(explorer, controls, lambda r: (
        f"χ² = <b>{r['chi2']:.5g}</b>, {r['chi2'] / r['chi2_best']:.3f} times the least-squares value"))


# --- Nonlinear least squares: a Gaussian fitted to a histogram by steepest descent ---------------

def gaussian(x, mu, sig):
    """The normal density with mean mu and standard deviation sig."""
    return np.exp(-((x - mu) ** 2) / (2 * sig ** 2)) / (sig * np.sqrt(2 * np.pi))


def gaussian_gradient(x, mu, sig):
    """Rows ∂g/∂μ and ∂g/∂σ of the normal density, shape (2, len(x))."""
    g = gaussian(x, mu, sig)
    return np.array([g * (x - mu) / sig ** 2, g * ((x - mu) ** 2 / sig ** 3 - 1 / sig)])


def histogram_density(values, edges):
    """Bin centres, density N/(n w) and its Poisson error √N/(n w) for a histogram with bins of width w.
    n counts every value, so values outside the edges lower the density, as for a density over all x."""
    counts, edges = np.histogram(values, edges)
    width = np.diff(edges)
    scale = len(values) * width
    return (edges[:-1] + edges[1:]) / 2, counts / scale, np.sqrt(counts) / scale


def chi_squared_gradient(x, y, sigma, mu, sig):
    """∇χ² = -2 Σ (y - g)/σ² ∇g for the Gaussian model; NaN where sig <= 0 (no Gaussian there)."""
    if sig <= 0:
        return np.array([np.nan, np.nan])
    return -2 * gaussian_gradient(x, mu, sig) @ ((y - gaussian(x, mu, sig)) / np.asarray(sigma) ** 2)


def _positive_errors(sigma):
    sigma = np.asarray(sigma, dtype=float)
    if np.any(~(sigma > 0)):
        raise ValueError("every error bar must be positive (an empty bin has none: merge it with a neighbour)")
    return sigma


def gaussian_descent_path(x, y, sigma, start, aggression, steps):
    """Steepest descent on χ²(μ, σ): the points visited, ending early if the walk leaves σ > 0 or runs away."""
    from .descent import descent_path

    sigma = _positive_errors(sigma)
    if not start[1] > 0:
        raise ValueError(f"the start needs a width σ > 0, not {start[1]}")
    path = descent_path(lambda mu, sig: chi_squared_gradient(x, y, sigma, mu, sig), start, aggression, steps)
    outside = np.flatnonzero(path[:, 1] <= 0)
    return path if outside.size == 0 else path[:max(outside[0], 1)]


class GaussianFitExplorer:
    """Left: χ² over (μ, σ) with the steepest-descent path from a start. Right: the histogram with its
    Poisson error bars and the Gaussian where the walk ended."""

    def __init__(self, x, y, sigma, mu_range, sig_range, xlabel="$x$"):
        self.x, self.y, self.sigma = np.asarray(x, float), np.asarray(y, float), _positive_errors(sigma)
        self.mu_range, self.sig_range = mu_range, sig_range
        self.live = LiveFigure(10.0, 4.4)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.86, wspace=0.25)
        self.ax, self.ax_data = self.fig.subplots(1, 2)
        M, S = np.meshgrid(np.linspace(*mu_range, 160), np.linspace(*sig_range, 160))
        # χ² on the whole grid at once: broadcast the bins along a third axis
        model = gaussian(self.x[:, None, None], M, S)
        chi2 = np.sum(((self.y[:, None, None] - model) / self.sigma[:, None, None]) ** 2, axis=0)
        self.ax.contour(M, S, np.log10(chi2), levels=20, cmap="viridis", linewidths=0.8)
        self.ax.set(xlim=mu_range, ylim=sig_range, xlabel="mean $\\mu$", ylabel="width $\\sigma$",
                    title="$\\log_{10}\\chi^2$ and the path")
        self.path, = self.ax.plot([], [], "o-", color="tab:red", ms=2.5, lw=1)
        self.ax_data.errorbar(self.x, self.y, self.sigma, fmt="o", color="0.3", ms=4, capsize=2)
        margin = 3 * np.ptp(self.x) / len(self.x)
        self.xs = np.linspace(self.x.min() - margin, self.x.max() + margin, 200)
        self.curve, = self.ax_data.plot([], [], color="tab:red", lw=2)
        self.ax_data.set(xlabel=xlabel, ylabel="density", ylim=(0, 1.6 * (self.y + self.sigma).max()))
        self.title = self.fig.text(0.5, 0.93, "", ha="center")
        self.live.animate(self.path, self.curve, self.title)

    def _why_stopped(self, point, aggression):
        step = point - aggression * chi_squared_gradient(self.x, self.y, self.sigma, *point)
        return "would make σ ≤ 0" if np.all(np.isfinite(step)) and step[1] <= 0 else "runs away"

    def chi_squared(self, mu, sig):
        return chi_squared(self.y, gaussian(self.x, mu, sig), self.sigma)

    def update(self, aggression, mu0, sig0, steps=50):
        path = gaussian_descent_path(self.x, self.y, self.sigma, (mu0, sig0), aggression, steps)
        mu, sig = path[-1]
        chi2 = self.chi_squared(mu, sig)
        self.path.set_data(path[:, 0], path[:, 1])
        self.curve.set_data(self.xs, gaussian(self.xs, mu, sig))
        left = "" if len(path) == steps + 1 else f"   (stopped: step {len(path)} {self._why_stopped(path[-1], aggression)})"
        self.title.set_text(f"aggression {aggression:.3g}: after {len(path) - 1} steps μ = {mu:.2f}, "
                            f"σ = {sig:.2f}, χ² = {chi2:.4g}{left}")
        return {"path": path, "mu": mu, "sig": sig, "chi2": chi2, "completed": len(path) == steps + 1}


def gaussian_fit_explorer(x, y, sigma, mu_range, sig_range, start, xlabel="$x$", aggression=0.03):
    """Steepest descent on a Gaussian fit's χ²: choose the aggression and the start (μ, σ)."""
    import ipywidgets as widgets

    explorer = GaussianFitExplorer(x, y, sigma, mu_range, sig_range, xlabel)
    controls = {
        "aggression": widgets.FloatLogSlider(value=aggression, base=10, min=-3, max=0, step=0.05,
                                             description="aggression", readout_format=".3g"),
        "mu0": widgets.FloatSlider(value=start[0], min=mu_range[0], max=mu_range[1],
                                   step=np.ptp(mu_range) / 100, description="start μ"),
        "sig0": widgets.FloatSlider(value=start[1], min=sig_range[0],
                                    max=sig_range[1], step=np.ptp(sig_range) / 100, description="start σ"),
        "steps": widgets.IntSlider(value=50, min=1, max=300, description="steps"),
    }
    return figure_widget(explorer, controls, lambda r: f"χ² = <b>{r['chi2']:.5g}</b> at the walk's end")
