"""Hostile students and nbgrader's exchange: links planted where submissions are collected
(the inbound folder is writable by every student) never bring the instructor's files into
submitted/, autograded/, feedback/ or the released feedback, and what was left out is named.

Everything runs through nbgrader's real exchange in a temporary root, with this repository's
nbgrader_config.py in effect: `nbgrader collect`, `autograde`, `generate_feedback` on the
command line, and NbGraderAPI (what Formgrader's buttons call) for the rest. A one-cell
assignment keeps it fast; autograde runs without executing (the copying is under test here;
tests/test_nbgrader_path.py runs the grading job through nbgrader).
"""
import hashlib
import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.utils import notebook_hash

from conftest import REPO

pytestmark = pytest.mark.slow

A = "tiny"
COURSE_ID = "mvcalc-ml"   # nbgrader_config.py's
SECRET = b"course-secret-7f3a9c1e5b0d2468ace13579bdf02468"
MARK = "instructor-only-solution-5e8d1c"   # in the source notebook's solution, never released
EVIL = b"<html>planted page 91c2</html>"


def ts(day, hour=10):
    return f"2026-11-{day:02d} {hour:02d}:00:00.000000 UTC"


def notebook(answer):
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    return new_notebook(metadata=meta, cells=[
        new_code_cell(f"def double(x):\n    ### BEGIN SOLUTION\n    {answer}\n    ### END SOLUTION",
                      metadata={"nbgrader": {"solution": True, "grade": False, "locked": False,
                                             "grade_id": "double", "schema_version": 3}}),
        new_code_cell("assert double(2) == 4", metadata={"nbgrader": {
            "solution": False, "grade": True, "locked": True, "points": 1,
            "grade_id": "test_double", "schema_version": 3}}),
    ])


def run(course, *args, ok=True):
    """An nbgrader command in the course folder (which holds our nbgrader_config.py)."""
    env = {k: v for k, v in os.environ.items() if k != "COURSE_SOURCE"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=300)
    if ok:
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done


API = """
import json, sys
from nbgrader.apps import NbGraderAPI
from nbgrader.apps.baseapp import NbGrader
from nbgrader.coursedir import CourseDirectory
app = NbGrader()
app.load_config_file()   # as Formgrader's extension loads the course's config
api = NbGraderAPI(coursedir=CourseDirectory(config=app.config), config=app.config)
print(json.dumps([getattr(api, call[0])(*call[1:]) for call in json.loads(sys.argv[1])]))
"""


def formgrader(course, *calls):
    """NbGraderAPI calls, as Formgrader's buttons make them; each result must be a success."""
    env = {k: v for k, v in os.environ.items() if k != "COURSE_SOURCE"}
    done = subprocess.run([sys.executable, "-c", API, json.dumps(calls)], cwd=course, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for call, result in zip(calls, results):
        assert result["success"], (call, result.get("log", "")[-3000:], result.get("error"))
    return results


def state(top):
    """Every entry under `top`, never following a link: (path, kind, content hash or link
    target, mode). Special files are not opened."""
    out = {}
    for dirname, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = os.path.join(dirname, name)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                what = ("link", os.readlink(path))
            elif stat.S_ISREG(st.st_mode):
                what = ("file", hashlib.sha256(Path(path).read_bytes()).hexdigest())
            else:
                what = ("dir" if stat.S_ISDIR(st.st_mode) else "special", "")
            out[os.path.relpath(path, top)] = (*what, stat.S_IMODE(st.st_mode))
    return out


def regular_files(top):
    return {k: v[1] for k, v in state(top).items() if v[0] == "file"}


def leaks(*tops):
    """Files under `tops` that hold the course secret or the source's solution; and any link."""
    found = []
    for top in tops:
        for path, (kind, digest, _) in state(top).items():
            full = Path(top) / path
            if kind == "link":
                found.append(f"{full} is a link")
            elif kind == "file" and (SECRET in full.read_bytes() or MARK.encode() in full.read_bytes()):
                found.append(str(full))
    return found


def plant_socket(path):
    """A Unix socket file at `path` (bound in a short folder: socket paths are limited to 107 bytes)."""
    short = tempfile.mkdtemp(dir="/tmp")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(os.path.join(short, "s"))
    sock.close()
    os.rename(os.path.join(short, "s"), path)
    os.rmdir(short)


def honest(inbound, student, when, answer="return 2 * x", extra=True):
    folder = inbound / f"{student}+{A}+{when}+{hashlib.md5(student.encode() + when.encode()).hexdigest()[:8]}"
    folder.mkdir()
    nbformat.write(notebook(answer), folder / f"{A}.ipynb")   # what nbgrader submit leaves there
    (folder / "timestamp.txt").write_text(when)
    (folder / "submission_secret.txt").write_text(hashlib.sha256(folder.name.encode()).hexdigest())
    if extra:
        (folder / "notes").mkdir()
        (folder / "notes" / "working.md").write_text(f"{student}'s own working\n")
    return folder


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-exchange")
    root, exchange = base / "course", base / "exchange"
    (root / "source" / A).mkdir(parents=True)
    nbformat.write(notebook(f"return 2 * x  # {MARK}"), root / "source" / A / f"{A}.ipynb")
    (root / "source" / A / "data.csv").write_text("x,y\n1,2\n")
    (root / "course.secret").write_bytes(SECRET)
    (root / "private").mkdir()   # an instructor's folder a student may point a link at
    (root / "private" / "answers.txt").write_bytes(SECRET)
    (root / "private" / "page.html").write_bytes(b"<html>" + SECRET + b"</html>")
    config = (REPO / "nbgrader_config.py").read_text()
    (root / "nbgrader_config.py").write_text(config + f"\nc.Exchange.root = {str(exchange)!r}\n")
    formgrader(root, ["generate_assignment", A], ["release_assignment", A])
    inbound = exchange / COURSE_ID / "inbound"
    assert inbound.is_dir()
    return {"root": root, "exchange": exchange, "inbound": inbound}


@pytest.fixture(scope="module")
def collected(course):
    """First collect: two honest students, and mallory and eve, who plant links."""
    root, inbound = course["root"], course["inbound"]
    ada = honest(inbound, "ada", ts(20))
    fay = honest(inbound, "fay", ts(20, 11), extra=False)
    mallory = inbound / f"mallory+{A}+{ts(20)}+0badf00d"
    mallory.mkdir()
    (mallory / f"{A}.ipynb").symlink_to(root / "source" / A / f"{A}.ipynb")
    (mallory / "timestamp.txt").symlink_to(root / "course.secret")
    (mallory / "answers.txt").symlink_to(root / "course.secret")
    (mallory / "private").symlink_to(root / "private")
    os.link(root / "course.secret", mallory / "hard.txt")
    os.mkfifo(mallory / "pipe")
    plant_socket(mallory / "sock")
    (mallory / "own.txt").write_text("mallory's own words\n")
    (mallory / "submission_secret.txt").write_text("0" * 64)
    eve = inbound / f"eve+{A}+{ts(20)}+0000beef"
    eve.symlink_to(root / "source" / A)   # the whole submission, a link
    before = state(inbound)
    done = run(root, "collect", A)
    return {**course, "log": done.stderr, "before": before, "ada": ada, "fay": fay, "mallory": mallory}


def test_collect_copies_no_instructor_content(collected):
    assert not leaks(collected["root"] / "submitted")
    assert (collected["root"] / "submitted" / "ada" / A / f"{A}.ipynb").is_file()


def test_collect_names_what_it_skipped(collected):
    log = collected["log"]
    expected = [f"{A}.ipynb (a link)", "timestamp.txt (a link)", "answers.txt (a link)", "private (a link)",
                "hard.txt (a hard link to another file)", "pipe (a FIFO)", "sock (a socket)"]
    note = collected["root"] / "submitted" / "mallory" / f"{A}.not-collected.txt"
    for item in expected:
        assert item in log, item
        assert item in note.read_text(), item
    assert f"eve+{A}+" in log and "it is a link, not a folder" in log
    assert not (collected["root"] / "submitted" / "eve" / A).exists()
    assert "it is a link, not a folder" in (collected["root"] / "submitted" / "eve" / f"{A}.not-collected.txt").read_text()


def test_collect_copies_regular_files_only_and_touches_nothing(collected):
    submitted = collected["root"] / "submitted"
    assert regular_files(submitted / "ada" / A) == regular_files(collected["ada"])   # byte for byte
    assert regular_files(submitted / "fay" / A) == regular_files(collected["fay"])
    assert sorted(regular_files(submitted / "mallory" / A)) == ["own.txt", "submission_secret.txt"]
    assert not (submitted / "ada" / f"{A}.not-collected.txt").exists()
    assert state(collected["inbound"]) == collected["before"]


@pytest.fixture(scope="module")
def updated(collected):
    """collect --update: newer submissions replace older ones, but not a link, and a name
    nbgrader cannot read is refused on its own."""
    root, inbound = collected["root"], collected["inbound"]
    ada2 = honest(inbound, "ada", ts(21), answer="return x + x")
    (inbound / f"fay+{A}+{ts(21)}+1234abcd").symlink_to(root / "private")
    mallory2 = honest(inbound, "mallory", ts(21), extra=False)
    (mallory2 / "timestamp.txt").write_text("when I feel like it")
    zed = honest(inbound, "zed", "not a time")
    before = state(inbound)
    done = run(root, "collect", "--update", A)
    return {**collected, "log": done.stderr, "before": before, "ada2": ada2, "mallory2": mallory2, "zed": zed}


def test_collect_update_keeps_nbgrader_semantics(updated):
    submitted, log = updated["root"] / "submitted", updated["log"]
    assert regular_files(submitted / "ada" / A) == regular_files(updated["ada2"])   # the latest wins
    assert regular_files(submitted / "fay" / A) == regular_files(updated["fay"])    # a link never does
    assert "the submission collected before is kept" in (submitted / "fay" / f"{A}.not-collected.txt").read_text()
    mallory = sorted(regular_files(submitted / "mallory" / A))
    assert mallory == ["submission_secret.txt", f"{A}.ipynb"]   # her unreadable timestamp.txt left out
    note = (submitted / "mallory" / f"{A}.not-collected.txt").read_text()
    assert "timestamp.txt (not a time nbgrader can read" in note and "pipe" not in note   # rewritten
    assert updated["zed"].name in log and "does not end in a time nbgrader can read" in log
    assert not (submitted / "zed" / A).exists()
    assert "does not end in a time" in (submitted / "zed" / f"{A}.not-collected.txt").read_text()
    assert not leaks(submitted)
    assert state(updated["inbound"]) == updated["before"]


def test_collect_refuses_a_linked_inbound_folder(course, tmp_path):
    """Students may write in the exchange's root: a course or inbound folder that is a link
    (or not the instructor's) is refused before anything is read through it."""
    root = course["root"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    honest(elsewhere, "zoe", ts(20))
    (tmp_path / "exchange" / COURSE_ID).mkdir(parents=True)
    (tmp_path / "exchange" / COURSE_ID / "inbound").symlink_to(elsewhere)
    done = run(root, "collect", A, f"--Exchange.root={tmp_path / 'exchange'}", ok=False)
    assert done.returncode != 0
    assert "Refusing to collect" in done.stderr and "is a link, not a folder" in done.stderr
    assert not (root / "submitted" / "zoe").exists()


def submitted_by_hand(root, student):
    """A folder that reached submitted/ some other way (an archive from a learning platform)."""
    folder = root / "submitted" / student / A
    folder.mkdir(parents=True)
    nbformat.write(notebook("return 2 * x"), folder / f"{A}.ipynb")
    (folder / "timestamp.txt").write_text(ts(20))
    (folder / "submission_secret.txt").write_text(hashlib.sha256(student.encode()).hexdigest())
    return folder


@pytest.fixture(scope="module")
def autograded(updated):
    root = updated["root"]
    gus, hal = submitted_by_hand(root, "gus"), submitted_by_hand(root, "hal")
    (gus / "leak.txt").symlink_to(root / "course.secret")
    (gus / "private").symlink_to(root / "private")
    os.mkfifo(hal / "pipe")
    before = state(root / "submitted")
    # Without executing (no kernel): the copying of the other files is under test here.
    done = run(root, "autograde", A, "--Autograde.autograde_preprocessors=nbgrader.preprocessors.SaveAutoGrades")
    return {**updated, "log": done.stderr, "submitted_before": before}


def test_autograde_copies_no_link(autograded):
    folder = autograded["root"] / "autograded"
    assert not leaks(folder)
    for student in ("gus", "hal"):
        assert (folder / student / A / f"{A}.ipynb").is_file() and (folder / student / A / "data.csv").is_file()
    for item in ("leak.txt (a link)", "private (a link)", "pipe (a FIFO)"):
        assert item in autograded["log"], item
    assert state(autograded["root"] / "submitted") == autograded["submitted_before"]


@pytest.fixture(scope="module")
def feedback(autograded):
    root = autograded["root"]
    ada, fay = root / "autograded" / "ada" / A, root / "autograded" / "fay" / A
    (ada / "leak.txt").symlink_to(root / "course.secret")
    (ada / "private").symlink_to(root / "private")
    os.mkfifo(fay / "pipe")
    done = run(root, "generate_feedback", A)
    return {**autograded, "log": done.stderr}


def test_generate_feedback_copies_no_link(feedback):
    folder = feedback["root"] / "feedback"
    assert not leaks(folder)
    for student in ("ada", "fay", "gus", "hal", "mallory"):
        assert (folder / student / A / f"{A}.html").is_file(), student
    assert (folder / "ada" / A / "notes" / "working.md").is_file()   # regular files still travel
    for item in ("leak.txt (a link)", "private (a link)", "pipe (a FIFO)"):
        assert item in feedback["log"], item


@pytest.fixture(scope="module")
def released(feedback):
    """Besides ada's page, feedback/ holds a page nobody generated (a student's extra file
    `evil.html` travels there with the others), and gus's page is a link to a secret page."""
    root = feedback["root"]
    (root / "feedback" / "ada" / A / "evil.html").write_bytes(EVIL)
    gus_page = root / "feedback" / "gus" / A / f"{A}.html"
    gus_page.unlink()
    gus_page.symlink_to(root / "private" / "page.html")
    [result] = formgrader(root, ["release_feedback", A])
    return {**feedback, "log": result["log"]}


def test_release_feedback_releases_only_genuine_pages(released):
    root = released["root"]
    outbound = released["exchange"] / COURSE_ID / "feedback"
    pages = {p.name: p.read_bytes() for p in outbound.iterdir()}

    def page_of(student):
        secret = (root / "feedback" / student / A / "submission_secret.txt").read_text()
        return f"{notebook_hash(secret=secret, notebook_id=A)}.html"

    genuine = {student: (root / "feedback" / student / A / f"{A}.html").read_bytes()
               for student in ("ada", "fay", "hal", "mallory")}
    assert pages == {page_of(student): page for student, page in genuine.items()}
    assert not leaks(outbound) and not any(EVIL in page for page in pages.values())
    assert "evil.html (not the feedback page of one of the assignment's notebooks)" in released["log"]
    assert f"{A}.html (a link)" in released["log"] and "'gus'" in released["log"]
