"""What a grading run writes for the instructor: grades.csv and report.html."""
import base64
import csv
import html
import io
from collections import Counter
from pathlib import Path

import numpy as np

from .sanitize import valid_text, with_csp


def status_of(result):
    if result.status != "graded":
        return result.status
    return "; ".join(["graded", *([result.problem] if result.problem else []), *result.notes])


# A spreadsheet runs a cell that begins with one of these as a formula (OWASP's CSV injection),
# also after leading spaces or line breaks, and in their full-width forms.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_cell(value):
    """A CSV cell a spreadsheet shows as text: a leading quote where it would see a formula
    (the csv writer then quotes the cell as it needs); text always valid Unicode."""
    text = valid_text(str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) or text.lstrip(" \n\r\t").startswith(FORMULA_STARTS) \
        else text


class SafeCSVWriter:
    """csv.writer whose every cell goes through spreadsheet_cell: every CSV this project writes."""

    def __init__(self, handle):
        self._writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL)

    def writerow(self, row):
        self._writer.writerow([spreadsheet_cell(cell) for cell in row])


def write_grades_csv(results, path, test_ids, refused=(), lateness=None):
    """One row per student: student_id, score (after any late penalty), max_score, one column per
    graded test, raw_score, late_penalty, the submission's and the due date's times (`lateness`:
    student -> lateness.Lateness, as nbgrader's export has them), status; then a row per folder
    that was not graded (`refused`: (name, reason) pairs)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lateness = lateness or {}
    with path.open("w", newline="") as handle:
        writer = SafeCSVWriter(handle)
        writer.writerow(["student_id", "score", "max_score", *test_ids, "raw_score", "late_penalty",
                         "submitted", "due", "status"])
        for r in results:
            late = lateness.get(r.student_id)
            penalty = late.penalty if late else 0.0
            writer.writerow([r.student_id, _number(max(r.score - penalty, 0.0)), _number(r.max_score),
                             *(_number(r.tests[t].points) if t in r.tests else "0" for t in test_ids),
                             _number(r.score), _number(penalty), _time(late and late.submitted),
                             _time(late and late.due), status_of(r)])
        for name, reason in refused:
            writer.writerow([name, "0", "", *("0" for _ in test_ids), "0", "0", "", "", reason])
    return path


def _time(moment):
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else ""


def _number(value):
    return f"{round(value, 4):g}"


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return f"<img alt='' src='data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}'>"


def write_report(results, info, path, test_ids, seconds):
    """report.html from one pass over `results` (any iterable: a run's results are read back from
    disk one at a time), keeping only what the page shows."""
    from matplotlib.figure import Figure

    path = Path(path)
    scores, max_score = [], 0
    earned = dict.fromkeys(test_ids, 0.0)   # sum over students of the fraction of the test's points
    mistakes = Counter()
    failing_cases = Counter()
    case_labels = {}  # inputs differ per student, so cases are counted by position in their test
    failed = []       # (student, score, why) for the submissions that need attention
    late_rows = []    # (student, score, lateness.Lateness) for the submissions after their due date
    for r in results:
        scores.append(r.score)
        max_score = max(max_score, r.max_score)
        for t in test_ids:
            if t in r.tests and r.tests[t].max_points:
                earned[t] += r.tests[t].points / r.tests[t].max_points
        for grade_id, verdict in r.tests.items():
            for message in {c.mistake for c in verdict.cases if c.mistake}:
                mistakes[(grade_id, message)] += 1
            for index, case in enumerate(verdict.cases):
                if not case.passed and not verdict.problem:
                    failing_cases[(grade_id, index)] += 1
                    case_labels.setdefault((grade_id, index), case.label)
        if r.status != "graded" or r.problem or r.notes:
            failed.append((r.student_id, r.score, status_of(r)))
        late = info.get("lateness", {}).get(r.student_id)
        if late is not None and late.late:
            late_rows.append((r.student_id, r.score, late))
    failed += [(name, 0, reason) for name, reason in info.get("refused", ())]
    scores = np.array(scores)

    fig = Figure(figsize=(6, 3), layout="constrained")
    ax = fig.add_subplot()
    ax.hist(scores, bins=np.arange(0, max_score + 1.5) - 0.5 if max_score else 10,
            color="tab:blue", edgecolor="white")
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    ax.set_title("Score distribution")
    histogram = _png(fig)

    rates = [earned[t] / len(scores) if len(scores) else 0.0 for t in test_ids]
    fig = Figure(figsize=(6, 0.5 + 0.4 * len(test_ids)), layout="constrained")
    ax = fig.add_subplot()
    ax.barh(test_ids[::-1], rates[::-1], color="tab:green")
    ax.set_xlim(0, 1)
    ax.set_xlabel("mean fraction of the points earned")
    ax.set_title("Pass rate per test")
    passrates = _png(fig)

    sandbox_warning = info["sandbox"].startswith("NOT")
    rows = "".join(f"<tr><td>{html.escape(t)}</td><td>{rate:.0%}</td></tr>" for t, rate in zip(test_ids, rates))
    mistake_rows = "".join(
        f"<tr><td>{n}</td><td>{html.escape(g)}</td><td>{html.escape(m)}</td></tr>"
        for (g, m), n in mistakes.most_common(15)) or "<tr><td colspan=3>none detected</td></tr>"
    case_rows = "".join(
        f"<tr><td>{n}</td><td>{html.escape(g)}</td><td>case {i + 1}, e.g. "
        f"<code>{html.escape(case_labels[(g, i)])}</code></td></tr>"
        for (g, i), n in failing_cases.most_common(15)) or "<tr><td colspan=3>none</td></tr>"
    failed_rows = "".join(
        f"<tr><td>{html.escape(student)}</td><td>{_number(score)}</td>"
        f"<td>{html.escape(why)}</td></tr>" for student, score, why in failed) or "<tr><td colspan=3>none</td></tr>"
    late_table = "".join(
        f"<tr><td>{html.escape(student)}</td><td>{_time(late.submitted)}</td><td>{_time(late.due)}</td>"
        f"<td>{html.escape(late.note.rsplit(': ', 1)[-1])}</td><td>{_number(score)} &rarr; "
        f"{_number(max(score - late.penalty, 0))}</td></tr>" for student, score, late in late_rows)
    late_section = ("<h2>Late submissions</h2><table><tr><th>student</th><th>submitted</th><th>due (with any "
                    "extension)</th><th>late by, penalty</th><th>score</th></tr>" + late_table + "</table>"
                    if late_rows else "")
    limits = info["limits"]
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(info['assignment'])}: grading report</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}.warn{{background:#ffdddd;border:2px solid #c00;padding:1em}}</style></head><body>
<h1>{html.escape(info['assignment'])}: grading report</h1>
{'<p class="warn"><b>' + html.escape(info['sandbox']) + '</b></p>' if sandbox_warning else ''}
<p>{info['students']} submissions graded in {seconds:.1f} s on {html.escape(info['workers'])}.
Mean score {scores.mean() if len(scores) else 0:.2f} / {max_score:g}, median {np.median(scores) if len(scores) else 0:.2f}.
Student code: {html.escape(info['sandbox'])}; limits: {html.escape(limits.describe())}.
Gradebook: <code>{html.escape(info['db_url'])}</code>.</p>
{histogram}
<h2>Pass rate per test</h2>{passrates}<table><tr><th>test</th><th>mean fraction earned</th></tr>{rows}</table>
<h2>Most common known mistakes</h2><table><tr><th>students</th><th>test</th><th>mistake</th></tr>{mistake_rows}</table>
<h2>Most often failed cases</h2><table><tr><th>students</th><th>test</th><th>case</th></tr>{case_rows}</table>
<h2>Submissions that could not be graded fully</h2><table><tr><th>student</th><th>score</th><th>why</th></tr>{failed_rows}</table>
{late_section}
</body></html>"""
    path.write_text(with_csp(page), errors="replace")
    return path
