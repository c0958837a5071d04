"""The quiz progress store: attempts, per-question history, Leitner reviews, weak areas.

Taught in quiz/review_missed.ipynb.

The store is one SQLite file: the ``path`` argument, else ``EMRLAB_QUIZ_DB``, else
``quiz-progress.sqlite3`` in the user's data directory (platformdirs). It is safe to share:
WAL journal, a busy timeout, and every attempt written in one ``BEGIN IMMEDIATE`` transaction,
so concurrent writers wait for each other and an interrupted write leaves no partial attempt.

Leitner boxes
-------------
Every answered question sits in one of five boxes; a question seen for the first time starts
from box 1. A correct answer moves it up one box (at most 5), a wrong or blank answer back to
box 1. It is due for review this long after the
answer: box 1 at once, box 2 after 1 day, box 3 after 3 days, box 4 after 7 days, box 5 after
21 days (:data:`INTERVAL_DAYS`).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from emrlab.exceptions import ProgressError
from emrlab.quiz.blueprint import BLUEPRINTS
from emrlab.quiz.engine import ExamResult

INTERVAL_DAYS = {1: 0, 2: 1, 3: 3, 4: 7, 5: 21}
SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, exam TEXT NOT NULL,
    source TEXT NOT NULL, total INTEGER NOT NULL, correct INTEGER NOT NULL,
    raw REAL NOT NULL, scaled INTEGER NOT NULL, passed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL, at TEXT NOT NULL, answered INTEGER NOT NULL,
    correct INTEGER NOT NULL, given TEXT, domain TEXT NOT NULL, task TEXT NOT NULL,
    topics TEXT NOT NULL, kit TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS answers_question ON answers(question_id);
CREATE TABLE IF NOT EXISTS leitner (
    question_id TEXT PRIMARY KEY, box INTEGER NOT NULL, due TEXT NOT NULL, seen TEXT NOT NULL);
"""


def default_db_path() -> Path:
    """``EMRLAB_QUIZ_DB`` if set, else ``quiz-progress.sqlite3`` in the user data directory.

    Taught in quiz/review_missed.ipynb.
    """
    env = os.environ.get("EMRLAB_QUIZ_DB", "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("emrlab", appauthor=False)) / "quiz-progress.sqlite3"


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Area:
    """A domain or topic with its accuracy and where to study it."""

    kind: str
    name: str
    correct: int
    total: int
    kit: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Share of correct answers (0-1)."""
        return self.correct / self.total if self.total else 0.0


class ProgressStore:
    """A handle on the SQLite progress store; cheap to create, one connection per call.

    Taught in quiz/review_missed.ipynb.

    Parameters
    ----------
    path : str or Path, optional
        The database file; default :func:`default_db_path`. Its folder is created.
    timeout : float
        Seconds to wait for another writer (SQLite busy timeout).
    """

    def __init__(self, path: str | Path | None = None, timeout: float = 30.0) -> None:
        self.path = Path(path).expanduser() if path else default_db_path()
        self.timeout = timeout
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProgressError(f"cannot create the folder of {self.path}: {exc}") from exc
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    con.execute(statement)
            con.execute("COMMIT")

    def _connect(self) -> _Connection:
        try:
            con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            con.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise ProgressError(f"{self.path}: WAL journal mode refused (got {mode})")
            con.execute("PRAGMA synchronous = FULL")
            con.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise ProgressError(f"cannot open the progress store {self.path}: {exc}") from exc
        return _Connection(con)

    def record(self, result: ExamResult, source: str = "", now: datetime | None = None) -> int:
        """Store one graded quiz (attempt, answers, Leitner moves) atomically; return its id.

        Taught in quiz/review_missed.ipynb.
        """
        at = _now(now)
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            cur = con.execute(
                "INSERT INTO attempts(at, exam, source, total, correct, raw, scaled, passed)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (
                    _iso(at),
                    result.exam,
                    source,
                    result.total,
                    result.correct,
                    result.raw,
                    result.scaled,
                    int(result.passed),
                ),
            )
            attempt = cur.lastrowid
            assert attempt is not None  # set by the INSERT just run
            for r in result.results:
                con.execute(
                    "INSERT INTO answers(attempt_id, question_id, at, answered, correct, given,"
                    " domain, task, topics, kit) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        attempt,
                        r.id,
                        _iso(at),
                        int(r.answered),
                        int(r.correct),
                        json.dumps(r.given),
                        f"{result.exam}:{r.domain}",
                        r.task,
                        json.dumps(r.topics),
                        json.dumps(r.kit),
                    ),
                )
                row = con.execute("SELECT box FROM leitner WHERE question_id = ?", (r.id,))
                old = row.fetchone()
                box = min((old[0] if old else 1) + 1, 5) if r.correct else 1
                due = at + timedelta(days=INTERVAL_DAYS[box])
                con.execute(
                    "INSERT INTO leitner(question_id, box, due, seen) VALUES (?,?,?,?)"
                    " ON CONFLICT(question_id) DO UPDATE SET box=excluded.box,"
                    " due=excluded.due, seen=excluded.seen",
                    (r.id, box, _iso(due), _iso(at)),
                )
            con.execute("COMMIT")
        return int(attempt)

    def _rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._connect() as con:
            return con.execute(sql, args).fetchall()

    def attempts(self) -> list[dict]:
        """Every attempt, oldest first, as dicts."""
        cols = ("id", "at", "exam", "source", "total", "correct", "raw", "scaled", "passed")
        rows = self._rows(f"SELECT {', '.join(cols)} FROM attempts ORDER BY id")
        return [dict(zip(cols, row, strict=True)) for row in rows]

    def history(self, question_id: str) -> list[tuple[str, bool]]:
        """(time, correct) of every answer to one question, oldest first."""
        rows = self._rows(
            "SELECT at, correct FROM answers WHERE question_id = ? ORDER BY id", (question_id,)
        )
        return [(at, bool(ok)) for at, ok in rows]

    def boxes(self) -> dict[str, int]:
        """Question id -> Leitner box (1-5)."""
        return dict(self._rows("SELECT question_id, box FROM leitner ORDER BY question_id"))

    def due(self, now: datetime | None = None) -> list[str]:
        """Ids of questions due for review (lowest box, then longest overdue, first).

        Taught in quiz/review_missed.ipynb.
        """
        rows = self._rows(
            "SELECT question_id FROM leitner WHERE due <= ? ORDER BY box, due, question_id",
            (_iso(_now(now)),),
        )
        return [r[0] for r in rows]

    def missed(self) -> list[str]:
        """Ids of questions whose latest answer was wrong or blank."""
        rows = self._rows(
            "SELECT question_id, correct FROM answers a WHERE id = (SELECT MAX(id) FROM answers"
            " b WHERE b.question_id = a.question_id) ORDER BY question_id"
        )
        return [qid for qid, ok in rows if not ok]

    def weak_areas(
        self, exam: str | None = None, limit: int = 5, min_answers: int = 1
    ) -> list[Area]:
        """Domains and topics with the lowest accuracy, with kit sections of missed questions.

        Taught in quiz/review_missed.ipynb.

        Parameters
        ----------
        exam : str, optional
            Only domains graded against this exam (``mla-c01``); topics count for any exam.
        limit : int
            Areas to return.
        min_answers : int
            Ignore areas with fewer answers.
        """
        rows = self._rows("SELECT domain, topics, correct, kit FROM answers")
        areas: dict[tuple[str, str], Area] = {}
        kits: dict[tuple[str, str], set[str]] = defaultdict(set)
        for domain, topics, correct, kit in rows:
            names = [("topic", t) for t in json.loads(topics)]
            exam_code, _sep, d = domain.partition(":")
            if d != "-" and (exam is None or exam_code == exam.lower()):
                title = BLUEPRINTS[exam_code].domains.get(d, ("?", 0))[0]
                names.append(("domain", f"{exam_code} {d} {title}"))
            for name in names:
                area = areas.setdefault(name, Area(name[0], name[1], 0, 0))
                area.total += 1
                area.correct += int(correct)
                if not correct:
                    kits[name].update(json.loads(kit))
        ranked = [a for a in areas.values() if a.total >= min_answers]
        for area in ranked:
            area.kit = sorted(kits[(area.kind, area.name)])
        ranked.sort(key=lambda a: (a.accuracy, -a.total, a.kind, a.name))
        return ranked[:limit]


def format_areas(areas: list[Area]) -> str:
    """Weak areas as text lines: accuracy and the kit sections of missed questions.

    Taught in quiz/review_missed.ipynb.
    """
    if not areas:
        return "no answers recorded yet: take a quiz first (quiz/practice_exam.ipynb)"
    lines = []
    for a in areas:
        study = f"; study {', '.join(a.kit)}" if a.kit else ""
        lines.append(f"{a.kind} {a.name}: {a.correct}/{a.total} correct ({a.accuracy:.0%}){study}")
    return "\n".join(lines)


def review_items(
    bank,
    store: ProgressStore,
    exam: str = "mla-c01",
    n: int = 10,
    seed: int = 7,
    domains=None,
    now: datetime | None = None,
) -> list:
    """Questions to review: due in the Leitner queue first, then other missed ones.

    Taught in quiz/review_missed.ipynb. Ids no longer in the bank are skipped; ``domains``
    filters by ``exam``'s domains or tasks; options are shuffled with ``seed``.
    """
    from emrlab.quiz.sample import select, shuffle_item

    by_id = bank.by_id()
    wanted = list(dict.fromkeys(store.due(now) + store.missed()))
    items = [by_id[q] for q in wanted if q in by_id and by_id[q].type != "case_study"]
    if domains:
        items = select(items, exam, domains)
    return [shuffle_item(item, seed) for item in items[:n]]


class _Connection:
    """Context manager: roll back an open transaction on error, always close."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        return self.con

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.con.in_transaction:
                self.con.execute("ROLLBACK")
        finally:
            self.con.close()
        if isinstance(exc, sqlite3.Error):
            raise ProgressError(f"progress store error: {exc}") from exc
