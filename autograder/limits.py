"""What a submission may use: time, memory, processes, output, disk, and the size of the
notebook itself. Set per course and per assignment in nbgrader_config.py, per run on the
command line; the most specific wins:

    c.Autograder.limits = {"memory_bytes": "2GiB"}                              # the course
    c.Autograder.assignment_limits = {"a3_backpropagation": {"cell_seconds": 120}}
    python -m autograder grade ... --cell-seconds 90                            # this run
"""
import re
from dataclasses import dataclass, fields, replace

from .course import CourseError

KIB, MIB, GIB = 1024, 1024**2, 1024**3


@dataclass(frozen=True)
class Limits:
    cell_seconds: float = 30.0            # wall time of one cell (hidden tests included)
    notebook_seconds: float = 180.0       # wall time of the whole submission
    memory_bytes: int = 3 * GIB           # address space of the kernel
    processes: int = 64                   # processes and threads in the sandbox
    output_bytes: int = 200_000           # outputs kept per cell; the rest is dropped
    notebook_output_bytes: int = 4 * MIB  # outputs kept per notebook, every cell and channel
    file_bytes: int = 64 * MIB            # largest single file the kernel may write
    disk_bytes: int = 256 * MIB           # all it writes, in its folder and /tmp together
    notebook_max_bytes: int = 50 * MIB    # a larger submitted notebook is refused unread

    def describe(self):
        """One line for the report and the command's output."""
        return (f"{self.cell_seconds:g} s per cell, {self.notebook_seconds:g} s per notebook, "
                f"{size(self.memory_bytes)} of memory, {self.processes} processes, "
                f"{size(self.output_bytes)} of output per cell and {size(self.notebook_output_bytes)} per "
                f"notebook, {size(self.file_bytes)} per file, "
                f"{size(self.disk_bytes)} written in all, notebooks up to {size(self.notebook_max_bytes)}")


NAMES = [f.name for f in fields(Limits)]
# Below these a kernel cannot start or a whole class scores zero for the instructor's typo;
# above them a value is surely a mistake (a unit left out or added).
BOUNDS = {
    "cell_seconds": (1, 86_400), "notebook_seconds": (1, 7 * 86_400),
    "memory_bytes": (256 * MIB, 1024 * GIB), "processes": (16, 100_000),
    "output_bytes": (1000, 1024 * MIB), "notebook_output_bytes": (10_000, 4 * 1024 * MIB),
    "file_bytes": (MIB, 1024 * GIB),
    "disk_bytes": (MIB, 1024 * GIB), "notebook_max_bytes": (MIB, 1024 * GIB),
}
UNITS = {"": 1, "b": 1, "k": KIB, "kb": 1000, "kib": KIB, "m": MIB, "mb": 1000**2, "mib": MIB,
         "g": GIB, "gb": 1000**3, "gib": GIB}


def size(n):
    """Bytes as a person reads them: 256 MiB, 3 GiB, 200 kB."""
    for unit, factor in (("TiB", 1024 * GIB), ("GiB", GIB), ("MiB", MIB)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n / 1000:.3g} kB" if n >= 1000 else f"{n} bytes"


def parse_value(name, value, where):
    """A positive number for limit `name`; sizes may carry a unit (256MiB, 2GB, 512k)."""
    if name not in NAMES:
        raise CourseError(f"{where}: unknown limit {name!r} (known: {', '.join(NAMES)})")
    kind = Limits.__dataclass_fields__[name].type
    if isinstance(value, bool):
        raise CourseError(f"{where}: {name} must be a positive number, not {value!r}")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*", str(value))
        unit = match.group(2).lower() if match else None
        if not match or unit not in UNITS or (unit and not name.endswith("_bytes")):
            raise CourseError(f"{where}: {name} must be a positive number"
                              f"{' (units: kB, KiB, MB, MiB, GB, GiB)' if name.endswith('_bytes') else ''}"
                              f", not {value!r}")
        number = float(match.group(1)) * UNITS[unit]
    if not number > 0 or number == float("inf"):
        raise CourseError(f"{where}: {name} must be a positive number, not {value!r}")
    low, high = BOUNDS[name]
    if not low <= number <= high:
        show = size if name.endswith("_bytes") else (lambda n: f"{n:g}")
        raise CourseError(f"{where}: {name} must be between {show(low)} and {show(high)}, not {value!r}")
    if kind in (int, "int"):
        if name == "processes" and number != int(number):
            raise CourseError(f"{where}: processes must be a whole number, not {value!r}")
        return int(number)
    return number


def apply(limits, overrides, where):
    """`limits` with the values in `overrides` (a dict of name -> value), checked."""
    if overrides is None:
        return limits
    if not isinstance(overrides, dict):
        raise CourseError(f"{where}: expected a dict of limits, not {type(overrides).__name__}")
    return replace(limits, **{name: parse_value(name, value, where) for name, value in overrides.items()})


def resolve_limits(config, assignment, run_overrides=None):
    """The limits for one grading run: defaults, then the course's, then the assignment's
    (both from nbgrader_config.py's `c.Autograder`), then the command line's."""
    section = config.get("Autograder", {}) if config is not None else {}
    limits = apply(Limits(), _plain(section.get("limits")), "c.Autograder.limits")
    per_assignment = _plain(section.get("assignment_limits")) or {}
    if not isinstance(per_assignment, dict):
        raise CourseError("c.Autograder.assignment_limits: expected a dict of assignment -> limits")
    limits = apply(limits, _plain(per_assignment.get(assignment)),
                   f"c.Autograder.assignment_limits[{assignment!r}]")
    return apply(limits, run_overrides, "command line")


def _plain(value):
    """traitlets hands unset sections back as empty Config objects: treat them as absent."""
    if value is None or (hasattr(value, "keys") and not dict(value)):
        return None
    return dict(value) if hasattr(value, "keys") else value
