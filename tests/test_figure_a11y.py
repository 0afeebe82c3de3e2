"""Accessible static figures (issue 26, item 3): every figure a lecture displays has a text
alternative, uses the colour-blind-safe palette, and never tells its lines apart by colour alone;
a contour plot says what its contours are worth (a colour bar or contour labels).

Each lecture is executed in a kernel as a student runs it (nbclient, the notebook's folder as the
working directory). One cell put in front records, for every matplotlib Figure the notebook
displays, what is drawn in it (lines, contour sets, colour bars, colours), by wrapping IPython's
display formatter: it does not import calckit, so a lecture that forgets to import the course's
figure support is caught, not rescued. The outputs are then checked against those records.
"""
import html.parser
import json
import re
from pathlib import Path

import matplotlib
import nbclient
import nbformat
import numpy as np
import pytest
from matplotlib.colors import to_rgb

from conftest import COURSE_NOTEBOOKS, ids, read_notebook

matplotlib.use("Agg")
import calckit  # noqa: E402  (sets the course's style in this process too)

# Okabe & Ito (2008), "Color Universal Design" (https://jfly.uni-koeln.de/color/), table of RGB
# values: black (0,0,0), orange (230,159,0), sky blue (86,180,233), bluish green (0,158,115),
# yellow (240,228,66), blue (0,114,178), vermillion (213,94,0), reddish purple (204,121,167).
OKABE_ITO_RGB = [(0, 0, 0), (230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178),
                 (213, 94, 0), (204, 121, 167)]
SAFE_COLOURS = {tuple(round(c / 255, 3) for c in rgb) for rgb in OKABE_ITO_RGB}
SAFE_COLOURMAPS = {"viridis", "cividis", "Greys", "gray", "binary", "Greys_r", "gray_r", "viridis_r", "cividis_r"}

PLACEHOLDERS = {"", "no description has been provided for this image", "image", "figure", "plot", "graph",
                "chart", "alt", "alt text", "todo", "tbd", "description", "matplotlib figure"}


def is_safe_colour(rgb):
    """An Okabe–Ito colour, or a grey (black to white): nothing told apart by hue alone."""
    rgb = tuple(round(c, 3) for c in rgb)
    return rgb in SAFE_COLOURS or max(rgb) - min(rgb) < 0.02


def placeholder(alt):
    text = " ".join(alt.lower().split()).strip(" .")
    return text in PLACEHOLDERS or text.startswith("<figure size") or len(text) < 40


# --- what is drawn: one summary per figure, built in the kernel (and in-process for calckit) ----

SUMMARISE = r'''
def _a11y_summary(fig):
    from matplotlib.colors import to_rgb
    from matplotlib.contour import ContourSet
    from matplotlib.image import AxesImage
    from matplotlib.collections import QuadMesh

    def style(line):
        if str(line.get_linestyle()) in ("None", "none", " ", ""):
            dashes = "none"
        else:
            offset, pattern = line._unscaled_dash_pattern
            dashes = "solid" if pattern is None else [round(float(v), 2) for v in pattern]
        marker = str(line.get_marker())
        return dashes, ("none" if marker in ("None", "none", " ", "", ",") else marker)

    axes = []
    colourbar_axes = {id(cb.ax) for ax in fig.axes for m in list(ax.collections) + list(ax.images)
                      if (cb := getattr(m, "colorbar", None)) is not None}
    for ax in fig.axes:
        if id(ax) in colourbar_axes:
            continue
        lines = []
        for line in ax.get_lines():
            if not line.get_visible():
                continue
            dashes, marker = style(line)
            if dashes == "none" and marker == "none":
                continue
            lines.append({"label": str(line.get_label()), "colour": list(to_rgb(line.get_color())),
                          "dashes": dashes, "marker": marker, "points": int(len(line.get_xdata(orig=False))),
                          "reference": bool(line.get_transform() != ax.transData
                                            and str(line.get_label()).startswith("_"))})
        contours, images, colours = [], [], []
        for c in ax.collections:
            if isinstance(c, ContourSet):
                cmap = c.get_cmap().name if c.colors is None else None
                contours.append({"levels": int(len(c.levels)), "filled": bool(c.filled), "cmap": cmap,
                                 "labels": int(len(getattr(c, "labelTexts", []) or [])),
                                 "colourbar": getattr(c, "colorbar", None) is not None})
            elif isinstance(c, QuadMesh):
                images.append({"cmap": c.get_cmap().name, "colourbar": c.colorbar is not None})
            elif c.get_visible():
                if getattr(c, "_A", None) is not None:      # colours from a colour map (scatter, surface)
                    images.append({"cmap": c.get_cmap().name, "colourbar": c.colorbar is not None,
                                   "surface": ax.name == "3d"})
                else:
                    colours += [list(rgba[:3]) for rgba in c.get_facecolors()[:50] if rgba[3] > 0]
                    colours += [list(rgba[:3]) for rgba in c.get_edgecolors()[:50] if rgba[3] > 0]
        for im in ax.images:
            images.append({"cmap": im.get_cmap().name, "colourbar": im.colorbar is not None,
                           "clim": [float(v) for v in im.get_clim()]})
        for patch in ax.patches:
            if patch.get_visible() and patch.get_facecolor()[3] > 0 and patch.get_fill():
                colours.append(list(patch.get_facecolor()[:3]))
        colours += [line["colour"] for line in lines]
        colours += [list(to_rgb(line.get_markerfacecolor())) for line in ax.get_lines()
                    if str(line.get_markerfacecolor()) not in ("none", "None")]
        axes.append({"title": ax.get_title(), "lines": lines, "contours": contours, "images": images,
                     "colours": colours, "name": ax.name})
    return {"axes": axes}
'''

RECORDER = SUMMARISE + r'''
def _a11y_install(path):
    import json
    from IPython import get_ipython
    from matplotlib.figure import Figure
    formatter = get_ipython().display_formatter
    original = formatter.format

    def format(obj, *args, **kwargs):
        if isinstance(obj, Figure) and (obj.axes or obj.lines):
            with open(path, "a") as out:
                out.write(json.dumps(_a11y_summary(obj)) + "\n")
        return original(obj, *args, **kwargs)
    formatter.format = format

_a11y_install(RECORDS)
del _a11y_install
'''

CYCLE_PROBE = r'''
import json as _json, matplotlib as _mpl
with open(RECORDS, "a") as _out:
    _out.write(_json.dumps({"cycle": _mpl.rcParams["axes.prop_cycle"].by_key()["color"]}) + "\n")
'''


def distinguishability_problems(summary):
    """Lines in one Axes that differ in colour but not in line style or marker (ignoring unlabelled
    reference lines across the whole Axes, e.g. y = 0); Axes whose contours or colour-mapped images
    carry no colour bar and no contour labels; colours outside the palette."""
    problems = []
    # one colour bar may serve several images drawn with the same colour map and limits (ax=[...])
    shared = {(i["cmap"], tuple(i["clim"])) for ax in summary["axes"] for i in ax["images"]
              if i["colourbar"] and "clim" in i}
    for number, ax in enumerate(summary["axes"]):
        where = f"axes {number} ({ax['title'] or ax['name']!r})"
        by_style = {}
        for line in ax["lines"]:
            if line["reference"]:
                continue
            key = (json.dumps(line["dashes"]), line["marker"])
            by_style.setdefault(key, []).append(line)
        for (dashes, marker), lines in by_style.items():
            colours = {tuple(round(c, 3) for c in line["colour"]) for line in lines}
            if len(colours) > 1:
                problems.append(f"{where}: lines {[line['label'] for line in lines]} share line style {dashes} "
                                f"and marker {marker!r} and differ only in colour")
        needs_key = [c for c in ax["contours"] if c["levels"] > 1] + \
            [i for i in ax["images"] if not i.get("surface")]
        has_key = any(c["labels"] or c["colourbar"] for c in ax["contours"]) or \
            any(i["colourbar"] or (i["cmap"], tuple(i.get("clim", ()))) in shared for i in ax["images"])
        if needs_key and not has_key:
            problems.append(f"{where}: contours or a colour-mapped image without a colour bar or contour labels")
        for mapped in ax["contours"] + ax["images"]:
            if mapped.get("cmap") and mapped["cmap"] not in SAFE_COLOURMAPS:
                problems.append(f"{where}: colour map {mapped['cmap']!r} is not a colour-blind-safe one")
        for rgb in ax["colours"]:
            if not is_safe_colour(rgb):
                problems.append(f"{where}: colour {tuple(round(c, 3) for c in rgb)} is not in the Okabe–Ito "
                                f"palette nor a grey")
                break
    return problems


class ImageTags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.images = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


def image_outputs(nb):
    for number, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") in ("display_data", "execute_result") and "image/png" in output["data"]:
                yield number, output


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Run each lecture once (on first use), with the recorder in front: (notebook, records)."""
    cache = {}

    def run(path):
        if path not in cache:
            records = tmp_path_factory.mktemp("a11y") / "figures.jsonl"
            nb = read_notebook(path)
            nb.cells.insert(0, nbformat.v4.new_code_cell(RECORDER.replace("RECORDS", repr(str(records)))))
            nb.cells.append(nbformat.v4.new_code_cell(CYCLE_PROBE.replace("RECORDS", repr(str(records)))))
            nbclient.NotebookClient(nb, kernel_name="python3", timeout=900,
                                    resources={"metadata": {"path": str(Path(path).parent)}}).execute()
            nb.cells = nb.cells[1:-1]
            lines = [json.loads(line) for line in records.read_text().splitlines()] if records.exists() else []
            cache[path] = nb, [r for r in lines if "axes" in r], [r["cycle"] for r in lines if "cycle" in r]
        return cache[path]
    return run


@pytest.mark.slow
@pytest.mark.parametrize("path", COURSE_NOTEBOOKS, ids=ids(COURSE_NOTEBOOKS))
def test_lecture_figures_are_accessible(path, executed):
    nb, figures, cycles = executed(path)
    outputs = list(image_outputs(nb))
    assert outputs, f"{path.name} displays no static figure"
    assert len(outputs) == len(figures), (
        f"{len(outputs)} image outputs but {len(figures)} matplotlib figures displayed: an image that is not a "
        f"Figure cannot be checked here")
    seen = {}
    for (cell, output), figure in zip(outputs, figures):
        alt = output.get("metadata", {}).get("image/png", {}).get("alt", "")
        assert isinstance(alt, str) and not placeholder(alt), (
            f"cell {cell}: the figure's alt text is missing or a placeholder ({alt!r}): describe(fig, ...)")
        parser = ImageTags()
        parser.feed(output["data"].get("text/html", ""))
        assert [image.get("alt") for image in parser.images] == [alt], (
            f"cell {cell}: the HTML representation (what JupyterLab and the website show) must be one <img> "
            f"with the same alt text")
        assert parser.images[0]["src"] == "data:image/png;base64," + output["data"]["image/png"].strip()
        assert alt not in seen, f"cells {seen.get(alt)} and {cell} describe different figures with one text"
        seen[alt] = cell
        problems = distinguishability_problems(figure)
        assert not problems, f"cell {cell}: " + "; ".join(problems)
    # nbconvert's HTML (lab template) of the executed lecture: every image has its alt text, none the placeholder
    from nbconvert import HTMLExporter
    page, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    parser = ImageTags()
    parser.feed(page)
    assert "No description has been provided" not in page
    assert [image.get("alt") for image in parser.images if image.get("src", "").startswith("data:image/png")] == \
        list(seen)
    assert cycles and [to_rgb(c) for c in cycles[-1]] == [to_rgb(c) for c in calckit.figures.CYCLE_COLOURS], (
        f"{path.name} does not draw with the course's colour cycle: import calckit")


# --- the course style, and calckit's static plots, in-process ------------------------------------

def summarise(fig):
    namespace = {}
    exec(SUMMARISE, namespace)
    fig.canvas.draw()   # lay out (colour bars, labels) as a display would
    return namespace["_a11y_summary"](fig)


def test_colour_cycle_is_okabe_ito_with_a_line_style_per_colour():
    cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()
    assert len(cycle["color"]) >= 4
    assert all(is_safe_colour(to_rgb(c)) for c in cycle["color"])
    assert all(max(to_rgb(c)) - min(to_rgb(c)) > 0.2 for c in cycle["color"]), "greys are not cycle colours"
    assert len({tuple(np.round(to_rgb(c), 3)) for c in cycle["color"]}) == len(cycle["color"])
    assert len({json.dumps(s) for s in cycle["linestyle"]}) == len(cycle["linestyle"]) == len(cycle["color"])


def test_the_okabe_ito_constants_are_the_published_values():
    from calckit import OKABE_ITO
    assert {tuple(round(c, 3) for c in to_rgb(h)) for h in OKABE_ITO} == SAFE_COLOURS


def test_lines_without_a_style_differ_in_style_as_well_as_colour():
    from matplotlib.figure import Figure
    fig = Figure()
    ax = fig.subplots()
    for k in range(4):
        ax.plot([0, 1], [k, k + 1], label=f"line {k}")
    assert distinguishability_problems(summarise(fig)) == []


def test_the_checks_catch_colour_alone_missing_keys_and_unsafe_colours():
    """The checks themselves can fail: colour-only lines, an unlabelled colour-mapped contour plot,
    a rainbow colour map and a pure red line are all reported."""
    from matplotlib.figure import Figure
    fig = Figure()
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], "-", color="#0072B2", label="least squares")
    ax.plot([0, 1], [1, 0], "-", color="#D55E00", label="your line")
    X, Y = np.meshgrid(np.linspace(-1, 1, 20), np.linspace(-1, 1, 20))
    ax.contour(X, Y, X**2 + Y**2, levels=5, cmap="jet")
    ax.plot([0], [0], "o", color="red")
    problems = distinguishability_problems(summarise(fig))
    assert any("differ only in colour" in p for p in problems)
    assert any("without a colour bar" in p for p in problems)
    assert any("'jet'" in p for p in problems)
    assert any("(1.0, 0.0, 0.0)" in p for p in problems)
    ax.clabel(ax.collections[0], fontsize=7)
    assert not any("without a colour bar" in p for p in distinguishability_problems(summarise(fig)))


def test_one_colour_bar_serves_images_with_the_same_map_and_limits_only():
    from matplotlib.figure import Figure
    fig = Figure()
    left, right = fig.subplots(1, 2)
    data = np.arange(16.0).reshape(4, 4)
    left.imshow(data, cmap="cividis", vmin=0, vmax=15)
    fig.colorbar(right.imshow(data, cmap="cividis", vmin=0, vmax=15), ax=[left, right])
    assert distinguishability_problems(summarise(fig)) == []
    left.images[0].set_clim(0, 30)          # the left panel's colours now mean other values
    assert any("axes 0" in p and "without a colour bar" in p for p in distinguishability_problems(summarise(fig)))


@pytest.mark.parametrize("draw", [
    lambda calckit: calckit.plot_function_and_derivative("sin(x)"),
    lambda calckit: calckit.plot_function_and_derivative("sigmoid(x)", xlim=(-8, 8)),
    lambda calckit: calckit.plot_secants_to_tangent("sin(x)", 1.0, hs=(1.5, 0.75, 0.3)),
    lambda calckit: calckit.plot_error_valley("sin(x)", 1.0),
], ids=["derivative", "sigmoid", "secants", "error valley"])
def test_calckit_static_plots_are_described_and_distinguishable(draw):
    fig = draw(calckit)
    alt = calckit.figures.description(fig)
    assert alt and not placeholder(alt)
    assert distinguishability_problems(summarise(fig)) == []


def test_figure_bundle_carries_the_alt_text_in_every_representation():
    """What a kernel sends for a described Figure: the PNG with alt metadata, an <img> with the same
    alt text (what JupyterLab, nbconvert and the website render), and the text for plain front ends."""
    import base64
    from calckit.figures import describe, figure_bundle
    from matplotlib.figure import Figure
    fig = Figure(figsize=(2, 2))
    fig.subplots().plot([0, 1], [0, 1])
    assert set(figure_bundle(fig)[0]) == {"image/png", "text/plain"}       # undescribed: a plain PNG
    describe(fig, 'A rising straight line from (0, 0) to (1, 1), "y = x".')
    data, metadata = figure_bundle(fig)
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
    assert metadata == {"image/png": {"alt": 'A rising straight line from (0, 0) to (1, 1), "y = x".'}}
    parser = ImageTags()
    parser.feed(data["text/html"])
    assert parser.images == [{"src": "data:image/png;base64," + data["image/png"],
                              "alt": 'A rising straight line from (0, 0) to (1, 1), "y = x".'}]
    assert data["text/plain"] == metadata["image/png"]["alt"]
    with pytest.raises(ValueError):
        describe(fig, "   ")


def test_nbconvert_html_writes_the_alt_text_and_no_placeholder():
    """nbconvert's HTML exporter (lab template) of an output as the kernel sends it: the <img> has the
    figure's alt text, and nbconvert's "No description has been provided" does not appear."""
    from nbconvert import HTMLExporter
    from calckit.figures import describe, figure_bundle
    from matplotlib.figure import Figure
    fig = Figure(figsize=(2, 2))
    fig.subplots().plot([0, 1], [1, 0])
    data, metadata = figure_bundle(describe(fig, "A falling straight line from (0, 1) to (1, 0), for the test."))
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("fig", outputs=[
        nbformat.v4.new_output("display_data", data=data, metadata=metadata)]))
    for template in ("lab", "classic"):
        page, _ = HTMLExporter(template_name=template).from_notebook_node(nb)
        parser = ImageTags()
        parser.feed(page)
        figures = [image for image in parser.images if image.get("src", "").startswith("data:image/png")]
        assert [image.get("alt") for image in figures] == [
            "A falling straight line from (0, 1) to (1, 0), for the test."], template
        assert "No description has been provided" not in page


# --- the inline backend's settings, one display per figure, and why the image is sent twice --------

def png_size(encoded):
    """(width, height) in pixels, read from a base64 PNG's IHDR chunk."""
    import base64
    import struct
    raw = base64.b64decode(encoded)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[12:16] == b"IHDR"
    return struct.unpack(">II", raw[16:24])


def one_img(html_text):
    parser = ImageTags()
    parser.feed(html_text)
    assert len(parser.images) == 1, html_text[:200]
    return parser.images[0]


def square_figure():
    from matplotlib.figure import Figure
    fig = Figure(figsize=(2, 2), dpi=100)         # 200 x 200 pixels without a tight bounding box
    fig.subplots().plot([0, 1], [0, 1])
    return fig


ALT = 'A rising straight line from (0, 0) to (1, 1) & "y = x", for the format tests.'


def test_inline_settings_come_from_the_shells_inline_backend(monkeypatch):
    """%config InlineBackend.figure_formats / .print_figure_kwargs (the singleton the inline backend
    creates), or the shell's configuration before it exists; png with bbox_inches='tight' (the
    defaults of matplotlib-inline) without a shell."""
    import IPython
    from matplotlib_inline.config import InlineBackend, InlineBackendConfig
    from traitlets.config import Config, Configurable
    from calckit.figures import inline_settings
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert inline_settings() == ({"png"}, {"bbox_inches": "tight"})
    for singleton in (InlineBackend, InlineBackendConfig):     # none yet here; any other put back afterwards
        monkeypatch.setattr(singleton, "_instance", None)
    assert not InlineBackend.initialized()
    shell = Configurable(config=Config({"InlineBackend": {"figure_formats": {"svg"},
                                                          "print_figure_kwargs": {"bbox_inches": None}}}))
    assert inline_settings(shell) == ({"svg"}, {"bbox_inches": None})
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    backend = InlineBackend.instance()
    backend.figure_formats = {"retina"}                           # what %config does
    backend.print_figure_kwargs = {"bbox_inches": None, "dpi": 50}
    assert inline_settings() == ({"retina"}, {"bbox_inches": None, "dpi": 50})


def test_figure_bundle_png_follows_print_figure_kwargs():
    from calckit.figures import describe, figure_bundle
    fig = describe(square_figure(), ALT)
    loose, _ = figure_bundle(fig, {"png"}, {"bbox_inches": None})
    assert png_size(loose["image/png"]) == (200, 200)
    tight, metadata = figure_bundle(fig, {"png"}, {"bbox_inches": "tight"})
    assert png_size(tight["image/png"]) != (200, 200)            # cropped to the drawing
    assert one_img(tight["text/html"]) == {"src": "data:image/png;base64," + tight["image/png"], "alt": ALT}
    half, _ = figure_bundle(fig, {"png"}, {"bbox_inches": None, "dpi": 50})
    assert png_size(half["image/png"]) == (100, 100)
    assert metadata == {"image/png": {"alt": ALT}}


def test_figure_bundle_retina_doubles_the_pixels_and_keeps_the_size():
    from calckit.figures import describe, figure_bundle
    data, metadata = figure_bundle(describe(square_figure(), ALT), {"retina"}, {"bbox_inches": None})
    assert png_size(data["image/png"]) == (400, 400)
    assert metadata == {"image/png": {"alt": ALT, "width": 200, "height": 200}}
    assert one_img(data["text/html"]) == {"src": "data:image/png;base64," + data["image/png"], "alt": ALT,
                                          "width": "200", "height": "200"}
    both, _ = figure_bundle(describe(square_figure(), ALT), {"png", "retina"}, {"bbox_inches": None})
    assert png_size(both["image/png"]) == (400, 400)              # as in IPython: the retina PNG wins


def test_figure_bundle_svg_carries_the_alt_inside_and_in_the_html():
    """SVG: the HTML is an <img> of the SVG as a data URI with the alt text; the SVG itself names
    itself too (role="img", aria-label and a <title> first), for a front end that inlines it."""
    import base64
    import xml.etree.ElementTree as ET
    from calckit.figures import describe, figure_bundle
    data, metadata = figure_bundle(describe(square_figure(), ALT), {"svg"}, {"bbox_inches": "tight"})
    assert set(data) == {"image/svg+xml", "text/html", "text/plain"} and metadata == {"image/svg+xml": {"alt": ALT}}
    root = ET.fromstring(data["image/svg+xml"].encode("utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img" and root.get("aria-label") == ALT
    assert root[0].tag == "{http://www.w3.org/2000/svg}title" and root[0].text == ALT
    assert root.find(".//{http://www.w3.org/2000/svg}path") is not None     # still the drawing
    image = one_img(data["text/html"])
    assert image["alt"] == ALT and image["src"].startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(image["src"].split(",", 1)[1]).decode("utf-8") == data["image/svg+xml"]
    assert data["text/plain"] == ALT


@pytest.mark.parametrize("formats, images, shown", [
    ({"jpeg"}, {"image/jpeg"}, "image/jpeg"),
    ({"pdf"}, {"application/pdf", "image/png"}, "image/png"),      # a PDF cannot be an <img>: a PNG for it
    ({"png", "svg"}, {"image/png", "image/svg+xml"}, "image/svg+xml"),
    ({"png", "pdf"}, {"image/png", "application/pdf"}, "image/png"),
])
def test_figure_bundle_other_formats_keep_the_alt(formats, images, shown):
    import base64
    from calckit.figures import describe, figure_bundle
    data, metadata = figure_bundle(describe(square_figure(), ALT), formats, {"bbox_inches": "tight"})
    assert set(data) == images | {"text/html", "text/plain"}
    assert metadata == {mime: {"alt": ALT} for mime in images}
    image = one_img(data["text/html"])
    assert image["alt"] == ALT and image["src"].startswith(f"data:{shown};base64,")
    if shown != "image/svg+xml":
        assert image["src"].split(",", 1)[1] == data[shown]
    if "application/pdf" in data:
        assert base64.b64decode(data["application/pdf"]).startswith(b"%PDF")
    if "image/jpeg" in data:
        assert base64.b64decode(data["image/jpeg"]).startswith(b"\xff\xd8")


def test_an_undescribed_figure_is_a_plain_image_in_the_chosen_formats():
    from calckit.figures import figure_bundle
    data, metadata = figure_bundle(square_figure(), {"svg", "retina"}, {"bbox_inches": None})
    assert set(data) == {"image/svg+xml", "image/png", "text/plain"}
    assert metadata == {"image/png": {"width": 200, "height": 200}}
    assert "<title>" not in data["image/svg+xml"]
    with pytest.raises(ValueError):
        figure_bundle(square_figure(), {"gif"}, {})


KERNEL_CELLS = [
    "import matplotlib.pyplot as plt\nfrom calckit import describe",
    # 1: a pyplot figure, the cell ending in describe(...): shown once, not again by pyplot's flush
    "fig, ax = plt.subplots(figsize=(2, 2))\nax.plot([0, 1], [0, 1])\n"
    "describe(fig, 'Kernel figure one, a rising line, as the value of the cell.')",
    # 2: the same with plt.show()
    "fig, ax = plt.subplots(figsize=(2, 2))\nax.plot([0, 1], [1, 0])\n"
    "describe(fig, 'Kernel figure two, a falling line, shown by plt.show().')\nplt.show()",
    # 3: two figures; the described one is the value, the other is left for the flush: each once
    "a, ax = plt.subplots(figsize=(2, 2))\nax.plot([0, 1], [0, 1])\n"
    "b, bx = plt.subplots(figsize=(2, 2))\nbx.plot([0, 1], [1, 1])\n"
    "describe(a, 'Kernel figure three, described; its neighbour is not.')",
    # 4: the figure formats and print_figure kwargs set with %config
    "%config InlineBackend.figure_formats = ['svg']\nfig, ax = plt.subplots(figsize=(2, 2))\n"
    "ax.plot([0, 1], [0, 2])\ndescribe(fig, 'Kernel figure four, drawn as SVG after the config magic.')",
    "%config InlineBackend.figure_formats = ['retina']\n%config InlineBackend.print_figure_kwargs = {'bbox_inches': None}\n"
    "fig, ax = plt.subplots(figsize=(2, 2))\nax.plot([0, 1], [2, 0])\n"
    "describe(fig, 'Kernel figure five, a retina PNG without a tight bounding box.')",
    # 6: figures kept open between cells (close_figures = False): still shown once, and still open
    "%config InlineBackend.close_figures = False\n%config InlineBackend.figure_formats = ['png']\n"
    "fig, ax = plt.subplots(figsize=(2, 2))\nax.plot([0, 1], [1, 2])\n"
    "describe(fig, 'Kernel figure six, with figures kept open between cells.')",
    "print(plt.fignum_exists(fig.number))",
]


@pytest.fixture(scope="module")
def kernel_outputs():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in KERNEL_CELLS])
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=300).execute()
    return [[o for o in cell.outputs if o["output_type"] in ("display_data", "execute_result")] for cell in nb.cells], \
        ["".join(o.get("text", "") for o in cell.outputs if o["output_type"] == "stream") for cell in nb.cells]


def test_a_pyplot_figure_ending_a_cell_is_shown_once(kernel_outputs):
    """In a kernel, with pyplot's inline backend: a figure that is the cell's value (describe returns
    it), or shown with plt.show(), appears once; an undescribed neighbour is still shown by pyplot's
    flush, once; with close_figures = False the figure is shown once and stays open."""
    figures, printed = kernel_outputs
    alts = [[o.get("metadata", {}).get("image/png", {}).get("alt") for o in outputs] for outputs in figures]
    assert alts[1] == ["Kernel figure one, a rising line, as the value of the cell."]
    assert alts[2] == ["Kernel figure two, a falling line, shown by plt.show()."]
    assert alts[3] == ["Kernel figure three, described; its neighbour is not.", None]
    assert set(figures[3][1]["data"]) == {"image/png", "text/plain"}
    assert alts[6] == ["Kernel figure six, with figures kept open between cells."]
    assert printed[7].strip() == "True"


def test_a_kernel_honours_the_inline_backends_formats_and_kwargs(kernel_outputs):
    import base64
    figures, _ = kernel_outputs
    [svg] = figures[4]
    assert set(svg["data"]) == {"image/svg+xml", "text/html", "text/plain"}
    assert svg["metadata"] == {"image/svg+xml": {"alt": "Kernel figure four, drawn as SVG after the config magic."}}
    image = one_img(svg["data"]["text/html"])
    assert image["alt"] == "Kernel figure four, drawn as SVG after the config magic."
    assert base64.b64decode(image["src"].split(",", 1)[1]).decode() == svg["data"]["image/svg+xml"]
    [retina] = figures[5]
    assert png_size(retina["data"]["image/png"]) == (400, 400)        # 2 x 2 inches, 100 dpi, doubled, not cropped
    assert retina["metadata"]["image/png"] == {"alt": "Kernel figure five, a retina PNG without a tight bounding box.",
                                               "width": 200, "height": 200}
    assert one_img(retina["data"]["text/html"])["src"] == "data:image/png;base64," + retina["data"]["image/png"]


def test_both_copies_of_the_image_are_needed():
    """Why a figure's PNG is sent twice (as image/png and inside text/html): nbconvert's LaTeX (PDF)
    export takes only the PNG (without it the figure is lost, its alt printed as text), while
    JupyterLab and nbconvert's HTML take the HTML, the only one of the two that carries the alt text
    into the page (JupyterLab's image renderer writes no alt; see the module's docstring)."""
    from nbconvert import HTMLExporter, LatexExporter
    from calckit.figures import describe, figure_bundle
    data, metadata = figure_bundle(describe(square_figure(), ALT), {"png"}, {"bbox_inches": "tight"})

    def export(exporter, bundle):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("fig", outputs=[
            nbformat.v4.new_output("display_data", data=bundle, metadata=metadata)])])
        return exporter.from_notebook_node(nb)

    _, resources = export(LatexExporter(), data)
    assert [name for name in resources["outputs"] if name.endswith(".png")]
    _, resources = export(LatexExporter(), {k: v for k, v in data.items() if k != "image/png"})
    assert not [name for name in resources["outputs"] if name.endswith(".png")]
    page, _ = export(HTMLExporter(template_name="lab"), {k: v for k, v in data.items() if k != "text/html"})
    parser = ImageTags()
    parser.feed(page)
    assert [image.get("alt") for image in parser.images if image.get("src", "").startswith("data:image/png")] \
        != [ALT]                                 # without the HTML, the lab template loses the alt text


# --- the lectures' alt texts say the numbers their cells compute, not copies typed in ---------------

COMPUTED_IN_ALT = {   # (lecture, cell id): the variables the alt text's numbers are formatted from
    ("week2_multivariate_calculus/03_the_hessian.ipynb", "f3fea16a"): {"grid", "eig_at_origin"},
    ("week2_multivariate_calculus/04_the_sandpit.ipynb", "8b9e7c10"): {"arrow_game", "axis", "arrow_path"},
    ("week3_chain_rule_and_neural_networks/01_the_multivariate_chain_rule.ipynb", "b5c0521a"): {"widths"},
    ("week3_chain_rule_and_neural_networks/02_neural_networks_and_backpropagation.ipynb", "5ac5254f"):
        {"grid", "neuron_params"},
    ("week3_chain_rule_and_neural_networks/03_training_a_network.ipynb", "95945fb9"): {"Y", "snapshots", "costs"},
    ("week3_chain_rule_and_neural_networks/03_training_a_network.ipynb", "19910a06"): {"curves", "learning_rates"},
    ("week4_taylor_series/01_taylor_series.ipynb", "0bdb47a4"): {"styles"},
    ("week4_taylor_series/02_how_wrong_is_a_truncated_series.ipynb", "4a56bac2"): {"ns", "x_shown", "dip_n"},
    ("week4_taylor_series/02_how_wrong_is_a_truncated_series.ipynb", "6ec5d407"): {"degrees", "fitted_slopes"},
    ("week4_taylor_series/02_how_wrong_is_a_truncated_series.ipynb", "8ca791f3"): {"dxs", "slope_text"},
    ("week4_taylor_series/03_linearisation_and_the_multivariate_series.ipynb", "6644ba58"):
        {"p0", "r", "slope_plane", "slope_quad"},
    ("week4_taylor_series/03_linearisation_and_the_multivariate_series.ipynb", "2e07d23d"): {"shrink"},
    ("week5_optimisation/03_sandpit_strategies.ipynb", "3633a48f"): {"results"},
    ("week6_regression/01_chi_squared_and_linear_regression.ipynb", "ecd8c8f5"): {"mass", "sigma", "residual_spread"},
    ("week6_regression/02_nonlinear_least_squares.ipynb", "3e8949b8"): {"flipper", "mu_fit", "sig_fit", "pulls"},
}


def alt_text_names(source):
    """The names used inside the f-string fields of each describe(fig, ...) call's text."""
    import ast
    tree = ast.parse("\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "describe" and len(node.args) == 2:
            found.append({name.id for field in ast.walk(node.args[1]) if isinstance(field, ast.FormattedValue)
                          for name in ast.walk(field.value) if isinstance(name, ast.Name)})
    return found


def test_the_check_of_computed_numbers_can_fail():
    assert alt_text_names('describe(fig, "falls to 1e-8 at h = 1e-5")') == [set()]
    assert alt_text_names('describe(fig, f"falls to {err.min():.0e} at h = {hs[k]:.0e}")') == [{"err", "hs", "k"}]


@pytest.mark.parametrize("lecture, cell_id", sorted(COMPUTED_IN_ALT), ids=[f"{n.split('/')[1][:24]}-{c}" for n, c in
                                                                          sorted(COMPUTED_IN_ALT)])
def test_alt_text_numbers_are_formatted_from_the_cells_variables(lecture, cell_id):
    """These alt texts once held numbers typed in (right at the time, e.g. "342 penguins", "slopes 2 and
    3"): now each is formatted from what the cell computes, so the text follows the figure."""
    path = Path(__file__).resolve().parent.parent / "course" / lecture
    [cell] = [c for c in read_notebook(path).cells if c.get("id") == cell_id]
    [names] = alt_text_names(cell.source)
    assert COMPUTED_IN_ALT[lecture, cell_id] <= names, (lecture, cell_id, sorted(names))
