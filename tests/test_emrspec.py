"""ClusterSpec -> run_job_flow kwargs, and spec files in the RunJobFlow and create-cluster shapes."""

import json

import pytest
import yaml

from emrlab.emr import (
    BootstrapAction,
    ClusterSpec,
    EbsVolume,
    FleetType,
    InstanceFleet,
    ManagedScaling,
    cli_to_run_job_flow,
    configuration,
    core,
    is_cli_shape,
    load_spec,
    primary,
    save_spec,
    task,
)
from emrlab.emr.spec import spark_step
from emrlab.emr.validate import validate
from emrlab.exceptions import SpecError


def full_spec() -> ClusterSpec:
    return ClusterSpec(
        name="nightly", release_label="emr-7.13.0",
        instance_groups=[primary("m7g.xlarge"), core("m7g.xlarge", 2, ebs=[EbsVolume(64)]),
                         task("m7g.xlarge", 4, bid_price="0.08")],
        configurations=[configuration("spark-defaults", {"spark.sql.shuffle.partitions": 64}),
                        configuration("hadoop-env", {}, configuration("export", {"A": "1"}))],
        bootstrap_actions=[BootstrapAction("deps", "s3://b/boot.sh", ["--x"])],
        steps=[spark_step("etl", "s3://b/etl.py", ["--day", "2026-11-01"],
                          conf={"spark.executor.memory": "4g"})],
        idle_timeout=900, managed_scaling=ManagedScaling(3, 10, max_on_demand=3, max_core=3),
        security_configuration="emrlab-secure", log_uri="s3://b/logs/", tags={"team": "ml"},
        lint_ignore=["EMR007"])


def test_to_run_job_flow_has_the_api_fields():
    req = full_spec().to_run_job_flow()
    groups = req["Instances"]["InstanceGroups"]
    assert [g["InstanceRole"] for g in groups] == ["MASTER", "CORE", "TASK"]
    assert groups[2] == {"Name": "task", "InstanceRole": "TASK", "Market": "SPOT",
                         "InstanceType": "m7g.xlarge", "InstanceCount": 4, "BidPrice": "0.08"}
    assert groups[1]["EbsConfiguration"]["EbsBlockDeviceConfigs"][0] == {
        "VolumeSpecification": {"VolumeType": "gp3", "SizeInGB": 64}, "VolumesPerInstance": 1}
    assert req["AutoTerminationPolicy"] == {"IdleTimeout": 900}
    assert req["ManagedScalingPolicy"]["ComputeLimits"]["MaximumCoreCapacityUnits"] == 3
    assert req["Steps"][0]["HadoopJarStep"] == {"Jar": "command-runner.jar", "Args": [
        "spark-submit", "--deploy-mode", "cluster", "--conf", "spark.executor.memory=4g",
        "s3://b/etl.py", "--day", "2026-11-01"]}
    assert req["Configurations"][0]["Properties"] == {"spark.sql.shuffle.partitions": "64"}
    assert req["Tags"] == [{"Key": "team", "Value": "ml"}]
    assert "lint_ignore" not in json.dumps(req) and "EMR007" not in json.dumps(req)
    assert validate(full_spec()) == []


def test_round_trip_through_run_job_flow():
    spec = full_spec()
    back = ClusterSpec.from_run_job_flow(spec.to_run_job_flow(), lint_ignore=["EMR007"])
    assert back == spec


def test_fleets_round_trip_and_unknown_keys_travel_in_extra():
    spec = ClusterSpec(name="f", instance_fleets=[
        InstanceFleet("primary", ["m6i.xlarge"], on_demand=1),
        InstanceFleet("core", ["m6i.xlarge", FleetType("m6i.2xlarge", 2)], on_demand=4,
                      on_demand_allocation="lowest-price"),
        InstanceFleet("task", ["m6i.xlarge"], spot=8, spot_timeout_minutes=10,
                      spot_timeout_action="SWITCH_TO_ON_DEMAND",
                      spot_allocation="price-capacity-optimized")],
        extra={"EbsRootVolumeSize": 30, "Instances": {"Ec2SubnetIds": ["subnet-1"]}})
    req = spec.to_run_job_flow()
    assert req["EbsRootVolumeSize"] == 30 and req["Instances"]["Ec2SubnetIds"] == ["subnet-1"]
    assert req["Instances"]["InstanceFleets"][2]["LaunchSpecifications"]["SpotSpecification"] == {
        "TimeoutDurationMinutes": 10, "TimeoutAction": "SWITCH_TO_ON_DEMAND",
        "AllocationStrategy": "price-capacity-optimized"}
    assert ClusterSpec.from_run_job_flow(req) == spec
    assert validate(spec) == []


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml"])
def test_save_and_load(tmp_path, suffix):
    path = save_spec(full_spec(), tmp_path / f"c{suffix}")
    loaded = load_spec(path)
    assert loaded == full_spec() and loaded.lint_ignore == ["EMR007"]


def test_load_run_job_flow_json_as_in_the_boto3_docs(tmp_path):
    req = {"Name": "docs", "ReleaseLabel": "emr-7.13.0", "Applications": [{"Name": "Spark"}],
           "Instances": {"InstanceGroups": [
               {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1},
               {"InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 2}],
               "KeepJobFlowAliveWhenNoSteps": False},
           "JobFlowRole": "EMR_EC2_DefaultRole", "ServiceRole": "EMR_DefaultRole_V2"}
    (tmp_path / "c.json").write_text(json.dumps(req))
    spec = load_spec(tmp_path / "c.json")
    assert spec.instance_groups[1].count == 2 and spec.service_role == "EMR_DefaultRole_V2"
    assert spec.to_run_job_flow()["Instances"]["InstanceGroups"][0]["Market"] == "ON_DEMAND"


CLI_EXPORT = {
    "--name": "from-console", "release-label": "emr-7.13.0",
    "applications": [{"Name": "Hadoop"}, {"Name": "Spark"}],
    "instance-groups": [
        {"InstanceGroupType": "MASTER", "InstanceCount": 1, "InstanceType": "m6g.xlarge"},
        {"InstanceGroupType": "CORE", "InstanceCount": 2, "InstanceType": "m6g.xlarge",
         "EbsConfiguration": {"EbsBlockDeviceConfigs": [{"VolumeSpecification": {
             "SizeInGB": 64, "VolumeType": "gp3"}, "VolumesPerInstance": 1}]}},
        {"InstanceGroupType": "TASK", "InstanceCount": 3, "InstanceType": "m6g.xlarge",
         "BidPrice": "OnDemandPrice", "Name": "spot-tasks"}],
    "ec2-attributes": {"InstanceProfile": "EMR_EC2_DefaultRole", "SubnetId": "subnet-123",
                       "KeyName": "k"},
    "service-role": "EMR_DefaultRole_V2", "log-uri": "s3://b/logs/", "auto-terminate": True,
    "steps": [{"Type": "Spark", "Name": "etl", "ActionOnFailure": "TERMINATE_CLUSTER",
               "Args": ["--deploy-mode", "cluster", "s3://b/etl.py"]}],
    "bootstrap-actions": [{"Path": "s3://b/boot.sh", "Name": "deps"}],
    "tags": ["team=ml", "env=dev"], "auto-termination-policy": {"IdleTimeout": 600},
    "x-emrlab": {"lint_ignore": ["EMR005"]},
}


def test_create_cluster_shape_is_converted_as_the_cli_does(tmp_path):
    assert is_cli_shape(CLI_EXPORT) and not is_cli_shape(full_spec().to_run_job_flow())
    req = cli_to_run_job_flow(CLI_EXPORT)
    groups = req["Instances"]["InstanceGroups"]
    assert groups[2]["Market"] == "SPOT" and groups[0]["Market"] == "ON_DEMAND"
    assert groups[0]["Name"] == "MASTER" and groups[2]["Name"] == "spot-tasks"
    assert req["JobFlowRole"] == "EMR_EC2_DefaultRole"
    assert req["Instances"]["Ec2SubnetId"] == "subnet-123"
    assert req["Instances"]["KeepJobFlowAliveWhenNoSteps"] is False
    assert req["Steps"][0]["HadoopJarStep"]["Args"][0] == "spark-submit"
    assert req["Tags"] == [{"Key": "team", "Value": "ml"}, {"Key": "env", "Value": "dev"}]
    (tmp_path / "export.yaml").write_text(yaml.safe_dump(CLI_EXPORT))
    spec = load_spec(tmp_path / "export.yaml")
    assert spec.lint_ignore == ["EMR005"] and spec.idle_timeout == 600
    assert validate(spec) == []


def test_cli_default_keeps_cluster_alive_and_use_default_roles():
    req = cli_to_run_job_flow({"release-label": "emr-7.13.0", "use-default-roles": True,
                               "instance-groups": CLI_EXPORT["instance-groups"][:1]})
    assert req["Instances"]["KeepJobFlowAliveWhenNoSteps"] is True
    assert (req["ServiceRole"], req["JobFlowRole"]) == ("EMR_DefaultRole", "EMR_EC2_DefaultRole")


def test_bad_files_name_the_file_and_field(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SpecError, match="bad.json: not valid JSON"):
        load_spec(bad)
    req = full_spec().to_run_job_flow()
    req["Instances"]["InstanceGroups"][1]["InstanceCount"] = "two"
    req["Instances"]["InstanceGroups"][2]["Colour"] = "red"
    bad.write_text(json.dumps(req))
    with pytest.raises(SpecError) as err:
        load_spec(bad)
    assert "bad.json" in str(err.value)
    paths = {p.path for p in err.value.problems}
    assert paths == {"Instances.InstanceGroups[1].InstanceCount",
                     "Instances.InstanceGroups[2].Colour"}
    assert "expected int" in str(err.value) and "allowed: Name, Market" in str(err.value)
    bad.write_text(json.dumps({"release-label": "emr-7.13.0", "instance-count": 3}))
    with pytest.raises(SpecError, match="instance-count: unknown create-cluster option"):
        load_spec(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(SpecError, match="top level must be a mapping"):
        load_spec(bad)
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "missing.json")
    with pytest.raises(SpecError, match="use .json, .yaml or .yml"):
        load_spec(tmp_path / "c.toml")


def test_from_run_job_flow_refuses_a_malformed_request():
    with pytest.raises(SpecError) as err:
        ClusterSpec.from_run_job_flow({"Name": "x"})
    assert [p.path for p in err.value.problems] == ["Instances"]
