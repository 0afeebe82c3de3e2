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
