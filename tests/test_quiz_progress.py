"""The SQLite progress store: attempts, Leitner boxes, weak areas, concurrency, interruptions."""

import multiprocessing
import os
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from emrlab.exceptions import ProgressError
from emrlab.quiz import engine as quizengine, progress as quizprogress
from tests.quiz_support import fixture_bank, items_by_id

ITEMS = items_by_id()
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def graded(correct_ids, exam="mla-c01"):
    items = list(ITEMS.values())
    return quizengine.grade(items, {i: ITEMS[i].answer for i in correct_ids}, exam)


def test_record_attempt_and_history(tmp_path):
    store = quizprogress.ProgressStore(tmp_path / "sub" / "p.sqlite3")
    first = store.record(graded(["fx-emr-001"]), source="t", now=T0)
    second = store.record(graded(["fx-emr-001", "fx-eval-001"]), source="t", now=T0)
    assert (first, second) == (1, 2)
    attempts = store.attempts()
    assert [a["correct"] for a in attempts] == [1, 2] and attempts[0]["total"] == 12
    assert attempts[1]["scaled"] == quizengine.scaled_score(2 / 12, "mla-c01")
    assert [ok for _at, ok in store.history("fx-eval-001")] == [False, True]


def test_leitner_boxes_and_due_queue(tmp_path):
    store = quizprogress.ProgressStore(tmp_path / "p.sqlite3")
    store.record(graded(["fx-emr-001"]), now=T0)
    boxes = store.boxes()
    assert boxes["fx-emr-001"] == 2 and boxes["fx-eval-001"] == 1  # new: right -> 2, wrong -> 1
    assert "fx-eval-001" in store.due(T0) and "fx-emr-001" not in store.due(T0)
    assert "fx-emr-001" in store.due(T0 + timedelta(days=1))
    for day in range(1, 5):
        store.record(graded(["fx-emr-001"]), now=T0 + timedelta(days=30 * day))
    assert store.boxes()["fx-emr-001"] == 5  # capped at box 5
    last = T0 + timedelta(days=120)
    assert "fx-emr-001" not in store.due(last + timedelta(days=20))
    assert "fx-emr-001" in store.due(last + timedelta(days=21))
    store.record(graded([]), now=last + timedelta(days=22))
    assert store.boxes()["fx-emr-001"] == 1  # a miss sends it back to box 1
    assert quizprogress.INTERVAL_DAYS == {1: 0, 2: 1, 3: 3, 4: 7, 5: 21}


def test_box_one_correct_is_due_after_interval(tmp_path):
    store = quizprogress.ProgressStore(tmp_path / "p.sqlite3")
    store.record(graded([]), now=T0)
    store.record(graded(["fx-algo-001"]), now=T0)  # box 1 -> 2: due one day later
    assert store.boxes()["fx-algo-001"] == 2
    assert "fx-algo-001" not in store.due(T0 + timedelta(hours=23))
    assert "fx-algo-001" in store.due(T0 + timedelta(days=1))
    store.record(graded(["fx-algo-001"]), now=T0 + timedelta(days=1))  # box 3: 3 days
    assert "fx-algo-001" not in store.due(T0 + timedelta(days=3, hours=23))
    assert "fx-algo-001" in store.due(T0 + timedelta(days=4))


def test_weak_areas_rank_lowest_accuracy_with_kit_links(tmp_path):
    store = quizprogress.ProgressStore(tmp_path / "p.sqlite3")
    everything_but_d2 = [i for i, item in ITEMS.items() if item.task("mla-c01")[0] != "2"]
    store.record(graded(everything_but_d2), now=T0)
    areas = store.weak_areas("mla-c01", limit=20)
    domains = [a for a in areas if a.kind == "domain"]
    assert domains[0].name.startswith("mla-c01 2 ") and domains[0].accuracy == 0.0
    assert "labs/03_mllib_pipeline" in domains[0].kit
    assert all(a.accuracy == 1.0 for a in domains[1:])
    assert {a.name for a in areas if a.kind == "topic" and a.accuracy == 0} == {
        "algorithms",
        "mllib",
        "model-evaluation",
    }
    assert "study" in quizprogress.format_areas(areas)
    assert store.weak_areas("mls-c01", limit=20)[0].kind == "topic"  # no MLS-C01 domains stored


def test_review_items_due_first_then_missed(tmp_path):
    store = quizprogress.ProgressStore(tmp_path / "p.sqlite3")
    store.record(graded(["fx-emr-001"]), now=T0)
    items = quizprogress.review_items(fixture_bank(), store, n=50, seed=3, now=T0)
    assert "fx-emr-001" not in {i.id for i in items} and len(items) == 11
    only_d4 = quizprogress.review_items(fixture_bank(), store, "mla-c01", 50, 3, "4", now=T0)
    assert {i.id for i in only_d4} == {"fx-case-002", "fx-case-003", "fx-spot-001"}


def _writer(path, n_attempts, barrier):
    barrier.wait()
    store = quizprogress.ProgressStore(path, timeout=60)
    for _ in range(n_attempts):
        store.record(graded(["fx-emr-001", "fx-algo-001"]), source=f"pid{os.getpid()}")


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def test_several_processes_write_at_once(tmp_path):
    path = tmp_path / "shared.sqlite3"  # created by the racing processes themselves
    ctx = _context()
    n_procs, n_attempts = 4, 8
    barrier = ctx.Barrier(n_procs)
    procs = [ctx.Process(target=_writer, args=(path, n_attempts, barrier)) for _ in range(n_procs)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * n_procs
    store = quizprogress.ProgressStore(path)
    assert len(store.attempts()) == n_procs * n_attempts
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == n_procs * n_attempts * 12
    assert store.boxes()["fx-emr-001"] == 5 and store.boxes()["fx-eval-001"] == 1
    con.close()


def _die_mid_write(path):
    store = quizprogress.ProgressStore(path)
    calls = {"n": 0}
    real_dumps = quizprogress.json.dumps

    def dumps(value, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 20:  # a few answers are written: the process dies inside the transaction
            os._exit(3)
        return real_dumps(value, *args, **kwargs)

    quizprogress.json.dumps = dumps
    store.record(graded(["fx-emr-001"]))


def test_a_killed_writer_leaves_no_partial_attempt(tmp_path):
    path = tmp_path / "p.sqlite3"
    store = quizprogress.ProgressStore(path)
    store.record(graded(["fx-emr-001"]))
    proc = _context().Process(target=_die_mid_write, args=(path,))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 3
    assert len(store.attempts()) == 1
    con = sqlite3.connect(path)
    assert con.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 12
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    store.record(graded([]))  # and the store still takes writes
    assert len(store.attempts()) == 2


def test_an_error_mid_write_rolls_back(tmp_path):
    store = quizprogress.ProgressStore(tmp_path / "p.sqlite3")
    result = graded(["fx-emr-001"])
    result.results[5].topics = [object()]  # not JSON: fails after some rows were inserted
    with pytest.raises(TypeError):
        store.record(result)
    assert store.attempts() == [] and store.boxes() == {}


def test_default_path_and_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("EMRLAB_QUIZ_DB", str(tmp_path / "env.sqlite3"))
    assert quizprogress.ProgressStore().path == tmp_path / "env.sqlite3"
    monkeypatch.delenv("EMRLAB_QUIZ_DB")
    assert quizprogress.default_db_path().name == "quiz-progress.sqlite3"


def test_unwritable_location_is_a_progress_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ProgressError):
        quizprogress.ProgressStore(blocker / "p.sqlite3")
