"""A local inference server that keeps SageMaker's container contract, for local mode.

Taught in notebooks/05_sagemaker_handoff.ipynb.

A SageMaker endpoint runs the model's container and talks to it over HTTP on port 8080:

* ``GET /ping``: 200 when the model is loaded (SageMaker's health check);
* ``POST /invocations``: the request body in the request's ``Content-Type``; the answer here,
  like the built-in XGBoost container's for ``text/csv``, is the scores joined by commas (one
  line), or one per line with ``batch=True`` (what batch transform gets).

:class:`InferenceServer` serves a ``model.tar.gz`` the way the container does (extract, load
``xgboost-model``) on loopback only, so a notebook in local mode invokes a real HTTP endpoint.
Port: 8080 (or ``SAGEMAKER_BIND_TO_PORT``) like SageMaker; when that port is taken and none was
asked for explicitly, a free loopback port is used and shown in :attr:`InferenceServer.url`.

The HTTP side is a WSGI app (:meth:`InferenceServer.app`) served by waitress, a production WSGI
server: one thread reads every connection (a slow or stalled upload holds no worker thread), a
fixed pool of worker threads runs complete requests, the listen backlog is 1024, and a malformed
``Content-Length`` gets a 400 from the server itself. Every bad request gets a 4xx with a message:

* 400: an empty body; a cell that is not a plain decimal number (``inf``, ``0x1p3``, ``1_0``),
  out of float32's range (``1e39``, which would be ``inf``) or longer than :data:`MAX_FIELD`
  characters; a wrong column count; more than :data:`MAX_ROWS` rows; a body that is not UTF-8;
  a malformed ``Content-Length``. The message names the line and the column. An empty cell or
  ``nan`` is a missing value, as in the built-in container (it reads an empty cell as ``nan``).
  (The real container answers 204 to an empty body.)
* 413: a body over :data:`MAX_BODY`, SageMaker's own limit: ``InvokeEndpoint`` takes at most
  6291456 bytes (6 MiB) of ``Body`` (the SageMaker Runtime API reference), so a request the
  local server answers is one a real endpoint accepts. The body is read and dropped, not
  stored, so the client reads the 413 instead of a broken pipe; a body announced over
  :data:`DRAIN_LIMIT` is refused without reading it and the connection closed.
* 408: a request that has not arrived in full within ``timeout`` seconds (a ``Content-Length``
  longer than the body, a stalled upload); the connection is closed. An idle keep-alive
  connection is closed after ``timeout`` seconds too.
* 415: a content type other than ``text/csv``; 404: another path; 405: another method.
"""

from __future__ import annotations

import io
import logging
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from waitress import wasyncore  # type: ignore[import-untyped]
from waitress.channel import HTTPChannel  # type: ignore[import-untyped]
from waitress.parser import HTTPRequestParser  # type: ignore[import-untyped]
from waitress.receiver import FixedStreamReceiver  # type: ignore[import-untyped]
from waitress.server import TcpWSGIServer  # type: ignore[import-untyped]
from waitress.task import ThreadedTaskDispatcher  # type: ignore[import-untyped]
from waitress.utilities import Error as HTTPError  # type: ignore[import-untyped]

from emrlab.exceptions import ParameterError
from emrlab.uris import is_loopback_url

DEFAULT_PORT = 8080
CONTENT_TYPE = "text/csv"
#: The largest body answered (bytes): SageMaker Runtime's ``InvokeEndpoint`` takes at most
#: 6291456 bytes of ``Body``; the API reference lists it and botocore's service model has it.
MAX_BODY = 6 * 1024 * 1024
#: A larger body than MAX_BODY but at most this is read and dropped before the 413, so that the
#: client, still sending, reads the answer; a larger one is refused at once.
DRAIN_LIMIT = 64 * 1024 * 1024
MAX_ROWS = 1_000_000  # per request; a 6 MiB body of one-feature rows holds up to ~3 million
MAX_FIELD = 64  # characters in one cell; repr() of any float64 takes at most 24
FLOAT32_MAX = float(np.finfo(np.float32).max)
DEFAULT_TIMEOUT = 5  # seconds for a request to arrive in full, and for an idle connection
THREADS = 4  # worker threads; predictions run one at a time anyway, like one container worker
BACKLOG = 1024  # connections waiting to be accepted (the old standard-library server had 5)
CONNECTION_LIMIT = 500  # open connections; more wait in the backlog
SERVER_NAME = "emrlab-inference/1"

# waitress warns "Task queue depth is N" whenever requests wait for a worker thread: under a
# burst, one line per request in a notebook. Its dispatcher logs to this logger, errors only.
_QUEUE_LOG = logging.getLogger(__name__ + ".queue")
_QUEUE_LOG.setLevel(logging.ERROR)

_NUMBER = re.compile(r"[ \t]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*")
_MISSING = re.compile(r"[ \t]*(?:[+-]?nan)?[ \t]*", re.IGNORECASE)


class BadRequest(Exception):
    """A request the server answers with a 4xx status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def parse_csv(body: bytes, n_features: int, max_rows: int = MAX_ROWS) -> np.ndarray:
    """CSV rows (features only, no label, no header) as a float32 matrix; BadRequest if bad.

    Strict: every cell is a plain decimal number of at most :data:`MAX_FIELD` characters
    within float32's range, or a missing value (an empty cell or ``nan``, as the built-in
    XGBoost container reads them); ``inf``, other text and a wrong column count are refused with
    a message naming the line (1-based) and the column (1-based).
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(400, f"the body is not UTF-8 text: {exc}") from exc
    lines = text.strip().splitlines()
    if not lines:
        raise BadRequest(400, "the body holds no CSV rows")
    if len(lines) > max_rows:
        raise BadRequest(400, f"the body has {len(lines)} rows; at most {max_rows} per request "
                              "(split the rows, or use batch transform)")
    values = np.empty((len(lines), n_features), dtype=np.float64)
    for number, line in enumerate(lines, start=1):
        columns = line.count(",") + 1  # counted before splitting: a line of commas stays cheap
        if columns != n_features:
            raise BadRequest(400, f"line {number}: {columns} columns, the model expects "
                                  f"{n_features} features (no label column in inference rows)")
        for column, cell in enumerate(line.split(","), start=1):
            if len(cell) > MAX_FIELD:
                raise BadRequest(400, f"line {number}, column {column}: a cell of {len(cell)} "
                                      f"characters (at most {MAX_FIELD})")
            if _NUMBER.fullmatch(cell):
                values[number - 1, column - 1] = float(cell)
            elif _MISSING.fullmatch(cell):
                values[number - 1, column - 1] = np.nan
            else:
                raise BadRequest(400, f"line {number}, column {column}: {cell.strip()!r} is "
                                      "not a number (a plain decimal, or empty or nan for a "
                                      "missing value; no header row, no inf)")
    outside = np.argwhere(np.abs(values) > FLOAT32_MAX)  # nan compares False: it may stay
    if len(outside):
        row, column = (int(i) for i in outside[0])
        cell = lines[row].split(",")[column].strip()
        raise BadRequest(400, f"line {row + 1}, column {column + 1}: {cell!r} is outside "
                              f"float32's range (magnitude at most {FLOAT32_MAX:.7g})")
    return values.astype(np.float32)


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when ``host:port`` can be bound now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


# --- waitress, adapted: a body over the limit is dropped as it arrives, and a request that does
# not arrive in time gets a 408 (waitress itself only closes an idle connection, silently).
# The hooks are waitress 3.0's parser, channel and server maintenance (waitress>=3.0.2,<4);
# tests/test_inference_server.py checks each behaviour over real sockets.


class _RequestTimeout(HTTPError):
    code = 408
    reason = "Request Timeout"


class _Discard:
    """A body buffer that keeps nothing: a body over the limit is counted and dropped."""

    def __init__(self) -> None:
        self.size = 0

    def append(self, data: bytes) -> None:
        self.size += len(data)

    def __len__(self) -> int:
        return self.size

    def getfile(self) -> io.BytesIO:
        return io.BytesIO()

    def close(self) -> None:
        pass


class _Parser(HTTPRequestParser):
    """waitress's parser that remembers when the request began and drops an oversized body."""

    def __init__(self, adj: Any, max_body: int):
        super().__init__(adj)
        self.max_body = max_body
        self.started = time.time()

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        if (not self.chunked
                and self.max_body < self.content_length < self.adj.max_request_body_size):
            self.body_rcv = FixedStreamReceiver(self.content_length, _Discard())


class _Channel(HTTPChannel):
    server: _Server

    def parser_class(self, adj: Any) -> _Parser:  # waitress calls self.parser_class(adj)
        return _Parser(adj, self.server.max_body)


class _Server(TcpWSGIServer):
    channel_class = _Channel
    max_body = MAX_BODY

    def maintenance(self, now: float) -> None:
        """Every ``cleanup_interval``: a request that has not arrived in full within
        ``channel_timeout`` gets a 408 and its connection closes; an idle connection closes."""
        cutoff = now - self.adj.channel_timeout
        for channel in list(self.active_channels.values()):
            if channel.requests:  # a worker is answering it
                continue
            partial = channel.request
            if (partial is not None and partial.started < cutoff
                    and not (channel.will_close or channel.close_when_flushed)):
                self._time_out(channel, partial)
            elif channel.last_activity < cutoff:
                channel.will_close = True

    def _time_out(self, channel: _Channel, partial: _Parser) -> None:
        timeout = self.adj.channel_timeout
        with channel.requests_lock:
            if partial.headers_finished:
                message = (f"the request did not arrive within {timeout} s: Content-Length "
                           f"announced {partial.content_length} bytes, "
                           f"{partial.body_bytes_received} came")
            else:
                partial.parse_header(b"GET / HTTP/1.0\r\n")  # what waitress does for a 431
                message = f"the request headers did not arrive within {timeout} s"
            partial.error = _RequestTimeout(message)
            partial.completed = True
            channel.request = None
            channel.requests.append(partial)
        self.add_task(channel)  # waitress answers an errored request and closes the connection


StartResponse = Callable[..., Any]


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
    timeout : int
        Seconds within which a request must arrive in full (else 408 and the connection is
        closed), and after which an idle connection is closed; whole seconds, at least 1.
    max_body : int
        The largest body answered, in bytes (413 above it); SageMaker's limit by default.
    """

    def __init__(self, artifact, port: int | None = None, host: str = "127.0.0.1",
                 batch: bool = False, *, timeout: int = DEFAULT_TIMEOUT,
                 max_body: int = MAX_BODY):
        if not is_loopback_url(f"http://{host}/"):
            raise ParameterError(f"host={host!r} is not a loopback address; the local inference "
                                 "server only listens on 127.0.0.1")
        if port is not None and not 0 <= int(port) <= 65535:
            raise ParameterError(f"port={port} must be between 0 and 65535")
        if int(timeout) != timeout or timeout < 1:
            raise ParameterError(f"timeout={timeout} must be a whole number of seconds, >= 1")
        if not 0 < max_body < DRAIN_LIMIT:
            raise ParameterError(f"max_body={max_body} must be between 1 and {DRAIN_LIMIT - 1}")
        self.artifact, self.host, self.batch = str(artifact), host, batch
        self.requested_port = int(port or 0)
        self.timeout, self.max_body = int(timeout), int(max_body)
        self.booster: Any = None  # the xgboost.Booster once started
        self.n_features = 0
        self._server: _Server | None = None
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

        if self._server is not None:
            return self
        self.booster = load_artifact(self.artifact)
        self.n_features = self.booster.num_features()
        workers = ThreadedTaskDispatcher()
        workers.queue_logger = _QUEUE_LOG  # a queue under load is expected, not a warning
        workers.set_thread_count(THREADS)
        server = _Server(
            self.app, dispatcher=workers, host=self.host, port=self._choose_port(),
            backlog=BACKLOG, connection_limit=CONNECTION_LIMIT, channel_timeout=self.timeout,
            cleanup_interval=1, max_request_body_size=DRAIN_LIMIT, asyncore_use_poll=True,
            log_socket_errors=False, ident=SERVER_NAME)
        server.max_body = self.max_body
        self._server = server
        self._thread = threading.Thread(target=server.run, name="emrlab-inference", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        # Sockets are closed by the serving thread itself (a trigger's callback), which then
        # leaves its loop; then the worker threads end.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        if thread is not None:
            thread.join(timeout=5)
            if thread.is_alive():  # never expected; close from here as a last resort
                wasyncore.close_all(server._map, ignore_all=True)
        server.task_dispatcher.shutdown(timeout=5)

    def __enter__(self) -> InferenceServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port served on (0 before :meth:`start`)."""
        return int(self._server.socket.getsockname()[1]) if self._server else 0

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    @property
    def connections(self) -> int:
        """Client connections open now (0 when not serving)."""
        return len(self._server.active_channels) if self._server else 0

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

    def app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI application: ``GET /ping`` and ``POST /invocations``."""
        status, text, headers = self._answer(environ)
        data = text.encode()
        reason = _REASONS.get(status, "Error")
        content_type = CONTENT_TYPE if status == 200 and data else "text/plain; charset=utf-8"
        start_response(f"{status} {reason}", [("Content-Type", content_type),
                                              ("Content-Length", str(len(data))), *headers])
        return [data]

    def _answer(self, environ: dict[str, Any]) -> tuple[int, str, list[tuple[str, str]]]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        routes = {"/ping": "GET", "/invocations": "POST"}
        if path not in routes:
            return 404, f"no such path {path!r}; use GET /ping or POST /invocations", []
        allowed = ("GET", "HEAD") if path == "/ping" else ("POST",)
        if method not in allowed:
            return (405, f"{method} is not allowed on {path}; use {routes[path]}",
                    [("Allow", ", ".join(allowed))])
        if path == "/ping":
            return (200, "", []) if self.booster is not None else (503, "no model loaded", [])
        length = int(environ.get("CONTENT_LENGTH") or 0)  # waitress has checked it is digits
        if length > self.max_body:
            return (413, f"the body has {length} bytes; the limit is {self.max_body} "
                         "(SageMaker's InvokeEndpoint takes at most 6 MiB): send fewer rows "
                         "per request, or use batch transform", [])
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            return 200, self.handle({"Content-Type": environ.get("CONTENT_TYPE")}, body), []
        except BadRequest as exc:
            return exc.status, str(exc), []
        except Exception as exc:  # an answer, never a dropped connection
            detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            return 500, f"prediction failed: {type(exc).__name__}: {detail}", []

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


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            413: "Content Too Large", 415: "Unsupported Media Type", 500: "Internal Server Error",
            503: "Service Unavailable"}


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
