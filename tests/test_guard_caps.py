"""Guards that hold: fleets at their dearest launch, scaling ceilings, whole counts, sound caps,
cleanup scoped to its owner (issue "Guards that hold")."""

from __future__ import annotations

import functools
import math
import random
import re

import boto3
import pytest

from emrlab import cli
from emrlab.emr import capacity, cleanup, costs, guardrails, lifecycle, rapids_configurations
from emrlab.exceptions import ConfigError, GuardrailError, ParameterError, SpecError
from tests.localemr_helpers import FAST, request

# A price table of its own, so the figures below do not move with the bundled snapshot.
PRICES = {"taken": "test", "hours_per_month": 730, "spot_discount_default": 0.6, "regions": {
    "us-east-1": {"ebs_gb_month": {"gp3": 0.08}, "instances": {
        "m5.xlarge": {"ec2": 0.192, "emr": 0.048, "confirmed": True},
        "m5.2xlarge": {"ec2": 0.384, "emr": 0.096, "confirmed": True},
        "p3.2xlarge": {"ec2": 3.06, "emr": 0.27, "confirmed": True}}}}}
WITH_VCPUS = {**PRICES, "regions": {"us-east-1": {**PRICES["regions"]["us-east-1"], "instances": {
    k: {**v, "vcpu": {"m5.xlarge": 4, "m5.2xlarge": 8, "p3.2xlarge": 8}[k]}
    for k, v in PRICES["regions"]["us-east-1"]["instances"].items()}}}}


class NoCreate:
    """An EMR client that fails the test if run_job_flow is called."""

    def __getattr__(self, name):
        return getattr(boto3.client("emr"), name)

    def run_job_flow(self, **kw):
        raise AssertionError("run_job_flow must not be called")


@pytest.fixture
def owner(monkeypatch):
    monkeypatch.setenv("EMRLAB_OWNER", "caps-test")
    for name in ("EMRLAB_MAX_INSTANCES", "EMRLAB_MAX_HOURLY_USD", "EMRLAB_MAX_IDLE_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    return "caps-test"


def fleets(*core_types, od=0, spot=0, switch=False) -> dict:
    """A request with a one-node primary fleet and a CORE fleet of ``core_types``."""
    core = {"InstanceFleetType": "CORE", "TargetOnDemandCapacity": od, "TargetSpotCapacity": spot,
            "InstanceTypeConfigs": [t if isinstance(t, dict) else {"InstanceType": t}
                                    for t in core_types]}
    if switch:
        core["LaunchSpecifications"] = {"SpotSpecification": {
            "TimeoutDurationMinutes": 10, "TimeoutAction": "SWITCH_TO_ON_DEMAND"}}
    req = request(Configurations=rapids_configurations("emr-7.1.0"))  # p3 is a GPU type
    req["Instances"] = {"InstanceFleets": [
        {"InstanceFleetType": "MASTER", "TargetOnDemandCapacity": 1,
         "InstanceTypeConfigs": [{"InstanceType": "m5.xlarge"}]}, core],
        "KeepJobFlowAliveWhenNoSteps": True}
    return req


def hourly(itype: str, prices: dict | None = None) -> float:
    p = costs.instance_price(itype, "us-east-1", prices)
    return p["ec2"] + p["emr"]


# ---- 1. fleets are priced at the dearest launch EMR may choose --------------------------------

@pytest.mark.parametrize("order", [["m5.xlarge", "p3.2xlarge"], ["p3.2xlarge", "m5.xlarge"]])
def test_fleet_is_priced_at_its_dearest_type_whatever_the_order(order):
    # primary 0.24 + 8 x p3.2xlarge (3.06 + 0.27) = 26.88, never 8 x m5.xlarge = 2.16
    types = [{"InstanceType": t, "Priority": float(i)} for i, t in enumerate(reversed(order))]
    req = fleets(*types, od=8)
    est = costs.estimate(req, prices=PRICES)
    assert est.per_hour == pytest.approx(26.88)
    assert [(i.instance_type, i.count) for i in est.items] == [("m5.xlarge", 1), ("p3.2xlarge", 8)]
    assert est.worst_case and "at most" in est.table() and "worst launch" in est.table()
    assert guardrails.worst_hourly_usd(req, "us-east-1", PRICES) == pytest.approx(26.88)


@pytest.mark.parametrize("order", [["m5.xlarge", "p3.2xlarge"], ["p3.2xlarge", "m5.xlarge"]])
def test_mixed_fleet_is_refused_under_the_cost_cap(settings, owner, order):
    req = fleets(*order, od=8)
    with pytest.raises(GuardrailError, match="may cost") as info:
        lifecycle.create_cluster(req, client=NoCreate(), settings=settings)
    worst = hourly("m5.xlarge") + 8 * hourly("p3.2xlarge")
    assert f"{worst:.2f} USD/h" in str(info.value) and "EMRLAB_MAX_HOURLY_USD" in str(info.value)


def test_weights_price_per_unit_and_overshoot():
    # m5.2xlarge weighs 2 and costs 0.48: the same 0.24 per unit as m5.xlarge. 5 Spot units may
    # end as 2 x m5.2xlarge (4 units) + one more m5.2xlarge: 6 units, overshooting by 1.
    spot_2x = 0.384 * 0.4 + 0.096
    est = costs.estimate(fleets({"InstanceType": "m5.2xlarge", "WeightedCapacity": 2},
                                "m5.xlarge", spot=5), prices=PRICES)
    assert est.per_hour == pytest.approx(0.24 + 3 * spot_2x)
    # 3 units from [1 unit at 1.0, 3 units at 3.5]: 1 + 1 launched, then 3.5 -> 5.5 for 5 units
    assert capacity.worst_fill(3, [(1, 1.0), (3, 3.5)]) == (5.5, [2, 1])
    assert capacity.worst_fill(5, [(2, 1.0)]) == (3.0, [3])  # ceil(5 / 2) instances
    assert capacity.worst_fill(0, [(2, 1.0)]) == (0.0, [0])


def test_worst_fill_is_the_worst_sequential_launch():
    """Against brute force: EMR launches any type while the target is not met."""
    def brute(target, options):
        @functools.lru_cache(None)
        def most(filled):
            return 0.0 if filled >= target else max(p + most(filled + w) for w, p in options)
        return most(0)

    rng = random.Random(7)
    for _ in range(300):
        options = tuple((rng.randint(1, 6), round(rng.uniform(0, 4), 2))
                        for _ in range(rng.randint(1, 4)))
        target = rng.randint(0, 60)
        cost, counts = capacity.worst_fill(target, list(options))
        assert cost == pytest.approx(brute(target, options))
        assert sum(n * w for n, (w, _) in zip(counts, options, strict=True)) >= target


def test_spot_target_that_may_switch_to_on_demand_is_priced_on_demand():
    plain = costs.estimate(fleets("m5.xlarge", spot=4), prices=PRICES)
    switch = costs.estimate(fleets("m5.xlarge", spot=4, switch=True), prices=PRICES)
    assert plain.per_hour == pytest.approx(0.24 + 4 * (0.192 * 0.4 + 0.048))
    assert switch.per_hour == pytest.approx(0.24 + 4 * 0.24)


def test_fleet_instance_count_uses_the_lightest_type():
    # 8 units: up to 8 m5.xlarge (weight 1), not 4 m5.2xlarge (weight 2)
    req = fleets({"InstanceType": "m5.2xlarge", "WeightedCapacity": 2}, "m5.xlarge", od=8)
    assert guardrails.max_instances(req) == 9


# ---- 2. scaling ceilings count --------------------------------------------------------------

def auto_scaling(max_capacity: int) -> dict:
    return {"Constraints": {"MinCapacity": 1, "MaxCapacity": max_capacity}, "Rules": [{
        "Name": "out", "Action": {"SimpleScalingPolicyConfiguration": {"ScalingAdjustment": 2}},
        "Trigger": {"CloudWatchAlarmDefinition": {
            "ComparisonOperator": "LESS_THAN", "MetricName": "YARNMemoryAvailablePercentage",
            "Period": 300, "Threshold": 15.0}}}]}


def with_task_group(count: int, **extra) -> dict:
    req = request()
    req["Instances"]["InstanceGroups"].append(
        {"InstanceRole": "TASK", "InstanceType": "m5.xlarge", "InstanceCount": count, **extra})
    return req


def test_auto_scaling_ceiling_counts_against_both_caps(settings, owner):
    req = with_task_group(4, AutoScalingPolicy=auto_scaling(500))
    assert guardrails.max_instances(req) == 502
    assert guardrails.worst_hourly_usd(req, "us-east-1", PRICES) == pytest.approx(502 * 0.24)
    assert costs.estimate(req, prices=PRICES).per_hour == pytest.approx(6 * 0.24)  # start size
    with pytest.raises(GuardrailError, match="reach 502 instances") as info:
        lifecycle.create_cluster(req, client=NoCreate(), settings=settings)
    assert "EMRLAB_MAX_HOURLY_USD" in str(info.value)


@pytest.mark.parametrize("unit, maximum, prices, count, per_hour", [
    # 30 instances of the dearest core/task option (m5.2xlarge task group) + the primary
    ("Instances", 30, PRICES, 31, 0.24 + 30 * 0.48),
    # VCPU with counts known (m5.xlarge 4, m5.2xlarge 8; both 0.06 USD/h per vCPU): at most
    # 16 instances; the dearest launch is 15 x m5.xlarge (60 vCPUs) + one m5.2xlarge (68 vCPUs)
    ("VCPU", 64, WITH_VCPUS, 17, 0.24 + 15 * 0.24 + 0.48),
    # VCPU with counts unknown: each vCPU counts (and is priced) as a whole instance
    ("VCPU", 64, PRICES, 65, 0.24 + 64 * 0.48),
])
def test_managed_scaling_ceiling_counts(unit, maximum, prices, count, per_hour):
    req = with_task_group(2)
    req["Instances"]["InstanceGroups"][2]["InstanceType"] = "m5.2xlarge"
    req["ManagedScalingPolicy"] = {"ComputeLimits": {
        "UnitType": unit, "MinimumCapacityUnits": 1, "MaximumCapacityUnits": maximum}}
    assert guardrails.max_instances(req, "us-east-1", prices) == count
    est = costs.estimate(req, prices=prices, at_ceiling=True)
    assert est.per_hour == pytest.approx(per_hour)
    assert "managed scaling ceiling" in est.table()


def test_managed_fleet_units_use_the_dearest_unit(settings, owner):
    req = fleets("m5.xlarge", {"InstanceType": "p3.2xlarge", "WeightedCapacity": 2}, od=2)
    req["ManagedScalingPolicy"] = {"ComputeLimits": {
        "UnitType": "InstanceFleetUnits", "MinimumCapacityUnits": 2, "MaximumCapacityUnits": 8}}
    assert guardrails.max_instances(req) == 9  # 8 units of the 1-unit type
    # p3 costs 3.33 per 2 units, m5.xlarge 0.24 per unit: 3 x p3 + 1 x m5.xlarge fill 7 units,
    # then one more p3 (9 units): 4 x 3.33 + 0.24, plus the primary 0.24
    assert guardrails.worst_hourly_usd(req, "us-east-1", PRICES) == pytest.approx(
        0.24 + 4 * 3.33 + 0.24)
    with pytest.raises(GuardrailError, match="may cost"):
        lifecycle.create_cluster(req, client=NoCreate(), settings=settings)


def test_unknown_vcpus_say_so_in_the_refusal(owner):
    req = request()
    req["ManagedScalingPolicy"] = {"ComputeLimits": {
        "UnitType": "VCPU", "MinimumCapacityUnits": 4, "MaximumCapacityUnits": 16}}
    found = guardrails.problems(req, guardrails.limits(), "us-east-1", PRICES)
    assert any("reach 17 instances" in p and "vCPU count of m5.xlarge is unknown" in p
               for p in found)
    assert guardrails.problems(req, guardrails.limits(), "us-east-1", WITH_VCPUS) == []


# ---- 3. counts and caps that cannot switch a guard off --------------------------------------

def test_negative_task_group_cannot_cancel_core_nodes(settings, owner):
    req = with_task_group(-12)
    req["Instances"]["InstanceGroups"][1]["InstanceCount"] = 20
    with pytest.raises(GuardrailError, match=r"Instances\.InstanceGroups\[2\]\.InstanceCount: -12 "
                                             r"is not allowed; use a whole number >= 0"):
        lifecycle.create_cluster(req, client=NoCreate(), settings=settings)
    with pytest.raises(SpecError, match=r"InstanceGroups\[2\]\.InstanceCount: -12"):
        costs.estimate(req, prices=PRICES)
    with pytest.raises(SpecError, match=r"InstanceGroups\[2\]\.InstanceCount: -12"):
        guardrails.max_instances(req)


@pytest.mark.parametrize("change, path", [
    (lambda r: r["Instances"]["InstanceGroups"][1].update(InstanceCount=2.5),
     r"InstanceGroups\[1\]\.InstanceCount: 2\.5"),
    (lambda r: r["Instances"]["InstanceGroups"][1].update(InstanceCount=True),
     r"InstanceGroups\[1\]\.InstanceCount: True"),
    (lambda r: r["Instances"]["InstanceGroups"][1].update(InstanceCount="3"),
     r"InstanceGroups\[1\]\.InstanceCount: '3'"),
    (lambda r: r["Instances"]["InstanceGroups"][1].update(AutoScalingPolicy=auto_scaling(-5)),
     r"Constraints\.MaxCapacity: -5"),
    (lambda r: r.update(ManagedScalingPolicy={"ComputeLimits": {
        "UnitType": "Instances", "MinimumCapacityUnits": -40, "MaximumCapacityUnits": -30}}),
     r"ComputeLimits\.MaximumCapacityUnits: -30"),
    (lambda r: r.update(fleets({"InstanceType": "m5.xlarge", "WeightedCapacity": 0}, od=4)),
     r"InstanceTypeConfigs\[0\]\.WeightedCapacity: 0 is not allowed; use a whole number >= 1"),
    (lambda r: r.update(fleets("m5.xlarge", od=-3)), r"TargetOnDemandCapacity: -3"),
])
def test_bad_counts_are_named_by_path_and_value(owner, change, path):
    req = request()
    change(req)
    found = guardrails.problems(req, guardrails.limits(), "us-east-1", PRICES)
    assert any(re.search(path, p) for p in found), found
    with pytest.raises(GuardrailError, match=path):
        guardrails.enforce(req, limits_=guardrails.limits())


@pytest.mark.parametrize("name", ["EMRLAB_MAX_HOURLY_USD", "EMRLAB_MAX_INSTANCES",
                                  "EMRLAB_MAX_IDLE_TIMEOUT"])
@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "-1", "0", "1e999", "2.5x"])
def test_caps_must_be_finite_and_positive(monkeypatch, owner, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"{name}='{value}' is not allowed; use a "):
        guardrails.limits()


def test_a_nan_cost_cap_no_longer_lets_a_cluster_through(settings, owner, monkeypatch):
    monkeypatch.setenv("EMRLAB_MAX_HOURLY_USD", "nan")
    req = with_task_group(40)  # 42 x m5.xlarge: about 10 USD/h
    monkeypatch.setenv("EMRLAB_MAX_INSTANCES", "100")
    with pytest.raises(ConfigError, match="EMRLAB_MAX_HOURLY_USD='nan'"):
        lifecycle.create_cluster(req, client=NoCreate(), settings=settings)


@pytest.mark.parametrize("field, value", [("max_hourly_usd", math.nan), ("max_hourly_usd", 0),
                                          ("max_instances", -1), ("max_idle_timeout_s", 10),
                                          ("max_instances", 2.5)])
def test_limits_object_refuses_caps_that_switch_a_guard_off(field, value):
    with pytest.raises(ConfigError, match=f"{field}="):
        guardrails.Limits("someone", **{field: value})


def test_idle_cap_and_fractional_values(monkeypatch, owner):
    monkeypatch.setenv("EMRLAB_MAX_IDLE_TIMEOUT", "30")
    with pytest.raises(ConfigError, match="from 60 to 604800"):
        guardrails.limits()
    monkeypatch.setenv("EMRLAB_MAX_IDLE_TIMEOUT", "7200")
    monkeypatch.setenv("EMRLAB_MAX_HOURLY_USD", "2.5")
    assert (guardrails.limits().max_idle_timeout_s, guardrails.limits().max_hourly_usd) == (7200, 2.5)


# ---- 4. cleanup acts for its owner ----------------------------------------------------------

class Recording:
    """An EMR client that records terminate calls and only passes on those for ``allowed``."""

    def __init__(self, allowed):
        self.emr, self.allowed, self.asked = boto3.client("emr"), set(allowed), []

    def __getattr__(self, name):
        return getattr(self.emr, name)

    def terminate_job_flows(self, JobFlowIds):  # noqa: N803 (the boto3 name)
        self.asked += JobFlowIds
        ids = [i for i in JobFlowIds if i in self.allowed]
        if ids:
            self.emr.terminate_job_flows(JobFlowIds=ids)


def test_cleanup_yes_terminates_only_the_callers_clusters(settings, monkeypatch, capsys):
    emr = boto3.client("emr")
    monkeypatch.setenv("EMRLAB_OWNER", "cleanup-me")
    mine = lifecycle.create_cluster(request("mine"))
    theirs = lifecycle.create_cluster(request("theirs"),
                                      limits=guardrails.Limits(owner="cleanup-them"))
    try:
        assert cli.main(["cleanup", "--yes"]) == 0
        out = capsys.readouterr().out
        emr.get_waiter("cluster_terminated").wait(ClusterId=mine, WaiterConfig=FAST)
        assert emr.describe_cluster(ClusterId=theirs)["Cluster"]["Status"]["State"] in (
            "STARTING", "BOOTSTRAPPING", "WAITING", "RUNNING")
        line = next(x for x in out.splitlines() if x.startswith(theirs))
        assert "owner=cleanup-them" in line and "not touched" in line
        assert "of other owners were not touched" in out and "--all-owners" in out

        listed = cleanup.cleanup(client=Recording([theirs]), yes=True, all_owners=True)
        assert {c["Id"]: c["Terminated"] for c in listed}[theirs] is True
        emr.get_waiter("cluster_terminated").wait(ClusterId=theirs, WaiterConfig=FAST)
    finally:
        emr.terminate_job_flows(JobFlowIds=[mine, theirs])


def test_cleanup_owner_choices_are_checked(settings, capsys):
    with pytest.raises(ParameterError, match="cannot be combined"):
        cleanup.cleanup(owner="a", all_owners=True)
    with pytest.raises(ParameterError, match="yes='y'"):
        cleanup.cleanup(yes="y")
    with pytest.raises(SystemExit):
        cli.main(["cleanup", "--owner", "a", "--all-owners"])
    assert cli.main(["cleanup", "--yes", "--owner", " "]) == 2
    assert "--owner '' is empty" in capsys.readouterr().err
