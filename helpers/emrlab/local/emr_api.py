"""The local EMR's API additions: the EMR operations and fields moto 5.2.5 lacks.

Taught in notebooks/01_emr_provisioning.ipynb (through plain boto3 calls).

:func:`patch_moto` adds action methods to ``moto.emr.responses.ElasticMapReduceResponse``
(managed scaling and auto-termination policies, ``list_instance_fleets``, ``cancel_steps``),
wraps ``run_job_flow`` so that the fields moto drops are kept on its ``Cluster`` object, and
wraps the model methods whose states :mod:`emrlab.local.emr_worker` drives. See
:mod:`emrlab.local.emr` for the overall approach.
"""

from __future__ import annotations

import copy
from typing import Any, cast

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.emr import models, responses
from moto.emr.exceptions import ValidationException
from moto.emr.utils import random_instance_group_id

from emrlab.local import emr_worker as worker

TERMINAL = ("TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS")
MIN_IDLE_TIMEOUT, MAX_IDLE_TIMEOUT = 60, 604800  # EMR's limits, in seconds


def plain(value: Any) -> Any:
    """A request parameter from moto's parser (``XFormedDict``) as plain dicts and lists."""
    if hasattr(value, "original_dict"):
        value = value.original_dict()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return copy.deepcopy(value)


def _check_idle_timeout(policy: dict | None) -> None:
    if policy is None:
        return
    timeout = policy.get("IdleTimeout")
    if timeout is not None and not MIN_IDLE_TIMEOUT <= int(timeout) <= MAX_IDLE_TIMEOUT:
        raise ValidationException(
            f"AutoTerminationPolicy.IdleTimeout={timeout} is out of range; "
            f"allowed: {MIN_IDLE_TIMEOUT} to {MAX_IDLE_TIMEOUT} seconds"
        )


def _fleet(config: dict) -> dict:
    """An ``InstanceFleet`` (ListInstanceFleets shape) from a ``InstanceFleetConfig``."""
    on_demand = int(config.get("TargetOnDemandCapacity") or 0)
    spot = int(config.get("TargetSpotCapacity") or 0)
    now = utcnow()
    types = []
    for item in config.get("InstanceTypeConfigs", []):
        spec = {"InstanceType": item["InstanceType"],
                "WeightedCapacity": int(item.get("WeightedCapacity", 1))}
        for key in ("BidPrice", "BidPriceAsPercentageOfOnDemandPrice", "Configurations"):
            if key in item:
                spec[key] = item[key]
        types.append(spec)
    fleet = {
        "Id": "if-" + random_instance_group_id()[3:],
        "Name": config.get("Name", config["InstanceFleetType"].lower()),
        "Status": {"State": "RUNNING", "StateChangeReason": {},
                   "Timeline": {"CreationDateTime": now, "ReadyDateTime": now}},
        "InstanceFleetType": config["InstanceFleetType"],
        "TargetOnDemandCapacity": on_demand,
        "TargetSpotCapacity": spot,
        "ProvisionedOnDemandCapacity": on_demand,
        "ProvisionedSpotCapacity": spot,
        "InstanceTypeSpecifications": types,
    }
    if "LaunchSpecifications" in config:
        fleet["LaunchSpecifications"] = config["LaunchSpecifications"]
    return fleet


# ---- responses -------------------------------------------------------------------------

_orig_run_job_flow = responses.ElasticMapReduceResponse.run_job_flow


def run_job_flow(self) -> ActionResult:
    """moto's run_job_flow, keeping fleets, auto-termination and managed scaling."""
    fleets = plain(self._get_param("Instances.InstanceFleets", []))
    groups = self._get_param("Instances.InstanceGroups", [])
    if fleets and groups:
        raise ValidationException(
            "Instances: use InstanceGroups or InstanceFleets, not both"
        )
    auto_term = plain(self._get_param("AutoTerminationPolicy"))
    _check_idle_timeout(auto_term)
    result = _orig_run_job_flow(self)
    job_flow = cast(dict, result.result)  # moto types ActionResult.result as object
    cluster = self.backend.clusters[job_flow["JobFlowId"]]
    cluster.instance_collection_type = "INSTANCE_FLEET" if fleets else "INSTANCE_GROUP"
    cluster.instance_fleets = [_fleet(f) for f in fleets]
    cluster.auto_termination_policy = auto_term
    cluster.managed_scaling_policy = plain(self._get_param("ManagedScalingPolicy"))
    for step in cluster.steps:
        step.start_date_time = None  # moto stamps the first step at once
    return result


def _cluster(self):
    return self.backend.describe_cluster(self._get_param("ClusterId"))


def put_managed_scaling_policy(self) -> ActionResult:
    """PutManagedScalingPolicy."""
    _cluster(self).managed_scaling_policy = plain(self._get_param("ManagedScalingPolicy"))
    return EmptyResult()


def get_managed_scaling_policy(self) -> ActionResult:
    """GetManagedScalingPolicy."""
    policy = getattr(_cluster(self), "managed_scaling_policy", None)
    return ActionResult({"ManagedScalingPolicy": policy} if policy else {})


def remove_managed_scaling_policy(self) -> ActionResult:
    """RemoveManagedScalingPolicy."""
    _cluster(self).managed_scaling_policy = None
    return EmptyResult()


def put_auto_termination_policy(self) -> ActionResult:
    """PutAutoTerminationPolicy."""
    cluster = _cluster(self)
    policy = plain(self._get_param("AutoTerminationPolicy")) or {}
    _check_idle_timeout(policy)
    cluster.auto_termination_policy = policy
    return EmptyResult()


def get_auto_termination_policy(self) -> ActionResult:
    """GetAutoTerminationPolicy."""
    policy = getattr(_cluster(self), "auto_termination_policy", None)
    return ActionResult({"AutoTerminationPolicy": policy} if policy else {})


def remove_auto_termination_policy(self) -> ActionResult:
    """RemoveAutoTerminationPolicy."""
    _cluster(self).auto_termination_policy = None
    return EmptyResult()


def list_instance_fleets(self) -> ActionResult:
    """ListInstanceFleets (empty for a cluster built from instance groups)."""
    return ActionResult({"InstanceFleets": getattr(_cluster(self), "instance_fleets", [])})


def cancel_steps(self) -> ActionResult:
    """CancelSteps: PENDING steps are cancelled; RUNNING ones are interrupted or killed."""
    cluster = _cluster(self)
    option = self._get_param("StepCancellationOption") or "SEND_INTERRUPT"
    infos = [worker.cancel_step(cluster, step_id, option)
             for step_id in self._get_param("StepIds", [])]
    return ActionResult({"CancelStepsInfoList": infos})


_ACTIONS = {
    "run_job_flow": run_job_flow,
    "put_managed_scaling_policy": put_managed_scaling_policy,
    "get_managed_scaling_policy": get_managed_scaling_policy,
    "remove_managed_scaling_policy": remove_managed_scaling_policy,
    "put_auto_termination_policy": put_auto_termination_policy,
    "get_auto_termination_policy": get_auto_termination_policy,
    "remove_auto_termination_policy": remove_auto_termination_policy,
    "list_instance_fleets": list_instance_fleets,
    "cancel_steps": cancel_steps,
}

# ---- models ----------------------------------------------------------------------------

_orig_add_steps = models.Cluster.add_steps
_orig_bootstrap = models.Cluster.run_bootstrap_actions
_orig_terminate = models.Cluster.terminate
# the property objects themselves (vars(): attribute access would give mypy the getter's type)
_orig_cluster_status = vars(models.Cluster)["status"]
_orig_step_status = vars(models.Step)["status"]
_orig_master_type = vars(models.Cluster)["master_instance_type"]
_orig_slave_type = vars(models.Cluster)["slave_instance_type"]


def add_steps(self, steps: list) -> list:
    """Steps join as PENDING; the worker starts them (moto: the first one RUNNING at once)."""
    if not worker.running():
        return _orig_add_steps(self, steps)
    if getattr(self, "state", None) in TERMINAL:
        raise ValidationException(
            "A job flow that is shutting down, terminated, or finished may not be modified."
        )
    added = [models.Step(state="PENDING", **step) for step in steps]
    self.steps.extend(added)
    worker.wake()
    return added


def run_bootstrap_actions(self) -> None:
    """The cluster stays STARTING; the worker moves it on (moto: WAITING at once)."""
    if not worker.running():
        _orig_bootstrap(self)
        return
    worker.wake()


def terminate(self) -> None:
    """TERMINATING first; the worker ends the steps and sets TERMINATED."""
    if not worker.running():
        _orig_terminate(self)
        return
    worker.request_termination(self, "USER_REQUEST", "Terminated by user request")


def _cluster_status(self) -> dict:
    status = _orig_cluster_status.fget(self)
    code = getattr(self, "state_change_code", None)
    if code:
        status["StateChangeReason"]["Code"] = code
    return status


def _step_status(self) -> dict:
    status = _orig_step_status.fget(self)
    details = getattr(self, "failure_details", None)
    if details:
        status["FailureDetails"] = details
    return status


def _fleet_type(cluster, role: str) -> str | None:
    for fleet in getattr(cluster, "instance_fleets", []):
        if fleet["InstanceFleetType"] == role and fleet["InstanceTypeSpecifications"]:
            return fleet["InstanceTypeSpecifications"][0]["InstanceType"]
    return None


def _master_instance_type(self) -> str | None:
    """moto raises KeyError for fleet clusters (which breaks /moto-api/data.json)."""
    if self.master_instance_group_id is None:
        return _fleet_type(self, "MASTER")
    return _orig_master_type.fget(self)


def _slave_instance_type(self) -> str | None:
    if self.core_instance_group_id is None:
        return _fleet_type(self, "CORE")
    return _orig_slave_type.fget(self)


def patch_moto() -> None:
    """Install the additions (idempotent; :func:`emrlab.local.emr.install` calls it once)."""
    for name, func in _ACTIONS.items():
        setattr(responses.ElasticMapReduceResponse, name, func)
    # setattr: replacing methods and properties of moto's classes is outside what mypy models
    for cls, name, value in (
            (models.Cluster, "add_steps", add_steps),
            (models.Cluster, "run_bootstrap_actions", run_bootstrap_actions),
            (models.Cluster, "terminate", terminate),
            (models.Cluster, "status", property(_cluster_status)),
            (models.Step, "status", property(_step_status)),
            (models.Cluster, "master_instance_type", property(_master_instance_type)),
            (models.Cluster, "slave_instance_type", property(_slave_instance_type))):
        setattr(cls, name, value)
