"""Feedback pages show their formulas offline: MathML written at render time, no MathJax.

The unit tests read the HTML; the browser test opens it in Chromium with every request
that is not a local file refused, and checks the formulas are laid out as math.
"""
import html
import re
from pathlib import Path

import pytest

from autograder.offline_html import OfflineHTMLExporter, normalize_primes, tex_to_html
from conftest import CHROMIUM_FLAGS, REPO, nbgrader_meta, read_notebook

NOTEBOOK = REPO / "source" / "a1_derivatives" / "a1_derivatives.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
# The spans nbconvert's Markdown parser treats as math: $$...$$ and $...$, not after a backslash.
MATH_SPAN = re.compile(r"(?<!\\)\$\$.+?(?<!\\)\$\$|(?<![\\$])\$.+?(?<![\\$])\$", re.S)
MARKDOWN_CELL = re.compile(r'<div class="text_cell_render[^"]*">(.*?)</div>', re.S)


def feedback_exporter():
    """The exporter the grading jobs render feedback with (an OfflineHTMLExporter)."""
    from autograder.feedback import _feedback_exporter

    exporter = _feedback_exporter()
    assert isinstance(exporter, OfflineHTMLExporter)
    return exporter


@pytest.fixture(scope="module")
def notebook():
    return read_notebook(NOTEBOOK)


@pytest.fixture(scope="module")
def page(notebook):
    """The a1 feedback page, as render_feedback would build it (full marks on every test)."""
    points = {nbgrader_meta(c)["grade_id"]: (nbgrader_meta(c)["points"],) * 2
              for c in notebook.cells if nbgrader_meta(c).get("grade")}
    total = sum(p for p, _ in points.values())
    resources = {
        "nbgrader": {"notebook": NOTEBOOK.stem, "assignment": NOTEBOOK.parent.name, "student": "s1",
                     "score": total, "max_score": total, "late_penalty": 0},
        "autograder": {"points": points},
    }
    body, _ = feedback_exporter().from_notebook_node(notebook, resources=resources)
    return body


@pytest.fixture(scope="module")
def page_file(page, tmp_path_factory):
    path = tmp_path_factory.mktemp("feedback") / f"{NOTEBOOK.stem}.html"
    path.write_text(page, encoding="utf-8")
    return path


def test_every_math_span_becomes_mathml(notebook, page):
    spans = [m for c in notebook.cells if c.cell_type == "markdown" for m in MATH_SPAN.findall(c.source)]
    assert len(spans) > 10, "a1's Markdown should hold formulas for this test to mean anything"
    assert page.count("<math") == len(spans)
    assert 'class="tex"' not in page, "some formula fell back to TeX"


def test_rendered_markdown_keeps_no_dollar(page):
    cells = MARKDOWN_CELL.findall(page)
    assert cells, "no rendered Markdown cell found in the page"
    for cell in cells:
        text = html.unescape(re.sub(r"<[^>]+>", "", cell))
        assert "$" not in text


def test_page_loads_no_mathjax(page):
    assert not re.search(r"(?i)mathjax|cdnjs", page)
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page), "the page loads something remote"


def test_runs_of_primes_become_one_superscript():
    assert normalize_primes("f'(x)") == r"f^{\prime}(x)"
    assert normalize_primes("f'''(x)") == r"f^{\prime\prime\prime}(x)"
    assert normalize_primes("f'(x)^2") == r"f^{\prime}(x)^2"
    assert normalize_primes("f''^2 + g'^{n}") == r"f^{\prime\prime 2} + g^{\prime n}"
    assert normalize_primes(r"\text{it's} f'") == r"\text{it's} f^{\prime}"
    assert tex_to_html("f''''(x)").count("&#x02032;") == 4
    assert tex_to_html("f'(x)^2").count("&#x02032;") == 1


def test_unparsable_tex_falls_back_to_code():
    assert tex_to_html(r"a<\frac{") == r'<code class="tex">a&lt;\frac{</code>'
    rendered = OfflineHTMLExporter().markdown2html({}, r"broken $\frac{$ and fine $x^2$")
    assert "$" not in rendered
    assert r'<code class="tex">\frac{</code>' in rendered and rendered.count("<math") == 1


def test_text_in_formulas_is_escaped():
    assert "<script>" not in tex_to_html(r"\text{<script>}")


@pytest.mark.browser
@pytest.mark.slow
def test_formulas_render_in_chromium_offline(page_file):
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium (Debian package chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the Python package playwright")

    requests, refused = [], []

    def only_files(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context()
            context.route("**/*", only_files)
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_file.as_uri(), wait_until="load")
            title = page.title()
            maths = page.evaluate("""() => Array.from(document.querySelectorAll('math'), m => {
                const box = m.getBoundingClientRect();
                return {ns: m.namespaceURI, width: box.width, height: box.height, text: m.textContent};
            })""")
            # MathML layout, not inline text: a fraction's numerator sits above its denominator.
            stacked = page.evaluate("""() => Array.from(document.querySelectorAll('mfrac'), f => {
                const [num, den] = f.children;
                return num.getBoundingClientRect().bottom <= den.getBoundingClientRect().top + 1;
            })""")
            text = page.evaluate("document.body.innerText")
        finally:
            browser.close()

    assert title == NOTEBOOK.stem, "the page itself did not load"
    assert not refused, f"the page asked the network for {refused}"
    assert all(url.startswith("file://") for url in requests), requests
    assert maths and all(m["ns"] == "http://www.w3.org/1998/Math/MathML" for m in maths), "no MathML"
    assert all(m["width"] > 0 and m["height"] > 0 for m in maths), "some formula is not laid out"
    assert stacked and all(stacked), "fractions are not laid out as fractions"
    assert any("f" in m["text"] and "h" in m["text"] and "′" in m["text"] for m in maths)
    assert "$" not in text
