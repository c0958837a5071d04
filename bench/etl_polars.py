"""The clickstream ETL in Polars, for bench/etl_bench.py: the rules of emrlab.etl.job, line for line.

Mirrors ``emrlab.etl.rules`` (read each line as text, parse with an explicit field list, one
quarantine reason per line, first in ``REASONS`` order) and ``emrlab.etl.sessions`` (keep the
first copy of each event_id by a total order, a new session after a gap strictly greater than
``gap_minutes`` in microseconds, features from pre-purchase events only), all in UTC.

Parsing is robust line by line: files are read as bytes and split on CR, LF and CRLF like
Hadoop's line reader (a leading BOM dropped, invalid UTF-8 replaced by U+FFFD as Spark's JSON
parser does); ``str.json_path_match("$")`` is null for a line that is not valid JSON (it never
raises, unlike ``str.json_decode`` or ``read_ndjson``, which do not skip truncated lines). Lines
it rejects get a second look in Python (Jackson's leniencies: text after the first value, NaN);
objects with scalar values only are then decoded in one ``json_decode`` pass on the normalised
text, the rest field by field with ``json_path_match``, so a number arrives as its text and an
object as its JSON text (quarantined as ``wrong_type``), as Spark's ``from_json`` gives them.
Known differences from Spark, none in generated data: single-quoted JSON (Jackson takes it),
numbers in id fields written with an exponent (``1E2`` becomes ``100.0``), hex prices.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
from pathlib import Path

FIELDS = ("event_id", "ts", "user_id", "event_type", "product_id", "category", "price",
          "quantity", "device", "country", "query")
REQUIRED = ("event_id", "ts", "user_id", "event_type", "device", "country")
EVENT_TYPES = ("view", "search", "add_to_cart", "remove_from_cart", "purchase")
DEVICES = ("mobile", "desktop", "tablet")
ISO_TS = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"
COUNTRY = r"^[A-Z]{2}$"
MAX_LINE_CHARS = 1_000_000
EVENT_COLUMNS = ("event_id", "ts", "user_id", "session_id", "event_type", "product_id",
                 "category", "price", "quantity", "device", "country", "query", "date")
# The dedup order after ts (emrlab.etl.sessions._PAYLOAD): Spark's struct min puts nulls first.
PAYLOAD = ("ts", "user_id", "event_type", "product_id", "category", "price", "quantity",
           "device", "country", "query", "date")
_DAY = re.compile(r"date=(\d{4}-\d{2}-\d{2})$")
_EOL = re.compile(r"\r\n|\r|\n")
_DECODER = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=str)


def _first_object(line: str) -> str | None:
    """The line's first JSON value when it is an object, as JSON text with numbers as strings.

    Spark's parser (Jackson) reads a line's first value and ignores what follows it
    (``{...} x`` is valid), keeps each number's text and takes ``NaN``/``Infinity``; the Rust
    parser behind ``json_path_match`` rejects all three, so lines it calls broken come here.
    """
    try:
        value, _ = _DECODER.raw_decode(line.lstrip(" \t\r\n"))
    except ValueError:  # json.JSONDecodeError and bad surrogates alike
        return None
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else None


def read_lines(raw: str):
    """Columns ``line``, ``source_file`` and ``date`` (from the ``date=YYYY-MM-DD`` folder)."""
    import datetime as dt

    import polars as pl

    frames = []
    for folder in sorted(Path(raw).glob("date=*")):
        day = _DAY.search(folder.name)
        if not (day and folder.is_dir()):
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith(("_", ".")) or not path.is_file():
                continue
            data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            lines = _EOL.split(data.decode("utf-8-sig", errors="replace"))
            if lines and lines[-1] == "":
                lines.pop()  # the end of the last line, not a line
            frames.append(pl.DataFrame({"line": pl.Series(lines, dtype=pl.String)}).with_columns(
                source_file=pl.lit(path.as_uri()),
                date=pl.lit(dt.date.fromisoformat(day.group(1)))))
    if not frames:
        raise SystemExit(f"raw={raw!r} has no date=YYYY-MM-DD folders with files")
    return pl.concat(frames)


def classify(lines, max_line_chars: int = MAX_LINE_CHARS):
    """Add ``reason`` (null: valid; ``_blank`` for blank lines) and the typed event columns."""
    import polars as pl

    line, root = pl.col("line"), pl.col("_root")
    parsed = lines.with_columns(_root=line.str.json_path_match("$"))
    broken = parsed.filter(root.is_null())  # few rows: read their first value as Jackson does
    staged = pl.concat([
        parsed.filter(root.is_not_null()),
        broken.with_columns(_root=pl.Series([_first_object(t) for t in broken["line"]],
                                            dtype=pl.String)),
    ]).with_columns(_obj=root.str.starts_with("{").fill_null(False))
    # Objects with scalar values only (nearly all rows) are decoded in one pass; the others
    # (nested values, non-objects, broken JSON) field by field.
    flat = pl.col("_obj") & ~root.str.slice(1).str.contains(r"[\[{]")
    schema = pl.Struct({name: pl.String for name in FIELDS})
    fast = staged.filter(flat).with_columns(
        root.str.json_decode(schema).struct.rename_fields([f"_{n}" for n in FIELDS])
        .struct.unnest(),
    ).with_columns(_quantity=root.str.json_path_match("$.quantity"))  # 2.0 stays "2.0"
    slow = staged.filter(~flat).with_columns(
        **{f"_{name}": root.str.json_path_match(f"$.{name}") for name in FIELDS})
    parsed = pl.concat([fast, slow.select(fast.columns)])
    f = {name: pl.col(f"_{name}") for name in FIELDS}
    ts = f["ts"].str.replace(r"Z$", "+00:00").str.to_datetime(
        "%Y-%m-%dT%H:%M:%S%.f%:z", time_unit="us", time_zone="UTC", strict=False)
    # Java's Double.parseDouble (Spark's cast) trims blanks and takes a d/f suffix: "12.5d".
    price = (f["price"].str.strip_chars().str.replace(r"^([^nNiI]*\d\.?)[dDfF]$", "$1")
             .cast(pl.Float64, strict=False))
    ts_ok = f["ts"].str.contains(ISO_TS) & ts.is_not_null()
    price_ok = f["price"].is_null() | (price.is_not_null() & ~price.is_nan() & (price.abs() < 1e12))
    qty_ok = f["quantity"].is_null() | f["quantity"].str.contains(r"^-?\d{1,9}$")
    strings_ok = ~pl.any_horizontal(
        f[n].str.slice(0, 1).is_in(["{", "["]).fill_null(False)
        for n in ("event_id", "user_id", "product_id", "category", "query"))
    utf8_bad = pl.any_horizontal(
        f[n].str.contains("\ufffd", literal=True).fill_null(False) for n in FIELDS)
    enum_ok = (f["event_type"].is_in(EVENT_TYPES) & f["device"].is_in(DEVICES)
               & f["country"].str.contains(COUNTRY))
    reason = (
        pl.when(line.str.strip_chars(" ") == "").then(pl.lit("_blank"))
        .when(line.str.len_chars() > max_line_chars).then(pl.lit("oversized_line"))
        .when(~pl.col("_obj")).then(pl.lit("malformed_json"))
        .when(utf8_bad).then(pl.lit("invalid_utf8"))
        .when(pl.any_horizontal(f[n].is_null() for n in REQUIRED)).then(pl.lit("missing_field"))
        .when(~(ts_ok & price_ok & qty_ok & strings_ok).fill_null(False)).then(pl.lit("wrong_type"))
        .when(~enum_ok.fill_null(False)).then(pl.lit("invalid_enum"))
        .when(ts.dt.date() != pl.col("date")).then(pl.lit("out_of_window"))
    )
    return parsed.with_columns(reason=reason).with_columns(
        event_id=f["event_id"], ts=ts, user_id=f["user_id"], event_type=f["event_type"],
        product_id=f["product_id"], category=f["category"], price=price,
        quantity=f["quantity"].cast(pl.Int32, strict=False), device=f["device"],
        country=f["country"], query=f["query"],
    ).select("reason", "line", "source_file", "date", *FIELDS)


def sessionise(valid, gap_minutes: float = 30):
    """De-duplicate (first by ts, then the other columns) and number each user's sessions."""
    import polars as pl

    deduped = (
        valid.sort(list(PAYLOAD), nulls_last=False, maintain_order=True)
        .with_columns(n_copies=pl.len().over("event_id"))
        .unique(subset="event_id", keep="first", maintain_order=True)
        .sort("user_id", "ts", "event_id")
    )
    user, ts = pl.col("user_id"), pl.col("ts")
    gap_us = (ts - ts.shift(1)).dt.total_microseconds()
    new = (user != user.shift(1)).fill_null(True) | (gap_us > int(gap_minutes * 60_000_000))
    staged = deduped.with_columns(
        _new=new.fill_null(True),
        _purchase=(pl.col("event_type") == "purchase").cast(pl.Int32),
    )
    cum = pl.col("_purchase").cum_sum().over("user_id")
    out = staged.with_columns(
        session_idx=pl.col("_new").cast(pl.Int64).cum_sum().over("user_id"),
        _cum=cum,
    ).with_columns(
        _pre=pl.col("_cum") == pl.when(pl.col("_new")).then(pl.col("_cum") - pl.col("_purchase"))
        .forward_fill(),
    )
    return out.with_columns(
        session_id=pl.concat_str(user, pl.lit("-"), pl.col("session_idx").cast(pl.String)))


def session_features(s):
    """One row per session, the columns of ``emrlab.etl.sessions.session_features``."""
    import polars as pl

    pre, etype, ts = pl.col("_pre"), pl.col("event_type"), pl.col("ts")

    def n(cond):
        return (pre & cond).cast(pl.Int64).sum()

    agg = s.group_by("user_id", "session_idx").agg(
        pl.col("session_id").first(),
        session_start=ts.min(), _end=ts.max(), _pre_end=ts.filter(pre).max(),
        n_events=n(pl.lit(True)), n_views=n(etype == "view"), n_searches=n(etype == "search"),
        n_carts=n(etype == "add_to_cart"), n_removes=n(etype == "remove_from_cart"),
        distinct_products=pl.col("product_id").filter(pre).drop_nulls().n_unique(),
        cart_value=(pl.col("price") * pl.col("quantity"))
        .filter(pre & (etype == "add_to_cart")).sum(),
        device=pl.col("device").first(), country=pl.col("country").first(),  # rows are in ts order
        label=pl.col("_purchase").max(),
    ).sort("user_id", "session_start", "session_idx")
    start = pl.col("session_start")
    recency = (start - pl.col("_end").shift(1).over("user_id")).dt.total_microseconds() / 1e6
    return agg.select(
        "session_id", "user_id", "session_start", "n_events", "n_views", "n_searches", "n_carts",
        "n_removes", pl.col("distinct_products").cast(pl.Int32), pl.col("cart_value").round(2),
        dwell_s=((pl.col("_pre_end") - start).dt.total_microseconds() / 1e6).fill_null(0.0),
        start_hour=start.dt.hour().cast(pl.Int32),
        day_of_week=(start.dt.weekday() % 7 + 1).cast(pl.Int32),  # Sunday = 1, as Spark
        device=pl.col("device"), country=pl.col("country"),
        user_prev_sessions=pl.int_range(pl.len()).over("user_id").cast(pl.Int32),
        user_prev_purchases=(pl.col("label").cum_sum().over("user_id") - pl.col("label"))
        .cast(pl.Int32),
        recency_s=recency.fill_null(-1.0),
        label=pl.col("label").cast(pl.Int32),
        date=start.dt.date(),
    )


def run(raw: str, out: str, threads: int) -> dict:
    """The whole ETL; returns the bench's counts, those of the outputs read back."""
    os.environ["POLARS_MAX_THREADS"] = str(threads)  # read when polars is first imported
    import polars as pl

    def write(df, name):
        df.write_parquet(f"{out}/{name}", compression="snappy", partition_by="date")

    def written(name):
        return pl.scan_parquet(f"{out}/{name}", hive_partitioning=True)

    Path(out).mkdir(parents=True, exist_ok=True)
    for name in ("quarantine", "curated"):
        shutil.rmtree(Path(out) / name, ignore_errors=True)
    classified = classify(read_lines(raw)).filter(pl.col("reason").ne_missing("_blank"))
    bad = classified.filter(pl.col("reason").is_not_null())
    if len(bad):
        write(bad.select("reason", "line", "source_file", "date"), "quarantine")
    sessionised = sessionise(classified.filter(pl.col("reason").is_null())
                             .select(*FIELDS, "date"))
    write(sessionised.select(*EVENT_COLUMNS), "curated/events")
    write(session_features(sessionised), "curated/sessions")
    counts = {"rows_read": len(classified), "quarantined": len(bad),
              "duplicates": int(sessionised["n_copies"].sum()) - len(sessionised)}
    if len(sessionised):
        s = written("curated/sessions").select(pl.len(), pl.col("label").sum()).collect().row(0)
        counts |= {"curated": written("curated/events").select(pl.len()).collect().item(),
                   "sessions": s[0], "purchased": int(s[1] or 0)}
    else:
        counts |= {"curated": 0, "sessions": 0, "purchased": 0}
    if len(bad):
        counts["quarantined"] = written("quarantine").select(pl.len()).collect().item()
    return counts
