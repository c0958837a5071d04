"""List and terminate every EMR cluster the kit tagged: ``emrlab cleanup``.

Taught in notebooks/01_emr_provisioning.ipynb. The work is done by :func:`emrlab.emr.cleanup.cleanup`.
"""

from __future__ import annotations

import argparse

from emrlab.emr.cleanup import cleanup


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``emrlab cleanup``."""
    parser.add_argument("--yes", action="store_true", help="terminate (default: only list)")
    parser.add_argument("--dry-run", action="store_true", help="list, terminate nothing")
    parser.add_argument("--owner", default="", help="only clusters with this emrlab:owner tag")
    parser.add_argument("--region", default="", help="AWS region (default: settings)")


def main(args: argparse.Namespace) -> int:
    """Run ``emrlab cleanup``; 0 when nothing is left running (or nothing was asked)."""
    from emrlab import aws

    aws.setup(region=args.region or None)
    cleanup(yes=args.yes, dry_run=args.dry_run, owner=args.owner)
    return 0
