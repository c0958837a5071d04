"""A local inference server that keeps SageMaker's container contract, for local mode.

Taught in notebooks/05_sagemaker_handoff.ipynb.

A SageMaker endpoint runs the model's container and talks to it over HTTP on port 8080:

* ``GET /ping``: 200 when the model is loaded (SageMaker's health check);
* ``POST /invocations``: the request body in the request's ``Content-Type``; the answer here,
  like the built-in XGBoost container's for ``text/csv``, is the scores joined by commas (one
  line), or one per line with ``batch=True`` (what batch transform gets).

:class:`InferenceServer` serves a ``model.tar.gz`` the way the container does (extract, load
``xgboost-model``) with the standard library's threaded HTTP server, on loopback only, so a
notebook in local mode invokes a real HTTP endpoint. Port: 8080 (or ``SAGEMAKER_BIND_TO_PORT``)
like SageMaker; when that port is taken and none was asked for explicitly, a free loopback port
is used and shown in :attr:`InferenceServer.url`. Bad requests get a 4xx and a message: 415 for
a content type other than ``text/csv``, 400 for an empty body, a non-numeric cell or a wrong
column count (the real container answers 204 to an empty body), 413 for a body over 6 MB,
404 for other paths.
"""

from __future__ import annotations

import os
import socket
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from emrlab.exceptions import ParameterError
from emrlab.uris import is_loopback_url

DEFAULT_PORT = 8080
MAX_BODY = 6 * 1024 * 1024  # SageMaker real-time payload limit
CONTENT_TYPE = "text/csv"


class BadRequest(Exception):
    """A request the server answers with a 4xx status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def parse_csv(body: bytes, n_features: int) -> np.ndarray:
    """CSV rows (features only, no label, no header) as a float32 matrix; BadRequest if bad."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(400, f"the body is not UTF-8 text: {exc}") from exc
    rows = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        cells = line.split(",")
        if len(cells) != n_features:
            raise BadRequest(400, f"line {number}: {len(cells)} columns, the model expects "
                                  f"{n_features} features (no label column in inference rows)")
        try:
            rows.append([float(c) for c in cells])
        except ValueError:
            bad = next(c for c in cells if not _is_number(c))
            raise BadRequest(400, f"line {number}: {bad.strip()[:30]!r} is not a number "
                                  "(no header row in inference requests)") from None
    if not rows:
        raise BadRequest(400, "the body holds no CSV rows")
    return np.asarray(rows, dtype=np.float32)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


class _Server(ThreadingHTTPServer):
    owner: InferenceServer  # set in InferenceServer.start; the handlers read the model from it


class _Handler(BaseHTTPRequestHandler):
    server_version = "emrlab-inference/1"
    server: _Server

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        """Quiet: a notebook must not fill with access logs."""

    def _send(self, status: int, body: str, content_type: str = "text/plain") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path == "/ping":
            self._send(200 if self.server.owner.booster is not None else 503, "")
        else:
            self._send(404, f"no such path {self.path!r}; use GET /ping or POST /invocations")

    def do_POST(self):  # noqa: N802
        if self.path != "/invocations":
            self._send(404, f"no such path {self.path!r}; use GET /ping or POST /invocations")
            return
        try:
            self._send(200, self.server.owner.handle(self.headers, self._body()), CONTENT_TYPE)
        except BadRequest as exc:
            self._send(exc.status, str(exc))

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise BadRequest(413, f"the body has {length} bytes; the limit is {MAX_BODY}")
        return self.rfile.read(length) if length else b""


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when ``host:port`` can be bound now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


class InferenceServer:
    """Serve a ``model.tar.gz`` over HTTP on loopback with SageMaker's container contract.

    Taught in notebooks/05_sagemaker_handoff.ipynb. Use it as a context manager::

        with InferenceServer("s3://bucket/models/sagemaker/xgboost/model.tar.gz") as server:
            scores = server.invoke(rows)

    Parameters
    ----------
    artifact : str or path
        The archive (``s3://`` in this mode's S3, or a local path).
    port : int, optional
        0 or None: 8080 (``SAGEMAKER_BIND_TO_PORT`` if set), else a free port when that is
        taken. An explicit port that is taken is an error.
    host : str
        A loopback address; anything else is refused.
    batch : bool
        Answer one score per line (batch transform) instead of one comma-joined line.
    """

    def __init__(self, artifact, port: int | None = None, host: str = "127.0.0.1",
                 batch: bool = False):
        if not is_loopback_url(f"http://{host}/"):
            raise ParameterError(f"host={host!r} is not a loopback address; the local inference "
                                 "server only listens on 127.0.0.1")
        if port is not None and not 0 <= int(port) <= 65535:
            raise ParameterError(f"port={port} must be between 0 and 65535")
        self.artifact, self.host, self.batch = str(artifact), host, batch
        self.requested_port = int(port or 0)
        self.booster: Any = None  # the xgboost.Booster once started
        self.n_features = 0
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one prediction at a time, like one container worker

    def _choose_port(self) -> int:
        if self.requested_port:
            if not port_free(self.requested_port, self.host):
                raise ParameterError(f"port={self.requested_port} is in use on {self.host}; "
                                     "pass port=0 to take 8080 or a free port")
            return self.requested_port
        preferred = int(os.environ.get("SAGEMAKER_BIND_TO_PORT") or DEFAULT_PORT)
        return preferred if port_free(preferred, self.host) else 0

    def start(self) -> InferenceServer:
        """Load the model and start serving in a daemon thread; returns self."""
        from emrlab.sagemaker.artifact import load_artifact

        if self._httpd is not None:
            return self
        self.booster = load_artifact(self.artifact)
        self.n_features = self.booster.num_features()
        httpd = _Server((self.host, self._choose_port()), _Handler)
        httpd.daemon_threads = True
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, name="emrlab-inference",
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._httpd = self._thread = None

    def __enter__(self) -> InferenceServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port served on (0 before :meth:`start`)."""
        return self._httpd.server_address[1] if self._httpd else 0

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    def handle(self, headers, body: bytes) -> str:
        """Answer one ``POST /invocations`` (the handler's work, callable without HTTP)."""
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != CONTENT_TYPE:
            raise BadRequest(415, f"Content-Type {content_type or '(none)'!r} is not supported; "
                                  f"send {CONTENT_TYPE} rows of {self.n_features} features")
        if not body.strip():
            raise BadRequest(400, "the body is empty; send CSV rows of features")
        rows = parse_csv(body, self.n_features)
        from emrlab.sagemaker.artifact import predict

        with self._lock:
            scores = predict(self.booster, rows).astype(np.float32).tolist()
        return "\n".join(map(str, scores)) + "\n" if self.batch else ",".join(map(str, scores))

    def ping(self) -> int:
        """The status of ``GET /ping``."""
        return request(f"{self.url}/ping")[0]

    def invoke(self, rows, content_type: str = CONTENT_TYPE) -> np.ndarray:
        """POST ``rows`` as CSV to ``/invocations``; the scores (ParameterError on a 4xx)."""
        rows = np.asarray(rows, dtype=np.float64)
        body = "\n".join(",".join(repr(float(v)) for v in row) for row in np.atleast_2d(rows))
        status, text = request(f"{self.url}/invocations", body.encode(), content_type)
        if status != 200:
            raise ParameterError(f"the endpoint answered {status}: {text}")
        return parse_scores(text)


def parse_scores(text: str) -> np.ndarray:
    """Scores from a ``text/csv`` answer (comma- or newline-separated)."""
    return np.asarray([float(v) for v in text.replace("\n", ",").split(",") if v.strip()])


def request(url: str, body: bytes | None = None, content_type: str = CONTENT_TYPE,
            timeout: float = 30) -> tuple[int, str]:
    """One HTTP request to a loopback URL; returns ``(status, body text)`` even for a 4xx."""
    if not is_loopback_url(url):
        raise ParameterError(f"url={url!r} is not a loopback address")
    req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    if body is not None:
        req.add_header("Content-Type", content_type)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
