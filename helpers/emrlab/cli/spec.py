"""``emrlab spec``: validate, lint or cost an EMR cluster spec file.

Taught in notebooks/01_emr_provisioning.ipynb.

Examples
--------
``emrlab spec validate cluster.json``; ``emrlab spec lint cluster.yaml --ignore EMR007``;
``emrlab spec cost cluster.json --hours 1.5 --region eu-west-1``. Files may be in the RunJobFlow
shape or the ``aws emr create-cluster`` option shape (see :mod:`emrlab.emr.specio`). Exit status:
0 fine, 1 lint errors/warnings (with ``--strict``: infos too), 2 invalid spec.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Sub-commands ``validate``, ``lint`` and ``cost``."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (("validate", "check FILE against the EMR API model and the rules"),
                       ("lint", "report best-practice findings (rule ids EMR001...)"),
                       ("cost", "estimate cost per hour and per run")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("file", help="spec file (.json, .yaml or .yml)")
        if name == "lint":
            p.add_argument("--ignore", action="append", default=[], metavar="RULE",
                           help="rule id to silence (repeatable)")
            p.add_argument("--strict", action="store_true", help="fail on info findings too")
        if name == "cost":
            p.add_argument("--hours", type=float, default=1.0, help="length of one run (hours)")
            p.add_argument("--region", default="us-east-1", help="region in the price snapshot")
            p.add_argument("--spot-discount", type=float, default=None,
                           help="fraction off on-demand EC2 for Spot (default: snapshot's)")


def main(args: argparse.Namespace) -> int:
    """Run one action; errors (SpecError, PriceNotFoundError) are reported by emrlab.cli."""
    from emrlab.emr import load_spec
    from emrlab.emr.validate import validate

    spec = load_spec(args.file)
    validate(spec, what=args.file)
    if args.action == "validate":
        print(f"{args.file}: valid ({len(spec.instance_groups)} instance groups, "
              f"{len(spec.instance_fleets)} instance fleets, release {spec.release_label})")
        return 0
    if args.action == "lint":
        from emrlab.emr.lint import at_least, lint

        findings = lint(spec, ignore=args.ignore)
        for finding in findings:
            print(finding)
        failing = at_least(findings, "info" if args.strict else "warning")
        print(f"{args.file}: {len(findings)} finding(s), {len(failing)} failing")
        return 1 if failing else 0
    from emrlab.emr import estimate

    print(estimate(spec, args.hours, args.region, spot_discount=args.spot_discount).table())
    return 0
