"""The local EMR with plain boto3: states, waiters, ordering, ActionOnFailure, logs."""

from __future__ import annotations

import gzip
import threading

import boto3
import pytest
from botocore.exceptions import ClientError, WaiterError

from emrlab import uris
from emrlab.exceptions import LocalEmrError
from emrlab.local import emr as localemr, emr_worker, emulator as localaws
from tests.localemr_helpers import FAST, put_script, py_step, request, step_states, wait_for

OK = "import sys\nprint('hello', *sys.argv[1:])\n"
BAD = "raise ValueError('boom from the step')\n"
SLOW = "import time\ntime.sleep(30)\n"


@pytest.fixture
def emr(settings):
    return boto3.client("emr")


@pytest.fixture
def scripts(settings):
    b = settings.bucket
    return {"ok": put_script(b, "code/ok.py", OK), "bad": put_script(b, "code/bad.py", BAD),
            "slow": put_script(b, "code/slow.py", SLOW)}


def test_cluster_goes_through_starting_to_waiting_and_terminates(emr):
    order = ["STARTING", "BOOTSTRAPPING", "WAITING"]
    cid = emr.run_job_flow(**request())["JobFlowId"]
    seen = []
    while not seen or seen[-1] != "WAITING":
        state = emr.describe_cluster(ClusterId=cid)["Cluster"]["Status"]["State"]
        if not seen or seen[-1] != state:
            seen.append(state)
        assert state in order and len(seen) <= 3, seen
    assert seen == sorted(seen, key=order.index)  # never backwards
    timeline = emr.describe_cluster(ClusterId=cid)["Cluster"]["Status"]["Timeline"]
    ready_after = (timeline["ReadyDateTime"] - timeline["CreationDateTime"]).total_seconds()
    assert ready_after >= 0.3  # it went through STARTING and BOOTSTRAPPING first
    emr.get_waiter("cluster_running").wait(ClusterId=cid, WaiterConfig=FAST)
    emr.terminate_job_flows(JobFlowIds=[cid])
    emr.get_waiter("cluster_terminated").wait(ClusterId=cid, WaiterConfig=FAST)
    status = emr.describe_cluster(ClusterId=cid)["Cluster"]["Status"]
    assert status["StateChangeReason"]["Code"] == "USER_REQUEST"
    with pytest.raises(ClientError, match="may not be modified"):
        emr.add_job_flow_steps(JobFlowId=cid, Steps=[py_step("late", "s3://x/y.py")])


def test_steps_run_in_order_with_failure_details_and_logs(emr, scripts, settings):
    log_uri = f"s3://{settings.bucket}/emr-logs/"
    steps = [py_step("ok", scripts["ok"], "a", "b"), py_step("bad", scripts["bad"]),
             py_step("after", scripts["ok"])]
    cid = emr.run_job_flow(**request(keep_alive=False, LogUri=log_uri), Steps=steps)["JobFlowId"]
    ids = {s["Name"]: s["Id"] for s in emr.list_steps(ClusterId=cid)["Steps"]}
    emr.get_waiter("step_complete").wait(ClusterId=cid, StepId=ids["ok"], WaiterConfig=FAST)
    with pytest.raises(WaiterError, match="FAILED"):
        emr.get_waiter("step_complete").wait(ClusterId=cid, StepId=ids["bad"], WaiterConfig=FAST)
    emr.get_waiter("step_complete").wait(ClusterId=cid, StepId=ids["after"], WaiterConfig=FAST)
    bad = emr.describe_step(ClusterId=cid, StepId=ids["bad"])["Step"]["Status"]
    assert bad["FailureDetails"]["Reason"] == "ValueError: boom from the step"
    assert bad["FailureDetails"]["LogFile"] == f"{log_uri}{cid}/steps/{ids['bad']}/stderr.gz"
    ok = emr.describe_step(ClusterId=cid, StepId=ids["ok"])["Step"]["Status"]["Timeline"]
    after = emr.describe_step(ClusterId=cid, StepId=ids["after"])["Step"]["Status"]["Timeline"]
    assert ok["EndDateTime"] <= after["StartDateTime"]  # one at a time, in order
    s3 = boto3.client("s3")
    key = f"emr-logs/{cid}/steps/{ids['ok']}/stdout.gz"
    body = gzip.decompress(s3.get_object(Bucket=settings.bucket, Key=key)["Body"].read())
    assert body.decode().strip() == "hello a b"
    key = f"emr-logs/{cid}/steps/{ids['bad']}/stderr.gz"
    body = gzip.decompress(s3.get_object(Bucket=settings.bucket, Key=key)["Body"].read())
    assert "Traceback" in body.decode()
    emr.get_waiter("cluster_terminated").wait(ClusterId=cid, WaiterConfig=FAST)
    reason = emr.describe_cluster(ClusterId=cid)["Cluster"]["Status"]["StateChangeReason"]
    assert reason["Code"] == "ALL_STEPS_COMPLETED"


def test_terminate_cluster_on_failure_cancels_the_rest(emr, scripts):
    steps = [py_step("bad", scripts["bad"], action="TERMINATE_CLUSTER"),
             py_step("never", scripts["ok"])]
    cid = emr.run_job_flow(**request(), Steps=steps)["JobFlowId"]
    with pytest.raises(WaiterError, match="TERMINATED_WITH_ERRORS"):
        emr.get_waiter("cluster_terminated").wait(ClusterId=cid, WaiterConfig=FAST)
    status = emr.describe_cluster(ClusterId=cid)["Cluster"]["Status"]
    assert status["StateChangeReason"]["Code"] == "STEP_FAILURE"
    assert step_states(emr, cid) == {"bad": "FAILED", "never": "CANCELLED"}


def test_cancel_and_wait_keeps_the_cluster(emr, scripts):
    steps = [py_step("bad", scripts["bad"], action="CANCEL_AND_WAIT"),
             py_step("skipped", scripts["ok"])]
    cid = emr.run_job_flow(**request(), Steps=steps)["JobFlowId"]
    ids = {s["Name"]: s["Id"] for s in emr.list_steps(ClusterId=cid)["Steps"]}
    with pytest.raises(WaiterError):
        emr.get_waiter("step_complete").wait(ClusterId=cid, StepId=ids["skipped"], WaiterConfig=FAST)
    assert step_states(emr, cid) == {"bad": "FAILED", "skipped": "CANCELLED"}
    wait_for(lambda: emr.describe_cluster(ClusterId=cid)["Cluster"]["Status"]["State"] == "WAITING")
    emr.terminate_job_flows(JobFlowIds=[cid])


def test_concurrency_level_runs_steps_side_by_side(emr, scripts):
    cid = emr.run_job_flow(**request(StepConcurrencyLevel=2),
                           Steps=[py_step("s1", scripts["slow"]), py_step("s2", scripts["slow"]),
                                  py_step("s3", scripts["ok"])])["JobFlowId"]
    wait_for(lambda: step_states(emr, cid) == {"s1": "RUNNING", "s2": "RUNNING", "s3": "PENDING"})
    info = emr.cancel_steps(ClusterId=cid, StepIds=[s["Id"] for s in emr.list_steps(ClusterId=cid)["Steps"]])
    assert {i["Status"] for i in info["CancelStepsInfoList"]} == {"SUBMITTED"}
    emr.terminate_job_flows(JobFlowIds=[cid])
    emr.get_waiter("cluster_terminated").wait(ClusterId=cid, WaiterConfig=FAST)
    assert set(step_states(emr, cid).values()) == {"CANCELLED"}


def test_cancel_steps_answers_for_finished_and_unknown_steps(emr, scripts):
    cid = emr.run_job_flow(**request(), Steps=[py_step("ok", scripts["ok"])])["JobFlowId"]
    sid = emr.list_steps(ClusterId=cid)["Steps"][0]["Id"]
    emr.get_waiter("step_complete").wait(ClusterId=cid, StepId=sid, WaiterConfig=FAST)
    infos = emr.cancel_steps(ClusterId=cid, StepIds=[sid, "s-NOPE"])["CancelStepsInfoList"]
    assert [i["Status"] for i in infos] == ["FAILED", "FAILED"]
    assert "COMPLETED" in infos[0]["Reason"]
    emr.terminate_job_flows(JobFlowIds=[cid])


def test_policies_round_trip_and_fleets_are_listed(emr, emulator):
    fleets = [
        {"Name": "primary", "InstanceFleetType": "MASTER", "TargetOnDemandCapacity": 1,
         "InstanceTypeConfigs": [{"InstanceType": "m5.xlarge"}]},
        {"Name": "task", "InstanceFleetType": "TASK", "TargetSpotCapacity": 4,
         "InstanceTypeConfigs": [{"InstanceType": "m5.xlarge", "WeightedCapacity": 2},
                                 {"InstanceType": "m5.2xlarge", "WeightedCapacity": 4}],
         "LaunchSpecifications": {"SpotSpecification": {
             "TimeoutDurationMinutes": 10, "TimeoutAction": "SWITCH_TO_ON_DEMAND",
             "AllocationStrategy": "capacity-optimized"}}},
    ]
    req = request()
    req["Instances"] = {"InstanceFleets": fleets, "KeepJobFlowAliveWhenNoSteps": True}
    scaling = {"ComputeLimits": {"UnitType": "InstanceFleetUnits", "MinimumCapacityUnits": 1,
                                 "MaximumCapacityUnits": 6}}
    cid = emr.run_job_flow(**req, ManagedScalingPolicy=scaling)["JobFlowId"]
    cluster = emr.describe_cluster(ClusterId=cid)["Cluster"]
    assert cluster["InstanceCollectionType"] == "INSTANCE_FLEET"
    assert localaws.reachable(emulator, timeout=60)  # moto's /moto-api/data.json still works
    listed = emr.list_instance_fleets(ClusterId=cid)["InstanceFleets"]
    assert [f["InstanceFleetType"] for f in listed] == ["MASTER", "TASK"]
    assert listed[1]["ProvisionedSpotCapacity"] == 4
    assert listed[1]["LaunchSpecifications"]["SpotSpecification"]["TimeoutAction"] == "SWITCH_TO_ON_DEMAND"
    assert emr.get_auto_termination_policy(ClusterId=cid)["AutoTerminationPolicy"] == {"IdleTimeout": 900}
    assert emr.get_managed_scaling_policy(ClusterId=cid)["ManagedScalingPolicy"] == scaling
    emr.put_auto_termination_policy(ClusterId=cid, AutoTerminationPolicy={"IdleTimeout": 120})
    assert emr.get_auto_termination_policy(ClusterId=cid)["AutoTerminationPolicy"] == {"IdleTimeout": 120}
    scaling["ComputeLimits"]["MaximumCapacityUnits"] = 10
    emr.put_managed_scaling_policy(ClusterId=cid, ManagedScalingPolicy=scaling)
    assert emr.get_managed_scaling_policy(ClusterId=cid)["ManagedScalingPolicy"] == scaling
    emr.remove_managed_scaling_policy(ClusterId=cid)
    assert "ManagedScalingPolicy" not in emr.get_managed_scaling_policy(ClusterId=cid)
    with pytest.raises(ClientError, match="IdleTimeout"):
        emr.put_auto_termination_policy(ClusterId=cid, AutoTerminationPolicy={"IdleTimeout": 5})
    emr.terminate_job_flows(JobFlowIds=[cid])
    emr.get_waiter("cluster_terminated").wait(ClusterId=cid, WaiterConfig=FAST)
    assert emr.list_instance_fleets(ClusterId=cid)["InstanceFleets"][0]["Status"]["State"] == "TERMINATED"


def test_groups_and_fleets_together_are_refused(emr):
    req = request()
    req["Instances"]["InstanceFleets"] = [{"InstanceFleetType": "MASTER", "TargetOnDemandCapacity": 1,
                                           "InstanceTypeConfigs": [{"InstanceType": "m5.xlarge"}]}]
    before = len(emr.list_clusters()["Clusters"])
    with pytest.raises(ClientError, match="not both"):
        emr.run_job_flow(**req)
    assert len(emr.list_clusters()["Clusters"]) == before


def test_idle_cluster_auto_terminates(emr, monkeypatch):
    monkeypatch.setenv(emr_worker.TIME_SCALE_ENV, "120")  # 60 s idle -> 0.5 s
    cid = emr.run_job_flow(**request(idle=60))["JobFlowId"]
    emr.get_waiter("cluster_terminated").wait(ClusterId=cid, WaiterConfig=FAST)
    reason = emr.describe_cluster(ClusterId=cid)["Cluster"]["Status"]["StateChangeReason"]
    assert "IdleTimeout of 60 s" in reason["Message"]


def test_unsupported_jar_and_missing_command_fail_with_a_reason(emr, settings):
    steps = [{"Name": "jar", "ActionOnFailure": "CONTINUE",
              "HadoopJarStep": {"Jar": "s3://b/custom.jar", "Args": ["x"]}},
             {"Name": "cmd", "ActionOnFailure": "CONTINUE",
              "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["no-such-program-xyz"]}},
             py_step("missing", f"s3://{settings.bucket}/code/missing.py")]
    cid = emr.run_job_flow(**request(keep_alive=False), Steps=steps)["JobFlowId"]
    emr.get_waiter("cluster_terminated").wait(ClusterId=cid, WaiterConfig=FAST)
    reasons = {s["Name"]: s["Status"]["FailureDetails"]["Reason"]
               for s in emr.list_steps(ClusterId=cid)["Steps"]}
    assert "command-runner.jar and script-runner.jar" in reasons["jar"]
    assert "no-such-program-xyz" in reasons["cmd"]
    assert reasons["missing"].startswith(f"s3://{settings.bucket}/code/missing.py does not exist")


def test_local_path_maps_s3_uris_into_the_lake(settings):
    path = uris.local_path("s3://my-bucket/raw/day=1/x.json")
    assert path == settings.work_dir / "lake" / "my-bucket" / "raw" / "day=1" / "x.json"
    assert uris.local_path("s3a://b/k/") == settings.work_dir / "lake" / "b" / "k"
    for bad in ("/tmp/x", "s3://", "s3://b/../etc"):
        with pytest.raises(LocalEmrError):
            uris.local_path(bad)


def test_data_arguments_are_mapped_copied_in_and_back(emr, settings):
    b = settings.bucket
    code = ("import pathlib, sys\nsrc, dst = map(pathlib.Path, sys.argv[1:3])\n"
            "dst.mkdir(parents=True, exist_ok=True)\n"
            "(dst / 'n.txt').write_text(str(len(src.read_text().splitlines())))\n")
    script = put_script(b, "code/count.py", code)
    boto3.client("s3").put_object(Bucket=b, Key="raw/lines.txt", Body=b"a\nb\nc\n")
    cid = emr.run_job_flow(**request(keep_alive=False), Steps=[
        py_step("count", script, f"s3://{b}/raw/lines.txt", f"s3://{b}/out/count/")])["JobFlowId"]
    sid = emr.list_steps(ClusterId=cid)["Steps"][0]["Id"]
    emr.get_waiter("step_complete").wait(ClusterId=cid, StepId=sid, WaiterConfig=FAST)
    assert (uris.local_path(f"s3://{b}/out/count") / "n.txt").read_text() == "3"
    body = boto3.client("s3").get_object(Bucket=b, Key="out/count/n.txt")["Body"].read()
    assert body == b"3"


def test_time_scale_must_be_a_number(monkeypatch):
    monkeypatch.setenv(emr_worker.TIME_SCALE_ENV, "fast")
    with pytest.raises(LocalEmrError, match="EMRLAB_LOCAL_TIME_SCALE"):
        emr_worker.time_scale()


def test_other_moto_versions_are_refused(monkeypatch):
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "version", lambda name: "5.1.0")
    with pytest.raises(LocalEmrError, match="moto==5.2.5"):
        localemr.check_moto_version()


def test_steps_of_different_clusters_run_at_the_same_time(emr, scripts):
    ids = [emr.run_job_flow(**request(f"c{i}"), Steps=[py_step("slow", scripts["slow"])])["JobFlowId"]
           for i in range(2)]
    wait_for(lambda: [step_states(emr, cid).get("slow") for cid in ids] == ["RUNNING", "RUNNING"])
    emr.terminate_job_flows(JobFlowIds=ids)
    for cid in ids:
        emr.get_waiter("cluster_terminated").wait(ClusterId=cid, WaiterConfig=FAST)
        assert step_states(emr, cid) == {"slow": "CANCELLED"}


def test_shutdown_kills_running_steps_and_install_restarts(emr, scripts):
    from emrlab.local import emr_worker as localemr_worker

    cid = emr.run_job_flow(**request(), Steps=[py_step("slow", scripts["slow"])])["JobFlowId"]
    wait_for(lambda: step_states(emr, cid) == {"slow": "RUNNING"})
    try:
        localemr.shutdown()
        assert not localemr_worker.running()
        assert step_states(emr, cid) == {"slow": "CANCELLED"}
        assert [t for t in threading.enumerate() if t.name.startswith("emrlab-")] == []
    finally:
        localemr.install()
    assert localemr_worker.running()
    emr.terminate_job_flows(JobFlowIds=[cid])
    emr.get_waiter("cluster_terminated").wait(ClusterId=cid, WaiterConfig=FAST)


def test_spark_packages_are_refused_offline_before_the_step_runs(emr, settings, monkeypatch):
    """--packages/--repositories (or their spark.jars.* settings) would need a Maven repository."""
    from emrlab import spark

    def no_spark(*args, **kwargs):
        raise AssertionError("spark-submit was prepared although the step must be refused")

    monkeypatch.setattr(spark, "prepare_env", no_spark)
    app = put_script(settings.bucket, "code/app.py", OK)
    variants = {
        "packages": ["--packages", "org.apache.hadoop:hadoop-aws:3.3.4"],
        "packages-inline": ["--packages=org.apache.hadoop:hadoop-aws:3.3.4"],
        "repositories": ["--deploy-mode", "cluster", "--repositories", "https://repo.example/m2"],
        "conf": ["--conf", "spark.jars.packages=org.apache.hadoop:hadoop-aws:3.3.4"],
        "conf-inline": ["--conf=spark.jars.repositories=https://repo.example/m2"],
        "conf-short": ["-c", " spark.jars.packages = a:b:1"],
    }
    steps = [{"Name": name, "ActionOnFailure": "CONTINUE",
              "HadoopJarStep": {"Jar": "command-runner.jar",
                                "Args": ["spark-submit", *opts, app]}}
             for name, opts in variants.items()]
    cid = emr.run_job_flow(**request(keep_alive=False), Steps=steps)["JobFlowId"]
    emr.get_waiter("cluster_terminated").wait(ClusterId=cid, WaiterConfig=FAST)
    details = {s["Name"]: s["Status"]["FailureDetails"]
               for s in emr.list_steps(ClusterId=cid)["Steps"]}
    assert set(details) == set(variants)
    for name, detail in details.items():
        reason = detail["Reason"]
        assert "offline" in reason and "--jars" in reason and "AWS mode" in reason, (name, reason)
        assert reason != "Unknown Error."
    assert "--packages" in details["packages"]["Reason"]
    assert "--repositories" in details["repositories"]["Reason"]
    assert "spark.jars.packages" in details["conf"]["Reason"]
    assert "spark.jars.repositories" in details["conf-inline"]["Reason"]
