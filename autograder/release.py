"""Generate the student version of an assignment (nbgrader generate_assignment --no-db)."""
import shutil
import tempfile
from pathlib import Path

from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from .course import CourseError, course_config, require_assignment


def release_assignment(root, assignment, release_dir=None):
    """Write release/<assignment>/ from the source folder's <assignment>/ (source/, or the
    private copy COURSE_SOURCE names); return the folder written.

    With `release_dir`, write into <release_dir>/<assignment> instead of the course's
    release/ (tests regenerate into a temporary folder and compare).
    """
    root = Path(root).resolve()
    source = require_assignment(root, assignment)
    target_parent = Path(release_dir).resolve() if release_dir else root / "release"
    with tempfile.TemporaryDirectory() as scratch:
        # Generate into a scratch course whose source is a copy, so a failed run never
        # leaves a half-written release/ behind.
        scratch = Path(scratch)
        shutil.copytree(source, scratch / "source" / assignment)
        config = course_config(root, CourseDirectory__root=str(scratch), CourseDirectory__source_directory="source",
                               GenerateAssignment__no_database=True, SaveCells__enabled=False)
        coursedir = CourseDirectory(config=config)
        api = NbGraderAPI(coursedir=coursedir, config=config)
        result = api.generate_assignment(assignment, force=True, create=False)
        if not result["success"]:
            raise CourseError(f"nbgrader could not generate {assignment}: "
                              f"{result.get('error') or result.get('log')}")
        target = target_parent / assignment
        if target.exists():
            shutil.rmtree(target)
        target_parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(scratch / "release" / assignment, target)
    return target
