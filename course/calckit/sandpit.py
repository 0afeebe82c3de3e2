"""The sandpit: find a phone lost at the deepest point of a landscape hidden under sand.

`Sandpit` is the game itself, plain numpy: a landscape drawn from a seed at one of three
difficulties, probes that report the depth, the Jacobian (gradient) and the Hessian, and a win
when a probe lands within `tolerance` of the deepest point. `play` lets a strategy
`next_step(f, J, H)` choose the probes (Week 5). `SandpitView` draws a game and turns a click on
the picture into a probe; `sandpit_game` wires it to widgets.
"""
from dataclasses import dataclass

import numpy as np

from ._display import LiveFigure, label_contours, plot_image, set_alt
from .figures import BLACK, BLUE, YELLOW

DOMAIN = (-3.0, 3.0)
DIFFICULTIES = ("bowl", "valley", "bumpy")


class Landscape:
    """f(p) = ½ (p − c)ᵀ A (p − c) + offset − Σₖ aₖ exp(−|p − mₖ|² / 2sₖ²), with exact derivatives.

    A quadratic bowl (or, when A's eigenvalues differ a lot, a long valley) with Gaussian
    wells dug into it. Every method takes points of shape (..., 2).
    """

    def __init__(self, A, centre, offset=0.0, wells=()):
        self.A = np.asarray(A, dtype=float)
        self.centre = np.asarray(centre, dtype=float)
        self.offset = float(offset)
        self.wells = [(float(a), np.asarray(m, dtype=float), float(s)) for a, m, s in wells]

    def _wells(self, p):
        for a, m, s in self.wells:
            d = p - m
            yield a * np.exp(-np.sum(d * d, axis=-1) / (2 * s * s)), d, s

    def depth(self, p):
        p = np.asarray(p, dtype=float)
        d = p - self.centre
        value = 0.5 * np.einsum("...i,ij,...j->...", d, self.A, d) + self.offset
        for w, _, _ in self._wells(p):
            value = value - w
        return value

    def jacobian(self, p):
        p = np.asarray(p, dtype=float)
        grad = (p - self.centre) @ self.A.T
        for w, d, s in self._wells(p):
            grad = grad + (w / s**2)[..., None] * d
        return grad

    def hessian(self, p):
        p = np.asarray(p, dtype=float)
        hess = np.broadcast_to(self.A, p.shape[:-1] + (2, 2)).copy()
        for w, d, s in self._wells(p):
            outer = d[..., :, None] * d[..., None, :]
            hess += w[..., None, None] * (np.eye(2) / s**2 - outer / s**4)
        return hess


def _rotated(rng, low, high):
    """A symmetric positive-definite 2x2 matrix with eigenvalues `low`, `high`, turned at random."""
    angle = rng.uniform(0.0, np.pi)
    R = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return R @ np.diag([low, high]) @ R.T


def local_minima(landscape, points=161, steps=40):
    """Every local minimum inside the domain, deepest first: grid points lower than their eight
    neighbours, each polished by Newton steps (gradient steps where the Hessian is not
    positive definite)."""
    axis = np.linspace(*DOMAIN, points)
    X, Y = np.meshgrid(axis, axis)
    Z = landscape.depth(np.stack([X, Y], axis=-1))
    inner = Z[1:-1, 1:-1]
    lower = np.ones_like(inner, dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx or dy:
                lower &= inner < Z[1 + dy:points - 1 + dy, 1 + dx:points - 1 + dx]
    rows, cols = np.nonzero(lower)
    found = []
    for p in np.column_stack([X[1:-1, 1:-1][rows, cols], Y[1:-1, 1:-1][rows, cols]]):
        for _ in range(steps):
            g, H = landscape.jacobian(p), landscape.hessian(p)
            if np.all(np.linalg.eigvalsh(H) > 0):
                p = p - np.linalg.solve(H, g)
            else:
                p = p - 0.1 * g
        if not any(np.allclose(p, q, atol=1e-6) for q in found):
            found.append(p)
    return sorted(found, key=lambda q: float(landscape.depth(q)))


def make_landscape(rng, difficulty):
    """(landscape, deepest point) for a difficulty, drawn from `rng`."""
    if difficulty == "bowl":
        centre = rng.uniform(-2.0, 2.0, 2)
        return Landscape(_rotated(rng, *rng.uniform(0.6, 1.4, 2)), centre, rng.uniform(-3, -1)), centre
    if difficulty == "valley":
        # Steep sides, a floor that falls gently towards the phone: a tilted valley.
        low = rng.uniform(0.08, 0.15)
        centre = rng.uniform(-2.0, 2.0, 2)
        return Landscape(_rotated(rng, low, low * rng.uniform(20, 50)), centre, rng.uniform(-3, -1)), centre
    if difficulty == "bumpy":
        while True:  # redraw until the deepest well is clearly deepest and well inside the sandpit
            low = rng.uniform(0.15, 0.3)
            wells = [(rng.uniform(0.8, 2.5), rng.uniform(-2.4, 2.4, 2), rng.uniform(0.35, 0.7))
                     for _ in range(rng.integers(3, 6))]
            landscape = Landscape(_rotated(rng, low, low * rng.uniform(1, 2)), rng.uniform(-1.5, 1.5, 2),
                                  rng.uniform(-1, 1), wells)
            minima = local_minima(landscape)
            if len(minima) >= 2 and np.all(np.abs(minima[0]) < 2.7) and \
                    landscape.depth(minima[1]) - landscape.depth(minima[0]) > 0.1:
                return landscape, minima[0]
    raise ValueError(f"unknown difficulty {difficulty!r}; choose one of {', '.join(DIFFICULTIES)}")


@dataclass(frozen=True)
class Probe:
    point: np.ndarray    # (2,)
    depth: float
    jacobian: np.ndarray  # (2,): the gradient of the depth
    hessian: np.ndarray   # (2, 2)
    found: bool


class Sandpit:
    """One game: the same seed and difficulty always bury the phone in the same place."""

    def __init__(self, seed=0, difficulty="bowl", tolerance=0.1):
        if difficulty not in DIFFICULTIES:
            raise ValueError(f"unknown difficulty {difficulty!r}; choose one of {', '.join(DIFFICULTIES)}")
        if isinstance(seed, (bool, np.bool_)) or not (isinstance(seed, (int, np.integer)) and seed >= 0):
            raise ValueError(f"the seed must be a whole number 0 or more, not {seed!r}")
        self.seed, self.difficulty, self.tolerance = int(seed), difficulty, float(tolerance)
        rng = np.random.default_rng([self.seed, DIFFICULTIES.index(difficulty)])
        self.landscape, self.minimum = make_landscape(rng, difficulty)
        while True:  # a start for `play`, not on top of the phone
            self.start = rng.uniform(-2.5, 2.5, 2)
            if np.linalg.norm(self.start - self.minimum) > 1.0:
                break
        self.probes = []
        self.found_after = None  # the number of probes it took

    @property
    def found(self):
        return self.found_after is not None

    def probe(self, x, y):
        """Dig at (x, y): the depth there, its Jacobian and Hessian, and whether the phone is found.
        Once the phone is found the game is over and further probes are refused, so the count stops
        at the probe that found it."""
        if self.found:
            raise ValueError(f"the phone was already found after {_probes(self.found_after)}: this game is over, "
                             f"so further probes are not counted; start a new game, "
                             f"Sandpit({self.seed}, {self.difficulty!r}) or another seed, to play again")
        try:
            point = np.array([float(x), float(y)])
        except (TypeError, ValueError):
            raise ValueError(f"a probe needs two numbers, not {x!r} and {y!r}") from None
        if not np.all(np.isfinite(point)) or np.any(point < DOMAIN[0]) or np.any(point > DOMAIN[1]):
            raise ValueError(f"({x}, {y}) is outside the sandpit: both coordinates must lie in "
                             f"[{DOMAIN[0]:g}, {DOMAIN[1]:g}]")
        found = bool(np.linalg.norm(point - self.minimum) <= self.tolerance)
        probe = Probe(point, float(self.landscape.depth(point)), self.landscape.jacobian(point),
                      self.landscape.hessian(point), found)
        self.probes.append(probe)
        if found:
            self.found_after = len(self.probes)
        return probe

    def play(self, next_step, start=None, max_probes=50):
        """Let a strategy search: probe, ask `next_step(f, J, H)` for a step, move, repeat, until
        the phone is found or `max_probes` are used. Steps that leave the sandpit stop at its edge.
        Returns the probes of this search. A game whose phone is already found is over: playing it
        again is refused (start a new `Sandpit`)."""
        point = np.array(self.start if start is None else start, dtype=float)
        first = len(self.probes)
        while len(self.probes) - first < max_probes:
            probe = self.probe(*point)
            if probe.found:
                break
            step = np.asarray(next_step(probe.depth, probe.jacobian.copy(), probe.hessian.copy()), dtype=float)
            if step.shape != (2,) or not np.all(np.isfinite(step)):
                raise ValueError(f"next_step must return two finite numbers (a step of shape (2,)), "
                                 f"not {step!r}")
            point = np.clip(point + step, *DOMAIN)
        return self.probes[first:]


class SandpitView:
    """Draws a game: sand, the marks of the probes (coloured by depth, with a colour bar that names
    its ends deep and shallow but gives no numbers: the deepest depth would give the game away), the
    last probe's downhill direction, and the phone once found (or when revealed)."""

    def __init__(self, seed=0, difficulty="bowl", tolerance=0.1):
        self.live = LiveFigure(6.5, 6.5, dpi=90)
        self.fig = self.live.fig
        # The sand's centre stays near the picture's centre (a click there probes about (0, 0)).
        self.fig.subplots_adjust(left=0.1, right=0.84, bottom=0.08, top=0.93)
        self.ax = self.fig.add_subplot()
        self.cax = self.fig.add_axes([0.855, 0.2, 0.025, 0.6])
        self.ax.set_facecolor("#e9d7a7")
        self.ax.set(xlim=DOMAIN, ylim=DOMAIN, aspect="equal", xlabel="$x$", ylabel="$y$")
        self.ax.grid(color="white", alpha=0.5)
        self.marks = self.ax.scatter([], [], c=[], cmap="viridis_r", s=45, edgecolors="black", zorder=4)
        self.colorbar = self.fig.colorbar(self.marks, cax=self.cax)
        self.cax.set_title("depth", fontsize=10)
        # blue on sand: contrast 3.6 (vermillion would be 2.7)
        self.last, = self.ax.plot([], [], "o", ms=14, mfc="none", mec=BLUE, mew=2, zorder=5)
        # annotation_clip=False: drawn even when its tip leaves the sand (matplotlib would skip it)
        self.downhill = self.ax.annotate("", xy=(0, 0), xytext=(0, 0), zorder=6, annotation_clip=False,
                                         arrowprops=dict(arrowstyle="-|>", color=BLUE, lw=2))
        self.phone, = self.ax.plot([], [], "*", ms=22, color=YELLOW, mec=BLACK, zorder=7)
        self.title = self.ax.text(0.5, 1.02, "", transform=self.ax.transAxes, ha="center")
        self.live.animate(self.marks, self.last, self.downhill, self.phone, self.title)
        self._revealed = []
        self.new_game(seed, difficulty, tolerance)

    def new_game(self, seed=0, difficulty="bowl", tolerance=0.1):
        self.game = Sandpit(seed, difficulty, tolerance)
        self.peeked = False   # whether the landscape was shown during this game (then a win says so)
        self.reveal(False)
        axis = np.linspace(*DOMAIN, 121)
        X, Y = np.meshgrid(axis, axis)
        self._grid = (X, Y, self.game.landscape.depth(np.stack([X, Y], axis=-1)))
        low, high = float(self._grid[2].min()), float(self._grid[2].max())
        self.marks.set_clim(low, high)
        self.colorbar.set_ticks([low, high], labels=["deep", "shallow"])
        self.live.invalidate()   # the colour bar's scale is background
        return self._draw(f"new game: {difficulty}, seed {seed}. Click the sand to probe.")

    def reveal(self, show=True):
        """Show (or hide again) the landscape's contours under the sand."""
        if self._revealed or show:  # the sand itself never changes: redraw only when it must
            for artist in self._revealed:
                artist.remove()
            self._revealed = []
            if show:
                # a peek after the phone is found does not make the (blind) search a sighted one
                self.peeked = self.peeked or not self.game.found
                X, Y, Z = self._grid
                self._revealed = [self.ax.contour(X, Y, Z, levels=20, cmap="viridis_r", linewidths=0.8)]
                label_contours(self.ax, self._revealed[0])   # depths on the lines; removed with them
            self.live.invalidate()
        return self._draw()

    def probe(self, x, y):
        if self.game.found:  # the game is over: the count stays at the winning probe
            return self._draw(f"the phone is already found (after {_probes(self.game.found_after)}): "
                              "press New game to play again")
        self.game.probe(x, y)
        return self._draw()

    def click(self, px, py):
        """A click at pixel (px, py) of the PNG (origin top left) probes the point under it;
        a click outside the sand does nothing and says so."""
        width, height = self.live.canvas.get_width_height()
        x, y = self.ax.transData.inverted().transform((px, height - py))
        if not (DOMAIN[0] <= x <= DOMAIN[1] and DOMAIN[0] <= y <= DOMAIN[1]):
            return self._draw("that click was outside the sand")
        return self.probe(x, y)

    def _draw(self, message=None):
        game = self.game
        points = np.array([p.point for p in game.probes]).reshape(-1, 2)
        self.marks.set_offsets(points)
        self.marks.set_array(np.array([p.depth for p in game.probes]))
        if game.probes:
            last = game.probes[-1]
            self.last.set_data([last.point[0]], [last.point[1]])
            slope = float(np.linalg.norm(last.jacobian))
            step = -last.jacobian / slope * 0.6 if slope > 1e-12 else np.zeros(2)
            self.downhill.xy = tuple(last.point + step)
            self.downhill.set_position(tuple(last.point))
        else:
            last = None
            self.last.set_data([], [])
            self.downhill.xy = self.downhill.xyann = (0, 0)
        shown = game.found or bool(self._revealed)
        self.phone.set_data(*([[game.minimum[0]], [game.minimum[1]]] if shown else [[], []]))
        peeked = " (landscape revealed)" if self.peeked else ""
        status = (f"found after {_probes(game.found_after)}{peeked}!" if game.found
                  else f"{_probes(len(game.probes))} used")
        self.title.set_text(f"{game.difficulty}, seed {game.seed}: {status}")
        return {"probes": game.found_after if game.found else len(game.probes), "found": game.found,
                "last": last, "message": message, "revealed": self.peeked,
                "contours": bool(self._revealed), "phone": game.minimum.copy() if shown else None,
                "arrow": bool(last is not None and slope > 1e-12),
                "arrow_past_edge": bool(last is not None and slope > 1e-12 and not all(
                    DOMAIN[0] <= v <= DOMAIN[1] for v in self.downhill.xy))}


def _probes(n):
    return f"{n} probe{'' if n == 1 else 's'}"


def describe(state):
    """HTML for the readout under the picture."""
    lines = []
    if state["message"]:
        lines.append(state["message"])
    last = state["last"]
    if last is not None:
        (j1, j2), ((h11, h12), (h21, h22)) = last.jacobian, last.hessian
        lines.append(f"probe {state['probes']} at ({last.point[0]:.3f}, {last.point[1]:.3f}): "
                     f"depth f = <b>{last.depth:.4f}</b>, J = [{j1:.4f}, {j2:.4f}], "
                     f"H = [[{h11:.4f}, {h12:.4f}], [{h21:.4f}, {h22:.4f}]]")
    peeked = (" (with the landscape revealed, so not a blind search)" if state.get("revealed") else "")
    lines.append(f"<b>Found the phone after {_probes(state['probes'])}{peeked}!</b>" if state["found"]
                 else f"probes used: <b>{state['probes']}</b>")
    return "<br>".join(lines)


def sandpit_alt(state):
    """The picture's text alternative, for a state from SandpitView: what is drawn on the sand now."""
    low, high = DOMAIN
    text = f"The sandpit from above, x and y from {low:g} to {high:g}"
    if state["contours"]:
        text += ", with the landscape's depth contours revealed"
    last = state["last"]
    if last is None:
        text += ". No probe yet"
    else:
        n = state["probes"]
        text += (f". {n} probe{'s' if n != 1 else ''}, each a dot coloured by its depth (yellow deepest, dark "
                 f"purple shallowest, as the colour bar beside the sand shows); the last, at "
                 f"({last.point[0]:.2f}, {last.point[1]:.2f}), is ringed, ")
        text += (("with an arrow pointing downhill" + (", its tip past the edge of the sand"
                                                       if state.get("arrow_past_edge") else "")) if state["arrow"]
                 else "with no arrow: the floor is flat there, so no direction is downhill")
    if state["phone"] is not None:
        text += f". The phone is the star at ({state['phone'][0]:.2f}, {state['phone'][1]:.2f})"
    return text + (". Click the sand, or type x and y and press Probe, to dig; "
                   "each probe's numbers are in the text below.")


def sandpit_game(seed=0, difficulty="bowl"):
    """Click the sand (or type x and y and press Probe) to dig; the phone is at the deepest point."""
    import ipywidgets as widgets
    from ipyevents import Event

    view = SandpitView(seed, difficulty)
    width, _ = view.live.canvas.get_width_height()
    # Shown at its own size (not stretched to the page), so it stays sharp.
    first = view._draw(f"new game: {difficulty}, seed {seed}. Click the sand to probe.")
    image = plot_image(sandpit_alt(first), layout=widgets.Layout(width=f"{width}px", cursor="crosshair"))
    readout = widgets.HTML()
    level = widgets.Dropdown(options=DIFFICULTIES, value=difficulty, description="landscape")
    seed_box = widgets.BoundedIntText(value=seed, min=0, max=10**9, description="seed",
                                      layout=widgets.Layout(width="180px"))
    new = widgets.Button(description="New game", tooltip="a new game from the landscape and seed chosen")
    x_box = widgets.BoundedFloatText(value=0.0, min=DOMAIN[0], max=DOMAIN[1], step=0.1, description="x",
                                     layout=widgets.Layout(width="150px"))
    y_box = widgets.BoundedFloatText(value=0.0, min=DOMAIN[0], max=DOMAIN[1], step=0.1, description="y",
                                     layout=widgets.Layout(width="150px"))
    dig = widgets.Button(description="Probe", button_style="primary", tooltip="probe at (x, y)")
    # Its pressed state is announced by the course's JupyterLab extension (aria-pressed).
    reveal = widgets.ToggleButton(description="Reveal the landscape",
                                  tooltip="show or hide the landscape's contours under the sand")

    def show(state):
        set_alt(image, sandpit_alt(state))
        image.value = view.live.png()
        readout.value = describe(state)

    def new_game(_=None):
        reveal.value = False  # a new landscape starts hidden
        show(view.new_game(seed_box.value, level.value))

    level.observe(new_game, names="value")
    new.on_click(new_game)
    dig.on_click(lambda _: show(view.probe(x_box.value, y_box.value)))
    reveal.observe(lambda change: show(view.reveal(change["new"])), names="value")
    clicks = Event(source=image, watched_events=["click"])
    clicks.on_dom_event(lambda event: show(view.click(event["dataX"], event["dataY"])))
    show(first)
    box = widgets.VBox([widgets.HBox([level, seed_box, new, reveal]),
                        widgets.HBox([x_box, y_box, dig]), image, readout])
    box.view = box.explorer = view  # for experiments in the notebook: box.view.game is the Sandpit
    return box
