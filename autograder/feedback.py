"""The feedback a student receives, without the hidden tests.

An autograded notebook holds the hidden tests: rendered as it is, it would show their code,
and a failing assert's traceback would quote the line that failed. RedactTestTracebacks
(with nbgrader's ClearHiddenTests) prevents that, both in nbgrader's own generate_feedback
(see nbgrader_config.py) and in `render_feedback`, which the grading jobs use.
"""
import functools
import html
import os
import time
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor


class RedactTestTracebacks(NbGraderPreprocessor):
    """In graded test cells, reduce an error's traceback to `ename: evalue`.

    The assertion message written for the student survives; the test code around it does not.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    summary = f"{output.ename}: {output.evalue}" if output.evalue else output.ename
                    output.traceback = [summary]
        return cell, resources


class FillGrades(NbGraderPreprocessor):
    """GetGrades without a database round trip: scores come from the job's verdicts, so a
    worker can render feedback in parallel. Expects resources["autograder"]["points"]."""

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        points = resources["autograder"]["points"]
        if meta.get("grade"):  # a grade cell the job has no verdict for scores nothing
            meta["score"], meta["points"] = points.get(meta.get("grade_id"), (0.0, 0.0))
        if meta.get("solution") or meta.get("task"):
            meta.setdefault("comment", None)
        return cell, resources


@functools.lru_cache(maxsize=1)
def _feedback_exporter():
    """One exporter per process: loading nbgrader's feedback template costs ~0.4 s; the
    exporter and its preprocessors keep no state between notebooks."""
    from pathlib import Path

    import nbgrader
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import ClearHiddenTests
    from traitlets.config import Config

    base = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
    config = Config()
    config.HTMLExporter.template_name = "feedback"
    config.HTMLExporter.extra_template_basedirs = [str(base / "templates")]
    config.HTMLExporter.extra_template_paths = [
        str(base / "static" / "node_modules" / "bootstrap" / "dist" / "css")]
    from .offline_html import OfflineHTMLExporter
    exporter = OfflineHTMLExporter(config=config)  # formulas as MathML: no network needed
    for preprocessor in (FillGrades, ClearHiddenTests, RedactTestTracebacks, CSSHTMLHeaderPreprocessor):
        exporter.register_preprocessor(preprocessor(config=config), enabled=True)
    return exporter


def render_feedback(notebook, assignment, student_id, result, run_folder=None):
    """The HTML page a student receives, with nbgrader's feedback template and the same
    preprocessors nbgrader_config.py gives GenerateFeedback; rendered in a child process that
    dies with this one and is killed after RENDER_SECONDS (then the page is the plain verdicts).
    run_folder: the grading run's folder, where the child's pid is noted for `clean`."""
    resources = _resources(assignment, student_id, result)
    try:
        return render_in_child(lambda: _render(notebook, resources), RENDER_SECONDS, run_folder)
    except RenderTimeout:
        return plain_feedback_page(assignment, result, f"the full feedback page took longer than "
                                                       f"{RENDER_SECONDS:g} s to render")
    except RuntimeError as error:  # never a student without feedback: the plain page, and why
        return plain_feedback_page(assignment, result, f"the full feedback page could not be rendered ({error})")


def _resources(assignment, student_id, result):
    return {
        "nbgrader": {"notebook": assignment, "assignment": assignment, "student": student_id,
                     "score": result.score, "max_score": result.max_score, "late_penalty": 0},
        "autograder": {"points": {g: (v.points, v.max_points) for g, v in result.tests.items()}},
    }


def _render(notebook, resources):
    import nbformat
    body, _ = _feedback_exporter().from_notebook_node(nbformat.from_dict(notebook), resources=resources)
    return body


def render_here(notebook, assignment, student_id, result):
    """render_feedback in this process (the forkserver's warm-up compiles the templates once)."""
    return _render(notebook, _resources(assignment, student_id, result))


def plain_feedback_page(assignment, result, why):
    """The scores and every hidden case as escaped text, when the full page cannot be had."""
    from .job import verdict_text
    from .sanitize import with_csp
    lines = [f"{assignment}: {result.score:g} / {result.max_score:g}", f"({why}: here are your results as text)", ""]
    lines += [verdict_text(v) for v in result.tests.values()]
    return with_csp(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(assignment)}: "
                    f"feedback</title></head><body><pre>{html.escape(chr(10).join(lines))}</pre></body></html>")


# --- the size budget ----------------------------------------------------------------------------
# Each item of a student's is cut to its budget, and the page's student content to the page's,
# with a visible note. Rendering Markdown is quadratic in a cell's length on some inputs (mistune:
# 40 kB of "[a" took 5.7 s, 165 kB 84.5 s): 10 kB per cell keeps the worst cell near 0.4 s.
MARKDOWN_CELL_CHARS = 10_000
CODE_CELL_CHARS = 20_000
OUTPUT_CHARS = 20_000
VERDICT_CHARS = 200_000          # the grader's own HTML output: many cases, never cut in practice
IMAGE_CHARS = 2_000_000          # one image's base64
PAGE_CHARS = 200_000             # all the student's cells and outputs together
PAGE_IMAGE_CHARS = 8_000_000
RENDER_SECONDS = 60


def _cut(text, budget, what):
    if len(text) <= budget:
        return text, 0
    return text[:budget] + f"\n[{what} cut here for the feedback page: {len(text) - budget:,} more characters]", \
        len(text) - budget


def within_budget(nb):
    """`nb` (a notebook about to be rendered), cut to the budget in place. The test cells (their
    source is the instructor's, their verdicts the grader's) are never dropped, only bounded."""
    page, images = 0, 0
    for index, cell in enumerate(nb.cells):
        grader = cell.get("cell_type") == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("grade")
        source = "".join(cell["source"]) if isinstance(cell.get("source"), list) else cell.get("source", "")
        limit = MARKDOWN_CELL_CHARS if cell.get("cell_type") != "code" else CODE_CELL_CHARS
        if not grader and page >= PAGE_CHARS:
            cell["cell_type"], cell["metadata"] = "markdown", {}
            cell.pop("outputs", None), cell.pop("execution_count", None), cell.pop("attachments", None)
            cell["source"] = (f"*[{len(nb.cells) - index} more cells not shown: this feedback page shows "
                              f"{PAGE_CHARS:,} characters of your own cells and outputs at most]*")
            continue
        cell["source"], _ = _cut(source, limit, "this cell")
        page += 0 if grader else len(cell["source"])
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"], _ = _cut(output.get("text", ""), OUTPUT_CHARS, "this output")
                page += 0 if grader else len(output["text"])
            elif output.get("output_type") == "error":
                text = "\n".join(output.get("traceback", []))
                output["traceback"] = [_cut(text, OUTPUT_CHARS, "this traceback")[0]]
                page += 0 if grader else len(output["traceback"][0])
            for mime, value in list(output.get("data", {}).items()):
                if mime.startswith("image/"):
                    images += len(value)
                    if len(value) > IMAGE_CHARS or images > PAGE_IMAGE_CHARS:
                        output["data"].pop(mime)
                        output["data"]["text/plain"] = "[an image too large for the feedback page]"
                elif isinstance(value, str):
                    budget = VERDICT_CHARS if grader and mime == "text/html" else OUTPUT_CHARS
                    output["data"][mime], _ = _cut(value, budget, "this output")
                    page += 0 if grader else len(output["data"][mime])
    return nb


# --- the time budget ----------------------------------------------------------------------------
class RenderTimeout(Exception):
    pass


def render_in_child(render, seconds, run_folder=None):
    """render() in a forked child that dies with this process (PR_SET_PDEATHSIG) and is killed
    after `seconds`; its pid is noted in `run_folder` while it lives, so that `clean` ends it if
    everything above it was killed. Returns render()'s text; RenderTimeout past the deadline.
    An exception in render() is raised here as a RuntimeError naming it."""
    import ctypes
    import select
    import signal

    read_end, write_end = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: render, send, and leave without running any of the parent's cleanup
        try:
            os.close(read_end)
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            if os.getppid() != parent:
                os._exit(1)
            try:
                text, status = render(), 0
            except BaseException as error:  # noqa: BLE001  (reported to the parent, as text)
                text, status = f"{type(error).__name__}: {error}", 2
            data = text.encode("utf-8", "surrogatepass")
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            os._exit(status)
        finally:
            os._exit(3)
    os.close(write_end)
    note = _note_child(run_folder, pid)
    chunks, deadline = [], time.monotonic() + seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_end], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                raise RenderTimeout(f"rendering took longer than {seconds:g} s")
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
        if note is not None:
            note.unlink(missing_ok=True)
    text = b"".join(chunks).decode("utf-8", "surrogatepass")
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"rendering the feedback failed: {text[:300] or os.waitstatus_to_exitcode(status)}")
    return text


def _note_child(run_folder, pid):
    """`run_folder/render-<pid>`, holding the child's start time (a pid alone may be reused)."""
    if run_folder is None:
        return None
    from .runs import process_start_time
    note = Path(run_folder) / f"render-{pid}"
    try:
        note.write_text(f"{pid} {process_start_time(pid)}\n")
    except OSError:
        return None
    return note
