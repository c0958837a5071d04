"""``emrlab emulator``: run the local AWS emulator in the foreground.

Taught in README.md ("Interactive study"). Start it in one terminal, then export the printed
``EMRLAB_AWS_ENDPOINT`` in the shell that starts ``jupyter lab``, so that every kernel shares
one emulator (the local EMR's steps run in this process).
"""

from __future__ import annotations

import argparse
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``emrlab emulator``."""
    parser.add_argument("--port", type=int, default=None, help="loopback port (default: free)")


def main(args: argparse.Namespace) -> int:
    """Start the emulator and wait until interrupted."""
    from emrlab.local import emulator as localaws

    if args.port is not None and not 1024 <= args.port <= 65535:
        from emrlab.exceptions import ParameterError

        raise ParameterError(f"--port={args.port} must be between 1024 and 65535")
    endpoint = localaws.start(port=args.port)
    print(f"local AWS emulator running at {endpoint}", flush=True)
    print(f"export EMRLAB_AWS_ENDPOINT={endpoint}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        localaws.stop()
        print("emulator stopped")
    return 0
