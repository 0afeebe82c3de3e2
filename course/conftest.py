"""Checks on the lectures as nbval executes them (pytest collects `course/` with `--nbval-lax`).

Each lecture must teach from a page rendered without a kernel (GitHub, nbviewer, the course
website): its key pictures are ordinary matplotlib figures in the cells' outputs, not only
widgets (a widget's `ipywidgets.Image` is not a cell output, so it does not count here). After a
notebook's cells have run, one more item per notebook counts the PNG figures they displayed.
"""
import pytest

# The fewest static figures a lecture shows; a lecture's own asserts say which ones.
MIN_STATIC_FIGURES = 1


def _figures_shown(cell_items):
    count = 0
    for item in cell_items:
        for output in item.test_outputs or []:
            if output.get("output_type") in ("display_data", "execute_result") \
                    and "image/png" in output.get("data", {}):
                count += 1
    return count


class StaticFigures(pytest.Item):
    """Runs after a notebook's cells (same file, so the same xdist worker with --dist loadfile)."""

    def __init__(self, *, cells, **kwargs):
        super().__init__(**kwargs)
        self.cells = cells

    def runtest(self):
        if any(item.test_outputs is None for item in self.cells):
            pytest.skip("some cells did not run, so their figures cannot be counted")
        shown = _figures_shown(self.cells)
        assert shown >= MIN_STATIC_FIGURES, (
            f"{self.parent.name} displays {shown} static figure(s) when executed; a lecture shows "
            f"at least {MIN_STATIC_FIGURES} as ordinary matplotlib output (widgets do not count)")

    def reportinfo(self):
        return self.path, None, f"{self.parent.name}: static figures"


def pytest_collection_modifyitems(session, config, items):
    by_notebook = {}
    for item in items:
        if type(item).__name__ == "IPyNbCell":
            by_notebook.setdefault(item.parent, []).append(item)
    for notebook, cells in by_notebook.items():
        check = StaticFigures.from_parent(notebook, name="static figures", cells=cells)
        items.insert(items.index(cells[-1]) + 1, check)
