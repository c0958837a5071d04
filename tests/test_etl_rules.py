"""The quarantine rules, de-duplication and sessionisation on hand-made rows."""

import datetime as dt
import json

import pytest

from emrlab.etl import rules as etl_rules, sessions as etl_sessions

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    import emrlab

    return emrlab.spark.session()


def _event(**changes):
    rec = {"event_id": "e1", "ts": "2026-11-01T10:00:00.000001Z", "user_id": "u1",
           "event_type": "view", "product_id": "p1", "category": "books", "price": 9.5,
           "quantity": None, "device": "mobile", "country": "DE", "query": None}
    rec.update(changes)
    return json.dumps({k: v for k, v in rec.items() if v != "<absent>"}, ensure_ascii=False)


CASES = [
    (_event(), None),
    (_event(query="Fußball 東京 🌶", event_type="search"), None),
    (_event(ts="2026-11-01T12:00:00+02:00"), None),
    ('{"event_id": "e1", "ts": "2026-11-01T10:', "malformed_json"),
    ("[" + _event() + "]", "malformed_json"),
    ("not json at all", "malformed_json"),
    ("null", "malformed_json"),
    (_event(user_id="<absent>"), "missing_field"),
    (_event(device=None), "missing_field"),
    ("{}", "missing_field"),
    (_event(ts=1793527200), "wrong_type"),
    (_event(ts="yesterday"), "wrong_type"),
    (_event(price="N/A"), "wrong_type"),
    (_event(quantity="two"), "wrong_type"),
    (_event(user_id={"id": 1}), "wrong_type"),
    (_event(event_type="VIEW"), "invalid_enum"),
    (_event(device="smart-fridge"), "invalid_enum"),
    (_event(country="Germany"), "invalid_enum"),
    (_event(ts="2026-11-02T00:00:00.000000Z"), "out_of_window"),
    (_event(ts="2026-10-31T23:59:59.999999Z"), "out_of_window"),
    ('{"event_id":"x","query":"' + "x" * 1500 + '"}', "oversized_line"),
    ("   ", etl_rules.BLANK),
]


def test_each_kind_of_line_gets_its_reason(spark, tmp_path):
    day = tmp_path / "date=2026-11-01"
    day.mkdir()
    body = "\n".join(line for line, _ in CASES).encode() + b"\n"
    body += b'{"event_id":"e9","query":"caf\xe9"}\n'
    (day / "part-0.json").write_bytes(body)
    rows = etl_rules.classify(etl_rules.read_lines(spark, str(tmp_path)), max_line_chars=1000)
    got = [r["reason"] for r in rows.collect()]
    assert got == [reason for _, reason in CASES] + ["invalid_utf8"]
    kept = rows.filter("reason is null").collect()
    assert kept[1]["query"] == "Fußball 東京 🌶"
    assert kept[2]["ts"] == dt.datetime(2026, 11, 1, 10, 0)  # +02:00 stored as UTC
    bad = rows.filter("reason = 'malformed_json'").first()
    assert bad["line"].startswith('{"event_id"') and bad["source_file"].endswith("part-0.json")


def _frame(spark, rows):
    from pyspark.sql import types as T

    schema = T.StructType([T.StructField(n, t) for n, t in [
        ("event_id", T.StringType()), ("ts", T.TimestampType()), ("user_id", T.StringType()),
        ("event_type", T.StringType()), ("product_id", T.StringType()),
        ("category", T.StringType()), ("price", T.DoubleType()), ("quantity", T.IntegerType()),
        ("device", T.StringType()), ("country", T.StringType()), ("query", T.StringType()),
        ("date", T.DateType())]])
    full = []
    for eid, ts, user, etype, price in rows:
        full.append((eid, ts, user, etype, "p1", "books", price, 1, "mobile", "DE", None, ts.date()))
    return spark.createDataFrame(full, schema)


T0 = dt.datetime(2026, 11, 1, 10, 0, 0)


@pytest.mark.parametrize("max_ids", [etl_sessions.BROADCAST_MAX_IDS, 1, 0],
                         ids=["broadcast", "window-at-limit", "window"])
def test_dedup_keeps_the_first_by_ts_then_by_the_other_columns(spark, monkeypatch, max_ids):
    # max_ids=1 (two duplicated ids) and 0 force the window over every row: same answer.
    monkeypatch.setattr(etl_sessions, "BROADCAST_MAX_IDS", max_ids)
    rows = [("a", T0 + dt.timedelta(seconds=5), "u1", "view", 3.0),
            ("a", T0, "u1", "view", 2.0),
            ("a", T0, "u1", "view", 1.0),
            ("c", T0, "u3", "view", 1.0),
            ("c", T0, "u9", "view", 1.0),  # same id, another user: still one event
            ("b", T0, "u2", "view", 1.0)]
    for order in (rows, rows[::-1]):
        got = etl_sessions.deduplicate(_frame(spark, order)).collect()
        out = {r["event_id"]: r for r in got}
        assert len(got) == 3 and set(out) == {"a", "b", "c"}
        assert out["a"]["ts"] == T0 and out["a"]["price"] == 1.0 and out["a"]["n_copies"] == 3
        assert out["c"]["user_id"] == "u3" and out["c"]["n_copies"] == 2
        assert out["b"]["n_copies"] == 1


def test_a_new_session_starts_only_after_strictly_more_than_30_minutes(spark):
    gap = dt.timedelta(minutes=30)
    us = dt.timedelta(microseconds=1)
    t1 = T0 + gap               # exactly 30:00 -> same session
    t2 = t1 + gap + us          # 30:00.000001 -> new session
    t3 = t2 + dt.timedelta(minutes=1)
    t4 = t3 + gap + us          # new session; starts with a purchase
    rows = [("e0", T0, "u1", "view", 1.0), ("e1", t1, "u1", "add_to_cart", 2.0),
            ("e2", t2, "u1", "add_to_cart", 5.0), ("e3", t3, "u1", "purchase", 5.0),
            ("e4", t4, "u1", "purchase", 1.0), ("e5", t4 + us, "u1", "view", 1.0),
            ("x0", T0, "u2", "view", 1.0)]
    events = etl_sessions.sessionise(etl_sessions.deduplicate(_frame(spark, rows)))
    ids = {r["event_id"]: r["session_id"] for r in events.collect()}
    assert ids == {"e0": "u1-1", "e1": "u1-1", "e2": "u1-2", "e3": "u1-2", "e4": "u1-3",
                   "e5": "u1-3", "x0": "u2-1"}
    feats = {r["session_id"]: r for r in etl_sessions.session_features(events).collect()}
    s1, s2, s3 = feats["u1-1"], feats["u1-2"], feats["u1-3"]
    assert (s1["label"], s2["label"], s3["label"]) == (0, 1, 1)
    assert s1["n_events"] == 2 and s1["n_carts"] == 1 and s1["dwell_s"] == 1800.0
    # only events before the first purchase count: no leak of the purchase itself
    assert s2["n_events"] == 1 and s2["n_carts"] == 1 and s2["cart_value"] == 5.0
    assert s3["n_events"] == 0 and s3["dwell_s"] == 0.0
    assert (s1["user_prev_sessions"], s2["user_prev_sessions"], s3["user_prev_sessions"]) == (0, 1, 2)
    assert (s2["user_prev_purchases"], s3["user_prev_purchases"]) == (0, 1)
    assert s1["recency_s"] == -1.0 and s2["recency_s"] == pytest.approx(1800.000001)
