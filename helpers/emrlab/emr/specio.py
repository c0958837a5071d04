"""Read and write cluster specs as JSON or YAML, in the RunJobFlow shape or the CLI's shape.

Taught in notebooks/01_emr_provisioning.ipynb.

Which file shapes exist, and why two
------------------------------------
* **RunJobFlow shape** (the default, what :func:`save_spec` writes): the request of the EMR API
  operation ``RunJobFlow``, i.e. ``boto3.client("emr").run_job_flow(**kwargs)`` keyword
  arguments (``Name``, ``ReleaseLabel``, ``Instances.InstanceGroups[].InstanceRole``...). botocore's
  service model defines it, so it is checked field by field.
* **create-cluster shape**: ``aws emr create-cluster`` is *not* a plain API command; it is a
  hand-written AWS CLI customisation (``awscli/customizations/emr/createcluster.py``) with its own
  options (``--release-label``, ``--instance-groups`` items with ``InstanceGroupType`` and an
  optional ``BidPrice`` that implies Spot, ``--ec2-attributes`` with ``InstanceProfile`` and
  ``SubnetId``, ``--steps`` with ``Type: Spark``, ``--tags k=v``, ``--auto-terminate``...). It does
  not support ``--cli-input-json`` or ``--generate-cli-skeleton`` at all (aws/aws-cli issue #1414,
  still open), so there is no official JSON file shape for it. What people do keep in files is the
  console's "AWS CLI export": option names with their JSON values. This module reads such a file as
  a mapping from option name (with or without ``--``) to value and converts it the way the CLI
  customisation does before it calls ``RunJobFlow``.

Any key ``x-emrlab`` (``{"lint_ignore": ["EMR007"]}``) holds kit settings, never sent to AWS.
A malformed file raises :class:`SpecError` naming the file and each field path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emrlab.emr.spec import COMMAND_RUNNER, ClusterSpec
from emrlab.emr.validate import Problem, model_problems, raise_if
from emrlab.exceptions import SpecError

KIT_KEY = "x-emrlab"
_SIMPLE = {  # create-cluster option -> RunJobFlow key (copied unchanged)
    "name": "Name", "release-label": "ReleaseLabel", "log-uri": "LogUri",
    "log-encryption-kms-key-id": "LogEncryptionKmsKeyId", "service-role": "ServiceRole",
    "auto-scaling-role": "AutoScalingRole", "configurations": "Configurations",
    "scale-down-behavior": "ScaleDownBehavior", "security-configuration": "SecurityConfiguration",
    "custom-ami-id": "CustomAmiId", "ebs-root-volume-size": "EbsRootVolumeSize",
    "repo-upgrade-on-boot": "RepoUpgradeOnBoot", "kerberos-attributes": "KerberosAttributes",
    "step-concurrency-level": "StepConcurrencyLevel", "additional-info": "AdditionalInfo",
    "managed-scaling-policy": "ManagedScalingPolicy", "auto-termination-policy":
    "AutoTerminationPolicy", "placement-group-configs": "PlacementGroupConfigs",
    "applications": "Applications", "instance-fleets": None, "instance-groups": None,
    "ec2-attributes": None, "bootstrap-actions": None, "steps": None, "tags": None,
    "auto-terminate": None, "no-auto-terminate": None, "termination-protected": None,
    "no-termination-protected": None, "visible-to-all-users": None,
    "no-visible-to-all-users": None, "use-default-roles": None,
}
_EC2_ATTRS = {"KeyName": "Ec2KeyName", "SubnetId": "Ec2SubnetId", "SubnetIds": "Ec2SubnetIds",
              "EmrManagedMasterSecurityGroup": "EmrManagedMasterSecurityGroup",
              "EmrManagedSlaveSecurityGroup": "EmrManagedSlaveSecurityGroup",
              "ServiceAccessSecurityGroup": "ServiceAccessSecurityGroup",
              "AdditionalMasterSecurityGroups": "AdditionalMasterSecurityGroups",
              "AdditionalSlaveSecurityGroups": "AdditionalSlaveSecurityGroups"}


def is_cli_shape(data: dict) -> bool:
    """True when the keys are create-cluster option names (lower case, hyphens)."""
    keys = [k.lstrip("-") for k in data if k != KIT_KEY]
    return bool(keys) and all(k == k.lower() for k in keys)


def _cli_groups(items: list, where: str, problems: list[Problem]) -> list[dict]:
    out = []
    for i, g in enumerate(items):
        if not isinstance(g, dict) or "InstanceGroupType" not in g:
            problems.append(Problem(f"{where}[{i}].InstanceGroupType", "required field is missing"))
            continue
        cfg = {"Name": g.get("Name", g["InstanceGroupType"]),
               "InstanceRole": str(g["InstanceGroupType"]).upper(),
               "InstanceType": g.get("InstanceType"), "InstanceCount": g.get("InstanceCount"),
               "Market": "SPOT" if "BidPrice" in g else "ON_DEMAND"}
        for key in ("BidPrice", "EbsConfiguration", "Configurations", "AutoScalingPolicy",
                    "CustomAmiId"):
            if key in g:
                cfg[key] = g[key]
        out.append(cfg)
    return out


def _cli_step(step: dict) -> dict:
    kind = str(step.get("Type", "CUSTOM_JAR")).upper()
    jar: dict[str, Any]
    if kind == "SPARK":
        jar = {"Jar": COMMAND_RUNNER, "Args": ["spark-submit", *step.get("Args", [])]}
    elif kind == "CUSTOM_JAR":
        jar = {"Jar": step.get("Jar"), "Args": list(step.get("Args", []))}
        if step.get("MainClass"):
            jar["MainClass"] = step["MainClass"]
    else:
        raise SpecError(f"step type {kind!r} is not supported here; use Spark or CUSTOM_JAR")
    return {"Name": step.get("Name", "Spark application" if kind == "SPARK" else "Custom JAR"),
            "ActionOnFailure": step.get("ActionOnFailure", "CONTINUE"), "HadoopJarStep": jar}


def cli_to_run_job_flow(data: dict) -> dict:
    """Convert a create-cluster option mapping to a RunJobFlow request (as the CLI does)."""
    opts = {k.lstrip("-"): v for k, v in data.items() if k != KIT_KEY}
    problems = [Problem(k, "unknown create-cluster option; allowed: " + ", ".join(sorted(_SIMPLE)))
                for k in opts if k not in _SIMPLE]
    req: dict[str, Any] = {"Name": "Development Cluster"}
    req.update({key: v for k, v in opts.items() if (key := _SIMPLE.get(k))})
    if "applications" in opts:
        req["Applications"] = [a if isinstance(a, dict) else {"Name": a} for a in opts["applications"]]
    inst: dict[str, Any] = {}
    if "instance-groups" in opts and "instance-fleets" in opts:
        problems.append(Problem("instance-groups", "use instance-groups or instance-fleets, not both"))
    if "instance-groups" in opts:
        inst["InstanceGroups"] = _cli_groups(opts["instance-groups"], "instance-groups", problems)
    if "instance-fleets" in opts:
        inst["InstanceFleets"] = [dict(f, Name=f.get("Name", f.get("InstanceFleetType")))
                                  for f in opts["instance-fleets"]]
    inst["KeepJobFlowAliveWhenNoSteps"] = not opts.get("auto-terminate", False)
    inst["TerminationProtected"] = bool(opts.get("termination-protected", False))
    req["VisibleToAllUsers"] = not opts.get("no-visible-to-all-users", False)
    attrs = dict(opts.get("ec2-attributes") or {})
    if opts.get("use-default-roles"):
        req["ServiceRole"], attrs["InstanceProfile"] = "EMR_DefaultRole", "EMR_EC2_DefaultRole"
    if "InstanceProfile" in attrs:
        req["JobFlowRole"] = attrs.pop("InstanceProfile")
    for key in ("AvailabilityZone", "AvailabilityZones"):
        if key in attrs:
            inst["Placement"] = {key: attrs.pop(key)}
    for key, value in attrs.items():
        if key not in _EC2_ATTRS:
            problems.append(Problem(f"ec2-attributes.{key}", "unknown attribute; allowed: "
                                    + ", ".join(["InstanceProfile", *_EC2_ATTRS])))
        else:
            inst[_EC2_ATTRS[key]] = value
    req["Instances"] = inst
    if "bootstrap-actions" in opts:
        req["BootstrapActions"] = [
            {"Name": b.get("Name", "Bootstrap action"),
             "ScriptBootstrapAction": {"Path": b.get("Path"), "Args": list(b.get("Args", []))}}
            for b in opts["bootstrap-actions"]]
    if "steps" in opts:
        req["Steps"] = [_cli_step(s) for s in opts["steps"]]
    tags = opts.get("tags")
    if isinstance(tags, dict):
        req["Tags"] = [{"Key": k, "Value": str(v)} for k, v in tags.items()]
    elif tags:
        req["Tags"] = [{"Key": t.partition("=")[0], "Value": t.partition("=")[2]} for t in tags]
    raise_if(problems, "create-cluster options")
    return req


def spec_from_data(data: Any, source: str = "spec") -> ClusterSpec:
    """A ClusterSpec from parsed JSON/YAML data in either shape (see the module docstring)."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: the top level must be a mapping, got {type(data).__name__}",
                        [Problem("(file)", "top level must be a mapping")])
    kit = data.get(KIT_KEY) or {}
    try:
        request = cli_to_run_job_flow(data) if is_cli_shape(data) else \
            {k: v for k, v in data.items() if k != KIT_KEY}
    except SpecError as exc:
        raise SpecError(f"{source}: {exc}", exc.problems) from None
    raise_if(model_problems(request), source)
    return ClusterSpec.from_run_job_flow(request, lint_ignore=list(kit.get("lint_ignore", [])))


def load_spec(path: str | Path) -> ClusterSpec:
    """Read a spec file (``.json``, ``.yaml`` or ``.yml``) in either shape.

    Taught in notebooks/01_emr_provisioning.ipynb.

    Raises
    ------
    SpecError
        The file is missing, unparsable or malformed; the message names the file and field paths.
    """
    import yaml

    path = Path(path)
    if path.suffix.lower() not in (".json", ".yaml", ".yml"):
        raise SpecError(f"{path}: unknown spec file type {path.suffix!r}; use .json, .yaml or .yml")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{path}: cannot read the spec file ({exc.strerror})") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: not valid {path.suffix.lstrip('.').upper()}: {exc}") from None
    return spec_from_data(data, str(path))


def save_spec(spec: ClusterSpec, path: str | Path) -> Path:
    """Write ``spec`` in the RunJobFlow shape (``.json`` or ``.yaml``/``.yml``), lint_ignore kept.

    Taught in notebooks/01_emr_provisioning.ipynb.
    """
    import yaml

    path = Path(path)
    data = spec.to_run_job_flow()
    if spec.lint_ignore:
        data[KIT_KEY] = {"lint_ignore": list(spec.lint_ignore)}
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    elif path.suffix.lower() in (".yaml", ".yml"):
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    else:
        raise SpecError(f"{path}: unknown spec file type {path.suffix!r}; use .json, .yaml or .yml")
    return path
