"""What a real-time endpoint costs next to batch transform, from a dated price table.

Taught in notebooks/05_sagemaker_handoff.ipynb.

Prices come from ``emrlab/data/sagemaker_prices.json`` (see its ``taken``, ``source``,
``method`` and per-entry ``confirmed`` fields); an unknown instance type or region is an error
listing the known ones, never a zero. An endpoint bills every hour it exists; batch transform
bills only while a job runs (per second).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from emrlab.exceptions import PriceNotFoundError

FALLBACK_REGION = "us-east-1"


@lru_cache(maxsize=1)
def load_prices() -> dict:
    """The bundled SageMaker price snapshot."""
    text = resources.files("emrlab").joinpath("data/sagemaker_prices.json").read_text("utf-8")
    return json.loads(text)


def price(instance_type: str, region: str, kind: str = "hosting") -> dict:
    """``{"usd_per_hour", "confirmed"}`` of one instance type for ``hosting`` or ``training``."""
    prices = load_prices()
    if region not in prices["regions"]:
        raise PriceNotFoundError(f"no SageMaker prices for region {region!r} (snapshot taken "
                                 f"{prices['taken']}); known: {', '.join(sorted(prices['regions']))}")
    table = prices["regions"][region]
    if instance_type not in table:
        raise PriceNotFoundError(f"no SageMaker price for {instance_type!r} in {region}; known: "
                                 f"{', '.join(sorted(table))}")
    if kind not in ("hosting", "training"):
        raise PriceNotFoundError(f"kind={kind!r} must be 'hosting' or 'training'")
    entry = table[instance_type]
    return {"usd_per_hour": entry[kind], "confirmed": entry["confirmed"]}


def endpoint_vs_batch(instance_type: str, region: str, batch_minutes_per_run: float = 10,
                      runs_per_month: int = 30, instances: int = 1) -> list[dict]:
    """Monthly cost of an always-on endpoint next to batch transform runs, as table rows.

    Taught in notebooks/05_sagemaker_handoff.ipynb. A region missing from the snapshot is
    priced with :data:`FALLBACK_REGION`'s figures, and the rows' ``note`` says so.
    """
    if batch_minutes_per_run <= 0 or runs_per_month < 0 or instances < 1:
        raise PriceNotFoundError("batch_minutes_per_run must be > 0, runs_per_month >= 0 and "
                                 "instances >= 1")
    notes: list[str] = []
    if region not in load_prices()["regions"]:
        notes.append(f"no snapshot for {region}: {FALLBACK_REGION} prices")
        region = FALLBACK_REGION
    p = price(instance_type, region)
    hours = load_prices()["hours_per_month"]
    batch_hours = batch_minutes_per_run / 60 * runs_per_month * instances
    note = "; ".join(notes + ([] if p["confirmed"] else ["unconfirmed price"]))
    return [
        {"option": "real-time endpoint (24/7)", "instance": instance_type,
         "instance_hours": hours * instances,
         "usd_per_month": round(hours * instances * p["usd_per_hour"], 2), "note": note},
        {"option": f"batch transform ({runs_per_month} x {batch_minutes_per_run:g} min)",
         "instance": instance_type, "instance_hours": round(batch_hours, 2),
         "usd_per_month": round(batch_hours * p["usd_per_hour"], 2), "note": note},
    ]


def training_cost(instance_type: str, region: str, minutes: float) -> dict:
    """One training job's cost: ``{"usd", "confirmed"}`` (per-second billing)."""
    p = price(instance_type, region, "training")
    return {"usd": round(minutes / 60 * p["usd_per_hour"], 4), "confirmed": p["confirmed"]}
