"""Addresses the kit understands: ``s3://`` URIs and their place in the local lake, loopback URLs.

Taught in notebooks/01_emr_provisioning.ipynb and notebooks/02_spark_etl.ipynb. In local mode Spark
has no S3 connector, so the local EMR's steps and the lake read and write ``s3://bucket/key`` at
``work_dir/lake/bucket/key`` (:func:`local_path`); the endpoint guard and the inference server
accept only loopback URLs (:func:`is_loopback_url`).
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from urllib.parse import urlparse, urlsplit

from emrlab import config
from emrlab.exceptions import LocalEmrError

S3_SCHEMES = ("s3", "s3a", "s3n")
# ``scheme://authority`` where the authority is only a host and a port: no user info, no
# backslash, space or percent escape that two URL parsers could read differently.
_URL_AUTHORITY = re.compile(
    r"(?P<scheme>https?)://"
    r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9.-]+))"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?=[/?#]|\Z)",
    re.ASCII,
)
_IPV4_LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")
_IPV6_LOOPBACK = ipaddress.IPv6Address("::1")


def split_s3(uri: str) -> tuple[str, str]:
    """``("bucket", "key")`` of an ``s3://`` (or ``s3a://``, ``s3n://``) URI.

    Raises
    ------
    LocalEmrError
        ``uri`` is not an S3 URI with a bucket.
    """
    parsed = urlparse(str(uri))
    if parsed.scheme not in S3_SCHEMES or not parsed.netloc:
        raise LocalEmrError(f"{uri!r} is not an S3 URI; expected s3://bucket/key")
    return parsed.netloc, parsed.path.lstrip("/")


def is_s3_uri(value: str) -> bool:
    """True when ``value`` looks like ``s3://bucket/...`` (also ``s3a://``, ``s3n://``)."""
    return any(str(value).startswith(f"{scheme}://") for scheme in S3_SCHEMES)


def lake_dir(work_dir: Path | None = None) -> Path:
    """The local lake: ``settings.work_dir / "lake"``; one folder per bucket below it."""
    return Path(work_dir or config.current().work_dir) / "lake"


def local_path(s3_uri: str, work_dir: Path | None = None) -> Path:
    """Where the local EMR reads and writes ``s3://<bucket>/<key>``: ``work_dir/lake/<bucket>/<key>``.

    Taught in notebooks/01_emr_provisioning.ipynb. In local mode Spark has no S3 connector, so
    the step runner passes this path to a step instead of each ``s3://`` data argument (and
    exports ``EMRLAB_LAKE_DIR``); ETL code that writes the lake locally uses the same function.

    Raises
    ------
    LocalEmrError
        ``s3_uri`` is not an S3 URI, or its key climbs out of the lake (``..``).
    """
    bucket, key = split_s3(s3_uri)
    parts = [p for p in key.split("/") if p]
    if any(p == ".." for p in parts):
        raise LocalEmrError(f"{s3_uri!r}: '..' is not allowed in a lake key")
    path = lake_dir(work_dir) / bucket
    for part in parts:
        path = path / part
    return path


def is_loopback_url(url: str) -> bool:
    """True when ``url`` is an ``http(s)://`` URL whose host is this machine's loopback.

    Loopback means a literal IPv4 address in 127.0.0.0/8 written the canonical way
    (``127.0.0.1``, not ``127.1`` or ``0x7f.0.0.1``), the IPv6 address ``::1`` (in brackets), or
    exactly the host name ``localhost``. Any other host name is not loopback, whatever it
    starts with (``127.0.0.1.example.com``, ``localhost.example``), and no name is looked up.
    URLs with user info (``user@host``), backslashes, spaces, escapes or a port outside
    0-65535 are refused too: parsers disagree on where their host is.
    """
    if not isinstance(url, str):
        return False
    match = _URL_AUTHORITY.match(url)
    if match is None or (match["port"] is not None and int(match["port"]) > 65535):
        return False
    try:  # a second parser must find the same host (and a port it can read)
        parsed = urlsplit(url)
        parsed.port  # noqa: B018 - raises ValueError for a port it cannot read
    except ValueError:
        return False
    host = match["ipv6"] if match["ipv6"] is not None else match["host"]
    if (parsed.hostname or "") != host.lower():
        return False
    if match["ipv6"] is not None:
        try:
            return ipaddress.IPv6Address(host) == _IPV6_LOOPBACK
        except ValueError:
            return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.IPv4Address(host) in _IPV4_LOOPBACK
    except ValueError:
        return False
