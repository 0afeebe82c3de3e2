"""Write the grades table."""
import csv
from pathlib import Path


def write_grades_csv(results, path):
    """One row per student: student_id, score, max_score, one column per graded test, status."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    test_ids = list(results[0].tests) if results else []
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "score", "max_score", *test_ids, "status"])
        for r in results:
            writer.writerow([r.student_id, _number(r.score), _number(r.max_score),
                             *(_number(r.tests[t]) for t in test_ids), r.status])
    return path


def _number(value):
    return f"{value:g}"
