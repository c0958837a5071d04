"""EMR cluster lifecycle with guaranteed teardown: create, wait, run steps, always terminate.

Taught in notebooks/01_emr_provisioning.ipynb.

The same code runs against the local EMR and real EMR (plain boto3 clients; only the waiters'
delays differ: 0.5 s locally, 30 s on AWS). :class:`TransientCluster` is a context manager::

    with lifecycle.TransientCluster(spec) as run:
        run.add_steps([step])
        run.wait_steps()
    print(run.summary)          # cluster id, step states, durations, log locations

Whatever happens inside the block (success, a failed step, an exception, KeyboardInterrupt),
leaving it terminates the cluster and waits until EMR reports it terminated. Creation goes
through :func:`create_cluster`: spec validation (:mod:`emrlab.emr.validate`) and the guard rails
(:mod:`emrlab.emr.guardrails`) run before ``run_job_flow``.
"""

from __future__ import annotations

from typing import Literal

import botocore.exceptions

from emrlab import config
from emrlab.emr import guardrails
from emrlab.emr.summaries import STEP_FINAL, RunSummary, summarize
from emrlab.emr.validate import as_request
from emrlab.exceptions import ClusterError, StepFailedError

ACTIVE_STATES = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]
CLUSTER_FINAL = ("TERMINATED", "TERMINATED_WITH_ERRORS")


def _emr(client=None):
    from emrlab.aws import client as make_client

    return client or make_client("emr")


def waiter_timing(settings: config.Settings | None = None) -> tuple[float, float]:
    """``(delay_s, timeout_s)`` for waiters: (0.5, 900) locally, (30, 10800) on AWS."""
    settings = settings or config.current()
    return (0.5, 900.0) if settings.is_local else (30.0, 3 * 3600.0)


def _wait(client, name: str, delay: float, timeout: float, **kwargs) -> str | None:
    """Run botocore waiter ``name``; None on success, else the reason it stopped."""
    waiter = client.get_waiter(name)
    attempts = max(1, int(timeout / delay))
    try:
        waiter.wait(WaiterConfig={"Delay": delay, "MaxAttempts": attempts}, **kwargs)
    except botocore.exceptions.WaiterError as exc:
        return str(exc)
    return None


def create_cluster(spec, *, client=None, settings: config.Settings | None = None,
                   limits: guardrails.Limits | None = None, run_id: str | None = None) -> str:
    """Validate ``spec``, check the guard rails, then call ``run_job_flow``; the cluster id.

    Taught in notebooks/01_emr_provisioning.ipynb.

    Raises
    ------
    SpecError
        The spec breaks the EMR API model or a rule (nothing is created).
    GuardrailError
        A guard rail is broken (nothing is created).
    """
    from emrlab.emr import validate as emrvalidate

    request = as_request(spec)
    emrvalidate.validate(request)
    request = guardrails.enforce(request, settings, limits, run_id)
    return _emr(client).run_job_flow(**request)["JobFlowId"]


def _step_api(step) -> dict:
    return step.to_api() if hasattr(step, "to_api") else dict(step)


def _outcome(exc: BaseException | None) -> str:
    if exc is None:
        return "success"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return f"error: {type(exc).__name__}: {exc}"


class TransientCluster:
    """A cluster that lives as long as a ``with`` block and is always terminated after it.

    Taught in notebooks/01_emr_provisioning.ipynb.

    Parameters
    ----------
    spec : ClusterSpec or dict
        The cluster (``run_job_flow`` kwargs or anything with ``to_run_job_flow()``). It is kept
        alive between steps (``KeepJobFlowAliveWhenNoSteps=True``) until the block ends.
    steps : list, optional
        Steps submitted with the cluster (API dicts or objects with ``to_api()``).
    client : botocore client, optional
        An EMR client; default ``emrlab.client("emr")``.
    wait_ready : bool
        Wait for RUNNING/WAITING on entry.
    """

    def __init__(self, spec, steps=(), *, client=None, settings: config.Settings | None = None,
                 limits: guardrails.Limits | None = None, wait_ready: bool = True):
        self.request = as_request(spec)
        self.request.setdefault("Instances", {})["KeepJobFlowAliveWhenNoSteps"] = True
        extra = [_step_api(s) for s in steps]
        if extra:
            self.request["Steps"] = list(self.request.get("Steps", [])) + extra
        self.client = _emr(client)
        self.settings = settings or config.current()
        self.limits = limits
        self.wait_ready_on_enter = wait_ready
        self.delay, self.timeout = waiter_timing(self.settings)
        self.run_id: str | None = None
        self.cluster_id: str | None = None
        self.summary: RunSummary | None = None

    def __enter__(self) -> TransientCluster:
        import uuid

        self.run_id = uuid.uuid4().hex[:12]
        try:
            self.cluster_id = create_cluster(self.request, client=self.client,
                                             settings=self.settings, limits=self.limits,
                                             run_id=self.run_id)
            if self.wait_ready_on_enter:
                self.wait_ready()
        except BaseException as exc:
            self._teardown(exc)
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> Literal[False]:
        self._teardown(exc)
        return False

    # ---- inside the block ----------------------------------------------------------------
    def wait_ready(self) -> None:
        """Wait until the cluster is RUNNING or WAITING.

        Raises
        ------
        ClusterError
            It terminated instead, or did not get ready within the timeout.
        """
        problem = _wait(self.client, "cluster_running", self.delay, self.timeout,
                        ClusterId=self.cluster_id)
        if problem:
            raise ClusterError(f"cluster {self.cluster_id} did not become ready: {problem}")

    def add_steps(self, steps) -> list[str]:
        """Submit steps (API dicts or objects with ``to_api()``); their ids."""
        resp = self.client.add_job_flow_steps(JobFlowId=self.cluster_id,
                                              Steps=[_step_api(s) for s in steps])
        return resp["StepIds"]

    def step_ids(self) -> list[str]:
        """Every step of the cluster, oldest first."""
        steps = []
        for page in self.client.get_paginator("list_steps").paginate(ClusterId=self.cluster_id):
            steps.extend(page["Steps"])
        return [s["Id"] for s in reversed(steps)]

    def wait_steps(self, step_ids: list[str] | None = None, *,
                   raise_on_failure: bool = True) -> dict[str, str]:
        """Wait for steps (default: all) to end; ``{step_id: state}``.

        Raises
        ------
        StepFailedError
            A step ended FAILED/CANCELLED/INTERRUPTED (with ``raise_on_failure``).
        ClusterError
            A step did not end within the timeout.
        """
        states = {}
        for step_id in step_ids or self.step_ids():
            problem = _wait(self.client, "step_complete", self.delay, self.timeout,
                            ClusterId=self.cluster_id, StepId=step_id)
            step = self.client.describe_step(ClusterId=self.cluster_id, StepId=step_id)["Step"]
            states[step_id] = step["Status"]["State"]
            if problem and states[step_id] not in STEP_FINAL:
                raise ClusterError(f"step {step_id} did not end in {self.timeout:g} s: {problem}")
        bad = {k: v for k, v in states.items() if v != "COMPLETED"}
        if bad and raise_on_failure:
            reasons = []
            for step_id, state in bad.items():
                status = self.client.describe_step(ClusterId=self.cluster_id,
                                                   StepId=step_id)["Step"]["Status"]
                details = status.get("FailureDetails") or {}
                reasons.append(f"{step_id} {state}: {details.get('Reason') or status.get('StateChangeReason', {}).get('Message', '')}"
                               + (f" (log: {details['LogFile']})" if details.get("LogFile") else ""))
            raise StepFailedError(f"cluster {self.cluster_id}: " + "; ".join(reasons))
        return states

    def run_steps(self, steps, *, raise_on_failure: bool = True) -> dict[str, str]:
        """:meth:`add_steps` then :meth:`wait_steps` for them."""
        return self.wait_steps(self.add_steps(steps), raise_on_failure=raise_on_failure)

    # ---- teardown ------------------------------------------------------------------------
    def _find_by_run_id(self) -> list[str]:
        """Clusters of this run when creation was interrupted before its id came back."""
        found = []
        for page in self.client.get_paginator("list_clusters").paginate(ClusterStates=ACTIVE_STATES):
            for c in page["Clusters"]:
                tags = self.client.describe_cluster(ClusterId=c["Id"])["Cluster"].get("Tags", [])
                if {"Key": guardrails.RUN_TAG, "Value": self.run_id} in tags:
                    found.append(c["Id"])
        return found

    def _terminate(self, ids: list[str]) -> None:
        for attempt in range(3):  # a second Ctrl-C must not skip the terminate call
            try:
                self.client.terminate_job_flows(JobFlowIds=ids)
                return
            except KeyboardInterrupt:
                if attempt == 2:
                    raise

    def _teardown(self, exc: BaseException | None) -> None:
        ids = [self.cluster_id] if self.cluster_id else []
        sent = isinstance(exc, (KeyboardInterrupt, botocore.exceptions.HTTPClientError))
        if not ids and self.run_id and sent:  # run_job_flow may have gone out
            try:
                ids = self._find_by_run_id()
            except botocore.exceptions.BotoCoreError:
                ids = []
        if not ids:
            self.summary = RunSummary(None, self.request.get("Name", ""), _outcome(exc),
                                      "NOT_CREATED")
            return
        self._terminate(ids)
        for cluster_id in ids:
            problem = _wait(self.client, "cluster_terminated", self.delay, self.timeout,
                            ClusterId=cluster_id)
            state = self.client.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"]
            if problem and state not in CLUSTER_FINAL:
                raise ClusterError(f"cluster {cluster_id} is {state}, not terminated, after "
                                   f"{self.timeout:g} s: terminate it (emrlab cleanup --yes)")
        self.cluster_id = self.cluster_id or ids[0]
        self.summary = summarize(self.cluster_id, _outcome(exc), client=self.client,
                                 settings=self.settings)


def run_transient(spec, steps, **kwargs) -> RunSummary:
    """Create a cluster, run ``steps``, wait, always terminate; the summary (no raise on failed steps).

    Taught in notebooks/01_emr_provisioning.ipynb.
    """
    cluster = TransientCluster(spec, **kwargs)
    with cluster as run:
        run.run_steps(steps, raise_on_failure=False)
    assert cluster.summary is not None  # set by the teardown in __exit__
    return cluster.summary
