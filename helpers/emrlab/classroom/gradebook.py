"""The gradebook of ``emrlab grade``: CSV files and an HTML summary.

Taught in docs/instructors.md. ``gradebook.csv`` has one row per submission and assignment,
``checks.csv`` one row per submission and check. Grading into a folder that already holds a
gradebook merges: rows of the same student and assignment are replaced, others kept, so lab and
quiz results end up in one gradebook.
"""

from __future__ import annotations

import csv
import html
from pathlib import Path

GRADE_FIELDS = ["student", "assignment", "points", "max_points", "status", "reason", "submission"]
CHECK_FIELDS = ["student", "assignment", "check", "points", "max_points", "passed", "message"]


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, fields: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _fmt(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def merge(out: Path, grades: list[dict]) -> tuple[list[dict], list[dict]]:
    """Merge new grades into ``out``'s gradebook; returns all grade rows and check rows."""
    new_keys = {(g["student"], g["assignment"]) for g in grades}
    keep = [r for r in _read(out / "gradebook.csv") if (r["student"], r["assignment"]) not in new_keys]
    keep_checks = [r for r in _read(out / "checks.csv")
                   if (r["student"], r["assignment"]) not in new_keys]
    rows = keep + [{k: _fmt(g[k]) for k in GRADE_FIELDS} for g in grades]
    checks = keep_checks + [
        {"student": g["student"], "assignment": g["assignment"], "check": c["name"],
         "points": _fmt(c["points"]), "max_points": _fmt(c["max_points"]),
         "passed": str(c["passed"]).lower(), "message": c["message"]}
        for g in grades for c in g["checks"]
    ]
    rows.sort(key=lambda r: (r["assignment"], r["student"]))
    checks.sort(key=lambda r: (r["assignment"], r["student"]))
    return rows, checks


def write(out: Path, grades: list[dict]) -> list[dict]:
    """Write ``gradebook.csv``, ``checks.csv`` and ``gradebook.html``; returns the grade rows."""
    out.mkdir(parents=True, exist_ok=True)
    rows, checks = merge(out, grades)
    _write(out / "gradebook.csv", GRADE_FIELDS, rows)
    _write(out / "checks.csv", CHECK_FIELDS, checks)
    (out / "gradebook.html").write_text(page(rows, checks))
    return rows


def page(rows: list[dict], checks: list[dict]) -> str:
    """An HTML summary: per student, then per check with pass rates and failure messages."""
    esc = html.escape
    student_rows = "".join(
        f"<tr class='{esc(r['status'])}'><td>{esc(r['student'])}</td><td>{esc(r['assignment'])}</td>"
        f"<td>{esc(r['points'])} / {esc(r['max_points'])}</td><td>{esc(r['reason'])}</td></tr>"
        for r in rows
    )
    per_check: dict[tuple[str, str], list[dict]] = {}
    for c in checks:
        per_check.setdefault((c["assignment"], c["check"]), []).append(c)
    check_rows = ""
    for (assignment, name), items in sorted(per_check.items()):
        passed = sum(i["passed"] == "true" for i in items)
        fails = "<br>".join(f"{esc(i['student'])}: {esc(i['message'])}"
                            for i in items if i["passed"] != "true")
        check_rows += (f"<tr><td>{esc(assignment)}</td><td>{esc(name)}</td>"
                       f"<td>{passed} / {len(items)}</td><td>{fails}</td></tr>")
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>emrlab gradebook</title>"
        "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:4px;"
        "vertical-align:top}table{border-collapse:collapse}.error{background:#fdd}</style></head>"
        "<body><h1>Gradebook</h1><h2>Per student</h2><table><tr><th>student</th>"
        f"<th>assignment</th><th>points</th><th>reason</th></tr>{student_rows}</table>"
        "<h2>Per check</h2><table><tr><th>assignment</th><th>check</th><th>passed</th>"
        f"<th>failures</th></tr>{check_rows}</table></body></html>\n"
    )
