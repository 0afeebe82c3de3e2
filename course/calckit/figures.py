"""The course's figure style, and the text alternative every static figure carries.

Style: importing calckit sets matplotlib's colour cycle, once for every lecture, to Okabe and
Ito's colour-blind-safe palette, paired with a line style per colour, so that lines drawn without
an explicit style still differ by more than colour. Figures that need more (markers, hatching,
contour labels, colour bars) say so where they are drawn.

Text alternative: `describe(fig, "what it shows")` attaches a description to a Figure. In
IPython, every matplotlib Figure (a cell's last expression, `plt.show()`, or a pyplot figure
left open at the end of a cell) is displayed by `display_figure`, once, rendered in the formats
IPython's inline backend is set to (``%config InlineBackend.figure_formats``: png by default, or
'retina', 'svg', 'jpeg', 'pdf'; with ``InlineBackend.print_figure_kwargs``, by default
``bbox_inches='tight'``), in a bundle of:

* the image itself (``image/png``, ``image/svg+xml``, ...) with output metadata
  ``{mime: {"alt": ...}}`` (nbconvert's classic template reads it for PNG and JPEG; the website
  copies it; an SVG also carries the text inside, as ``<title>`` and ``role="img"``
  ``aria-label``, for a front end that inlines it);
* ``text/html``: one ``<img src="data:...;base64,..." alt="...">`` of the SVG, else the PNG, else
  the JPEG, which JupyterLab, nbconvert (both templates) and myst-nb prefer to the images by
  default. JupyterLab needs it: its image and SVG renderers (4.6) write no alt attribute, whatever
  the metadata says; so does nbconvert's lab template; myst-nb takes only width and height from the
  metadata (the website's configuration prefers the PNG, written as a file, and copies the alt
  text from the metadata). An SVG goes in as an <img> too, not inline: as an image it cannot clash
  with the page's ids and styles, it is what an untrusted notebook's sanitiser keeps, and every
  consumer reads its text the same way as the PNG's;
* ``text/plain``: the description itself, for text-only front ends.

The image appears twice in an executed notebook (as the image and inside the HTML): JupyterLab
needs the HTML for the alt text, and the PNG is what nbconvert's LaTeX/PDF export, the website's
image files and the course's static-figure count use (tests/test_figure_a11y.py measures it).

A described pyplot figure displayed this way is then closed (as the inline backend closes every figure at
the end of a cell; with ``InlineBackend.close_figures = False`` it is only taken off the list of
figures to draw), so that a cell ending in ``describe(fig, ...)`` shows it once, not a second time
when pyplot flushes its figures after the cell.

A Figure without a description is displayed as an ordinary image (a student's own plots keep
working); tests/test_figure_a11y.py checks that every lecture's figures have one.
"""
import html
import re
import sys
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


# matplotlib-inline's defaults (InlineBackend.figure_formats, .print_figure_kwargs)
DEFAULT_FORMATS = frozenset({"png"})
DEFAULT_PRINT_KWARGS = {"bbox_inches": "tight"}
# IPython's figure formats (IPython.core.pylabtools.select_figure_formats) and their MIME types
_MIME = {"png": "image/png", "retina": "image/png", "png2x": "image/png", "jpg": "image/jpeg",
         "jpeg": "image/jpeg", "svg": "image/svg+xml", "pdf": "application/pdf"}
# which image the HTML <img> shows, best first (a PDF cannot be an <img>)
_HTML_PREFERENCE = ("image/svg+xml", "image/png", "image/jpeg")


def inline_settings(shell=None):
    """(figure formats, print_figure keyword arguments) of the running IPython's inline backend:
    what ``%config InlineBackend.figure_formats`` and ``InlineBackend.print_figure_kwargs`` (or
    ``set_matplotlib_formats``, or ipython_config.py) set; matplotlib-inline's defaults, png with
    bbox_inches='tight', outside IPython or without matplotlib-inline."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return set(DEFAULT_FORMATS), dict(DEFAULT_PRINT_KWARGS)
        shell = get_ipython()
    if shell is None:
        return set(DEFAULT_FORMATS), dict(DEFAULT_PRINT_KWARGS)
    try:
        from matplotlib_inline.config import InlineBackend   # imports nothing from matplotlib
    except ImportError:
        return set(DEFAULT_FORMATS), dict(DEFAULT_PRINT_KWARGS)
    if InlineBackend.initialized():     # the one %config changes (the backend creates it for the shell)
        config = InlineBackend.instance()
    else:                               # not created yet: what the shell's configuration says
        config = InlineBackend(parent=shell)
    formats = {str(f).lower() for f in config.figure_formats} & set(_MIME)
    return (formats or set(DEFAULT_FORMATS)), dict(config.print_figure_kwargs)


def _render(fig, fmt, kwargs):
    """(data, metadata) of `fig` in one of IPython's figure formats, exactly as IPython's own
    formatters render it (base64 text, or the SVG's text); None for an empty figure."""
    from IPython.core.pylabtools import print_figure, retina_figure

    if fmt in ("retina", "png2x"):
        return retina_figure(fig, base64=True, **kwargs)      # (data, {"width", "height"}) or None
    data = print_figure(fig, "jpg" if fmt == "jpeg" else fmt, base64=True, **kwargs)
    return None if data is None else (data, {})


def _svg_with_title(svg, alt):
    """The SVG with its text alternative inside: role="img", aria-label and a <title> first."""
    escaped = html.escape(alt, quote=True)
    start = re.search(r"<svg\b[^>]*?(/?)>", svg)
    if start is None:
        return svg
    tag = start.group(0)
    opening = tag[:-2] if start.group(1) else tag[:-1]
    opening += f' role="img" aria-label="{escaped}">'
    return svg[:start.start()] + opening + f"<title>{escaped}</title>" + \
        ("</svg>" if start.group(1) else "") + svg[start.end():]


def figure_bundle(fig, formats=None, print_kwargs=None):
    """(data, metadata) for displaying `fig` once, in `formats` rendered with `print_kwargs`
    (by default the running shell's inline-backend settings, see `inline_settings`), with its
    description as alt text; None for an empty figure (nothing to show)."""
    if formats is None or print_kwargs is None:
        shell_formats, shell_kwargs = inline_settings()
        formats = shell_formats if formats is None else formats
        print_kwargs = shell_kwargs if print_kwargs is None else print_kwargs
    formats = {formats} if isinstance(formats, str) else set(formats)
    bad = formats - set(_MIME)
    if bad:
        raise ValueError(f"figure formats are {sorted(_MIME)}, not {sorted(bad)}")
    alt = description(fig)
    if alt is not None and not {_MIME[f] for f in formats} & set(_HTML_PREFERENCE):
        formats.add("png")              # the <img> that carries the alt text needs an image it can show
    # one render per MIME type; pixel-doubled PNG wins over plain PNG, as in IPython
    chosen = {}
    for fmt in sorted(formats, key=lambda f: f in ("retina", "png2x")):
        chosen[_MIME[fmt]] = fmt
    data, metadata = {}, {}
    for mime, fmt in chosen.items():
        rendered = _render(fig, fmt, dict(print_kwargs))
        if rendered is None:
            return None
        data[mime], size = rendered
        if size:
            metadata[mime] = dict(size)
    if alt is None:
        data["text/plain"] = repr(fig)
        return data, metadata
    for mime in data:
        metadata.setdefault(mime, {})["alt"] = alt
    if "image/svg+xml" in data:
        data["image/svg+xml"] = _svg_with_title(data["image/svg+xml"], alt)
    shown = next(mime for mime in _HTML_PREFERENCE if mime in data)
    encoded = data[shown] if shown != "image/svg+xml" else b64encode(data[shown].encode("utf-8")).decode("ascii")
    size = "".join(f' {key}="{int(metadata[shown][key])}"' for key in ("width", "height") if key in metadata[shown])
    data["text/html"] = f'<img src="data:{shown};base64,{encoded}" alt="{html.escape(alt, quote=True)}"{size}/>'
    data["text/plain"] = alt
    return data, metadata


def _shown_by_pyplot(fig):
    """Tell pyplot's inline backend that `fig` has been displayed, so that its flush after the cell
    (matplotlib_inline.backend_inline.flush_figures) does not display it again: close it, as that
    flush would (InlineBackend.close_figures, the default), or else take it off the list of figures
    to draw. Figures pyplot does not manage (Figure(), or already closed) are left alone."""
    inline = sys.modules.get("matplotlib_inline.backend_inline")
    pyplot = sys.modules.get("matplotlib.pyplot")
    manager = getattr(fig.canvas, "manager", None)
    if inline is None or pyplot is None or manager is None:
        return
    from matplotlib._pylab_helpers import Gcf

    if Gcf.figs.get(manager.num) is not manager:
        return
    if mpl.get_backend() not in ("inline", "module://matplotlib_inline.backend_inline"):
        return
    if inline.InlineBackend.instance().close_figures:
        pyplot.close(fig)
    else:
        try:
            inline.show._to_draw.remove(fig)
        except (AttributeError, ValueError):
            pass


def display_figure(fig):
    """IPython's display of every Figure: one render per format, sent with its alt text, once."""
    from IPython.display import display

    bundle = figure_bundle(fig)
    if bundle is not None:
        data, metadata = bundle
        display(data, raw=True, metadata=metadata)
    if description(fig) is not None:    # a student's own figures keep pyplot's usual behaviour
        _shown_by_pyplot(fig)


def _register_with_ipython():
    """In an IPython kernel, display Figures through `display_figure`, ahead of the per-format
    formatters the inline backend registers (and registers again whenever pyplot is imported or
    the figure formats change)."""
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to register
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.ipython_display_formatter.for_type(Figure, display_figure)


use_course_style()
_register_with_ipython()
