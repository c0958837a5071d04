"""Small live measurements behind notebook 02's lessons: formats, codecs, pruning, small files.

Taught in notebooks/02_spark_etl.ipynb. Each function runs a few Spark jobs on data the
notebook just produced and returns a pandas DataFrame or a dict, so the notebook cell stays one
line. Timings are single wall-clock runs on a shared machine: compare within a table, not
across machines.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame, SparkSession, functions as F

from emrlab.etl.files import count_files, size_bytes


def _timed(fn: Callable[..., object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return round(time.perf_counter() - start, 3), out


def format_comparison(spark: SparkSession, df: DataFrame, scratch: str,
                      columns: Sequence[str] = ("user_id", "price")) -> pd.DataFrame:
    """Write ``df`` as JSON, CSV and Parquet; size and the time to scan a column subset.

    Taught in notebooks/02_spark_etl.ipynb. Text formats are read back with the explicit
    schema (no inference), so the difference is the format itself: Parquet reads only the
    columns asked for.
    """
    rows = []
    flat = df.select([c for c in df.columns if c != "date"]).coalesce(2)
    for fmt in ("json", "csv", "parquet"):
        uri = f"{scratch.rstrip('/')}/format_{fmt}"
        writer = flat.write.mode("overwrite")
        write_s, _ = _timed(lambda w=writer, u=uri, f=fmt: getattr(w.option("header", True)
                                                                     if f == "csv" else w, f)(u))
        reader = spark.read.schema(flat.schema)
        if fmt == "csv":
            reader = reader.option("header", True)
        frame = getattr(reader, fmt)(uri)
        scan_s, _ = _timed(lambda fr=frame: fr.select(*columns).agg(
            *[F.count(c) for c in columns]).collect())
        rows.append({"format": fmt, "size_mb": round(size_bytes(spark, uri) / 1e6, 3),
                     "write_s": write_s, f"scan_{'+'.join(columns)}_s": scan_s})
    return pd.DataFrame(rows)


def codec_comparison(spark: SparkSession, df: DataFrame, scratch: str,
                     codecs: Sequence[str] = ("none", "snappy", "gzip", "zstd")) -> pd.DataFrame:
    """Parquet size, write time and full-scan time per compression codec.

    Taught in notebooks/02_spark_etl.ipynb.
    """
    rows = []
    data = df.coalesce(2)
    for codec in codecs:
        uri = f"{scratch.rstrip('/')}/codec_{codec}"
        write_s, _ = _timed(lambda c=codec, u=uri: data.write.mode("overwrite")
                            .option("compression", c).parquet(u))
        read_s, _ = _timed(lambda u=uri: spark.read.parquet(u).agg(
            F.sum(F.hash(*df.columns))).collect())
        rows.append({"codec": codec, "size_mb": round(size_bytes(spark, uri) / 1e6, 3),
                     "write_s": write_s, "scan_s": read_s})
    out = pd.DataFrame(rows)
    out["ratio_vs_none"] = (out["size_mb"] / out.loc[out.codec == "none", "size_mb"].iloc[0]).round(3)
    return out


def partition_pruning(spark: SparkSession, uri: str, day: str) -> dict[str, Any]:
    """Filter a date-partitioned dataset on one day: the plan's PartitionFilters and bytes skipped.

    Taught in notebooks/02_spark_etl.ipynb.
    """
    df = spark.read.parquet(uri).filter(F.col("date") == F.lit(day).cast("date"))
    plan = df._jdf.queryExecution().executedPlan().toString()
    found = re.search(r"PartitionFilters: \[([^\]]*)\]", plan)
    filters = re.sub(r"#\d+", "", found.group(1)) if found else ""
    seconds, rows = _timed(df.count)
    total = size_bytes(spark, uri)
    read = size_bytes(spark, f"{uri.rstrip('/')}/date={day}")
    return {"partition_filters": filters, "rows": rows, "bytes_total": total,
            "bytes_read": read, "bytes_skipped": total - read,
            "skipped_share": round(1 - read / total, 3) if total else 0.0, "seconds": seconds}


def small_files(spark: SparkSession, df: DataFrame, scratch: str, many: int = 64) -> pd.DataFrame:
    """The small-files problem: ``many`` tasks per day vs. repartition by date vs. coalesce.

    Taught in notebooks/02_spark_etl.ipynb. Each variant is written partitioned by date; the
    table shows files written and the time to read everything back.
    """
    variants = {
        f"repartition({many})": df.repartition(many),
        "coalesce(1)": df.coalesce(1),
        "repartition('date')": df.repartition("date"),
    }
    rows = []
    for name, frame in variants.items():
        uri = f"{scratch.rstrip('/')}/files_{re.sub(r'[^a-z0-9]+', '_', name)}"
        write_s, _ = _timed(lambda f=frame, u=uri: f.write.mode("overwrite")
                            .partitionBy("date").parquet(u))
        read_s, _ = _timed(lambda u=uri: spark.read.parquet(u).agg(F.count("*")).collect())
        rows.append({"variant": name, "files": count_files(spark, uri), "write_s": write_s,
                     "read_s": read_s, "size_mb": round(size_bytes(spark, uri) / 1e6, 3)})
    return pd.DataFrame(rows)


def caching(spark: SparkSession, df: DataFrame) -> pd.DataFrame:
    """Two aggregations on the same DataFrame, uncached then cached (the first cached one pays).

    Taught in notebooks/02_spark_etl.ipynb.
    """
    def queries() -> None:
        df.groupBy("event_type").count().collect()
        df.groupBy("country").agg(F.avg("price")).collect()

    rows = [{"variant": "no cache", "seconds": _timed(queries)[0]}]
    df.cache()
    rows.append({"variant": "cache, first pass (fills it)", "seconds": _timed(queries)[0]})
    rows.append({"variant": "cache, second pass", "seconds": _timed(queries)[0]})
    df.unpersist()
    return pd.DataFrame(rows)
