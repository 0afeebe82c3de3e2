"""Imported once by the local pool's forkserver, before it forks any worker: what every worker's
first job would otherwise do for itself (about 1 s each here) is then done once and shared.

Importing this builds nbgrader's feedback exporter and renders a tiny page, so that its Jinja
templates are compiled; the assignment's own imports (scipy and friends, for the reference run
and the hidden tests' checks) are preloaded by name alongside (autograder.dispatch).
"""
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from .feedback import render_here
from .job import SubmissionResult, verdict_outputs
from .verdict import TestVerdict


def _render_a_tiny_page():
    verdict = TestVerdict("warm_up", 1.0, 1.0)
    test = new_code_cell("assert True", id="warm-up-test", metadata={"nbgrader": {
        "grade": True, "grade_id": "warm_up", "locked": True, "points": 1, "schema_version": 3,
        "solution": False, "task": False}})
    test.outputs = verdict_outputs(verdict, 1)
    answer = new_code_cell("print(1)", id="warm-up-answer")
    answer.outputs = [new_output("stream", name="stdout", text="1\n")]
    notebook = new_notebook(cells=[new_markdown_cell("Warm up: $x^2$", id="warm-up-text"), answer, test])
    result = SubmissionResult("nobody", score=1.0, max_score=1.0, tests={"warm_up": verdict})
    render_here(dict(notebook), "warm-up", "nobody", result)  # here: the forkserver keeps the compiled templates


_render_a_tiny_page()
