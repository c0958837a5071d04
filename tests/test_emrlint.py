"""Every linter rule fires on a bad spec, stays silent on a good one, and can be silenced."""

import copy

import pytest

from emrlab.emr import (
    ClusterSpec,
    EbsVolume,
    InstanceFleet,
    ManagedScaling,
    core,
    gpu_cluster,
    primary,
    task,
)
from emrlab.emr.lint import RULES, at_least, lint
from emrlab.exceptions import SpecError


def good(**changes) -> ClusterSpec:
    fields = dict(name="good", instance_groups=[primary(), core(ebs=[EbsVolume(64)]), task()],
                  idle_timeout=900, keep_alive=True, managed_scaling=ManagedScaling(3, 10),
                  security_configuration="emrlab-secure", log_uri="s3://b/logs/",
                  subnet_id="subnet-0private", service_role="EMR_DefaultRole_V2")
    fields.update(changes)
    return ClusterSpec(**fields)


BAD = {
    "EMR001": good(instance_groups=[primary(), core(), task(spot=False)]),
    "EMR002": good(instance_groups=[primary(), core(market="SPOT"), task()]),
    "EMR003": good(idle_timeout=None),
    "EMR004": good(managed_scaling=None),
    "EMR005": good(security_configuration=None),
    "EMR006": good(log_uri="hdfs:///logs"),
    "EMR007": good(subnet_id=None),
    "EMR008": good(instance_groups=[primary(), core(ebs=[EbsVolume(64, "gp2")]), task()]),
    "EMR009": good(instance_groups=[primary(), core(ebs=[EbsVolume(8)]), task()]),
    "EMR010": good(instance_groups=[primary("m4.xlarge"), core(), task()]),
    "EMR011": good(instance_groups=[primary("m6i.xlarge"), core("g4dn.xlarge"), task()]),
    "EMR012": good(service_role="EMR_DefaultRole"),
}
EXPECTED_PATH = {
    "EMR001": "Instances.InstanceGroups[2].Market", "EMR002": "Instances.InstanceGroups[1].Market",
    "EMR003": "AutoTerminationPolicy", "EMR004": "ManagedScalingPolicy",
    "EMR005": "SecurityConfiguration", "EMR006": "LogUri", "EMR007": "Instances.Ec2SubnetId",
    "EMR008": "Instances.InstanceGroups[1].EbsConfiguration.EbsBlockDeviceConfigs[0]."
              "VolumeSpecification.VolumeType",
    "EMR009": "Instances.InstanceGroups[1].EbsConfiguration.EbsBlockDeviceConfigs[0]",
    "EMR010": "Instances.InstanceGroups[0].InstanceType", "EMR011": "Configurations",
    "EMR012": "ServiceRole",
}


def test_every_rule_is_covered_and_documented():
    assert set(BAD) == set(RULES)
    for rule in RULES.values():
        assert rule.severity in ("error", "warning", "info")
        assert rule.url.startswith("https://docs.aws.amazon.com/emr/")
        assert len(rule.reason) > 80


def test_good_spec_is_silent():
    assert lint(good()) == []


@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule_fires_on_bad_spec_and_is_silenced(rule):
    spec = copy.deepcopy(BAD[rule])
    fired = [f for f in lint(spec) if f.rule == rule]
    assert fired, f"{rule} did not fire"
    assert EXPECTED_PATH[rule] in {f.path for f in fired}
    assert {f.rule for f in lint(spec)} == {rule}  # each bad spec breaks one rule only
    assert lint(spec, ignore=[rule]) == []
    spec.lint_ignore = [rule]
    assert lint(spec) == []


def test_fleet_variants_of_market_rules():
    spec = good(instance_groups=[], managed_scaling=ManagedScaling(3, 10, "InstanceFleetUnits"),
                instance_fleets=[InstanceFleet("primary", ["m6i.xlarge"], spot=1),
                                 InstanceFleet("core", ["m6i.xlarge"], on_demand=2),
                                 InstanceFleet("task", ["m6i.xlarge"], on_demand=4)])
    rules = {f.rule: f.path for f in lint(spec)}
    assert rules["EMR002"] == "Instances.InstanceFleets[0].TargetSpotCapacity"
    assert rules["EMR001"] == "Instances.InstanceFleets[2].TargetSpotCapacity"


def test_graviton_hint_and_gpu_preset_passes():
    hints = lint(good(instance_groups=[primary("m5.xlarge"), core(), task()]))
    assert [f.rule for f in hints] == ["EMR010"] and "m7g" in hints[0].message
    spec = gpu_cluster("g", bootstrap_uri="s3://b/x.sh", idle_timeout=900, log_uri="s3://b/l/",
                       security_configuration="s", subnet_id="subnet-1",
                       service_role="EMR_DefaultRole_V2")
    assert lint(spec) == []


def test_severity_filter_and_unknown_ids():
    findings = lint(BAD["EMR011"]) + lint(BAD["EMR004"])
    assert {f.rule for f in at_least(findings, "error")} == {"EMR011"}
    assert len(at_least(findings, "info")) == len(findings)
    with pytest.raises(SpecError, match="unknown lint rule id.*EMR999.*known: EMR001"):
        lint(good(), ignore=["EMR999"])
