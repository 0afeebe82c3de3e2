"""Hostile students against `python -m autograder serve`: attempts crafted directly in the
exchange's inbound folder (as nbgrader submit leaves them: notebook, timestamp.txt,
submission_secret.txt). One bad attempt must not stop the service or the others being graded.
"""
import json
import os
import shutil

import nbformat
import pytest

from autograder.serve import LEDGER, Service
from submissions import ASSIGNMENT
from test_term import answer, course_with_exchange, nbgrader

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not shutil.which("bwrap"), reason="the sandbox needs the Debian package bubblewrap")]
COURSE_ID = "mvcalc-ml"


def plant(inbound, name, notebook, secret=b"s" * 128, timestamp=b"2026-12-01 10:00:00.000000 UTC"):
    folder = os.path.join(os.fsencode(inbound), name)
    os.mkdir(folder)
    nbformat.write(notebook, os.fsdecode(os.path.join(folder, f"{ASSIGNMENT}.ipynb".encode())))
    with open(os.path.join(folder, b"timestamp.txt"), "wb") as out:
        out.write(timestamp)
    with open(os.path.join(folder, b"submission_secret.txt"), "wb") as out:
        out.write(secret)
    return folder


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-serve")
    course, exchange = course_with_exchange(base, "hostile-serve-secret-0123456789abcdef")
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    nbgrader(course, "release_assignment", ASSIGNMENT)
    inbound = exchange / COURSE_ID / "inbound"
    released = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    # a name whose time part is not UTF-8 (os.listdir hands it back surrogate-escaped): it used to
    # crash the whole service (UnicodeEncodeError hashing the name for its state folder)
    odd = plant(inbound, f"eve+{ASSIGNMENT}+2026-12-01 10:00:00".encode() + b"\xff+x", answer(released, "eve"))
    honest = plant(inbound, f"ann+{ASSIGNMENT}+2026-12-01 10:00:01.000000 UTC+ab12".encode(), answer(released, "ann"),
                   secret=b"a" * 128)
    counts = Service(course, [ASSIGNMENT], state=course / "serve", workers=2, interval=0.2).run(once=True)
    entries = [json.loads(line) for line in (course / "serve" / LEDGER).read_text().splitlines()]
    return {"counts": counts, "entries": entries, "odd": odd, "honest": honest}


def test_a_name_that_is_not_utf8_is_handled_and_does_not_stop_the_others(served):
    assert served["counts"]["graded"] + served["counts"]["refused"] == 2, served["counts"]
    by_student = {e["student"]: e for e in served["entries"]}
    assert by_student["ann"]["status"] == "graded"
    assert by_student["eve"]["attempt"] == os.fsdecode(served["odd"]).rsplit("/", 1)[-1]
    assert by_student["eve"]["released"]   # answered: graded (or refused with a page), not a crash
