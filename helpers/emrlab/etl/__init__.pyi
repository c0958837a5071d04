"""The Spark ETL: the seeded clickstream generator, the lake, the job and its rules, sessions,
the row ledger, lessons and the spark-submit entry point (``emrlab/etl/jobs``).

Imports the core only. Taught in notebooks/02_spark_etl.ipynb and labs/02_etl_quarantine.
"""

# The public face of this subpackage: its names load lazily on first use (emrlab.faces reads this stub).
from .datagen import HUGE_LINE_CHARS, NON_ASCII_QUERIES, generate
from .events import COUNTRIES, DEVICES
from .job import ensure_training_set, run
from .lake import Lake
from .ledger import Ledger
from .rules import BLANK, classify, read_lines
from .sessions import BROADCAST_MAX_IDS, deduplicate, session_features, sessionise

__all__ = [
    "BLANK",
    "BROADCAST_MAX_IDS",
    "COUNTRIES",
    "DEVICES",
    "HUGE_LINE_CHARS",
    "Lake",
    "Ledger",
    "NON_ASCII_QUERIES",
    "classify",
    "deduplicate",
    "ensure_training_set",
    "generate",
    "read_lines",
    "run",
    "session_features",
    "sessionise",
]
