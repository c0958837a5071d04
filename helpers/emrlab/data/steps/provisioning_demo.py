"""A tiny Spark step for notebooks/01_emr_provisioning.ipynb: revenue per category.

Usage: spark-submit provisioning_demo.py INPUT_CSV OUTPUT_DIR [--fail]
Reads a CSV with columns category,amount and writes one JSON line per category.
``--fail`` raises on purpose (to watch a FAILED step and its FailureDetails).
"""

import sys

from pyspark.sql import SparkSession, functions as F


def main(argv):
    if len(argv) < 2:
        raise SystemExit("usage: provisioning_demo.py INPUT_CSV OUTPUT_DIR [--fail]")
    if "--fail" in argv:
        raise RuntimeError("failing on purpose (--fail)")
    spark = SparkSession.builder.appName("emrlab-provisioning-demo").getOrCreate()
    orders = spark.read.csv(argv[0], header=True, schema="category STRING, amount DOUBLE")
    revenue = orders.groupBy("category").agg(F.count("*").alias("orders"),
                                             F.round(F.sum("amount"), 2).alias("revenue"))
    revenue.coalesce(1).write.mode("overwrite").json(argv[1])
    print(f"categories={revenue.count()} orders={orders.count()}")
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
