"""A real spark-submit step on the local EMR (one, since each costs ~10-20 s)."""

from __future__ import annotations

import json

import boto3
import pytest

from emrlab.emr import lifecycle, steps as emrsteps
from tests.localemr_helpers import request


@pytest.mark.spark
def test_spark_step_reads_s3_input_and_writes_s3_output(settings):
    b = settings.bucket
    s3 = boto3.client("s3")
    s3.put_object(Bucket=b, Key="raw/orders.csv",
                  Body=b"category,amount\nbooks,10.5\ntoys,3\nbooks,1.5\n")
    staged = emrsteps.stage(emrsteps.bundled_script("provisioning_demo.py"), f"s3://{b}/code/",
                            include_package=True)
    step = emrsteps.spark_step("revenue", staged.script_uri,
                               [f"s3://{b}/raw/orders.csv", f"s3://{b}/curated/revenue/"],
                               py_files=staged.py_files, conf={"spark.executor.memory": "4g"})
    summary = lifecycle.run_transient(request(LogUri=f"s3://{b}/logs/"), [step])
    assert summary.ok, str(summary)
    assert summary.state == "TERMINATED"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=b, Prefix="curated/revenue/")["Contents"]]
    part = next(k for k in keys if k.endswith(".json"))
    rows = [json.loads(line) for line in
            s3.get_object(Bucket=b, Key=part)["Body"].read().decode().splitlines()]
    assert sorted((r["category"], r["orders"], r["revenue"]) for r in rows) == [
        ("books", 2, 12.0), ("toys", 1, 3.0)]
    step_logs = summary.steps[0].logs
    assert step_logs == f"s3://{b}/logs/{summary.cluster_id}/steps/{summary.steps[0].step_id}/"
    s3.head_object(Bucket=b, Key=step_logs.split(f"s3://{b}/", 1)[1] + "stdout.gz")
