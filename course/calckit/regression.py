"""Fitting a straight line by hand: residuals and chi-squared live, beside the best fit."""
import numpy as np

from ._display import LiveFigure, figure_widget, label_contours

# Okabe–Ito colours: distinguishable with every common colour-vision deficiency.
BLUE, ORANGE, VERMILLION, GREEN, SKY, PURPLE = "#0072B2", "#E69F00", "#D55E00", "#009E73", "#56B4E9", "#CC79A7"


def chi_squared(y, model, sigma):
    return float(np.sum(((np.asarray(y) - model) / sigma) ** 2))


def _weights(x, sigma):
    sigma = np.broadcast_to(np.asarray(sigma, dtype=float), np.shape(x))
    if np.any(~(sigma > 0)):
        raise ValueError("every uncertainty sigma must be positive (a weight 1/sigma² needs sigma > 0)")
    return 1.0 / sigma ** 2


def weighted_line(x, y, sigma):
    """The line minimising chi-squared, from the normal equations, and its covariance (XᵀWX)⁻¹."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if np.ptp(x) == 0:
        raise ValueError("all x are equal: no line is singled out (XᵀWX is singular), give at least two distinct x")
    X = np.column_stack([x, np.ones_like(x)])
    w = _weights(x, sigma)
    normal = X.T @ (w[:, None] * X)
    coefficients = np.linalg.solve(normal, X.T @ (w * y))
    return coefficients, np.linalg.inv(normal)


def centred_line(x, y, sigma):
    """The same best line written y = m (x − x̄) + b about the weighted mean x̄ = Σwx/Σw.

    Returns (m, b), x̄ and the covariance of (m, b), which is diagonal: the columns x − x̄ and 1 of
    the design matrix are orthogonal under the weights, so XᵀWX = diag(Σw(x − x̄)², Σw)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w = _weights(x, sigma)
    x_bar = float(w @ x / w.sum())
    (m, b), covariance = weighted_line(x - x_bar, y, sigma)
    return np.array([m, b]), x_bar, covariance


def slope_reach(m, x, y):
    """How far the slope slider reaches either side of the best slope m: half of m, but never less
    than a twentieth of the data's rise over run (so a best slope near 0 still has room)."""
    return max(abs(m) / 2, 0.05 * float(np.ptp(y)) / (float(np.ptp(x)) or 1.0)) or 1.0


class LineFitExplorer:
    """Left: the data, your line and the best line, with your residuals drawn. Right: contours of
    chi-squared over the two sliders, (slope m, height b of the line at x̄), with the least-squares
    minimum and your line marked.

    The line is written y = m (x − x̄) + b, not m x + c: with the intercept c taken at x = 0, far
    from the data, c and m are almost perfectly correlated (a steeper line must start lower to stay
    on the points), so χ²(m, c) is a thin diagonal trench and a hand-picked (m, c) is almost always
    far up its walls. About x̄, χ² = χ²_min + S (m − m̂)² + Σw (b − b̂)² with S = Σw (x − x̄)²: the
    two knobs act independently, and the panel's axes are exactly the sliders' ranges."""

    def __init__(self, x, y, sigma, xlabel="$x$", ylabel="$y$"):
        self.x, self.y, self.sigma = np.asarray(x, float), np.asarray(y, float), sigma
        (self.m_best, self.b_best), self.x_bar, _ = centred_line(self.x, self.y, sigma)
        self.c_best = self.b_best - self.m_best * self.x_bar
        self.chi2_best = chi_squared(self.y, self.m_best * (self.x - self.x_bar) + self.b_best, sigma)
        w = _weights(self.x, sigma)
        self.curvature = (float(w @ (self.x - self.x_bar) ** 2), float(w.sum()))   # S and Σw
        self.m_reach = slope_reach(self.m_best, self.x, self.y)
        # the height's reach: the shift that costs as much χ² as the slope's reach does
        self.b_reach = self.m_reach * np.sqrt(self.curvature[0] / self.curvature[1]) or float(np.ptp(self.y)) or 1.0
        self.live = LiveFigure(10.0, 4.0)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.84, wspace=0.3)
        self.ax, self.ax_chi = self.fig.subplots(1, 2)
        self.ax.plot(self.x, self.y, ".", color="0.35", ms=4, label="data")
        xs = np.array([self.x.min(), self.x.max()])
        self.ax.plot(xs, self.m_best * (xs - self.x_bar) + self.b_best, "--", color=BLUE, lw=1.5,
                     label="least squares")
        self.ax.axvline(self.x_bar, color="0.6", lw=0.8, ls=":")
        self.line, = self.ax.plot([], [], "-", color=VERMILLION, lw=2, label="your line")
        self.pivot, = self.ax.plot([], [], "D", color=VERMILLION, ms=6, label="your height b at $\\bar x$")
        self.xs = xs
        self.ax.set(xlabel=xlabel, ylabel=ylabel)
        self.ax.legend(loc="upper left", fontsize=8)
        (m_lo, m_hi), (b_lo, b_hi) = self.slider_ranges()
        M, B = np.meshgrid(np.linspace(m_lo, m_hi, 81), np.linspace(b_lo, b_hi, 81))
        u = self.x - self.x_bar
        # χ² on the grid from the data's sums (exact for a line): Σw(y − m u − b)²
        Syy, Suy, Sy, Suu, Su, Sw = (w @ self.y ** 2, w @ (u * self.y), w @ self.y, w @ u ** 2, w @ u, w.sum())
        chi2 = Syy - 2 * M * Suy - 2 * B * Sy + M ** 2 * Suu + 2 * M * B * Su + B ** 2 * Sw
        excess = np.maximum(chi2 - self.chi2_best, 0)
        levels = np.geomspace(excess.max() / 300, excess.max(), 7)
        self.ax_chi.contour(M, B, excess, levels=levels, colors=[BLUE], linewidths=0.8,
                            linestyles=["-", "--", ":", "-.", "-", "--", ":"])
        self.ax_chi.plot([self.m_best], [self.b_best], "+", color=BLUE, ms=12, mew=2, label="least squares")
        self.ax_chi.set(xlim=(m_lo, m_hi), ylim=(b_lo, b_hi), xlabel="slope $m$",
                        ylabel="height $b$ of the line at $\\bar x$",
                        title="contours of $\\chi^2 - \\chi^2_{\\min}$", )
        self.marker, = self.ax_chi.plot([], [], "o", color=VERMILLION, ms=7, label="your line")
        self.ax_chi.legend(loc="upper right", fontsize=8)
        self.residuals = self.ax.vlines([], [], [], color=VERMILLION, lw=0.6, alpha=0.6)
        self.title = self.fig.text(0.5, 0.95, "", ha="center")
        self.live.animate(self.line, self.pivot, self.residuals, self.marker, self.title)

    def slider_ranges(self):
        """(slope range, height range): the sliders' limits, and the right panel's axes."""
        return ((self.m_best - self.m_reach, self.m_best + self.m_reach),
                (self.b_best - self.b_reach, self.b_best + self.b_reach))

    def update(self, slope=None, height=None):
        m = self.m_best if slope is None else float(slope)
        b = self.b_best if height is None else float(height)
        model = m * (self.x - self.x_bar) + b
        chi2 = chi_squared(self.y, model, self.sigma)
        self.line.set_data(self.xs, m * (self.xs - self.x_bar) + b)
        self.pivot.set_data([self.x_bar], [b])
        self.residuals.set_segments([[(xi, yi), (xi, mi)] for xi, yi, mi in zip(self.x, self.y, model)])
        self.marker.set_data([m], [b])
        S, Sw = self.curvature
        from_slope, from_height = S * (m - self.m_best) ** 2, Sw * (b - self.b_best) ** 2
        self.title.set_text(f"your line: y = {m:.4g} (x − {self.x_bar:.4g}) + {b:.4g}, χ² = {chi2:.4g}   "
                            f"(least squares: χ² = {self.chi2_best:.4g})")
        return {"slope": m, "height": b, "intercept": b - m * self.x_bar, "chi2": chi2,
                "chi2_best": self.chi2_best, "from_slope": from_slope, "from_height": from_height}


def line_fit_readout(r):
    """The widget's text: χ², its ratio to the best, and the excess split between the two knobs."""
    return (f"χ² = <b>{r['chi2']:.5g}</b>, {r['chi2'] / r['chi2_best']:.3f} times the least-squares value; "
            f"the excess {r['chi2'] - r['chi2_best']:.4g} = {r['from_slope']:.4g} from the slope "
            f"+ {r['from_height']:.4g} from the height")


LINE_FIT_ALT = ("Left: the data as dots with the least-squares line (dashed), your line (solid) with its residuals, "
                "and your height b at the mean x (a diamond). Right: contours of chi-squared above its minimum over "
                "the slope m and the height b, with the least-squares point (a plus) and your line (a circle). "
                "Chi-squared and how its excess splits are in the text below.")


def line_fit_explorer(x, y, sigma, xlabel="$x$", ylabel="$y$"):
    """Move the slope and the line's height at x̄; chi-squared is smallest on the least-squares line."""
    import ipywidgets as widgets

    explorer = LineFitExplorer(x, y, sigma, xlabel, ylabel)
    (m_lo, m_hi), (b_lo, b_hi) = explorer.slider_ranges()
    controls = {
        "slope": widgets.FloatSlider(value=explorer.m_best - 0.4 * explorer.m_reach, min=m_lo, max=m_hi,
                                     step=explorer.m_reach / 100, description="slope m", readout_format=".4g"),
        "height": widgets.FloatSlider(value=explorer.b_best + 0.3 * explorer.b_reach, min=b_lo, max=b_hi,
                                      step=explorer.b_reach / 100, description="height b", readout_format=".4g"),
    }
    return figure_widget(explorer, controls, line_fit_readout, alt=LINE_FIT_ALT)


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


def gauss_newton_path(x, y, sigma, start, steps, limit=1e6):
    """Gauss–Newton on χ²(μ, σ): p <- p + (JᵀJ)⁻¹ Jᵀ r with r = (y − g)/σᵢ and J = ∇g/σᵢ (one row per bin).

    Each step is solved as the linearised least-squares problem min |r − Jδ| (np.linalg.lstsq, an SVD:
    the same δ as the normal equations JᵀJ δ = Jᵀr, without squaring J's condition number).
    Returns the points visited and why it stopped early (None if it took every step): a JᵀJ so nearly
    singular that the step is not determined (the model flat in some direction: J's condition number
    above 1e7), a step to σ ≤ 0, or one that runs away (|p| > limit)."""
    sigma = _positive_errors(sigma)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if not start[1] > 0:
        raise ValueError(f"the start needs a width σ > 0, not {start[1]}")
    path = [np.asarray(start, dtype=float)]
    for _ in range(steps):
        r = (y - gaussian(x, *path[-1])) / sigma
        J = (gaussian_gradient(x, *path[-1]) / sigma).T
        if not np.linalg.cond(J) < 1e7:
            return np.array(path), "JᵀJ is singular"
        step = path[-1] + np.linalg.lstsq(J, r, rcond=None)[0]
        if not np.all(np.isfinite(step)) or np.abs(step).max() > limit:
            return np.array(path), "runs away"
        if step[1] <= 0:
            return np.array(path), "would make σ ≤ 0"
        path.append(step)
    return np.array(path), None


# The readout prints the walk's end to 0.01 (in x's units) only if that is a fact about the walk: it has settled
# (its last step under SETTLED) or at least it is reproducible (a start TWIN away ends within
# REPRODUCIBLE). Above 2/λ_max a walk can wander chaotically, and its end is then not a fit at all.
SETTLED, TWIN, REPRODUCIBLE = 0.005, 1e-9, 0.005


class GaussianFitExplorer:
    """Left: χ² over (μ, σ) with the steepest-descent path from a start (and, with gauss_newton=True,
    Gauss–Newton's from the same start for the same number of steps). Right: the histogram with its
    Poisson error bars and the Gaussian where the walk ended."""

    def __init__(self, x, y, sigma, mu_range, sig_range, xlabel="$x$", gauss_newton=False):
        self.x, self.y, self.sigma = np.asarray(x, float), np.asarray(y, float), _positive_errors(sigma)
        self.mu_range, self.sig_range = mu_range, sig_range
        self.gauss_newton = gauss_newton
        self.live = LiveFigure(10.0, 4.4)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.8 if gauss_newton else 0.86, wspace=0.25)
        self.ax, self.ax_data = self.fig.subplots(1, 2)
        M, S = np.meshgrid(np.linspace(*mu_range, 160), np.linspace(*sig_range, 160))
        # χ² on the whole grid at once: broadcast the bins along a third axis
        model = gaussian(self.x[:, None, None], M, S)
        chi2 = np.sum(((self.y[:, None, None] - model) / self.sigma[:, None, None]) ** 2, axis=0)
        contours = self.ax.contour(M, S, np.log10(chi2), levels=20, cmap="viridis", linewidths=0.8)
        label_contours(self.ax, contours)      # the values of log10 χ²
        self.ax.set(xlim=mu_range, ylim=sig_range, xlabel="mean $\\mu$", ylabel="width $\\sigma$",
                    title="$\\log_{10}\\chi^2$ and the path")
        lowest = np.unravel_index(np.argmin(chi2), chi2.shape)
        self.ax.plot([M[lowest]], [S[lowest]], "+", color="k", ms=12, mew=2, label="lowest $\\chi^2$ on the grid")
        self.path, = self.ax.plot([], [], "o-", color=VERMILLION, ms=2.5, lw=1, label="steepest descent")
        self.gn_path, = self.ax.plot([], [], "s--", color=BLUE, ms=4, lw=1.5, label="Gauss–Newton")
        if not gauss_newton:
            self.gn_path.remove()
        self.ax.legend(loc="upper right", fontsize=8)
        self.ax_data.errorbar(self.x, self.y, self.sigma, fmt="o", color="0.3", ms=4, capsize=2,
                             label="histogram ± Poisson error")
        margin = 3 * np.ptp(self.x) / len(self.x)
        self.xs = np.linspace(self.x.min() - margin, self.x.max() + margin, 200)
        self.curve, = self.ax_data.plot([], [], "-", color=VERMILLION, lw=2, label="Gaussian at the walk's end")
        self.gn_curve, = self.ax_data.plot([], [], "--", color=BLUE, lw=2, label="Gauss–Newton's end")
        if not gauss_newton:
            self.gn_curve.remove()
        self.ax_data.set(xlabel=xlabel, ylabel="density", ylim=(0, 1.6 * (self.y + self.sigma).max()))
        self.ax_data.legend(loc="upper left", fontsize=8)
        self.title = self.fig.text(0.5, 0.985, "", ha="center", va="top")
        self.live.animate(self.path, self.curve, self.title)
        if gauss_newton:
            self.live.animate(self.gn_path, self.gn_curve)

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
        completed = len(path) == steps + 1
        moving = float(np.abs(path[-1] - path[-2]).max()) if len(path) > 1 else 0.0
        # Is the end point a fact about the walk or an accident of rounding? The same walk from a start
        # TWIN away: a settling walk ends about as close, a chaotic one (too bold an aggression) anywhere.
        # (Only for a walk still moving: a settled one needs no second walk, and a slider move stays quick.)
        apart = 0.0
        if completed and moving > SETTLED:
            twin = gaussian_descent_path(self.x, self.y, self.sigma, (mu0 + TWIN, sig0), aggression, steps)
            apart = float(np.abs(twin[-1] - path[-1]).max()) if len(twin) == len(path) else np.inf
        settling = not (completed and moving > SETTLED and apart > REPRODUCIBLE)
        done = f"after {len(path) - 1} step{'' if len(path) == 2 else 's'}"
        if not completed:
            where = (f"{done} μ = {mu:.2f}, σ = {sig:.2f}, χ² = {chi2:.4g}   "
                     f"(stopped: step {len(path)} {self._why_stopped(path[-1], aggression)})")
        elif not settling:
            where = (f"{done} the walk is not settling: its last step moved {moving:.2g}, and a start "
                     f"{TWIN:g} away ends {apart:.2g} away, so its end (μ ≈ {mu:.3g}, σ ≈ {sig:.3g}, "
                     f"χ² = {chi2:.4g}) is not a fit")
        else:
            still = f" (still moving {moving:.2g} a step)" if moving > SETTLED else ""
            where = f"{done} μ = {mu:.2f}, σ = {sig:.2f}, χ² = {chi2:.4g}{still}"
        text = f"aggression {aggression:.3g}: {where}"
        in_view = lambda point: bool(self.mu_range[0] <= point[0] <= self.mu_range[1]
                                     and self.sig_range[0] <= point[1] <= self.sig_range[1])
        result = {"path": path, "mu": mu, "sig": sig, "chi2": chi2, "completed": completed,
                  "settling": settling, "moving": moving, "apart": apart, "end_shown": in_view(path[-1]),
                  "stopped": None if completed else self._why_stopped(path[-1], aggression)}
        if self.gauss_newton:
            gn, why = gauss_newton_path(self.x, self.y, self.sigma, (mu0, sig0), steps)
            self.gn_path.set_data(gn[:, 0], gn[:, 1])
            self.gn_curve.set_data(self.xs, gaussian(self.xs, *gn[-1]))
            gn_chi2 = self.chi_squared(*gn[-1])
            stop = "" if why is None else f" (stopped: step {len(gn)} {why})"
            text += (f"\nGauss–Newton: after {len(gn) - 1} step{'' if len(gn) == 2 else 's'} μ = {gn[-1][0]:.2f}, σ = {gn[-1][1]:.2f}, "
                     f"χ² = {gn_chi2:.4g}{stop}")
            result.update(gn_path=gn, gn_chi2=gn_chi2, gn_stopped=why, gn_end_shown=in_view(gn[-1]))
        self.title.set_text(text)
        return result


# The aggression slider's stops: round values, so that every value a lecture suggests is one of them.
AGGRESSIONS = (0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.8, 1.0)


def _on_grid(value, low, step, name):
    k = (value - low) / step
    if not np.isclose(k, round(k), rtol=0, atol=1e-9):
        raise ValueError(f"the start {name} = {value} is not on its slider's grid ({low} + multiples of {step})")
    return value


def gaussian_fit_readout(r):
    text = f"χ² = <b>{r['chi2']:.5g}</b> at the walk's end"
    if "gn_chi2" in r:
        text += f"; Gauss–Newton's: <b>{r['gn_chi2']:.5g}</b>"
    return text


def gaussian_fit_alt(gauss_newton):
    """The text alternative of the Gaussian fit explorer's plot: a function of what `update` returns,
    saying where the walk (and Gauss–Newton's, if shown) ends."""
    newton = ", beside Gauss–Newton's path (squares, dashed line)" if gauss_newton else ""
    newton_end = " and the one where Gauss–Newton ends (dashed line)" if gauss_newton else ""

    def alt(r):
        n = len(r["path"]) - 1
        steps = f"{n} step{'s' if n != 1 else ''}"
        where = f"μ = {r['mu']:.2f}, σ = {r['sig']:.2f}"
        # an end outside the χ² map's axes is not drawn there: say that the path leaves the picture
        off = "" if r.get("end_shown", True) else " (it has left the picture)"
        if not r["completed"]:
            end = (f"The walk stopped early, after {steps} (its next step {r.get('stopped') or 'runs away'}), "
                   f"at {where}{off}.")
        elif not r["settling"]:
            end = f"After {steps} the walk is not settling: where it is now is not a fit{off}."
        elif off:
            end = f"The walk leaves the picture: after {steps} it is at {where}."
        else:
            end = f"After {steps} the walk is at {where}."
        if "gn_path" in r:
            mu, sig = r["gn_path"][-1]
            gn_n = len(r["gn_path"]) - 1
            gn_steps = f"{gn_n} step{'s' if gn_n != 1 else ''}"
            gn_off = "" if r.get("gn_end_shown", True) else ", outside the picture"
            if r.get("gn_stopped"):
                end += (f" Gauss–Newton's stopped after {gn_steps} (step {gn_n + 1} {r['gn_stopped']}) "
                        f"at μ = {mu:.2f}, σ = {sig:.2f}{gn_off}.")
            else:
                end += f" Gauss–Newton's ends after {gn_steps} at μ = {mu:.2f}, σ = {sig:.2f}{gn_off}."
        mu0, sig0 = r["path"][0]
        return ("Left: contours of log chi-squared over the mean μ and the width σ, with the lowest point on the "
                f"grid (a plus) and the path of steepest descent (dots) from the start μ = {mu0:g}, σ = {sig0:g}"
                f"{newton}. Right: the "
                f"histogram's bin densities as points with Poisson error bars, and the Gaussian where the walk "
                f"ends (solid line){newton_end}. {end} Chi-squared is in the text below.")
    return alt


def gaussian_fit_explorer(x, y, sigma, mu_range, sig_range, start, xlabel="$x$", aggression=0.03,
                          mu_step=0.5, sig_step=0.5, gauss_newton=False, steps=50):
    """Steepest descent on a Gaussian fit's χ²: choose the aggression (one of AGGRESSIONS) and the
    start (μ, σ) on grids of mu_step and sig_step from the ranges' lower ends."""
    import ipywidgets as widgets

    if aggression not in AGGRESSIONS:
        raise ValueError(f"the aggression {aggression} is not one of the slider's stops {AGGRESSIONS}")
    _on_grid(start[0], mu_range[0], mu_step, "μ")
    _on_grid(start[1], sig_range[0], sig_step, "σ")
    explorer = GaussianFitExplorer(x, y, sigma, mu_range, sig_range, xlabel, gauss_newton)
    controls = {
        "aggression": widgets.SelectionSlider(options=AGGRESSIONS, value=aggression, description="aggression"),
        "mu0": widgets.FloatSlider(value=start[0], min=mu_range[0], max=mu_range[1],
                                   step=mu_step, description="start μ"),
        "sig0": widgets.FloatSlider(value=start[1], min=sig_range[0],
                                    max=sig_range[1], step=sig_step, description="start σ"),
        "steps": widgets.IntSlider(value=steps, min=1, max=300, description="steps"),
    }
    return figure_widget(explorer, controls, gaussian_fit_readout, alt=gaussian_fit_alt(gauss_newton))
