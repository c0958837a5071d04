"""Check Python, Java, Spark, the emulator and the extras: ``emrlab doctor``.

Taught in notebooks/00_start_here.ipynb. The checks live in :mod:`emrlab.doctor`.
"""

from __future__ import annotations

import argparse

from emrlab.doctor import run


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``emrlab doctor``."""
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark start check")


def main(args: argparse.Namespace) -> int:
    """Run ``emrlab doctor``; exit status 1 when a required check failed."""
    return 1 if run(include_spark=not args.no_spark) else 0
