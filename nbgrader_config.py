"""nbgrader configuration for the course (read by every `nbgrader` command run here)."""
import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

# nbgrader warns about, and mis-resolves, a relative root: pin it to this folder.
COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "mvcalc-ml"
c.CourseDirectory.root = COURSE_ROOT
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# Never copy editor or build debris from source/ into release/.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__"]

# A student's cell gets 60 s before it is interrupted.
c.ExecutePreprocessor.timeout = 60
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Feedback goes to students: strip hidden tests from it, and the tracebacks that quote them.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "autograder.feedback.RedactTestTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
