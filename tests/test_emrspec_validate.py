"""emrlab.emr.validate: the botocore EMR model plus the rules it cannot express, with field paths."""

import copy

import pytest

from emrlab.emr import ClusterSpec, InstanceFleet, ManagedScaling, core, primary, task
from emrlab.emr.validate import is_arm, is_gpu, validate
from emrlab.exceptions import SpecError


def good() -> dict:
    return ClusterSpec(name="ok", instance_groups=[primary(), core(), task()],
                       idle_timeout=900).to_run_job_flow()


def paths(req) -> dict[str, str]:
    return {p.path: p.message for p in validate(req, raise_errors=False)}


def test_good_spec_has_no_problems_and_validate_raises_with_all_problems():
    assert validate(good()) == []
    req = good()
    req["ReleaseLabel"] = "7.13"
    req["AutoTerminationPolicy"]["IdleTimeout"] = 30
    with pytest.raises(SpecError) as err:
        validate(req)
    assert len(err.value.problems) == 2 and "2 problem(s)" in str(err.value)


def test_model_errors_use_the_real_service_model():
    req = good()
    req["Instances"]["InstanceGroups"][0]["InstanceCount"] = "1"
    del req["Instances"]["InstanceGroups"][1]["InstanceType"]
    req["Bogus"] = 1
    found = paths(req)
    assert "expected int" in found["Instances.InstanceGroups[0].InstanceCount"]
    assert found["Instances.InstanceGroups[1].InstanceType"] == "required field is missing"
    assert "unknown field" in found["Bogus"] and "ReleaseLabel" in found["Bogus"]


def test_enums_from_the_model_list_allowed_values():
    req = good()
    req["Instances"]["InstanceGroups"][2]["Market"] = "CHEAP"
    req["Steps"] = [{"Name": "s", "ActionOnFailure": "RETRY",
                     "HadoopJarStep": {"Jar": "command-runner.jar", "Args": []}}]
    found = paths(req)
    assert found["Instances.InstanceGroups[2].Market"] == \
        "'CHEAP' is not allowed; choose from ON_DEMAND, SPOT"
    assert "CANCEL_AND_WAIT" in found["Steps[0].ActionOnFailure"]


def test_groups_xor_fleets():
    req = good()
    req["Instances"]["InstanceFleets"] = [InstanceFleet("primary", ["m5.xlarge"], 1).to_api()]
    assert "never both" in paths(req)["Instances"]
    del req["Instances"]["InstanceFleets"], req["Instances"]["InstanceGroups"]
    assert "give InstanceGroups or InstanceFleets" in paths(req)["Instances"]


def test_bid_price_only_with_spot():
    req = good()
    req["Instances"]["InstanceGroups"][1]["BidPrice"] = "0.10"
    req["Instances"]["InstanceGroups"][2]["BidPrice"] = "cheap"
    found = paths(req)
    assert "only allowed with Market SPOT" in found["Instances.InstanceGroups[1].BidPrice"]
    assert "not a price" in found["Instances.InstanceGroups[2].BidPrice"]


@pytest.mark.parametrize("count, ok", [(1, True), (3, True), (2, False)])
def test_one_primary_group_with_1_or_3_nodes(count, ok):
    req = good()
    req["Instances"]["InstanceGroups"][0]["InstanceCount"] = count
    assert ("Instances.InstanceGroups[0].InstanceCount" not in paths(req)) is ok


def test_exactly_one_primary_and_one_core_group():
    req = good()
    req["Instances"]["InstanceGroups"].append(copy.deepcopy(req["Instances"]["InstanceGroups"][1]))
    req["Instances"]["InstanceGroups"].pop(0)
    msgs = [p.message for p in validate(req, raise_errors=False)
            if p.path == "Instances.InstanceGroups"]
    assert any("at most one CORE" in m for m in msgs)
    assert any("exactly one MASTER" in m and "found 0" in m for m in msgs)


def test_fleet_rules_spot_timeout_and_primary_capacity():
    spec = ClusterSpec(name="f", instance_fleets=[
        InstanceFleet("primary", ["m5.xlarge"], on_demand=1, spot=1),
        InstanceFleet("task", ["m5.xlarge"], spot=4, spot_timeout_minutes=2000,
                      spot_timeout_action="TERMINATE_CLUSTER")])
    found = paths(spec)
    assert "not both" in found["Instances.InstanceFleets[0]"]
    key = "Instances.InstanceFleets[1].LaunchSpecifications.SpotSpecification.TimeoutDurationMinutes"
    assert found[key] == "must be 5 to 1440 minutes; got 2000"
    spec.instance_fleets[1].spot_allocation = "cheapest"
    assert "capacity-optimized" in paths(spec)[
        "Instances.InstanceFleets[1].LaunchSpecifications.SpotSpecification.AllocationStrategy"]


@pytest.mark.parametrize("seconds, ok", [(59, False), (60, True), (604800, True), (604801, False)])
def test_idle_timeout_range(seconds, ok):
    req = good()
    req["AutoTerminationPolicy"]["IdleTimeout"] = seconds
    assert ("AutoTerminationPolicy.IdleTimeout" not in paths(req)) is ok


@pytest.mark.parametrize("label, ok", [("emr-7.13.0", True), ("emr-spark-8.1.0", True),
                                       ("emr-7.13", False), ("spark-8.1.0", False),
                                       ("emr-7.13.0-latest", False)])
def test_release_label_format(label, ok):
    req = good()
    req["ReleaseLabel"] = label
    assert ("ReleaseLabel" not in paths(req)) is ok


def test_instance_type_format():
    req = good()
    req["Instances"]["InstanceGroups"][1]["InstanceType"] = "m5-xlarge"
    assert "not an instance type" in paths(req)["Instances.InstanceGroups[1].InstanceType"]


def test_managed_scaling_limits():
    spec = ClusterSpec(name="m", instance_groups=[primary(), core()],
                       managed_scaling=ManagedScaling(10, 4, "InstanceFleetUnits", max_core=6))
    found = paths(spec)
    assert "minimum must be <= maximum" in found[
        "ManagedScalingPolicy.ComputeLimits.MinimumCapacityUnits"]
    assert "above MaximumCapacityUnits" in found[
        "ManagedScalingPolicy.ComputeLimits.MaximumCoreCapacityUnits"]
    assert "needs instance fleets" in found["ManagedScalingPolicy.ComputeLimits.UnitType"]


def test_gpu_types_need_the_yarn_gpu_configuration_and_no_arm():
    spec = ClusterSpec(name="g", instance_groups=[primary("m7g.xlarge"), core("g4dn.xlarge")])
    found = validate(spec, raise_errors=False)
    text = " ".join(map(str, found))
    assert "yarn.io/gpu" in text and "module.enabled" in text and "DominantResource" in text
    assert "Instances.InstanceGroups[0].InstanceType" in {p.path for p in found}


def test_family_helpers():
    assert is_gpu("g4dn.2xlarge") and is_gpu("p3.2xlarge") and not is_gpu("m5.xlarge")
    assert is_arm("m7g.xlarge") and is_arm("g5g.xlarge") and not is_arm("g4dn.xlarge")
    assert not is_gpu("g5g.xlarge")  # ARM GPU: RAPIDS on EMR needs x86


def test_rejects_other_objects():
    with pytest.raises(SpecError, match="expected a ClusterSpec"):
        validate(["not", "a", "spec"])
