"""Rendering and wiring shared by the widgets.

A widget's figure is drawn once in full; afterwards only its moving artists are
redrawn over a cached background (blitting) and the pixels are sent as PNG to an
`ipywidgets.Image`. A full redraw of a log-log plot costs ~0.2 s on the course
machines, a blitted frame ~15 ms, so sliders stay smooth. The same code runs
headless in tests and benchmarks.
"""
import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image


class LiveFigure:
    """A Figure outside pyplot (so Jupyter never shows it twice) with blitted updates."""

    def __init__(self, width=7.0, height=4.0, dpi=90):
        self.fig = Figure(figsize=(width, height), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.moving = []
        self._background = None

    def animate(self, *artists):
        """Mark artists that change on every update; everything else is background."""
        for artist in artists:
            artist.set_animated(True)
        self.moving.extend(artists)
        return artists

    def invalidate(self):
        """Call when the background changes (axis limits, labels)."""
        self._background = None

    def draw(self):
        if self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.canvas.restore_region(self._background)
        for artist in self.moving:
            self.fig.draw_artist(artist)

    def png(self):
        """Draw and encode as PNG (fast zlib level: these images live for one frame)."""
        self.draw()
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), bytes(self.canvas.buffer_rgba()),
                                 "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


def _short(value):
    """A contour level in a few characters: 12, 0.5, 1.2e-03 -> '0.0012'."""
    if abs(value) >= 100:
        return f"{value:.0f}"
    text = f"{value:.2g}"
    return text if "e" not in text else f"{value:.1g}"


def label_contours(ax, contours, count=5, fontsize=7):
    """Write the value on about `count` of a contour map's levels (in black, on the lines), so that which
    way f rises is read from numbers, not from the colour map alone. Widgets draw their contours once,
    as background, so the labels cost nothing per frame."""
    levels = list(contours.levels)
    if not levels:
        return []
    every = max(1, round(len(levels) / count))
    chosen = levels[every // 2::every] or levels[:1]
    return ax.clabel(contours, levels=chosen, fmt=_short, fontsize=fontsize, colors="black", inline=True)


def figure_widget(explorer, controls, readout=None, alt=None):
    """Return a VBox that calls `explorer.update(**values)` whenever a control moves.

    `explorer.live` is its LiveFigure; `readout(result)` turns the numbers that
    `update` returns into HTML shown under the plot. `alt` says in words what the plot
    shows, for whoever cannot see it (see `plot_image`): a string, or a function
    `alt(result)` of the same result as `readout`, for a plot whose meaning changes with
    the controls (an arrow that vanishes, a path that ends somewhere). The text
    alternative is then set again on every refresh, when it changes.
    """
    import ipywidgets as widgets  # here, so the numerics and tests need no widget stack

    describe = alt if callable(alt) else (lambda _result: alt)
    image = None
    text = widgets.HTML()

    def refresh(_change=None):
        nonlocal image
        result = explorer.update(**{name: control.value for name, control in controls.items()})
        if image is None:
            image = plot_image(describe(result))
        else:
            set_alt(image, describe(result))
        image.value = explorer.live.png()
        if readout is not None:
            text.value = readout(result)

    refresh()
    for control in controls.values():
        control.observe(refresh, names="value")
    box = widgets.VBox([widgets.HBox(list(controls.values())), image, text])
    box.explorer = explorer  # for experiments and tests: its figure is box.explorer.live.fig
    return box


def set_alt(image, alt):
    """Give a plot's Image a new text alternative (traitlets sends it to the front end only when it
    changed)."""
    alt = " ".join(str(alt).split())
    if not alt:
        raise ValueError("a widget's plot needs a text alternative (alt) saying what it shows")
    image.tooltip = alt


_IMAGE = None


def plot_image(alt, **options):
    """The Image a widget draws into, with `alt` as its text alternative.

    ipywidgets' Image has no alt attribute: its tooltip becomes the <img>'s title, and the
    course's JupyterLab extension moves it to the <img>'s alt, its accessible name (so it is not
    also a hover tip). The numbers themselves are in the HTML readout under each plot, which a
    screen reader reads as text.
    """
    global _IMAGE
    import ipywidgets as widgets
    from traitlets import Unicode

    alt = "" if alt is None else " ".join(str(alt).split())
    if not alt:
        raise ValueError("a widget's plot needs a text alternative (alt) saying what it shows")
    if _IMAGE is None:
        class DescribedImage(widgets.Image):
            """An Image whose tooltip works: ipywidgets 8's front end (DOMWidgetView.updateTooltip)
            reads the model's `description`, which Image lacks, and without one a tooltip makes
            the view fail to render ("Cannot read properties of undefined (reading 'length')")."""
            description = Unicode("").tag(sync=True)
        _IMAGE = DescribedImage
    return _IMAGE(format="png", tooltip=alt, **options)


def _show_figures_inline():
    """Let a Figure returned by a helper display as PNG in Jupyter, even before pyplot is used."""
    try:
        from IPython import get_ipython
        shell = get_ipython()
        if shell is not None and hasattr(shell, "kernel"):
            from matplotlib_inline.backend_inline import set_matplotlib_formats
            set_matplotlib_formats("png")
    except ImportError:  # plain Python: nothing to configure
        pass


_show_figures_inline()
