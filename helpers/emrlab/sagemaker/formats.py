"""Read a SageMaker channel back from S3 and prove it is in the built-in XGBoost format.

Taught in notebooks/05_sagemaker_handoff.ipynb (and labs/05_sagemaker_artifacts).

SageMaker does not look at a channel until the training instance has started (minutes and
money later), and some mistakes never fail at all: a header row becomes a training row of
NaNs, a label in the last column silently trains a model on the wrong target. The checker
catches those before a job is started. For each object under the prefix it reports, with the
object's URI and the line (CSV, libsvm) or row (Parquet):

* a header row (non-numeric cells in the first line);
* a label that is not in column 0: label values outside ``labels`` (``{0, 1}`` for a binary
  objective), with a hint when another column looks like the label;
* NaN or empty cells, and malformed ``index:value`` pairs (libsvm);
* a column count that differs from the first row or from ``n_features + 1``;
* an object whose ``ContentType`` is not the channel's.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

from emrlab.exceptions import ChannelFormatError
from emrlab.sagemaker.channels import check_content_type

MAX_PROBLEMS = 20


@dataclass
class ChannelReport:
    """What :func:`check_channel` read: objects, rows, columns (label included)."""

    s3_uri: str
    content_type: str
    objects: list = field(default_factory=list)
    rows: int = 0
    columns: int | None = None

    def __str__(self) -> str:
        return (f"{self.s3_uri}: {len(self.objects)} object(s), {self.rows} rows, "
                f"{self.columns} columns (label first), {self.content_type}: OK")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _label_problem(value: float, labels) -> str | None:
    if labels is not None and value not in labels:
        shown = ", ".join(str(v) for v in sorted(labels))
        return (f"label {value:g} in column 0 is not one of {{{shown}}}: the label must be the "
                "first column")
    return None


class _Collector:
    def __init__(self, uri: str):
        self.uri = uri
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    @property
    def full(self) -> bool:
        return len(self.problems) >= MAX_PROBLEMS


def check_csv(text: str, name: str, labels=None, n_columns: int | None = None,
              problems: _Collector | None = None) -> tuple[int, int | None, list[str]]:
    """Check one CSV object; returns ``(rows, columns, problems)``."""
    out = problems or _Collector(name)
    lines = text.splitlines()
    columns = n_columns
    binary_cols: dict[int, bool] = {}
    rows = 0
    for number, line in enumerate(lines, start=1):
        if out.full:
            break
        where = f"{name} line {number}"
        cells = line.split(",")
        values = [_number(c.strip()) if c.strip() else None for c in cells]
        if number == 1 and any(v is None and c.strip() for v, c in zip(values, cells, strict=True)):
            out.add(where, f"header row {line[:60]!r}: built-in XGBoost reads every line as "
                           "data; write CSV without a header")
            continue
        rows += 1
        if columns is None:
            columns = len(cells)
        elif len(cells) != columns:
            out.add(where, f"{len(cells)} columns, expected {columns} (label plus features)")
            continue
        for col, (cell, value) in enumerate(zip(cells, values, strict=True)):
            if not cell.strip():
                out.add(where, f"empty cell in column {col}")
            elif value is None:
                out.add(where, f"column {col} is not a number: {cell.strip()[:30]!r}")
            elif math.isnan(value):
                out.add(where, f"NaN in column {col}")
            else:
                binary_cols[col] = binary_cols.get(col, True) and value in (0.0, 1.0)
                continue
            binary_cols[col] = False
        if values and values[0] is not None and not math.isnan(values[0]):
            msg = _label_problem(values[0], labels)
            if msg:
                other = [c for c, ok in sorted(binary_cols.items()) if ok and c != 0]
                hint = f" (column {other[-1]} looks like the label)" if other else ""
                out.add(where, msg + hint)
    return rows, columns, out.problems


def check_libsvm(text: str, name: str, labels=None, n_features: int | None = None,
                 problems: _Collector | None = None) -> tuple[int, list[str]]:
    """Check one libsvm object (0-based indices); returns ``(rows, problems)``."""
    out = problems or _Collector(name)
    rows = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if out.full:
            break
        where = f"{name} line {number}"
        tokens = line.split()
        if not tokens:
            out.add(where, "empty line")
            continue
        rows += 1
        label = _number(tokens[0])
        if label is None or ":" in tokens[0]:
            out.add(where, f"first token {tokens[0][:30]!r} is not a label: a libsvm line "
                           "starts with the label")
        elif math.isnan(label):
            out.add(where, "NaN label")
        else:
            msg = _label_problem(label, labels)
            if msg:
                out.add(where, msg)
        last = -1
        for token in tokens[1:]:
            index, sep, value = token.partition(":")
            number_value = _number(value) if sep else None
            if not sep or not index.isdigit() or number_value is None:
                out.add(where, f"{token[:30]!r} is not index:value")
                break
            if math.isnan(number_value):
                out.add(where, f"NaN value for feature {index}")
                break
            if int(index) <= last:
                out.add(where, f"feature index {index} is not increasing")
                break
            if n_features is not None and int(index) >= n_features:
                out.add(where, f"feature index {index} >= n_features {n_features}")
                break
            last = int(index)
    return rows, out.problems


def check_parquet(data: bytes, name: str, labels=None, n_columns: int | None = None,
                  problems: _Collector | None = None) -> tuple[int, int, list[str]]:
    """Check one Parquet object; returns ``(rows, columns, problems)``."""
    import numpy as np
    import pyarrow.parquet as pq

    out = problems or _Collector(name)
    table = pq.read_table(io.BytesIO(data))
    if n_columns is not None and table.num_columns != n_columns:
        out.add(name, f"{table.num_columns} columns, expected {n_columns} (label plus features)")
    for col, column in enumerate(table.columns):
        values = column.to_numpy(zero_copy_only=False)
        try:
            values = values.astype("float64")
        except (TypeError, ValueError):
            out.add(f"{name} column {col} ({table.column_names[col]!r})", "is not numeric")
            continue
        for row in np.flatnonzero(np.isnan(values))[:3]:
            out.add(f"{name} row {row + 1}", f"null or NaN in column {col} "
                                             f"({table.column_names[col]!r})")
        if col == 0 and labels is not None:
            for row in np.flatnonzero(~np.isin(values, list(labels)) & ~np.isnan(values))[:3]:
                out.add(f"{name} row {row + 1}", f"{_label_problem(values[row], labels)}"
                        f" (column 0 is {table.column_names[0]!r})")
    return table.num_rows, table.num_columns, out.problems


def check_channel(s3_uri: str, content_type: str, n_features: int | None = None,
                  labels=(0, 1), client=None) -> ChannelReport:
    """Read every object under ``s3_uri`` and check it is ``content_type`` for built-in XGBoost.

    Taught in notebooks/05_sagemaker_handoff.ipynb and labs/05_sagemaker_artifacts.

    Parameters
    ----------
    s3_uri : str
        ``s3://bucket/prefix/`` of one channel.
    content_type : str
        ``text/csv``, ``text/libsvm`` or ``application/x-parquet``.
    n_features : int, optional
        Features the model expects (the label comes on top).
    labels : collection of numbers, optional
        Allowed label values (``None``: any number, e.g. regression).

    Raises
    ------
    ChannelFormatError
        Listing each problem with the object URI and line or row (at most 20).
    """
    from emrlab.aws import client as make_client

    fmt = check_content_type(content_type)
    if not s3_uri.startswith("s3://") or "/" not in s3_uri[5:]:
        raise ChannelFormatError(f"s3_uri={s3_uri!r} is not s3://bucket/prefix/")
    bucket, prefix = s3_uri[5:].split("/", 1)
    s3 = client or make_client("s3")
    labels = None if labels is None else {float(v) for v in labels}
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix) for o in page.get("Contents", [])
        if not o["Key"].endswith("/")]
    if not keys:
        raise ChannelFormatError(f"{s3_uri}: no objects; write the channel first")
    report = ChannelReport(s3_uri, content_type, keys)
    n_columns = None if n_features is None else n_features + 1
    for key in keys:
        name = f"s3://{bucket}/{key}"
        collector = _Collector(name)
        obj = s3.get_object(Bucket=bucket, Key=key)
        stored = obj.get("ContentType", "")
        if stored.split(";")[0].strip() != content_type:
            collector.add(name, f"ContentType is {stored!r}, expected {content_type!r}")
        body = obj["Body"].read()
        if fmt == "csv":
            rows, n_columns, _ = check_csv(body.decode("utf-8", "replace"), name, labels,
                                           n_columns, collector)
        elif fmt == "libsvm":
            rows, _ = check_libsvm(body.decode("utf-8", "replace"), name, labels, n_features,
                                   collector)
        else:
            rows, cols, _ = check_parquet(body, name, labels, n_columns, collector)
            n_columns = n_columns or cols
        report.rows += rows
        if collector.problems:
            raise ChannelFormatError(
                f"{s3_uri} is not valid {content_type} for built-in XGBoost:\n  - "
                + "\n  - ".join(collector.problems), collector.problems)
    report.columns = n_columns
    return report
