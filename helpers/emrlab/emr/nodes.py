"""EMR node definitions: instance groups, instance fleets and their EBS volumes.

Taught in notebooks/01_emr_provisioning.ipynb and labs/01_emr_cluster_design. The nodes of a
:class:`emrlab.emr.spec.ClusterSpec`. Each class turns into the
matching ``run_job_flow`` structure (``InstanceGroupConfig``, ``InstanceFleetConfig``,
``EbsConfiguration``) with ``to_api`` and reads it back with ``from_api``; keys not modelled here
travel unchanged in ``extra``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

_ROLE_ALIASES = {"primary": "MASTER", "master": "MASTER", "core": "CORE", "task": "TASK"}


def _role(value: str) -> str:
    return _ROLE_ALIASES.get(str(value).lower(), str(value).upper())


@dataclass
class EbsVolume:
    """EBS volumes attached to every instance of a group or fleet type (``VolumesPerInstance``)."""

    size_gb: int
    volume_type: str = "gp3"
    count: int = 1
    iops: int | None = None
    throughput: int | None = None

    def to_api(self) -> dict:
        spec: dict[str, Any] = {"VolumeType": self.volume_type, "SizeInGB": self.size_gb}
        if self.iops is not None:
            spec["Iops"] = self.iops
        if self.throughput is not None:
            spec["Throughput"] = self.throughput
        return {"VolumeSpecification": spec, "VolumesPerInstance": self.count}


def _ebs_to_api(volumes: list[EbsVolume]) -> dict:
    return {"EbsBlockDeviceConfigs": [v.to_api() for v in volumes], "EbsOptimized": True}


def _ebs_from_api(config: dict | None) -> list[EbsVolume]:
    out = []
    for dev in (config or {}).get("EbsBlockDeviceConfigs", []):
        vs = dev["VolumeSpecification"]
        out.append(EbsVolume(vs["SizeInGB"], vs["VolumeType"], dev.get("VolumesPerInstance", 1),
                             vs.get("Iops"), vs.get("Throughput")))
    return out


@dataclass
class InstanceGroup:
    """One uniform instance group: ``role`` is MASTER (primary), CORE or TASK."""

    role: str
    instance_type: str
    count: int = 1
    market: str = "ON_DEMAND"
    bid_price: str | None = None
    ebs: list[EbsVolume] = field(default_factory=list)
    name: str | None = None
    configurations: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.role = _role(self.role)

    def to_api(self) -> dict:
        out: dict[str, Any] = {
            "Name": self.name or self.role.lower(), "InstanceRole": self.role,
            "Market": self.market, "InstanceType": self.instance_type, "InstanceCount": self.count,
        }
        if self.bid_price is not None:
            out["BidPrice"] = str(self.bid_price)
        if self.ebs:
            out["EbsConfiguration"] = _ebs_to_api(self.ebs)
        if self.configurations:
            out["Configurations"] = copy.deepcopy(self.configurations)
        out.update(copy.deepcopy(self.extra))
        return out

    @classmethod
    def from_api(cls, d: dict) -> InstanceGroup:
        known = {"Name", "InstanceRole", "Market", "InstanceType", "InstanceCount", "BidPrice",
                 "EbsConfiguration", "Configurations"}
        return cls(d["InstanceRole"], d["InstanceType"], d["InstanceCount"],
                   d.get("Market", "ON_DEMAND"), d.get("BidPrice"),
                   _ebs_from_api(d.get("EbsConfiguration")),
                   None if d.get("Name") == d["InstanceRole"].lower() else d.get("Name"),
                   list(d.get("Configurations", [])), {k: v for k, v in d.items() if k not in known})


def primary(instance_type: str = "m7g.xlarge", count: int = 1, **kw) -> InstanceGroup:
    """The primary (MASTER) group: on demand, one node (three for high availability)."""
    return InstanceGroup("MASTER", instance_type, count, **kw)


def core(instance_type: str = "m7g.xlarge", count: int = 2, **kw) -> InstanceGroup:
    """The core group: runs tasks and holds HDFS blocks, so keep it on demand."""
    return InstanceGroup("CORE", instance_type, count, **kw)


def task(instance_type: str = "m7g.xlarge", count: int = 2, spot: bool = True,
         bid_price: str | None = None, **kw) -> InstanceGroup:
    """A task group: compute only (no HDFS), the natural place for Spot capacity."""
    return InstanceGroup("TASK", instance_type, count, "SPOT" if spot else "ON_DEMAND",
                         bid_price, **kw)


@dataclass
class FleetType:
    """One instance type a fleet may launch, with its weight in capacity units."""

    instance_type: str
    weight: int = 1
    bid_price_pct: float | None = None
    ebs: list[EbsVolume] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def to_api(self) -> dict:
        out: dict[str, Any] = {"InstanceType": self.instance_type, "WeightedCapacity": self.weight}
        if self.bid_price_pct is not None:
            out["BidPriceAsPercentageOfOnDemandPrice"] = float(self.bid_price_pct)
        if self.ebs:
            out["EbsConfiguration"] = _ebs_to_api(self.ebs)
        out.update(copy.deepcopy(self.extra))
        return out


@dataclass
class InstanceFleet:
    """An instance fleet: target on-demand/Spot capacity filled from several instance types."""

    role: str
    types: list[FleetType | str]
    on_demand: int = 0
    spot: int = 0
    spot_timeout_minutes: int | None = None
    spot_timeout_action: str | None = None
    spot_allocation: str | None = None
    on_demand_allocation: str | None = None
    name: str | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.role = _role(self.role)
        self.types = [FleetType(t) if isinstance(t, str) else t for t in self.types]

    def to_api(self) -> dict:
        out: dict[str, Any] = {
            "Name": self.name or self.role.lower(), "InstanceFleetType": self.role,
            "TargetOnDemandCapacity": self.on_demand, "TargetSpotCapacity": self.spot,
            "InstanceTypeConfigs": [(FleetType(t) if isinstance(t, str) else t).to_api()
                                    for t in self.types],
        }
        launch: dict[str, Any] = {}
        spot = {k: v for k, v in (("TimeoutDurationMinutes", self.spot_timeout_minutes),
                                  ("TimeoutAction", self.spot_timeout_action),
                                  ("AllocationStrategy", self.spot_allocation)) if v is not None}
        if spot:
            launch["SpotSpecification"] = spot
        if self.on_demand_allocation:
            launch["OnDemandSpecification"] = {"AllocationStrategy": self.on_demand_allocation}
        if launch:
            out["LaunchSpecifications"] = launch
        out.update(copy.deepcopy(self.extra))
        return out

    @classmethod
    def from_api(cls, d: dict) -> InstanceFleet:
        types: list[FleetType | str] = []
        for t in d.get("InstanceTypeConfigs", []):
            rest = {k: v for k, v in t.items() if k not in
                    {"InstanceType", "WeightedCapacity", "BidPriceAsPercentageOfOnDemandPrice",
                     "EbsConfiguration"}}
            types.append(FleetType(t["InstanceType"], t.get("WeightedCapacity", 1),
                                   t.get("BidPriceAsPercentageOfOnDemandPrice"),
                                   _ebs_from_api(t.get("EbsConfiguration")), rest))
        launch = d.get("LaunchSpecifications", {})
        spot, od = launch.get("SpotSpecification", {}), launch.get("OnDemandSpecification", {})
        known = {"Name", "InstanceFleetType", "TargetOnDemandCapacity", "TargetSpotCapacity",
                 "InstanceTypeConfigs", "LaunchSpecifications"}
        return cls(d["InstanceFleetType"], types, d.get("TargetOnDemandCapacity", 0),
                   d.get("TargetSpotCapacity", 0), spot.get("TimeoutDurationMinutes"),
                   spot.get("TimeoutAction"), spot.get("AllocationStrategy"),
                   od.get("AllocationStrategy"),
                   None if d.get("Name") == d["InstanceFleetType"].lower() else d.get("Name"),
                   {k: v for k, v in d.items() if k not in known})
