"""The calckit widgets' plots for readers who cannot see them, or cannot tell colours apart (kernel side,
headless: no browser).

* Colours: every artist of every widget's figure uses the course's Okabe–Ito palette, black, white or a grey;
  colour-mapped artists (contour maps, surfaces, heat maps, the sandpit's depth dots) use a perceptually
  uniform, colour-blind-safe map (or a listed map of palette colours).
* Not colour alone: within each Axes, no two lines, marker sets or arrows of different colours share one
  look. Two marks are told apart without colour by a different dash pattern, marker or arrow head, by a
  width at least twice the other's, or by a lightness contrast of at least 3:1 between their colours (as
  WCAG's technique G183 accepts for links; so black against vermillion is told apart, vermillion against blue
  is not). Colour-mapped line sets (contours) are left out of that comparison: their colour carries a
  quantity, so each must also give it without colour, by a colour bar or by values written on its lines
  (checked below).
* Text alternatives that follow the plot: the Image's tooltip (its accessible name) is set again whenever
  a control moves, and says what is drawn in that state. Each state below is one where a fixed text was
  false; what the text claims is checked against the figure's own artists (not against the function that
  wrote the text).
"""
import re

import numpy as np
import pytest

widgets = pytest.importorskip("ipywidgets")

from matplotlib import colors as mcolors                 # noqa: E402
from matplotlib.collections import Collection, LineCollection  # noqa: E402
from matplotlib.container import ErrorbarContainer       # noqa: E402
from matplotlib.image import AxesImage                   # noqa: E402
from matplotlib.lines import Line2D                      # noqa: E402
from matplotlib.patches import Patch                     # noqa: E402
from matplotlib.text import Annotation, Text             # noqa: E402

from test_a11y_lab import course_widgets, widget_tree    # noqa: E402

import calckit                                           # noqa: E402
from calckit.figures import OKABE_ITO                    # noqa: E402
from calckit.surfaces import SURFACES as _SURFACES     # noqa: E402

SURFACE_NAMES = list(_SURFACES)

# Perceptually uniform or colour-blind-safe maps (RdBu is ColorBrewer's colour-blind-safe diverging map).
SAFE_CMAPS = {"viridis", "viridis_r", "cividis", "cividis_r", "Greys", "Greys_r", "RdBu", "RdBu_r"}
TOLERANCE = 1.5 / 255


# --- helpers ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built():
    """{name: box} for every calckit widget, as the lectures build them."""
    return dict(course_widgets())


def image_of(box):
    found = [w for w in widget_tree(box) if isinstance(w, widgets.Image)]
    assert len(found) == 1, found
    return found[0]


def figure_of(box):
    return box.explorer.live.fig


def control(box, description):
    found = [w for w in widget_tree(box) if getattr(w, "description", None) == description
             and isinstance(w, widgets.ValueWidget)]
    assert len(found) == 1, (description, found)
    return found[0]


def alt(box):
    """The plot's text alternative now; at least 8 words, as tests/test_a11y_lab.py asks."""
    text = image_of(box).tooltip
    assert text and len(text.split()) >= 8, text
    return text


def rgba(colour):
    return mcolors.to_rgba(colour)


def allowed(colour):
    r, g, b, a = rgba(colour)
    if a == 0:                                   # not drawn
        return True
    if max(r, g, b) - min(r, g, b) <= TOLERANCE:  # black, white and greys
        return True
    return any(np.allclose((r, g, b), mcolors.to_rgb(c), atol=TOLERANCE) for c in OKABE_ITO)


def colour_mapped(artist):
    return isinstance(artist, (Collection, AxesImage)) and artist.get_array() is not None


def safe_cmap(cmap):
    if cmap.name in SAFE_CMAPS:
        return True
    return isinstance(cmap, mcolors.ListedColormap) and all(allowed(c) for c in cmap.colors)


def colours(fig):
    """(artist, what, colour) for every colour the figure draws with, and (artist, 'cmap', cmap) for the
    colour-mapped ones. The Axes' own background (the sandpit's sand) is not a mark and is left out."""
    backgrounds = {ax.patch for ax in fig.axes}
    artists = list(fig.findobj(include_self=False))
    for artist in list(artists):
        if isinstance(artist, Annotation) and artist.arrow_patch is not None:
            artists.append(artist.arrow_patch)
        if isinstance(artist, Text) and artist.get_bbox_patch() is not None:
            artists.append(artist.get_bbox_patch())
    for artist in artists:
        if artist in backgrounds:
            continue
        if colour_mapped(artist):
            yield artist, "cmap", artist.get_cmap()
            continue
        if isinstance(artist, Line2D):
            yield artist, "colour", artist.get_color()
            yield artist, "marker face", artist.get_markerfacecolor()
            yield artist, "marker edge", artist.get_markeredgecolor()
        elif isinstance(artist, Text):
            yield artist, "text", artist.get_color()
        elif isinstance(artist, Patch):
            yield artist, "face", artist.get_facecolor()
            yield artist, "edge", artist.get_edgecolor()
        elif isinstance(artist, Collection):
            for c in artist.get_facecolor():
                yield artist, "face", c
            for c in artist.get_edgecolor():
                yield artist, "edge", c


def dash(artist):
    """The dash pattern, unscaled by the line width: 'solid', or the on/off lengths."""
    if isinstance(artist, Collection):
        offset, pattern = artist._us_linestyles[0]
    else:
        offset, pattern = artist._unscaled_dash_pattern
    return "solid" if not pattern else tuple(round(float(v), 2) for v in pattern)


def marks(ax):
    """(label, kind and look, width, colour) of every line, marker set and arrow in `ax`; an error bar
    counts as its data markers."""
    parts = set()
    for container in ax.containers:
        if isinstance(container, ErrorbarContainer):
            _, caps, bars = container.lines
            parts.update(caps or ())
            parts.update(bars or ())
    for line in ax.lines:
        if line in parts:
            continue
        marker = str(line.get_marker())
        drawn_line = line.get_linestyle() not in ("None", "", " ")
        if not drawn_line and marker in ("None", "", " "):
            continue
        look = ("line", dash(line) if drawn_line else "none", marker)
        width = line.get_linewidth() if drawn_line else line.get_markersize()
        yield line.get_label(), look, width, line.get_color()
    for collection in ax.collections:
        if isinstance(collection, LineCollection) and collection not in parts and not colour_mapped(collection):
            yield (collection.get_label(), ("line", dash(collection), "None"), collection.get_linewidth()[0],
                   collection.get_edgecolor()[0])
    for text in ax.texts:
        if isinstance(text, Annotation) and text.arrow_patch is not None:
            arrow = text.arrow_patch
            look = ("arrow", type(arrow.get_arrowstyle()).__name__, dash(arrow))
            yield "arrow", look, arrow.get_linewidth(), arrow.get_edgecolor()


def luminance(colour):
    channel = np.array(mcolors.to_rgb(colour))
    linear = np.where(channel <= 0.04045, channel / 12.92, ((channel + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast(a, b):
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def told_apart_by_colour_alone(a, b):
    """Two marks (as `marks` yields them) whose only difference is a hue."""
    (_, look_a, width_a, colour_a), (_, look_b, width_b, colour_b) = a, b
    if np.allclose(rgba(colour_a)[:3], rgba(colour_b)[:3], atol=TOLERANCE):
        return False                        # one colour: not told apart by colour at all
    if look_a != look_b or max(width_a, width_b) >= 2 * min(width_a, width_b):
        return False
    return contrast(colour_a, colour_b) < 3


def _options(w):
    return [o[1] if isinstance(o, tuple) else o for o in w.options]


def _extremes(w):
    """A slider's two ends, as values."""
    if isinstance(w, widgets.FloatLogSlider):
        return w.base ** w.min, w.base ** w.max
    if isinstance(w, widgets.SelectionSlider):
        values = _options(w)
        return values[0], values[-1]
    return w.min, w.max


SLIDERS = (widgets.FloatSlider, widgets.IntSlider, widgets.FloatLogSlider, widgets.SelectionSlider)


def every_state(box):
    """Move each dropdown through its options (the figures' artists change with the problem) and, in each
    of those, each slider to its minimum and its maximum, yielding after each; the widget is left as it
    was."""
    tree = list(widget_tree(box))
    dropdowns = [w for w in tree if isinstance(w, widgets.Dropdown)]
    sliders = [w for w in tree if isinstance(w, SLIDERS)]

    def slider_ends():
        yield
        for w in sliders:
            start = w.value
            for end in _extremes(w):
                if end != start:
                    w.value = end
                    yield
            w.value = start

    yield from slider_ends()
    for w in dropdowns:
        start = w.value
        for value in _options(w):
            if value != start:
                w.value = value
                yield from slider_ends()
        w.value = start


def frame(box):
    """The widget's picture now, as the front end gets it (blitted), as an RGBA array."""
    live = box.explorer.live
    live.draw()
    return np.asarray(live.canvas.buffer_rgba()).copy()


def drawn_pixels(box, artist):
    """How many pixels of the widget's picture `artist` changes: rendered with it, and with it hidden."""
    shown = frame(box)
    artist.set_visible(False)
    try:
        hidden = frame(box)
    finally:
        artist.set_visible(True)
        box.explorer.live.draw()
    return int(np.any(shown != hidden, axis=-1).sum())


def arrow_drawn(box, annotation):
    """Whether matplotlib draws `annotation`'s arrow: it skips the whole annotation when its tip is outside
    the axes (annotation_clip), and it must put pixels in the picture."""
    renderer = box.explorer.live.canvas.get_renderer()
    return bool(annotation._check_xy(renderer)) and drawn_pixels(box, annotation) > 0


# --- (a) and (b): colours ---------------------------------------------------------------------------

def test_every_widget_draws_in_the_course_palette(built):
    bad = []
    for name, box in built.items():
        for _ in every_state(box):
            for artist, what, colour in colours(figure_of(box)):
                ok = safe_cmap(colour) if what == "cmap" else allowed(colour)
                if not ok:
                    shown = colour.name if what == "cmap" else mcolors.to_hex(colour, keep_alpha=True)
                    bad.append(f"{name}: {type(artist).__name__} {artist.get_label()!r} {what} {shown}")
    assert not bad, "colours outside the Okabe–Ito palette, black, white and greys:\n" + "\n".join(sorted(set(bad)))


def test_no_two_marks_in_a_widget_differ_by_colour_alone(built):
    bad = []
    checked = 0
    for name, box in built.items():
        for _ in every_state(box):
            for index, ax in enumerate(figure_of(box).axes):
                found = list(marks(ax))
                checked += len(found)
                for i, a in enumerate(found):
                    for b in found[i + 1:]:
                        if told_apart_by_colour_alone(a, b):
                            bad.append(f"{name}, axes {index}: {a[0]!r} and {b[0]!r} both {a[1]}, "
                                       f"{mcolors.to_hex(a[3])} against {mcolors.to_hex(b[3])}")
    assert checked > 60, checked      # the walk found the widgets' lines, markers and arrows
    assert not bad, "told apart by colour alone:\n" + "\n".join(sorted(set(bad)))


def test_every_colour_mapped_contour_map_has_a_colour_bar_or_labels(built):
    """A contour map's colour says which way f rises: so do its numbers (contour labels), or a colour bar."""
    from matplotlib.contour import ContourSet
    bad, checked = [], 0
    for name, box in built.items():
        toggles = [w for w in widget_tree(box) if isinstance(w, widgets.ToggleButton)]
        for toggle in toggles:               # the sandpit's revealed contours
            toggle.value = True
        for _ in every_state(box):
            for ax in figure_of(box).axes:
                for artist in ax.get_children():
                    # colour-mapped: its lines in more than one colour (a single-colour set is a line style)
                    if isinstance(artist, ContourSet) and \
                            len(np.unique(np.round(artist.get_edgecolor(), 3), axis=0)) > 1:
                        checked += 1
                        labels = [t for t in artist.labelTexts if t.get_text().strip() and t.axes is ax]
                        if not labels and getattr(artist, "colorbar", None) is None:
                            bad.append(f"{name}: {len(artist.levels)} contour levels, no labels, no colour bar")
        for toggle in toggles:
            toggle.value = False
    assert checked >= 15, checked         # gradient, descent and Lagrange problems, the Gaussian fit, the sandpit
    assert not bad, "contours told apart by colour alone:\n" + "\n".join(sorted(set(bad)))


def test_the_lagrange_arrows_differ_by_head_line_and_label(built):
    explorer = built["lagrange_explorer"].explorer
    f, g = explorer.arrow_f.arrow_patch, explorer.arrow_g.arrow_patch
    assert type(f.get_arrowstyle()) is not type(g.get_arrowstyle())
    assert dash(f) != dash(g)
    assert explorer.label_f.get_text() == "$\\nabla f$" and explorer.label_g.get_text() == "$\\nabla g$"
    # each label is next to its own arrow's tip, not the other's (where the arrows do not overlap)
    control(built["lagrange_explorer"], "problem").value = "the lecture's example"
    control(built["lagrange_explorer"], "along g = 0").value = 0.3
    tip_f, tip_g = np.array(explorer.arrow_f.xy), np.array(explorer.arrow_g.xy)
    at_f, at_g = np.array(explorer.label_f.get_position()), np.array(explorer.label_g.get_position())
    assert np.linalg.norm(at_f - tip_f) < np.linalg.norm(at_f - tip_g)
    assert np.linalg.norm(at_g - tip_g) < np.linalg.norm(at_g - tip_f)


def test_the_lagrange_constraint_keeps_its_line_style_across_problems(built):
    box = built["lagrange_explorer"]
    looks = set()
    for _ in every_state(box):
        curve = [line for line in box.explorer.ax.lines if line.get_label() == "the constraint $g = 0$"]
        assert len(curve) == 1
        looks.add(dash(curve[0]))
    assert looks == {"solid"}, looks


# --- (c) and (d): text alternatives that follow the plot -------------------------------------------

def numbers(text):
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)]


def arrow_length(annotation):
    return float(np.linalg.norm(np.subtract(annotation.xy, annotation.xyann)))


def test_gradient_text_says_tangent_and_drops_the_arrow_where_it_is_not_drawn(built):
    box = built["gradient_explorer"]
    explorer = box.explorer
    control(box, "f(x, y)").value = "hill and hole"
    control(box, "x₀").value, control(box, "y₀").value = 0.5, 0.5
    text = alt(box)
    # what is drawn: a short dashed segment perpendicular to the arrow, i.e. the contour's tangent line
    xs, ys = explorer.level.get_data()
    segment = np.array([xs[1] - xs[0], ys[1] - ys[0]])
    arrow = np.subtract(explorer.arrow.xy, explorer.arrow.xyann)
    assert abs(segment @ arrow) < 1e-9 * np.linalg.norm(segment) * np.linalg.norm(arrow)
    assert "tangent to the contour" in text and "as a dashed line" not in text, text
    assert "arrow pointing uphill" in text, text
    # the saddle's stationary point: no arrow, no segment
    control(box, "f(x, y)").value = "saddle"
    control(box, "x₀").value, control(box, "y₀").value = 0.0, 0.0
    assert arrow_length(explorer.arrow) == 0 and len(explorer.level.get_data()[0]) == 0
    saddle = alt(box)
    assert saddle != text and "no arrow" in saddle and "arrow pointing uphill" not in saddle, saddle
    # near the hill's top the arrow is a few pixels long, but its head is still drawn (tens of pixels):
    # the text says it is very short, not that it cannot be seen
    control(box, "f(x, y)").value = "hill and hole"
    control(box, "x₀").value, control(box, "y₀").value = 0.71, 0.0
    width = np.ptp(explorer.ax.get_xlim())
    assert 0 < arrow_length(explorer.arrow) < 0.01 * width
    assert drawn_pixels(box, explorer.arrow) > 20
    assert "very short arrow" in alt(box) and "too short to see" not in alt(box), alt(box)
    assert "(0.71, 0.00)" in alt(box)


def test_every_arrow_a_widget_sets_is_drawn(built):
    """At every slider end of every problem, an arrow of non-zero length is in the picture (matplotlib
    skips an annotation whose tip leaves the axes unless annotation_clip=False)."""
    missing, checked = [], 0
    for name, box in built.items():
        for _ in every_state(box):
            for ax in figure_of(box).axes:
                for text in ax.texts:
                    if isinstance(text, Annotation) and text.arrow_patch is not None and text.get_visible() \
                            and arrow_length(text) > 0:
                        checked += 1
                        if not arrow_drawn(box, text):
                            missing.append(f"{name}: tip {tuple(np.round(text.xy, 2))}; text: {alt(box)}")
    assert checked > 30, checked
    assert not missing, "arrows not drawn:\n" + "\n".join(missing[:10])


def test_gradient_arrow_is_drawn_wherever_the_text_says_so(built):
    box = built["gradient_explorer"]
    explorer = box.explorer
    renderer = explorer.live.canvas.get_renderer()
    x_slider, y_slider = control(box, "x₀"), control(box, "y₀")
    grid = np.round(np.arange(x_slider.min, x_slider.max + 1e-9, 0.5), 2)
    skipped, past, edge = [], 0, 0
    for surface in SURFACE_NAMES:
        control(box, "f(x, y)").value = surface
        for x0 in grid:
            for y0 in grid:
                x_slider.value, y_slider.value = float(x0), float(y0)
                text = alt(box)
                if "no arrow" in text:
                    assert arrow_length(explorer.arrow) == 0, text
                    continue
                assert "arrow" in text, text
                if not explorer.arrow._check_xy(renderer):
                    skipped.append(f"{surface} ({x0}, {y0})")
                tip_out = not (explorer.xlim[0] <= explorer.arrow.xy[0] <= explorer.xlim[1]
                               and explorer.ylim[0] <= explorer.arrow.xy[1] <= explorer.ylim[1])
                past += tip_out
                assert ("past the edge" in text) == tip_out, (surface, x0, y0, text)
                if abs(x0) == 2 or abs(y0) == 2:          # the edges: by pixels too
                    edge += 1
                    assert drawn_pixels(box, explorer.arrow) > 0, (surface, x0, y0, text)
    assert past > 30 and edge > 50, (past, edge)          # the walk reached the states that failed before
    assert not skipped, f"{len(skipped)} states say an arrow is drawn that matplotlib skips, e.g. {skipped[:5]}"


def test_sandpit_arrow_is_drawn_wherever_the_text_says_so(built):
    box = built["sandpit_game"]
    view = box.view
    x_box, y_box, seed = control(box, "x"), control(box, "y"), control(box, "seed")
    buttons = {w.description: w for w in widget_tree(box) if isinstance(w, widgets.Button)}
    low, high = view.ax.get_xlim()
    probes = [(x, y) for x in (low, 0.0, high) for y in (low, 0.0, high) if (x, y) != (0.0, 0.0)]
    said, past = 0, 0
    for landscape in _options(control(box, "landscape")):
        control(box, "landscape").value = landscape
        for s in range(6):
            seed.value = s
            for x, y in probes:
                buttons["New game"].click()
                x_box.value, y_box.value = x, y
                buttons["Probe"].click()
                text = alt(box)
                if "arrow pointing downhill" in text:
                    said += 1
                    assert arrow_drawn(box, view.downhill), (landscape, s, x, y, text)
                    tip_out = not all(low <= v <= high for v in view.downhill.xy)
                    past += tip_out
                    assert ("past the edge" in text) == tip_out, text
    assert said > 100 and past > 5, (said, past)


def test_lagrange_arrows_are_drawn_all_along_the_curve(built):
    box = built["lagrange_explorer"]
    explorer = box.explorer
    slider = control(box, "along g = 0")
    past = 0
    for problem in _options(control(box, "problem")):
        control(box, "problem").value = problem
        for s in np.round(np.arange(slider.min, slider.max + 1e-9, 0.05), 2):
            slider.value = float(s)
            text = alt(box)
            assert "solid arrow labelled ∇f" in text and "dashed arrow labelled ∇g" in text, text
            (x_lo, x_hi), (y_lo, y_hi) = explorer.ax.get_xlim(), explorer.ax.get_ylim()
            out = 0
            for arrow in (explorer.arrow_f, explorer.arrow_g):
                assert arrow_drawn(box, arrow), (problem, s, arrow.xy, text)
                out += not (x_lo <= arrow.xy[0] <= x_hi and y_lo <= arrow.xy[1] <= y_hi)
            past += out > 0
            assert ("past the plot's edge" in text) == (out > 0), (problem, s, text)
    assert past > 10, past


def test_newton_text_counts_the_guesses_off_the_plot(built):
    box = built["newton_explorer"]
    explorer = box.explorer
    x0, steps = control(box, "x₀"), control(box, "steps")
    seen_off = 0
    for problem in _options(control(box, "f(x)")):
        control(box, "f(x)").value = problem
        for start in (x0.min, x0.max, 0.0, 1.0):
            for n in range(steps.min, steps.max + 1):
                x0.value, steps.value = start, n
                text = alt(box)
                # which circles are in the picture: their centres inside the axes, in pixels
                centres = explorer.ax.transData.transform(np.column_stack(explorer.points.get_data()))
                inside = [explorer.ax.bbox.contains(*c) for c in centres]
                off = inside.count(False)
                seen_off += off > 0
                if len(inside) == 1:
                    assert ("off the plot" in text) == (off == 1) and ("as a circle" in text) == (off == 0), text
                elif off == len(inside):
                    assert "none of the guesses is on the plot" in text, text
                elif off:
                    assert f"{off} of the {len(inside)} guesses" in text, (off, text)
                else:
                    assert "off the plot" not in text, text
    assert seen_off > 10, seen_off
    control(box, "f(x)").value = "x**2 - 2"
    x0.value, steps.value = 0.0, 3                 # f'(0) = 0: no step can be taken at all
    text = alt(box)
    assert "no step could be taken" in text and "no step taken yet" not in text, text
    steps.value = 0
    assert "no step taken yet" in alt(box), alt(box)


def test_neuron_text_at_w_zero_and_with_the_line_out_of_view(built):
    box = built["neuron_explorer"]
    explorer = box.explorer
    w1, w2, b = (control(box, d) for d in ("w₁", "w₂", "b"))
    w1.value, w2.value, b.value = 1.0, 0.5, 0.0
    drawn = alt(box)
    assert len(explorer.line.get_data()[0]) == 2 and arrow_length(explorer.arrow) > 0
    assert "black line where a = ½" in drawn and "arrow from the line" in drawn, drawn
    w1.value, w2.value = 0.0, 0.0
    assert len(explorer.line.get_data()[0]) == 0 and arrow_length(explorer.arrow) == 0
    flat = alt(box)
    assert flat != drawn and "no line" in flat and "no arrow" in flat and "black line" not in flat, flat
    w1.value, b.value = 1.0, 5.0          # the line x₁ = -5 is left of the view
    xs, ys = explorer.line.get_data()
    t = np.linspace(0, 1, 2001)
    along = np.column_stack([xs[0] + t * (xs[1] - xs[0]), ys[0] + t * (ys[1] - ys[0])])
    assert not np.any(np.all(np.abs(along) <= explorer.extent, axis=1))     # no point of it in view
    outside = alt(box)
    assert "outside this view" in outside and "black line" not in outside, outside
    assert np.allclose(explorer.arrow.xyann, (0, 0)) and "arrow from the origin" in outside


def test_sandpit_text_follows_the_game(built):
    box = built["sandpit_game"]
    view = box.view
    image = image_of(box)
    control(box, "seed").value = 1
    control(box, "landscape").value = "valley"
    control(box, "landscape").value = "bowl"          # a new game from seed 1
    start = alt(box)
    assert "No probe yet" in start and "ringed" not in start and "star" not in start, start
    x_box, y_box = control(box, "x"), control(box, "y")
    probe = next(w for w in widget_tree(box) if isinstance(w, widgets.Button) and w.description == "Probe")
    reveal = next(w for w in widget_tree(box) if isinstance(w, widgets.ToggleButton))
    readout = [w for w in widget_tree(box) if isinstance(w, widgets.HTML)][-1]
    x_box.value, y_box.value = 0.5, 0.5
    probe.click()
    one = alt(box)
    assert arrow_drawn(box, view.downhill)
    assert one != start and "1 probe," in one and "(0.50, 0.50)" in one and "arrow pointing downhill" in one, one
    assert "1 probe used" in view.title.get_text(), view.title.get_text()
    # how depth is shown: a colour bar whose ends are named
    bar = view.colorbar.ax
    assert [t.get_text() for t in bar.get_yticklabels()] == ["deep", "shallow"]
    assert "colour bar" in one
    # the sandpit's extent, as the picture's axes show it
    (x_lo, x_hi), (y_lo, y_hi) = view.ax.get_xlim(), view.ax.get_ylim()
    assert f"x and y from {x_lo:g} to {x_hi:g}" in one and (x_lo, x_hi) == (y_lo, y_hi), one
    # the phone's spot of a bowl is its exact bottom: J = 0 there, and no arrow is drawn; probed through
    # the widget, as a reader would (found on the second probe)
    m = view.game.minimum
    assert np.linalg.norm(view.game.landscape.jacobian(m)) < 1e-12
    x_box.value, y_box.value = float(m[0]), float(m[1])
    probe.click()
    assert view.game.found
    assert arrow_length(view.downhill) == 0 and drawn_pixels(box, view.downhill) == 0
    found = alt(box)
    assert "no arrow" in found and "arrow pointing downhill" not in found, found
    assert len(view.phone.get_data()[0]) == 1 and f"star at ({m[0]:.2f}, {m[1]:.2f})" in found, found
    assert "Found the phone after 2 probes!" in readout.value, readout.value
    # the search was blind: revealing the landscape after the win does not say otherwise
    reveal.value = True
    assert "not a blind search" not in readout.value and "revealed" not in view.title.get_text(), readout.value
    assert "contours revealed" in alt(box)
    reveal.value = False
    probe.click()                                     # the game is over: the count stays
    assert "already found (after 2 probes)" in readout.value, readout.value
    # a one-probe win: "1 probe", not "1 probes"
    control(box, "landscape").value = "valley"
    control(box, "landscape").value = "bowl"
    m = view.game.minimum
    x_box.value, y_box.value = float(m[0]), float(m[1])
    probe.click()
    assert "Found the phone after 1 probe!" in readout.value and "found after 1 probe!" in view.title.get_text()
    probe.click()
    assert "already found (after 1 probe)" in readout.value, readout.value
    # revealing during a game, then winning: not a blind search
    control(box, "landscape").value = "valley"
    reveal.value = True
    assert view._revealed and "contours revealed" in alt(box) and "star at (" in alt(box), alt(box)
    reveal.value = False
    assert "contours revealed" not in alt(box) and "star" not in alt(box), alt(box)
    m = view.game.minimum
    x_box.value, y_box.value = float(m[0]), float(m[1])
    probe.click()
    assert view.game.found and "not a blind search" in readout.value, readout.value


def test_descent_text_says_where_each_path_ends(built):
    box = built["descent_explorer"]
    explorer = box.explorer
    control(box, "f(x, y)").value = "bowl"
    control(box, "steps").value = 30
    for rate, leaves in ((0.1, False), (0.6, True)):
        control(box, "rate η").value = rate
        text = alt(box)
        for line, name in ((explorer.path, "gradient descent"), (explorer.newton, "Newton's method")):
            xs, ys = line.get_data()
            clause = text.split(name)[1].split(";")[0].split(". ")[0]
            shown = explorer.ax.get_xlim()[0] <= xs[-1] <= explorer.ax.get_xlim()[1] and \
                explorer.ax.get_ylim()[0] <= ys[-1] <= explorer.ax.get_ylim()[1]
            steps, x, y = numbers(clause.split("after")[1].replace(")", " "))[:1] + numbers(clause.split("(")[-1])[:2]
            assert steps == len(xs) - 1, (clause, len(xs))
            assert np.allclose((x, y), (xs[-1], ys[-1]), atol=1e-3 * max(1.0, abs(ys[-1]))), (clause, xs[-1], ys[-1])
            assert ("leaves the picture" in clause) == (not shown), clause
        assert ("leaves the picture" in text) == leaves, text


def test_deformation_text_gives_the_cell_areas_the_picture_shows(built):
    box = built["deformation_explorer"]
    explorer = box.explorer.explorer
    before = alt(box)
    control(box, "cell size").value = 0.05
    text = alt(box)
    assert text != before
    def area(patch):                       # the shoelace formula, written out here (not the widget's own)
        corners = np.asarray(patch.get_xy(), dtype=float)
        total = 0.0
        for (x1, y1), (x2, y2) in zip(corners, np.roll(corners, -1, axis=0)):
            total += x1 * y2 - x2 * y1
        return abs(total) / 2
    claimed = numbers(text.split("area,")[1])
    assert np.isclose(claimed[0], area(explorer.cell_in), rtol=1e-3), (text, area(explorer.cell_in))
    assert np.isclose(claimed[1], area(explorer.cell_out), rtol=1e-3), (text, area(explorer.cell_out))
    assert "two areas" not in text


def test_lagrange_text_says_whether_the_arrows_are_parallel(built):
    box = built["lagrange_explorer"]
    explorer = box.explorer
    control(box, "problem").value = "a line across a bowl"
    for s, parallel in ((0.67, True), (0.0, False)):
        control(box, "along g = 0").value = s
        f = np.subtract(explorer.arrow_f.xy, explorer.arrow_f.xyann)
        g = np.subtract(explorer.arrow_g.xy, explorer.arrow_g.xyann)
        angle = np.degrees(np.arccos(np.clip(f @ g / np.linalg.norm(f) / np.linalg.norm(g), -1, 1)))
        assert (angle < 0.6) == parallel, angle            # |sin| < 0.01 is about 0.57°
        text = alt(box)
        assert ("they are parallel" in text) == parallel and ("not parallel" in text) == (not parallel), text
        assert "solid arrow labelled ∇f" in text and "dashed arrow labelled ∇g" in text, text


def test_newton_text_follows_the_steps(built):
    box = built["newton_explorer"]
    explorer = box.explorer
    control(box, "f(x)").value = "x**2 - 2"
    control(box, "x₀").value = 1.0
    control(box, "steps").value = 0
    none = alt(box)
    assert len(explorer.tangents.get_segments()) == 0 and "no tangent" in none, none
    control(box, "steps").value = 3
    three = alt(box)
    xs, _ = explorer.points.get_data()
    assert len(explorer.tangents.get_segments()) == 3 and "dashed tangent" in three and "after 3 steps" in three
    assert f"{xs[-1]:.6g}" in three, (three, xs[-1])
    control(box, "f(x)").value = "arctan(x)"
    control(box, "x₀").value = 1.5
    control(box, "steps").value = 5
    away = alt(box)
    last = explorer.points.get_data()[0][-1]
    assert not explorer.ax.get_xlim()[0] <= last <= explorer.ax.get_xlim()[1] and "off the plot" in away, away


def test_training_text_follows_the_steps(built):
    box = built["training_explorer"]
    explorer = box.explorer
    reset = next(w for w in widget_tree(box) if isinstance(w, widgets.Button) and w.description == "Reset")
    more = next(w for w in widget_tree(box) if isinstance(w, widgets.Button) and w.description.endswith("steps"))
    reset.click()
    start = alt(box)
    assert len(explorer.history_line.get_data()[0]) == 1 and "empty until training starts" in start, start
    more.click()
    after = alt(box)
    history = explorer.history_line.get_data()[1]
    assert after != start and f"after {len(history) - 1} training steps" in after, after
    assert ("down from" in after) == (history[-1] < history[0]), after


def test_step_size_text_drops_the_models_that_are_not_drawn(built):
    box = built["step_size_explorer"]
    explorer = box.explorer
    control(box, "f(x)").value = "sin(x)"
    control(box, "x₀").value = 1.0
    both = alt(box)
    assert np.isfinite(explorer.forward_model.get_data()[1]).any() and "each error model is a line" in both
    control(box, "x₀").value = 0.0
    assert not np.isfinite(explorer.forward_model.get_data()[1]).any()
    assert not np.isfinite(explorer.central_model.get_data()[1]).any()
    none = alt(box)
    assert none != both and "no model line is drawn" in none and "each error model" not in none, none


def test_gaussian_fit_text_names_points_with_error_bars_and_the_walks_end(built):
    box = built["gaussian_fit_explorer"]
    explorer = box.explorer
    text = alt(box)
    assert "points with Poisson error bars" in text and "the histogram with" not in text, text
    (data,) = [c for c in explorer.ax_data.containers if isinstance(c, ErrorbarContainer)]
    assert data.lines[0].get_marker() == "o" and data.lines[0].get_linestyle() == "None"   # points, not bars
    mu, sig = (v[-1] for v in explorer.path.get_data())
    assert f"μ = {mu:.2f}, σ = {sig:.2f}" in text, (text, mu, sig)
    control(box, "steps").value = 5
    assert alt(box) != text


def test_gaussian_fit_text_says_when_a_path_leaves_the_picture_and_why_gauss_newton_stopped():
    centres = np.linspace(201, 235, 18)
    box = calckit.gaussian_fit_explorer(centres, calckit.gaussian(centres, 218, 7), np.full(centres.size, 0.003),
                                        (200, 236), (1, 30), (206, 9), gauss_newton=True)
    explorer = box.explorer
    (mu_lo, mu_hi), (sig_lo, sig_hi) = explorer.ax.get_xlim(), explorer.ax.get_ylim()
    in_view = lambda line: bool(mu_lo <= line.get_data()[0][-1] <= mu_hi and sig_lo <= line.get_data()[1][-1] <= sig_hi)
    seen = set()
    for aggression, mu0, sig0, steps in ((0.1, 200.0, 1.0, 1), (0.1, 206.0, 9.0, 300), (0.003, 206.0, 9.0, 50),
                                         (0.1, 200.0, 1.0, 50), (0.001, 236.0, 30.0, 10)):
        control(box, "aggression").value = aggression
        control(box, "start μ").value, control(box, "start σ").value = mu0, sig0
        control(box, "steps").value = steps
        text = alt(box)
        ends = text.split("(dashed line). ")[-1].split(" Chi-squared is in")[0]
        walk, newton = ends.split(" Gauss–Newton's ")
        walk_shown = in_view(explorer.path)
        seen.add(walk_shown)
        assert ("left the picture" in walk or "leaves the picture" in walk) == (not walk_shown), (aggression, walk)
        title = explorer.title.get_text().split("Gauss–Newton:")[1]
        assert ("outside the picture" in newton) == (not in_view(explorer.gn_path)), newton
        if "stopped:" in title:                       # the figure's title gives the reason: so must the text
            reason = title.split("stopped:")[1].strip(" )")
            assert "stopped after" in newton and reason in newton, (title, newton)
            seen.add("stopped")
        else:
            assert "stopped" not in newton, newton
    assert seen == {True, False, "stopped"}, seen


STATE_DEPENDENT = ("newton_explorer", "gradient_explorer", "lagrange_explorer", "descent_explorer",
                   "deformation_explorer", "neuron_explorer", "step_size_explorer", "gaussian_fit_explorer")


@pytest.mark.parametrize("name", STATE_DEPENDENT)
def test_moving_any_control_changes_the_text_when_it_changes_the_plot(built, name):
    """Whenever a slider or dropdown of these widgets changes what the plot shows (numbers included), the
    text changes with it."""
    box = built[name]
    image = image_of(box)
    moved = 0
    for w in list(widget_tree(box)):
        if not isinstance(w, (widgets.FloatSlider, widgets.IntSlider, widgets.FloatLogSlider,
                              widgets.SelectionSlider, widgets.Dropdown)):
            continue
        before, picture = alt(box), image.value
        if isinstance(w, (widgets.Dropdown, widgets.SelectionSlider)):
            values = [o[1] if isinstance(o, tuple) else o for o in w.options]
            w.value = values[(values.index(w.value) + 1) % len(values)]
        elif isinstance(w, widgets.FloatLogSlider):
            w.value = w.base ** (np.log(w.value) / np.log(w.base) + 5 * w.step)
        else:
            w.value = w.value + 5 * w.step if w.value + 5 * w.step <= w.max else w.value - 5 * w.step
        if image.value != picture:
            moved += 1
            assert alt(box) != before, f"{name}: moving {w.description} left the text as it was: {before}"
    assert moved >= 2, moved


def sent_to_the_front_end(widget):
    """The state updates `widget` sends over its comm from now on: a list of {key: value} dicts (binary
    traits such as an Image's value by key only)."""
    sent = []
    original = widget.comm.send

    def record(data=None, metadata=None, buffers=None):
        if isinstance(data, dict) and data.get("method") == "update":
            state = dict(data.get("state", {}))
            state.update({path[0]: "<buffer>" for path in data.get("buffer_paths", [])})
            sent.append(state)
        return original(data=data, metadata=metadata, buffers=buffers)

    widget.comm.send = record
    return sent


def test_a_text_is_sent_again_only_when_it_changes(built):
    """The tooltip is a synced trait: what goes over the comm when a control moves is the new picture,
    and the text only when it changed (a fixed text is never re-sent, e.g. by sending the whole state)."""
    box = built["taylor_explorer"]
    image = image_of(box)
    sent = sent_to_the_front_end(image)
    control(box, "degree n").value = 5
    control(box, "about a").value = 0.3
    assert sum("value" in update for update in sent) == 2, sent        # two new pictures went out ...
    assert not any("tooltip" in update for update in sent), sent      # ... and the fixed text did not
    box = built["newton_explorer"]
    image = image_of(box)
    sent = sent_to_the_front_end(image)
    control(box, "steps").value = 2
    control(box, "steps").value = 4
    texts = [update["tooltip"] for update in sent if "tooltip" in update]
    assert len(texts) == 2 and texts[0] != texts[1] and texts[1] == image.tooltip, texts


def test_figure_widget_takes_a_text_or_a_function_of_the_result():
    from calckit._display import figure_widget

    class Explorer:
        def __init__(self):
            self.live = calckit.NewtonExplorer().live

        def update(self, n):
            return {"n": n}

    n = widgets.IntSlider(value=1, min=0, max=5, description="n")
    box = figure_widget(Explorer(), {"n": n}, alt=lambda r: f"a plot with {r['n']} things drawn on it, say")
    assert image_of(box).tooltip == "a plot with 1 things drawn on it, say"
    n.value = 3
    assert image_of(box).tooltip == "a plot with 3 things drawn on it, say"
    fixed = figure_widget(Explorer(), {"n": widgets.IntSlider(description="n")}, alt="a fixed text that "
                          "stays the same in every state")
    assert image_of(fixed).tooltip == "a fixed text that stays the same in every state"
    with pytest.raises(ValueError, match="text alternative"):
        figure_widget(Explorer(), {"n": widgets.IntSlider(description="n")}, alt=lambda r: "  ")
