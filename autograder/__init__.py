"""The course's grading package: `python -m autograder release|grade ...`.

nbgrader owns the lifecycle (gradebook, release, feedback, export); this package
drives it for a whole folder of submissions and writes grades.csv and feedback.
"""
