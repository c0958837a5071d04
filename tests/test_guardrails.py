"""Guard rails refuse before any create call; cleanup terminates the kit's clusters only."""

from __future__ import annotations

import boto3
import pytest

from emrlab import cli
from emrlab.emr import cleanup, guardrails, lifecycle
from emrlab.exceptions import ConfigError, GuardrailError
from tests.localemr_helpers import FAST, request


class NoCreate:
    """An EMR client that fails the test if run_job_flow is called."""

    def __getattr__(self, name):
        return getattr(boto3.client("emr"), name)

    def run_job_flow(self, **kw):
        raise AssertionError("run_job_flow must not be called")


@pytest.fixture
def owner(monkeypatch):
    monkeypatch.setenv("EMRLAB_OWNER", "guard-test")
    for name in ("EMRLAB_MAX_INSTANCES", "EMRLAB_MAX_HOURLY_USD", "EMRLAB_MAX_IDLE_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    return "guard-test"


def test_enforce_adds_the_kit_tags(settings, owner):
    req = request(Tags=[{"Key": "team", "Value": "ml"}, {"Key": "emrlab:managed", "Value": "no"}])
    out = guardrails.enforce(req, settings)
    tags = {t["Key"]: t["Value"] for t in out["Tags"]}
    assert tags["emrlab:managed"] == "true" and tags["emrlab:owner"] == owner
    assert tags["team"] == "ml" and len(tags["emrlab:run-id"]) == 12
    assert req["Tags"][1]["Value"] == "no"  # the caller's dict is not changed


@pytest.mark.parametrize("change, message", [
    (lambda r: r.pop("AutoTerminationPolicy"), "AutoTerminationPolicy is required"),
    (lambda r: r.update(AutoTerminationPolicy={"IdleTimeout": 7200}), "between 60 and 3600"),
    (lambda r: r["Instances"].update(TerminationProtected=True), "TerminationProtected"),
    (lambda r: r["Instances"]["InstanceGroups"][1].update(InstanceCount=20), "reach 21 instances"),
    (lambda r: r.update(ManagedScalingPolicy={"ComputeLimits": {
        "UnitType": "Instances", "MinimumCapacityUnits": 1, "MaximumCapacityUnits": 30}}),
     "reach 31 instances"),
    (lambda r: r["Instances"]["InstanceGroups"][1].update(InstanceType="zz9.xlarge"),
     "cannot be estimated"),
])
def test_each_guard_rail_refuses_before_create(settings, owner, change, message):
    req = request()
    change(req)
    with pytest.raises(GuardrailError, match=message):
        lifecycle.create_cluster(req, client=NoCreate(), settings=settings)


def test_cost_limit(settings, owner, monkeypatch):
    req = request()
    req["Instances"]["InstanceGroups"][1]["InstanceCount"] = 4
    assert guardrails.worst_hourly_usd(req, settings.region) > 1.0
    monkeypatch.setenv("EMRLAB_MAX_HOURLY_USD", "1")
    with pytest.raises(GuardrailError, match="USD/h") as info:
        lifecycle.create_cluster(req, client=NoCreate(), settings=settings)
    assert "EMRLAB_MAX_HOURLY_USD" in str(info.value)


def test_max_instances_counts_fleets_and_scaling():
    req = request()
    req["Instances"] = {"InstanceFleets": [
        {"InstanceFleetType": "MASTER", "TargetOnDemandCapacity": 1,
         "InstanceTypeConfigs": [{"InstanceType": "m5.xlarge"}]},
        {"InstanceFleetType": "CORE", "TargetSpotCapacity": 8,
         "InstanceTypeConfigs": [{"InstanceType": "m5.xlarge", "WeightedCapacity": 2}]}]}
    assert guardrails.max_instances(req) == 5
    # 12 fleet units of a type weighing 2 are 6 instances (it used to count 12), plus the primary
    req["ManagedScalingPolicy"] = {"ComputeLimits": {
        "UnitType": "InstanceFleetUnits", "MinimumCapacityUnits": 1, "MaximumCapacityUnits": 12}}
    assert guardrails.max_instances(req) == 7


@pytest.mark.parametrize("name, value", [("EMRLAB_MAX_INSTANCES", "many"),
                                         ("EMRLAB_MAX_HOURLY_USD", "-3")])
def test_bad_limit_settings_are_named(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        guardrails.limits()


def test_cleanup_terminates_tagged_clusters_only(settings, owner, capsys):
    emr = boto3.client("emr")
    ours = [lifecycle.create_cluster(request(f"kit-{i}")) for i in range(2)]
    foreign = emr.run_job_flow(**request("not-ours"))["JobFlowId"]
    listed = cleanup.cleanup(dry_run=True, yes=True, owner=owner)
    assert sorted(c["Id"] for c in listed) == sorted(ours)
    assert not any(c["Terminated"] for c in listed)
    assert cli.main(["cleanup", "--owner", owner]) == 0  # lists only
    assert "emrlab cleanup --yes" in capsys.readouterr().out
    assert cli.main(["cleanup", "--yes", "--owner", owner]) == 0
    for cid in ours:
        emr.get_waiter("cluster_terminated").wait(ClusterId=cid, WaiterConfig=FAST)
    assert emr.describe_cluster(ClusterId=foreign)["Cluster"]["Status"]["State"] in (
        "STARTING", "BOOTSTRAPPING", "WAITING")
    assert cleanup.kit_clusters(emr, owner) == []
    emr.terminate_job_flows(JobFlowIds=[foreign])
