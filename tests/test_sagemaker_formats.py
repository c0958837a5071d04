"""The SageMaker channel checker: each malformed case is reported with its object and line."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emrlab.exceptions import ChannelFormatError, ParameterError
from emrlab.sagemaker import check_channel

PREFIX = "curated/sagemaker/test-formats"


def _put(settings, name: str, body: bytes, content_type: str) -> str:
    from emrlab import client

    s3 = client("s3")
    prefix = f"{PREFIX}/{name}/"
    s3.put_object(Bucket=settings.bucket, Key=prefix + "part-00000", Body=body,
                  ContentType=content_type)
    return f"s3://{settings.bucket}/{prefix}"


def _problems(uri, content_type, n_features=None, labels=(0, 1)):
    with pytest.raises(ChannelFormatError) as info:
        check_channel(uri, content_type, n_features=n_features, labels=labels)
    return info.value.problems, str(info.value)


def test_valid_csv_passes(settings):
    uri = _put(settings, "ok", b"0,1.5,2\n1,0.25,3\n", "text/csv")
    report = check_channel(uri, "text/csv", n_features=2)
    assert (report.rows, report.columns, len(report.objects)) == (2, 3, 1)


@pytest.mark.parametrize("body, line, words", [
    (b"label,a,b\n0,1,2\n", 1, "header row"),
    (b"0,1,2\n1,2,3\n0.5,1,0\n", 3, "label 0.5 in column 0"),
    (b"0,1,2\n1,nan,3\n", 2, "NaN in column 1"),
    (b"0,1,2\n1,,3\n", 2, "empty cell in column 1"),
    (b"0,1,2\n1,2\n", 2, "2 columns, expected 3"),
    (b"0,1,2\n1,x,3\n", 2, "column 1 is not a number"),
])
def test_malformed_csv_names_file_and_line(settings, body, line, words):
    uri = _put(settings, f"bad{abs(hash(body))}", body, "text/csv")
    problems, message = _problems(uri, "text/csv")
    assert any(f"{uri}part-00000 line {line}:" in p and words in p for p in problems), problems
    assert words in message


def test_label_in_last_column_is_found(settings):
    uri = _put(settings, "label-last", b"2.5,7,0\n3.5,8,1\n", "text/csv")
    problems, _ = _problems(uri, "text/csv", n_features=2)
    assert "line 1:" in problems[0] and "must be the first column" in problems[0]
    assert "column 2 looks like the label" in problems[1]


def test_wrong_column_count_for_the_model(settings):
    uri = _put(settings, "too-few", b"0,1\n1,2\n", "text/csv")
    problems, _ = _problems(uri, "text/csv", n_features=2)
    assert "line 1: 2 columns, expected 3" in problems[0]


def test_wrong_object_content_type(settings):
    uri = _put(settings, "octet", b"0,1,2\n", "binary/octet-stream")
    problems, _ = _problems(uri, "text/csv")
    assert "ContentType is 'binary/octet-stream', expected 'text/csv'" in problems[0]


def test_libsvm_cases(settings):
    ok = _put(settings, "svm-ok", b"1 0:1.5 1:0\n0 0:2 1:3\n", "text/libsvm")
    assert check_channel(ok, "text/libsvm", n_features=2).rows == 2
    bad = _put(settings, "svm-bad",
               b"1 0:1.5 1:0\n0:2 1:3\n2 0:1\n1 1:2 0:1\n1 0:nan\n\n1 0:a\n", "text/libsvm")
    problems, _ = _problems(bad, "text/libsvm", n_features=2)
    expected = {2: "is not a label", 3: "label 2", 4: "not increasing", 5: "NaN value",
                6: "empty line", 7: "is not index:value"}
    for line, words in expected.items():
        assert any(f"line {line}:" in p and words in p for p in problems), (line, problems)


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def test_parquet_cases(settings):
    ok = _put(settings, "pq-ok", _parquet(pa.table({"label": [0, 1], "a": [1.0, 2.0]})),
              "application/x-parquet")
    assert check_channel(ok, "application/x-parquet", n_features=1).rows == 2
    bad = _put(settings, "pq-bad", _parquet(pa.table({"a": [0.3, 2.0], "label": [None, 1.0]})),
               "application/x-parquet")
    problems, _ = _problems(bad, "application/x-parquet", n_features=1)
    assert any("row 1" in p and "label 0.3 in column 0" in p and "'a'" in p for p in problems)
    assert any("row 1" in p and "null or NaN in column 1" in p for p in problems)


def test_empty_prefix_and_bad_arguments(settings):
    with pytest.raises(ChannelFormatError, match="no objects"):
        check_channel(f"s3://{settings.bucket}/nothing-here/", "text/csv")
    with pytest.raises(ParameterError, match="content_type='text/json'"):
        check_channel(f"s3://{settings.bucket}/x/", "text/json")
    with pytest.raises(ChannelFormatError, match="not s3://bucket/prefix"):
        check_channel("/local/folder", "text/csv")
