"""A deterministic synthetic clickstream: JSON lines per day, with planted faults.

Taught in notebooks/02_spark_etl.ipynb (and labs/02_etl_quarantine).

:func:`generate` writes ``out_dir/date=YYYY-MM-DD/part-NNNNN.json[.gz]`` (one folder per day,
the Hive-style layout Spark and S3 data lakes use) and ``out_dir/_manifest.json``, which
records what was planted, so tests and lab checks know the truth. Spark skips files whose
names start with ``_``, so the manifest never reaches the ETL.

Each line is one event::

    {"event_id": "ev20261101000000042", "ts": "2026-11-01T09:30:00.123456Z",
     "user_id": "u0000017", "event_type": "add_to_cart", "product_id": "p00042",
     "category": "books", "price": 12.5, "quantity": 1, "device": "mobile",
     "country": "DE", "query": null}

Required fields: event_id, ts, user_id, event_type, device, country. Sessions follow users
(Zipf-like: a few heavy users, popular products) with exponential gaps, some exactly 30:00
(same session) and some a microsecond past it (a new session). Purchases end some sessions
that had an add-to-cart, more often for "buying" sessions, so a model can learn from the
pre-purchase events.

Planted kinds (``fault_rate`` is the share of lines that carry one): ``malformed_json``
(truncated lines), ``missing_field``, ``wrong_type``, ``invalid_enum``, ``out_of_window``
(a timestamp outside the folder's day), ``duplicate`` (a redelivered event id) and
``non_ascii`` (a valid search with non-ASCII text that must be kept). Days also get one empty
file each. Tests can add ``oddities``: ``bom``, ``crlf``, ``invalid_utf8``, ``huge_line`` and
``missing_day``. Memory stays bounded: events are produced and written in chunks.
"""

from __future__ import annotations

import datetime as dt
import gzip as gzip_mod
import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from emrlab.etl.events import (
    DAY_US,
    World,
    clean_lines,
    sessions,
    ts_text,
)
from emrlab.exceptions import ParameterError
from emrlab.params import Param, validate

REQUIRED = ("event_id", "ts", "user_id", "event_type", "device", "country")
FAULT_KINDS = (
    "malformed_json", "missing_field", "wrong_type", "invalid_enum", "out_of_window",
    "duplicate", "non_ascii",
)
ODDITIES = ("bom", "crlf", "invalid_utf8", "huge_line", "missing_day")
NON_ASCII_QUERIES = ("café crème", "Fußballschuhe", "東京 ガイド", "smörgåsbord", "jalapeño 🌶")
HUGE_LINE_CHARS = 2_000_000  # the oversized line a ``huge_line`` oddity writes (ETL limit: 1 MB)
CHUNK_EVENTS = 100_000  # events generated at once: bounds memory at any n_events


@dataclass
class Manifest:
    """What :func:`generate` wrote and planted: the truth tests compare the ETL's ledger with.

    Attributes
    ----------
    out_dir : str
        The raw folder written.
    lines : int
        Non-blank lines written (what the ETL must count as rows read).
    planted : dict
        Count per planted kind (see the module docstring) and per oddity.
    expected : dict
        ``rows_read``, ``quarantined`` (by reason), ``duplicates_removed``, ``rows_curated``.
    dates : list of str
        Day folders written (a ``missing_day`` oddity leaves one out).
    files : int
        Files written, empty ones included.
    """

    out_dir: str
    n_events: int
    seed: int
    days: int
    start_date: str
    fault_rate: float
    gzip: bool
    oddities: list = field(default_factory=list)
    lines: int = 0
    planted: dict = field(default_factory=dict)
    expected: dict = field(default_factory=dict)
    dates: list = field(default_factory=list)
    files: int = 0

    def to_json(self) -> str:
        """The manifest as indented JSON."""
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Manifest:
        """Read ``_manifest.json`` from a raw folder (or the file itself)."""
        path = Path(path)
        if path.is_dir():
            path = path / "_manifest.json"
        return cls(**json.loads(path.read_text()))


# Quarantine reason the ETL gives each planted kind (None: the row is valid and kept).
REASON_OF = {
    "malformed_json": "malformed_json", "missing_field": "missing_field",
    "wrong_type": "wrong_type", "invalid_enum": "invalid_enum", "out_of_window": "out_of_window",
    "invalid_utf8": "invalid_utf8", "huge_line": "oversized_line",
}


def _fault(kind: str, line: str, rng, ts_us: int) -> str:
    """The faulty version of a clean line."""
    rec = json.loads(line)
    if kind == "malformed_json":
        return line[: int(rng.integers(5, len(line) - 1))]
    if kind == "missing_field":
        key = REQUIRED[int(rng.integers(len(REQUIRED)))]
        if rng.random() < 0.5:
            del rec[key]
        else:
            rec[key] = None
    elif kind == "wrong_type":
        choice = int(rng.integers(3))
        if choice == 0 or rec.get("price") is None:
            rec["ts"] = ts_us // 1_000_000  # epoch seconds: a number, not ISO-8601 text
        elif choice == 1:
            rec["price"] = "N/A"
        else:
            rec["quantity"] = "two"
    elif kind == "invalid_enum":
        key, bad = [("event_type", "click"), ("event_type", "VIEW"), ("device", "smart-fridge"),
                    ("country", "Germany")][int(rng.integers(4))]
        rec[key] = bad
    elif kind == "out_of_window":
        shift = DAY_US if rng.random() < 0.5 else -DAY_US
        rec["ts"] = str(ts_text(np.array([ts_us + shift]))[0])
    elif kind == "non_ascii":
        rec.update(event_type="search", product_id=None, category=None, price=None,
                   quantity=None, query=NON_ASCII_QUERIES[int(rng.integers(len(NON_ASCII_QUERIES)))])
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"))


def _day_lines(rng, world, n: int, day: dt.date, day_idx: int, fault_rate: float, planted: Counter):
    """Yield chunks of lines (str) for one day: ``n`` lines in all."""
    day_start = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())
    day_start_us = day_start * 1_000_000
    done = 0
    while done < n:
        m = min(CHUNK_EVENTS, n - done)
        frame = sessions(rng, world, m, day_start_us).iloc[:m]
        seq = np.arange(done, done + m)
        ids = np.char.mod(f"ev{day:%Y%m%d}%09d", seq)
        lines = clean_lines(frame, ids)
        ts = frame["ts_us"].to_numpy()
        faulty = np.flatnonzero(rng.random(m) < fault_rate)
        kinds = rng.integers(0, len(FAULT_KINDS), len(faulty))
        clean = np.ones(m, dtype=bool)
        clean[faulty] = False
        for i, k in zip(faulty.tolist(), kinds.tolist(), strict=True):
            kind = FAULT_KINDS[k]
            if kind == "duplicate":
                earlier = np.flatnonzero(clean[:i])
                if len(earlier) == 0:
                    clean[i] = True
                    continue
                j = int(earlier[-1])
                copy = lines[j]
                later = int(ts[j]) + int(rng.integers(1, 1000)) * 1000
                if rng.random() < 0.5 and later < day_start_us + DAY_US:
                    rec = json.loads(copy)  # redelivered with a later timestamp: keep the first
                    rec["ts"] = str(ts_text(np.array([later]))[0])
                    copy = json.dumps(rec, ensure_ascii=False, separators=(",", ":"))
                lines[i] = copy
            else:
                lines[i] = _fault(kind, lines[i], rng, int(ts[i]))
                if kind == "non_ascii":
                    clean[i] = True
            planted[kind] += 1
        done += m
        yield lines


def _params(n_events, seed, days, start_date, fault_rate, gzip, files_per_day, oddities):
    validate(
        dict(n_events=n_events, seed=seed, days=days, start_date=start_date,
             fault_rate=fault_rate, gzip=gzip, files_per_day=files_per_day),
        n_events=Param(int, min=10, max=100_000_000), seed=Param(int, min=0, max=2**31 - 1),
        days=Param(int, min=1, max=366), start_date=Param(str, pattern=r"\d{4}-\d{2}-\d{2}"),
        fault_rate=Param(float, min=0.0, max=0.5), gzip=Param(bool),
        files_per_day=Param(int, min=0, max=1000),
    )
    bad = [o for o in oddities if o not in ODDITIES]
    if bad:
        raise ParameterError(f"oddities={list(oddities)!r}: unknown {bad}; allowed: {ODDITIES}")
    if "missing_day" in oddities and days < 3:
        raise ParameterError("oddities 'missing_day' needs days >= 3 (a gap between two days)")
    try:
        return dt.date.fromisoformat(start_date)
    except ValueError as exc:
        raise ParameterError(f"start_date={start_date!r} is not a date (YYYY-MM-DD)") from exc


def generate(out_dir: str | Path, n_events: int, seed: int = 0, days: int = 3, start_date: str = "2026-11-01",
             fault_rate: float = 0.01, gzip: bool = False, *, files_per_day: int = 0,
             oddities: tuple | list = ()) -> Manifest:
    """Write a synthetic clickstream as JSON lines, one folder per day, and its manifest.

    Taught in notebooks/02_spark_etl.ipynb.

    Parameters
    ----------
    out_dir : str or path
        Folder to write (created; files of an earlier run with other settings are removed).
    n_events : int
        Lines to write in all (10 to 100,000,000), split evenly over the days.
    seed : int
        Same seed and settings, same bytes.
    days : int
        Number of consecutive days from ``start_date``.
    fault_rate : float
        Share of lines (0 to 0.5) carrying a planted fault or oddity kind.
    gzip : bool
        Write ``.json.gz`` files instead of ``.json``.
    files_per_day : int, keyword-only
        Part files per day; 0 picks one per 500,000 lines (at least 2).
    oddities : sequence of str, keyword-only
        Extra test inputs: ``bom``, ``crlf``, ``invalid_utf8``, ``huge_line``, ``missing_day``.

    Returns
    -------
    Manifest
        Also written to ``out_dir/_manifest.json``.
    """
    first = _params(n_events, seed, days, start_date, fault_rate, gzip, files_per_day, oddities)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("date=*/part-*"):
        old.unlink()
    rng = np.random.default_rng(seed)
    world = World(rng, n_events)
    planted: Counter = Counter()
    man = Manifest(str(out), n_events, seed, days, start_date, fault_rate, gzip, list(oddities))
    per_day = [n_events // days + (1 if d < n_events % days else 0) for d in range(days)]
    skip = days // 2 if "missing_day" in oddities else -1
    ext = ".json.gz" if gzip else ".json"
    lines_total = 0
    for d, n in enumerate(per_day):
        day = first + dt.timedelta(days=d)
        day_rng = np.random.default_rng([seed, d])
        if d == skip:
            planted["missing_day"] += 1
            continue
        folder = out / f"date={day.isoformat()}"
        folder.mkdir(exist_ok=True)
        man.dates.append(day.isoformat())
        n_files = files_per_day or max(2, -(-n // 500_000))
        per_file = -(-n // n_files)
        eol = "\r\n" if "crlf" in oddities and d == 0 else "\n"
        part, handle, in_file = 0, None, 0
        for chunk in _day_lines(day_rng, world, n, day, d, fault_rate, planted):
            for line in chunk:
                if handle is None or in_file >= per_file:
                    if handle is not None:
                        handle.close()
                    path = folder / f"part-{part:05d}{ext}"
                    handle = gzip_mod.open(path, "wb", compresslevel=1) if gzip else open(path, "wb")
                    if "bom" in oddities and part == 0:
                        handle.write(b"\xef\xbb\xbf")
                        planted["bom"] += 1
                    part, in_file = part + 1, 0
                    man.files += 1
                handle.write((line + eol).encode("utf-8"))
                in_file += 1
                lines_total += 1
        assert handle is not None, f"day {day} has no events to write"  # was: an AttributeError
        if "invalid_utf8" in oddities:
            handle.write(b'{"event_id":"bad-utf8-' + str(d).encode() + b'","query":"caf\xe9 \xff"}' + b"\n")
            planted["invalid_utf8"] += 1
            lines_total += 1
        if "huge_line" in oddities and d == 0:
            rec = {"event_id": "huge", "query": "x" * HUGE_LINE_CHARS}
            handle.write((json.dumps(rec) + "\n").encode())
            planted["huge_line"] += 1
            lines_total += 1
        handle.close()
        if fault_rate > 0:
            empty = folder / f"part-{part:05d}{ext}"
            (gzip_mod.open(empty, "wb") if gzip else open(empty, "wb")).close()
            planted["empty_file"] += 1
            man.files += 1
    man.lines = lines_total
    man.planted = dict(sorted(planted.items()))
    quarantined: Counter = Counter()
    for kind, count in planted.items():
        if kind in REASON_OF:
            quarantined[REASON_OF[kind]] += count
    dups = planted.get("duplicate", 0)
    man.expected = {
        "rows_read": lines_total,
        "quarantined": dict(sorted(quarantined.items())),
        "duplicates_removed": dups,
        "rows_curated": lines_total - sum(quarantined.values()) - dups,
    }
    (out / "_manifest.json").write_text(man.to_json())
    return man
