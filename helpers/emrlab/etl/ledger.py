"""The row ledger of an ETL run: every row read is curated, quarantined or a removed duplicate.

Taught in notebooks/02_spark_etl.ipynb and labs/02_etl_quarantine.

The counts come from different places on purpose: ``rows_read`` from the parse of the raw
input, ``rows_curated`` and ``quarantined`` from the Parquet actually written (read back), and
``duplicates_removed`` from the de-duplication. If a filter, a join or a write loses or invents
rows, ``rows_read == rows_curated + sum(quarantined) + duplicates_removed`` no longer holds
and :meth:`Ledger.check` raises :class:`~emrlab.exceptions.LedgerMismatch`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from emrlab.exceptions import LedgerMismatch

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Ledger:
    """The accounting of one ETL run (written as JSON to the ledger zone).

    Attributes
    ----------
    rows_read : int
        Non-blank raw lines (blank lines are counted in ``blank_lines`` and are not rows).
    rows_curated : int
        Events written to the curated zone.
    quarantined : dict
        Rows written to the quarantine zone, by reason.
    duplicates_removed : int
        Valid rows dropped because an earlier row had the same ``event_id``.
    sessions, sessions_with_purchase : int
        Rows of the training set and its positives.
    dates, missing_dates : list of str
        Day folders read, and days between the first and last with no folder.
    files : dict
        Files written per output (``events``, ``sessions``, ``quarantine``).
    """

    run_id: str
    raw: str
    curated: str
    quarantine: str
    codec: str
    rows_read: int = 0
    blank_lines: int = 0
    rows_curated: int = 0
    quarantined: dict = field(default_factory=dict)
    duplicates_removed: int = 0
    sessions: int = 0
    sessions_with_purchase: int = 0
    dates: list = field(default_factory=list)
    missing_dates: list = field(default_factory=list)
    files: dict = field(default_factory=dict)
    seconds: float = 0.0
    balanced: bool = False

    @property
    def rows_quarantined(self) -> int:
        """All quarantined rows, whatever the reason."""
        return sum(self.quarantined.values())

    def difference(self) -> int:
        """``rows_read`` minus everything accounted for (0 when the ledger balances)."""
        return self.rows_read - self.rows_curated - self.rows_quarantined - self.duplicates_removed

    def check(self) -> Ledger:
        """Raise :class:`LedgerMismatch` unless the equation holds; returns ``self``.

        Taught in notebooks/02_spark_etl.ipynb.
        """
        diff = self.difference()
        self.balanced = diff == 0
        if diff:
            raise LedgerMismatch(
                f"run {self.run_id}: rows_read={self.rows_read} but curated={self.rows_curated} "
                f"+ quarantined={self.rows_quarantined} {self.quarantined} + duplicates="
                f"{self.duplicates_removed} leaves {diff:+d} row(s) unaccounted for"
            )
        return self

    def to_json(self) -> str:
        """The ledger as indented JSON."""
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    def save(self, folder: str) -> str:
        """Write ``<folder>/<run_id>.json`` and ``<folder>/latest.json``; returns the first.

        ``folder`` may be an ``s3://`` URI (written with boto3) or a local folder.
        """
        text = self.to_json()
        if folder.startswith("s3://"):
            from emrlab.aws import client

            bucket, _, prefix = folder[len("s3://"):].partition("/")
            s3 = client("s3")
            for name in (f"{self.run_id}.json", "latest.json"):
                s3.put_object(Bucket=bucket, Key=f"{prefix.strip('/')}/{name}", Body=text.encode())
            return f"{folder.rstrip('/')}/{self.run_id}.json"
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        (path / f"{self.run_id}.json").write_text(text)
        (path / "latest.json").write_text(text)
        return str(path / f"{self.run_id}.json")

    @classmethod
    def load(cls, path: str) -> Ledger:
        """Read a ledger JSON file (or ``latest.json`` of a local ledger folder)."""
        p = Path(path)
        if p.is_dir():
            p = p / "latest.json"
        return cls(**json.loads(p.read_text()))

    def as_frame(self) -> pd.DataFrame:
        """The ledger as a small pandas DataFrame (``bucket``, ``rows``) for charts."""
        import pandas as pd

        rows = [("curated", self.rows_curated), ("duplicates", self.duplicates_removed)]
        rows += [(f"quarantine: {k}", v) for k, v in sorted(self.quarantined.items())]
        return pd.DataFrame(rows, columns=["bucket", "rows"])
