"""The local AWS: an embedded moto server on a free loopback port.

Taught in notebooks/00_start_here.ipynb.

One emulator serves a whole run: the process that starts it exports its address in
``EMRLAB_AWS_ENDPOINT`` so that kernels, ``spark-submit`` steps and other child processes share
it. A kernel started on its own (plain ``jupyter lab``) starts one in-process on first use.
Plain boto3 reaches it because :func:`apply_env` sets ``AWS_ENDPOINT_URL`` (and
``AWS_ENDPOINT_URL_S3``, which pyarrow reads for ``s3://`` URIs) and dummy credentials in this
process's environment; the credentials are only ever sent to loopback.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import time
import urllib.request

from emrlab.exceptions import EmulatorError
from emrlab.uris import is_loopback_url

ENDPOINT_ENV = "EMRLAB_AWS_ENDPOINT"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
# Variables that would send boto3 to a real account or profile: removed in local mode.
_REAL_AWS_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                 "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
# Service-specific endpoints (AWS_ENDPOINT_URL_S3, _EMR, ...) beat AWS_ENDPOINT_URL in boto3
# and pyarrow: removed in local mode, then the S3 one is set to the emulator.
_SERVICE_ENDPOINT_PREFIX = "AWS_ENDPOINT_URL_"
# Proxies from the environment must not carry requests to the emulator off the machine.
LOOPBACK_NO_PROXY = ("127.0.0.1", "localhost", "::1")

_lock = threading.Lock()
_server = None  # the in-process ThreadedMotoServer, when this process started one
# Modules that extend an in-process emulator: each defines ``install()``, called once the server
# answers, and ``shutdown()``, called before it stops. They are named rather than imported so that
# importing this module stays cheap: the local EMR (and moto's EMR models) load only when a
# server starts here.
EXTENSION_MODULES = ("emrlab.local.emr",)


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reachable(endpoint: str, timeout: float = 5.0) -> bool:
    """True when a moto server answers at ``endpoint``.

    Probes the S3 bucket listing at ``/`` (cheap at any emulator size; moto's
    ``/moto-api/data.json`` serialises every stored object and gets slow).
    """
    try:
        with _opener().open(f"{endpoint}/", timeout=timeout) as r:
            return r.status == 200 and b"ListAllMyBucketsResult" in r.read(400)
    except OSError:
        return False


def _opener() -> urllib.request.OpenerDirector:
    """A urllib opener that never goes through a proxy (the emulator is on loopback)."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def start(port: int | None = None) -> str:
    """Start an in-process emulator on loopback (once per process) and return its address.

    Raises
    ------
    EmulatorError
        moto is missing or the server did not answer within 20 seconds.
    """
    global _server
    with _lock:
        if _server is not None:
            return server_endpoint()
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:  # pragma: no cover - moto is a core dependency
            raise EmulatorError("moto is not installed: run `make install`") from exc
        # werkzeug logs every request at INFO; notebooks must stay quiet.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port or free_port(), verbose=False)
        server.start()
        _server = server
        endpoint = server_endpoint()
        deadline = time.monotonic() + 20
        while not reachable(endpoint, timeout=1):
            if time.monotonic() > deadline:
                raise EmulatorError(f"the local AWS emulator did not answer at {endpoint}")
            time.sleep(0.05)
        for name in EXTENSION_MODULES:
            importlib.import_module(name).install()
        return endpoint


def server_endpoint() -> str:
    """The address of the emulator this process hosts (see :func:`running_in_process`)."""
    if _server is None:
        raise EmulatorError("no emulator runs in this process; call start() first")
    host, port = _server.get_host_and_port()
    return f"http://{host}:{port}"


def stop() -> None:
    """Stop the in-process emulator, if this process started one."""
    global _server
    with _lock:
        if _server is not None:
            for name in EXTENSION_MODULES:
                importlib.import_module(name).shutdown()
            _server.stop()
            _server = None
            if is_loopback_url(os.environ.get(ENDPOINT_ENV, "")):
                os.environ.pop(ENDPOINT_ENV, None)


def running_in_process() -> bool:
    """True when this process hosts the emulator."""
    return _server is not None


def ensure() -> str:
    """The address of the shared emulator, starting one in-process when none is reachable.

    Raises
    ------
    EmulatorError
        ``EMRLAB_AWS_ENDPOINT`` names a non-loopback address.
    """
    shared = os.environ.get(ENDPOINT_ENV)
    if shared:
        if not is_loopback_url(shared):
            raise EmulatorError(
                f"{ENDPOINT_ENV}={shared!r} is not a loopback address; the local AWS "
                "emulator only runs on 127.0.0.1"
            )
        if _server is not None or reachable(shared):
            return shared
    endpoint = start()
    os.environ[ENDPOINT_ENV] = endpoint
    return endpoint


def apply_env(endpoint: str, region: str) -> None:
    """Point every boto3 client of this process (and its children) at the emulator.

    Also sets ``AWS_ENDPOINT_URL_S3`` (pyarrow's ``FileSystem.from_uri`` reads it), removes
    other service-specific ``AWS_ENDPOINT_URL_<SERVICE>`` overrides and
    ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS``, and adds loopback to ``NO_PROXY``/``no_proxy``
    so that a proxy configured in the environment is not used for the emulator.
    """
    for name in _REAL_AWS_ENV:
        os.environ.pop(name, None)
    for name in [n for n in os.environ if n.startswith(_SERVICE_ENDPOINT_PREFIX)]:
        os.environ.pop(name, None)
    os.environ.update(DUMMY_CREDENTIALS)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ENDPOINT_URL_S3": endpoint,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",
            ENDPOINT_ENV: endpoint,
        }
    )
    for name in ("NO_PROXY", "no_proxy"):
        entries = [e.strip() for e in os.environ.get(name, "").split(",") if e.strip()]
        entries += [h for h in LOOPBACK_NO_PROXY if h not in entries]
        os.environ[name] = ",".join(entries)


def reset_data(endpoint: str) -> None:
    """Delete everything stored in the emulator at ``endpoint`` (tests and fresh lab runs)."""
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with _opener().open(req, timeout=10):
        pass
