"""Preprocessors that keep hidden tests out of the feedback a student receives.

nbgrader's feedback is rendered from the autograded notebook, where the hidden
tests have been restored: it would show their code, and a failing hidden assert's
traceback quotes the line that failed. nbgrader_config.py adds these to
GenerateFeedback's pipeline, next to nbgrader's own ClearHiddenTests.
"""
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
