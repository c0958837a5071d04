"""The clickstream ETL: raw JSON lines to quarantine and a partitioned Parquet lake, with a ledger.

Taught in notebooks/02_spark_etl.ipynb (and run as an EMR step by
``emrlab/etl/jobs/clickstream_etl.py``; the lab labs/02_etl_quarantine rebuilds two of its parts).

:func:`run` reads ``raw/date=YYYY-MM-DD/*.json[.gz]`` and writes, all partitioned by ``date``:

* ``quarantine/``: every invalid row with ``reason``, the raw ``line`` and ``source_file``
  (reasons: see :data:`emrlab.etl.rules.REASONS`); nothing is dropped silently;
* ``curated/events/``: valid, de-duplicated events with their ``session_id``
  (columns :data:`emrlab.etl.sessions.EVENT_COLUMNS`);
* ``curated/sessions/``: the training set, one row per session;
* a ledger JSON (:class:`emrlab.etl.ledger.Ledger`) that must balance.

Outputs use dynamic partition overwrite (a re-run replaces the days it read and nothing else)
and are repartitioned by date before the write, so each day gets ``files_per_date`` files.

Training-set columns (``curated/sessions``; see :mod:`emrlab.etl.sessions`)
--------------------------------------------------------------------------
========================  ===================================================================
``session_id`` (str)      ``<user_id>-<n>``: the user's n-th session in the data
``user_id`` (str)         for leakage-free splits: keep a user's sessions on one side
``date`` (date)           the day the session started (the partition column)
``session_start`` (ts)    first event, UTC
``n_events``              events before the first purchase (all events when none)
``n_views``, ``n_searches``, ``n_carts``, ``n_removes``   those events by type
``distinct_products``     distinct products seen before the first purchase
``cart_value`` (double)   price x quantity added to the cart before the first purchase
``dwell_s`` (double)      seconds from the first event to the last pre-purchase event
``start_hour``, ``day_of_week``   of ``session_start`` (UTC; Sunday = 1)
``device``, ``country``   of the first event
``user_prev_sessions``    the user's earlier sessions in the data
``user_prev_purchases``   how many of those ended with a purchase
``recency_s`` (double)    seconds since the user's previous session ended (-1: none)
``label`` (int)           1 when the session contains a purchase, else 0
========================  ===================================================================
No feature counts purchases or revenue, and none looks past the first purchase, so the label
does not leak into the features.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import uuid

from pyspark.sql import SparkSession, functions as F

from emrlab.etl import files, rules as etl_rules, sessions as etl_sessions
from emrlab.etl.ledger import Ledger
from emrlab.params import Param, validate

CODECS = ("snappy", "gzip", "zstd", "none")


def check_args(codec: str, files_per_date: int, max_line_chars: int, gap_minutes: float,
               **paths) -> None:
    """Refuse bad :func:`run` arguments before any work (``ParameterError`` naming each)."""
    validate(
        dict(codec=codec, files_per_date=files_per_date, max_line_chars=max_line_chars,
             gap_minutes=gap_minutes, **{k: str(v) if v is not None else "" for k, v in paths.items()}),
        codec=Param(str, choices=CODECS),
        files_per_date=Param(int, min=1, max=256),
        max_line_chars=Param(int, min=1_000, max=100_000_000),
        gap_minutes=Param(float, min=0.001, max=24 * 60),
        **{k: Param(str, min=1) for k in paths},
    )


def _write(df, uri: str, codec: str, files_per_date: int) -> None:
    salt = F.abs(F.hash(*df.columns[:1])) % files_per_date
    parts = df.repartition(files_per_date * 4, "date", salt) if files_per_date > 1 else (
        df.repartition("date"))
    # A task holds rows of one or two days: one open writer per day spares sorting every row
    # by date first (which Spark's planned writes would add).
    with _conf(df.sparkSession, **{"spark.sql.optimizer.plannedWrite.enabled": "false",
                                   "spark.sql.maxConcurrentOutputFileWriters": "8"}):
        (parts.write.mode("overwrite").partitionBy("date")
         .option("compression", "none" if codec == "none" else codec).parquet(uri))


@contextlib.contextmanager
def _conf(spark, **settings: str):
    """Set Spark SQL settings for a block, then put back what was there."""
    before = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def _clear_partitions(spark, uri: str, dates: list[str]) -> None:
    """Delete ``uri/date=D`` for the days this run rewrites, so no stale rows survive a re-run."""
    for day in dates:
        files.delete(spark, f"{uri}/date={day}")


def _hold(df):
    """Keep ``df`` computed for the next actions (it is read two or three times).

    Local Spark keeps it as plain rows (``localCheckpoint``): at 10 million events on two
    cores, encoding the columnar cache took about as long as parsing the JSON. A cluster uses
    the cache, whose blocks are recomputed when an executor goes away; a local checkpoint's
    blocks would be lost.
    """
    if df.sparkSession.sparkContext.master.startswith("local"):
        return df.localCheckpoint(eager=True)
    return df.cache()


def _release(df) -> None:
    """Free what :func:`_hold` kept."""
    if df.is_cached:
        df.unpersist()
        return
    plan = df._jdf.queryExecution().logical()
    if plan.getClass().getSimpleName() == "LogicalRDD":  # a local checkpoint's rows
        plan.rdd().unpersist(False)


def _missing_dates(dates: list[str]) -> list[str]:
    if not dates:
        return []
    first, last = dt.date.fromisoformat(dates[0]), dt.date.fromisoformat(dates[-1])
    every = {(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)}
    return sorted(every - set(dates))


def run(spark: SparkSession, raw: str, curated: str, quarantine: str, codec: str = "snappy", *,
        ledger: str | None = None, files_per_date: int = 1, gap_minutes: float = 30,
        max_line_chars: int = etl_rules.MAX_LINE_CHARS, run_id: str | None = None) -> Ledger:
    """Run the whole ETL and return its checked ledger.

    Taught in notebooks/02_spark_etl.ipynb.

    Parameters
    ----------
    spark : SparkSession
    raw : str
        Folder (or ``s3://`` URI) holding ``date=YYYY-MM-DD`` folders of JSON lines.
    curated, quarantine : str
        Output roots; ``curated/events`` and ``curated/sessions`` are written.
    codec : str
        Parquet compression: ``snappy``, ``gzip``, ``zstd`` or ``none``.
    ledger : str, optional
        Folder for the ledger JSON; default ``<curated>/_ledger``.
    files_per_date : int
        Parquet files per day and output (1 to 256).
    gap_minutes : float
        Inactivity that ends a session (strictly greater than this).
    max_line_chars : int
        Longer lines are quarantined as ``oversized_line``.

    Raises
    ------
    ParameterError
        A bad argument (before any work).
    EtlInputError
        ``raw`` is missing or not laid out by date.
    LedgerMismatch
        The row accounting does not balance.
    """
    check_args(codec, files_per_date, max_line_chars, gap_minutes,
               raw=raw, curated=curated, quarantine=quarantine)
    started = time.perf_counter()
    raw, curated, quarantine = (str(p).rstrip("/") for p in (raw, curated, quarantine))
    ledger_dir = str(ledger).rstrip("/") if ledger else f"{curated}/_ledger"
    run_id = run_id or dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    book = Ledger(run_id, raw, curated, quarantine, codec)

    classified = _hold(etl_rules.classify(etl_rules.read_lines(spark, raw), max_line_chars))
    counts = classified.groupBy("reason", "date").count().collect()
    by_reason: dict = {}
    for r in counts:
        by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + r["count"]
    book.blank_lines = by_reason.pop(etl_rules.BLANK, 0)
    book.rows_read = sum(by_reason.values())
    book.dates = sorted({str(r["date"]) for r in counts})
    book.missing_dates = _missing_dates(book.dates)

    for uri in (quarantine, f"{curated}/events", f"{curated}/sessions"):
        _clear_partitions(spark, uri, book.dates)
    n_bad, n_valid = sum(v for k, v in by_reason.items() if k), by_reason.get(None, 0)
    bad = classified.filter(F.col("reason").isNotNull() & (F.col("reason") != etl_rules.BLANK))
    if n_bad:
        _write(bad.select("reason", "line", "source_file", "date"), quarantine, codec, files_per_date)

    valid = classified.filter(F.col("reason").isNull()).drop("reason", "line", "source_file")
    sessionised = _hold(etl_sessions.sessionise(etl_sessions.deduplicate(valid), gap_minutes))
    _release(classified)
    _write(sessionised.select(*etl_sessions.EVENT_COLUMNS), f"{curated}/events", codec, files_per_date)
    book.duplicates_removed = int(
        sessionised.agg(F.sum(F.col("n_copies") - 1)).first()[0] or 0)
    _write(etl_sessions.session_features(sessionised), f"{curated}/sessions", codec, files_per_date)
    _release(sessionised)

    # Read back what was written, so the ledger checks the outputs, not the plan.
    def written(uri):
        return spark.read.parquet(uri).filter(F.col("date").cast("string").isin(book.dates))

    if n_valid:
        book.rows_curated = written(f"{curated}/events").count()
        s = written(f"{curated}/sessions").agg(F.count(F.lit(1)), F.sum("label")).first()
        book.sessions, book.sessions_with_purchase = int(s[0]), int(s[1] or 0)
    if n_bad:
        q = written(quarantine).groupBy("reason").count().collect()
        book.quarantined = {r["reason"]: r["count"] for r in q}
    book.quarantined = dict(sorted(book.quarantined.items()))
    book.files = {name: files.count_files(spark, uri) for name, uri in (
        ("events", f"{curated}/events"), ("sessions", f"{curated}/sessions"),
        ("quarantine", quarantine))}
    book.seconds = round(time.perf_counter() - started, 2)
    try:
        book.check()
    finally:
        book.save(ledger_dir)
    return book


TRAINING_VERSION = 1


def ensure_training_set(spark: SparkSession | None = None, n_events: int = 20000, seed: int = 0) -> str:
    """The curated training set's path (or ``s3://`` URI), built from scratch when missing.

    Taught in notebooks/02_spark_etl.ipynb; used by notebooks 03-05 so that each runs on its
    own. Each ``(n_events, seed)`` gets its own ``clickstream-n<N>-s<seed>`` folder in the lake's
    ``raw``, ``quarantine``, ``curated`` and ``ledger`` zones, built once (under a lock) and
    then reused. Columns: see
    this module's docstring.

    Raises
    ------
    ConfigError
        AWS mode outside an EMR cluster (local Spark here has no S3 connector).
    """
    import json

    from emrlab import config, spark as spark_mod
    from emrlab.etl import datagen
    from emrlab.etl.lake import Lake
    from emrlab.exceptions import ConfigError

    validate(dict(n_events=n_events, seed=seed),
             n_events=Param(int, min=1_000, max=100_000_000), seed=Param(int, min=0, max=2**31 - 1))
    settings = config.current()
    if not settings.is_local and not spark_mod.on_emr():
        raise ConfigError("ensure_training_set in AWS mode needs Spark on an EMR cluster "
                          "(EMRFS reads s3://); run the notebook on EMR or use mode='local'")
    lake = Lake(settings)
    # One folder per (n_events, seed): notebooks running in parallel with different sizes never
    # delete the files another one is reading.
    name = f"clickstream-n{n_events}-s{seed}"
    sessions = lake.uri("curated", name, "sessions")
    wanted = {"n_events": n_events, "seed": seed, "version": TRAINING_VERSION}
    marker = lake.path("ledger", name, "training_set.json")
    with lake.lock(name):  # parallel notebooks share the lake: build it once
        if settings.is_local and marker.exists() and json.loads(marker.read_text()) == wanted:
            return sessions
        spark = spark or spark_mod.session()
        raw_local = lake.path("raw", name)
        for zone in ("raw", "quarantine", "curated", "ledger"):
            lake.clear(zone, name)
        datagen.generate(raw_local, n_events, seed=seed)
        if not settings.is_local:
            lake.upload(raw_local, "raw", name)
        run(spark, lake.uri("raw", name), lake.uri("curated", name),
            lake.uri("quarantine", name), ledger=lake.uri("ledger", name))
        marker = lake.path("ledger", name, "training_set.json")
        marker.write_text(json.dumps(wanted))  # written last: a complete build
    return sessions
