"""The local AWS and the endpoint guard: plain boto3 reaches the emulator, never real AWS."""

import os
import subprocess
import sys

import boto3
import pytest

import emrlab
from emrlab import aws, config, uris
from emrlab.exceptions import EmulatorError, EndpointGuardError
from emrlab.local import emulator as localaws


def test_plain_boto3_reaches_the_emulator(settings):
    s3 = boto3.client("s3")
    assert s3.meta.endpoint_url.startswith("http://127.0.0.1:")
    s3.put_object(Bucket=settings.bucket, Key="k", Body=b"hello")
    assert emrlab.client("s3").get_object(Bucket=settings.bucket, Key="k")["Body"].read() == b"hello"


@pytest.mark.parametrize(
    "service, url",
    [("s3", "https://s3.amazonaws.com"), ("emr", "https://elasticmapreduce.eu-west-1.amazonaws.com"),
     ("sts", "https://10.0.0.1")],
)
def test_guard_refuses_real_endpoints_in_local_mode(settings, service, url):
    client = boto3.client(service, endpoint_url=url, region_name="eu-west-1")
    with pytest.raises(EndpointGuardError, match="local mode refused a request to https://"):
        if service == "s3":
            client.list_buckets()
        elif service == "emr":
            client.list_clusters()
        else:
            client.get_caller_identity()


def test_guard_covers_other_sessions(settings):
    session = boto3.session.Session(region_name="us-west-2")
    with pytest.raises(EndpointGuardError):
        session.client("s3", endpoint_url="https://s3.us-west-2.amazonaws.com").list_buckets()


def test_guard_lets_aws_mode_through(settings, monkeypatch):
    """In AWS mode the guard does not interfere (the request fails later, offline)."""
    config.configure(mode="aws", region="eu-west-1", bucket="some-bucket", acknowledge_costs=True)
    sent = []
    monkeypatch.setattr(aws, "_original_send", lambda self, request: sent.append(request.url))
    client = boto3.client("s3", endpoint_url="https://s3.eu-west-1.amazonaws.com",
                          region_name="eu-west-1")
    with pytest.raises(Exception) as err:
        client.list_buckets()
    assert not isinstance(err.value, EndpointGuardError)
    assert sent and sent[0].startswith("https://s3.eu-west-1.amazonaws.com")


def test_loopback_detection():
    assert uris.is_loopback_url("http://127.0.0.1:5000")
    assert uris.is_loopback_url("http://localhost:1")
    assert uris.is_loopback_url("http://[::1]:8080/x")
    assert not uris.is_loopback_url("https://s3.amazonaws.com")
    assert not uris.is_loopback_url("http://128.0.0.1")


def test_shared_endpoint_must_be_loopback(monkeypatch):
    monkeypatch.setenv(localaws.ENDPOINT_ENV, "http://192.168.1.20:5000")
    with pytest.raises(EmulatorError, match="not a loopback address"):
        localaws.ensure()


def test_child_process_shares_the_emulator(settings):
    """A kernel or step started by this process reaches the same emulator via the env."""
    boto3.client("s3").put_object(Bucket=settings.bucket, Key="shared", Body=b"x")
    code = (
        "import emrlab, boto3\n"
        "s = emrlab.setup()\n"
        "print(boto3.client('s3').get_object(Bucket=s.bucket, Key='shared')['Body'].read())\n"
        "from emrlab.local import emulator; print(emulator.running_in_process())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=os.environ.copy(), timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["b'x'", "False"]


def test_setup_in_aws_mode_drops_emulator_endpoint(settings, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", settings and os.environ["AWS_ENDPOINT_URL"])
    aws.setup(mode="aws", region="eu-west-1", bucket="real-bucket", acknowledge_costs=True)
    try:
        assert "AWS_ENDPOINT_URL" not in os.environ
        assert boto3.client("s3").meta.endpoint_url.startswith("https://s3.")
    finally:
        config.reset()
