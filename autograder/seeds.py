"""Per-student hidden inputs: seeds derived from a course secret that never leaves the grader."""
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from .course import CourseError

DEFAULT_SECRET_NAME = "course.secret"   # in the course root; .gitignore keeps it out of git


def load_secret(path=None, root=None, log=print):
    """Read the secret from `path`; with no path, use (and on first use create) the course's."""
    if path is None:
        path = Path(root) / DEFAULT_SECRET_NAME
        if not path.exists():
            path.write_text(secrets.token_hex(32) + "\n")
            os.chmod(path, 0o600)
            log(f"created a new course secret in {path}: keep it, or regrades change inputs")
    path = Path(path)
    try:
        secret = path.read_bytes().strip()
    except OSError as error:
        raise CourseError(f"cannot read secret file {path}: {error.strerror}") from None
    if len(secret) < 16:
        raise CourseError(f"secret file {path} is empty or too short (need 16+ bytes)")
    return secret


def derive_seed(secret, assignment, student_id, grade_id, attempt=""):
    """A 63-bit seed: the same for a regrade of the same attempt, different for every
    student, test and attempt (see autograder.submission.attempt_of)."""
    message = "\0".join([assignment, student_id, grade_id, attempt]).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def student_seeds(secret, assignment, student_id, grade_ids, attempt=""):
    return {g: derive_seed(secret, assignment, student_id, g, attempt) for g in grade_ids}
