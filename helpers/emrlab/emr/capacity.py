"""What a cluster request can launch: whole counts, fleet targets and weights, scaling ceilings.

Taught in notebooks/01_emr_provisioning.ipynb and labs/01_emr_cluster_design. The guard rails
(:mod:`emrlab.emr.guardrails`) count instances with it and :mod:`emrlab.emr.costs` prices what it
finds.

**Instance fleets are priced at the most expensive launch EMR may choose.** EMR fills each target
(``TargetOnDemandCapacity`` on demand, ``TargetSpotCapacity`` on Spot) from any of the fleet's
``InstanceTypeConfigs``, an instance counting its ``WeightedCapacity`` (default 1) units, and it
launches while the target is not yet met, so it can overshoot by less than one instance's weight.
The worst case of a target of ``T`` units is therefore the dearest set of instances weighing at
most ``T - 1`` units (an exact unbounded knapsack, :func:`worst_fill`) plus one more instance of
the dearest type: for one type of weight ``w`` that is ``ceil(T / w)`` instances, and with several
types the bulk goes to the type with the highest price per unit of weighted capacity, whatever
the order or priority of the list. A Spot target whose ``SpotSpecification.TimeoutAction`` is
``SWITCH_TO_ON_DEMAND`` is priced on demand. Line items then show that worst launch
(:attr:`CostEstimate.worst_case` says when it differs from a plain count).

**Scaling ceilings** (``at_ceiling=True``, what the guard rails check): an instance group counts
``max(InstanceCount, AutoScalingPolicy.Constraints.MaxCapacity)`` instances, and the core and task
nodes together cost at least as much as managed scaling's ``ComputeLimits.MaximumCapacityUnits``
filled with the dearest core/task option (any market): ``Instances`` counts instances,
``InstanceFleetUnits`` weighted units, ``VCPU`` vCPUs, converted with each type's ``vcpu`` count
from the price table; when a type's vCPU count is unknown, each vCPU is priced as a whole
instance (an upper bound, and the line item says so). The primary node never scales.
"""

from __future__ import annotations

import math
from typing import Any

from emrlab.emr.validate import Problem, raise_if
from emrlab.exceptions import SpecError

MARKETS = ("ON_DEMAND", "SPOT")
UNIT_TYPES = ("Instances", "InstanceFleetUnits", "VCPU")
# Above this many capacity units left after the bulk (see worst_fill) the knapsack gives way to a
# linear upper bound; only reached with weights in the hundreds.
_EXACT_UNITS = 200_000


def _whole(value: Any, path: str, low: int, out: list[Problem]) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        out.append(Problem(path, f"{value!r} is not allowed; use a whole number >= {low}"))


def mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def entries(inst: dict, key: str, out: list[Problem] | None = None) -> list[tuple[int, dict]]:
    """``(index, entry)`` for the mappings in ``Instances.<key>`` (others reported into ``out``)."""
    value = inst.get(key) or []
    if not isinstance(value, (list, tuple)):
        if out is not None:
            out.append(Problem(f"Instances.{key}", f"{value!r} is not allowed; use a list"))
        return []
    found = []
    for i, entry in enumerate(value):
        if isinstance(entry, dict):
            found.append((i, entry))
        elif out is not None:
            out.append(Problem(f"Instances.{key}[{i}]", f"{entry!r} is not allowed; use a mapping"))
    return found


def auto_scaling_ceiling(group: dict) -> int:
    """An instance group's ``AutoScalingPolicy.Constraints.MaxCapacity`` (0 without a policy).

    Taught in notebooks/01_emr_provisioning.ipynb (automatic scaling).
    """
    policy = mapping(group.get("AutoScalingPolicy"))
    return mapping(policy.get("Constraints")).get("MaxCapacity", 0)


def compute_limits(request: dict) -> dict:
    """``ManagedScalingPolicy.ComputeLimits`` of ``request`` (empty without managed scaling).

    Taught in notebooks/01_emr_provisioning.ipynb (managed scaling).
    """
    return mapping(mapping(request.get("ManagedScalingPolicy")).get("ComputeLimits"))


def count_problems(request: dict) -> list[Problem]:
    """Every count, capacity, weight and scaling limit of ``request`` that is not a whole number
    in range (negative, fractional, a bool or a string), each with its field path and value.

    Taught in notebooks/01_emr_provisioning.ipynb. Instance counts, targets and scaling limits
    must be >= 0, ``WeightedCapacity`` >= 1; nothing can be counted or priced before they are.
    """
    out: list[Problem] = []
    inst = request.get("Instances", {})
    if not isinstance(inst, dict):
        return [Problem("Instances", f"{inst!r} is not allowed; use a mapping")]
    if "InstanceCount" in inst:
        _whole(inst["InstanceCount"], "Instances.InstanceCount", 0, out)
    for i, g in entries(inst, "InstanceGroups", out):
        p = f"Instances.InstanceGroups[{i}]"
        _whole(g.get("InstanceCount"), f"{p}.InstanceCount", 0, out)
        constraints = mapping(mapping(g.get("AutoScalingPolicy")).get("Constraints"))
        for key in ("MinCapacity", "MaxCapacity"):
            if key in constraints:
                _whole(constraints[key], f"{p}.AutoScalingPolicy.Constraints.{key}", 0, out)
    for i, f in entries(inst, "InstanceFleets", out):
        p = f"Instances.InstanceFleets[{i}]"
        for key in ("TargetOnDemandCapacity", "TargetSpotCapacity"):
            if key in f:
                _whole(f[key], f"{p}.{key}", 0, out)
        configs = f.get("InstanceTypeConfigs")
        if not isinstance(configs, list) or not configs:
            out.append(Problem(f"{p}.InstanceTypeConfigs", f"{configs!r} is not allowed; list "
                               "at least one instance type"))
            continue
        for j, c in enumerate(configs):
            if not isinstance(c, dict):
                out.append(Problem(f"{p}.InstanceTypeConfigs[{j}]", f"{c!r} is not allowed; "
                                   "use a mapping"))
            elif "WeightedCapacity" in c:
                _whole(c["WeightedCapacity"], f"{p}.InstanceTypeConfigs[{j}].WeightedCapacity",
                       1, out)
    if "ManagedScalingPolicy" in request:
        limits, p = compute_limits(request), "ManagedScalingPolicy.ComputeLimits"
        if limits.get("UnitType") not in UNIT_TYPES:
            out.append(Problem(f"{p}.UnitType", f"{limits.get('UnitType')!r} is not allowed; "
                               f"use one of {', '.join(UNIT_TYPES)}"))
        _whole(limits.get("MaximumCapacityUnits"), f"{p}.MaximumCapacityUnits", 0, out)
        for key in ("MinimumCapacityUnits", "MaximumOnDemandCapacityUnits",
                    "MaximumCoreCapacityUnits"):
            if key in limits:
                _whole(limits[key], f"{p}.{key}", 0, out)
    return out


def check_counts(request: dict, what: str = "cluster spec") -> None:
    """Raise :class:`SpecError` listing :func:`count_problems` when there are any.

    Taught in notebooks/01_emr_provisioning.ipynb.
    """
    found = count_problems(request)
    if found:
        raise_if(found, what)


# ---------------------------------------------------------------------------------------------
# The worst launch of a capacity target.

def worst_fill(target: int, options: list[tuple[int, float]]) -> tuple[float, list[int]]:
    """The most expensive way EMR may meet ``target`` capacity units from ``options``.

    Taught in notebooks/01_emr_provisioning.ipynb (instance fleets).

    Parameters
    ----------
    target : int
        Capacity units to meet (>= 0).
    options : list of (weight, price)
        Each instance type EMR may launch: its weight in units (>= 1) and its USD/h.

    Returns
    -------
    (float, list of int)
        The cost per hour and how many instances of each option make it up.

    Notes
    -----
    EMR launches while the target is not yet met, so the instances launched before the last
    one weigh at most ``target - 1`` units, and the last one may be of any type. The worst case
    is the dearest multiset weighing at most ``target - 1`` (an unbounded knapsack) plus the
    dearest single instance. Some optimal multiset holds fewer than ``w`` instances of the other
    types, ``w`` being the weight of the type with the highest price per unit, so all but the
    last ``w * max weight`` units go to that type and a small dynamic programme fills the rest
    exactly (beyond :data:`_EXACT_UNITS` a linear upper bound is used instead).
    """
    counts = [0] * len(options)
    if target <= 0 or not options:
        return 0.0, counts
    if any(w < 1 for w, _ in options):
        raise SpecError(f"weights must be >= 1; got {[w for w, _ in options]}")
    capacity = target - 1
    best = max(range(len(options)), key=lambda i: options[i][1] / options[i][0])
    w_best, w_max = options[best][0], max(w for w, _ in options)
    bulk = max(0, (capacity - w_best * w_max) // w_best)
    counts[best] += bulk
    rest = capacity - bulk * w_best
    if rest > _EXACT_UNITS:  # a linear bound: never below the exact worst case
        counts[best] += math.ceil(rest / w_best)
    else:
        value = [0.0] * (rest + 1)
        choice = [-1] * (rest + 1)
        for c in range(1, rest + 1):
            value[c] = value[c - 1]
            for i, (w, price) in enumerate(options):
                if w <= c and value[c - w] + price > value[c]:
                    value[c], choice[c] = value[c - w] + price, i
        c = rest
        while c > 0:
            if choice[c] < 0:
                c -= 1
            else:
                counts[choice[c]] += 1
                c -= options[choice[c]][0]
    counts[max(range(len(options)), key=lambda i: options[i][1])] += 1
    return sum(n * price for n, (_, price) in zip(counts, options, strict=True)), counts


def worst_count(target: int, weights: list[int]) -> int:
    """The most instances EMR may launch to meet ``target`` units: ``ceil(target / min weight)``.

    Taught in notebooks/01_emr_provisioning.ipynb (instance fleets).
    """
    return math.ceil(target / min(weights)) if target > 0 and weights else 0


# ---------------------------------------------------------------------------------------------
# Estimates.
