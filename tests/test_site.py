"""The course website (`make site`): built from a clean cache with no network, every lecture
executed with its figures, every assignment as students receive it, and nothing of source/.

The build runs sphinx-build as `make site` does (-W: a warning, such as a broken internal link,
fails it), into a temporary folder with its own execution cache. A second, tiny site shows
that a broken link and a notebook that raises each fail the build, naming the cause.
"""
import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ASSIGNMENTS, COURSE_NOTEBOOKS, REPO, read_notebook

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
            assert not src.startswith(("http:", "https:", "//")), src
            assert (page.parent / src).resolve().is_file(), (page.name, src)
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
