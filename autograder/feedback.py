"""The feedback a student receives, without the hidden tests.

An autograded notebook holds the hidden tests: rendered as it is, it would show their code,
and a failing assert's traceback would quote the line that failed. RedactTestTracebacks
(with nbgrader's ClearHiddenTests) prevents that, both in nbgrader's own generate_feedback
(see nbgrader_config.py) and in `render_feedback`, which the grading jobs use.
"""
import functools

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
        if meta.get("grade") and meta.get("grade_id") in points:
            meta["score"], meta["points"] = points[meta["grade_id"]]
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


def render_feedback(notebook, assignment, student_id, result):
    """The HTML page a student receives, with nbgrader's feedback template and the same
    preprocessors nbgrader_config.py gives GenerateFeedback."""
    import nbformat

    resources = {
        "nbgrader": {"notebook": assignment, "assignment": assignment, "student": student_id,
                     "score": result.score, "max_score": result.max_score, "late_penalty": 0},
        "autograder": {"points": {g: (v.points, v.max_points) for g, v in result.tests.items()}},
    }
    body, _ = _feedback_exporter().from_notebook_node(nbformat.from_dict(notebook), resources=resources)
    return body
