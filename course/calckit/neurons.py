"""Widgets for Week 3: one neuron over the input plane, and a small network training live."""
import numpy as np

from ._display import LiveFigure, figure_widget, plot_image, set_alt
from .figures import BLACK, BLUE, ORANGE
from .network import Network, sigma


class NeuronExplorer:
    """The output a = σ(w₁x₁ + w₂x₂ + b) of one neuron, as a colour over the plane, with the
    line where z = 0 (a = ½) and the direction of w (an arrow of length 1), perpendicular to it."""

    def __init__(self, extent=3.0, points=120):
        axis = np.linspace(-extent, extent, points)
        self.X1, self.X2 = np.meshgrid(axis, axis)
        self.axis = axis
        self.live = LiveFigure(6.0, 5.0)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.1, right=0.9, bottom=0.1, top=0.9)
        self.ax = self.fig.add_subplot()
        self.image = self.ax.imshow(np.zeros_like(self.X1), origin="lower", cmap="RdBu_r", vmin=0, vmax=1,
                                    extent=(-extent, extent, -extent, extent))
        self.fig.colorbar(self.image, ax=self.ax, label="output $a = \\sigma(z)$")
        self.line, = self.ax.plot([], [], color="black", lw=1.5)
        self.arrow = self.ax.annotate("", xy=(0, 0), xytext=(0, 0),
                                      arrowprops=dict(arrowstyle="-|>", color="black", lw=2))
        self.title = self.ax.text(0.5, 1.02, "", transform=self.ax.transAxes, ha="center")
        self.ax.set(xlim=(-extent, extent), ylim=(-extent, extent), xlabel="$x_1$", ylabel="$x_2$")
        self.live.animate(self.image, self.line, self.arrow, self.title)
        self.extent = extent

    def update(self, w1=1.0, w2=0.5, b=0.0):
        z = w1 * self.X1 + w2 * self.X2 + b
        self.image.set_data(sigma(z))
        norm = float(np.hypot(w1, w2))
        if norm > 1e-9:
            # the points with w·x + b = 0: the foot of the perpendicular from 0, then along the line
            foot = -b / norm**2 * np.array([w1, w2])
            along = np.array([-w2, w1]) / norm * 3 * self.extent
            self.line.set_data([foot[0] - along[0], foot[0] + along[0]], [foot[1] - along[1], foot[1] + along[1]])
            # From the line's foot when it is in view, else from the origin; never clipped end by end,
            # which would turn the arrow away from w.
            from_line = bool(np.all(np.abs(foot) <= self.extent - 1))
            start = foot if from_line else np.zeros(2)
            self.arrow.xy = tuple(start + np.array([w1, w2]) / norm)
            self.arrow.set_position(tuple(start))
        else:
            from_line = False
            self.line.set_data([], [])
            self.arrow.xy = self.arrow.xyann = (0, 0)
        self.title.set_text(f"$a = \\sigma({w1:.2f}\\,x_1 {w2:+.2f}\\,x_2 {b:+.2f})$")
        steepness = norm / 4  # the largest slope of σ(z) is ¼, times |w| across the line
        # z is linear, so over the square its extremes are at the corners: the line z = 0 crosses the
        # panel exactly when the corners' z do not all have one sign.
        corners = [w1 * sx * self.extent + w2 * sy * self.extent + b for sx in (-1, 1) for sy in (-1, 1)]
        return {"w": (w1, w2), "b": b, "steepness": steepness, "arrow_from_line": from_line,
                "extent": self.extent,
                "output_at_origin": float(sigma(b)),
                "line_in_view": bool(norm > 1e-9 and min(corners) <= 0.0 <= max(corners)),
                "output_range": (float(sigma(min(corners))), float(sigma(max(corners))))}


def neuron_alt(r):
    """The neuron explorer's text alternative, for what `update` returned: with w = 0 there is no line
    and no arrow; the line a = ½ may lie outside the view."""
    (w1, w2), b, e = r["w"], r["b"], r["extent"]
    text = (f"Map of one neuron's output a = σ(w₁x₁ + w₂x₂ + b), with w = ({w1:.1f}, {w2:.1f}) and b = {b:.1f}, over "
            f"the (x₁, x₂) plane from {-e:g} to {e:g}, coloured from blue for 0 to red for 1 (see the colour bar)")
    low, high = r["output_range"]
    if r["steepness"] <= 2.5e-10:          # |w| <= 1e-9, as update() treats it
        text += (f": with w = 0 the output is σ(b) = {r['output_at_origin']:.3f} everywhere, one flat colour, "
                 "so no line a = ½ and no arrow are drawn")
    else:
        where = "from the line" if r["arrow_from_line"] else "from the origin"
        if r["line_in_view"]:
            text += f", with a black line where a = ½ and an arrow {where} along w, towards higher output"
        else:
            text += (f"; the line where a = ½ lies outside this view, and the output stays between {low:.3f} and "
                     f"{high:.3f}; an arrow {where} points along w, towards higher output")
    return text + ". The numbers are in the text below."


def training_alt(r):
    """The training explorer's text alternative, for what `update` returned."""
    steps, cost, start = r["steps"], r["cost"], r["history"][0]
    text = (f"Left: the “{r['target']}” training data (dots) and the network's curve (solid line) after {steps} "
            f"training step{'s' if steps != 1 else ''}. Right: the cost against the training step, on a log scale")
    if steps == 0:
        text += f": empty until training starts (the starting cost is {start:.3g})"
    else:
        trend = "down" if cost < start else "up" if cost > start else "unchanged"
        text += f", {trend} from {start:.3g} at the start to {cost:.3g}"
    return text + ". The text below gives the steps and the cost."


def neuron_explorer():
    """Weights tilt and sharpen the neuron's output; the bias slides it."""
    import ipywidgets as widgets

    explorer = NeuronExplorer()
    controls = {
        "w1": widgets.FloatSlider(value=1.0, min=-5, max=5, step=0.1, description="w₁"),
        "w2": widgets.FloatSlider(value=0.5, min=-5, max=5, step=0.1, description="w₂"),
        "b": widgets.FloatSlider(value=0.0, min=-5, max=5, step=0.1, description="b"),
    }
    return figure_widget(explorer, controls, neuron_readout, alt=neuron_alt)


def neuron_readout(r):
    """The explorer's sentence, true at every slider position: w = 0 (no line), the line z = 0 out of view."""
    low, high = r["output_range"]
    text = f"output at the origin σ(b) = {r['output_at_origin']:.3f}; "
    if r["steepness"] <= 2.5e-10:          # |w| <= 1e-9, as update() treats it
        return text + "w = 0: the output is σ(b) everywhere, a flat plane with no line z = 0"
    if not r["line_in_view"]:
        return text + (f"the line z = 0 is outside this view, where the output would cross ½ with slope "
                       f"|w|/4 = <b>{r['steepness']:.3f}</b>; here it stays between {low:.3f} and {high:.3f}")
    return text + (f"across the black line z = 0 the output crosses ½ with slope |w|/4 = <b>{r['steepness']:.3f}</b> "
                   f"per unit of distance, its steepest; over this view it runs from {low:.3f} to {high:.3f}")


TARGETS = {
    "bump": lambda x: 0.2 + 0.6 * np.exp(-((x - 0.5) / 0.15) ** 2),
    "wave": lambda x: 0.5 + 0.35 * np.sin(2 * np.pi * x),
    "step": lambda x: 0.2 + 0.6 * (x > 0.5),
}


class TrainingExplorer:
    """A 1-8-1 logistic network fitted to a curve by gradient descent, a few steps per frame.
    Left: the data and the network's curve. Right: the cost so far, on a log scale."""

    LOWEST = 1e-5   # the cost axis's lower end at the start; it extends by decades if the cost goes lower

    def __init__(self, target="wave", hidden=8, seed=0, batch=40):
        self.x = np.linspace(0, 1, batch)[None, :]
        self.grid = np.linspace(0, 1, 200)[None, :]
        # The network sees u = 6x - 3: inputs spread over [-3, 3], where σ has useful slopes,
        # train many times faster than inputs squeezed into [0, 1].
        self.inputs, self.grid_inputs = 6 * self.x - 3, 6 * self.grid - 3
        self.hidden, self.seed = hidden, seed
        self.live = LiveFigure(9.5, 3.8)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.86, wspace=0.25)
        self.ax, self.ax_cost = self.fig.subplots(1, 2)
        self.points, = self.ax.plot([], [], "o", color=ORANGE, mec=BLACK, mew=0.5, ms=4, label="training data")
        self.curve, = self.ax.plot([], [], "-", color=BLUE, lw=2, label="network")
        self.ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="$x$", ylabel="$y$")
        self.ax.legend(loc="upper right", fontsize=8)
        self.history_line, = self.ax_cost.plot([], [], "-", color=BLUE)
        self.ax_cost.set(yscale="log", xlabel="training step", ylabel="cost $C$", xlim=(0, 1000),
                         ylim=(self.LOWEST, 1.0))
        self.ax_cost.grid(alpha=0.3)
        self.title = self.fig.text(0.5, 0.94, "", ha="center")
        self.live.animate(self.points, self.curve, self.history_line, self.title)
        self.target = None
        self.reset(target)

    def reset(self, target=None, seed=None):
        self.target = target or self.target
        self.seed = self.seed if seed is None else seed
        self.y = TARGETS[self.target](self.x)
        self.network = Network([1, self.hidden, 1], seed=self.seed, scale=2.0)
        self.steps = 0
        if self.ax_cost.get_xlim()[1] != 1000 or self.ax_cost.get_ylim()[0] != self.LOWEST:
            self.ax_cost.set(xlim=(0, 1000), ylim=(self.LOWEST, 1.0))
            self.live.invalidate()
        self.history = [self.network.cost(self.inputs, self.y)]
        return self.update()

    def train(self, n_steps, learning_rate):
        for _ in range(int(n_steps)):
            self.network.step(self.inputs, self.y, learning_rate)
            self.steps += 1
            self.history.append(self.network.cost(self.inputs, self.y))
        return self.update(learning_rate)

    def update(self, learning_rate=None):
        if self.steps > self.ax_cost.get_xlim()[1]:   # grow the cost axis: a full redraw, rarely
            self.ax_cost.set_xlim(0, 2 * self.steps)
            self.live.invalidate()
        lowest = min(self.history)
        if 0 < lowest < self.ax_cost.get_ylim()[0]:   # the cost went below the axis: extend it to the decade below
            self.ax_cost.set_ylim(10.0 ** np.floor(np.log10(lowest)), 1.0)
            self.live.invalidate()
        self.points.set_data(self.x[0], self.y[0])
        self.curve.set_data(self.grid[0], self.network.feed_forward(self.grid_inputs)[0][-1][0])
        self.history_line.set_data(np.arange(len(self.history)), self.history)
        rate = "" if learning_rate is None else f", learning rate {learning_rate:g}"
        self.title.set_text(f"{self.target}: step {self.steps}, cost {self.history[-1]:.3g}{rate}")
        return {"steps": self.steps, "cost": self.history[-1], "history": self.history, "target": self.target}


def training_readout(result, learning_rate):
    """The training explorer's sentence: the steps taken so far (at whatever rates), the cost now and at the start."""
    return (f"after {result['steps']} steps the cost is <b>{result['cost']:.4g}</b> (it started at "
            f"{result['history'][0]:.4g}); the next steps use learning rate {learning_rate:.3g}")


def training_explorer(target="wave", steps_per_frame=20):
    """Play trains in small batches of steps, one per tick, so the kernel stays responsive."""
    import ipywidgets as widgets

    explorer = TrainingExplorer(target)
    image = plot_image(training_alt(explorer.update()))
    text = widgets.HTML()
    rate = widgets.FloatLogSlider(value=2.0, base=10, min=-2, max=1.3, step=0.1, description="learning rate")
    # Play's buttons are icons: the course's JupyterLab extension names them Play/Pause and Stop,
    # and their group by this tooltip (scripts/labextensions/mvcalc-widget-a11y). Play shows no
    # description, and a description would keep the tooltip off the page.
    play = widgets.Play(value=0, min=0, max=10**9, step=1, interval=150,
                        tooltip=f"training: Play runs {steps_per_frame} steps a tick until Pause")
    step = widgets.Button(description=f"{steps_per_frame} steps", tooltip=f"train {steps_per_frame} steps")
    reset = widgets.Button(description="Reset", tooltip="start again from step 0")
    choice = widgets.Dropdown(options=list(TARGETS), value=target, description="target")

    def show(result):
        set_alt(image, training_alt(result))
        image.value = explorer.live.png()
        text.value = training_readout(result, rate.value)

    play.observe(lambda _: show(explorer.train(steps_per_frame, rate.value)), names="value")
    step.on_click(lambda _: show(explorer.train(steps_per_frame, rate.value)))
    rate.observe(lambda _: show(explorer.update(rate.value)), names="value")

    def restart(_=None):
        play.playing = False
        show(explorer.reset(choice.value))

    reset.on_click(restart)
    choice.observe(restart, names="value")
    show(explorer.update(rate.value))
    box = widgets.VBox([widgets.HBox([rate, choice]), widgets.HBox([play, step, reset]), image, text])
    box.explorer = explorer  # for experiments and tests: its figure is box.explorer.live.fig
    return box
