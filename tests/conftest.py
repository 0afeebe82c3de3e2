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
