"""Transient clusters always end terminated: success, failed step, exception, Ctrl-C, bad input."""

from __future__ import annotations

import boto3
import pytest

from emrlab.emr import lifecycle, steps as emrsteps, summaries
from emrlab.exceptions import ParameterError, SpecError, StepFailedError
from tests.localemr_helpers import left_running, put_script, py_step, request


@pytest.fixture
def emr(settings):
    return boto3.client("emr")


@pytest.fixture
def ok_uri(settings):
    return put_script(settings.bucket, "code/ok.py", "print('ok')\n")


@pytest.fixture
def bad_uri(settings):
    return put_script(settings.bucket, "code/bad.py", "raise RuntimeError('bad step')\n")


@pytest.fixture
def no_leak(emr):
    """Asserts after the test that no cluster it created is still running."""
    before = set(left_running(emr))
    yield
    assert set(left_running(emr)) - before == set()


def test_success_summary(emr, ok_uri, no_leak, settings):
    cluster = lifecycle.TransientCluster(request(LogUri=f"s3://{settings.bucket}/logs"),
                                         steps=[py_step("first", ok_uri)])
    with cluster as run:
        states = run.wait_steps()
        run.run_steps([py_step("second", ok_uri)])
        assert emr.describe_cluster(ClusterId=run.cluster_id)["Cluster"]["Status"]["State"] in (
            "WAITING", "RUNNING")
    assert list(states.values()) == ["COMPLETED"]
    s = cluster.summary
    assert s.ok and s.outcome == "success" and s.state == "TERMINATED"
    assert [(x.name, x.state) for x in s.steps] == [("first", "COMPLETED"), ("second", "COMPLETED")]
    assert all(x.duration_s is not None for x in s.steps)
    assert s.steps[0].logs.startswith(f"s3://{settings.bucket}/logs/{s.cluster_id}/steps/")
    tags = emr.describe_cluster(ClusterId=s.cluster_id)["Cluster"]["Tags"]
    assert {"Key": "emrlab:managed", "Value": "true"} in tags
    assert "first" in str(s) and len(s.to_frame()) == 2


def test_failed_step_raises_and_terminates(emr, bad_uri, ok_uri, no_leak):
    cluster = lifecycle.TransientCluster(request())
    with pytest.raises(StepFailedError, match="RuntimeError: bad step"):
        with cluster as run:
            run.run_steps([py_step("bad", bad_uri), py_step("ok", ok_uri)])
    s = cluster.summary
    assert s.outcome.startswith("error: StepFailedError") and s.state == "TERMINATED"
    assert [x.state for x in s.steps] == ["FAILED", "COMPLETED"]
    assert s.steps[0].failure_reason == "RuntimeError: bad step"
    assert s.steps[0].log_file.endswith("stderr")


def test_exception_in_notebook_code_terminates(emr, no_leak):
    cluster = lifecycle.TransientCluster(request())
    with pytest.raises(ZeroDivisionError):
        with cluster:
            1 / 0  # noqa: B018
    assert cluster.summary.state == "TERMINATED"
    assert cluster.summary.outcome.startswith("error: ZeroDivisionError")


def test_keyboard_interrupt_terminates_running_steps(emr, settings, no_leak):
    slow = put_script(settings.bucket, "code/slow.py", "import time\ntime.sleep(60)\n")
    cluster = lifecycle.TransientCluster(request(), steps=[py_step("slow", slow)])
    with pytest.raises(KeyboardInterrupt):
        with cluster:
            raise KeyboardInterrupt
    s = cluster.summary
    assert s.outcome == "interrupted" and s.state == "TERMINATED"
    assert s.steps[0].state == "CANCELLED"


def test_missing_script_is_a_failed_step_with_its_reason(settings, no_leak):
    missing = f"s3://{settings.bucket}/code/not-there.py"
    s = lifecycle.run_transient(request(), [py_step("missing", missing)])
    assert s.state == "TERMINATED" and not s.ok
    assert s.steps[0].state == "FAILED"
    assert s.steps[0].failure_reason == f"{missing} does not exist (404)"


def test_interrupt_right_after_create_still_terminates(emr, no_leak):
    class Flaky:
        """An EMR client whose run_job_flow is interrupted after the request went out."""

        def __getattr__(self, name):
            return getattr(emr, name)

        def run_job_flow(self, **kw):
            emr.run_job_flow(**kw)
            raise KeyboardInterrupt

    cluster = lifecycle.TransientCluster(request(), client=Flaky())
    with pytest.raises(KeyboardInterrupt):
        with cluster:
            pass
    assert cluster.summary.cluster_id is not None
    assert cluster.summary.state == "TERMINATED"


def test_malformed_spec_creates_nothing(emr, no_leak):
    before = len(emr.list_clusters()["Clusters"])
    bad = request()
    bad["Instances"]["InstanceGroups"][0]["InstanceCount"] = "one"
    with pytest.raises(SpecError):
        with lifecycle.TransientCluster(bad):
            pass
    with pytest.raises(SpecError, match="got int"):
        lifecycle.TransientCluster(42)
    assert len(emr.list_clusters()["Clusters"]) == before


def test_watch_step_sees_the_states(emr, ok_uri, no_leak):
    with lifecycle.TransientCluster(request()) as run:
        (sid,) = run.add_steps([py_step("w", ok_uri)])
        seen = summaries.watch_step(run.cluster_id, sid, poll_s=0.05)
    assert seen[-1][2] == "COMPLETED"
    assert {state for _, _, state in seen} <= {"PENDING", "RUNNING", "COMPLETED"}


def test_stage_and_spark_submit_args(settings):
    staged = emrsteps.stage(emrsteps.bundled_script("provisioning_demo.py"),
                            f"s3://{settings.bucket}/code/demo", include_package=True)
    assert staged.script_uri == f"s3://{settings.bucket}/code/demo/provisioning_demo.py"
    assert staged.py_files == [f"s3://{settings.bucket}/code/demo/emrlab.zip"]
    boto3.client("s3").head_object(Bucket=settings.bucket, Key="code/demo/emrlab.zip")
    step = emrsteps.spark_step("s", staged.script_uri, ["a"], py_files=staged.py_files,
                               conf={"spark.sql.shuffle.partitions": "8"})
    assert step["HadoopJarStep"]["Args"] == [
        "spark-submit", "--deploy-mode", "cluster", "--conf", "spark.sql.shuffle.partitions=8",
        "--py-files", staged.py_files[0], staged.script_uri, "a"]
    with pytest.raises(ParameterError, match="action_on_failure"):
        emrsteps.spark_step("s", staged.script_uri, action_on_failure="RETRY")
    with pytest.raises(ParameterError, match="S3 URI"):
        emrsteps.stage(emrsteps.bundled_script("provisioning_demo.py"), "/tmp/code")
    with pytest.raises(ParameterError, match="not bundled"):
        emrsteps.bundled_script("nope.py")


def _fleet_request(*core_types: str, od: int) -> dict:
    from emrlab.emr import rapids_configurations

    req = request(Configurations=rapids_configurations("emr-7.1.0"))
    req["Instances"] = {"KeepJobFlowAliveWhenNoSteps": True, "InstanceFleets": [
        {"InstanceFleetType": "MASTER", "TargetOnDemandCapacity": 1,
         "InstanceTypeConfigs": [{"InstanceType": "m5.xlarge"}]},
        {"InstanceFleetType": "CORE", "TargetOnDemandCapacity": od,
         "InstanceTypeConfigs": [{"InstanceType": t} for t in core_types]}]}
    return req


@pytest.mark.parametrize("bad", [
    # 20 core nodes and a task group of -12 used to sum to 9 instances, under a cap of 10
    "negative-task-group",
    # a CORE fleet that may launch 8 x p3.2xlarge was priced at its first type, m5.xlarge
    "fleet-dearest-type-second",
    # an auto-scaling group that can grow to 500 used to count as its 4 starting instances
    "auto-scaling-ceiling",
])
def test_guard_rails_hold_before_anything_is_created(emr, no_leak, monkeypatch, bad):
    from emrlab.exceptions import GuardrailError

    for name in ("EMRLAB_MAX_INSTANCES", "EMRLAB_MAX_HOURLY_USD", "EMRLAB_MAX_IDLE_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    if bad == "negative-task-group":
        req, message = request(), r"InstanceGroups\[2\]\.InstanceCount: -12"
        req["Instances"]["InstanceGroups"][1]["InstanceCount"] = 20
        req["Instances"]["InstanceGroups"].append(
            {"InstanceRole": "TASK", "InstanceType": "m5.xlarge", "InstanceCount": -12})
    elif bad == "fleet-dearest-type-second":
        req, message = _fleet_request("m5.xlarge", "p3.2xlarge", od=8), "may cost"
    else:
        req, message = request(), "reach 502 instances"
        req["Instances"]["InstanceGroups"].append(
            {"InstanceRole": "TASK", "InstanceType": "m5.xlarge", "InstanceCount": 4,
             "AutoScalingPolicy": {"Constraints": {"MinCapacity": 1, "MaxCapacity": 500},
                                   "Rules": [{"Name": "out", "Action": {
                                       "SimpleScalingPolicyConfiguration": {"ScalingAdjustment": 2}},
                                       "Trigger": {"CloudWatchAlarmDefinition": {
                                           "ComparisonOperator": "LESS_THAN", "Period": 300,
                                           "MetricName": "YARNMemoryAvailablePercentage",
                                           "Threshold": 15.0}}}]}})
    before = len(emr.list_clusters()["Clusters"])
    cluster = lifecycle.TransientCluster(req)
    with pytest.raises(GuardrailError, match=message):
        with cluster:
            pass
    assert cluster.summary.cluster_id is None
    assert len(emr.list_clusters()["Clusters"]) == before
