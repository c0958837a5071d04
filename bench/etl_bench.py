"""Benchmark: the clickstream ETL in Spark local mode (the kit's emrlab.etl.job.run), DuckDB and Polars.

Same generated files, same job: parse with an explicit field list, validate (quarantine by
reason), de-duplicate on event_id (first by ts), sessionise (gap > 30 min, microseconds),
per-session features, write events and sessions as Parquet partitioned by date (snappy).
Each engine runs in its own subprocess; the table shows whole-process wall time, events/s,
peak memory of the process tree (sampled with psutil) and the ratio to the fastest. The
engines' counts must agree: a ``MISMATCH`` line names each count that differs (exit status 1).
The Polars engine lives in bench/etl_polars.py.

    .venv/bin/python bench/etl_bench.py                  # 1e5, 1e6, 1e7 events
    .venv/bin/python bench/etl_bench.py --sizes 100000 1000000 --engines spark duckdb polars
    .venv/bin/python bench/etl_bench.py --sizes 10000000 --engines spark --memory 6g --gc g1

Needs the ``bench`` extra (duckdb, polars, psutil). Data and outputs go to --work (default: a
temporary folder); generated inputs are reused across runs with the same size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENGINES = ("spark", "duckdb", "polars")
COUNTS = ("rows_read", "quarantined", "duplicates", "curated", "sessions", "purchased")


def run_spark(raw: str, out: str, shuffle: int, memory: str, gc: str) -> dict:
    import emrlab
    from emrlab.etl import job as etl

    emrlab.config.configure(work_dir=str(Path(out) / "work"))
    # Local mode runs everything in the driver JVM: its heap is all the memory Spark gets.
    # The parallel collector trades pause times (irrelevant to a batch job) for throughput.
    spark = emrlab.spark.session(**{
        "spark.sql.shuffle.partitions": str(shuffle), "spark.driver.memory": memory,
        "spark.driver.extraJavaOptions": {"parallel": "-XX:+UseParallelGC", "g1": ""}[gc]})
    led = etl.run(spark, raw, f"{out}/curated", f"{out}/quarantine", run_id="bench")
    emrlab.spark.stop()
    return {"rows_read": led.rows_read, "quarantined": led.rows_quarantined,
            "duplicates": led.duplicates_removed, "curated": led.rows_curated,
            "sessions": led.sessions, "purchased": led.sessions_with_purchase}


DUCK_SQL = r"""
SET TimeZone='UTC';
CREATE TEMP TABLE lines AS
SELECT line, CAST(regexp_extract(filename, 'date=(\d{{4}}-\d{{2}}-\d{{2}})', 1) AS DATE) AS date
FROM read_csv('{raw}/date=*/*.json', columns={{'line': 'VARCHAR'}}, delim=chr(31), quote='',
              escape='', header=false, filename=true, auto_detect=false);
CREATE TEMP TABLE c AS
WITH p AS (
  SELECT line, date, CASE WHEN json_valid(line) AND json_type(line) = 'OBJECT' THEN line END AS j
  FROM lines WHERE trim(line) <> ''
), f AS (
  SELECT line, date, j,
    j->>'event_id' AS event_id, j->>'ts' AS ts_s, j->>'user_id' AS user_id,
    j->>'event_type' AS event_type, j->>'product_id' AS product_id, j->>'category' AS category,
    j->>'price' AS price_s, j->>'quantity' AS qty_s, j->>'device' AS device,
    j->>'country' AS country, j->>'query' AS query
  FROM p
)
SELECT *, CASE
  WHEN length(line) > 1000000 THEN 'oversized_line'
  WHEN j IS NULL THEN 'malformed_json'
  WHEN event_id IS NULL OR ts_s IS NULL OR user_id IS NULL OR event_type IS NULL
       OR device IS NULL OR country IS NULL THEN 'missing_field'
  WHEN NOT regexp_full_match(ts_s, '\d{{4}}-\d{{2}}-\d{{2}}T\d{{2}}:\d{{2}}:\d{{2}}(\.\d{{1,9}})?(Z|[+-]\d{{2}}:\d{{2}})')
       OR try_cast(ts_s AS TIMESTAMPTZ) IS NULL
       OR (price_s IS NOT NULL AND try_cast(price_s AS DOUBLE) IS NULL)
       OR (qty_s IS NOT NULL AND NOT regexp_full_match(qty_s, '-?\d{{1,9}}')) THEN 'wrong_type'
  WHEN event_type NOT IN ('view','search','add_to_cart','remove_from_cart','purchase')
       OR device NOT IN ('mobile','desktop','tablet')
       OR NOT regexp_full_match(country, '[A-Z]{{2}}') THEN 'invalid_enum'
  WHEN CAST(try_cast(ts_s AS TIMESTAMPTZ) AS DATE) <> date THEN 'out_of_window'
END AS reason
FROM f;
COPY (SELECT reason, line, date FROM c WHERE reason IS NOT NULL)
  TO '{out}/quarantine' (FORMAT PARQUET, PARTITION_BY (date), COMPRESSION SNAPPY, OVERWRITE_OR_IGNORE);
CREATE TEMP TABLE ev AS
WITH v AS (
  SELECT event_id, CAST(ts_s AS TIMESTAMPTZ) AS ts, user_id, event_type, product_id, category,
         CAST(price_s AS DOUBLE) AS price, CAST(qty_s AS INTEGER) AS quantity, device, country,
         query, date
  FROM c WHERE reason IS NULL
), d AS (
  SELECT *, count(*) OVER (PARTITION BY event_id) AS n_copies FROM v
  QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts, user_id, event_type, product_id,
          category, price, quantity, device, country, query, date) = 1
), g AS (
  SELECT *, coalesce(epoch_us(ts) - epoch_us(lag(ts) OVER w) > 1800000000, true) AS new_s,
         CAST(event_type = 'purchase' AS INTEGER) AS purchase
  FROM d WINDOW w AS (PARTITION BY user_id ORDER BY ts, event_id)
), s AS (
  SELECT *, sum(CAST(new_s AS INTEGER)) OVER w AS session_idx,
         sum(purchase) OVER w AS cum_p
  FROM g WINDOW w AS (PARTITION BY user_id ORDER BY ts, event_id ROWS UNBOUNDED PRECEDING)
)
SELECT *, user_id || '-' || session_idx AS session_id,
       cum_p = max(CASE WHEN new_s THEN cum_p - purchase END) OVER (PARTITION BY user_id, session_idx) AS pre
FROM s;
COPY (SELECT event_id, ts, user_id, session_id, event_type, product_id, category, price, quantity,
             device, country, query, date FROM ev)
  TO '{out}/events' (FORMAT PARQUET, PARTITION_BY (date), COMPRESSION SNAPPY, OVERWRITE_OR_IGNORE);
CREATE TEMP TABLE sess AS
SELECT session_id, user_id, min(ts) AS session_start,
  sum(CAST(pre AS INTEGER)) AS n_events,
  sum(CAST(pre AND event_type = 'view' AS INTEGER)) AS n_views,
  sum(CAST(pre AND event_type = 'search' AS INTEGER)) AS n_searches,
  sum(CAST(pre AND event_type = 'add_to_cart' AS INTEGER)) AS n_carts,
  sum(CAST(pre AND event_type = 'remove_from_cart' AS INTEGER)) AS n_removes,
  count(DISTINCT CASE WHEN pre THEN product_id END) AS distinct_products,
  coalesce(sum(CASE WHEN pre AND event_type = 'add_to_cart' THEN price * quantity END), 0) AS cart_value,
  coalesce(epoch_us(max(CASE WHEN pre THEN ts END)) - epoch_us(min(ts)), 0) / 1e6 AS dwell_s,
  max(purchase) AS label, CAST(min(ts) AS DATE) AS date
FROM ev GROUP BY user_id, session_idx, session_id;
COPY (SELECT * FROM sess)
  TO '{out}/sessions' (FORMAT PARQUET, PARTITION_BY (date), COMPRESSION SNAPPY, OVERWRITE_OR_IGNORE);
"""


def run_duckdb(raw: str, out: str, threads: int) -> dict:
    import duckdb

    Path(out).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    con.execute(DUCK_SQL.format(raw=raw, out=out))
    q = con.execute("SELECT count(*) FILTER (WHERE reason IS NOT NULL), count(*) FROM c").fetchone()
    e = con.execute("SELECT count(*), sum(n_copies - 1) FROM ev").fetchone()
    s = con.execute("SELECT count(*), sum(label) FROM sess").fetchone()
    return {"rows_read": q[1], "quarantined": q[0], "duplicates": int(e[1] or 0),
            "curated": e[0], "sessions": s[0], "purchased": int(s[1] or 0)}


def run_polars(raw: str, out: str, threads: int) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import etl_polars

    return etl_polars.run(raw, out, threads)


def mismatches(results: list[dict]) -> list[str]:
    """One line per count on which the engines disagree (empty: all agree)."""
    lines = []
    for key in COUNTS:
        seen = {r["engine"]: r[key] for r in results}
        if len(set(seen.values())) > 1:
            lines.append(f"MISMATCH {key}: " + ", ".join(f"{e}={v}" for e, v in seen.items()))
    return lines


def child(args) -> int:
    fn = {"spark": lambda: run_spark(args.raw, args.out, args.shuffle, args.memory, args.gc),
          "duckdb": lambda: run_duckdb(args.raw, args.out, args.threads),
          "polars": lambda: run_polars(args.raw, args.out, args.threads)}[args.engine]
    print(json.dumps(fn()))
    return 0


def measure(engine: str, raw: Path, out: Path, args) -> dict:
    import psutil

    cmd = [sys.executable, __file__, "--engine", engine, "--raw", str(raw), "--out", str(out),
           "--shuffle", str(args.shuffle), "--threads", str(args.threads),
           "--memory", args.memory, "--gc", args.gc]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.2)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{engine} failed:\n{stderr[-3000:]}")
    return {"engine": engine, "wall_s": wall, "peak_mb": peak / 2**20,
            **json.loads(stdout.strip().splitlines()[-1])}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    p.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    p.add_argument("--work", default="")
    p.add_argument("--shuffle", type=int, default=4, help="Spark shuffle partitions")
    p.add_argument("--memory", default="10g", help="Spark driver heap (local mode: all of Spark)")
    p.add_argument("--gc", default="parallel", choices=("parallel", "g1"), help="Spark's JVM collector")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 2,
                   help="DuckDB and Polars threads")
    p.add_argument("--engine", help=argparse.SUPPRESS)
    p.add_argument("--raw", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.engine:
        return child(args)
    from emrlab.etl import datagen

    work = Path(args.work or tempfile.mkdtemp(prefix="etl-bench-"))
    print(f"work: {work}; cores: {os.cpu_count()}; spark: {args.shuffle} shuffle partitions, "
          f"{args.memory} heap, {args.gc} GC")
    header = (f"| {'events':>10} | {'engine':<7} | {'wall s':>7} | {'events/s':>9} | "
              f"{'peak MB':>8} | {'x fastest':>9} | counts (read/quar/dup/curated/sessions/purch)")
    failed = False
    for n in args.sizes:
        raw = work / f"raw_{n}"
        if not (raw / "_manifest.json").exists():
            t = time.perf_counter()
            datagen.generate(raw, n, seed=0, fault_rate=0.01)
            print(f"generated {n:,} events in {time.perf_counter() - t:.1f} s")
        results = [measure(e, raw, work / f"out_{e}_{n}", args) for e in args.engines]
        best = min(r["wall_s"] for r in results)
        print(header)
        print("|" + "---|" * 7)
        for r in results:
            counts = "/".join(str(r[k]) for k in COUNTS)
            print(f"| {n:>10,} | {r['engine']:<7} | {r['wall_s']:>7.1f} | {n / r['wall_s']:>9,.0f} | "
                  f"{r['peak_mb']:>8,.0f} | {r['wall_s'] / best:>9.2f} | {counts}")
        bad = mismatches(results)
        for line in bad:
            print(f"{n:,} events: {line}")
        if len(results) > 1 and not bad:
            print(f"{n:,} events: counts agree ({', '.join(r['engine'] for r in results)})")
        failed = failed or bool(bad)
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
