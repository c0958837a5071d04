"""``emrlab lab``: JupyterLab with the shared emulator; both stop together."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from emrlab.local import emulator as localaws
from tests.conftest import ROOT


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_lab_starts_serves_and_stops_cleanly(tmp_path):
    port = localaws.free_port()
    env = {k: v for k, v in os.environ.items() if k != localaws.ENDPOINT_ENV}
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "config")
    proc = subprocess.Popen(
        [sys.executable, "-m", "emrlab.cli", "lab", "--port", str(port), "--token", "t0k3n",
         "--root", str(ROOT)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not any("Press Ctrl+C" in x for x in lines):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
        text = "".join(lines)
        assert f"JupyterLab: http://127.0.0.1:{port}/lab?token=t0k3n" in text, text
        endpoint = re.search(r"local AWS emulator: (http://127\.0\.0\.1:(\d+))", text)
        assert endpoint, text
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token=t0k3n") as r:
            assert r.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token=t0k3n") as r:
            assert b"JupyterLab" in r.read()
        assert localaws.reachable(endpoint.group(1))
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        assert "JupyterLab and the emulator stopped" in proc.stdout.read()
        assert not port_open(port), "JupyterLab still listening"
        assert not port_open(int(endpoint.group(2))), "emulator still listening"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_bad_port_is_refused():
    out = subprocess.run([sys.executable, "-m", "emrlab.cli", "lab", "--port", "80"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "--port=80 must be between 1024 and 65535" in out.stderr
