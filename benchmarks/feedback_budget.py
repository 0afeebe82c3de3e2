"""How long the feedback page takes for a student's pathological Markdown, with the size budget
(autograder.feedback.within_budget) and without it.

    .venv/bin/python benchmarks/feedback_budget.py [KB]

Mistune renders some Markdown in time quadratic in a cell's length ("[a" repeated); a page of
one cell of KB kilobytes, and a page of many 9 kB cells, are timed both ways (default 165 kB:
84.5 s unbounded when issue 22 was filed).
"""
import sys
import time

from nbformat.v4 import new_markdown_cell, new_notebook

from autograder import feedback
from autograder.job import SubmissionResult


def page_seconds(cells, bounded):
    nb = new_notebook(cells=[new_markdown_cell(c) for c in cells])
    saved = feedback.within_budget
    if not bounded:
        feedback.within_budget = lambda nb: nb
    try:
        start = time.perf_counter()
        feedback.render_here(dict(nb), "bench", "s", SubmissionResult("s"))
        return time.perf_counter() - start
    finally:
        feedback.within_budget = saved


def main(kilobytes=165):
    one = ["[a" * (kilobytes * 500)]
    many = [f"cell {i} " + "[a" * 4_500 for i in range(60)]
    for name, cells in ((f"one cell of {kilobytes} kB", one), ("60 cells of 9 kB", many)):
        bounded = page_seconds(cells, True)
        print(f"{name}: {bounded:.2f} s with the budget", flush=True)
        if kilobytes <= 200 or name.startswith("60"):
            print(f"{name}: {page_seconds(cells, False):.2f} s without", flush=True)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
