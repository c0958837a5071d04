"""Guard rails checked before any EMR cluster is created: tags, auto-termination, size, cost.

Taught in notebooks/01_emr_provisioning.ipynb.

:func:`enforce` runs in both modes (so local runs fail exactly where AWS runs would) and is
called by :func:`emrlab.emr.lifecycle.create_cluster` before ``run_job_flow``. It returns a copy of
the request with the kit's tags added and raises :class:`~emrlab.exceptions.GuardrailError`,
listing every problem at once, when the request

* has a count, capacity target, weight or scaling limit that is not a whole number in range
  (a negative task group must not cancel out core nodes),
* has no ``AutoTerminationPolicy`` or an ``IdleTimeout`` outside 60 s to the allowed maximum,
* is termination-protected (``emrlab cleanup`` must be able to terminate it),
* can grow past the maximum instance count, or
* may cost more per hour than the maximum.

Both caps are checked at the largest size the request allows: each group's auto-scaling
``MaxCapacity``, managed scaling's ``MaximumCapacityUnits`` (``Instances``; ``InstanceFleetUnits``
divided by the smallest core/task weight; ``VCPU`` divided by the smallest core/task vCPU count
from the price table, or, where a type's count is unknown, one instance per vCPU), and every
fleet target filled at its worst launch (most instances: ``ceil(units / smallest weight)``; most
cost: see :mod:`emrlab.emr.costs`, which prices the dearest type per unit of weighted capacity,
overshoot included).

Limits come from the environment (the user sets them; defaults in brackets):

==========================  ===============================================================
``EMRLAB_OWNER``            value of the ``emrlab:owner`` tag [the login name]; also the
                            owner ``emrlab cleanup`` acts for unless told otherwise
``EMRLAB_MAX_INSTANCES``    most instances a cluster may reach, a whole number >= 1 [10]
``EMRLAB_MAX_HOURLY_USD``   most estimated USD per hour a cluster may cost, a finite number
                            > 0 [5]
``EMRLAB_MAX_IDLE_TIMEOUT`` longest auto-termination IdleTimeout in seconds, a whole number
                            from 60 to 604800 [3600]
==========================  ===============================================================
"""

from __future__ import annotations

import copy
import getpass
import math
import os
import re
import uuid
from dataclasses import dataclass

from emrlab import config
from emrlab.emr import capacity, costs, pricing
from emrlab.emr.validate import IDLE_TIMEOUT_RANGE, as_request
from emrlab.exceptions import ConfigError, GuardrailError

MANAGED_TAG, OWNER_TAG, RUN_TAG = "emrlab:managed", "emrlab:owner", "emrlab:run-id"
MIN_IDLE_TIMEOUT = IDLE_TIMEOUT_RANGE[0]
_TAG_VALUE = re.compile(r"[^\w .:/=+\-@]")


def _limit_problem(value: object, kind: type, low: float, high: float) -> str | None:
    """What is allowed, when ``value`` is not an allowed limit (None when it is)."""
    whole = kind is int
    if (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
            and (not whole or float(value).is_integer()) and low <= value <= high and value > 0):
        return None
    what = "a whole number" if whole else "a finite number"
    if math.isfinite(high):
        return f"use {what} from {low:g} to {high:g}"
    return f"use {what} >= {low:g}" if low > 0 else f"use {what} > 0"


# (environment variable, Limits field, kind, lowest, highest, default)
_LIMITS = (
    ("EMRLAB_MAX_INSTANCES", "max_instances", int, 1, math.inf, 10),
    ("EMRLAB_MAX_HOURLY_USD", "max_hourly_usd", float, 0, math.inf, 5.0),
    ("EMRLAB_MAX_IDLE_TIMEOUT", "max_idle_timeout_s", int, *IDLE_TIMEOUT_RANGE, 3600),
)


@dataclass(frozen=True)
class Limits:
    """The user's limits (see the module docstring for the variables).

    Raises
    ------
    ConfigError
        A limit is not allowed (NaN, infinite, zero, negative, fractional where a whole number
        is needed, or an idle timeout outside 60 to 604800 s): a cap that cannot be compared
        would switch the guard rail off.
    """

    owner: str
    max_instances: int = 10
    max_hourly_usd: float = 5.0
    max_idle_timeout_s: int = 3600

    def __post_init__(self):
        if not isinstance(self.owner, str) or not self.owner.strip():
            raise ConfigError(f"owner={self.owner!r} is not allowed; use a non-empty name "
                              "(EMRLAB_OWNER)")
        for env, name, kind, low, high, _ in _LIMITS:
            allowed = _limit_problem(getattr(self, name), kind, low, high)
            if allowed:
                raise ConfigError(f"{name}={getattr(self, name)!r} is not allowed ({env}); "
                                  f"{allowed}")


def _env_number(name: str, kind: type, low: float, high: float, default: float,
                bad: list[str]) -> float:
    """The number in variable ``name`` (``default`` when unset); a bad value goes into ``bad``."""
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    allowed = _limit_problem(value, kind, low, high)
    if allowed:
        bad.append(f"{name}={raw!r} is not allowed; {allowed}")
        return default
    return int(value) if kind is int else value


def owner() -> str:
    """The ``emrlab:owner`` tag value of this user: ``EMRLAB_OWNER``, else the login name.

    Taught in notebooks/01_emr_provisioning.ipynb. ``emrlab cleanup`` acts for this owner.

    Raises
    ------
    ConfigError
        No owner is known.
    """
    name = os.environ.get("EMRLAB_OWNER", "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError) as exc:
            raise ConfigError("set EMRLAB_OWNER (the emrlab:owner tag of your clusters)") from exc
    return _TAG_VALUE.sub("-", name)[:128]


def limits() -> Limits:
    """The limits from the environment.

    Taught in notebooks/01_emr_provisioning.ipynb.

    Raises
    ------
    ConfigError
        A variable is set to a value that is not allowed (the message names the variable, its
        value and what is allowed), or no owner is known.
    """
    bad: list[str] = []
    values = {field: _env_number(env, kind, low, high, default, bad)
              for env, field, kind, low, high, default in _LIMITS}
    if bad:
        raise ConfigError("; ".join(bad))
    return Limits(owner(), int(values["max_instances"]), values["max_hourly_usd"],
                  int(values["max_idle_timeout_s"]))


def max_instances(request: dict, region: str = "us-east-1", prices: dict | None = None) -> int:
    """The most instances ``request`` can reach: every group at its auto-scaling ceiling, every
    fleet target at ``ceil(units / smallest weight)``, and core plus task nodes at least managed
    scaling's ceiling (converted from fleet units or vCPUs, see the module docstring).

    Taught in notebooks/01_emr_provisioning.ipynb.

    Raises
    ------
    SpecError
        A count, target, weight or scaling limit is not a whole number in range.
    """
    request = as_request(request)
    capacity.check_counts(request)
    inst = request.get("Instances", {})
    primary = workers = 0
    for g in inst.get("InstanceGroups") or []:
        n = max(g["InstanceCount"], capacity.auto_scaling_ceiling(g))
        primary, workers = (primary + n, workers) if g.get("InstanceRole") == "MASTER" else (
            primary, workers + n)
    for f in inst.get("InstanceFleets") or []:
        weights = [t.get("WeightedCapacity", 1) for t in f["InstanceTypeConfigs"]]
        n = sum(capacity.worst_count(f.get(key, 0), weights)
                for key in ("TargetOnDemandCapacity", "TargetSpotCapacity"))
        primary, workers = (primary + n, workers) if f.get("InstanceFleetType") == "MASTER" else (
            primary, workers + n)
    if not inst.get("InstanceGroups") and not inst.get("InstanceFleets"):
        total = inst.get("InstanceCount", 1 if inst.get("MasterInstanceType") else 0)
        primary = min(total, 1)
        workers = total - primary
    return primary + max(workers, _managed_instances(request, region, prices))


def _managed_instances(request: dict, region: str, prices: dict | None) -> int:
    limits_ = capacity.compute_limits(request)
    if not limits_:
        return 0
    units = limits_.get("MaximumCapacityUnits", 0)
    options = costs.scaling_options(request)
    if limits_.get("UnitType") == "InstanceFleetUnits":
        return capacity.worst_count(units, [w for _, w in options] or [1])
    if limits_.get("UnitType") == "VCPU":
        counts = [costs.vcpus(t, region, prices) for t, _ in options]
        known = [v for v in counts if v is not None]
        if known and len(known) == len(counts):
            return capacity.worst_count(units, known)
    return units  # Instances, or vCPUs of unknown types: one instance per vCPU (an upper bound)


def _unknown_vcpus(request: dict, region: str, prices: dict | None) -> list[str]:
    if capacity.compute_limits(request).get("UnitType") != "VCPU":
        return []
    return sorted({t for t, _ in costs.scaling_options(request)
                   if costs.vcpus(t, region, prices) is None})


def price_table(request: dict, settings: config.Settings | None = None) -> dict | None:
    """Prices for :func:`emrlab.emr.costs.estimate`: None (the bundled snapshot) when it knows the
    region and types, else, in AWS mode only, the snapshot plus what the Pricing API answers for
    the missing types (:func:`emrlab.emr.pricing.prices_for`; a type it cannot price is an error).

    Taught in notebooks/01_emr_provisioning.ipynb.
    """
    settings = settings or config.current()
    inst = as_request(request).get("Instances", {})
    types = sorted({g["InstanceType"] for g in inst.get("InstanceGroups", [])}
                   | {t["InstanceType"] for f in inst.get("InstanceFleets", [])
                      for t in f.get("InstanceTypeConfigs", [])}
                   | {inst[k] for k in ("MasterInstanceType", "SlaveInstanceType") if inst.get(k)})
    try:
        for itype in types:
            costs.instance_price(itype, settings.region)
        return None
    except KeyError:  # PriceNotFoundError: local mode stops here; AWS mode asks the Pricing API
        if settings.is_local:
            raise
        return pricing.prices_for(types, settings.region, settings)


def worst_hourly_usd(request: dict, region: str, prices: dict | None = None) -> float:
    """Estimated USD per hour at the largest size and dearest launch the request allows.

    Taught in notebooks/01_emr_provisioning.ipynb. Fleets at their most expensive launch,
    groups at their auto-scaling ``MaxCapacity``, core and task nodes at least at managed
    scaling's ceiling: :func:`emrlab.emr.costs.estimate` with ``at_ceiling=True``.
    """
    return costs.estimate(request, 1.0, region, prices=prices, at_ceiling=True).per_hour


def tagged(request: dict, owner: str, run_id: str | None = None) -> dict:
    """``request`` with the kit's tags (managed, owner, run id) set; returns a copy."""
    out = copy.deepcopy(request)
    ours = {MANAGED_TAG: "true", OWNER_TAG: owner, RUN_TAG: run_id or uuid.uuid4().hex[:12]}
    tags = [t for t in out.get("Tags", []) if t.get("Key") not in ours]
    out["Tags"] = tags + [{"Key": k, "Value": v} for k, v in ours.items()]
    return out


def problems(request: dict, limits_: Limits, region: str, prices: dict | None = None) -> list[str]:
    """Every guard-rail problem of ``request`` (empty when it may be created).

    Taught in notebooks/01_emr_provisioning.ipynb. Bad counts are listed first and stop the
    instance and cost caps (which cannot be computed from them).
    """
    found: list[str] = []
    policy = request.get("AutoTerminationPolicy") or {}
    idle = policy.get("IdleTimeout")
    if idle is None:
        found.append(
            "AutoTerminationPolicy is required: add AutoTerminationPolicy={'IdleTimeout': 900} "
            f"(or ClusterSpec(idle_timeout=900)); allowed {MIN_IDLE_TIMEOUT} to "
            f"{limits_.max_idle_timeout_s} seconds"
        )
    elif (isinstance(idle, bool) or not isinstance(idle, int)
          or not MIN_IDLE_TIMEOUT <= idle <= limits_.max_idle_timeout_s):
        found.append(
            f"AutoTerminationPolicy.IdleTimeout={idle} must be between {MIN_IDLE_TIMEOUT} and "
            f"{limits_.max_idle_timeout_s} seconds (EMRLAB_MAX_IDLE_TIMEOUT)"
        )
    inst = request.get("Instances")
    if isinstance(inst, dict) and inst.get("TerminationProtected"):
        found.append("Instances.TerminationProtected=True is not allowed: kit clusters must "
                     "stay terminable by `emrlab cleanup`")
    bad_counts = capacity.count_problems(request)
    if bad_counts:
        found += [str(p) for p in bad_counts]
        found.append("the instance and cost caps cannot be checked until the counts above are "
                     "whole numbers in range")
        return found
    try:
        count = max_instances(request, region, prices)
        unknown = _unknown_vcpus(request, region, prices)
    except (KeyError, TypeError, ValueError) as exc:  # a malformed group or fleet
        found.append(f"the instance count cannot be worked out, so it cannot be checked: "
                     f"missing or malformed {exc}")
        return found
    if count > limits_.max_instances:
        why = (f" (managed scaling in VCPU units: the vCPU count of {', '.join(unknown)} is "
               "unknown, so each vCPU counts as an instance)") if unknown else ""
        found.append(f"the cluster can reach {count} instances{why}; the maximum is "
                     f"{limits_.max_instances} (EMRLAB_MAX_INSTANCES)")
    try:
        cost = worst_hourly_usd(request, region, prices)
    except (KeyError, ValueError) as exc:  # PriceNotFoundError, SpecError: no safe estimate
        found.append(f"the hourly cost cannot be estimated, so it cannot be checked: {exc}")
    else:
        if cost > limits_.max_hourly_usd:
            found.append(f"the cluster may cost {cost:.2f} USD/h in {region} at its largest size "
                         f"and dearest launch; the maximum is {limits_.max_hourly_usd:.2f} USD/h "
                         "(EMRLAB_MAX_HOURLY_USD)")
    return found


def enforce(spec, settings: config.Settings | None = None, limits_: Limits | None = None,
            run_id: str | None = None) -> dict:
    """Check ``spec`` against the guard rails; return the tagged ``run_job_flow`` kwargs.

    Taught in notebooks/01_emr_provisioning.ipynb. Runs before any create call.

    Raises
    ------
    GuardrailError
        One or more guard rails are broken; the message lists each with the limit to change.
    """
    settings = settings or config.current()
    limits_ = limits_ or limits()
    request = as_request(spec)
    prices = None
    if not capacity.count_problems(request):  # bad counts are refused before any price look-up
        try:
            prices = price_table(request, settings)
        except (KeyError, ValueError):
            pass  # problems() reports that the cost cannot be estimated
    found = problems(request, limits_, settings.region, prices)
    if found:
        raise GuardrailError(
            f"cluster {request.get('Name', '?')!r} was not created ({settings.mode} mode):\n- "
            + "\n- ".join(found)
        )
    return tagged(request, limits_.owner, run_id)
