"""The clickstream ETL as a ``spark-submit`` application: the EMR step of notebooks/02_spark_etl.

Taught in notebooks/02_spark_etl.ipynb. It calls the same :func:`emrlab.etl.job.run` that the
notebook calls, so a step and an in-notebook run write identical curated data::

    spark-submit clickstream_etl.py --raw s3://BUCKET/raw/clickstream \\
        --curated s3://BUCKET/curated/clickstream --quarantine s3://BUCKET/quarantine/clickstream \\
        --ledger s3://BUCKET/ledger/clickstream --codec snappy

On Amazon EMR, Spark resolves the ``s3://`` paths through EMRFS, and the emrlab package must
reach the cluster (``--py-files emrlab.zip`` or a bootstrap action that pip-installs it). In
local mode the local EMR (:mod:`emrlab.local.emr_command`) maps each ``s3://`` argument to the
local lake folder before it starts the step. Exit status: 0 on success, 2 when the input is
unusable or the ledger does not balance (the step then ends FAILED).
"""

from __future__ import annotations

import argparse
import sys


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The step's command line."""
    from emrlab.etl.job import CODECS

    p = argparse.ArgumentParser(prog="clickstream_etl.py", description=__doc__.splitlines()[0])
    p.add_argument("--raw", required=True, help="folder or s3:// URI with date=YYYY-MM-DD folders")
    p.add_argument("--curated", required=True, help="output root for events/ and sessions/")
    p.add_argument("--quarantine", required=True, help="output root for invalid rows")
    p.add_argument("--ledger", default=None, help="folder for the ledger JSON")
    p.add_argument("--codec", default="snappy", choices=CODECS, help="Parquet compression")
    p.add_argument("--files-per-date", type=int, default=1, help="Parquet files per day")
    p.add_argument("--gap-minutes", type=float, default=30.0, help="session inactivity gap")
    p.add_argument("--run-id", default=None, help="ledger file name (default: time-based)")
    p.add_argument("--shuffle-partitions", type=int, default=0,
                   help="spark.sql.shuffle.partitions (0: keep the cluster's setting)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the ETL once; print the ledger; return the exit status."""
    from pyspark.sql import SparkSession

    from emrlab.etl import job as etl
    from emrlab.exceptions import EmrlabError

    args = parse_args(argv)
    builder = SparkSession.builder.appName("clickstream-etl")
    builder = builder.config("spark.sql.session.timeZone", "UTC")
    if args.shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(args.shuffle_partitions))
    spark = builder.getOrCreate()
    try:
        ledger = etl.run(spark, args.raw, args.curated, args.quarantine, args.codec,
                         ledger=args.ledger, files_per_date=args.files_per_date,
                         gap_minutes=args.gap_minutes, run_id=args.run_id)
    except EmrlabError as exc:
        print(f"clickstream_etl: error: {exc}", file=sys.stderr)
        return 2
    finally:
        spark.stop()
    print(ledger.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
