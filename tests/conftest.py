"""Shared paths and helpers for the test suite."""
import os
import socket
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
COURSE_NOTEBOOKS = sorted((REPO / "course").glob("week*/*.ipynb"))
SOURCE_NOTEBOOKS = sorted((REPO / "source").glob("*/*.ipynb"))
RELEASE_NOTEBOOKS = sorted((REPO / "release").glob("*/*.ipynb"))
ASSIGNMENTS = sorted(p.parent.name for p in SOURCE_NOTEBOOKS)
# The browser tests' Chromium (Debian's package; never `playwright install`), started so that it
# asks nothing of the network by itself.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ("--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                  "--disable-background-networking --disable-component-update --disable-sync").split()

# nbgrader's Gradebook runs the `alembic` command: make the venv's copy findable
# even when pytest is started without activating the venv.
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now (for servers the tests start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(process, base, token, log_path, what):
    """Wait (up to 120 s) until the Jupyter server `process` answers at `base`; if it dies or never
    answers, end its process group and fail with the end of its log."""
    import time
    import urllib.request
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
            return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                os.killpg(process.pid, 9)
                pytest.fail(f"{what} did not serve: {Path(log_path).read_text()[-2000:]}")
            time.sleep(0.3)


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


def read_notebook(path):
    return nbformat.read(path, as_version=4)


def ids(paths):
    return [str(Path(p).relative_to(REPO)) for p in paths]


@pytest.fixture(scope="session")
def repo():
    return REPO


# --- the lectures as nbval executes them (pytest collects course/ with --nbval-lax) -------------
# Each lecture must teach from a page rendered without a kernel (GitHub, nbviewer, the course
# website): its key pictures are ordinary matplotlib figures in the cells' outputs, not only
# widgets (a widget's ipywidgets.Image is not a cell output, so it does not count). After a
# notebook's cells have run, one more item per notebook counts the PNG figures they displayed.
# (Here and not in course/conftest.py: a second conftest module would shadow this one for
# `from conftest import ...`. pytest calls this hook with every collected item, course/ included.)

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
