"""Command line: `python -m autograder release A` and `python -m autograder grade A ...`."""
import argparse
import sys
from pathlib import Path

from .course import CourseError, ensure_tools_on_path, find_course_root


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    release = commands.add_parser("release", help="regenerate release/ASSIGNMENT from source/ASSIGNMENT")
    release.add_argument("assignment")

    grade = commands.add_parser("grade", help="grade a folder of submissions")
    grade.add_argument("assignment")
    grade.add_argument("--submissions", required=True, type=Path,
                       help="folder laid out as DIR/<student_id>/ASSIGNMENT/ASSIGNMENT.ipynb (read only)")
    grade.add_argument("--out", required=True, type=Path,
                       help="where grades.csv and feedback/<student_id>/ASSIGNMENT.html are written")
    grade.add_argument("--db", default=None,
                       help="gradebook SQLAlchemy URL (default: sqlite gradebook.db in the course root)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    ensure_tools_on_path()
    try:
        root = find_course_root()
        if args.command == "release":
            from .release import release_assignment
            print(f"released {release_assignment(root, args.assignment)}")
        elif args.command == "grade":
            from .grade import grade_assignment
            from .report import write_grades_csv
            results = grade_assignment(root, args.assignment, args.submissions, args.out, db_url=args.db)
            table = write_grades_csv(results, args.out / "grades.csv")
            failed = [r for r in results if r.status != "graded"]
            print(f"graded {len(results)} submissions -> {table}"
                  + (f"; {len(failed)} need attention (see status column)" if failed else ""))
    except CourseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
