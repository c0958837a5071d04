"""The synthetic clickstream: deterministic, bounded, and its manifest tells the truth."""

import gzip
import hashlib
import json

import pytest

from emrlab.etl import datagen
from emrlab.exceptions import ParameterError


def _digest(folder):
    h = hashlib.sha256()
    for path in sorted(folder.glob("date=*/part-*")):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def _lines(folder):
    out = []
    for path in sorted(folder.glob("date=*/part-*")):
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data) if data else b""
        out += [line for line in data.splitlines() if line.strip()]
    return out


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a = datagen.generate(tmp_path / "a", 3000, seed=7, fault_rate=0.05)
    b = datagen.generate(tmp_path / "b", 3000, seed=7, fault_rate=0.05)
    datagen.generate(tmp_path / "c", 3000, seed=8, fault_rate=0.05)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b") != _digest(tmp_path / "c")
    assert a.planted == b.planted and a.expected == b.expected


def test_manifest_counts_match_the_files(tmp_path):
    man = datagen.generate(tmp_path, 6000, seed=1, days=3, fault_rate=0.1)
    lines = _lines(tmp_path)
    assert len(lines) == man.lines == man.expected["rows_read"] == 6000
    assert man.dates == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert man.planted["empty_file"] == 3
    assert sorted(p.stat().st_size == 0 for p in tmp_path.glob("date=*/part-*")).count(True) == 3
    bad, ids = 0, []
    for raw in lines:
        try:
            rec = json.loads(raw)
        except ValueError:
            bad += 1
            continue

        if rec.get("event_id"):
            ids.append(rec["event_id"])
    assert bad == man.planted["malformed_json"]
    dups = len(ids) - len(set(ids))
    assert dups == man.planted["duplicate"] > 0
    non_ascii = [raw for raw in lines if any(ord(ch) > 127 for ch in raw.decode("utf-8"))]
    assert len(non_ascii) >= man.planted["non_ascii"] > 0
    expected = man.expected
    assert expected["rows_curated"] == 6000 - sum(expected["quarantined"].values()) - dups
    assert json.loads((tmp_path / "_manifest.json").read_text())["expected"] == expected


def test_skew_heavy_users_and_popular_products(tmp_path):
    datagen.generate(tmp_path, 20000, seed=3, fault_rate=0.0)
    users, products = {}, {}
    for raw in _lines(tmp_path):
        rec = json.loads(raw)
        users[rec["user_id"]] = users.get(rec["user_id"], 0) + 1
        if rec["product_id"]:
            products[rec["product_id"]] = products.get(rec["product_id"], 0) + 1
    top = sorted(users.values(), reverse=True)
    assert sum(top[: max(1, len(top) // 100)]) > 0.05 * sum(top)  # top 1% of users: > 5% of events
    assert max(products.values()) > 20 * (sum(products.values()) / len(products))


def test_gzip_and_oddities(tmp_path):
    man = datagen.generate(tmp_path, 3000, seed=2, gzip=True, fault_rate=0.02,
                           oddities=["bom", "crlf", "invalid_utf8", "huge_line", "missing_day"])
    assert man.dates == ["2026-11-01", "2026-11-03"]
    assert all(p.name.endswith(".json.gz") for p in tmp_path.glob("date=*/part-*"))
    first = gzip.decompress(sorted((tmp_path / "date=2026-11-01").glob("part-*"))[0].read_bytes())
    assert first.startswith(b"\xef\xbb\xbf") and b"\r\n" in first
    assert man.expected["quarantined"]["invalid_utf8"] == 2
    assert man.expected["quarantined"]["oversized_line"] == 1
    assert man.expected["rows_read"] == man.lines == len(_lines(tmp_path))


@pytest.mark.parametrize("kwargs, word", [
    (dict(n_events="1000"), "n_events"),
    (dict(n_events=5), "n_events"),
    (dict(n_events=1000, fault_rate=0.9), "fault_rate"),
    (dict(n_events=1000, start_date="2026-13-45"), "start_date"),
    (dict(n_events=1000, oddities=["gremlins"]), "oddities"),
    (dict(n_events=1000, days=2, oddities=["missing_day"]), "missing_day"),
])
def test_bad_parameters_are_refused_before_writing(tmp_path, kwargs, word):
    with pytest.raises(ParameterError, match=word):
        datagen.generate(tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()
