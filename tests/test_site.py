"""The course website (`make site`): built from a clean cache with no network, every lecture
executed with its figures, every assignment as students receive it, and nothing of source/.

The build runs sphinx-build as `make site` does (-W: a warning, such as a broken internal link,
fails it), into a temporary folder with its own execution cache. A second, tiny site shows
that a broken link and a notebook that raises each fail the build, naming the cause.
"""
import functools
import html
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ASSIGNMENTS, CHROMIUM, CHROMIUM_FLAGS, COURSE_NOTEBOOKS, REPO, read_notebook

pytestmark = pytest.mark.slow
SPHINX = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def build(srcdir, confdir, out):
    return subprocess.run(SPHINX + ["-c", str(confdir), "-d", str(out / "doctrees"),
                                    "-D", f"nb_execution_cache_path={out / 'cache'}", str(srcdir), str(out / "html")],
                          capture_output=True, text=True, timeout=1800)


def page_text(path):
    """A page's visible text: tags removed (not replaced by spaces: highlighted code is a span per
    token, and `np.sum(x)` must read as it was written), entities decoded, whitespace collapsed."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", path.read_text(errors="replace"), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    done = build(REPO, REPO / "site", out)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return out / "html"


def test_every_lecture_is_a_page_with_its_figures(site):
    assert (site / "index.html").is_file() and (site / "site" / "index.html").is_file()
    home = (site / "site" / "index.html").read_text()
    for notebook in COURSE_NOTEBOOKS:
        page = site / notebook.relative_to(REPO).with_suffix(".html")
        assert page.is_file(), page
        assert notebook.relative_to(REPO).with_suffix(".html").as_posix() in home.replace("../", ""), notebook
        text = page.read_text()
        images = re.findall(r'<img[^>]+src="([^"]+)"', text)
        assert images, f"{page.name} shows no figure"
        for src in images:
            assert not src.startswith(("http:", "https:", "//", "data:")), src[:80]
            assert (page.parent / src).resolve().is_file(), (page.name, src)
        # Each figure says what it shows (calckit.describe's alt text), never a placeholder.
        for tag in re.findall(r"<img\b[^>]*>", text):
            alt = re.search(r'\balt="([^"]*)"', tag)
            assert alt and len(alt.group(1).strip()) > 15, (page.name, tag[:200])
            assert "No description has been provided" not in alt.group(1), (page.name, tag[:200])
        assert "Traceback" not in page_text(page), page.name   # executed without error


def test_widgets_are_replaced_by_a_note_and_nothing_loads_from_elsewhere(site):
    widget_pages = [n for n in COURSE_NOTEBOOKS if "_explorer(" in n.read_text()]
    assert widget_pages
    for notebook in widget_pages:
        text = (site / notebook.relative_to(REPO).with_suffix(".html")).read_text()
        assert "course-widget-note" in text and "make lab" in text, notebook.name
        assert "widget-state+json" not in text and "widget-view+json" not in text
    for page in site.rglob("*.html"):
        text = page.read_text(errors="replace")
        remote = re.findall(r'<(?:script|link|img|iframe)[^>]+(?:src|href)="((?:https?:)?//[^"]+)"', text)
        assert not remote, (page.relative_to(site), remote[:3])
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()   # formulas render offline


def test_assignments_are_the_student_versions(site):
    """What students receive, with its instructions; no solution, no hidden test, nothing of source/."""
    assert not (site / "source").exists() and not (site / "_sources" / "source").exists()
    for assignment in ASSIGNMENTS:
        page = site / "release" / assignment / f"{assignment}.html"
        text = page_text(page)
        assert "NotImplementedError" in text, assignment
        secret = set()
        for cell in read_notebook(REPO / "source" / assignment / f"{assignment}.ipynb").cells:
            for block in SOLUTION.findall(cell.source) + HIDDEN.findall(cell.source):
                secret.update(" ".join(line.split()) for line in block.splitlines() if len(line.strip()) > 20)
        assert secret
        # The check can see code: the release's own long lines are all on the page.
        shown = [" ".join(line.split()) for cell in read_notebook(REPO / "release" / assignment / f"{assignment}.ipynb").cells
                 if cell.cell_type == "code" for line in cell.source.splitlines() if len(line.strip()) > 20]
        assert shown and all(line in text for line in shown), [line for line in shown if line not in text][:3]
        leaked = [line for line in secret if line in text]
        assert not leaked, (assignment, leaked[:3])
    every = " ".join(page_text(p) for p in site.rglob("*.html")) + " ".join(
        p.read_text(errors="replace") for p in site.rglob("*") if p.is_file() and p.suffix in (".ipynb", ".txt", ".js"))
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "t.mistake("):
        assert marker not in every, marker


def test_the_readme_course_map_links_to_every_lecture_and_assignment_page(site):
    links = re.findall(r"\]\(_site/html/([^)#]+)\)", (REPO / "README.md").read_text())
    wanted = {n.relative_to(REPO).with_suffix(".html").as_posix() for n in COURSE_NOTEBOOKS} | {
        f"release/{a}/{a}.html" for a in ASSIGNMENTS}
    assert wanted <= set(links), sorted(wanted - set(links))
    missing = [link for link in links if not (site / link).is_file()]
    assert not missing, missing


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served_site(site):
    """The built site over HTTP, as any web server would serve it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietFiles, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


# What each page must show once loaded: every image decoded, every formula typeset by the site's own
# MathJax (none left as TeX, none an error), and axe-core's verdict on it.
PAGE_STATE = """() => ({
    images: [...document.images].map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0})),
    math: document.querySelectorAll('.math').length,
    typeset: [...document.querySelectorAll('.math')].filter(m => m.querySelector('mjx-container')).length,
    errors: document.querySelectorAll('mjx-merror').length,
})"""


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs the Debian package chromium")
def test_every_page_loads_offline_with_its_figures_and_formulas_and_passes_axe(site, served_site, record_property):
    """Each page in headless Chromium: no request leaves the site, no local request fails, images load,
    formulas render, and axe-core (axe-playwright-python) finds no serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                   if not p.relative_to(site).parts[0].startswith("_"))
    assert len(pages) >= len(COURSE_NOTEBOOKS) + len(ASSIGNMENTS) + 2, pages
    outside, failed, problems, formulas = [], [], {}, 0
    axe = Axe()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(served_site)
                       else (outside.append(route.request.url), route.abort()))
            # axe-core fetches the stylesheets again to read them, and resolves their @import from the page
            # rather than the stylesheet (theme.css's "../basic.css"): only the page's own requests count.
            axe_running = []
            page.on("response", lambda response: response.status >= 400 and not axe_running
                    and failed.append(response.url))
            for rel in pages:
                page.goto(served_site + rel, wait_until="load")
                page.wait_for_function("() => !document.querySelector('.math') || (window.MathJax && "
                                       "MathJax.startup && MathJax.startup.promise)", timeout=120_000)
                page.evaluate("() => window.MathJax && MathJax.startup.promise.then(() => true)")
                state = page.evaluate(PAGE_STATE)
                formulas += state["math"]
                axe_running.append(rel)
                found = [f"{v['id']} ({v['impact']}, {len(v['nodes'])}x: {v['nodes'][0]['target']})"
                         for v in axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
                axe_running.clear()
                broken = [i["src"] for i in state["images"] if not i["ok"]]
                if found or broken or state["typeset"] != state["math"] or state["errors"]:
                    problems[rel] = {"axe": found, "images not shown": broken, "errors": state["errors"],
                                     "formulas": f"{state['typeset']} of {state['math']} typeset"}
        finally:
            browser.close()
    record_property("pages", len(pages))
    record_property("formulas", formulas)
    assert formulas > 500, formulas          # the lectures' math is on the pages to be checked at all
    assert not outside, outside[:5]
    assert not failed, failed[:5]
    assert not problems, problems


def test_a_broken_link_or_a_failing_notebook_fails_the_build(tmp_path):
    """The same configuration on a tiny course: each fault alone stops the build and is named."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    def tiny(name, link, code):
        src = tmp_path / name
        shutil.copytree(REPO / "site", src / "site", ignore=shutil.ignore_patterns("index.md"))
        (src / "LICENSE").write_text("licence\n")
        (src / "LICENSE-content").write_text("licence\n")
        (src / "site" / "index.md").write_text(f"# Tiny\n\n[a lecture]({link})\n\n```{{toctree}}\n"
                                               "../course/week1_x/01_x\nlicence\n```\n")
        (src / "course" / "week1_x").mkdir(parents=True)
        nb = new_notebook(cells=[new_markdown_cell("# A lecture"), new_code_cell(code)],
                          metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
        nbformat.write(nb, src / "course" / "week1_x" / "01_x.ipynb")
        return build(src, src / "site", tmp_path / f"{name}-out")

    fine = tiny("fine", "../course/week1_x/01_x.ipynb", "print(1 + 1)")
    assert fine.returncode == 0, fine.stderr[-3000:]
    broken = tiny("broken", "../course/week1_x/02_missing.ipynb", "print(1 + 1)")
    assert broken.returncode != 0 and "02_missing" in broken.stderr, broken.stderr[-3000:]
    failing = tiny("failing", "../course/week1_x/01_x.ipynb", "raise ValueError('lecture cell fails 7c1')")
    assert failing.returncode != 0 and "01_x" in failing.stdout + failing.stderr
    assert "lecture cell fails 7c1" in failing.stdout + failing.stderr
