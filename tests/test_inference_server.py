"""The local inference server keeps SageMaker's container contract."""

from __future__ import annotations

import socket

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
    (b"a,b,c\n1,2,3", "text/csv", 400, "line 1: 'a' is not a number"),
    (b"\xff\xfe,1,2", "text/csv", 400, "not UTF-8"),
])
def test_bad_payloads_get_4xx_with_message(server, body, content_type, status, words):
    got_status, text = request(f"{server.url}/invocations", body, content_type)
    assert got_status == status
    assert words in text


def test_unknown_paths_are_404(server):
    assert request(f"{server.url}/health")[0] == 404
    assert request(f"{server.url}/predict", b"1,2,3")[0] == 404


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
