"""The course's grading package: `python -m autograder release|grade ...`.

nbgrader owns the lifecycle (gradebook, release, feedback template, export); this package
grades a whole folder of sandboxed submissions into it and writes grades.csv, feedback
pages and an instructor's report.
"""
import sys

# jsonschema (pulled in by nbformat) imports rfc3987_syntax, if installed, only to check the "iri"
# string format, which no schema the grader validates uses; building its grammar costs ~0.8 s of
# every process's start (the CLI, each worker). None in sys.modules makes that import fail fast,
# and jsonschema simply leaves "iri" unchecked.
sys.modules.setdefault("rfc3987_syntax", None)
