"""What an EMR cluster spec costs per hour and per run, and the most it can cost.

Taught in notebooks/01_emr_provisioning.ipynb and labs/01_emr_cluster_design.

Per instance and hour: the EC2 price (on demand, or Spot as a discount off it or a given Spot
price) plus the EMR uplift for the instance type (the same for Spot and on demand) plus attached
EBS (price per GB-month / 730 hours). Billing is per second with a one-minute minimum per
instance. Prices come from the dated snapshot ``emrlab/data/prices.json`` (see its ``taken``,
``source`` and per-entry ``confirmed`` fields) or from :func:`emrlab.emr.pricing.fetch_prices` in
AWS mode. An unknown instance type or region is an error listing the known ones, never a zero.

Instance fleets are priced at the most expensive launch EMR may choose, and scaling ceilings
count when ``at_ceiling=True``: :mod:`emrlab.emr.capacity` says how.

Simplifications: Spot is priced at the snapshot's discount (or a given Spot price), never at a
Spot price spike; the root volume, S3, data transfer and a Spot bid price are not included.
"""

from __future__ import annotations

import difflib
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from emrlab.emr.capacity import (
    MARKETS,
    auto_scaling_ceiling,
    check_counts,
    compute_limits,
    entries,
    mapping,
    worst_fill,
)
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
                                 f"known types: {_some(instance_type, table)}")
    return table[instance_type]


def _some(name: str, known: dict, most: int = 12) -> str:
    """``known`` names for an error message: all of a short list, else the closest ones."""
    if len(known) <= most:
        return ", ".join(sorted(known))
    family = name.split(".")[0]
    near = sorted(k for k in known if k.split(".")[0] == family)[:most] or sorted(
        difflib.get_close_matches(name, list(known), n=most, cutoff=0.5))
    shown = ", ".join(near) + ", ..." if near else ", ".join(sorted(known)[:most]) + ", ..."
    return f"{shown} ({len(known)} in all; see emrlab.emr.load_prices())"


def vcpus(instance_type: str, region: str = "us-east-1", prices: dict | None = None) -> int | None:
    """The vCPU count of ``instance_type`` (the price entry's ``vcpu``), or None when unknown.

    Taught in notebooks/01_emr_provisioning.ipynb (managed scaling in VCPU units).
    """
    try:
        entry = instance_price(instance_type, region, prices)
    except PriceNotFoundError:
        return None
    value = entry.get("vcpu")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def billed_hours(hours: float) -> float:
    """Hours billed for one instance running ``hours``: per second, one-minute minimum."""
    if hours < 0:
        raise SpecError(f"hours={hours} must be >= 0")
    return max(60, math.ceil(round(hours * 3600, 6))) / 3600


# ---------------------------------------------------------------------------------------------
# Counts: every count is a whole number, checked before anything is counted or priced.

@dataclass
class LineItem:
    """One group, fleet target or scaling ceiling: ``count`` instances of ``instance_type``."""

    role: str
    instance_type: str
    count: int
    market: str
    ec2_hour: float
    emr_hour: float
    ebs_hour: float
    note: str = ""

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
    """The cost of a spec in one region for a run of ``hours``.

    ``worst_case`` is True when a fleet has several instance types (priced at its most expensive
    launch) or a scaling ceiling was priced (``estimate(..., at_ceiling=True)``).
    """

    region: str
    hours: float
    items: list[LineItem] = field(default_factory=list)
    prices_taken: str = ""
    confirmed: bool = False
    worst_case: bool = False

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
                        f"{i.ec2_hour:8.4f} {i.emr_hour:8.4f} {i.ebs_hour:8.4f} {i.per_hour:9.4f}"
                        + (f"  ({i.note})" if i.note else ""))
        note = "" if self.confirmed else " (snapshot figures not confirmed; see prices.json)"
        worst = " at most" if self.worst_case else ""
        rows.append(f"{self.region}, prices taken {self.prices_taken}{note}:{worst} "
                    f"{self.per_hour:.4f} USD/h, {self.per_run:.4f} USD for {self.hours:g} h")
        if self.worst_case:
            rows.append("(worst case: fleets at the most expensive launch EMR may choose, "
                        "scaling at its ceiling where asked; see emrlab.emr.costs)")
        return "\n".join(rows)

    def __str__(self) -> str:
        return self.table()


def _ebs_gb(config: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for dev in mapping(config).get("EbsBlockDeviceConfigs", []):
        vs = dev["VolumeSpecification"]
        out[vs["VolumeType"]] = out.get(vs["VolumeType"], 0) + vs["SizeInGB"] * dev.get(
            "VolumesPerInstance", 1)
    return out


@dataclass
class _Option:
    """One instance type a pool may launch: its weight in units and the markets it may use."""

    instance_type: str
    weight: int
    markets: tuple[str, ...]
    ebs: dict[str, float]


@dataclass
class _Pool:
    """Capacity ``units`` a group or fleet target fills from ``options`` (worst launch priced)."""

    role: str
    units: int
    options: list[_Option]
    note: str = ""


def _spot_may_switch(fleet: dict) -> bool:
    spot = mapping(mapping(fleet.get("LaunchSpecifications")).get("SpotSpecification"))
    return spot.get("TimeoutAction") == "SWITCH_TO_ON_DEMAND"


def _pools(request: dict, at_ceiling: bool) -> list[_Pool]:
    """The capacity pools of every group, fleet target and the legacy master/slave shape."""
    inst = mapping(request.get("Instances"))
    pools = []
    for _, g in entries(inst, "InstanceGroups"):
        count, note = g["InstanceCount"], ""
        ceiling = auto_scaling_ceiling(g)
        if at_ceiling and ceiling > count:
            count, note = ceiling, f"auto-scaling ceiling MaxCapacity {ceiling}"
        pools.append(_Pool(g["InstanceRole"], count, [_Option(
            g["InstanceType"], 1, (g.get("Market", "ON_DEMAND"),),
            _ebs_gb(g.get("EbsConfiguration")))], note))
    for _, f in entries(inst, "InstanceFleets"):
        configs = f["InstanceTypeConfigs"]
        for market, key in (("ON_DEMAND", "TargetOnDemandCapacity"), ("SPOT", "TargetSpotCapacity")):
            units = f.get(key, 0)
            if not units:
                continue
            markets: tuple[str, ...] = (market,)
            notes = [f"{len(configs)} types: worst launch"] if len(configs) > 1 else []
            if market == "SPOT" and _spot_may_switch(f):
                markets = MARKETS
                notes.append("Spot may switch to on demand")
            pools.append(_Pool(f["InstanceFleetType"], units, [
                _Option(c["InstanceType"], c.get("WeightedCapacity", 1), markets,
                        _ebs_gb(c.get("EbsConfiguration"))) for c in configs], "; ".join(notes)))
    if not inst.get("InstanceGroups") and not inst.get("InstanceFleets"):
        total = inst.get("InstanceCount", 1)
        if inst.get("MasterInstanceType") and total:
            pools.append(_Pool("MASTER", 1, [_Option(inst["MasterInstanceType"], 1,
                                                       ("ON_DEMAND",), {})]))
        if inst.get("SlaveInstanceType") and total > 1:
            pools.append(_Pool("CORE", total - 1, [_Option(inst["SlaveInstanceType"], 1,
                                                             ("ON_DEMAND",), {})]))
    return pools


def _worker_options(request: dict) -> list[_Option]:
    """Every core and task option managed scaling may add: a group's type on its market, a
    fleet's types on either market (the on-demand share is not bounded below the maximum)."""
    inst = mapping(request.get("Instances"))
    out = [_Option(g["InstanceType"], 1, (g.get("Market", "ON_DEMAND"),),
                   _ebs_gb(g.get("EbsConfiguration")))
           for _, g in entries(inst, "InstanceGroups") if g.get("InstanceRole") != "MASTER"]
    out += [_Option(c["InstanceType"], c.get("WeightedCapacity", 1), MARKETS,
                    _ebs_gb(c.get("EbsConfiguration")))
            for _, f in entries(inst, "InstanceFleets") if f.get("InstanceFleetType") != "MASTER"
            for c in f["InstanceTypeConfigs"]]
    if not out and inst.get("SlaveInstanceType"):
        out.append(_Option(inst["SlaveInstanceType"], 1, ("ON_DEMAND",), {}))
    return out


def scaling_options(request: dict) -> list[tuple[str, int]]:
    """``(instance_type, WeightedCapacity)`` of every core and task option managed scaling may
    add (instance groups and the legacy shape weigh 1).

    Taught in notebooks/01_emr_provisioning.ipynb.
    """
    return [(o.instance_type, o.weight) for o in _worker_options(request)]


class _Pricer:
    """Prices options in one region with the estimate's Spot settings; tracks ``confirmed``."""

    def __init__(self, prices: dict, region: str, discount: float, spot_prices: dict | None):
        self.prices, self.region, self.discount = prices, region, discount
        self.spot_prices = spot_prices or {}
        self.ebs_prices = _region(prices, region).get("ebs_gb_month", {})
        self.hours_per_month = prices.get("hours_per_month", 730)
        self.confirmed = True

    def item(self, role: str, option: _Option, market: str, count: int = 0,
             note: str = "") -> LineItem:
        price = instance_price(option.instance_type, self.region, self.prices)
        self.confirmed &= bool(price.get("confirmed"))
        ec2 = price["ec2"]
        if market == "SPOT":
            ec2 = self.spot_prices.get(option.instance_type, ec2 * (1 - self.discount))
        ebs_hour = 0.0
        for vtype, gb in option.ebs.items():
            if vtype not in self.ebs_prices:
                known = ", ".join(k for k in self.ebs_prices if k not in ("confirmed", "note"))
                raise PriceNotFoundError(f"no EBS price for volume type {vtype!r} in "
                                         f"{self.region}; known: {known}")
            ebs_hour += gb * self.ebs_prices[vtype] / self.hours_per_month
        return LineItem(role, option.instance_type, count, market, ec2, price["emr"], ebs_hour,
                        note)

    def dearest(self, role: str, option: _Option, note: str = "") -> LineItem:
        """The option at the dearest of its markets."""
        return max((self.item(role, option, m, note=note) for m in option.markets),
                   key=lambda i: i.instance_hour)

    def fill(self, role: str, units: int, options: list[_Option], weights: list[int],
             note: str = "") -> list[LineItem]:
        """Line items of the worst launch of ``units`` (see :func:`worst_fill`)."""
        items = [self.dearest(role, o, note) for o in options]
        if units == 0 and len(items) == 1:
            return items  # an empty group still shows its type and price, with n = 0
        _, counts = worst_fill(units, [(w, i.instance_hour) for w, i in zip(weights, items, strict=True)])
        out = []
        for item, n in zip(items, counts, strict=True):
            if n:
                item.count = n
                out.append(item)
        return out


def _ceiling_items(request: dict, pricer: _Pricer) -> list[LineItem]:
    """Line items of managed scaling's ceiling filled with the dearest core/task options."""
    limits = compute_limits(request)
    options = _worker_options(request)
    if not limits or not options:
        return []
    unit, units = limits.get("UnitType"), limits.get("MaximumCapacityUnits", 0)
    weights = [1] * len(options)
    note = f"managed scaling ceiling: {units} instances"
    if unit == "InstanceFleetUnits":
        weights, note = [o.weight for o in options], f"managed scaling ceiling: {units} fleet units"
    elif unit == "VCPU":
        counts = [vcpus(o.instance_type, pricer.region, pricer.prices) for o in options]
        unknown = sorted({o.instance_type for o, v in zip(options, counts, strict=True) if v is None})
        if unknown:
            note = (f"managed scaling ceiling: {units} vCPUs, each priced as a whole instance "
                    f"(an upper bound: the vCPU count of {', '.join(unknown)} is unknown)")
        else:
            weights, note = [v or 1 for v in counts], f"managed scaling ceiling: {units} vCPUs"
    return pricer.fill("CORE/TASK", units, options, weights, note)


def estimate(spec, hours: float = 1.0, region: str = "us-east-1", *,
             spot_discount: float | None = None, spot_prices: dict[str, float] | None = None,
             prices: dict | None = None, at_ceiling: bool = False) -> CostEstimate:
    """Estimate a ClusterSpec's (or run_job_flow dict's) cost per hour and per run.

    Taught in notebooks/01_emr_provisioning.ipynb and labs/01_emr_cluster_design.

    Instance fleets are priced at the most expensive launch EMR may choose (see the module
    docstring); instance groups at their ``InstanceCount``.

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
    at_ceiling : bool
        Price the largest size scaling allows: auto-scaling ``MaxCapacity`` per group and managed
        scaling's ``MaximumCapacityUnits`` (what :mod:`emrlab.emr.guardrails` checks).

    Raises
    ------
    SpecError
        A count, target, weight or scaling limit is not a whole number in range (each named by
        its field path), or ``spot_discount`` is outside 0 to 0.95.
    PriceNotFoundError
        The region, an instance type or a volume type is not in the price table.
    """
    request = as_request(spec)
    check_counts(request)
    prices = prices or load_prices()
    discount = prices.get("spot_discount_default", 0.6) if spot_discount is None else spot_discount
    if not 0 <= discount <= 0.95:
        raise SpecError(f"spot_discount={discount} must be between 0 and 0.95")
    pricer = _Pricer(prices, region, discount, spot_prices)
    result = CostEstimate(region, hours, prices_taken=prices.get("taken", ""))
    for pool in _pools(request, at_ceiling):
        result.items += pricer.fill(pool.role, pool.units, pool.options,
                                    [o.weight for o in pool.options], pool.note)
    if at_ceiling:
        ceiling = _ceiling_items(request, pricer)
        workers = [i for i in result.items if i.role != "MASTER"]
        if sum(i.per_hour for i in ceiling) > sum(i.per_hour for i in workers):
            result.items = [i for i in result.items if i.role == "MASTER"] + ceiling
    result.confirmed = pricer.confirmed
    result.worst_case = any(i.note for i in result.items)
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
