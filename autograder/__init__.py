"""The course's grading package: `python -m autograder release|grade ...`.

nbgrader owns the lifecycle (gradebook, release, feedback template, export); this package
grades a whole folder of sandboxed submissions into it and writes grades.csv, feedback
pages and an instructor's report.
"""
