"""Parsing and validating raw clickstream lines: the explicit schema and the quarantine rules.

Taught in notebooks/02_spark_etl.ipynb and labs/02_etl_quarantine.

Each raw line is read as text and parsed with :data:`RAW_SCHEMA`, an explicit schema (no
inference: inference costs a pass over the data and guesses types from whatever arrived). Every
field is read as a string in PERMISSIVE mode, so only broken JSON lands in the corrupt-record
column; types are then checked field by field, which lets a row be quarantined with the precise
reason. Invalid UTF-8 bytes decode to U+FFFD inside parsed values (Spark keeps a line's raw
bytes, the JSON parser reads them through a replacing decoder), which marks ``invalid_utf8``.
Each line gets exactly one reason (the first that applies, in :data:`REASONS` order) or
none (valid). Blank lines are not rows: they get the internal reason ``_blank`` and are counted
apart.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession, functions as F, types as T

from emrlab.etl.datagen import REQUIRED
from emrlab.etl.events import DEVICES, EVENT_TYPES

CORRUPT = "_corrupt_record"
FIELDS = ("event_id", "ts", "user_id", "event_type", "product_id", "category", "price",
          "quantity", "device", "country", "query")
RAW_SCHEMA = T.StructType(
    [T.StructField(name, T.StringType()) for name in FIELDS]
    + [T.StructField(CORRUPT, T.StringType())]
)
#: Quarantine reasons, in the order they are tested.
REASONS = ("oversized_line", "malformed_json", "invalid_utf8", "missing_field", "wrong_type",
           "invalid_enum", "out_of_window")
BLANK = "_blank"
ISO_TS = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"
COUNTRY = r"^[A-Z]{2}$"
MAX_LINE_CHARS = 1_000_000


def read_lines(spark: SparkSession, raw: str) -> DataFrame:
    """Raw lines with their day folder: columns ``line`` and ``date`` (from ``date=...`` folders).

    Byte-order marks are dropped and CR/LF/CRLF line ends all split lines (Hadoop's line
    reader); ``.json.gz`` files are decompressed by extension.
    """
    from emrlab.exceptions import EtlInputError

    try:
        df = spark.read.option("recursiveFileLookup", "false").text(raw)
    except Exception as exc:  # AnalysisException and py4j errors for a missing path
        raise EtlInputError(f"raw={raw!r} could not be read: {str(exc).splitlines()[0]}") from exc
    if "date" not in df.columns:
        raise EtlInputError(
            f"raw={raw!r} has no date=YYYY-MM-DD folders; the ETL reads one folder per day"
        )
    return df.withColumnRenamed("value", "line").withColumn("date", F.col("date").cast("date"))


def _bad_string(col: Column) -> Column:
    """A string field that arrived as a JSON object or array."""
    return F.substring(col, 1, 1).isin("{", "[")


def reason_column(j: Column, line: Column, date: Column,
                  max_line_chars: int = MAX_LINE_CHARS, ts: Column | None = None) -> Column:
    """The quarantine reason of one parsed line (null when the row is valid).

    Parameters
    ----------
    j : Column
        ``from_json(line, RAW_SCHEMA)`` for the line.
    line, date : Column
        The raw text and the day folder's date.
    ts : Column, optional
        ``j.ts`` cast to a timestamp, when the caller has it as a column already (the cast is
        one of the costlier checks, so :func:`classify` computes it once per row).
    """
    ts = j.ts.cast("timestamp") if ts is None else ts
    ts_ok = j.ts.rlike(ISO_TS) & ts.isNotNull()
    price = j.price.cast("double")
    price_ok = j.price.isNull() | (price.isNotNull() & ~F.isnan(price) & (F.abs(price) < 1e12))
    qty_ok = j.quantity.isNull() | j.quantity.rlike(r"^-?\d{1,9}$")
    strings_ok = F.lit(True)
    for name in ("event_id", "user_id", "product_id", "category", "query"):
        strings_ok = strings_ok & ~F.coalesce(_bad_string(j[name]), F.lit(False))
    missing = F.lit(False)
    for name in REQUIRED:
        missing = missing | j[name].isNull()
    enum_ok = (j.event_type.isin(*EVENT_TYPES) & j.device.isin(*DEVICES)
               & j.country.rlike(COUNTRY))
    return (
        F.when(F.trim(line) == "", F.lit(BLANK))
        # A line never has more characters than bytes: the O(1) byte length spares counting
        # the characters of every ordinary line.
        .when((F.octet_length(line) > max_line_chars) & (F.length(line) > max_line_chars),
              F.lit("oversized_line"))
        .when(j[CORRUPT].isNotNull() | j.isNull(), F.lit("malformed_json"))
        .when(F.instr(F.concat_ws("", *[j[c] for c in FIELDS]), "\ufffd") > 0,
              F.lit("invalid_utf8"))
        .when(missing, F.lit("missing_field"))
        .when(~(ts_ok & price_ok & qty_ok & strings_ok), F.lit("wrong_type"))
        .when(~enum_ok, F.lit("invalid_enum"))
        .when(F.to_date(ts) != date, F.lit("out_of_window"))
    )


def classify(lines: DataFrame, max_line_chars: int = MAX_LINE_CHARS) -> DataFrame:
    """Parse and validate raw lines.

    Returns
    -------
    DataFrame
        ``reason`` (null for valid rows), ``date``, the typed event columns (valid rows) and,
        for quarantined rows only, ``line`` and ``source_file`` (valid rows do not carry their
        raw text, which keeps a cached copy small).
    """
    opts = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
    parsed = lines.select(
        "line", "date", F.from_json(F.col("line"), RAW_SCHEMA, opts).alias("j")
    )
    j = F.col("j")
    # The timestamp is cast once, in its own projection (Spark keeps a non-trivial expression
    # that is used several times in its own Project instead of copying it into each use).
    with_ts = parsed.select("line", "date", "j", j.ts.cast("timestamp").alias("_ts"))
    reason = reason_column(j, F.col("line"), F.col("date"), max_line_chars, ts=F.col("_ts"))
    staged = with_ts.select("line", "date", "j", "_ts", reason.alias("reason"))
    valid = F.col("reason").isNull()
    return staged.select(
        "reason",
        "date",
        F.when(valid, j.event_id).alias("event_id"),
        F.when(valid, F.col("_ts")).alias("ts"),
        F.when(valid, j.user_id).alias("user_id"),
        F.when(valid, j.event_type).alias("event_type"),
        F.when(valid, j.product_id).alias("product_id"),
        F.when(valid, j.category).alias("category"),
        F.when(valid, j.price.cast("double")).alias("price"),
        F.when(valid, j.quantity.cast("int")).alias("quantity"),
        F.when(valid, j.device).alias("device"),
        F.when(valid, j.country).alias("country"),
        F.when(valid, j.query).alias("query"),
        F.when(~valid, F.col("line")).alias("line"),
        F.when(~valid, F.input_file_name()).alias("source_file"),
    )
