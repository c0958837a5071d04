"""Guard rails checked before any EMR cluster is created: tags, auto-termination, size, cost.

Taught in notebooks/01_emr_provisioning.ipynb.

:func:`enforce` runs in both modes (so local runs fail exactly where AWS runs would) and is
called by :func:`emrlab.emr.lifecycle.create_cluster` before ``run_job_flow``. It returns a copy of
the request with the kit's tags added and raises :class:`~emrlab.exceptions.GuardrailError`,
listing every problem at once, when the request

* has no ``AutoTerminationPolicy`` or an ``IdleTimeout`` outside 60 s to the allowed maximum,
* is termination-protected (``emrlab cleanup`` must be able to terminate it),
* can grow past the maximum instance count (managed scaling's maximum counts), or
* may cost more per hour than the maximum (estimated with :mod:`emrlab.emr.costs` at the largest
  size managed scaling allows).

Limits come from the environment (the user sets them; defaults in brackets):

==========================  ===============================================================
``EMRLAB_OWNER``            value of the ``emrlab:owner`` tag [the login name]
``EMRLAB_MAX_INSTANCES``    most instances a cluster may reach [10]
``EMRLAB_MAX_HOURLY_USD``   most estimated USD per hour a cluster may cost [5]
``EMRLAB_MAX_IDLE_TIMEOUT`` longest auto-termination IdleTimeout in seconds [3600]
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
from emrlab.emr.validate import as_request
from emrlab.exceptions import ConfigError, GuardrailError

MANAGED_TAG, OWNER_TAG, RUN_TAG = "emrlab:managed", "emrlab:owner", "emrlab:run-id"
MIN_IDLE_TIMEOUT = 60
_TAG_VALUE = re.compile(r"[^\w .:/=+\-@]")


@dataclass(frozen=True)
class Limits:
    """The user's limits (see the module docstring for the variables)."""

    owner: str
    max_instances: int = 10
    max_hourly_usd: float = 5.0
    max_idle_timeout_s: int = 3600


def _env_number(name: str, default: float, kind=float):
    raw = os.environ.get(name, "")
    if raw == "":
        return kind(default)
    try:
        value = kind(raw)
    except ValueError:
        value = -1
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} must be a positive {kind.__name__}")
    return value


def limits() -> Limits:
    """The limits from the environment.

    Taught in notebooks/01_emr_provisioning.ipynb.

    Raises
    ------
    ConfigError
        A variable is set to something that is not a positive number, or no owner is known.
    """
    owner = os.environ.get("EMRLAB_OWNER", "").strip()
    if not owner:
        try:
            owner = getpass.getuser()
        except (KeyError, OSError) as exc:
            raise ConfigError("set EMRLAB_OWNER (the emrlab:owner tag of your clusters)") from exc
    owner = _TAG_VALUE.sub("-", owner)[:128]
    return Limits(
        owner=owner,
        max_instances=_env_number("EMRLAB_MAX_INSTANCES", 10, int),
        max_hourly_usd=_env_number("EMRLAB_MAX_HOURLY_USD", 5.0, float),
        max_idle_timeout_s=_env_number("EMRLAB_MAX_IDLE_TIMEOUT", 3600, int),
    )


def max_instances(request: dict) -> int:
    """The most instances ``request`` can reach (managed scaling's maximum included)."""
    inst = request.get("Instances", {})
    primary = 0
    total = 0
    for group in inst.get("InstanceGroups", []):
        total += int(group.get("InstanceCount", 0))
        primary += int(group.get("InstanceCount", 0)) if group.get("InstanceRole") == "MASTER" else 0
    for fleet in inst.get("InstanceFleets", []):
        weights = [int(t.get("WeightedCapacity", 1)) for t in fleet.get("InstanceTypeConfigs", [])]
        units = int(fleet.get("TargetOnDemandCapacity", 0)) + int(fleet.get("TargetSpotCapacity", 0))
        count = math.ceil(units / max(1, min(weights or [1])))
        total += count
        primary += count if fleet.get("InstanceFleetType") == "MASTER" else 0
    if not inst.get("InstanceGroups") and not inst.get("InstanceFleets"):
        total = int(inst.get("InstanceCount", 1 if inst.get("MasterInstanceType") else 0))
        primary = min(total, 1)
    limits_ = request.get("ManagedScalingPolicy", {}).get("ComputeLimits", {})
    if limits_.get("UnitType") in ("Instances", "InstanceFleetUnits"):
        total = max(total, primary + int(limits_.get("MaximumCapacityUnits", 0)))
    elif limits_.get("UnitType") == "VCPU":  # assume 4 vCPUs per instance (an xlarge)
        total = max(total, primary + math.ceil(int(limits_.get("MaximumCapacityUnits", 0)) / 4))
    return total


def price_table(request: dict, settings: config.Settings | None = None) -> dict | None:
    """Prices for :func:`emrlab.emr.costs.estimate`: None (the bundled snapshot) when it knows the
    region and types, else, in AWS mode only, fresh ones from :func:`emrlab.emr.pricing.fetch_prices`.

    Taught in notebooks/01_emr_provisioning.ipynb.
    """
    from emrlab.emr import costs, pricing

    settings = settings or config.current()
    inst = as_request(request).get("Instances", {})
    types = sorted({g["InstanceType"] for g in inst.get("InstanceGroups", [])}
                   | {t["InstanceType"] for f in inst.get("InstanceFleets", [])
                      for t in f.get("InstanceTypeConfigs", [])})
    try:
        for itype in types:
            costs.instance_price(itype, settings.region)
        return None
    except KeyError:  # PriceNotFoundError
        if settings.is_local:
            raise
        return pricing.fetch_prices(settings.region, types)


def worst_hourly_usd(request: dict, region: str, prices: dict | None = None) -> float:
    """Estimated USD per hour at the largest size managed scaling allows (:mod:`emrlab.emr.costs`)."""
    from emrlab.emr import costs

    est = costs.estimate(request, 1.0, region, prices=prices)
    per_hour = est.per_hour
    count = sum(i.count for i in est.items)
    extra = max_instances(request) - count
    workers = [i.instance_hour for i in est.items if i.role != "MASTER"] or [0.0]
    return per_hour + max(0, extra) * max(workers)


def tagged(request: dict, owner: str, run_id: str | None = None) -> dict:
    """``request`` with the kit's tags (managed, owner, run id) set; returns a copy."""
    out = copy.deepcopy(request)
    ours = {MANAGED_TAG: "true", OWNER_TAG: owner, RUN_TAG: run_id or uuid.uuid4().hex[:12]}
    tags = [t for t in out.get("Tags", []) if t.get("Key") not in ours]
    out["Tags"] = tags + [{"Key": k, "Value": v} for k, v in ours.items()]
    return out


def problems(request: dict, limits_: Limits, region: str, prices: dict | None = None) -> list[str]:
    """Every guard-rail problem of ``request`` (empty when it may be created)."""
    found = []
    policy = request.get("AutoTerminationPolicy") or {}
    idle = policy.get("IdleTimeout")
    if idle is None:
        found.append(
            "AutoTerminationPolicy is required: add AutoTerminationPolicy={'IdleTimeout': 900} "
            f"(or ClusterSpec(idle_timeout=900)); allowed {MIN_IDLE_TIMEOUT} to "
            f"{limits_.max_idle_timeout_s} seconds"
        )
    elif not MIN_IDLE_TIMEOUT <= int(idle) <= limits_.max_idle_timeout_s:
        found.append(
            f"AutoTerminationPolicy.IdleTimeout={idle} must be between {MIN_IDLE_TIMEOUT} and "
            f"{limits_.max_idle_timeout_s} seconds (EMRLAB_MAX_IDLE_TIMEOUT)"
        )
    if request.get("Instances", {}).get("TerminationProtected"):
        found.append("Instances.TerminationProtected=True is not allowed: kit clusters must "
                     "stay terminable by `emrlab cleanup`")
    count = max_instances(request)
    if count > limits_.max_instances:
        found.append(f"the cluster can reach {count} instances; the maximum is "
                     f"{limits_.max_instances} (EMRLAB_MAX_INSTANCES)")
    try:
        cost = worst_hourly_usd(request, region, prices)
    except (KeyError, ValueError) as exc:  # PriceNotFoundError, SpecError: no safe estimate
        found.append(f"the hourly cost cannot be estimated, so it cannot be checked: {exc}")
    else:
        if cost > limits_.max_hourly_usd:
            found.append(f"the cluster may cost {cost:.2f} USD/h in {region}; the maximum is "
                         f"{limits_.max_hourly_usd:.2f} USD/h (EMRLAB_MAX_HOURLY_USD)")
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
    try:
        prices = price_table(request, settings)
    except (KeyError, ValueError):
        prices = None  # problems() reports that the cost cannot be estimated
    found = problems(request, limits_, settings.region, prices)
    if found:
        raise GuardrailError(
            f"cluster {request.get('Name', '?')!r} was not created ({settings.mode} mode):\n- "
            + "\n- ".join(found)
        )
    return tagged(request, limits_.owner, run_id)
