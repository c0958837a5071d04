"""``emrlab lab`` (and ``make lab``): JupyterLab with the shared local AWS running.

Taught in README.md and docs/instructors.md. The emulator runs in this process (so the local
EMR's steps run here too); every kernel JupyterLab starts inherits its address and the kit's
environment. When JupyterLab stops (Ctrl+C, or its "Shut Down" menu), the emulator stops too.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from emrlab.exceptions import ParameterError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``emrlab lab``."""
    parser.add_argument("--port", type=int, default=None, help="JupyterLab port (default: free)")
    parser.add_argument("--root", default=None, help="folder JupyterLab opens (default: the kit)")
    parser.add_argument("--token", default=None, help="access token (default: random)")
    parser.add_argument("--open-browser", action="store_true", help="open a browser window")


def wait_until_up(url: str, proc: subprocess.Popen | None = None, timeout: float = 120.0) -> bool:
    """True once ``url`` answers HTTP 200 (JupyterLab's status API); False if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (proc is None or proc.poll() is None):
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def main(args: argparse.Namespace) -> int:
    """Start the emulator and JupyterLab; stop both when JupyterLab ends."""
    from emrlab.local import emulator as localaws
    from emrlab.notebooks import repo_root

    if args.port is not None and not 1024 <= args.port <= 65535:
        raise ParameterError(f"--port={args.port} must be between 1024 and 65535")
    root = Path(args.root).resolve() if args.root else repo_root()
    if not root.is_dir():
        raise ParameterError(f"--root {root} is not a folder")
    port = args.port or localaws.free_port()
    token = args.token or secrets.token_hex(16)
    endpoint = localaws.start()
    localaws.apply_env(endpoint, os.environ.get("EMRLAB_REGION") or "us-east-1")
    os.environ.setdefault("EMRLAB_MODE", "local")
    cmd = [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
           "--ServerApp.port_retries=0"]
    if not args.open_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI often run as root
    from emrlab.config import resolve

    log_path = resolve().work_dir / "jupyterlab.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    lab = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/lab?token={token}"
    try:
        if not wait_until_up(f"http://127.0.0.1:{port}/api/status?token={token}", lab):
            print(f"JupyterLab did not start; see {log_path}", file=sys.stderr)
            return 1
        print(f"local AWS emulator: {endpoint}", flush=True)
        print(f"JupyterLab: {url}", flush=True)
        print("Press Ctrl+C to stop JupyterLab and the emulator.", flush=True)
        return lab.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if lab.poll() is None:
            lab.send_signal(signal.SIGTERM)
            try:
                lab.wait(timeout=20)
            except subprocess.TimeoutExpired:
                lab.kill()
        log.close()
        localaws.stop()
        print("JupyterLab and the emulator stopped", flush=True)
