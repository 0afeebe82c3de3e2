"""Grade a folder of submissions: jobs in parallel, each result into nbgrader's gradebook.

DIR is laid out like nbgrader's submitted/ (DIR/<student_id>/<assignment>/<assignment>.ipynb)
and is only ever read. Each submission is graded by an independent job (autograder.job) on a
worker (autograder.dispatch: local processes or a Dask cluster), which also renders the
student's feedback with nbgrader's template. As each result arrives it is kept in OUT/results/
(autograder.results_store), its scores are recorded in the gradebook through nbgrader's API,
its feedback page and autograded notebook (OUT/workspace/autograded/) are written, and it is
let go. When DIR is the course's own submitted/ folder, the autograded notebook and the page also
go where nbgrader's commands read them (autograder.nbgrader_folders), so `nbgrader
release_feedback` and `generate_feedback` work after it.
"""
import dataclasses
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from tqdm import tqdm

from . import lateness, sandbox
from .compile import compile_assignment
from .dispatch import DaskCluster, LocalPool
from .course import CourseError, course_config, ensure_tools_on_path, require_assignment
from .job import NO_SANDBOX, GradingJob, SubmissionResult
from .nbgrader_folders import NbgraderFolders
from .limits import resolve_limits
from .sanitize import with_csp
from .results_store import ResultStore, StoredResults, compiled_digest, fingerprint
from .runs import Run, clean_dead_runs
from .seeds import load_secret, student_seeds
from .submission import attempt_of, collect_note, printable
from .verdict import TestVerdict


# A student id is a plain name: it becomes a gradebook key, a folder and a spreadsheet cell, so
# nothing a spreadsheet or a shell would read as more than a name (=, +, -, @ first; spaces; quotes).
PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}")


def student_folders(submissions):
    """(students, refused): the student ids, the folders in `submissions` and links too (never
    followed: the job refuses them with a reason, rather than the student vanishing from the
    grades); and (shown name, reason) for each folder whose name is not a plain student id,
    which is not graded but is listed in grades.csv and the report."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise CourseError(f"submissions folder {submissions} does not exist")
    names = sorted(p.name for p in submissions.iterdir()
                   if (p.is_symlink() or p.is_dir()) and not p.name.startswith("."))
    if not names:
        raise CourseError(f"submissions folder {submissions} holds no student folders")
    students = [name for name in names if PLAIN_ID.fullmatch(name)]
    refused = [(printable(name), "not graded: the folder name is not a plain student id (letters, "
                "digits and . _ @ -, starting with a letter or digit): rename it to the student's id")
               for name in names if not PLAIN_ID.fullmatch(name)]
    return students, refused


def grade_assignment(root, assignment, submissions, out, db_url=None, workers=None,
                     secret_file=None, limits=None, limit_overrides=None, use_sandbox=True, log=print,
                     scratch_root=None, force=False, scheduler=None, nbgrader_root="auto"):
    """Grade every student folder in `submissions`. Returns (results, info) where results is a
    sequence of SubmissionResult in student order (without their notebooks and feedback pages,
    which are on disk by then), read back from OUT/results/ as it is used, and info describes the
    run for the report.

    Each result is kept under OUT/results/ as it finishes; its feedback page, its autograded
    notebook and its scores in the gradebook are written at once, and it is let go, so this process
    holds no result however many students there are. Running again grades only the submissions
    that are new or changed (or whose assignment, limits or seeds changed), unless `force`.
    info["graded"] and info["kept"] count the two; info["gradebook_seconds"] is the time spent
    writing the gradebook (while the jobs run).

    scheduler: the address of a Dask scheduler to run the jobs on (autograder.dispatch); without
    it, `workers` local processes.
    limits: a Limits to use as it is; else the course's and the assignment's from
    nbgrader_config.py, with `limit_overrides` (name -> value, from the command line) on top.
    scratch_root: where the run's scratch folder goes (default: the temp folder).
    nbgrader_root: the course folder whose autograded/ and feedback/ receive each result in
    nbgrader's layout; "auto" (the default): `root` when `submissions` is its submitted/ folder,
    else none (info["nbgrader_root"] says which).
    """
    ensure_tools_on_path()
    root, out, submissions = Path(root).resolve(), Path(out).resolve(), Path(submissions).resolve()
    source = require_assignment(root, assignment)
    students, refused = student_folders(submissions)
    if not students:
        raise CourseError(f"submissions folder {submissions} holds no folder named as a student id: "
                          + "; ".join(name for name, _ in refused))
    secret = load_secret(secret_file, root, log)
    compiled = compile_assignment(source, assignment)
    db_url = db_url or f"sqlite:///{root / 'gradebook.db'}"
    limits = limits or resolve_limits(course_config(root), assignment, limit_overrides)
    workers = max(1, workers or default_workers(limits))
    if use_sandbox and not scheduler and sandbox.unavailable():  # fail closed (Dask workers check their own)
        raise CourseError(f"refusing to run student code: {sandbox.unavailable()}, so it cannot be "
                          f"sandboxed; {sandbox.INSTALL_HINT}")
    if nbgrader_root == "auto":
        nbgrader_root = root if submissions == course_submitted(root) else None
    folders = NbgraderFolders(nbgrader_root) if nbgrader_root else None
    clean_dead_runs(scratch_root, log=log)
    with Run(scratch_root) as run:
        results, graded, gradebook_seconds, where = _grade_in_run(
            run, root, assignment, submissions, out, db_url, workers, secret, compiled, source, students,
            limits, use_sandbox, force, scheduler, folders)
    info = {"assignment": assignment, "students": len(students), "workers": where or "no workers (every result was kept)",
            "graded": graded, "kept": len(students) - graded,
            "gradebook_seconds": gradebook_seconds,
            "sandbox": sandbox_summary(results, use_sandbox), "db_url": _hide_password(db_url),
            "limits": limits, "run_id": run.id, "refused": refused, "lateness": results.lateness,
            "nbgrader_root": str(nbgrader_root) if nbgrader_root else None}
    return results, info


def course_submitted(root):
    """The course's submitted/ folder (where `nbgrader collect` puts submissions), resolved."""
    configured = course_config(root).CourseDirectory.get("submitted_directory", "submitted")
    return (Path(root) / configured).resolve()


def _grade_in_run(run, root, assignment, submissions, out, db_url, workers, secret, compiled,
                  source, students, limits, use_sandbox, force, scheduler, folders=None):
    jobs = [build_job(student, submissions / student / assignment, compiled, secret, limits, run, use_sandbox)
            for student in students]
    # On Dask the workers' sandboxes are not known here: each result says how it was contained.
    environment = "dask" if scheduler else sandbox.describe(use_sandbox)
    store, compiled_hash = ResultStore(out), compiled_digest(compiled)
    keys, pending = {}, []
    for job in jobs:
        keys[job.student_id] = key = fingerprint(job, compiled_hash, environment)
        kept = None if force else store.load(job.student_id, key, pages=False)
        # A worker without bubblewrap graded it, where one was asked for: grade it again.
        if kept is None or (scheduler and use_sandbox and kept.sandbox.startswith("NOT")):
            pending.append((job, key))

    # Start the workers first: importing the Jupyter stack takes seconds, and they can do it
    # while this process sets up the gradebook.
    dispatcher = progress = None
    if pending:
        dispatcher = DaskCluster(scheduler, compiled) if scheduler else \
            LocalPool(min(workers, len(pending)), compiled)
    where = dispatcher.describe() if dispatcher else None

    try:
        workspace = out / "workspace"
        config = record_assignment(root, assignment, source, compiled, db_url, workspace)

        # Each result is finished as it comes (its pages written, its scores in the gradebook,
        # while other jobs run) and then let go: `results` reads them back from the store.
        results, gradebook_seconds = StoredResults(store, students), 0.0
        late_by_student = results.lateness
        notebook_id = Path(compiled.notebook).stem
        with Gradebook(db_url) as gradebook:
            recorded = recorded_scores(gradebook, assignment) if len(pending) < len(students) else {}

            def finish(result):
                nonlocal gradebook_seconds
                start = time.perf_counter()
                # The deadline is the gradebook's now (an extension may have come since a kept result).
                late = lateness.assess(config, gradebook, assignment, result.student_id,
                                       submissions / result.student_id / assignment, result.score)
                late_by_student[result.student_id] = late
                write_outputs(result, assignment, compiled, out, workspace, late, folders,
                              submissions / result.student_id / assignment)
                # A kept result the gradebook already holds needs no writing (an unchanged re-run of
                # 1,000 a1 submissions spent 16 of its 17 s rewriting the same scores).
                if recorded.get(result.student_id) != gradebook_state(result, late):
                    record_in_gradebook(gradebook, assignment, notebook_id, result, late)
                gradebook_seconds += time.perf_counter() - start

            if dispatcher is not None:
                dispatcher.start(pending)
            waiting = {job.student_id for job, _ in pending}
            for student in students:  # kept from an earlier run: its pages again, while jobs run
                if student not in waiting:
                    finish(store.load(student, keys[student]))
            if dispatcher is not None:
                progress = _Progress(len(pending))
                for job, key, outcome in dispatcher.results():
                    if isinstance(outcome, SubmissionResult) and outcome.status.startswith(NO_SANDBOX):
                        results.hold(outcome)  # its code never ran: no score, no page, graded next run
                        progress.step(f"{job.student_id}: not graded (no sandbox on its worker)")
                        continue
                    if isinstance(outcome, SubmissionResult):
                        store.save(job.student_id, key, outcome)   # kept at once: a crash after this loses nothing
                        if key is None:   # too big to fingerprint: not kept, so held
                            results.hold(outcome)
                    else:  # a failure of the grader itself: this student only, not kept
                        outcome = grader_failure(job.student_id, compiled, outcome)
                        results.hold(outcome)
                    finish(outcome)
                    progress.step(f"{job.student_id}: {outcome.score:g}/{outcome.max_score:g}")
    finally:
        if dispatcher is not None:
            dispatcher.close()
        if progress is not None:
            progress.close()
    return results, len(pending), gradebook_seconds, where


class _Progress:
    """tqdm's bar on a terminal; in a log (CI, a redirected stderr) one plain line per submission,
    which tqdm's carriage-return updates would garble."""

    def __init__(self, total, stream=sys.stderr):
        self.stream, self.total, self.done = stream, total, 0
        self.bar = tqdm(total=total, desc="grading", unit="submission", file=stream, dynamic_ncols=True,
                        disable=not stream.isatty())

    def step(self, note):
        self.done += 1
        if self.bar.disable:
            self.stream.write(f"grading {self.done}/{self.total} {note}\n")
            self.stream.flush()
        else:
            self.bar.set_postfix_str(note, refresh=False)
            self.bar.update()

    def close(self):
        self.bar.close()


def default_workers(limits):
    """Twice the cores: a job waits part of its time for its kernel to boot, and another job's
    work fills that wait (24 a1 submissions on 2 cores: 17.1 s with 2 workers, 13.6 s with 4,
    13.4 s with 6). Beyond the cores, no more than the memory holds if every kernel used its
    memory limit and its disk cap (a sandbox's tmpfs is memory); never fewer than the cores."""
    cores = os.cpu_count() or 1
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        memory = None
    fits = memory // (limits.memory_bytes + limits.disk_bytes) if memory else 2 * cores
    return max(1, cores, min(2 * cores, fits))


def grader_failure(student, compiled, error):
    result = SubmissionResult(student, max_score=compiled.max_score,
                              status=f"grading failed: {type(error).__name__}: {error}")
    result.tests = {g: TestVerdict(g, 0.0, t.points, problem=result.status) for g, t in compiled.tests.items()}
    return result


def sandbox_summary(results, use_sandbox=True):
    """One line for the report: how student code was contained, over every result (on Dask each
    worker sandboxes as it can, so one without bubblewrap is named with what it graded)."""
    results = list(results)
    refused = [r.student_id for r in results if r.status.startswith(NO_SANDBOX)]
    if refused:
        ran = [r for r in results if not r.status.startswith(NO_SANDBOX)]
        shown = ", ".join(refused[:20]) + (f" and {len(refused) - 20} more" if len(refused) > 20 else "")
        return (f"NOT GRADED for {len(refused)} of {len(results)} submissions ({shown}): their workers "
                f"cannot sandbox student code, so it was not run ({sandbox.INSTALL_HINT}); the next run "
                "grades them" + (f". The others: {sandbox_summary(ran, use_sandbox)}" if ran else ""))
    found = {r.sandbox for r in results if r.sandbox} or {sandbox.describe(use_sandbox)}
    if len(found) == 1:
        return found.pop()
    bare = [r.student_id for r in results if r.sandbox.startswith("NOT")]
    shown = ", ".join(bare[:20]) + (f" and {len(bare) - 20} more" if len(bare) > 20 else "")
    return (f"NOT SANDBOXED for {len(bare)} of {len(results)} submissions ({shown}): they were graded "
            "on workers without bubblewrap, so their code ran with resource limits only, as the worker's "
            "user: it could read and change what that user can, the worker's copy of this assignment's "
            "solution and its Python environment included (install bubblewrap there, or stop that "
            "worker); the others were sandboxed with bubblewrap")


def build_job(student, folder, compiled, secret, limits, run, use_sandbox=True):
    """The job for one submission, with its seeds for this attempt. Both the CLI and nbgrader's
    Autograde (nbgrader_plugin) build jobs here, so both draw the same inputs."""
    attempt = attempt_of(folder, compiled.notebook, limits.notebook_max_bytes)
    seeds = student_seeds(secret, compiled.name, student, list(compiled.tests), attempt)
    return GradingJob(student, folder, compiled, seeds, limits, use_sandbox, str(run.path), run.cgroup_prefix,
                      collect_note=collect_note(folder))


def gradebook_is_current(db_url, assignment, compiled):
    """True when the gradebook has this assignment's test cells with the same points and code."""
    try:
        with Gradebook(db_url) as gradebook:
            notebook = gradebook.find_notebook(Path(compiled.notebook).stem, assignment)
            points = {cell.name: cell.max_score for cell in notebook.grade_cells}
            sources = {cell.name: cell.source for cell in notebook.source_cells}
    except Exception:  # no such assignment yet, or a database nbgrader must first create
        return False
    expected = {g: t.points for g, t in compiled.tests.items()}
    return points == expected and all(sources.get(g) == t.source for g, t in compiled.tests.items())


def record_assignment(root, assignment, source, compiled, db_url, workspace):
    """Record the assignment and its grade cells in the gradebook (nbgrader owns that schema), from a
    copy of its source in `workspace` (emptied first); returns the nbgrader config pointed there.
    Costs seconds, so only when the gradebook does not already hold this version."""
    if workspace.exists():
        shutil.rmtree(workspace)
    shutil.copytree(source, workspace / "source" / assignment)
    config = course_config(root, CourseDirectory__root=str(workspace), CourseDirectory__db_url=db_url,
                           CourseDirectory__source_directory="source")
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    generated = {"success": True} if gradebook_is_current(db_url, assignment, compiled) else \
        api.generate_assignment(assignment, force=True, create=True)
    if not generated["success"]:
        raise CourseError(f"nbgrader could not record {assignment} in the gradebook {db_url}: "
                          f"{_last_line(generated.get('error') or generated.get('log'))}")
    return config


def recorded_scores(gradebook, assignment):
    """{student: gradebook_state} for this assignment, as the gradebook holds them now."""
    scores = {}
    try:
        for submission in gradebook.assignment_submissions(assignment):
            state = scores.setdefault(submission.student_id, {})
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    state[grade.name] = grade.auto_score
                state[_PENALTY] = notebook.late_submission_penalty or 0.0
            state[_SUBMITTED] = submission.timestamp
    except Exception:  # noqa: BLE001  (then every result is written, as on a first run)
        return {}
    return scores


_PENALTY, _SUBMITTED = " late penalty", " submitted"   # keys no grade_id can be (they start with a space)


def gradebook_state(result, late):
    return {**{g: v.points for g, v in result.tests.items()}, _PENALTY: late.penalty, _SUBMITTED: late.submitted}


def record_in_gradebook(gradebook, assignment, notebook_id, result, late=None):
    """One student's scores per grade cell into nbgrader's gradebook (an open Gradebook), with the
    submission's time and late penalty where nbgrader's autograde keeps them."""
    late = late or lateness.Lateness()
    gradebook.update_or_create_student(result.student_id)
    gradebook.update_or_create_submission(assignment, result.student_id,
                                          **({"timestamp": late.submitted} if late.submitted else {}))
    for grade_id, verdict in result.tests.items():
        grade = gradebook.find_grade(grade_id, notebook_id, assignment, result.student_id)
        grade.auto_score = verdict.points
        grade.needs_manual_grade = grade.manual_score is not None
    try:
        notebook = gradebook.find_submission_notebook(notebook_id, assignment, result.student_id)
        notebook.late_submission_penalty = late.penalty or None
    except MissingEntry:
        pass
    gradebook.db.commit()


def write_outputs(result, assignment, compiled, out, workspace, late=None, folders=None, submission=None):
    """The student's feedback page (rendered by the job with nbgrader's feedback template and
    hidden-test filters, or, when the notebook could not be run, a short page saying why) and
    the autograded notebook in nbgrader's layout (workspace/autograded/<student>/<assignment>/);
    with `folders` (a NbgraderFolders), both also where nbgrader's commands read them, beside the
    `submission` folder's timestamp.txt and submission_secret.txt.
    """
    target = out / "feedback" / result.student_id / f"{assignment}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        page = with_deadline(result.feedback_html or _plain_feedback(assignment, result), result, late)
        target.write_text(page, errors="replace")
    except (OSError, ValueError) as error:  # one student's page never stops the run
        page = _plain_feedback(assignment, result, f"its page could not be written: {error}")
        target.write_text(page, errors="replace")
    if folders is not None:
        try:
            problems = folders.write(result.student_id, assignment, compiled.notebook, result.notebook, page,
                                     submission)
        except (OSError, ValueError) as error:
            problems = [f"not written ({error})"]
        if problems:
            print(f"warning: {result.student_id}'s results in {folders.coursedir.root}'s autograded/ and "
                  f"feedback/: {'; '.join(problems)}", file=sys.stderr)
    if result.notebook is not None:
        folder = workspace / "autograded" / result.student_id / assignment
        folder.mkdir(parents=True, exist_ok=True)
        try:
            nbformat.write(nbformat.from_dict(result.notebook), folder / compiled.notebook)
        except (OSError, ValueError) as error:
            (folder / compiled.notebook).unlink(missing_ok=True)
            print(f"warning: {result.student_id}'s autograded notebook could not be written: {error}",
                  file=sys.stderr)


def with_deadline(page, result, late):
    """The page with a line at the top saying when it was submitted, when it was due and what
    lateness cost (our own text, escaped; the page is the job's, already sanitised)."""
    import html
    if late is None or not late.note:
        return page
    final = f" Your score after the penalty: {max(result.score - late.penalty, 0):g} / {result.max_score:g}." \
        if late.penalty else ""
    banner = (f"<p class='autograder-deadline'><b>{html.escape(late.note[:1].upper() + late.note[1:])}.</b>"
              f"{html.escape(final)}</p>")
    match = re.search(r"<body[^>]*>", page)
    return page[:match.end()] + banner + page[match.end():] if match else banner + page


def _plain_feedback(assignment, result, why=None):
    import html
    if why:
        result = dataclasses.replace(result, status=f"{result.status}; {why}")
    return with_csp(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(assignment)}: feedback"
        f"</title></head><body><h1>{html.escape(assignment)}: {result.score:g} / "
        f"{result.max_score:g}</h1><p>Your submission could not be graded: "
        f"<b>{html.escape(result.status)}</b>.</p><p>Check that you submitted "
        f"<code>{html.escape(assignment)}.ipynb</code>, saved from JupyterLab, in the folder "
        f"<code>{html.escape(assignment)}/</code>, and ask your instructor.</p></body></html>")


def _last_line(text):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no details"


def _hide_password(url):
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.split("@", 1)
        return f"{scheme}://{credentials.split(':')[0]}:***@{host}" if ":" in credentials else url
    return url
