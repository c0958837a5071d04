"""Re-execute the quiz notebooks in place with their default parameters.

Run it after the question bank or the quiz code changes: ``python quiz/refresh_outputs.py``
(or name notebooks: ``python quiz/refresh_outputs.py quiz/practice_exam.ipynb``). It keeps
execution counts (nbval needs them), drops per-cell timings and saved widget state (random
model ids and option texts that only churn the diff), and uses an empty, temporary progress
store, as ``quiz/conftest.py`` does for ``pytest --nbval quiz/``. Then check with
``pytest --nbval quiz/ --nbval-sanitize-with quiz/nbval_sanitize.cfg``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

QUIZ_DIR = Path(__file__).resolve().parent


def refresh(path: Path) -> None:
    """Execute one notebook in ``quiz/`` and write it back with outputs and counts."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(QUIZ_DIR)}},
    )
    client.execute()
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)


def main(argv: list[str]) -> int:
    """Refresh the named notebooks, or every ``quiz/*.ipynb``."""
    paths = [Path(a).resolve() for a in argv] or sorted(QUIZ_DIR.glob("*.ipynb"))
    with tempfile.TemporaryDirectory(prefix="emrlab-quiz-refresh-") as tmp:
        os.environ["EMRLAB_QUIZ_DB"] = str(Path(tmp) / "progress.sqlite3")
        os.environ.pop("EMRLAB_QUIZ_BANK", None)
        for path in paths:
            refresh(path)
            print(f"refreshed {path.relative_to(QUIZ_DIR.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
