"""The local inference server keeps SageMaker's container contract, and guards that hold."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import xgboost as xgb

from emrlab.exceptions import ParameterError
from emrlab.sagemaker import InferenceServer, artifact as sm_artifact, inference_server, request


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 3))
    y = (x[:, 1] > 0).astype(int)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 2},
                        xgb.DMatrix(x, label=y), 10)
    folder = tmp_path_factory.mktemp("artifact")
    return sm_artifact.package(booster, folder), x[:25], booster.predict(xgb.DMatrix(x[:25]))


@pytest.fixture
def server(artifact):
    with InferenceServer(artifact[0]) as srv:
        yield srv


def test_ping_and_invocations(server, artifact):
    _, rows, expected = artifact
    assert server.url.startswith("http://127.0.0.1:")
    assert server.ping() == 200
    scores = server.invoke(rows)
    np.testing.assert_array_equal(scores, expected.astype(np.float64))
    status, body = request(f"{server.url}/invocations", b"0.1,0.2,0.3\n0.4,0.5,0.6",
                           "text/csv; charset=utf-8")
    assert status == 200 and len(body.split(",")) == 2  # one comma-joined line, like the container


@pytest.mark.parametrize("body, content_type, status, words", [
    (b"1,2,3", "application/json", 415, "'application/json' is not supported"),
    (b"1,2,3", "", 415, "is not supported"),
    (b"", "text/csv", 400, "the body is empty"),
    (b"  \n", "text/csv", 400, "the body is empty"),
    (b"1,2", "text/csv", 400, "line 1: 2 columns, the model expects 3 features"),
    (b"1,2,3\n4,5,6,7", "text/csv", 400, "line 2: 4 columns"),
    (b"a,b,c\n1,2,3", "text/csv", 400, "line 1, column 1: 'a' is not a number"),
    (b"\xff\xfe,1,2", "text/csv", 400, "not UTF-8"),
])
def test_bad_payloads_get_4xx_with_message(server, body, content_type, status, words):
    got_status, text = request(f"{server.url}/invocations", body, content_type)
    assert got_status == status
    assert words in text


def test_unknown_paths_are_404(server):
    assert request(f"{server.url}/health")[0] == 404
    assert request(f"{server.url}/predict", b"1,2,3")[0] == 404
    status, text = request(f"{server.url}/invocations")
    assert status == 405 and "use POST" in text


def test_batch_mode_answers_one_score_per_line(artifact):
    with InferenceServer(artifact[0], batch=True) as srv:
        status, text = request(f"{srv.url}/invocations", b"1,2,3\n4,5,6\n")
    assert status == 200 and text.endswith("\n") and len(text.strip().splitlines()) == 2


def test_port_choice(artifact, monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        monkeypatch.setenv("SAGEMAKER_BIND_TO_PORT", str(taken))
        with InferenceServer(artifact[0]) as srv:  # preferred port taken: a free one instead
            assert srv.port not in (0, taken) and srv.ping() == 200
        with pytest.raises(ParameterError, match=f"port={taken} is in use"):
            InferenceServer(artifact[0], port=taken).start()
    assert InferenceServer(artifact[0]).port == 0  # not started yet


def test_stop_frees_the_port(artifact):
    srv = InferenceServer(artifact[0]).start()
    port = srv.port
    srv.stop()
    assert inference_server.port_free(port)


def test_refuses_non_loopback(artifact):
    with pytest.raises(ParameterError, match="not a loopback address"):
        InferenceServer(artifact[0], host="0.0.0.0")
    with pytest.raises(ParameterError, match="not a loopback address"):
        request("http://example.com/ping")
    with pytest.raises(ParameterError, match="port=70000"):
        InferenceServer(artifact[0], port=70000)


# --- Guards that hold: hostile numbers, bad Content-Length, oversized and stalled bodies, load.

HEAD = "POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/csv\r\n"


def _raw(port: int, data: bytes, timeout: float = 10) -> bytes:
    """Send ``data`` on a fresh socket and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return _read_all(sock)


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def quick(artifact):
    """A server with a 1 s timeout, so that stalled requests end fast."""
    with InferenceServer(artifact[0], timeout=1) as srv:
        yield srv


@pytest.mark.parametrize("body, words", [
    (b"inf,1,2", "line 1, column 1: 'inf' is not a number"),
    (b"1,2,3\n1,-inf,2", "line 2, column 2: '-inf' is not a number"),
    (b"1,2,1e39", "line 1, column 3: '1e39' is outside float32's range"),
    (b"1,-3.5e38,2", "line 1, column 2: '-3.5e38' is outside float32's range"),
    (b"1,2,1e999", "line 1, column 3: '1e999' is outside float32's range"),
    (b"1," + b"9" * 5_000_000 + b",2", "line 1, column 2: a cell of 5000000 characters"),
    (b"1_0,1,2", "line 1, column 1: '1_0' is not a number"),
    (b"1,0x1p3,2", "line 1, column 2: '0x1p3' is not a number"),
    (b"1,infinity,2", "line 1, column 2: 'infinity' is not a number"),
    (b"1," * 3_000_000 + b"1", "line 1: 3000001 columns"),
])
def test_bad_numbers_get_400_naming_line_and_column(server, body, words):
    status, text = request(f"{server.url}/invocations", body)
    assert status == 400, text
    assert words in text
    assert server.ping() == 200


def test_edge_numbers_and_missing_values_are_accepted(server):
    body = b"3.4e38,-3.4e38,1e-50\n +1 ,.5,-0.\n1E3,0,7\n1,,2\nnan,NaN,-nan"
    status, text = request(f"{server.url}/invocations", body)
    assert status == 200 and len(text.split(",")) == 5
    rows = inference_server.parse_csv(b"1,,2\nnan,0,3", 3)
    assert np.isnan(rows[0, 1]) and np.isnan(rows[1, 0]) and rows[1, 2] == 3


def test_row_limit():
    with pytest.raises(inference_server.BadRequest, match="the body has 3 rows; at most 2"):
        inference_server.parse_csv(b"1\n2\n3", 1, max_rows=2)


@pytest.mark.parametrize("length", [b"abc", b"-1", b"1e3", b"5, 5"])
def test_malformed_content_length_gets_400(server, length):
    answer = _raw(server.port, HEAD.encode() + b"Content-Length: " + length + b"\r\n\r\n1,2,3",
                  timeout=5)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert b"Content-Length is invalid" in answer


def test_body_shorter_than_content_length_times_out_with_408(quick):
    t0 = time.monotonic()
    answer = _raw(quick.port, HEAD.encode() + b"Content-Length: 100\r\n\r\n1,2,3", timeout=8)
    took = time.monotonic() - t0
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"Content-Length announced 100 bytes, 5 came" in answer
    assert took < 4  # 1 s timeout, checked every second
    assert quick.ping() == 200


def test_10_mb_body_gets_413_that_the_client_reads(server):
    body = b"0.1,0.2,0.3\n" * (10 * 1024 * 1024 // 12)
    head = f"{HEAD}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head + body)  # the old server answered early and reset: a broken pipe here
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert f"the body has {len(body)} bytes; the limit is 6291456".encode() in answer
    status, text = request(f"{server.url}/invocations", body)  # and through urllib
    assert status == 413 and "the limit is 6291456" in text
    assert server.ping() == 200


def test_200_concurrent_requests_are_all_answered_and_ping_stays_healthy(server, artifact):
    _, rows, expected = artifact
    body = "\n".join(",".join(repr(float(v)) for v in row) for row in rows[:5]).encode()
    start = threading.Barrier(200)
    pings: list[int] = []
    stop = threading.Event()

    def one(_):
        start.wait()
        return request(f"{server.url}/invocations", body, timeout=20)

    def ping_loop():
        while not stop.is_set():
            pings.append(server.ping())

    pinger = threading.Thread(target=ping_loop)
    pinger.start()
    try:
        with ThreadPoolExecutor(max_workers=200) as pool:
            answers = list(pool.map(one, range(200)))  # a reset connection raises here
    finally:
        stop.set()
        pinger.join()
    assert [status for status, _ in answers] == [200] * 200
    assert {text for _, text in answers} == {answers[0][1]}
    np.testing.assert_allclose(inference_server.parse_scores(answers[0][1]), expected[:5],
                               rtol=1e-6)
    assert pings and set(pings) == {200}


def test_300_stalled_uploads_hold_no_threads_and_are_closed_with_408(quick):
    baseline = threading.active_count()
    stalled = []
    try:
        for _ in range(300):
            sock = socket.create_connection(("127.0.0.1", quick.port), timeout=10)
            sock.sendall(HEAD.encode() + b"Content-Length: 1000\r\n\r\n1,2,3\n")
            stalled.append(sock)
        # All 300 are open and waiting for their bodies: no thread each, /ping still answered.
        assert threading.active_count() <= baseline + 1
        assert quick.ping() == 200
        answers = [_read_all(sock) for sock in stalled]  # each ends after the 1 s timeout
    finally:
        for sock in stalled:
            sock.close()
    assert all(a.startswith(b"HTTP/1.1 408 ") for a in answers), {a[:40] for a in answers}
    assert threading.active_count() <= baseline + 1
    deadline = time.monotonic() + 5
    while quick.connections > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert quick.connections == 0
    assert quick.ping() == 200


def test_idle_and_slow_header_connections_are_closed(quick):
    with socket.create_connection(("127.0.0.1", quick.port), timeout=8) as idle, \
            socket.create_connection(("127.0.0.1", quick.port), timeout=8) as slow:
        slow.sendall(b"POST /invocations HTTP/1.1\r\nHost: loc")
        assert _read_all(idle) == b""  # closed silently, like any idle keep-alive connection
        answer = _read_all(slow)
    assert answer.startswith(b"HTTP/1.0 408 ") and b"headers did not arrive" in answer


def test_stop_ends_the_server_threads(artifact):
    baseline = threading.active_count()
    with InferenceServer(artifact[0]) as srv:
        assert srv.ping() == 200
        assert threading.active_count() <= baseline + 1 + inference_server.THREADS
    assert threading.active_count() <= baseline


def test_timeout_and_max_body_are_checked(artifact):
    with pytest.raises(ParameterError, match="timeout=0"):
        InferenceServer(artifact[0], timeout=0)
    with pytest.raises(ParameterError, match="max_body=0"):
        InferenceServer(artifact[0], max_body=0)
