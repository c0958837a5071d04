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


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1.attacker.example",  # a host name that starts like an address
        "http://127.0.0.1.attacker.example:5000/x",
        "http://127.1",  # non-canonical IPv4 (a resolver may still take it)
        "http://0x7f.0.0.1/", "http://2130706433/", "http://127.000.000.001/",
        "http://[::ffff:127.0.0.1]",  # IPv4-mapped IPv6: not the loopback address ::1
        "http://localhost.evil", "http://localhost./", "http://LOCALHOST.evil.example",
        "http://127.0.0.1@evil.example/",  # user info: the host is evil.example
        "http://[::1]@evil.example/",
        "http://evil.example#@127.0.0.1",
        "http://evil.example\\@127.0.0.1/",  # urllib3 connects to evil.example
        "http://127.0.0.1\\@evil.example/",
        "http://127.0.0.1%2f@evil.example/",
        "http://127.0.0.1\t.evil/",
        "http://[fe80::1%25lo]/", "http://::1/", "http://127.0.0.1:99999/",
        "ftp://127.0.0.1/", "127.0.0.1:5000", "", "http://",
    ],
)
def test_loopback_detection_refuses_look_alikes(url):
    assert not uris.is_loopback_url(url)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:5000", "https://127.255.3.4/", "http://LocalHost:8/a?b#c",
     "http://[::1]/", "http://[0:0:0:0:0:0:0:1]:80", "http://127.0.0.1?@evil.example/"],
)
def test_loopback_detection_accepts_loopback(url):
    assert uris.is_loopback_url(url)


@pytest.fixture
def no_network(monkeypatch):
    """Record (and refuse) every name lookup and connection made from Python."""
    import socket

    import urllib3.util.connection

    calls = []

    def refuse(*args, **kwargs):
        calls.append(args[:1])
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", refuse)
    return calls


@pytest.mark.parametrize(
    "endpoint",
    ["http://127.0.0.1.attacker.example", "http://localhost.evil:5000",
     "http://evil.example\\@127.0.0.1", "http://127.1:5000"],
)
def test_guard_refuses_look_alike_endpoints_before_connecting(settings, no_network, endpoint):
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    with pytest.raises(EndpointGuardError, match="local mode refused"):
        client.list_buckets()
    assert no_network == []


def test_guard_refuses_a_proxy_off_the_machine(settings, no_network):
    """A loopback URL sent through a proxy elsewhere would still leave the machine."""
    from botocore.config import Config

    client = boto3.client("s3", config=Config(proxies={"http": "http://proxy.example:3128"}))
    assert client.meta.endpoint_url.startswith("http://127.0.0.1:")
    with pytest.raises(EndpointGuardError, match="proxy"):
        client.list_buckets()
    assert no_network == []


def test_setup_overrides_service_specific_endpoints(emulator, monkeypatch, tmp_path):
    """AWS_ENDPOINT_URL_<SERVICE> beats AWS_ENDPOINT_URL in boto3 and pyarrow: setup resets them."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://s3.eu-west-1.amazonaws.com")
    monkeypatch.setenv("AWS_ENDPOINT_URL_EMR", "https://elasticmapreduce.eu-west-1.amazonaws.com")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    config.reset()
    try:
        aws.setup(mode="local", work_dir=str(tmp_path / "work"))
        assert "AWS_ENDPOINT_URL_EMR" not in os.environ
        assert "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" not in os.environ
        assert os.environ["AWS_ENDPOINT_URL_S3"] == emulator
        assert boto3.client("s3").meta.endpoint_url == emulator
        assert boto3.client("emr").meta.endpoint_url == emulator
        aws.setup(mode="aws", region="eu-west-1", bucket="real-bucket", acknowledge_costs=True)
        assert "AWS_ENDPOINT_URL_S3" not in os.environ
    finally:
        config.reset()


_PYARROW_CHILD = """
import boto3, emrlab, pandas as pd, pyarrow as pa, pyarrow.fs as pafs, pyarrow.parquet as pq
settings = emrlab.setup()
s3 = boto3.client("s3")
s3.create_bucket(Bucket="pyarrow-probe")
s3.put_object(Bucket="pyarrow-probe", Key="only/in/the/emulator.txt", Body=b"x")
fs = pafs.S3FileSystem()
kwargs = fs.__reduce__()[1][0]
print("endpoint", kwargs["endpoint_override"])
infos = fs.get_file_info(pafs.FileSelector("pyarrow-probe", recursive=True))
print("listed", sorted(i.path for i in infos))
pq.write_table(pa.table({"a": [1, 2]}), "pyarrow-probe/t.parquet", filesystem=fs)
print("pandas", pd.read_parquet("s3://pyarrow-probe/t.parquet")["a"].tolist())
for key in ("only/in/the/emulator.txt", "t.parquet"):
    s3.delete_object(Bucket="pyarrow-probe", Key=key)
s3.delete_bucket(Bucket="pyarrow-probe")
"""


def test_pyarrow_s3_filesystem_reaches_the_emulator(settings):
    """After setup, ``pyarrow.fs.S3FileSystem()`` (no arguments) and pandas' parquet reader
    (through ``FileSystem.from_uri``) read the emulator, not AWS: the listed key exists only
    there. Run in a child so that pyarrow's S3 subsystem starts and stops outside pytest."""
    pytest.importorskip("pyarrow")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    out = subprocess.run([sys.executable, "-c", _PYARROW_CHILD], capture_output=True,
                         text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert uris.is_loopback_url(lines["endpoint"]), lines
    assert lines["endpoint"] == os.environ["AWS_ENDPOINT_URL"]
    assert "'pyarrow-probe/only/in/the/emulator.txt'" in lines["listed"]
    assert lines["pandas"] == "[1, 2]"


def test_proxy_from_the_environment_is_bypassed_for_the_emulator(emulator, monkeypatch, tmp_path):
    """Behind a proxy (HTTP_PROXY set) local mode still reaches the emulator directly."""
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, "http://proxy.example:3128")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "internal.example")
    config.reset()
    try:
        settings = aws.setup(mode="local", work_dir=str(tmp_path / "work"))
        assert os.environ["no_proxy"].split(",") == ["internal.example", "127.0.0.1",
                                                     "localhost", "::1"]
        boto3.client("s3").head_bucket(Bucket=settings.bucket)
        assert localaws.reachable(emulator)
    finally:
        config.reset()
