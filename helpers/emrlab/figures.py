"""Headline figures: numbers a notebook records for the run report.

Taught in notebooks/00_start_here.ipynb. A notebook calls :func:`record` for the few figures
that matter (rows curated, AUC, cost per hour ...). Each is displayed as a plain line and as a
JSON output of its own MIME type, which ``emrlab run`` reads back from the executed notebook
(the way scrapbook "glues" values), so no side files or shared state are needed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

MIME = "application/vnd.emrlab.figure+json"


def _plain(value: Any) -> Any:
    """A JSON-safe version of numbers from numpy/pandas."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def record(name: str, value: Any, unit: str = "") -> Any:
    """Show ``name = value`` and record it for the run report; returns ``value``.

    Parameters
    ----------
    name : str
        Short, stable name (e.g. ``"rows_curated"``).
    value : number or str
        The figure.
    unit : str, optional
        Unit shown after the value (``"s"``, ``"USD/h"``).
    """
    from IPython.display import display

    value = _plain(value)
    text = f"{name} = {value}{(' ' + unit) if unit else ''}"
    display({"text/plain": text, MIME: {"name": name, "value": value, "unit": unit}}, raw=True)
    return value


def read(notebook: str | Path | dict) -> dict[str, Any]:
    """The figures recorded in an executed notebook (a path or a loaded notebook dict)."""
    nb = notebook if isinstance(notebook, dict) else json.loads(Path(notebook).read_text())
    found: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data", {})
            if MIME in data:
                item = data[MIME]
                found[item["name"]] = (item["value"], item.get("unit", ""))
    return found
