"""The run report of ``emrlab run``: one row per notebook, in Markdown and HTML.

Taught in README.md (running the whole kit headless).
"""

from __future__ import annotations

import html
from pathlib import Path


def _figures_text(figures: dict) -> str:
    return ", ".join(f"{k}={v[0]}{(' ' + v[1]) if v[1] else ''}" for k, v in figures.items())


def summary_line(results) -> str:
    """``"5 notebooks: 4 passed, 1 failed in 93.2 s"``."""
    failed = sum(r.status != "passed" for r in results)
    total = sum(r.duration_s for r in results)
    return (f"{len(results)} notebooks: {len(results) - failed} passed, {failed} failed "
            f"({total:.1f} s of notebook time)")


def error_text(error: str | None, limit: int = 2000) -> str:
    """The whole error on one line (a ParameterError lists every bad parameter on its own line)."""
    text = " ".join(line.strip() for line in (error or "").splitlines() if line.strip())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def rows(results) -> list[list[str]]:
    """Table rows: notebook, status, duration, failing cell, error, figures."""
    return [
        [
            r.name,
            r.status,
            f"{r.duration_s:.1f}",
            "" if r.failed_cell is None else str(r.failed_cell),
            error_text(r.error),
            _figures_text(r.figures),
        ]
        for r in results
    ]


HEADER = ["notebook", "status", "duration (s)", "failing cell", "error", "figures"]


def markdown(results) -> str:
    """The report as a Markdown table."""
    lines = ["# emrlab run report", "", summary_line(results), ""]
    lines.append("| " + " | ".join(HEADER) + " |")
    lines.append("|" + "---|" * len(HEADER))
    for row in rows(results):
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    return "\n".join(lines) + "\n"


def html_page(results) -> str:
    """The report as a small, self-contained HTML page."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
    body = []
    for r, row in zip(results, rows(results), strict=True):
        cells = [f'<a href="{html.escape(r.output)}">{html.escape(row[0])}</a>']
        cells += [html.escape(c) for c in row[1:]]
        cls = "passed" if r.status == "passed" else "failed"
        body.append(f'<tr class="{cls}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>emrlab run report</title>"
        "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:4px}"
        "table{border-collapse:collapse}.failed{background:#fdd}.passed{background:#dfd}</style>"
        f"</head><body><h1>emrlab run report</h1><p>{html.escape(summary_line(results))}</p>"
        f"<table><tr>{head}</tr>{''.join(body)}</table></body></html>\n"
    )


def write(out_dir: Path, results) -> None:
    """Write ``report.md`` and ``report.html`` into ``out_dir``."""
    (out_dir / "report.md").write_text(markdown(results))
    (out_dir / "report.html").write_text(html_page(results))
