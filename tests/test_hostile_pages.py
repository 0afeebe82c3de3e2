"""Student content is hostile HTML (issue 22, items 1 and 2): a submission that plants script,
fake content and fake grades in every place a student controls (Markdown, TeX, outputs, cell
metadata, file names) gets the honest twin's score, and its feedback page, opened through a real
Jupyter server in Chromium, runs nothing, requests nothing and still shows the score and verdicts.
"""
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from html.parser import HTMLParser

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from autograder.grade import grade_assignment
from autograder.sanitize import CSP, clean_markdown_html, kernel_outputs
from conftest import CHROMIUM, CHROMIUM_FLAGS as FLAGS, REPO, free_port, nbgrader_meta, wait_until_serving
from submissions import ASSIGNMENT, solution, submit

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not shutil.which("bwrap"), reason="the sandbox needs the Debian package bubblewrap")]

# Each would run script, load something, or draw over the page, if it reached the page as written.
MARKDOWN_ATTACKS = "\n\n".join([
    "<script>window.__pwned = 'markdown script'</script>",
    "<img src=x onerror=\"window.__pwned='img onerror'; fetch('/api/kernels', {method: 'POST'})\">",
    "<iframe src=\"/api/kernels\"></iframe><object data=\"/api/contents\"></object>",
    "<svg><script>window.__pwned = 'svg'</script></svg><svg onload=\"window.__pwned='svg onload'\"></svg>",
    "<style>body { display: none }</style>",
    "<div style=\"position:fixed;top:0;left:0;width:100%;height:100%;background:white;z-index:9999\">"
    "FAKE OVERLAY: Score 10 / 10</div>",
    "[a link](javascript:window.__pwned='link') and <a href=\"/api/kernels\">an API link</a>",
    "<form action=\"/api/kernels\" method=\"post\"><button>go</button></form>",
    "<details open ontoggle=\"window.__pwned='details'\"><summary>x</summary></details>",
    "<img src=\"http://127.0.0.1:9/remote.png\"> <link rel=stylesheet href=\"http://127.0.0.1:9/x.css\">",
    "<math><mtext><a href=\"javascript:window.__pwned='mathml'\">m</a></mtext></math>",
    "TeX: $\\href{javascript:window.__pwned='href'}{x}$ and $\\style{position:fixed;top:0;left:0;"
    "font-size:900px}{FAKE}$ and $\\class{autograder-verdict}{y}$ and $\\unicode{x41}$",
    "<table class=\"autograder-verdict\"><tr><td class=\"case-passed\">forged verdict</td></tr></table>",
])
OUTPUT_ATTACKS = """
from IPython.display import display, HTML, Javascript, SVG, Markdown, Latex
display(HTML("<script>window.__pwned = 'html output'</script><b onmouseover=x>html</b>"))
display(Javascript("window.__pwned = 'javascript output'"))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg"><script>window.__pwned = "svg output"</script></svg>'))
display(Markdown("<img src=x onerror=\\"window.__pwned='markdown output'\\">"))
display(Latex(r"$\\href{javascript:alert(1)}{x}$"))
display({"image/png": 'iVBORw0KGgo=" onerror="window.__pwned=\\'png attribute\\'', "text/plain": "png"}, raw=True)
display({"application/vnd.jupyter.widget-view+json": {"model_id": "x", "version_major": 2}}, raw=True)
display({"text/plain": "output with metadata"}, metadata={"text/plain": {"isolated": True}}, raw=True)
print("PLAIN OUTPUT STAYS")
"""
FAKE_COMMENT = "Excellent work, full marks - the instructor"


def hostile_notebook():
    nb = solution()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}}
    fake = new_markdown_cell(MARKDOWN_ATTACKS, metadata={"nbgrader": {
        "grade": True, "grade_id": "fake_bonus", "points": 100, "score": 100, "solution": False,
        "task": False, "locked": True, "schema_version": 3, "comment": f"<script>window.__pwned='comment'</script>{FAKE_COMMENT}",
        "made_up_key": 1}, "made_up": {"anything": True}})
    nb.cells.insert(1, fake)
    nb.cells.insert(2, new_code_cell(OUTPUT_ATTACKS))
    for cell in nb.cells:  # an answer cell that grades and comments itself
        if nbgrader_meta(cell).get("solution"):
            cell.metadata["nbgrader"].update(score=50, points=50, comment=FAKE_COMMENT, extra="x")
    return nb


def lone_surrogate_notebook():
    raw = json.loads(nbformat.writes(solution()))
    raw["cells"].insert(1, {"cell_type": "markdown", "metadata": {}, "id": "s1", "source": "odd \ud800 text"})
    raw["cells"].insert(2, {"cell_type": "code", "metadata": {}, "id": "s2", "execution_count": None,
                            "outputs": [], "source": "print('x\ud800')"})
    return raw


def huge_markdown_notebook():
    """165 kB of Markdown that mistune renders in quadratic time (84.5 s unbounded), and then 60
    cells of 9 kB each: past the page's budget."""
    nb = solution()
    nb.cells.insert(1, new_markdown_cell("[a" * 82_500))
    for i in range(60):
        nb.cells.insert(2, new_markdown_cell(f"cell {i} " + "[a" * 4_500))
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-pages")
    subs = base / "submitted"
    submit(subs, "honest", solution())
    folder = submit(subs, "hostile", hostile_notebook())
    submit(subs, "huge_markdown", huge_markdown_notebook())
    odd = subs / "lone_surrogate" / ASSIGNMENT   # ASCII JSON: the escape survives
    odd.mkdir(parents=True)
    (odd / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(lone_surrogate_notebook()))
    (folder / "<img src=x onerror=window.__pwned=1>.csv").symlink_to("/etc/hostname")  # named in the notes
    (base / "secret").write_text("hostile-pages-secret-0123456789\n")
    results, _ = grade_assignment(REPO, ASSIGNMENT, subs, base / "out", db_url=f"sqlite:///{base / 'gb.db'}",
                                  workers=2, secret_file=base / "secret", log=lambda *_: None)
    pages = {s: (base / "out" / "feedback" / s / f"{ASSIGNMENT}.html").read_text()
             for s in ("honest", "hostile", "huge_markdown", "lone_surrogate")}
    autograded = nbformat.read(base / "out" / "workspace" / "autograded" / "hostile" / ASSIGNMENT /
                               f"{ASSIGNMENT}.ipynb", as_version=4)
    return {"base": base, "results": {r.student_id: r for r in results}, "pages": pages, "autograded": autograded}


def test_the_hostile_twin_earns_what_the_honest_one_does(graded):
    honest, hostile = graded["results"]["honest"], graded["results"]["hostile"]
    assert honest.score == hostile.score == 10 == hostile.max_score
    assert set(hostile.tests) == set(honest.tests)  # no made-up grade cell counted


class Elements(HTMLParser):
    """Every element of a page as the browser's parser sees it: (tag, {attribute: value}), body only."""

    def __init__(self, page):
        super().__init__()
        self.found, self.in_body = [], False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.in_body = self.in_body or tag == "body"
        if self.in_body:
            self.found.append((tag, dict(attrs)))


def test_the_page_holds_no_script_no_handler_no_style_and_no_remote_load(graded):
    page = graded["pages"]["hostile"]
    elements = Elements(page).found
    assert elements and "<script" not in page.lower()
    tags = {tag for tag, _ in elements}
    assert not tags & {"script", "iframe", "object", "embed", "form", "svg", "link", "style", "base", "meta"}
    attributes = [(tag, name, value or "") for tag, attrs in elements for name, value in attrs.items()]
    assert not [a for a in attributes if a[1].startswith("on")], "an event handler attribute survived"
    assert not [a for a in attributes if a[1] == "style"], "a style attribute survived (overlays)"
    links = [value for _, name, value in attributes if name in ("href", "src", "action", "data", "xlink:href")]
    assert not [v for v in links if not v.startswith(("#", "data:image/", "https://", "http://"))], links
    assert not [v for v in links if v.startswith(("http://", "https://"))], "the page loads or links out"
    assert "widget-state" not in page
    assert "FAKE OVERLAY" in page  # the text may stay, as text: it is the overlay that must go


def test_the_page_says_first_that_it_runs_and_loads_nothing(graded):
    page = graded["pages"]["hostile"]
    head = page.split("<head>", 1)[1].lstrip()
    assert head.startswith(f'<meta http-equiv="Content-Security-Policy" content="{CSP}">')
    assert "default-src 'none'" in CSP and "script-src 'none'" in CSP


def test_grades_and_comments_come_only_from_the_gradebook(graded):
    page = graded["pages"]["hostile"]
    assert FAKE_COMMENT not in page and "fake_bonus" not in page
    assert "Score: 10.0 / 10.0" in page
    assert page.count("case-passed") == graded["pages"]["honest"].count("case-passed") > 10
    for cell in graded["autograded"].cells:  # the stored notebook keeps no metadata of the student's
        meta = cell.metadata.get("nbgrader", {})
        assert "comment" not in meta and "score" not in meta and "extra" not in meta
        assert set(cell.metadata) <= {"nbgrader", "execution"}  # execution: nbclient's timing of a test cell
        if meta:
            assert meta["grade_id"] in graded["results"]["hostile"].tests or meta.get("solution")
    assert "widgets" not in graded["autograded"].metadata


def test_active_outputs_are_dropped_with_a_note_and_plain_output_stays(graded):
    page = graded["pages"]["hostile"]
    assert "PLAIN OUTPUT STAYS" in page and "output with metadata" in page
    assert "[output not shown here: application/javascript]" in page
    assert "image/svg+xml" in page and "application/vnd.jupyter.widget-view+json" in page
    outputs = [o for c in graded["autograded"].cells if c.cell_type == "code" for o in c.outputs]
    mimes = {m for o in outputs for m in o.get("data", {})}
    assert mimes <= {"text/plain", "text/html", "image/png", "image/jpeg"}
    html_outputs = [o for o in outputs if "text/html" in o.get("data", {})]
    assert html_outputs and all("autograder-verdict" in o["data"]["text/html"] for o in html_outputs)
    assert all(not o.get("metadata") for o in outputs)


def formgrader_page(notebook):
    """A notebook as Formgrader's manual-grading view renders it: nbconvert's HTMLExporter under
    nbgrader_config.py, with the formgrade template nbgrader's extension sets."""
    import nbgrader.server_extensions.formgrader.handlers as handlers
    from nbconvert.exporters import HTMLExporter

    from autograder.course import course_config
    config = course_config(REPO)
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {"assignment_id": ASSIGNMENT, "notebook_id": ASSIGNMENT, "submission_id": "x", "index": 0,
                 "total": 1, "base_url": "", "student": "hostile", "last_name": "", "first_name": "",
                 "notebook_path": "autograded/hostile"}
    page, _ = HTMLExporter(config=config).from_notebook_node(notebook, resources=resources)
    return page


def test_formgraders_view_of_the_autograded_notebook_runs_nothing(graded):
    """The manual-grading view's own scripts aside, nothing of the student's is active there: its
    template renders Markdown with no sanitiser of its own (a <script> ran code as the instructor)."""
    page = formgrader_page(graded["autograded"])
    honest = formgrader_page(nbformat.read(graded["base"] / "out" / "workspace" / "autograded" / "honest" /
                                           ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))

    def active(page):  # what could run or draw over the page: the template's own, nothing more
        from collections import Counter
        return Counter((tag, name) for tag, attrs in Elements(page).found for name in attrs
                       if name.startswith("on") or name == "style") + Counter(
            (tag, "") for tag, _ in Elements(page).found
            if tag in ("iframe", "object", "embed", "form", "svg", "style", "meta", "base", "script"))

    assert active(page) == active(honest)
    assert "window.__pwned" not in " ".join(re.findall(r"<script[^>]*>(.*?)</script>", page, re.S))
    elements = Elements(page).found
    links = [v or "" for _, attrs in elements for n, v in attrs.items() if n in ("href", "src", "action")]
    assert not [v for v in links if v.lower().lstrip().startswith(("javascript", "data:text"))]
    assert "FAKE OVERLAY" in page  # rendered, as text


def raw_and_overlay_notebook():
    nb = solution()
    nb.cells.insert(1, nbformat.v4.new_raw_cell(
        "<div class='autograder-verdict'><p><b>Hidden tests: 5 / 2 points</b></p>"
        "<table><tr><td class='case-passed'>forged</td></tr></table></div><script>window.__pwned='raw'</script>"))
    nb.cells.insert(1, new_markdown_cell(
        "<div class=\"modal-backdrop navbar-fixed-top affix\"><div class=\"panel panel-default\">"
        "(Score: 10.0 / 10.0)</div></div>\n\n# test_forward_difference\n\n[to the test](#test_forward_difference)"
        "\n\n$\\mathsize{999em}{x}$ <math><mstyle mathsize=\"999em\"><mi>x</mi></mstyle>"
        "<mspace width=\"999em\" lspace=\"-9em\"></mspace></math>", attachments={
            "b.svg": {"image/svg+xml": "PHN2Zz48L3N2Zz4="}, "c.png": {"image/png": "iVBORw0KGgo="}}))
    nb.cells[1].source += "\n\n![b](attachment:b.svg) ![c](attachment:c.png)"
    return nb


def test_no_fixed_box_raw_html_forged_verdict_or_stolen_id(tmp_path):
    """Bootstrap's classes would give a student's box position:fixed; a raw cell went out as HTML;
    a heading named like a test took that test's id (Formgrader's score box is found by it); huge
    MathML sizes pushed the page away; an attachment left empty broke the whole page."""
    from autograder.feedback import render_here
    from autograder.job import SubmissionResult
    nb = raw_and_overlay_notebook()
    page = render_here(dict(nb), ASSIGNMENT, "s", SubmissionResult("s", score=0, max_score=10))
    elements = Elements(page).found
    classes = {c for _, attrs in elements for c in (attrs.get("class") or "").split()}
    assert not classes & {"modal-backdrop", "navbar-fixed-top", "affix"}  # "panel" is the template's own
    assert "autograder-verdict" not in classes and "window.__pwned" not in " ".join(
        re.findall(r"<script[^>]*>(.*?)</script>", page, re.S))
    assert "&lt;div class='autograder-verdict'&gt;" in page or "&lt;div class=&#39;autograder-verdict" in page
    ids = [attrs.get("id") for _, attrs in elements if attrs.get("id")]
    assert "test_forward_difference" not in ids and "md-test_forward_difference" in ids
    assert 'href="#md-test_forward_difference"' in page
    sizes = [v for _, attrs in elements for n, v in attrs.items() if n in ("mathsize", "width", "lspace")]
    assert not [v for v in sizes if "999" in (v or "") or (v or "").startswith("-")], sizes
    assert "generator raised StopIteration" not in page and "data:image/png;base64,iVBORw0KGgo=" in page
    fg = formgrader_page(nb)
    assert "Hidden tests: 5 / 2" not in re.sub(r"&lt;.*?&gt;", "", fg) or "autograder-verdict" not in {
        c for _, attrs in Elements(fg).found for c in (attrs.get("class") or "").split()}


def test_a_lone_surrogate_stops_nothing(graded):
    """JSON may carry "\\ud800": in a Markdown cell, in a code cell and printed by the student's code,
    it stopped the whole run (no grades.csv for anyone, and again on every re-run)."""
    from autograder.report import write_grades_csv
    results = graded["results"]
    assert results["lone_surrogate"].score == results["honest"].score == 10
    table = write_grades_csv(results.values(), graded["base"] / "grades.csv", list(results["honest"].tests))
    assert "lone_surrogate,10," in table.read_text()
    assert "odd \ufffd text" in graded["pages"]["lone_surrogate"]


@pytest.mark.parametrize("metadata", [{"nbgrader": {"grade_id": ["x"]}}, ["not", "a", "dict"],
                                      {"nbgrader": "text"}], ids=["list grade_id", "list metadata", "text nbgrader"])
def test_odd_metadata_shapes_reach_nbgrader_well_formed(tmp_path, metadata):
    from autograder.nbgrader_plugin import SafeSubmissionExporter
    from autograder.course import course_config
    raw = json.loads(nbformat.writes(solution()))
    raw["cells"][0]["metadata"] = metadata
    folder = tmp_path / "submitted" / "odd" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(raw))
    exporter = SafeSubmissionExporter(config=course_config(REPO, CourseDirectory__root=str(REPO)))
    body, _ = exporter.from_filename(str(folder / f"{ASSIGNMENT}.ipynb"))
    nb = nbformat.reads(body, as_version=4)   # no exception: nbgrader goes on to the grading step
    if isinstance(metadata, list):   # nbformat itself cannot read it: an empty notebook, the job says why
        assert nb.cells == []
    else:
        assert len(nb.cells) == len(raw["cells"])  # read, not replaced by an empty notebook
        assert isinstance(nb.cells[0].metadata, dict) and "nbgrader" not in nb.cells[0].metadata


def test_file_names_in_the_notes_are_text(graded):
    page = graded["pages"]["hostile"]
    assert "&lt;img src=x onerror=window.__pwned=1&gt;.csv" in page
    assert "<img src=x" not in page


def test_tex_extensions_are_rendered_without_links_styles_or_classes(graded):
    page = graded["pages"]["hostile"]
    maths = re.findall(r"<math.*?</math>", page, re.S)
    assert maths and not [m for m in maths if re.search(r"\s(href|style|class|mathcolor)=", m)]


@pytest.mark.parametrize("html, kept", [
    ("<a href='#x'>anchor</a>", 'href="#md-x"'), ("<a href='https://example.org'>w</a>", 'href="https://example.org"'),
    ("<details><summary>Answer</summary>42</details>", "<details>"),
    ("<img src='data:image/png;base64,iVBORw0KGgo='>", "data:image/png;base64,iVBORw0KGgo="),
    ("<h2 id='Task-1-(2 points)'>T</h2>", 'id="md-Task-1-(2 points)"'),
])
def test_ordinary_markdown_html_survives(html, kept):
    assert kept in clean_markdown_html(html)


@pytest.mark.parametrize("html", [
    "<img src='data:text/html;base64,PHNjcmlwdD4='>", "<a href='data:text/html,<script>x</script>'>d</a>",
    "<a href='/api/kernels'>api</a>", "<a href='vbscript:x'>v</a>", "<p style='position:fixed'>p</p>",
    "<td class='case-passed'>forged</td>", "<mspace width='99999em'></mspace>",
])
def test_dangerous_markdown_html_loses_its_attribute(html):
    cleaned = clean_markdown_html(html)
    assert not re.search(r"\s(src|href|style|class|width)=", cleaned), cleaned


def test_an_image_whose_data_is_not_base64_is_dropped():
    kept = kernel_outputs([{"output_type": "display_data", "metadata": {},
                            "data": {"image/png": 'AAAA" onerror="x', "text/plain": "figure"}}])
    assert kept[0]["data"] == {"text/plain": "figure"}


def test_nbgrader_autograde_and_generate_feedback_take_the_hostile_notebook(tmp_path):
    """nbgrader's own commands (Formgrader's buttons) neither fail on the student's metadata nor
    show it: autograde scores the hostile twin 10 like the honest one, and generate_feedback's page
    has no script and no fake comment."""
    course = tmp_path / "course"
    shutil.copytree(REPO / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    submit(course / "submitted", "honest", solution())
    submit(course / "submitted", "hostile", hostile_notebook())
    (course / "course.secret").write_text("hostile-pages-secret-0123456789\n")
    db = f"sqlite:///{tmp_path / 'gb.db'}"
    for command in (["generate_assignment", ASSIGNMENT, "--force"], ["autograde", ASSIGNMENT, "--force"],
                    ["generate_feedback", ASSIGNMENT, "--force"]):
        done = subprocess.run([sys.executable, "-m", "nbgrader", *command, f"--CourseDirectory.root={course}",
                               f"--CourseDirectory.db_url={db}"], cwd=REPO, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0 and "[ERROR]" not in done.stderr, done.stderr[-3000:]
    from nbgrader.api import Gradebook
    with Gradebook(db) as gradebook:
        scores = {s.student.id: s.score for s in gradebook.assignment_submissions(ASSIGNMENT)}
    assert scores == {"honest": 10, "hostile": 10}
    page = (course / "feedback" / "hostile" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "<script" not in page.lower() and FAKE_COMMENT not in page and "fake_bonus" not in page
    assert not [name for _, attrs in Elements(page).found for name in attrs if name.startswith("on")]
    assert f'content="{CSP}"' in page


def test_a_huge_markdown_submission_is_cut_with_notes_and_keeps_its_grade(graded):
    from autograder.feedback import MARKDOWN_CELL_CHARS, PAGE_CHARS
    page = graded["pages"]["huge_markdown"]
    assert graded["results"]["huge_markdown"].score == 10
    assert f"this cell cut here for the feedback page: {165_000 - MARKDOWN_CELL_CHARS:,} more characters" in page
    assert "more cells not shown" in page and f"{PAGE_CHARS:,} characters" in page
    assert page.count("case-passed") == graded["pages"]["honest"].count("case-passed")  # every verdict shown
    assert len(page) < len(graded["pages"]["honest"]) + 2 * PAGE_CHARS


def test_rendering_past_its_time_is_stopped_and_the_child_is_gone(tmp_path):
    from autograder.feedback import RenderTimeout, render_in_child
    with pytest.raises(RenderTimeout):
        render_in_child(lambda: time.sleep(3600) or "", 1, tmp_path)
    assert list(tmp_path.glob("render-*")) == []  # its note is gone with it
    assert render_in_child(lambda: "a page \u00e9", 30, tmp_path) == "a page \u00e9"
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        render_in_child(lambda: str(1 / 0), 30)


def test_a_slow_render_falls_back_to_the_plain_verdicts(monkeypatch):
    from autograder import feedback
    from autograder.job import SubmissionResult
    from autograder.verdict import CaseVerdict, TestVerdict
    monkeypatch.setattr(feedback, "RENDER_SECONDS", 1)
    monkeypatch.setattr(feedback, "_render", lambda *a: time.sleep(3600))
    verdict = TestVerdict("test_x", 1.0, 2.0, cases=[CaseVerdict("f(<b>1</b>)", True, 1.0), CaseVerdict("f(2)", False, 1.0, "wrong")])
    page = feedback.render_feedback({}, "a1", "ann", SubmissionResult("ann", score=1, max_score=2, tests={"test_x": verdict}))
    assert "took longer than 1 s" in page and "test_x: 1 / 2 points" in page and "f(&lt;b&gt;1&lt;/b&gt;)" in page
    assert "Content-Security-Policy" in page


def test_the_render_child_dies_with_its_job_and_clean_finds_a_leftover(tmp_path):
    """A job killed mid-render takes its child with it; and a child noted in a dead run's folder
    (as if its parent had escaped that) is ended by `clean`."""
    run = tmp_path / "run"
    run.mkdir()
    job = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom autograder.feedback import render_in_child\n"
                            f"render_in_child(lambda: time.sleep(3600) or '', 3600, {str(run)!r})"], cwd=REPO)
    deadline = time.monotonic() + 60
    while not list(run.glob("render-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(next(run.glob("render-*")).read_text().split()[0])
    job.kill()
    job.wait()
    while os.path.exists(f"/proc/{child}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{child}"), "the render child outlived its job"

    from autograder.runs import PREFIX, clean_dead_runs, process_start_time
    dead = tmp_path / f"{PREFIX}0123456789ab"
    dead.mkdir(mode=0o700)
    (dead / "lock").write_text("")
    stray = subprocess.Popen(["sleep", "3600"])
    (dead / f"render-{stray.pid}").write_text(f"{stray.pid} {process_start_time(stray.pid)}\n")
    totals = clean_dead_runs(tmp_path, log=None)
    assert stray.wait(timeout=30) == -9 and totals["processes"] >= 1 and not dead.exists()


# --- in a real browser, served by a real Jupyter server ---------------------------------------

@pytest.fixture(scope="module")
def server(graded):
    """A Jupyter server (with nbgrader's Formgrader, as make lab starts it) whose root holds the
    feedback pages, as an instructor's course folder does."""
    root = graded["base"] / "served"
    shutil.copytree(graded["base"] / "out" / "feedback", root / "feedback")
    # The control: a page as it would be without the sanitiser. If its script runs and is seen,
    # the checks below can see a script run.
    (root / "control.html").write_text("<html><body><script>window.__pwned = 'control'; "
                                       "fetch('/api/kernels')</script>control</body></html>")
    port, token = free_port(), secrets.token_hex(16)
    log = (root / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--allow-root"],
        cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(process, base, token, root / "server.log", "jupyter")
    yield {"base": base, "token": token}
    os.killpg(process.pid, 9)
    process.wait()


def kernels(server):
    with urllib.request.urlopen(f"{server['base']}/api/kernels?token={server['token']}", timeout=10) as answer:
        return json.load(answer)


def visit(server, path):
    """Open `path` on the server in Chromium, logged in (the token sets the session cookie, as an
    instructor's browser has it). Returns what ran and what was asked for."""
    playwright = pytest.importorskip("playwright.sync_api", reason="needs the Python package playwright")
    if not os.path.exists(CHROMIUM):
        pytest.skip("needs the Debian package chromium")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(f"{server['base']}/{path}?token={server['token']}")
        page.wait_for_timeout(1500)  # time for an onerror, a fetch or a timer to fire
        seen = {"marker": page.evaluate("() => window.__pwned || null"), "text": page.inner_text("body"),
                "requests": requests, "overlay": page.evaluate(
                    "() => [...document.querySelectorAll('body *')].some(e => getComputedStyle(e).position === 'fixed')")}
        browser.close()
    return seen


def test_the_control_page_shows_that_a_script_would_be_seen(server):
    seen = visit(server, "files/control.html")
    assert seen["marker"] == "control"
    assert any("/api/kernels" in url for url in seen["requests"])


def test_the_hostile_feedback_page_runs_nothing_in_the_instructors_browser(server):
    before = kernels(server)
    seen = visit(server, f"files/feedback/hostile/{ASSIGNMENT}.html")
    assert seen["marker"] is None, f"a script ran: {seen['marker']}"
    page_url = f"{server['base']}/files/feedback/hostile/{ASSIGNMENT}.html"
    assert [u for u in seen["requests"] if not u.startswith((page_url, "data:"))] == []
    assert kernels(server) == before == []
    assert not seen["overlay"]
    assert "Score: 10.0 / 10.0" in seen["text"] and "Hidden tests: 2 / 2 points" in seen["text"]
    assert FAKE_COMMENT not in seen["text"]


def test_the_feedback_exporter_keeps_its_mathml_under_the_course_config():
    """nbgrader_config.py gives every HTMLExporter Formgrader's sanitised Markdown filter (TeX for
    MathJax) and bleach; nbgrader's generate_feedback builds its OfflineHTMLExporter under that
    config, and must still write MathML through its own allow-list."""
    from nbformat.v4 import new_notebook

    from autograder.course import course_config
    from autograder.offline_html import OfflineHTMLExporter
    exporter = OfflineHTMLExporter(config=course_config(REPO))
    assert "markdown2html" not in exporter.filters and exporter.sanitize_html is False
    page, _ = exporter.from_notebook_node(new_notebook(cells=[new_markdown_cell("$x^2$ <b onclick=x>b</b>")]))
    assert "<math" in page and "onclick" not in page and "<b>b</b>" in page
