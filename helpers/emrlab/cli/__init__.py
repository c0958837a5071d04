"""The ``emrlab`` command line.

Each subcommand ``NAME`` lives in the module ``emrlab.cli.NAME``, which defines ``add_arguments(parser)`` and
``main(args) -> int`` and keeps heavy imports (Spark, papermill) inside ``main`` so that
``emrlab --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from emrlab.exceptions import EmrlabError

# name -> (module, one-line help). Add new subcommands here.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("emrlab.cli.run", "execute notebooks with papermill and write a report"),
    "doctor": ("emrlab.cli.doctor", "check Python, Java, Spark, the emulator and the extras"),
    "release": ("emrlab.cli.release", "generate student copies of the labs"),
    "emulator": ("emrlab.cli.emulator", "run the local AWS emulator in the foreground"),
    "grade": ("emrlab.cli.grade", "grade a class's lab submissions into a gradebook"),
    "lab": ("emrlab.cli.lab", "start JupyterLab with the shared local AWS running"),
    "spec": ("emrlab.cli.spec", "validate, lint or cost an EMR cluster spec file"),
    "quiz": ("emrlab.cli.quiz", "lint the question bank, take quizzes, see progress"),
    "cleanup": ("emrlab.cli.cleanup", "list and terminate every EMR cluster the kit tagged"),
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one sub-parser per command."""
    parser = argparse.ArgumentParser(prog="emrlab", description="emrlab: the study and lab kit for machine learning on Amazon EMR")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in COMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        sub_parser.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(sub_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``emrlab`` script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(importlib.import_module(args._module).main(args) or 0)
    except EmrlabError as exc:
        print(f"emrlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"emrlab {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
