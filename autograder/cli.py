"""Command line: `python -m autograder release A`, `python -m autograder grade A ...`,
`python -m autograder serve` (instant feedback), `python -m autograder export --format
canvas|moodle --out FILE` and `python -m autograder clean`."""
import argparse
import sys
import time
import warnings
from pathlib import Path

from .course import CourseError, ensure_tools_on_path, find_course_root
from .limits import NAMES as LIMIT_NAMES
from .limits import Limits, size

LIMIT_HELP = {
    "cell_seconds": "wall time of one cell, in seconds",
    "notebook_seconds": "wall time of a whole submission, in seconds",
    "memory_bytes": "memory of a kernel, e.g. 2GiB",
    "processes": "processes and threads in a sandbox",
    "output_bytes": "output kept per cell, e.g. 200kB",
    "notebook_output_bytes": "output kept per notebook, all cells and channels (prints, displays and "
                             "their updates, errors) together, e.g. 4MiB",
    "file_bytes": "largest single file a submission may write, e.g. 64MiB",
    "disk_bytes": "all a submission may write, its folder and /tmp together, e.g. 256MiB",
    "notebook_max_bytes": "a larger submitted notebook is refused unread, e.g. 50MiB",
}


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
                       help="where grades.csv, report.html and feedback/<student_id>/ASSIGNMENT.html go")
    grade.add_argument("--workers", type=int, default=None,
                       help="submissions graded at once (default: twice the number of cores, as many "
                            "as the memory holds at the memory limit plus the disk cap each)")
    grade.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run the jobs on the Dask cluster whose scheduler is at ADDRESS, e.g. "
                            "tcp://10.0.0.5:8786 (default: --workers processes on this machine)")
    grade.add_argument("--db", default=None,
                       help="gradebook SQLAlchemy URL (default: sqlite gradebook.db in the course root; "
                            "PostgreSQL: postgresql+psycopg2://user:password@host/db)")
    grade.add_argument("--force", action="store_true",
                       help="grade every submission again, even those unchanged since the last run into OUT")
    grade.add_argument("--secret-file", type=Path, default=None,
                       help="course secret for per-student inputs (default: course.secret in the "
                            "course root, created on first use)")
    grade.add_argument("--unsandboxed-i-trust-every-submission", dest="unsandboxed", action="store_true",
                       help="run student code WITHOUT the bubblewrap sandbox, with resource limits only: "
                            "it can read and change whatever this user can (the solutions and the course "
                            "secret included). Without this option, grading refuses to start where "
                            "bubblewrap cannot sandbox")
    limits = grade.add_argument_group(
        "limits", "override, for this run, the course's and the assignment's limits "
                  "(c.Autograder.limits and c.Autograder.assignment_limits in nbgrader_config.py)")
    for name in LIMIT_NAMES:
        limits.add_argument("--" + name.replace("_", "-"), dest=f"limit_{name}", metavar="VALUE",
                            help=f"{LIMIT_HELP[name]} (default {_default(name)})")

    extend = commands.add_parser("extend", help="give STUDENT more time for ASSIGNMENT: an extension of the "
                                                "gradebook's due date, as nbgrader keeps it (0 removes it)")
    extend.add_argument("assignment")
    extend.add_argument("student")
    extend.add_argument("--hours", type=float, required=True, help="the extension, in hours (e.g. 48)")
    extend.add_argument("--db", default=None, help="gradebook SQLAlchemy URL (default: gradebook.db in the course root)")

    serve = commands.add_parser("serve", help="instant feedback: grade each attempt students submit to nbgrader's "
                                              "exchange as it arrives, and release its feedback for fetch_feedback "
                                              "(the gradebook is not touched)")
    serve.add_argument("--assignment", action="append", default=None, metavar="A",
                       help="serve only A (repeatable; default: every assignment in source/)")
    serve.add_argument("--max-per-day", type=int, default=None, metavar="N",
                       help="graded attempts per student and assignment per day (UTC); later ones get a page "
                            "saying so (default: c.Autograder.serve_attempts_per_day, else no limit)")
    serve.add_argument("--workers", type=int, default=None, help="attempts graded at once (default as for grade)")
    serve.add_argument("--interval", type=float, default=2.0, help="seconds between looks at the inbound folder")
    serve.add_argument("--state", type=Path, default=None,
                       help="the service's folder: served.jsonl (each attempt handled, once) and serve.log "
                            "(default: serve/ in the course root)")
    serve.add_argument("--once", action="store_true",
                       help="handle the attempts waiting now (and any arriving meanwhile), then stop")
    serve.add_argument("--secret-file", type=Path, default=None, help="course secret (default: course.secret)")
    serve.add_argument("--unsandboxed-i-trust-every-submission", dest="unsandboxed", action="store_true",
                       help="run student code WITHOUT the bubblewrap sandbox (see grade --help)")

    export = commands.add_parser("export", help="write the gradebook's grades (late penalties applied, 0 "
                                                "where nothing was submitted) as Canvas's or Moodle's "
                                                "grade-import CSV")
    export.add_argument("--format", required=True, choices=("canvas", "moodle"), dest="lms_format",
                        help="the LMS whose import CSV to write; a student with no submission gets 0 in both "
                             "(a blank cell would leave the LMS's grade unchanged)")
    export.add_argument("--assignment", action="append", default=None, metavar="A",
                        help="export only A (repeatable; default: every assignment in the gradebook)")
    export.add_argument("--db", default=None, help="gradebook SQLAlchemy URL (default: gradebook.db in the course root)")
    export.add_argument("--out", required=True, type=Path, help="the CSV to write")
    export.add_argument("--canvas-match", choices=("sis-login-id", "sis-user-id", "id"), default="sis-login-id",
                        help="Canvas column that gets nbgrader's student id, the one Canvas matches on "
                             "(default sis-login-id)")
    export.add_argument("--moodle-match", choices=("username", "idnumber", "email"), default="username",
                        help="Moodle identifier column, mapped in \"Identify user by\" on import: nbgrader's "
                             "student id as username or idnumber, or the gradebook's email (default username)")
    export.add_argument("--points-possible", action="store_true",
                        help="Canvas: add the optional \"Points Possible\" row under the header")

    commands.add_parser("clean", help="remove the sandboxes, cgroups and scratch folders of "
                                      "grading runs that died (live runs are left alone)")
    return parser


def _default(name):
    value = getattr(Limits(), name)
    return size(value) if name.endswith("_bytes") else f"{value:g}"


def main(argv=None):
    args = build_parser().parse_args(argv)
    ensure_tools_on_path()
    # nbgrader 0.9.6 trips SQLAlchemy's session warnings inside its own gradebook code.
    warnings.filterwarnings("ignore", message=".*not in session.*")
    try:
        root = find_course_root()
        if args.command == "release":
            from .release import release_assignment
            print(f"released {release_assignment(root, args.assignment)}")
            from .compile import classic_tests, compile_assignment
            from .course import require_assignment
            for grade_id in classic_tests(compile_assignment(require_assignment(root, args.assignment),
                                                             args.assignment)):
                print(f"note: {grade_id} has no hidden tests: it is graded as nbgrader grades it, all or nothing "
                      "by whether it raises in the student's kernel, where a student can forge a pass (the "
                      "student's code can patch what its asserts call); a hidden block judges it in the grader "
                      "(CONTRIBUTING.md, hidden tests)", file=sys.stderr)
        elif args.command == "grade":
            return grade(root, args)
        elif args.command == "extend":
            from .lateness import extend
            print(extend(root, args.db or f"sqlite:///{root / 'gradebook.db'}", args.assignment, args.student,
                         args.hours))
        elif args.command == "serve":
            from .serve import Service
            if args.workers is not None and args.workers < 1:
                raise CourseError("--workers must be at least 1")
            service = Service(root, args.assignment, args.state, args.max_per_day, args.workers, args.interval,
                              args.secret_file, use_sandbox=not args.unsandboxed)
            counts = service.run(once=args.once)
            print(f"served: {counts['graded']} attempts graded, {counts['refused']} refused "
                  f"(log: {service.state / 'serve.log'})")
        elif args.command == "export":
            from .export import export_grades
            out, students, assignments = export_grades(
                args.db or f"sqlite:///{root / 'gradebook.db'}", args.lms_format, args.out, args.assignment,
                canvas_match=args.canvas_match, moodle_match=args.moodle_match,
                points_possible=args.points_possible)
            print(f"wrote {args.lms_format} grades of {students} student(s) for {assignments} assignment(s) -> {out}")
        elif args.command == "clean":
            from .runs import clean_dead_runs
            totals = clean_dead_runs(log=None)
            print(f"removed {totals['processes']} processes, {totals['cgroups']} cgroups and "
                  f"{totals['folders']} scratch folders of dead grading runs")
    except CourseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: every result finished so far is kept; run the same command again to "
              "grade the rest", file=sys.stderr)
        return 130
    return 0


def grade(root, args):
    from .grade import grade_assignment
    from .report import write_grades_csv, write_report

    if args.workers is not None and args.workers < 1:
        raise CourseError("--workers must be at least 1")
    if args.workers is not None and args.scheduler:
        raise CourseError("give --workers (processes on this machine) or --scheduler (a Dask cluster, "
                          "whose workers decide), not both")
    start = time.monotonic()
    overrides = {name: getattr(args, f"limit_{name}") for name in LIMIT_NAMES
                 if getattr(args, f"limit_{name}") is not None}
    results, info = grade_assignment(root, args.assignment, args.submissions, args.out,
                                     db_url=args.db, workers=args.workers,
                                     secret_file=args.secret_file, limit_overrides=overrides,
                                     force=args.force, scheduler=args.scheduler,
                                     use_sandbox=not args.unsandboxed)
    seconds = time.monotonic() - start
    test_ids = list(results[0].tests) if results else []
    table = write_grades_csv(results, args.out / "grades.csv", test_ids, info["refused"], info["lateness"])
    report = write_report(results, info, args.out / "report.html", test_ids, seconds)
    attention = sum(1 for r in results if r.status != "graded" or r.problem or r.notes) + len(info["refused"])
    for name, reason in info["refused"]:
        print(f"{name!r}: {reason}", file=sys.stderr)
    print(f"limits: {info['limits'].describe()}")
    kept = f" ({info['kept']} unchanged since the last run into {args.out}: kept)" if info["kept"] else ""
    print(f"graded {info['graded']} of {len(results)} submissions in {seconds:.1f} s{kept} "
          f"on {info['workers']} (gradebook {info['gradebook_seconds']:.1f} s, while grading) -> {table}, {report}"
          + (f"; {attention} need attention (see the status column)" if attention else ""))
    if info["nbgrader_root"]:
        print(f"autograded notebooks and feedback pages also in nbgrader's folders under {info['nbgrader_root']} "
              "(autograded/, feedback/): `nbgrader release_feedback` hands them back")
    if info["sandbox"].startswith("NOT"):
        print(f"WARNING: {info['sandbox']}", file=sys.stderr)
    # Submissions whose code was never run (no sandbox on their worker) are not graded: say so.
    return 1 if info["sandbox"].startswith("NOT GRADED") else 0
