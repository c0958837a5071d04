"""De-duplication, sessionisation and the per-session training features.

Taught in notebooks/02_spark_etl.ipynb.

* :func:`deduplicate` keeps one row per ``event_id``: the first by ``ts``, ties broken by every
  other column, so the result never varies between runs (``dropDuplicates`` keeps an arbitrary
  row). ``n_copies`` says how many rows shared the id.
* :func:`sessionise` numbers each user's sessions: a gap **strictly greater** than
  ``gap_minutes`` starts a new session, compared in microseconds (whole-second casts merge or
  split sessions at the boundary).
* :func:`session_features` builds one row per session for training. The label is
  ``label = 1`` when the session contains a purchase. To keep the label from leaking into the
  features, every feature is computed only from the events *before the session's first
  purchase* (what a live model would know when predicting), and purchase counts, revenue and
  total session length are left out.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window, functions as F

EVENT_COLUMNS = ("event_id", "ts", "user_id", "session_id", "event_type", "product_id",
                 "category", "price", "quantity", "device", "country", "query", "date")
_PAYLOAD = ("ts", "user_id", "event_type", "product_id", "category", "price", "quantity",
            "device", "country", "query", "date")


#: Up to this many duplicated ids, the duplicates are found by hash aggregation and marked
#: with a broadcast join; past it (say a whole day delivered twice) one window over every row
#: is cheaper than collecting the ids.
BROADCAST_MAX_IDS = 200_000


def _first_by_id(rows: DataFrame) -> DataFrame:
    by_id = Window.partitionBy("event_id")
    ranked = rows.select(
        "event_id", *_PAYLOAD,
        F.row_number().over(by_id.orderBy(*_PAYLOAD)).alias("_rank"),
        F.count(F.lit(1)).over(by_id).alias("n_copies"),
    )
    return ranked.filter(F.col("_rank") == 1).drop("_rank")


def deduplicate(valid: DataFrame) -> DataFrame:
    """One row per ``event_id`` (the first by ts, then by the other columns) plus ``n_copies``.

    Runs one Spark job at once: counting each id (hash aggregation on the id alone) finds the
    few duplicated ids. Only their rows are ranked (a window sorted by the payload); the
    others pass through with ``n_copies = 1``. That spares shuffling and sorting every row by
    an id that is almost always unique. (``min(struct(...))`` per id gives the same rows, but
    a struct minimum cannot use hash aggregation, so Spark would sort every row twice.)
    """
    counts = valid.groupBy("event_id").agg(F.count(F.lit(1)).alias("n_copies"))
    dup = counts.filter(F.col("n_copies") > 1).limit(BROADCAST_MAX_IDS + 1).collect()
    if len(dup) > BROADCAST_MAX_IDS:
        return _first_by_id(valid)
    ids = valid.sparkSession.createDataFrame(dup, "event_id string, n_copies long")
    marked = valid.join(F.broadcast(ids), "event_id", "left")
    single = marked.filter(F.col("n_copies").isNull()).select(
        "event_id", *_PAYLOAD, F.lit(1).cast("long").alias("n_copies"))
    multi = _first_by_id(marked.filter(F.col("n_copies").isNotNull()).drop("n_copies"))
    return single.unionByName(multi)


def sessionise(events: DataFrame, gap_minutes: float = 30) -> DataFrame:
    """Add ``session_idx``/``session_id`` and the helper columns :func:`session_features` needs.

    A new session starts at a user's first event and after any gap strictly greater than
    ``gap_minutes`` (microsecond precision).
    """
    by_user = Window.partitionBy("user_id").orderBy("ts", "event_id")
    upto = by_user.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    gap_us = F.unix_micros("ts") - F.unix_micros(F.lag("ts").over(by_user))
    is_purchase = (F.col("event_type") == "purchase").cast("int")
    staged = events.select(
        "*",
        F.coalesce(gap_us > int(gap_minutes * 60_000_000), F.lit(True)).alias("_new"),
        is_purchase.alias("_purchase"),
    )
    # Purchases by this user up to each row, and the count before the row's session began:
    # a row is "before the first purchase of its session" when the two are equal.
    cum = F.sum("_purchase").over(upto)
    base = F.last(F.when(F.col("_new"), cum - F.col("_purchase")), ignorenulls=True).over(upto)
    out = staged.select(
        "*",
        F.sum(F.col("_new").cast("int")).over(upto).alias("session_idx"),
        (cum == base).alias("_pre"),
    )
    return out.withColumn(
        "session_id", F.concat_ws("-", "user_id", F.col("session_idx").cast("string"))
    )


def session_features(sessionised: DataFrame) -> DataFrame:
    """One row per session: features from pre-purchase events, ``label``, ``user_id``, ``date``."""
    pre = F.col("_pre")
    etype = F.col("event_type")

    def n(cond):
        return F.sum((pre & cond).cast("int"))

    first = F.min(F.struct("ts", "event_id", "device", "country"))
    sessions = sessionised.groupBy("user_id", "session_idx").agg(
        F.first("session_id").alias("session_id"),
        F.min("ts").alias("session_start"),
        F.max("ts").alias("_end"),
        F.max(F.when(pre, F.col("ts"))).alias("_pre_end"),
        n(F.lit(True)).alias("n_events"),
        n(etype == "view").alias("n_views"),
        n(etype == "search").alias("n_searches"),
        n(etype == "add_to_cart").alias("n_carts"),
        n(etype == "remove_from_cart").alias("n_removes"),
        F.size(F.collect_set(F.when(pre, F.col("product_id")))).alias("distinct_products"),
        F.coalesce(F.sum(F.when(pre & (etype == "add_to_cart"),
                                F.col("price") * F.col("quantity"))), F.lit(0.0)).alias("cart_value"),
        first.alias("_first"),
        F.max(F.col("_purchase")).alias("label"),
    )
    by_user = Window.partitionBy("user_id").orderBy("session_start", "session_idx")
    before = by_user.rowsBetween(Window.unboundedPreceding, -1)
    secs = (F.unix_micros("_pre_end") - F.unix_micros("session_start")) / 1e6
    recency = (F.unix_micros("session_start") - F.unix_micros(F.lag("_end").over(by_user))) / 1e6
    return sessions.select(
        "session_id",
        "user_id",
        "session_start",
        "n_events",
        "n_views",
        "n_searches",
        "n_carts",
        "n_removes",
        "distinct_products",
        F.round("cart_value", 2).alias("cart_value"),
        F.coalesce(secs, F.lit(0.0)).alias("dwell_s"),
        F.hour("session_start").alias("start_hour"),
        F.dayofweek("session_start").alias("day_of_week"),
        F.col("_first.device").alias("device"),
        F.col("_first.country").alias("country"),
        (F.row_number().over(by_user) - 1).alias("user_prev_sessions"),
        F.coalesce(F.sum("label").over(before), F.lit(0)).cast("int").alias("user_prev_purchases"),
        F.coalesce(recency, F.lit(-1.0)).alias("recency_s"),
        F.col("label").cast("int").alias("label"),
        F.to_date("session_start").alias("date"),
    )
