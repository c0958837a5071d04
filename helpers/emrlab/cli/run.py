"""Execute notebooks with papermill and write a report: ``emrlab run``.

Taught in README.md. The work is done by :func:`emrlab.runner.run`.
"""

from __future__ import annotations

import argparse

from emrlab import notebooks, report
from emrlab.runner import run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``emrlab run``."""
    parser.add_argument("names", nargs="*", help="notebook paths or stems (default: all)")
    parser.add_argument(
        "-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
        help="set a parameter in every selected notebook that declares it",
    )
    parser.add_argument("--jobs", type=int, default=None, help="notebooks run at once")
    parser.add_argument("--out", default=None, help="output folder (default runs/<timestamp>)")
    parser.add_argument("--root", default=None, help="kit root (default: auto)")
    parser.add_argument("--timeout", type=int, default=1800, help="per-cell timeout (s)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def main(args: argparse.Namespace) -> int:
    """Run ``emrlab run``; exit status 1 when any notebook failed."""
    out_dir, results = run(
        names=args.names,
        assignments=notebooks.parse_assignments(args.parameter),
        jobs=args.jobs,
        out=args.out,
        root=args.root,
        timeout=args.timeout,
        progress=not args.no_progress,
    )
    failed = [r for r in results if r.status != "passed"]
    print(report.summary_line(results))
    print(f"report: {out_dir / 'report.md'} and {out_dir / 'report.html'}")
    for r in failed:
        print(f"FAILED {r.name} (cell {r.failed_cell}): {r.error}")
    return 1 if failed else 0
