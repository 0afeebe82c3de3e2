"""The course's figure style, and the text alternative every static figure carries.

Style: importing calckit sets matplotlib's colour cycle, once for every lecture, to Okabe and
Ito's colour-blind-safe palette, paired with a line style per colour, so that lines drawn without
an explicit style still differ by more than colour. Figures that need more (markers, hatching,
contour labels, colour bars) say so where they are drawn.

Text alternative: `describe(fig, "what it shows")` attaches a description to a Figure. In
IPython, every matplotlib Figure (a cell's last expression, `plt.show()`, or a pyplot figure
left open at the end of a cell) is displayed by `display_figure` as one PNG in a bundle of three
representations:

* ``image/png`` with output metadata ``{"image/png": {"alt": ...}}`` (nbconvert's classic
  template reads it; the PNG is also what the static-figure check counts);
* ``text/html``: ``<img src="data:image/png;base64,..." alt="...">``, which JupyterLab, nbconvert
  (both templates) and myst-nb prefer to the PNG by default. JupyterLab needs it: its image
  renderer (4.x) writes no alt attribute, whatever the metadata says; so does nbconvert's lab
  template; myst-nb takes only width and height from the metadata (the website's configuration
  may prefer the PNG, written as a file, and copy the alt text from the metadata);
* ``text/plain``: the description itself, for text-only front ends.

A Figure without a description is displayed as an ordinary PNG (a student's own plots keep
working); tests/test_figure_a11y.py checks that every lecture's figures have one.
"""
import html
import weakref
from base64 import b64encode

import matplotlib as mpl
from cycler import cycler
from matplotlib.figure import Figure

# Okabe & Ito (2008), "Color Universal Design": told apart with every common colour-vision deficiency.
BLACK, ORANGE, SKY, GREEN, YELLOW, BLUE, VERMILLION, PURPLE = (
    "#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
OKABE_ITO = (BLACK, ORANGE, SKY, GREEN, YELLOW, BLUE, VERMILLION, PURPLE)

# The colour cycle: the palette without yellow (too faint for a line on white) and without black
# (kept for the function itself and reference lines), strongest contrast first; each colour with
# its own dash pattern.
CYCLE_COLOURS = (BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY)
CYCLE_LINESTYLES = ("-", "--", "-.", ":", (0, (5, 2, 1, 2, 1, 2)), (0, (8, 3)))


def use_course_style():
    """Set the course's colour and line-style cycle (calckit calls this when imported)."""
    mpl.rcParams["axes.prop_cycle"] = cycler(color=list(CYCLE_COLOURS)) + cycler(linestyle=list(CYCLE_LINESTYLES))
    mpl.rcParams["image.cmap"] = "viridis"       # perceptually uniform and colour-blind safe


_descriptions = weakref.WeakKeyDictionary()


def describe(fig, alt):
    """Attach the text alternative `alt` (what the figure shows, in a sentence or two) to `fig`
    and return `fig`, so that `describe(fig, "...")` can end a cell."""
    if not isinstance(fig, Figure):
        raise TypeError(f"describe() needs a matplotlib Figure, not {type(fig).__name__}")
    alt = " ".join(str(alt).split())
    if not alt:
        raise ValueError("a figure's text alternative must say what it shows; it is empty")
    _descriptions[fig] = alt
    return fig


def description(fig):
    """The text alternative attached to `fig` by `describe`, or None."""
    return _descriptions.get(fig)


def figure_bundle(fig):
    """(data, metadata) for displaying `fig` once as PNG, with its description as alt text;
    None for an empty figure (nothing to show)."""
    from IPython.core.pylabtools import print_figure

    png = print_figure(fig, "png", bbox_inches="tight")
    if png is None:
        return None
    encoded = b64encode(png).decode("ascii")
    alt = description(fig)
    if alt is None:
        return {"image/png": encoded, "text/plain": repr(fig)}, {}
    html_img = f'<img src="data:image/png;base64,{encoded}" alt="{html.escape(alt, quote=True)}"/>'
    return ({"image/png": encoded, "text/html": html_img, "text/plain": alt},
            {"image/png": {"alt": alt}})


def display_figure(fig):
    """IPython's display of every Figure: one PNG render, sent with its alt text."""
    from IPython.display import display

    bundle = figure_bundle(fig)
    if bundle is not None:
        data, metadata = bundle
        display(data, raw=True, metadata=metadata)


def _register_with_ipython():
    """In an IPython kernel, display Figures through `display_figure`, ahead of the per-format
    formatters the inline backend registers (and registers again whenever pyplot is imported)."""
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to register
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.ipython_display_formatter.for_type(Figure, display_figure)


use_course_style()
_register_with_ipython()
