"""The whole ETL on generated dirty data: ledger vs manifest, layout, re-runs, the EMR step."""

import json
from pathlib import Path

import pytest

from emrlab.etl import Ledger, datagen, job as etl
from emrlab.exceptions import EtlInputError, LedgerMismatch, ParameterError

pytestmark = pytest.mark.spark
ODD = ["bom", "crlf", "invalid_utf8", "huge_line"]


@pytest.fixture(scope="module")
def spark():
    import emrlab

    return emrlab.spark.session()


@pytest.fixture(scope="module")
def first_run(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("etl")
    man = datagen.generate(root / "raw", 4000, seed=5, fault_rate=0.06, oddities=ODD)
    out = {k: str(root / k) for k in ("raw", "curated", "quarantine", "ledger")}
    ledger = etl.run(spark, out["raw"], out["curated"], out["quarantine"], ledger=out["ledger"],
                     run_id="first")
    return man, ledger, out, root


def test_ledger_matches_the_manifest(first_run):
    man, ledger, out, _ = first_run
    assert ledger.balanced and ledger.difference() == 0
    assert ledger.rows_read == man.expected["rows_read"]
    assert ledger.quarantined == man.expected["quarantined"]
    assert ledger.duplicates_removed == man.expected["duplicates_removed"]
    assert ledger.rows_curated == man.expected["rows_curated"]
    assert ledger.dates == man.dates and ledger.missing_dates == []
    saved = json.loads((Path(out["ledger"]) / "first.json").read_text())
    assert saved["rows_curated"] == ledger.rows_curated
    assert Ledger.load(out["ledger"]).quarantined == ledger.quarantined
    assert 0 < ledger.sessions_with_purchase < ledger.sessions < ledger.rows_curated


def test_layout_is_partitioned_by_date_with_one_file_per_day(first_run, spark):
    man, ledger, out, _ = first_run
    for sub in ("curated/events", "curated/sessions", "quarantine"):
        root = Path(out[sub.split("/")[0]]) / (sub.split("/")[1] if "/" in sub else "")
        days = sorted(p.name for p in root.glob("date=*"))
        assert days == [f"date={d}" for d in man.dates], sub
        for day in root.glob("date=*"):
            assert len(list(day.glob("*.parquet"))) == 1, day
    assert ledger.files == {"events": 3, "sessions": 3, "quarantine": 3}
    events = spark.read.parquet(out["curated"] + "/events")
    assert events.columns[-1] == "date" and "session_id" in events.columns
    assert events.select("event_id").distinct().count() == ledger.rows_curated
    sessions = spark.read.parquet(out["curated"] + "/sessions")
    assert {"label", "user_id", "date", "n_carts"} <= set(sessions.columns)
    assert not {"n_purchases", "revenue"} & set(sessions.columns)
    kept = {r["query"] for r in events.filter("query is not null").select("query").collect()}
    assert set(datagen.NON_ASCII_QUERIES) & kept
    q = spark.read.parquet(out["quarantine"])
    huge = q.filter("reason = 'oversized_line'").first()
    assert len(huge["line"]) > datagen.HUGE_LINE_CHARS and huge["source_file"]


def test_rerun_is_idempotent_and_codec_is_a_parameter(first_run, spark):
    man, ledger, out, _ = first_run
    before = spark.read.parquet(out["curated"] + "/sessions").orderBy("session_id").collect()
    held = spark.sparkContext._jsc.getPersistentRDDs().size()
    spark.conf.set("spark.sql.maxConcurrentOutputFileWriters", "3")
    again = etl.run(spark, out["raw"], out["curated"], out["quarantine"], "zstd",
                    ledger=out["ledger"], run_id="again")
    # the run frees the rows it held and puts back the write settings it changed
    assert spark.sparkContext._jsc.getPersistentRDDs().size() == held
    assert spark.conf.get("spark.sql.maxConcurrentOutputFileWriters") == "3"
    assert spark.conf.get("spark.sql.optimizer.plannedWrite.enabled") == "true"
    spark.conf.unset("spark.sql.maxConcurrentOutputFileWriters")
    assert (again.rows_curated, again.quarantined, again.files) == (
        ledger.rows_curated, ledger.quarantined, ledger.files)
    after = spark.read.parquet(out["curated"] + "/sessions").orderBy("session_id").collect()
    assert after == before
    some = next(Path(out["curated"], "events").glob("date=*/*.parquet"))
    assert ".zstd." in some.name


def test_missing_day_gzip_and_empty_input(spark, tmp_path):
    man = datagen.generate(tmp_path / "raw", 900, seed=9, days=3, gzip=True, fault_rate=0.05,
                           oddities=["missing_day"])
    led = etl.run(spark, str(tmp_path / "raw"), str(tmp_path / "cur"), str(tmp_path / "q"),
                  "gzip", files_per_date=2)
    assert led.missing_dates == ["2026-11-02"] and led.dates == man.dates
    assert led.rows_curated == man.expected["rows_curated"]
    assert 1 <= len(list((tmp_path / "cur" / "events" / "date=2026-11-01").glob("*.parquet"))) <= 2
    with pytest.raises(EtlInputError, match="raw="):
        etl.run(spark, str(tmp_path / "nowhere"), str(tmp_path / "c2"), str(tmp_path / "q2"))
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "x.json").write_text('{"a": 1}\n')
    with pytest.raises(EtlInputError, match="date="):
        etl.run(spark, str(flat), str(tmp_path / "c3"), str(tmp_path / "q3"))


@pytest.mark.parametrize("kwargs, word", [
    (dict(codec="lz4"), "codec"), (dict(files_per_date=0), "files_per_date"),
    (dict(gap_minutes="30"), "gap_minutes"), (dict(max_line_chars=10), "max_line_chars"),
])
def test_bad_arguments_are_refused_before_work(kwargs, word):
    with pytest.raises(ParameterError, match=word):
        etl.run(None, "raw", "cur", "q", **kwargs)


def test_an_unbalanced_ledger_fails_loudly():
    book = Ledger("r", "raw", "cur", "q", "snappy", rows_read=10, rows_curated=7,
                  quarantined={"malformed_json": 1}, duplicates_removed=1)
    with pytest.raises(LedgerMismatch, match=r"\+1 row"):
        book.check()
    assert not book.balanced
