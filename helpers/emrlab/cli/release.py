"""Generate student copies of the labs: ``emrlab release``.

Taught in docs/instructors.md. The work is done by :mod:`emrlab.classroom.release`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from emrlab.classroom.release import bundle, stale, write_student_copies


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``emrlab release``."""
    parser.add_argument("--out", default=None, help="write a class bundle to this folder")
    parser.add_argument("--check", action="store_true", help="fail if a student copy is stale")
    parser.add_argument("--root", default=None, help="kit root (default: auto)")


def main(args: argparse.Namespace) -> int:
    """Run ``emrlab release``."""
    from emrlab.notebooks import repo_root

    root = repo_root(Path(args.root) if args.root else None)
    if args.check:
        old = stale(root)
        for path in old:
            print(f"stale: {path.relative_to(root)} (run `emrlab release`)")
        return 1 if old else 0
    if args.out:
        manifest = bundle(root, Path(args.out))
        print(f"class bundle with {len(manifest['labs'])} lab(s) written to {args.out}")
        return 0
    for path in write_student_copies(root):
        print(f"wrote {path.relative_to(root)}")
    return 0
