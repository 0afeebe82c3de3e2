"""Where the course lives and how nbgrader is configured for it."""
import os
import sys
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

CONFIG_NAME = "nbgrader_config.py"


class CourseError(Exception):
    """A problem with the command line or the course, reported in one line."""


def find_course_root(start=None):
    """The nearest folder holding nbgrader_config.py, from `start` (default: cwd) upwards."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    # Fall back to the checkout this package was installed from.
    package_parent = Path(__file__).resolve().parent.parent
    if (package_parent / CONFIG_NAME).is_file():
        return package_parent
    raise CourseError(f"no {CONFIG_NAME} found in {here} or any parent folder")


def course_config(root, **overrides):
    """The course's nbgrader Config, re-rooted where asked (e.g. at a grading workspace).

    overrides: attribute paths like `CourseDirectory__root=...` (traitlets' double underscore).
    """
    root = Path(root)
    loader = PyFileConfigLoader(CONFIG_NAME, path=str(root))
    config = loader.load_config()
    for key, value in overrides.items():
        section, name = key.split("__")
        config[section][name] = value
    return config


def source_root(root):
    """The folder of source assignments: source/ in the course root, or wherever
    nbgrader_config.py's CourseDirectory.source_directory points (COURSE_SOURCE, for a
    private copy of the solutions)."""
    configured = course_config(root).CourseDirectory.get("source_directory", "source")
    folder = Path(root) / configured  # an absolute setting replaces the root
    if not folder.is_dir():
        via = f" (COURSE_SOURCE={os.environ['COURSE_SOURCE']})" if os.environ.get("COURSE_SOURCE") else ""
        raise CourseError(f"the source folder {folder}{via} does not exist: point COURSE_SOURCE at your "
                          "private copy of source/, or unset it to use the course's own")
    return folder


def source_assignments(root):
    source = source_root(root)
    return sorted(p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))


def require_assignment(root, assignment):
    if assignment not in source_assignments(root):
        known = ", ".join(source_assignments(root)) or "none"
        raise CourseError(f"unknown assignment {assignment!r} ({source_root(root)} has: {known})")
    return source_root(root) / assignment


def ensure_tools_on_path():
    """nbgrader's Gradebook shells out to `alembic`; find it beside this Python even
    when the virtual environment is not activated (as under `make`)."""
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
