"""EMR cluster specs a learner can write in a few lines, turned into ``run_job_flow`` arguments.

Taught in notebooks/01_emr_provisioning.ipynb and labs/01_emr_cluster_design.

A :class:`ClusterSpec` holds what ``boto3.client("emr").run_job_flow(**kwargs)`` needs: release
label, applications, nodes as *instance groups* or *instance fleets* (never both), markets,
EBS volumes, bootstrap actions, configuration classifications, steps, auto-termination,
managed scaling, security configuration, log URI, tags and roles. :meth:`ClusterSpec.to_run_job_flow`
returns the keyword arguments; :meth:`ClusterSpec.from_run_job_flow` reads them back (keys this
module does not model travel in ``extra`` unchanged). Files are read and written by
:mod:`emrlab.emr.specio`; checks live in :mod:`emrlab.emr.validate` and :mod:`emrlab.emr.lint`.

Example
-------
>>> spec = ClusterSpec(
...     name="nightly-logs", release_label="emr-7.13.0",
...     instance_groups=[primary("m7g.xlarge"), core("m7g.xlarge", 2), task("m7g.xlarge", 4)],
...     idle_timeout=900, log_uri="s3://my-bucket/emr-logs/")
>>> kwargs = spec.to_run_job_flow()   # boto3 emr.run_job_flow(**kwargs)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from emrlab.emr.nodes import InstanceFleet, InstanceGroup

DEFAULT_RELEASE = "emr-7.13.0"
COMMAND_RUNNER = "command-runner.jar"

@dataclass
class Step:
    """A step: a jar (``command-runner.jar`` by default) and its arguments."""

    name: str
    args: list[str]
    jar: str = COMMAND_RUNNER
    action_on_failure: str = "CONTINUE"
    main_class: str | None = None
    properties: dict[str, str] = field(default_factory=dict)

    def to_api(self) -> dict:
        jar: dict[str, Any] = {"Jar": self.jar, "Args": list(self.args)}
        if self.main_class:
            jar["MainClass"] = self.main_class
        if self.properties:
            jar["Properties"] = [{"Key": k, "Value": v} for k, v in self.properties.items()]
        return {"Name": self.name, "ActionOnFailure": self.action_on_failure, "HadoopJarStep": jar}


def spark_step(name: str, script: str, args: list[str] | tuple = (), *,
               conf: dict[str, str] | None = None, deploy_mode: str = "cluster",
               action_on_failure: str = "CONTINUE") -> Step:
    """A ``spark-submit`` step through ``command-runner.jar``.

    Taught in notebooks/01_emr_provisioning.ipynb.
    """
    submit = ["spark-submit", "--deploy-mode", deploy_mode]
    for key, value in (conf or {}).items():
        submit += ["--conf", f"{key}={value}"]
    return Step(name, [*submit, script, *map(str, args)], action_on_failure=action_on_failure)


@dataclass
class BootstrapAction:
    """A script run on every node before applications start."""

    name: str
    path: str
    args: list[str] = field(default_factory=list)

    def to_api(self) -> dict:
        return {"Name": self.name,
                "ScriptBootstrapAction": {"Path": self.path, "Args": list(self.args)}}


@dataclass
class ManagedScaling:
    """Managed scaling compute limits (UnitType Instances, InstanceFleetUnits or VCPU)."""

    minimum: int
    maximum: int
    unit_type: str = "Instances"
    max_on_demand: int | None = None
    max_core: int | None = None

    def to_api(self) -> dict:
        limits: dict[str, Any] = {"UnitType": self.unit_type, "MinimumCapacityUnits": self.minimum,
                                  "MaximumCapacityUnits": self.maximum}
        if self.max_on_demand is not None:
            limits["MaximumOnDemandCapacityUnits"] = self.max_on_demand
        if self.max_core is not None:
            limits["MaximumCoreCapacityUnits"] = self.max_core
        return {"ComputeLimits": limits}


def configuration(classification: str, properties: dict | None = None, *nested: dict) -> dict:
    """One configuration classification (``spark-defaults``, ``yarn-site``...), maybe nested.

    Taught in notebooks/01_emr_provisioning.ipynb. Property values are sent as strings.
    """
    out: dict[str, Any] = {"Classification": classification,
                           "Properties": {k: str(v) for k, v in (properties or {}).items()}}
    if nested:
        out["Configurations"] = list(nested)
    return out


@dataclass
class ClusterSpec:
    """Everything ``run_job_flow`` needs, plus ``lint_ignore`` (rule ids, never sent to AWS).

    Taught in notebooks/01_emr_provisioning.ipynb and labs/01_emr_cluster_design.
    """

    name: str
    release_label: str = DEFAULT_RELEASE
    applications: list[str] = field(default_factory=lambda: ["Hadoop", "Spark"])
    instance_groups: list[InstanceGroup] = field(default_factory=list)
    instance_fleets: list[InstanceFleet] = field(default_factory=list)
    configurations: list[dict] = field(default_factory=list)
    bootstrap_actions: list[BootstrapAction] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    idle_timeout: int | None = None
    managed_scaling: ManagedScaling | None = None
    security_configuration: str | None = None
    log_uri: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    service_role: str = "EMR_DefaultRole"
    job_flow_role: str = "EMR_EC2_DefaultRole"
    step_concurrency_level: int = 1
    keep_alive: bool = False
    termination_protected: bool = False
    subnet_id: str | None = None
    ec2_key_name: str | None = None
    visible_to_all_users: bool = True
    extra: dict = field(default_factory=dict)
    lint_ignore: list[str] = field(default_factory=list)

    def to_run_job_flow(self) -> dict:
        """The keyword arguments of ``boto3.client("emr").run_job_flow``."""
        instances: dict[str, Any] = {}
        if self.instance_groups:
            instances["InstanceGroups"] = [g.to_api() for g in self.instance_groups]
        if self.instance_fleets:
            instances["InstanceFleets"] = [f.to_api() for f in self.instance_fleets]
        instances["KeepJobFlowAliveWhenNoSteps"] = self.keep_alive
        instances["TerminationProtected"] = self.termination_protected
        if self.subnet_id:
            instances["Ec2SubnetId"] = self.subnet_id
        if self.ec2_key_name:
            instances["Ec2KeyName"] = self.ec2_key_name
        out: dict[str, Any] = {
            "Name": self.name, "ReleaseLabel": self.release_label,
            "Applications": [{"Name": a} for a in self.applications], "Instances": instances,
            "ServiceRole": self.service_role, "JobFlowRole": self.job_flow_role,
            "VisibleToAllUsers": self.visible_to_all_users,
            "StepConcurrencyLevel": self.step_concurrency_level,
        }
        optional = {
            "LogUri": self.log_uri, "SecurityConfiguration": self.security_configuration,
            "Configurations": copy.deepcopy(self.configurations) or None,
            "BootstrapActions": [b.to_api() for b in self.bootstrap_actions] or None,
            "Steps": [s.to_api() for s in self.steps] or None,
            "Tags": [{"Key": k, "Value": str(v)} for k, v in self.tags.items()] or None,
            "AutoTerminationPolicy": ({"IdleTimeout": self.idle_timeout}
                                      if self.idle_timeout is not None else None),
            "ManagedScalingPolicy": self.managed_scaling.to_api() if self.managed_scaling else None,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        for key, value in copy.deepcopy(self.extra).items():
            if key == "Instances":
                instances.update(value)
            else:
                out[key] = value
        return out

    @classmethod
    def from_run_job_flow(cls, request: dict, lint_ignore: list[str] | None = None) -> ClusterSpec:
        """Read ``run_job_flow`` keyword arguments back into a spec.

        Raises
        ------
        SpecError
            The request breaks the EMR API model (field paths in ``.problems``).
        """
        from emrlab.emr.validate import model_problems, raise_if

        raise_if(model_problems(request), "run_job_flow request")
        r = copy.deepcopy(request)
        inst = r.pop("Instances")
        spec = cls(name=r.pop("Name"), release_label=r.pop("ReleaseLabel", DEFAULT_RELEASE),
                   lint_ignore=list(lint_ignore or []))
        spec.applications = [a["Name"] for a in r.pop("Applications", [])]
        spec.instance_groups = [InstanceGroup.from_api(g) for g in inst.pop("InstanceGroups", [])]
        spec.instance_fleets = [InstanceFleet.from_api(f) for f in inst.pop("InstanceFleets", [])]
        spec.keep_alive = inst.pop("KeepJobFlowAliveWhenNoSteps", False)
        spec.termination_protected = inst.pop("TerminationProtected", False)
        spec.subnet_id = inst.pop("Ec2SubnetId", None)
        spec.ec2_key_name = inst.pop("Ec2KeyName", None)
        spec.configurations = r.pop("Configurations", [])
        spec.bootstrap_actions = [
            BootstrapAction(b["Name"], b["ScriptBootstrapAction"]["Path"],
                            b["ScriptBootstrapAction"].get("Args", []))
            for b in r.pop("BootstrapActions", [])]
        spec.steps = [
            Step(s["Name"], s["HadoopJarStep"].get("Args", []), s["HadoopJarStep"]["Jar"],
                 s.get("ActionOnFailure", "CONTINUE"), s["HadoopJarStep"].get("MainClass"),
                 {p["Key"]: p.get("Value", "") for p in s["HadoopJarStep"].get("Properties", [])})
            for s in r.pop("Steps", [])]
        spec.idle_timeout = r.pop("AutoTerminationPolicy", {}).get("IdleTimeout")
        limits = r.pop("ManagedScalingPolicy", {}).get("ComputeLimits")
        if limits:
            spec.managed_scaling = ManagedScaling(
                limits["MinimumCapacityUnits"], limits["MaximumCapacityUnits"], limits["UnitType"],
                limits.get("MaximumOnDemandCapacityUnits"), limits.get("MaximumCoreCapacityUnits"))
        spec.tags = {t["Key"]: t.get("Value", "") for t in r.pop("Tags", [])}
        for attr, key in (("security_configuration", "SecurityConfiguration"),
                          ("log_uri", "LogUri"), ("service_role", "ServiceRole"),
                          ("job_flow_role", "JobFlowRole"),
                          ("step_concurrency_level", "StepConcurrencyLevel"),
                          ("visible_to_all_users", "VisibleToAllUsers")):
            if key in r:
                setattr(spec, attr, r.pop(key))
        spec.extra = r
        if inst:
            spec.extra["Instances"] = inst
        return spec
