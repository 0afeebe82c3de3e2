"""nbgrader configuration for the course (read by every `nbgrader` command run here)."""
import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

# nbgrader warns about, and mis-resolves, a relative root: pin it to this folder.
COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "mvcalc-ml"
c.CourseDirectory.root = COURSE_ROOT
# A graded course keeps its solutions private: COURSE_SOURCE names a private copy of source/
# (absolute, or relative to this folder). Students only ever receive release/.
c.CourseDirectory.source_directory = os.environ.get("COURSE_SOURCE", "source")
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# nbgrader's exchange, through which students fetch and submit (the Assignments tab) and the
# instructor releases, collects and returns feedback: a folder under the course, made by `make
# course` (COURSE_EXCHANGE names another, e.g. a shared /srv/nbgrader/exchange on a JupyterHub).
c.Exchange.root = os.path.join(COURSE_ROOT, os.environ.get("COURSE_EXCHANGE", "exchange"))
# Where a student on this machine works: fetched copies land in student/<assignment>/ and are
# submitted from there (on a JupyterHub each student's own config says their home instead).
c.Exchange.assignment_dir = os.path.join(COURSE_ROOT, os.environ.get("COURSE_STUDENT_DIR", "student"))
# Never copy editor or build debris from source/ into release/.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__"]

# What a submission may use when graded (autograder/limits.py has every name and default);
# per assignment below, per run on the command line (python -m autograder grade --help).
c.Autograder.limits = {
    "cell_seconds": 30, "notebook_seconds": 180, "memory_bytes": "3GiB",
    "disk_bytes": "256MiB", "notebook_max_bytes": "50MiB",
}
c.Autograder.assignment_limits = {
    # "a3_backpropagation": {"cell_seconds": 120},
}

# nbgrader autograde and Formgrader's Autograde button grade with the same sandboxed job and
# verdicts as `python -m autograder grade` (autograder/nbgrader_plugin.py): the submitted
# notebook is read without following links, and the job takes the place of Execute.
c.Autograde.exporter_class = "autograder.nbgrader_plugin.SafeSubmissionExporter"
# nbgrader's sanitising steps, with OverwriteCells that does not call unchanged test cells changed.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "autograder.nbgrader_plugin.OverwriteCellsQuietly",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "autograder.nbgrader_plugin.GradeSubmission",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Validate (the student's button) still executes in the student's own kernel.
c.ExecutePreprocessor.timeout = 60
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Student content is hostile HTML: Formgrader's views of submissions sanitise Markdown and outputs
# (nbconvert's bleach allow-list). Feedback pages have their own, finer one (autograder.sanitize).
c.HTMLExporter.sanitize_html = True
# ...but nbgrader's formgrade template (the manual-grading view) renders Markdown with no sanitiser:
# its filter is replaced by one that is (autograder/offline_html.py); raw cells are not written out.
c.HTMLExporter.filters = {"markdown2html": "autograder.offline_html.formgrader_markdown2html"}
c.HTMLExporter.raw_mimetypes = []

# Feedback goes to students: strip hidden tests from it, and the tracebacks that quote them;
# formulas are rendered as MathML, so pages read offline show math, not `$...$`.
c.GenerateFeedback.exporter_class = "autograder.offline_html.OfflineHTMLExporter"
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "autograder.feedback.RedactTestTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# nbgrader's own copying follows links, and the exchange's inbound folder is writable by every
# student (issue 22): a link there to the instructor's source or course.secret was collected
# as a submission. Collect and release_feedback go through link-safe subclasses of nbgrader's
# default exchange (autograder/exchange.py), for the command line and Formgrader's buttons alike.
c.ExchangeFactory.collect = "autograder.exchange.LinkSafeCollect"
c.ExchangeFactory.release_feedback = "autograder.exchange.LinkSafeReleaseFeedback"
# Autograde and GenerateFeedback copy a submission's other files (submitted/ -> autograded/ ->
# feedback/) with shutil.copy in BaseConverter.init_assignment, and their apps construct those
# converters themselves: no class or setting reaches that copy. So a patch, the smallest there
# is: that one method, for those two converters only, applied here so that every nbgrader
# process that reads this file (commands, Formgrader's server) copies regular files only.
from autograder.exchange import make_converters_link_safe  # noqa: E402

make_converters_link_safe()
# Without a working sandbox, `nbgrader autograde` refuses before it removes any autograded notebook.
from autograder.nbgrader_plugin import refuse_before_touching_anything  # noqa: E402
refuse_before_touching_anything()
