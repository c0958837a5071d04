"""The data lake's zones: where raw, quarantined and curated data live in either mode.

Taught in notebooks/02_spark_etl.ipynb.

A lake is one S3 bucket with a prefix per zone (``raw``, ``quarantine``, ``curated``,
``models``, ``ledger``). On Amazon EMR, Spark reads and writes ``s3://bucket/zone/...``
directly through EMRFS. Locally Spark has no S3 connector, so the same layout lives in a
folder, ``settings.work_dir / "lake" / bucket`` (the mapping of
:func:`emrlab.uris.local_path`, which the local EMR's steps use too);
:meth:`Lake.upload` copies a local folder to the (emulated) bucket so the S3 layout can be
listed with boto3.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from emrlab import config, uris
from emrlab.exceptions import ParameterError

ZONES = ("raw", "quarantine", "curated", "models", "ledger")


def _check_zone(zone: str) -> None:
    if zone not in ZONES:
        raise ParameterError(f"zone={zone!r} is not a lake zone; use one of {', '.join(ZONES)}")


def local_root(settings: config.Settings | None = None) -> Path:
    """The folder that stands for the lake bucket in local mode."""
    settings = settings or config.current()
    return uris.local_path(f"s3://{settings.bucket}/", settings.work_dir)


def local_path_for(uri: str, settings: config.Settings | None = None) -> str:
    """Map ``s3://bucket/key`` (or ``s3a://``) to the local lake folder; other paths unchanged.

    Taught in notebooks/02_spark_etl.ipynb (how a step written for S3 runs locally).
    """
    if uris.is_s3_uri(uri):
        return str(uris.local_path(uri, (settings or config.current()).work_dir))
    return uri


class Lake:
    """The lake of the current settings (local folder or S3 bucket).

    Taught in notebooks/02_spark_etl.ipynb.

    Parameters
    ----------
    settings : Settings, optional
        Defaults to :func:`emrlab.current`.
    """

    def __init__(self, settings: config.Settings | None = None):
        self.settings = settings or config.current()

    @property
    def root(self) -> Path:
        """The local folder of the lake (local mode) or of a local staging copy (AWS mode)."""
        return local_root(self.settings)

    def s3_uri(self, zone: str, *parts: str) -> str:
        """``s3://bucket/zone/parts...`` in either mode (the address on EMR)."""
        _check_zone(zone)
        key = "/".join([zone, *[str(p).strip("/") for p in parts if str(p)]])
        return f"s3://{self.settings.bucket}/{key}"

    def path(self, zone: str, *parts: str) -> Path:
        """The local folder of ``zone/parts...`` (created parents, not the folder itself)."""
        _check_zone(zone)
        path = self.root.joinpath(zone, *[str(p) for p in parts])
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def uri(self, zone: str, *parts: str) -> str:
        """Where Spark reads and writes ``zone/parts...``: ``s3://`` in AWS mode, a local path here."""
        if self.settings.is_local:
            return str(self.path(zone, *parts))
        return self.s3_uri(zone, *parts)

    @contextlib.contextmanager
    def lock(self, name: str):
        """Hold an exclusive, inter-process lock named ``name`` (local lake).

        Notebooks that ``emrlab run`` executes in parallel share one lake; whoever builds a
        shared dataset (the training set, the booster) holds its lock, the others wait and then
        find it built.
        """
        import fcntl

        path = self.root / ".locks" / f"{name}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def clear(self, zone: str, *parts: str) -> None:
        """Delete the local folder of ``zone/parts...`` (local mode; a fresh start)."""
        path = self.path(zone, *parts)
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()

    def upload(self, local_dir: str | os.PathLike, zone: str, *parts: str) -> int:
        """Copy every file under ``local_dir`` to ``s3://bucket/zone/parts.../``; returns files sent.

        Taught in notebooks/02_spark_etl.ipynb. In local mode the bucket is the emulator's.
        """
        from emrlab.aws import client

        base = Path(local_dir)
        if not base.is_dir():
            raise ParameterError(f"local_dir={str(base)!r} is not a folder")
        s3 = client("s3")
        prefix = self.s3_uri(zone, *parts).split("/", 3)[3]
        sent = 0
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            key = f"{prefix}/{path.relative_to(base).as_posix()}"
            s3.upload_file(str(path), self.settings.bucket, key)
            sent += 1
        return sent

    def list(self, zone: str, *parts: str) -> list[dict]:
        """Objects under ``s3://bucket/zone/parts...`` as ``{"key", "size"}`` dicts."""
        from emrlab.aws import client

        s3 = client("s3")
        prefix = self.s3_uri(zone, *parts).split("/", 3)[3]
        found = []
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.settings.bucket, Prefix=prefix
        ):
            found += [{"key": o["Key"], "size": o["Size"]} for o in page.get("Contents", [])]
        return found
