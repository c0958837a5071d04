"""Shared helpers for the local EMR tests (plain boto3 against the session emulator)."""

from __future__ import annotations

import boto3

FAST = {"Delay": 1, "MaxAttempts": 60}
ACTIVE = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING", "TERMINATING"]


def request(name: str = "t", *, keep_alive: bool = True, idle: int | None = 900, **extra) -> dict:
    """A small run_job_flow request (instance groups, priced types, auto-termination)."""
    req = {
        "Name": name, "ReleaseLabel": "emr-7.1.0",
        "JobFlowRole": "EMR_EC2_DefaultRole", "ServiceRole": "EMR_DefaultRole",
        "Applications": [{"Name": "Spark"}],
        "Instances": {
            "InstanceGroups": [
                {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1},
                {"InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 1},
            ],
            "KeepJobFlowAliveWhenNoSteps": keep_alive,
        },
    }
    if idle is not None:
        req["AutoTerminationPolicy"] = {"IdleTimeout": idle}
    req.update(extra)
    return req


def py_step(name: str, code_uri: str, *args: str, action: str = "CONTINUE") -> dict:
    """A command-runner step running a Python script (fast: no Spark)."""
    return {"Name": name, "ActionOnFailure": action,
            "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["python", code_uri, *args]}}


def put_script(bucket: str, key: str, code: str) -> str:
    """Upload a script to the emulator's S3; its URI."""
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=code.encode())
    return f"s3://{bucket}/{key}"


def step_states(emr, cluster_id: str) -> dict[str, str]:
    """``{step name: state}``."""
    return {s["Name"]: s["Status"]["State"] for s in emr.list_steps(ClusterId=cluster_id)["Steps"]}


def left_running(emr) -> list[str]:
    """Ids of clusters not terminated (the number every teardown test wants to be 0)."""
    return [c["Id"] for c in emr.list_clusters(ClusterStates=ACTIVE)["Clusters"]]


def wait_for(check, timeout: float = 60.0, poll: float = 0.1):
    """Poll ``check()`` until it returns something truthy; fail after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"condition not met in {timeout} s"
        time.sleep(poll)
