"""What an EMR cluster spec costs per hour and per run.

Taught in notebooks/01_emr_provisioning.ipynb and labs/01_emr_cluster_design.

Per instance and hour: the EC2 price (on demand, or Spot as a discount off it or a given Spot
price) plus the EMR uplift for the instance type (the same for Spot and on demand) plus attached
EBS (price per GB-month / 730 hours). Billing is per second with a one-minute minimum per
instance. Prices come from the dated snapshot ``emrlab/data/prices.json`` (see its ``taken``,
``source`` and per-entry ``confirmed`` fields) or from :func:`emrlab.emr.pricing.fetch_prices` in
AWS mode. An unknown instance type or region is an error listing the known ones, never a zero.

Simplifications: fleets are costed with their first instance type; managed scaling is costed at
the configured size; the root volume, S3, data transfer and a Spot bid price are not included.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from emrlab.emr.validate import as_request
from emrlab.exceptions import PriceNotFoundError, SpecError


@lru_cache(maxsize=1)
def load_prices() -> dict:
    """The bundled price snapshot (``emrlab/data/prices.json``)."""
    return json.loads(resources.files("emrlab").joinpath("data/prices.json").read_text("utf-8"))


def _region(prices: dict, region: str) -> dict:
    if region not in prices["regions"]:
        raise PriceNotFoundError(f"no prices for region {region!r} in the snapshot taken "
                                 f"{prices.get('taken')}; known regions: "
                                 f"{', '.join(sorted(prices['regions']))}")
    return prices["regions"][region]


def instance_price(instance_type: str, region: str = "us-east-1",
                   prices: dict | None = None) -> dict:
    """``{"ec2": USD/h, "emr": USD/h, "confirmed": bool, ...}`` for one instance type."""
    prices = prices or load_prices()
    table = _region(prices, region)["instances"]
    if instance_type not in table:
        raise PriceNotFoundError(f"no price for instance type {instance_type!r} in {region}; "
                                 f"known types: {', '.join(sorted(table))}")
    return table[instance_type]


def billed_hours(hours: float) -> float:
    """Hours billed for one instance running ``hours``: per second, one-minute minimum."""
    if hours < 0:
        raise SpecError(f"hours={hours} must be >= 0")
    return max(60, math.ceil(round(hours * 3600, 6))) / 3600


@dataclass
class LineItem:
    """One group or fleet: ``count`` instances of ``instance_type`` on ``market``."""

    role: str
    instance_type: str
    count: int
    market: str
    ec2_hour: float
    emr_hour: float
    ebs_hour: float

    @property
    def instance_hour(self) -> float:
        """USD per instance and hour (EC2 + EMR + EBS)."""
        return self.ec2_hour + self.emr_hour + self.ebs_hour

    @property
    def per_hour(self) -> float:
        """USD per hour for all ``count`` instances."""
        return self.count * self.instance_hour


@dataclass
class CostEstimate:
    """The cost of a spec in one region for a run of ``hours``."""

    region: str
    hours: float
    items: list[LineItem] = field(default_factory=list)
    prices_taken: str = ""
    confirmed: bool = False

    @property
    def per_hour(self) -> float:
        """USD per hour of the whole cluster."""
        return sum(i.per_hour for i in self.items)

    @property
    def per_run(self) -> float:
        """USD for one run of ``hours`` (per-second billing, one-minute minimum per instance)."""
        return self.per_hour * billed_hours(self.hours)

    def table(self) -> str:
        """A plain-text breakdown."""
        rows = [f"{'role':7} {'type':13} {'n':>3} {'market':9} {'EC2/h':>8} {'EMR/h':>8} "
                f"{'EBS/h':>8} {'total/h':>9}"]
        for i in self.items:
            rows.append(f"{i.role:7} {i.instance_type:13} {i.count:>3} {i.market:9} "
                        f"{i.ec2_hour:8.4f} {i.emr_hour:8.4f} {i.ebs_hour:8.4f} {i.per_hour:9.4f}")
        note = "" if self.confirmed else " (snapshot figures not confirmed; see prices.json)"
        rows.append(f"{self.region}, prices taken {self.prices_taken}{note}: "
                    f"{self.per_hour:.4f} USD/h, {self.per_run:.4f} USD for {self.hours:g} h")
        return "\n".join(rows)

    def __str__(self) -> str:
        return self.table()


def _ebs_gb(config: dict | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for dev in (config or {}).get("EbsBlockDeviceConfigs", []):
        vs = dev["VolumeSpecification"]
        out[vs["VolumeType"]] = out.get(vs["VolumeType"], 0) + vs["SizeInGB"] * dev.get(
            "VolumesPerInstance", 1)
    return out


def _nodes(request: dict):
    """(role, instance_type, count, market, ebs GB by type) for every group and fleet market."""
    inst = request.get("Instances", {})
    for g in inst.get("InstanceGroups", []):
        yield (g["InstanceRole"], g["InstanceType"], g["InstanceCount"],
               g.get("Market", "ON_DEMAND"), _ebs_gb(g.get("EbsConfiguration")))
    for f in inst.get("InstanceFleets", []):
        first = f["InstanceTypeConfigs"][0]
        weight = first.get("WeightedCapacity", 1)
        for market, units in (("ON_DEMAND", f.get("TargetOnDemandCapacity", 0)),
                              ("SPOT", f.get("TargetSpotCapacity", 0))):
            if units:
                yield (f["InstanceFleetType"], first["InstanceType"], math.ceil(units / weight),
                       market, _ebs_gb(first.get("EbsConfiguration")))


def estimate(spec, hours: float = 1.0, region: str = "us-east-1", *,
             spot_discount: float | None = None, spot_prices: dict[str, float] | None = None,
             prices: dict | None = None) -> CostEstimate:
    """Estimate a ClusterSpec's (or run_job_flow dict's) cost per hour and per run.

    Taught in notebooks/01_emr_provisioning.ipynb and labs/01_emr_cluster_design.

    Parameters
    ----------
    hours : float
        Length of one run, for :attr:`CostEstimate.per_run`.
    spot_discount : float, optional
        Fraction off the on-demand EC2 price for Spot (0 to 0.95); default from the snapshot.
    spot_prices : dict, optional
        Known Spot EC2 prices per instance type (USD/h); they win over the discount.
    prices : dict, optional
        A price table shaped like the snapshot (e.g. from :func:`emrlab.emr.pricing.fetch_prices`).
    """
    prices = prices or load_prices()
    discount = prices.get("spot_discount_default", 0.6) if spot_discount is None else spot_discount
    if not 0 <= discount <= 0.95:
        raise SpecError(f"spot_discount={discount} must be between 0 and 0.95")
    ebs_prices = _region(prices, region).get("ebs_gb_month", {})
    hours_per_month = prices.get("hours_per_month", 730)
    result = CostEstimate(region, hours, prices_taken=prices.get("taken", ""), confirmed=True)
    for role, itype, count, market, ebs in _nodes(as_request(spec)):
        price = instance_price(itype, region, prices)
        result.confirmed &= bool(price.get("confirmed"))
        ec2 = price["ec2"]
        if market == "SPOT":
            ec2 = (spot_prices or {}).get(itype, ec2 * (1 - discount))
        ebs_hour = 0.0
        for vtype, gb in ebs.items():
            if vtype not in ebs_prices:
                raise PriceNotFoundError(f"no EBS price for volume type {vtype!r} in {region}; "
                                         f"known: {', '.join(k for k in ebs_prices if k not in ('confirmed', 'note'))}")
            ebs_hour += gb * ebs_prices[vtype] / hours_per_month
        result.items.append(LineItem(role, itype, count, market, ec2, price["emr"], ebs_hour))
    return result


def compare_transient_persistent(spec, run_hours: float, runs_per_month: int = 30,
                                 region: str = "us-east-1", **kw) -> dict:
    """Monthly cost of a transient cluster (one per run) vs one left running all month.

    Taught in notebooks/01_emr_provisioning.ipynb.
    """
    est = estimate(spec, run_hours, region, **kw)
    hours_per_month = (kw.get("prices") or load_prices()).get("hours_per_month", 730)
    transient, persistent = runs_per_month * est.per_run, hours_per_month * est.per_hour
    return {"transient_usd": transient, "persistent_usd": persistent,
            "saving_usd": persistent - transient, "per_run_usd": est.per_run}


def compare_task_markets(spec, hours: float = 1.0, region: str = "us-east-1", **kw) -> dict:
    """Per-run cost with every task group/fleet on demand vs on Spot.

    Taught in notebooks/01_emr_provisioning.ipynb.
    """
    out = {}
    for market in ("ON_DEMAND", "SPOT"):
        req = as_request(spec)
        req = json.loads(json.dumps(req))  # a deep copy that leaves the caller's dict alone
        for g in req["Instances"].get("InstanceGroups", []):
            if g["InstanceRole"] == "TASK":
                g["Market"] = market
                g.pop("BidPrice", None)
        for f in req["Instances"].get("InstanceFleets", []):
            if f["InstanceFleetType"] == "TASK":
                total = f.get("TargetOnDemandCapacity", 0) + f.get("TargetSpotCapacity", 0)
                spot = market == "SPOT"
                f["TargetOnDemandCapacity"], f["TargetSpotCapacity"] = (0, total) if spot else (total, 0)
        out[market.lower() + "_usd"] = estimate(req, hours, region, **kw).per_run
    return out


def _chart_figure():
    """A Figure class that shows itself as PNG in Jupyter without pyplot."""
    import io

    from matplotlib.figure import Figure

    class ChartFigure(Figure):
        def _repr_png_(self) -> bytes:
            buf = io.BytesIO()
            self.savefig(buf, format="png", dpi=90)
            return buf.getvalue()

    return ChartFigure


def cost_chart(spec, hours: float = 1.0, region: str = "us-east-1", runs_per_month: int = 30,
               **kw):
    """A matplotlib Figure: per-run cost by node role, and transient vs persistent per month.

    Taught in notebooks/01_emr_provisioning.ipynb and labs/01_emr_cluster_design.
    """
    est = estimate(spec, hours, region, **kw)
    markets = compare_task_markets(spec, hours, region, **kw)
    monthly = compare_transient_persistent(spec, hours, runs_per_month, region, **kw)
    fig = _chart_figure()(figsize=(10, 3.6))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    labels = [f"{i.role}\n{i.count}x {i.instance_type}\n{i.market}" for i in est.items]
    ax1.bar(labels, [i.per_hour * billed_hours(hours) for i in est.items], color="#4c72b0")
    ax1.set_title(f"Per run ({hours:g} h), USD")
    ax1.tick_params(axis="x", labelsize=7)
    ax2.bar(["task on demand", "task Spot"], [markets["on_demand_usd"], markets["spot_usd"]],
            color=["#dd8452", "#55a868"])
    ax2.set_title("Per run, task market")
    ax3.bar(["transient", "persistent"], [monthly["transient_usd"], monthly["persistent_usd"]],
            color=["#55a868", "#c44e52"])
    ax3.set_title(f"Per month ({runs_per_month} runs)")
    fig.suptitle(f"{region}, prices taken {est.prices_taken}"
                 + ("" if est.confirmed else " (unconfirmed snapshot)"), fontsize=9)
    fig.tight_layout()
    return fig
