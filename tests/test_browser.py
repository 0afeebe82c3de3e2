"""What a student and an instructor see, in a real browser: JupyterLab started by `make lab`,
driven by Playwright in Debian's Chromium.

JupyterLab serves a scratch copy of course/, source/ and release/ (`make lab LAB_ROOT=...`), so
running the notebooks saves nothing into the repository. Screenshots of each step go to
tests/screenshots/ (git-ignored).
"""
import json
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.request

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:                     # the tests skip without playwright
    PlaywrightTimeout = TimeoutError

from conftest import CHROMIUM, CHROMIUM_FLAGS as FLAGS, COURSE_NOTEBOOKS, REPO, free_port, wait_until_serving

SHOTS = REPO / "tests" / "screenshots"
WIDGET_LECTURES = [p for p in COURSE_NOTEBOOKS if "_explorer(" in p.read_text()]
ERROR = "[data-mime-type='application/vnd.jupyter.stderr']"   # tracebacks and stderr in outputs

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs the Debian package chromium")]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    for folder in ("course", "source", "release"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    shutil.copy(REPO / "nbgrader_config.py", root)  # its course root is the folder it lies in
    # Every cell stays in the page (JupyterLab 4 otherwise detaches cells scrolled out of view).
    settings = root / ".settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port, token = free_port(), secrets.token_hex(16)
    args = f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --IdentityProvider.token={token}"
    log = (root / "lab.log").open("w")
    server = subprocess.Popen(["make", "-s", "lab", f"LAB_ROOT={root}", f"LAB_ARGS={args}"], cwd=REPO,
                              env=dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(root / ".settings")),
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(server, base, token, root / "lab.log", "make lab")
    SHOTS.mkdir(exist_ok=True)
    yield {"base": base, "token": token, "root": root}
    os.killpg(server.pid, 9)
    server.wait()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="needs the Python package playwright")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def start_kernel(lab, notebook):
    """Start the notebook's kernel through the server's REST API before the page opens.

    JupyterLab then joins this session instead of starting a kernel itself: under load its own
    start can time out, and it falls back to a modal "Select Kernel" dialog that blocks every click
    (CI failed on exactly that once)."""
    body = json.dumps({"path": notebook, "name": notebook.rsplit("/", 1)[-1], "type": "notebook",
                       "kernel": {"name": "python3"}}).encode()
    request = urllib.request.Request(f"{lab['base']}/api/sessions?token={lab['token']}", data=body,
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        session = json.load(answer)
    assert session["path"] == notebook and session["kernel"]["name"] == "python3", session


def open_page(browser, lab, path):
    if path.startswith("lab/tree/") and ".ipynb" in path:
        start_kernel(lab, path.removeprefix("lab/tree/").split("?")[0])
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.console_errors = []
    page.on("console", lambda message: page.console_errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{lab['base']}/{path}{'&' if '?' in path else '?'}token={lab['token']}")
    return page


def wait_for_kernel(page):
    """Wait until JupyterLab has joined the notebook's kernel: the toolbar names one and it is idle.

    Before that, every code cell JupyterLab is asked to run finds no kernel ("No Kernel") and asks
    which to start, a dialog per cell, queued (CI failed on that twice under load). The execution
    indicator alone says idle before any kernel is there."""
    page.wait_for_function("""() => {
        const name = document.querySelector('.jp-NotebookPanel-toolbar .jp-KernelName');
        const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
        return name !== null && !['', 'No Kernel'].includes(name.innerText.trim())
            && status !== null && status.dataset.status === 'idle';
    }""", timeout=60_000)


def dismiss_dialogs(page):
    """Close any dialogs JupyterLab left open (each intercepts every click on the page), with
    their Cancel button: accepting a "Select Kernel" dialog would start yet another kernel.
    JupyterLab shows queued dialogs one at a time, so each is closed and waited out in turn."""
    dialogs = page.locator(".jp-Dialog")
    for _ in range(50):
        if dialogs.count() == 0:
            return
        shown = dialogs.first.element_handle(timeout=5_000)
        print(f"dialog: {shown.inner_text()[:120]!r}")
        cancel = shown.query_selector(".jp-mod-reject") or shown.query_selector(".jp-mod-accept")
        cancel.click()
        page.wait_for_function("el => !el.isConnected", arg=shown, timeout=15_000)
    pytest.fail(f"JupyterLab kept opening dialogs: {dialogs.first.inner_text(timeout=5_000)[:300]!r}")


def run_all(page):
    """Run → Run All Cells, asked again if the kernel was still connecting and dropped it."""
    from playwright.sync_api import expect
    wait_for_kernel(page)
    first = page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt").first
    for _ in range(4):
        dismiss_dialogs(page)
        try:
            page.get_by_role("menuitem", name="Run", exact=True).click(timeout=10_000)
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click(timeout=10_000)
        except PlaywrightTimeout:      # a dialog opened in between: close it and ask again
            page.keyboard.press("Escape")
            continue
        try:
            expect(first).to_have_text(re.compile(r"\[(\d+|\*)\]"), timeout=15_000)
            return
        except AssertionError:
            continue
    pytest.fail("Run All Cells did not start the notebook")


def wait_until_every_cell_ran(page, seconds=120):
    page.wait_for_function("""() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
        .every(p => /\\[\\d+\\]/.test(p.textContent))""", timeout=seconds * 1000)


@pytest.mark.parametrize("notebook", WIDGET_LECTURES, ids=[p.name for p in WIDGET_LECTURES])
def test_lecture_widgets_render_and_respond(lab, browser, notebook, record_property):
    name = f"{notebook.parent.name}/{notebook.name}"
    page = open_page(browser, lab, f"lab/tree/course/{name}?reset")
    wait_for_kernel(page)
    start = time.monotonic()
    run_all(page)
    errors = page.locator("[data-mime-type='application/vnd.jupyter.stderr']")
    try:
        page.wait_for_selector(f"img.widget-image, {ERROR}", timeout=60_000)
    except Exception:
        pytest.fail(f"{name}: no widget appeared within 60 s of Run All")
    if errors.count():
        failing_cell = page.locator(".jp-CodeCell").filter(has=page.locator(ERROR)).first
        pytest.fail(f"{name}: the cell `{failing_cell.locator('.jp-InputArea-editor').inner_text()[:200]}` "
                    f"shows an error instead of its widget: {errors.first.inner_text()[-600:]}")
    first_widget = time.monotonic() - start
    record_property("seconds_to_first_widget", round(first_widget, 2))
    print(f"{name}: first widget {first_widget:.2f} s after Run All")
    wait_until_every_cell_ran(page)
    page.screenshot(path=SHOTS / f"{notebook.stem}-run-all.png", full_page=True)
    assert errors.count() == 0, f"{name}: an output shows an error: {errors.first.inner_text()[:500]}"

    boxes = page.locator(".widget-vbox:has(img.widget-image)")
    assert boxes.count() >= 1, f"{name}: no widget rendered"
    for index in range(boxes.count()):
        box = boxes.nth(index)
        image, readout = box.locator("img.widget-image"), box.locator(".widget-html")
        before, text_before = image.get_attribute("src"), readout.inner_text()
        pixels_before = image.screenshot()
        slider = box.locator(".noUi-handle")
        if slider.count():
            control = "its first slider"
            slider.first.focus()
            for _ in range(3):
                page.keyboard.press("ArrowRight")
        else:
            control = "its dropdown"
            select = box.locator("select").first
            select.select_option(select.locator("option").all_inner_texts()[1])
        try:
            page.wait_for_function("([img, before]) => img.getAttribute('src') !== before",
                                   arg=[image.element_handle(), before], timeout=15_000)
        except Exception:
            pytest.fail(f"{name}: widget {index + 1} did not redraw its plot when {control} moved")
        # the plot and the readout are two widget messages: under load the text can arrive a moment later
        try:
            page.wait_for_function("([node, before]) => node.innerText !== before",
                                   arg=[readout.element_handle(), text_before], timeout=10_000)
        except Exception:
            pytest.fail(f"{name}: widget {index + 1}'s readout did not change")
        page.wait_for_timeout(300)  # let the new image paint
        assert image.screenshot() != pixels_before, f"{name}: widget {index + 1}'s plot looks the same"
        page.screenshot(path=SHOTS / f"{notebook.stem}-widget-{index + 1}.png")
    assert errors.count() == 0, f"{name}: an output shows an error after interaction"
    assert page.console_errors == [], f"{name}: the browser console logged {page.console_errors}"
    page.close()


def test_sandpit_click_and_typed_probes(lab, browser):
    """The sandpit lecture: a click on the sand probes the point under it (ipyevents), typed
    coordinates probe too, and the counter and readout follow."""
    page = open_page(browser, lab, "lab/tree/course/week2_multivariate_calculus/04_the_sandpit.ipynb?reset")
    run_all(page)
    image = page.locator(".widget-vbox img.widget-image").first
    image.wait_for(timeout=60_000)
    wait_until_every_cell_ran(page)
    box = page.locator(".widget-vbox:has(img.widget-image)").first
    readout = box.locator(".widget-html").last
    assert "probes used: 0" in readout.inner_text()
    before = image.screenshot()
    size = image.bounding_box()
    image.click(position={"x": size["width"] * 0.5, "y": size["height"] * 0.5})  # the middle of the sand
    page.wait_for_function("el => el.innerText.includes('probes used: 1') || el.innerText.includes('after 1 probes')",
                           arg=readout.element_handle(), timeout=15_000)
    text = readout.inner_text()
    assert "probe 1 at (" in text and "depth f =" in text and "J = [" in text and "H = [[" in text, text
    # the click landed near the centre of the sand, (0, 0)
    x, y = (float(v) for v in text.split("probe 1 at (")[1].split(")")[0].split(","))
    assert abs(x) < 0.5 and abs(y) < 0.5, text
    page.wait_for_timeout(300)
    assert image.screenshot() != before, "the probe left no mark"
    for label, value in (("x", "1.5"), ("y", "-2")):
        field = box.locator(".widget-inline-hbox").filter(has=page.locator(f"label:text-is('{label}')")).locator("input")
        field.fill(value)
        field.press("Enter")
    box.get_by_role("button", name="Probe").click()
    page.wait_for_function("el => el.innerText.includes('probe 2 at (1.500, -2.000)')",
                           arg=readout.element_handle(), timeout=15_000)
    page.screenshot(path=SHOTS / "sandpit-probed.png")
    assert page.locator(ERROR).count() == 0
    assert page.console_errors == [], page.console_errors
    page.close()


def test_training_plays_pauses_and_resets(lab, browser):
    """The live training widget: ▶ trains in ticks while the notebook stays responsive, ⏸ stops it,
    Reset starts again from step 0."""
    page = open_page(browser, lab,
                     "lab/tree/course/week3_chain_rule_and_neural_networks/03_training_a_network.ipynb?reset")
    run_all(page)
    box = page.locator(".widget-vbox:has(.widget-play)").first
    box.wait_for(timeout=60_000)
    wait_until_every_cell_ran(page)
    readout = box.locator(".widget-html").last
    steps = lambda: int(readout.inner_text().split("after ")[1].split(" steps")[0])
    assert steps() == 0
    buttons = box.locator(".widget-play button")
    buttons.nth(0).click()                                            # play
    page.wait_for_function("el => /after ([1-9][0-9]{2,}) steps/.test(el.innerText)",
                           arg=readout.element_handle(), timeout=30_000)  # 100 steps or more
    # the kernel still answers while training runs: a cell typed now executes, and training goes on
    type_answer(page, "# Your experiments here.", "print(6 * 7)")
    answered = run_cell(page, "print(6 * 7)")
    assert "42" in answered.locator(".jp-OutputArea").inner_text()
    before = steps()
    page.wait_for_function(f"el => parseInt(el.innerText.split('after ')[1]) > {before}",
                           arg=readout.element_handle(), timeout=15_000)
    buttons.nth(1).click()                                            # pause
    page.wait_for_timeout(600)
    paused = steps()
    page.wait_for_timeout(1000)
    assert steps() == paused and paused >= 100 and paused % 20 == 0
    page.screenshot(path=SHOTS / "training-paused.png")
    box.get_by_role("button", name="Reset").click()
    page.wait_for_function("el => el.innerText.includes('after 0 steps')", arg=readout.element_handle(),
                           timeout=15_000)
    assert page.locator(ERROR).count() == 0 and page.console_errors == [], page.console_errors
    page.close()


def test_formgrader_lists_the_assignments(lab, browser):
    page = open_page(browser, lab, "formgrader/manage_assignments")
    assignments = sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir())
    for assignment in assignments:
        page.wait_for_selector(f"text={assignment}", timeout=60_000)
    page.screenshot(path=SHOTS / "formgrader.png", full_page=True)
    assert page.console_errors == [], page.console_errors
    page.close()


def cell(page, text):
    """The notebook cell whose source contains `text`."""
    return page.locator(".jp-Notebook .jp-Cell").filter(has_text=text).first


def run_cell(page, text):
    """Select the cell (command mode, by its prompt), run it, wait for its execution count."""
    from playwright.sync_api import expect
    target = cell(page, text)
    # A run asked for while the kernel is still connecting can be dropped: ask again.
    for _ in range(4):
        dismiss_dialogs(page)
        target.locator(".jp-InputArea-prompt").click()
        page.keyboard.press("Shift+Enter")
        try:
            expect(target.locator(".jp-InputArea-prompt")).to_have_text(re.compile(r"\[\d+\]"), timeout=15_000)
            return target
        except AssertionError:
            continue
    page.screenshot(path=SHOTS / "run-cell-failed.png")
    pytest.fail(f"the cell containing {text!r} did not run: {target.inner_text()[:300]!r}")


def type_answer(page, marker, code):
    editor = cell(page, marker).locator(".jp-InputArea-editor .cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(code)   # as a paste: no auto-indentation


FORWARD = "def forward_difference(f, x, h=1e-6):\n    return (f(x + h) - f(x)) / h\n"
FORWARD_WRONG = "def forward_difference(f, x, h=1e-6):\n    return (f(x) - f(x + h)) / h\n"


def test_student_answers_checks_and_validates(lab, browser):
    page = open_page(browser, lab, "lab/tree/release/a1_derivatives/a1_derivatives.ipynb?reset")
    wait_for_kernel(page)
    run_cell(page, "import numpy as np")
    type_answer(page, "def forward_difference", FORWARD)
    run_cell(page, "def forward_difference")
    test = run_cell(page, "rise over run is exactly 2x + h")
    assert test.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0, \
        test.inner_text()[:1000]
    page.screenshot(path=SHOTS / "student-answered.png")

    # nbgrader's Validate: the answered task passes, the others are reported as not done
    page.get_by_role("button", name="Validate").first.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=120_000)
    page.wait_for_function("() => !document.querySelector('.jp-Dialog').innerText.includes('Validating')",
                           timeout=120_000)
    report = dialog.inner_text()
    page.screenshot(path=SHOTS / "student-validate.png")
    assert "NotImplementedError" in report and "central_difference" in report, report[:2000]
    assert "forward_difference" not in report.split("central_difference")[0].split("failed")[-1], report[:2000]
    dialog.get_by_role("button").last.click()

    # a wrong answer: the visible check says what was expected
    type_answer(page, "def forward_difference", FORWARD_WRONG)
    run_cell(page, "def forward_difference")
    test = run_cell(page, "rise over run is exactly 2x + h")
    error = test.locator("[data-mime-type='application/vnd.jupyter.stderr']")
    assert error.count() == 1 and "expected (3.1**2 - 9)/0.1 = 6.1" in error.inner_text()
    page.screenshot(path=SHOTS / "student-wrong-answer.png")
    page.close()


@pytest.mark.skipif(not shutil.which("bwrap"), reason="grading needs the Debian package bubblewrap")
def test_feedback_and_report_open_offline(browser, tmp_path):
    """After grading, the pages the instructor opens from disk fetch nothing and show their
    formulas (MathML) and plots (embedded PNGs)."""
    from autograder.grade import grade_assignment
    from autograder.report import write_report
    from submissions import ASSIGNMENT, submit, with_answer

    submit(tmp_path / "subs", "bob", with_answer(
        "central_difference", "(f(x + h) - f(x - h)) / (2 * h)", "(f(x + h) - f(x)) / h"))
    (tmp_path / "secret").write_text("browser-secret-0123456789")
    results, info = grade_assignment(REPO, ASSIGNMENT, tmp_path / "subs", tmp_path / "out",
                                     db_url=f"sqlite:///{tmp_path / 'gb.db'}", workers=1,
                                     secret_file=tmp_path / "secret", log=lambda *_: None)
    report = write_report(results, info, tmp_path / "out" / "report.html", list(results[0].tests), 1.0)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    remote = []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:", "blob:"))
                  else (remote.append(route.request.url), route.abort()))
    page = context.new_page()
    page.goto((tmp_path / "out" / "feedback" / "bob" / f"{ASSIGNMENT}.html").as_uri())
    assert page.locator("math").count() > 10
    assert page.locator("math").first.bounding_box()["height"] > 0
    assert "$" not in page.inner_text("body") and "forward difference" in page.inner_text("body")
    page.screenshot(path=SHOTS / "feedback-offline.png", full_page=True)
    page.goto(report.as_uri())
    images = page.locator("img")
    assert images.count() == 2
    assert all(images.nth(i).evaluate("i => i.complete && i.naturalWidth > 0") for i in range(2))
    page.screenshot(path=SHOTS / "report-offline.png", full_page=True)
    assert remote == [], f"the pages asked the network for {remote}"
    context.close()
