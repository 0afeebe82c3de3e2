"""Accessibility of the lectures in JupyterLab, as a screen-reader or keyboard user meets them.

Each lecture is opened in JupyterLab (the server and browser of test_browser.py), run, and scanned
with axe-core (the copy bundled by axe-playwright-python). Serious and critical violations whose
elements lie in the course's own content (rendered Markdown, cell outputs and widgets) fail the
test; JupyterLab's own (its editors, toolbars, cell list) are printed and recorded, not failed: they
are not the course's to fix. Formulas must reach the accessibility tree as MathML.

Then, per widget, what Chromium's accessibility tree (the one a screen reader reads, through the
DevTools protocol) says: every slider is named by its visible description, every button and image
has a name, a toggle tells whether it is pressed; and every slider announces (aria-valuetext) the
value its readout shows. From the keyboard alone: a focused slider shows an outline and an arrow
key moves it; Space and Enter press the buttons and the widget acts; a plot is named by its alt
text, never a hover title. The lectures start one ahead (see Lectures), so the twenty take about
six minutes on one server.

ipywidgets' front end alone fails most of this (no slider is linked to its label, the announced
values are raw floats or a log slider's exponent, Play's buttons are bare icons, a toggle has no
pressed state, no focused control shows an outline, a plot's description is a hover title; and
MathJax's hidden MathML makes some Markdown cells scroll sideways): scripts/lab.py serves the course's small
JupyterLab extension, scripts/labextensions/mvcalc-widget-a11y, that adds them. The last test
checks the kernel side, headless: every calckit widget's plot has a text alternative and every
control a label.
"""
import json
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import COURSE_NOTEBOOKS
from test_browser import (  # noqa: F401  (lab and browser are fixtures)
    CHROMIUM, ERROR, SHOTS, browser, lab, open_page, run_all)

LECTURES = COURSE_NOTEBOOKS           # every lecture: its rendered Markdown, outputs and widgets
WIDGET_LECTURES = {p for p in LECTURES if re.search(r"_explorer\(|sandpit_game\(", p.read_text())}
COURSE = ".jp-OutputArea"             # cell outputs: printed results, figures, widgets
MARKDOWN = ".jp-MarkdownOutput"       # rendered Markdown cells: the lecture's text and formulas
OURS = ("widget", "output", "markdown")   # where a violation is the course's, not JupyterLab's
WIDGETS = ".jupyter-widgets, [class*='widget-']"
WIDGET_OUTPUT = ".jp-OutputArea-output:has(> .jupyter-widgets)"   # an output that shows a widget
SERIOUS = ("serious", "critical")

IN_BROWSER = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the Debian package chromium")]

SCAN = """async ([course, widgets, markdown]) => {
    const results = await axe.run(document, {resultTypes: ['violations']});
    const where = target => {
        const selector = target[target.length - 1];
        const node = typeof selector === 'string' ? document.querySelector(selector) : null;
        if (node === null) return 'unknown';
        if (node.closest(widgets) && node.closest(course)) return 'widget';
        if (node.closest(course)) return 'output';
        if (node.closest(markdown)) return 'markdown';
        return 'jupyterlab';
    };
    return results.violations.flatMap(v => v.nodes.map(n => ({
        rule: v.id, impact: n.impact || v.impact, where: where(n.target),
        target: n.target.join(' >>> '), html: n.html.slice(0, 160)})));
}"""


def axe_scan(page):
    """Every node axe-core finds in violation, each with its rule, impact and where it lies."""
    import axe_playwright_python
    page.evaluate((Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text())
    return page.evaluate(SCAN, [COURSE, WIDGETS, MARKDOWN])


def tally(nodes):
    """{rule: count} of serious and critical nodes."""
    counts = {}
    for node in nodes:
        if node["impact"] in SERIOUS:
            counts[node["rule"]] = counts.get(node["rule"], 0) + 1
    return dict(sorted(counts.items()))


class AccessibilityTree:
    """What Chromium exposes to assistive technology for one element (DevTools protocol)."""

    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Accessibility.enable")

    def node(self, locator):
        locator.evaluate("el => el.setAttribute('data-a11y-probe', '1')")
        try:
            found = self.cdp.send("Runtime.evaluate", {"expression": "document.querySelector('[data-a11y-probe]')"})
            ax = self.cdp.send("Accessibility.getPartialAXTree",
                               {"objectId": found["result"]["objectId"], "fetchRelatives": False})
        finally:
            locator.evaluate("el => el.removeAttribute('data-a11y-probe')")
        node = next(n for n in ax["nodes"] if not n.get("ignored"))
        value = lambda key: str(node.get(key, {}).get("value", "")).strip()
        properties = {p["name"]: p["value"].get("value") for p in node.get("properties", [])}
        return {"role": value("role"), "name": value("name"), "value": value("value"), **properties}


def announced_value(handle):
    """The value a screen reader reads for a slider: aria-valuetext, else aria-valuenow (WAI-ARIA 1.2,
    aria-valuetext). Read from the DOM: Chromium's DevTools accessibility tree leaves valuetext empty
    for every slider, even a native <input type=range>, so it cannot tell."""
    return handle.evaluate("h => (h.getAttribute('aria-valuetext') ?? h.getAttribute('aria-valuenow') ?? '').trim()")


def start_lecture(browser, lab, notebook):
    """Open the lecture in JupyterLab and ask it to Run All (without waiting for the cells)."""
    page = open_page(browser, lab, f"lab/tree/course/{notebook.parent.name}/{notebook.name}?reset")
    run_all(page)
    return page


def wait_until_drawn(page, widgets):
    """Every cell ran (or one failed: then the test fails here), every formula is typeset and, in a
    lecture with widgets, every widget is drawn."""
    page.wait_for_function(f"""() => document.querySelector("{ERROR}") !== null
        || [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].every(p => /\\[\\d+\\]/.test(p.textContent))""",
                           timeout=300_000)
    assert page.locator(ERROR).count() == 0, page.locator(ERROR).first.inner_text()[:500]
    page.wait_for_function(f"""() => {{
        return (!{str(widgets).lower()} || document.querySelectorAll("{WIDGET_OUTPUT}").length > 0)
            && document.querySelectorAll('.jp-MarkdownOutput mjx-container').length > 0
            && [...document.querySelectorAll('.jp-OutputArea-output')].every(o => o.childElementCount > 0)
            && [...document.querySelectorAll('img.widget-image')].every(i => i.complete && i.naturalWidth > 0)
            && [...document.querySelectorAll('.widget-slider')].every(s => s.querySelector('[role=slider]'));
    }}""", timeout=120_000)
    assert page.locator(ERROR).count() == 0, page.locator(ERROR).first.inner_text()[:500]
    return page


class Lectures:
    """The lectures in test order, each started while the one before it is checked: a JupyterLab
    page takes ~10 s to start and its cells as long again, so one running in the background
    while another is scanned and pressed saves most of that (the server stays one)."""

    def __init__(self, browser, lab, order):
        self.browser, self.lab, self.order, self.started = browser, lab, order, {}

    def _start(self, notebook):
        if notebook not in self.started:
            self.started[notebook] = start_lecture(self.browser, self.lab, notebook)

    def open(self, notebook):
        self._start(notebook)
        later = self.order[self.order.index(notebook) + 1:] if notebook in self.order else []
        if later:
            self._start(later[0])
        return wait_until_drawn(self.started.pop(notebook), widgets=notebook in WIDGET_LECTURES)

    def close(self):
        for page in self.started.values():
            page.close()


@pytest.fixture(scope="module")
def lectures(request, lab, browser):
    order = [item.callspec.params["notebook"] for item in request.session.items
             # the session also holds nbval's lecture cells (no originalname) when make test runs both
             if getattr(item, "originalname", None) == "test_lecture_is_accessible"
             and hasattr(item, "callspec")]
    started = Lectures(browser, lab, order)
    yield started
    started.close()


def slider_moves_from_the_keyboard(page, tree, slider, name):
    """Focus the handle (as Tab would), press an arrow: the readout changes, the announced value
    follows it, and the focused handle shows an outline."""
    handle, readout = slider.locator("[role=slider]"), slider.locator(".widget-readout")
    before = readout.inner_text()
    at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    handle.focus()
    page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
    page.wait_for_function("([el, before]) => el.innerText !== before", arg=[readout.element_handle(), before],
                           timeout=10_000)
    after = readout.inner_text().strip()
    assert announced_value(handle) == after, f"{name}: after the key the slider announces " \
        f"{announced_value(handle)!r}, its readout shows {after!r}"
    outline = handle.evaluate("""h => { const s = getComputedStyle(h);
        return {focused: document.activeElement === h, style: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }""")
    assert outline["focused"] and outline["style"] != "none" and outline["width"] >= 2, \
        f"{name}: the focused slider handle shows no visible outline: {outline}"


# Lectures whose widgets describe the plot's state (where the point, path or arrow is), so their text
# must change when a key moves a slider or presses a button (calckit: alt given as a function).
# (The sandpit's and the training widget's are checked as their buttons are pressed.)
LIVE_DESCRIPTIONS = {"03_numerical_derivatives", "01_partial_derivatives_and_the_gradient", "02_the_jacobian_matrix",
                     "02_neural_networks_and_backpropagation", "01_newton_raphson", "02_gradient_descent_and_newton", "04_lagrange_multipliers",
                     "02_nonlinear_least_squares", "03_fitting_in_a_few_lines"}


PLOTS = f"{WIDGET_OUTPUT} img.widget-image"


def plot_descriptions(page):
    return page.locator(PLOTS).evaluate_all("images => images.map(i => i.alt)")


def descriptions_change(page, before, timeout=30_000):
    """Whether the plots' descriptions differ from `before` within `timeout` ms (the kernel's redraw
    arrives after the front end has already moved the slider)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        page.wait_for_function("""([selector, before]) => JSON.stringify([...document.querySelectorAll(selector)]
            .map(i => i.alt)) !== JSON.stringify(before)""", arg=[PLOTS, before], timeout=timeout)
        return True
    except PlaywrightTimeout:
        return False


def plots_are_described_by_alt_not_title(page, tree, name):
    """A widget's plot is named by an alt attribute (its description, which the kernel updates with
    the plot); no title is left to show the description as a hover tip over the plot."""
    plots = page.locator(PLOTS)
    for index in range(plots.count()):
        plot = plots.nth(index)
        for _ in range(100):    # the kernel's redraw after a key may still be arriving: compare a settled plot
            alt, title = plot.get_attribute("alt"), plot.get_attribute("title")
            announced = tree.node(plot)["name"]
            if plot.get_attribute("alt") == alt:
                break
            page.wait_for_timeout(300)
        assert alt and len(alt.split()) >= 8, f"{name}: a widget's plot has no alt text: {alt!r}"
        assert title is None, f"{name}: a widget's plot keeps a title (a hover tip over the plot): {title[:80]!r}"
        assert announced == " ".join(alt.split()), \
            f"{name}: the plot is announced as {announced[:80]!r}, not by its alt {alt[:80]!r}"


def formulas_are_read_as_math(page, tree, name):
    """The Markdown's formulas reach a screen reader as MathML (MathJax's assistive copy, which the
    course's extension keeps inside its formula's box so that no cell becomes a scrollable region)."""
    formulas = page.locator(f"{MARKDOWN} mjx-container")
    if formulas.count() == 0:
        return
    copy = formulas.first.locator("mjx-assistive-mml > math")
    assert copy.count() == 1, f"{name}: a formula has no MathML copy for screen readers"
    assert tree.node(copy)["role"] in ("math", "MathMLMath"), f"{name}: a formula's MathML is exposed as {tree.node(copy)}"
    overflowing = page.evaluate(f"""() => [...document.querySelectorAll("{MARKDOWN}")].filter(
        e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 60))""")
    assert not overflowing, f"{name}: Markdown cells wider than the page (a region to scroll): {overflowing}"


def press(page, locator, key):
    locator.focus()
    page.keyboard.press(key)


def wait_for_text(page, locator, pattern, timeout=20_000):
    page.wait_for_function("([el, pattern]) => new RegExp(pattern).test(el.innerText)",
                           arg=[locator.element_handle(), pattern], timeout=timeout)
    return locator.inner_text()


def buttons_work_from_the_keyboard(page, tree, notebook):
    """The lectures whose widgets have buttons: each pressed with Space or Enter does its job."""
    box = page.locator(f"{WIDGET_OUTPUT}:has(.widget-button, .widget-play)").first
    if notebook.name == "04_the_sandpit.ipynb":
        readout = box.locator(".widget-html").last
        image = box.locator("img.widget-image").first
        for label, value in (("x", "1.5"), ("y", "-2")):
            field = box.get_by_role("spinbutton", name=label, exact=True)
            field.focus()
            page.keyboard.press("Control+a")
            page.keyboard.type(value)
            page.keyboard.press("Tab")
        unprobed = plot_descriptions(page)
        press(page, box.get_by_role("button", name="Probe", exact=True), "Enter")
        wait_for_text(page, readout, r"probe 1 at \(1\.500, -2\.000\)")
        assert descriptions_change(page, unprobed), f"the sand was probed, its description still says {unprobed}"
        toggle = box.locator(".widget-toggle-button")
        assert tree.node(toggle)["pressed"] == "false", tree.node(toggle)
        src = image.get_attribute("src")
        press(page, toggle, "Space")
        page.wait_for_function("([img, src]) => img.getAttribute('src') !== src", arg=[image.element_handle(), src],
                               timeout=15_000)
        assert tree.node(toggle)["pressed"] == "true", f"the pressed toggle is announced as {tree.node(toggle)}"
        press(page, box.get_by_role("button", name="New game", exact=True), "Enter")
        wait_for_text(page, readout, r"^new game: \w+, seed \d+\.[^]*probes used: 0")
        page.wait_for_function("t => t.getAttribute('aria-pressed') === 'false'", arg=toggle.element_handle(),
                               timeout=15_000)
        assert tree.node(toggle)["pressed"] == "false", "a new game hides the landscape: the toggle says so"
        return ["Probe (Enter)", "Reveal the landscape (Space)", "New game (Enter)"]
    if notebook.name == "03_training_a_network.ipynb":
        readout = box.locator(".widget-html").last
        steps = lambda: int(re.search(r"after (\d+) steps", readout.inner_text()).group(1))
        play = box.locator(".widget-play button").first
        assert steps() == 0 and tree.node(play)["name"] == "Play", tree.node(play)
        press(page, play, "Space")
        wait_for_text(page, readout, r"after [1-9]\d* steps")
        assert tree.node(play)["name"] == "Pause", f"the playing button is announced as {tree.node(play)}"
        press(page, play, "Space")
        page.wait_for_function("b => b.getAttribute('aria-label') === 'Play'", arg=play.element_handle(),
                               timeout=15_000)
        page.wait_for_timeout(500)      # a tick already on its way may still land
        paused, described = steps(), plot_descriptions(page)
        press(page, box.get_by_role("button", name="20 steps", exact=True), "Enter")
        wait_for_text(page, readout, rf"after {paused + 20} steps")
        assert descriptions_change(page, described), f"20 more steps, the description still says {described}"
        press(page, box.get_by_role("button", name="Reset", exact=True), "Enter")
        wait_for_text(page, readout, r"after 0 steps")
        return ["Play/Pause (Space)", "20 steps (Enter)", "Reset (Enter)"]
    return []


@pytest.mark.parametrize("notebook", [pytest.param(p, marks=IN_BROWSER) for p in LECTURES],
                         ids=[f"{p.parent.name[:5]}-{p.stem}" for p in LECTURES])
def test_lecture_is_accessible(lectures, notebook, record_property):
    name = f"{notebook.parent.name}/{notebook.name}"
    page = lectures.open(notebook)
    nodes = axe_scan(page)
    course = [n for n in nodes if n["where"] in OURS]
    others = [n for n in nodes if n["where"] not in OURS]
    record_property("axe_course_serious", json.dumps(tally(course)))
    record_property("axe_jupyterlab_serious", json.dumps(tally(others)))
    print(f"\n{name}: axe serious/critical in the course's content {tally(course)} (Markdown "
          f"{tally([n for n in course if n['where'] == 'markdown'])}); not failed: JupyterLab's own {tally(others)}")
    for rule in tally(others):
        first = next(n for n in others if n["rule"] == rule and n["impact"] in SERIOUS)
        print(f"  {rule} ({first['impact']}, {first['where']}), e.g. {first['target'][-110:]}")

    tree = AccessibilityTree(page)
    outputs = page.locator(WIDGET_OUTPUT)
    if notebook in WIDGET_LECTURES:
        assert outputs.count() > 0, f"{name} calls a widget but none is shown"
    sliders = page.locator(f"{WIDGET_OUTPUT} .widget-slider")
    checked = []
    for index in range(sliders.count()):
        slider = sliders.nth(index)
        description = slider.locator(":scope > .widget-label").inner_text().strip()
        handle = slider.locator("[role=slider]")
        ax = tree.node(handle)
        assert description and ax["name"] == description, \
            f"{name}: the slider labelled {description!r} is announced as {ax['name']!r}"
        shown = slider.locator(".widget-readout").inner_text().strip()
        assert announced_value(handle) == shown, \
            f"{name}: slider {description!r} shows {shown!r} but announces {announced_value(handle)!r}"
        checked.append(description)
    for index in range(outputs.locator("button").count()):
        button = outputs.locator("button").nth(index)
        if button.is_visible():
            assert tree.node(button)["name"], f"{name}: a button has no name: {button.evaluate('b => b.outerHTML')}"
    for index in range(outputs.locator(".widget-toggle-button").count()):
        toggle = outputs.locator(".widget-toggle-button").nth(index)
        pressed = "true" if "mod-active" in toggle.get_attribute("class") else "false"
        assert tree.node(toggle).get("pressed") == pressed, f"{name}: a toggle does not announce its state"
    for index in range(outputs.locator("img").count()):
        image = outputs.locator("img").nth(index)
        assert tree.node(image)["name"], f"{name}: an image has no text alternative"
    plots_are_described_by_alt_not_title(page, tree, name)
    formulas_are_read_as_math(page, tree, name)

    described = plot_descriptions(page)
    for index in range(sliders.count()):
        slider_moves_from_the_keyboard(page, tree, sliders.nth(index), f"{name}: slider {checked[index]!r}")
    pressed = buttons_work_from_the_keyboard(page, tree, notebook)
    plots_are_described_by_alt_not_title(page, tree, name)      # and still, after the plots changed
    if notebook.stem in LIVE_DESCRIPTIONS:
        assert descriptions_change(page, described), \
            f"{name}: the plots changed under the keys, their descriptions did not: {described}"
    print(f"{name}: sliders {checked} named, valued and moved by keys; buttons pressed by keys: {pressed}")
    page.screenshot(path=SHOTS / f"a11y-{notebook.stem}.png")

    serious = [n for n in course if n["impact"] in SERIOUS]
    assert not serious, f"{name}: axe-core finds serious/critical violations in the course's content " \
        f"{tally(course)}:\n" + "\n".join(f"  {n['rule']} ({n['impact']}) {n['target']}: {n['html']}" for n in serious)
    assert page.locator(ERROR).count() == 0
    page.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the Debian package chromium")
def test_the_extension_names_a_slider_without_a_description_and_a_read_only_readout(lab, browser):
    """What no lecture has, but a student's or a future lecture's widget may: a slider whose only
    name is its tooltip (Chromium already found it through the hidden label's title; the extension
    now names it directly), and a slider disabled after it is drawn, whose readout can no longer be
    typed in, so is no longer a textbox (the extension's first version kept the role)."""
    import nbformat
    probe = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("A probe for $h$."),
        nbformat.v4.new_code_cell("import ipywidgets as w\n"
                                  "unnamed = w.FloatSlider(description='', tooltip='step size h')\n"
                                  "later_disabled = w.FloatSlider(value=0.5, description='x0')\n"
                                  "w.VBox([unnamed, later_disabled])"),
        nbformat.v4.new_code_cell("import time; time.sleep(2)\nlater_disabled.disabled = True")])
    notebook = Path(lab["root"]) / "course" / "probe" / "a11y_probe.ipynb"
    notebook.parent.mkdir()
    nbformat.write(probe, notebook)
    page = wait_until_drawn(start_lecture(browser, lab, notebook), widgets=True)
    tree = AccessibilityTree(page)
    unnamed, disabled = (page.locator(f"{WIDGET_OUTPUT} .widget-slider").nth(i) for i in (0, 1))
    assert tree.node(unnamed.locator("[role=slider]"))["name"] == "step size h", tree.node(unnamed.locator("[role=slider]"))
    enabled_readout = unnamed.locator(".widget-readout")
    assert enabled_readout.get_attribute("role") == "textbox" and tree.node(enabled_readout)["name"] == "step size h"
    assert tree.node(disabled.locator("[role=slider]"))["name"] == "x0"
    readout = disabled.locator(".widget-readout")
    page.wait_for_function("r => r.getAttribute('contenteditable') === 'false'", arg=readout.element_handle(),
                           timeout=60_000)
    page.wait_for_timeout(200)          # our observer's turn after the widget's own change
    assert readout.get_attribute("role") != "textbox", \
        "a slider disabled after it was drawn cannot be typed in, yet its readout is still announced as a textbox"
    page.close()


def course_widgets():
    """(name, widget) for every widget calckit offers the lectures: each `*_explorer` and `*_game`
    it exports, built with small data where it needs some."""
    import numpy as np

    import calckit
    rng = np.random.default_rng(0)
    x = np.linspace(170, 230, 40)
    centres = np.linspace(201, 235, 18)
    arguments = {
        "line_fit_explorer": (x, 48 * x - 5500 + rng.normal(0, 300, x.size), 300.0),
        "gaussian_fit_explorer": (centres, calckit.gaussian(centres, 218, 7), np.full(centres.size, 0.003),
                                  (200, 236), (1, 30), (206, 9)),
    }
    for name in calckit.__all__:
        if name.endswith(("_explorer", "_game")):
            try:
                yield name, getattr(calckit, name)(*arguments.get(name, ()))
            except TypeError as error:
                pytest.fail(f"calckit.{name} needs arguments this test does not give it: add them ({error})")


def widget_tree(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from widget_tree(child)


def test_every_widget_control_is_named_and_its_value_readable():
    """What the kernel side gives the front end: a name for every control and plot, and a readout
    that tells one slider position from the next in a few characters. (The front end then links
    them: the browser test above, with the course's JupyterLab extension.)"""
    widgets = pytest.importorskip("ipywidgets")
    seen = {"plots": 0, "sliders": 0, "buttons": 0, "toggles": 0, "plays": 0}
    for name, box in course_widgets():
        for widget in widget_tree(box):
            where = f"calckit.{name}: {type(widget).__name__} {getattr(widget, 'description', '')!r}"
            if isinstance(widget, widgets.Image):
                seen["plots"] += 1
                assert widget.tooltip and len(widget.tooltip.split()) >= 8, f"{where}: the plot has no text alternative"
                # without a description in the model, ipywidgets' front end fails on the tooltip
                assert widget.get_state().get("description") == "", f"{where}: the tooltip would break the view"
            elif isinstance(widget, widgets.Play):
                seen["plays"] += 1
                assert widget.tooltip and not widget.description, \
                    f"{where}: Play's group is named by its tooltip, which a description hides"
            elif isinstance(widget, widgets.ToggleButton):
                seen["toggles"] += 1
                assert widget.description and widget.tooltip, f"{where}: a toggle needs a label and a tooltip"
            elif isinstance(widget, widgets.Button):
                seen["buttons"] += 1
                assert widget.description.strip(), f"{where}: a button needs a visible label"
            elif isinstance(widget, (widgets.FloatSlider, widgets.IntSlider, widgets.FloatLogSlider)):
                seen["sliders"] += 1
                assert widget.description.strip() and widget.readout, f"{where}: a slider needs a label and a readout"
                if isinstance(widget, widgets.IntSlider):
                    continue
                fmt = widget.readout_format
                at = widget.value
                step = (widget.base ** (np.log(at) / np.log(widget.base) + widget.step)
                        if isinstance(widget, widgets.FloatLogSlider) else at + widget.step)
                shown, next_shown = format(at, fmt), format(step, fmt)
                assert len(shown) <= 8, f"{where}: the readout {shown!r} is long to read out"
                assert shown != next_shown, f"{where}: one step ({at} to {step}) does not change the readout {shown!r}"
            elif isinstance(widget, widgets.SelectionSlider):
                seen["sliders"] += 1
                assert widget.description.strip(), f"{where}: a slider needs a label"
    assert seen["plots"] >= 14 and seen["sliders"] >= 25 and seen["buttons"] >= 4 and seen["toggles"] == 1 \
        and seen["plays"] == 1, seen
