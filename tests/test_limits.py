"""Limits: defaults, per course and per assignment from nbgrader_config.py, per run on the
command line, and a one-line refusal for every bad value."""
import subprocess
import sys

import pytest
from traitlets.config import Config

from autograder.course import CourseError
from autograder.limits import Limits, parse_value, resolve_limits
from conftest import REPO

MIB, GIB = 1024**2, 1024**3


@pytest.mark.parametrize("name, value, expected", [
    ("disk_bytes", "256MiB", 256 * MIB), ("disk_bytes", "2 GB", 2_000_000_000), ("memory_bytes", "3GiB", 3 * GIB),
    ("output_bytes", "200kB", 200_000), ("output_bytes", 5000, 5000), ("file_bytes", "2048k", 2048 * 1024),
    ("cell_seconds", "1.5", 1.5), ("cell_seconds", 90, 90.0), ("processes", "32", 32),
])
def test_values_with_and_without_units(name, value, expected):
    parsed = parse_value(name, value, "here")
    assert parsed == expected and type(parsed) is type(expected)


@pytest.mark.parametrize("name, value, message", [
    ("cell_seconds", -3, "cell_seconds must be a positive number"),
    ("cell_seconds", 0, "must be a positive number"),
    ("cell_seconds", "abc", "must be a positive number, not 'abc'"),
    ("cell_seconds", "30MiB", "must be a positive number"),          # a size for a time
    ("disk_bytes", "10 parsecs", "units: kB, KiB, MB, MiB, GB, GiB"),
    ("disk_bytes", True, "must be a positive number"),
    ("disk_bytes", float("inf"), "must be a positive number"),
    ("processes", "20.5", "whole number"),
    # values a kernel cannot run with, or that turn off a limit (nbclient reads 0 s as none)
    ("memory_bytes", "0.5", "memory_bytes must be between 256 MiB and 1 TiB"),
    ("memory_bytes", "512", "between 256 MiB and 1 TiB, not '512'"),   # MiB meant, bytes said
    ("memory_bytes", "1e30", "between 256 MiB and 1 TiB"),
    ("disk_bytes", "1e30", "between 1 MiB and 1 TiB"),
    ("cell_seconds", "0.5", "cell_seconds must be between 1 and 86400"),
    ("processes", 4, "between 16 and 100000"),
    ("cpu_seconds", 10, "unknown limit 'cpu_seconds'"),
])
def test_bad_values_are_refused_in_one_line(name, value, message):
    with pytest.raises(CourseError, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        parse_value(name, value, "here")
    assert "\n" not in str(error.value) and str(error.value).startswith("here: ")


def test_course_then_assignment_then_command_line():
    config = Config()
    config.Autograder.limits = {"cell_seconds": 40, "memory_bytes": "2GiB"}
    config.Autograder.assignment_limits = {"a3": {"cell_seconds": 120}}
    assert resolve_limits(Config(), "a1") == Limits()
    course = resolve_limits(config, "a1")
    assert (course.cell_seconds, course.memory_bytes) == (40, 2 * GIB)
    assignment = resolve_limits(config, "a3")
    assert (assignment.cell_seconds, assignment.memory_bytes) == (120, 2 * GIB)
    run = resolve_limits(config, "a3", {"cell_seconds": "15", "disk_bytes": "64MiB"})
    assert (run.cell_seconds, run.memory_bytes, run.disk_bytes) == (15, 2 * GIB, 64 * MIB)


def test_bad_configuration_names_where_it_is():
    config = Config()
    config.Autograder.assignment_limits = {"a3": {"memory_bytes": "lots"}}
    with pytest.raises(CourseError, match=r"c.Autograder.assignment_limits\['a3'\]: memory_bytes"):
        resolve_limits(config, "a3")
    config = Config()
    config.Autograder.limits = ["cell_seconds", 5]
    with pytest.raises(CourseError, match="c.Autograder.limits: expected a dict"):
        resolve_limits(config, "a1")


def test_the_course_configuration_is_valid():
    from autograder.course import course_config
    limits = resolve_limits(course_config(REPO), "a1_derivatives")
    assert limits.disk_bytes == 256 * MIB and limits.notebook_max_bytes == 50 * MIB


@pytest.mark.parametrize("flag, value, message", [
    ("--cell-seconds", "-3", "command line: cell_seconds must be a positive number"),
    ("--memory-bytes", "lots", "command line: memory_bytes must be a positive number"),
    ("--processes", "0", "command line: processes must be a positive number"),
    ("--cell-seconds", "0.5", "command line: cell_seconds must be between 1 and 86400"),
])
def test_command_line_refuses_bad_limits(tmp_path, flag, value, message):
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "a1_derivatives", "--submissions",
                           str(tmp_path / "subs"), "--out", str(tmp_path / "out"), flag, value],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
