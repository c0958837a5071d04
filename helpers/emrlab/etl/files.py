"""Data files under a URI, read through Hadoop's file system API: a local folder or ``s3://``.

Taught in notebooks/02_spark_etl.ipynb. The same calls work on a cluster (S3 through its
connector, HDFS) and locally, because Spark resolves the file system from the URI's scheme.
Markers that Spark and Hadoop write beside the data (``_SUCCESS``, ``.crc``) are not counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _file_system(spark, uri: str):
    path = spark._jvm.org.apache.hadoop.fs.Path(uri)
    return path, path.getFileSystem(spark._jsc.hadoopConfiguration())


def data_file_sizes(spark: SparkSession, uri: str) -> Iterator[int]:
    """The size in bytes of each data file under ``uri`` (recursive); nothing when it is absent."""
    path, fs = _file_system(spark, uri)
    if not fs.exists(path):
        return
    it = fs.listFiles(path, True)
    while it.hasNext():
        status = it.next()
        if not status.getPath().getName().startswith(("_", ".")):
            yield status.getLen()


def count_files(spark: SparkSession, uri: str) -> int:
    """Data files under ``uri`` (``_SUCCESS`` and ``.crc`` files excluded)."""
    return sum(1 for _ in data_file_sizes(spark, uri))


def size_bytes(spark: SparkSession, uri: str) -> int:
    """Bytes of the data files under ``uri``."""
    return sum(data_file_sizes(spark, uri))


def delete(spark: SparkSession, uri: str) -> bool:
    """Delete ``uri`` and everything below it; False when there was nothing to delete."""
    path, fs = _file_system(spark, uri)
    return bool(fs.exists(path) and fs.delete(path, True))
