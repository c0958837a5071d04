"""SageMaker training channels written by Spark in the built-in XGBoost formats.

Taught in notebooks/05_sagemaker_handoff.ipynb (and labs/05_sagemaker_artifacts).

SageMaker's built-in XGBoost reads a ``train`` and an optional ``validation`` channel, each an S3
prefix of files in one content type:

=============================  ===========================================================
``text/csv``                   label in the first column, then the features; no header, no
                               index column, no empty cells
``text/libsvm``                ``label index:value ...``; this module writes 0-based indices
                               (XGBoost's default) and every value, zeros included, because
                               an absent entry means *missing* to XGBoost, not 0
``application/x-parquet``      label in the first column, then the features
=============================  ===========================================================

(``application/x-recordio-protobuf`` is the fourth; the other built-in algorithms such as
Linear Learner prefer it.) Spark writes each channel into the local lake
(``curated/sagemaker/<format>/<channel>``) with one file per partition; the files are then
uploaded with boto3 under ``s3://<bucket>/curated/sagemaker/<format>/<channel>/`` with the
object ``ContentType`` set, so the S3 layout is the real one in both modes (the emulator's
bucket locally). :func:`emrlab.sagemaker.formats.check_channel` reads a prefix back and proves the
format.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import DataFrame, functions as F

from emrlab.exceptions import ParameterError, TrainingDataError

CONTENT_TYPES = {"text/csv": "csv", "text/libsvm": "libsvm", "application/x-parquet": "parquet"}
CHANNELS = ("train", "validation")
EXTENSIONS = {"csv": ".csv", "libsvm": ".libsvm", "parquet": ".parquet"}


def check_content_type(content_type: str) -> str:
    """The short format name (``csv``, ``libsvm``, ``parquet``) of ``content_type``.

    Raises
    ------
    ParameterError
        ``content_type`` is not one of :data:`CONTENT_TYPES`.
    """
    if content_type not in CONTENT_TYPES:
        raise ParameterError(f"content_type={content_type!r} is not a built-in XGBoost training "
                             f"format this kit writes; use one of {', '.join(CONTENT_TYPES)}")
    return CONTENT_TYPES[content_type]


def feature_frame(df: DataFrame, features, label: str = "label") -> DataFrame:
    """``label`` (int) first, then ``features`` (double) in order; refuses missing values.

    Taught in notebooks/05_sagemaker_handoff.ipynb.

    Raises
    ------
    TrainingDataError
        A column is missing, or a label or feature holds nulls or NaN (the built-in formats have
        no place for them: fill or drop them before the handoff).
    """
    features = list(features)
    if not features:
        raise TrainingDataError("features is empty; name the feature columns in model order")
    missing = [c for c in (label, *features) if c not in df.columns]
    if missing:
        raise TrainingDataError(f"the DataFrame lacks column(s) {', '.join(missing)}; "
                                f"it has {', '.join(df.columns)}")
    out = df.select(F.col(label).cast("int").alias(label),
                    *[F.col(c).cast("double").alias(c) for c in features])
    counts = out.select(*[F.sum((F.col(c).isNull() | F.isnan(F.col(c).cast("double")))
                                .cast("int")).alias(c) for c in out.columns]).first()
    assert counts is not None  # a global aggregate always has one row
    bad = {c: n for c, n in counts.asDict().items() if n}
    if bad:
        raise TrainingDataError(f"null or NaN values in {bad}: SageMaker's built-in formats need "
                                "a value in every cell; fill or drop those rows first")
    return out


def _libsvm_lines(df: DataFrame, label: str, features: list[str]) -> DataFrame:
    """One text column ``value``: ``label 0:v0 1:v1 ...`` (0-based, every value written)."""
    parts = [F.col(label).cast("string")]
    parts += [F.concat(F.lit(f"{i}:"), F.col(c).cast("string")) for i, c in enumerate(features)]
    return df.select(F.concat_ws(" ", *parts).alias("value"))


def write_local(df: DataFrame, folder: str | Path, content_type: str, features,
                label: str = "label", files: int = 1) -> list[Path]:
    """Write one channel's files into ``folder`` (replaced); returns the data files.

    Taught in notebooks/05_sagemaker_handoff.ipynb. ``df`` must hold ``label`` and ``features``;
    the output has exactly those columns in that order (label first).
    """
    fmt = check_content_type(content_type)
    if not 1 <= int(files) <= 64:
        raise ParameterError(f"files={files} must be between 1 and 64")
    features = list(features)
    frame = feature_frame(df, features, label).coalesce(int(files))
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    if fmt == "csv":
        frame.write.option("header", "false").csv(str(folder))
    elif fmt == "libsvm":
        _libsvm_lines(frame, label, features).write.text(str(folder))
    else:
        frame.write.parquet(str(folder))
    data = sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(("_", ".")))
    renamed = []
    for i, path in enumerate(data):  # part-00000-<uuid>.csv -> part-00000.csv (stable keys)
        target = folder / f"part-{i:05d}{EXTENSIONS[fmt]}"
        path.rename(target)
        renamed.append(target)
    for path in folder.iterdir():  # Spark's _SUCCESS and .crc files do not belong in S3
        if path.is_file() and path.name.startswith(("_", ".")):
            path.unlink()
    return renamed


def upload(files, bucket: str, prefix: str, content_type: str) -> list[str]:
    """Upload ``files`` to ``s3://bucket/prefix/`` with ``ContentType``; returns the keys.

    Taught in notebooks/05_sagemaker_handoff.ipynb. Objects already under the prefix are
    deleted first, so a re-run never leaves a stale file in the channel.
    """
    from emrlab.aws import client

    check_content_type(content_type)
    s3 = client("s3")
    prefix = prefix.strip("/")
    stale = [{"Key": o["Key"]} for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix + "/") for o in page.get("Contents", [])]
    for i in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": stale[i:i + 1000]})
    keys = []
    for path in files:
        key = f"{prefix}/{Path(path).name}"
        s3.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": content_type})
        keys.append(key)
    return keys


@dataclass
class Channel:
    """One written channel: where it lives and what it holds."""

    name: str
    s3_uri: str
    content_type: str
    keys: list
    rows: int
    local_dir: str

    def input_config(self) -> dict:
        """The ``InputDataConfig`` entry of CreateTrainingJob for this channel."""
        return {"ChannelName": self.name, "ContentType": self.content_type,
                "CompressionType": "None", "InputMode": "File",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": self.s3_uri,
                                                "S3DataDistributionType": "FullyReplicated"}}}


def write_channels(frames: dict, content_type: str, features, label: str = "label",
                   lake=None, files: int = 1) -> dict[str, Channel]:
    """Write and upload each of ``frames`` (``{"train": df, "validation": df}``) as a channel.

    Taught in notebooks/05_sagemaker_handoff.ipynb and labs/05_sagemaker_artifacts.

    Returns
    -------
    dict
        Channel name to :class:`Channel` (S3 URI, content type, keys, rows).

    Raises
    ------
    ParameterError
        An unknown channel name or content type (before any work).
    """
    from emrlab.etl import Lake

    fmt = check_content_type(content_type)
    unknown = [n for n in frames if n not in CHANNELS]
    if unknown or "train" not in frames:
        raise ParameterError(f"channels {sorted(frames)} must include 'train' and may include "
                             f"'validation' only (got unknown {unknown})")
    lake = lake or Lake()
    out = {}
    for name, df in frames.items():
        folder = lake.path("curated", "sagemaker", fmt, name)
        written = write_local(df, folder, content_type, features, label, files)
        uri = lake.s3_uri("curated", "sagemaker", fmt, name) + "/"
        prefix = uri.split("/", 3)[3]
        keys = upload(written, lake.settings.bucket, prefix, content_type)
        rows = df.count()
        out[name] = Channel(name, uri, content_type, keys, rows, str(folder))
    return out
