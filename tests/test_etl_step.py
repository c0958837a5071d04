"""The ETL as an EMR step on the local EMR writes exactly what the in-process run writes."""

import pytest

from emrlab.emr import lifecycle, steps as emrsteps
from emrlab.etl import Lake, Ledger, datagen, job as etl
from emrlab.etl.jobs import clickstream_etl
from tests.localemr_helpers import request

SCRIPT = clickstream_etl.__file__


@pytest.mark.spark
@pytest.mark.slow
def test_step_and_notebook_runs_write_identical_data(settings):
    import emrlab

    lake, b = Lake(settings), settings.bucket
    man = datagen.generate(lake.path("raw", "clickstream"), 3000, seed=4, fault_rate=0.05)
    staged = emrsteps.stage(SCRIPT, f"s3://{b}/code/", include_package=True)
    args = ["--raw", lake.s3_uri("raw", "clickstream"),
            "--curated", lake.s3_uri("curated", "step"),
            "--quarantine", lake.s3_uri("quarantine", "step"),
            "--ledger", lake.s3_uri("ledger", "step"), "--run-id", "step"]
    step = emrsteps.spark_step("clickstream-etl", staged.script_uri, args, py_files=staged.py_files)
    summary = lifecycle.run_transient(request(), [step])
    assert summary.ok, str(summary)

    spark = emrlab.spark.session()
    here = etl.run(spark, lake.uri("raw", "clickstream"), lake.uri("curated", "nb"),
                   lake.uri("quarantine", "nb"), ledger=lake.uri("ledger", "nb"), run_id="nb")
    stepped = Ledger.load(str(lake.path("ledger", "step")))
    assert stepped.rows_curated == here.rows_curated == man.expected["rows_curated"]
    assert stepped.quarantined == here.quarantined and stepped.files == here.files
    for sub in ("events", "sessions"):
        a = spark.read.parquet(lake.uri("curated", "step", sub))
        c = spark.read.parquet(lake.uri("curated", "nb", sub))
        assert a.schema == c.schema
        assert a.exceptAll(c).count() == 0 and c.exceptAll(a).count() == 0
