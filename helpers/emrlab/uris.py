"""Addresses the kit understands: ``s3://`` URIs and their place in the local lake, loopback URLs.

Taught in notebooks/01_emr_provisioning.ipynb and notebooks/02_spark_etl.ipynb. In local mode Spark
has no S3 connector, so the local EMR's steps and the lake read and write ``s3://bucket/key`` at
``work_dir/lake/bucket/key`` (:func:`local_path`); the endpoint guard and the inference server
accept only loopback URLs (:func:`is_loopback_url`).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from emrlab import config
from emrlab.exceptions import LocalEmrError

S3_SCHEMES = ("s3", "s3a", "s3n")


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
    """True when ``url`` points at this machine (127.0.0.0/8, ::1 or localhost)."""
    host = (urlparse(url).hostname or "").lower()
    return host == "localhost" or host.startswith("127.") or host == "::1"
