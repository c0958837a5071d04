"""Offline validation of an EMR ``run_job_flow`` request against the real API model.

Taught in notebooks/01_emr_provisioning.ipynb and labs/01_emr_cluster_design.

Two layers, both run before anything reaches AWS or the emulator:

1. :func:`model_problems`: botocore's own EMR service model (the JSON that boto3 ships), walked
   through its public shape API: required fields, unknown fields, types, minimum ranges and
   lengths, and the model's enums (which botocore's ParamValidator does not check). No
   hand-written schema.
2. :func:`rule_problems`: rules the model cannot express (groups xor fleets, BidPrice only with
   SPOT, Spot timeouts 5-1440 minutes, IdleTimeout 60 s to 7 days, release-label format, one
   primary node group/fleet with 1 or 3 nodes, GPU types need the YARN GPU configuration,
   managed-scaling limits, instance-type format).

Every :class:`Problem` names its field path, e.g. ``Instances.InstanceGroups[2].BidPrice``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from emrlab.exceptions import SpecError

RELEASE_RE = re.compile(r"^emr-(spark-)?(\d+)\.(\d+)\.(\d+)$")
INSTANCE_TYPE_RE = re.compile(
    r"^[a-z]+\d+[a-z0-9-]*\.(nano|micro|small|medium|large|xlarge|\d+xlarge|metal(-\d+xl)?)$")
# NVIDIA GPU families EMR offers (RAPIDS needs NVIDIA; g4ad is AMD, g5g is ARM).
GPU_FAMILIES = {"g4dn", "g5", "g6", "g6e", "gr6", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en"}
IDLE_TIMEOUT_RANGE = (60, 7 * 24 * 3600)
SPOT_TIMEOUT_RANGE = (5, 1440)
PRIMARY_COUNTS = (1, 3)  # 3 = high availability (multiple primary nodes)
GPU_SCHEDULER = "org.apache.hadoop.yarn.util.resource.DominantResourceCalculator"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: where (a field path) and what is allowed."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def as_request(spec: Any) -> dict:
    """A deep copy of ``spec`` as ``run_job_flow`` keyword arguments.

    Taught in notebooks/01_emr_provisioning.ipynb. ``spec`` is a :class:`ClusterSpec` (anything
    with ``to_run_job_flow``) or a ``run_job_flow`` dict; the copy can be changed freely.

    Raises
    ------
    SpecError
        ``spec`` is neither.
    """
    if hasattr(spec, "to_run_job_flow"):
        return copy.deepcopy(spec.to_run_job_flow())
    if isinstance(spec, dict):
        return copy.deepcopy(spec)
    raise SpecError(f"expected a ClusterSpec (with to_run_job_flow()) or a run_job_flow dict, "
                    f"got {type(spec).__name__}")


@lru_cache(maxsize=1)
def _input_shape():
    import botocore.session

    model = botocore.session.get_session().get_service_model("emr")
    return model.operation_model("RunJobFlow").input_shape


# Python types a value of each botocore shape type may have (what boto3 would serialise).
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "long": (int,), "boolean": (bool,),
    "float": (float, int), "double": (float, int), "timestamp": (str, datetime),
    "blob": (bytes, bytearray, str), "structure": (dict,), "map": (dict,), "list": (list, tuple),
}


def _shape_problems(value: Any, shape, path: str, out: list[Problem]) -> None:
    """Walk ``value`` along botocore's shape: required, unknown, types, min range/length, enums."""
    kind = shape.type_name
    where = path or "(request)"
    allowed = _PY_TYPES.get(kind, (object,))
    # a separate flag, not ``if not isinstance(...)``: that would narrow ``value`` to ``object``
    ok = isinstance(value, allowed) and not (kind in ("integer", "long") and isinstance(value, bool))
    if not ok:
        names = ", ".join(t.__name__ for t in allowed)
        out.append(Problem(where, f"{value!r} has type {type(value).__name__}; expected {names}"))
        return
    low = shape.metadata.get("min")
    if kind == "structure":
        for name in shape.required_members:
            if name not in value:
                out.append(Problem(f"{path}.{name}" if path else name, "required field is missing"))
        for key, item in value.items():
            member = shape.members.get(key)
            child = f"{path}.{key}" if path else key
            if member is None:
                out.append(Problem(child, f"unknown field; allowed: {', '.join(shape.members)}"))
            else:
                _shape_problems(item, member, child, out)
    elif kind == "list":
        if low is not None and len(value) < low:
            out.append(Problem(where, f"{value!r} is shorter than the minimum length {low}"))
        for i, item in enumerate(value):
            _shape_problems(item, shape.member, f"{path}[{i}]", out)
    elif kind == "map":
        for key, item in value.items():
            _shape_problems(key, shape.key, f"{path}.{key}", out)
            _shape_problems(item, shape.value, f"{path}.{key}", out)
    elif kind == "string":
        if low is not None and len(value) < low:
            out.append(Problem(where, f"{value!r} is shorter than the minimum length {low}"))
        elif shape.enum and value not in shape.enum:
            out.append(Problem(where, f"{value!r} is not allowed; choose from {', '.join(shape.enum)}"))
    elif kind in ("integer", "long", "float", "double") and low is not None and value < low:
        out.append(Problem(where, f"{value!r} is below the minimum {low}"))


def model_problems(request: dict) -> list[Problem]:
    """Problems botocore's EMR model finds in ``request``: required and unknown fields, types,
    minimum ranges and lengths, and the model's enums (which botocore's own validator skips)."""
    if not isinstance(request, dict):
        return [Problem("(request)", f"expected a mapping, got {type(request).__name__}")]
    out: list[Problem] = []
    _shape_problems(request, _input_shape(), "", out)
    return out


def family(instance_type: str) -> str:
    """``g4dn.xlarge`` -> ``g4dn``."""
    return instance_type.split(".")[0]


def is_gpu(instance_type: str) -> bool:
    """True for the NVIDIA GPU families RAPIDS can use on EMR."""
    return family(instance_type) in GPU_FAMILIES


def is_arm(instance_type: str) -> bool:
    """True for Graviton (ARM) families such as m6g, m7g, c7gn, r8g or g5g."""
    return bool(re.fullmatch(r"[a-z]+\d+g[a-z]*", family(instance_type)))


def find_classification(configs: list[dict] | None, name: str) -> dict | None:
    """The first configuration with ``Classification == name`` (searching nested ones)."""
    for c in configs or []:
        if c.get("Classification") == name:
            return c
        found = find_classification(c.get("Configurations"), name)
        if found:
            return found
    return None


def node_types(request: dict) -> list[tuple[str, str, str]]:
    """``(path, role, instance_type)`` for every group and fleet instance type."""
    inst = request.get("Instances", {})
    out = []
    for i, g in enumerate(inst.get("InstanceGroups", [])):
        out.append((f"Instances.InstanceGroups[{i}].InstanceType", g.get("InstanceRole"),
                    g.get("InstanceType", "")))
    for i, f in enumerate(inst.get("InstanceFleets", [])):
        for j, t in enumerate(f.get("InstanceTypeConfigs", [])):
            out.append((f"Instances.InstanceFleets[{i}].InstanceTypeConfigs[{j}].InstanceType",
                        f.get("InstanceFleetType"), t.get("InstanceType", "")))
    return out


def _group_rules(groups: list[dict], out: list[Problem]) -> None:
    roles = [g.get("InstanceRole") for g in groups]
    masters = [i for i, r in enumerate(roles) if r == "MASTER"]
    if len(masters) != 1:
        out.append(Problem("Instances.InstanceGroups",
                           f"exactly one MASTER (primary) group is required; found {len(masters)}"))
    if roles.count("CORE") > 1:
        out.append(Problem("Instances.InstanceGroups", "at most one CORE group is allowed"))
    for i, g in enumerate(groups):
        p = f"Instances.InstanceGroups[{i}]"
        if g.get("InstanceRole") == "MASTER" and g.get("InstanceCount") not in PRIMARY_COUNTS:
            out.append(Problem(f"{p}.InstanceCount", f"the primary group needs 1 node (or 3 for "
                               f"high availability); got {g.get('InstanceCount')}"))
        if "BidPrice" in g:
            if g.get("Market", "ON_DEMAND") != "SPOT":
                out.append(Problem(f"{p}.BidPrice", "BidPrice is only allowed with Market SPOT "
                                   f"(Market is {g.get('Market', 'ON_DEMAND')}); remove it or "
                                   "set Market to SPOT"))
            elif not re.fullmatch(r"\d+(\.\d+)?|OnDemandPrice", str(g["BidPrice"])):
                out.append(Problem(f"{p}.BidPrice", f"{g['BidPrice']!r} is not a price in USD "
                                   "(e.g. '0.10') or 'OnDemandPrice'"))


def _fleet_rules(fleets: list[dict], out: list[Problem]) -> None:
    kinds = [f.get("InstanceFleetType") for f in fleets]
    for kind, most in (("MASTER", 1), ("CORE", 1), ("TASK", 1)):
        if kinds.count(kind) > most or (kind == "MASTER" and kinds.count(kind) != 1):
            out.append(Problem("Instances.InstanceFleets", f"exactly one MASTER fleet and at "
                               f"most one CORE and one TASK fleet; found {kinds.count(kind)} {kind}"))
    for i, f in enumerate(fleets):
        p = f"Instances.InstanceFleets[{i}]"
        od, spot = f.get("TargetOnDemandCapacity", 0), f.get("TargetSpotCapacity", 0)
        if f.get("InstanceFleetType") == "MASTER" and (
                od + spot not in PRIMARY_COUNTS or (od and spot)):
            out.append(Problem(p, "the primary fleet needs TargetOnDemandCapacity or "
                               "TargetSpotCapacity (not both) of 1, or 3 for high availability; "
                               f"got on-demand {od}, Spot {spot}"))
        spec = f.get("LaunchSpecifications", {}).get("SpotSpecification")
        if spec and "TimeoutDurationMinutes" in spec:
            lo, hi = SPOT_TIMEOUT_RANGE
            if not lo <= spec["TimeoutDurationMinutes"] <= hi:
                out.append(Problem(f"{p}.LaunchSpecifications.SpotSpecification."
                                   "TimeoutDurationMinutes", f"must be {lo} to {hi} minutes; got "
                                   f"{spec['TimeoutDurationMinutes']}"))


def _gpu_rules(request: dict, out: list[Problem]) -> None:
    types = node_types(request)
    gpu = [(p, t) for p, role, t in types if role in ("CORE", "TASK") and is_gpu(t)]
    if not gpu:
        return
    for p, _role, t in types:
        if is_arm(t):
            out.append(Problem(p, f"{t} is an ARM (Graviton) type; GPU (RAPIDS) clusters do not "
                               "support ARM instance types on any node"))
    configs = request.get("Configurations")
    yarn = (find_classification(configs, "yarn-site") or {}).get("Properties", {})
    gpu_mod = (find_classification(configs, "gpu") or {}).get("Properties", {})
    sched = (find_classification(configs, "capacity-scheduler") or {}).get("Properties", {})
    where = f"{gpu[0][0]} is {gpu[0][1]}, a GPU type; "
    if yarn.get("yarn.nodemanager.resource-plugins") != "yarn.io/gpu":
        out.append(Problem("Configurations", where + "add yarn-site with "
                           "yarn.nodemanager.resource-plugins=yarn.io/gpu (see emrlab.emr.gpu_preset)"))
    if gpu_mod.get("module.enabled") != "true":
        out.append(Problem("Configurations", where + "add container-executor with a nested gpu "
                           "classification module.enabled=true"))
    if sched.get("yarn.scheduler.capacity.resource-calculator") != GPU_SCHEDULER:
        out.append(Problem("Configurations", where + "add capacity-scheduler with "
                           f"yarn.scheduler.capacity.resource-calculator={GPU_SCHEDULER}"))


def rule_problems(request: dict) -> list[Problem]:
    """Problems the API model cannot express (see the module docstring)."""
    out: list[Problem] = []
    label = request.get("ReleaseLabel")
    if not label:
        out.append(Problem("ReleaseLabel", "required: emr-X.Y.Z or emr-spark-X.Y.Z"))
    elif not RELEASE_RE.match(label):
        out.append(Problem("ReleaseLabel", f"{label!r} is not a release label; use emr-X.Y.Z "
                           "(e.g. emr-7.13.0) or emr-spark-X.Y.Z (e.g. emr-spark-8.1.0)"))
    inst = request.get("Instances", {})
    groups, fleets = inst.get("InstanceGroups"), inst.get("InstanceFleets")
    if groups and fleets:
        out.append(Problem("Instances", "use InstanceGroups or InstanceFleets, never both"))
    elif not groups and not fleets:
        out.append(Problem("Instances", "give InstanceGroups or InstanceFleets"))
    if groups:
        _group_rules(groups, out)
    if fleets:
        _fleet_rules(fleets, out)
    for path, _role, itype in node_types(request):
        if not INSTANCE_TYPE_RE.match(itype):
            out.append(Problem(path, f"{itype!r} is not an instance type (family.size, e.g. "
                               "m7g.xlarge or g4dn.2xlarge)"))
    idle = request.get("AutoTerminationPolicy", {}).get("IdleTimeout")
    if idle is not None and not IDLE_TIMEOUT_RANGE[0] <= idle <= IDLE_TIMEOUT_RANGE[1]:
        out.append(Problem("AutoTerminationPolicy.IdleTimeout", "must be 60 to 604800 seconds "
                           f"(1 minute to 7 days); got {idle}"))
    limits = request.get("ManagedScalingPolicy", {}).get("ComputeLimits")
    if limits:
        p, lo, hi = "ManagedScalingPolicy.ComputeLimits", limits.get("MinimumCapacityUnits", 0), \
            limits.get("MaximumCapacityUnits", 0)
        if lo > hi:
            out.append(Problem(f"{p}.MinimumCapacityUnits", f"{lo} is above "
                               f"MaximumCapacityUnits {hi}; minimum must be <= maximum"))
        for key in ("MaximumOnDemandCapacityUnits", "MaximumCoreCapacityUnits"):
            if limits.get(key, 0) > hi:
                out.append(Problem(f"{p}.{key}", f"{limits[key]} is above "
                                   f"MaximumCapacityUnits {hi}"))
        if limits.get("UnitType") == "InstanceFleetUnits" and not fleets:
            out.append(Problem(f"{p}.UnitType", "InstanceFleetUnits needs instance fleets; use "
                               "Instances or VCPU with instance groups"))
    level = request.get("StepConcurrencyLevel", 1)
    if not 1 <= level <= 256:
        out.append(Problem("StepConcurrencyLevel", f"must be 1 to 256; got {level}"))
    _gpu_rules(request, out)
    return out


def raise_if(problems: list[Problem], what: str) -> None:
    """Raise :class:`SpecError` listing ``problems`` when there are any."""
    if problems:
        lines = "\n  - ".join(str(p) for p in problems)
        raise SpecError(f"{what} has {len(problems)} problem(s):\n  - {lines}", problems)


def validate(spec: Any, *, raise_errors: bool = True, what: str = "cluster spec") -> list[Problem]:
    """Check a ClusterSpec or run_job_flow dict against the EMR model and the rules.

    Taught in notebooks/01_emr_provisioning.ipynb and labs/01_emr_cluster_design.

    Returns
    -------
    list of Problem
        Empty when the spec is valid (only returned non-empty with ``raise_errors=False``).

    Raises
    ------
    SpecError
        With ``.problems`` listing every problem, when ``raise_errors`` is true.
    """
    request = as_request(spec)
    problems = model_problems(request)
    if not problems:  # the rules assume the model's shape and types
        problems += rule_problems(request)
    if raise_errors:
        raise_if(problems, what)
    return problems
