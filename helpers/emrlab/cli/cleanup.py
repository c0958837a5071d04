"""List the kit's EMR clusters and terminate yours: ``emrlab cleanup``.

Taught in notebooks/01_emr_provisioning.ipynb. The work is done by :func:`emrlab.emr.cleanup.cleanup`:
by default it acts on the caller's clusters (``EMRLAB_OWNER``, else the login name) and lists
other owners' as not touched; ``--owner NAME`` acts on one owner's, ``--all-owners`` on everyone's.
"""

from __future__ import annotations

import argparse

from emrlab.emr.cleanup import cleanup


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``emrlab cleanup``."""
    parser.add_argument("--yes", action="store_true", help="terminate (default: only list)")
    parser.add_argument("--dry-run", action="store_true", help="list, terminate nothing")
    whose = parser.add_mutually_exclusive_group()
    whose.add_argument("--owner", default=None,
                       help="only clusters with this emrlab:owner tag (default: yours, from "
                            "EMRLAB_OWNER or the login name)")
    whose.add_argument("--all-owners", action="store_true",
                       help="act on the kit's clusters of every owner, not only yours")
    parser.add_argument("--region", default="", help="AWS region (default: settings)")


def main(args: argparse.Namespace) -> int:
    """Run ``emrlab cleanup``; 0 when nothing is left running (or nothing was asked)."""
    from emrlab import aws
    from emrlab.exceptions import ParameterError

    if args.owner is not None and not args.owner.strip():
        raise ParameterError("--owner '' is empty; give an owner name, or leave --owner out to "
                             "act on your own clusters")
    aws.setup(region=args.region or None)
    cleanup(yes=args.yes, dry_run=args.dry_run, owner=args.owner, all_owners=args.all_owners)
    return 0
