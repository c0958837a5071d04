"""The local EMR's background worker: cluster and step states, run in the emulator's process.

Taught in notebooks/01_emr_provisioning.ipynb (the lifecycle you watch there is driven here).

One supervisor thread wakes every ``TICK_S`` seconds (or when the API wakes it), walks every
cluster of moto's EMR backends and moves it along EMR's lifecycle::

    STARTING -> BOOTSTRAPPING -> WAITING <-> RUNNING -> TERMINATING -> TERMINATED
                                                                    \\-> TERMINATED_WITH_ERRORS

It starts PENDING steps in order, at most ``StepConcurrencyLevel`` at a time; each step runs in
its own thread (:class:`StepRun`) around a subprocess, so moto's request handling never waits
and steps of different clusters run side by side. A failed step applies its ``ActionOnFailure``
(TERMINATE_CLUSTER, CANCEL_AND_WAIT or CONTINUE). A cluster without
``KeepJobFlowAliveWhenNoSteps`` terminates when its work is done; one with an auto-termination
policy terminates after ``IdleTimeout / EMRLAB_LOCAL_TIME_SCALE`` idle seconds. Bootstrap
actions are recorded but not executed (they would change this machine).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

from moto.core.utils import utcnow

from emrlab.exceptions import LocalEmrError
from emrlab.local import emulator as localaws
from emrlab.local.emr_command import StepExecution

log = logging.getLogger("emrlab.local.emr")

TICK_S = 0.1  # supervisor period
STARTING_S = 0.2  # seconds a new cluster stays STARTING, then BOOTSTRAPPING (local stand-ins)
BOOTSTRAP_S = 0.2
TERMINAL = ("TERMINATED", "TERMINATED_WITH_ERRORS")
ENDING = ("TERMINATING", *TERMINAL)
ACTIVE_STEP = ("RUNNING", "CANCEL_PENDING")

_lock = threading.RLock()  # guards every state change made here or by the API wrappers
_wake = threading.Event()
_stop = threading.Event()
_thread: threading.Thread | None = None
_runs: dict[str, StepRun] = {}  # step id -> its run, while the step is active


def running() -> bool:
    """True while the worker is running (the API wrappers then defer states to it)."""
    return _thread is not None and _thread.is_alive() and not _stop.is_set()


def wake() -> None:
    """Ask the supervisor for a tick now."""
    _wake.set()


def start() -> None:
    """Start the supervisor thread (once)."""
    global _thread
    with _lock:
        if running():
            return
        _stop.clear()
        _thread = threading.Thread(target=_loop, name="emrlab-localemr", daemon=True)
        _thread.start()


def stop(timeout: float = 15.0) -> None:
    """Kill running steps, end the step threads and the supervisor."""
    global _thread
    _stop.set()
    _wake.set()
    with _lock:
        runs = list(_runs.values())
    for run in runs:
        run.kill(signal.SIGKILL)
    deadline = time.monotonic() + timeout
    for run in runs:
        run.thread.join(max(0.1, deadline - time.monotonic()))
    if _thread is not None:
        _thread.join(max(0.1, deadline - time.monotonic()))
    _thread = None


def _loop() -> None:
    while not _stop.is_set():
        _wake.wait(TICK_S)
        _wake.clear()
        try:
            _tick()
        except Exception:  # the worker must survive anything a cluster throws at it
            log.exception("local EMR worker tick failed")


def _clusters() -> list:
    from moto.emr.models import emr_backends

    found = []
    for per_account in list(emr_backends.values()):
        for backend in list(per_account.values()):
            found.extend(list(backend.clusters.values()))
    return found


def _tick() -> None:
    clusters = _clusters()
    live = {id(c) for c in clusters}
    with _lock:
        for run in list(_runs.values()):
            if id(run.cluster) not in live:  # the emulator was reset under a running step
                run.kill(signal.SIGKILL)
        for cluster in clusters:
            if getattr(cluster, "state", None) not in (None, *TERMINAL):
                _advance(cluster)


def _set_state(cluster, state: str) -> None:
    cluster.state = state
    cluster.emrlab_since = time.monotonic()


def _advance(cluster) -> None:
    now = time.monotonic()
    since = getattr(cluster, "emrlab_since", None)
    if since is None:
        cluster.emrlab_since = since = now
    state = cluster.state
    if state == "STARTING":
        ready = hasattr(cluster, "auto_termination_policy") or now - since > 2
        if ready and now - since >= STARTING_S:
            _set_state(cluster, "BOOTSTRAPPING")
        return
    if state == "BOOTSTRAPPING":
        if now - since >= BOOTSTRAP_S:
            cluster.ready_datetime = utcnow()
            _set_state(cluster, "WAITING")
            cluster.emrlab_idle_since = now
        else:
            return
    if cluster.state == "TERMINATING":
        if not any(run.cluster is cluster for run in _runs.values()):
            _finish_termination(cluster)
        return
    _schedule(cluster, now)


def _schedule(cluster, now: float) -> None:
    steps = cluster.steps
    active = [s for s in steps if s.state in ACTIVE_STEP]
    slots = max(1, int(cluster.step_concurrency_level or 1)) - len(active)
    for step in [s for s in steps if s.state == "PENDING"][: max(0, slots)]:
        _start_step(cluster, step)
        active.append(step)
    if active:
        if cluster.state != "RUNNING":
            _set_state(cluster, "RUNNING")
        cluster.emrlab_idle_since = None
        return
    if cluster.state != "WAITING":
        _set_state(cluster, "WAITING")
    if not cluster.keep_job_flow_alive_when_no_steps:
        request_termination(cluster, "ALL_STEPS_COMPLETED", "Steps completed")
        return
    idle_since = getattr(cluster, "emrlab_idle_since", None) or now
    cluster.emrlab_idle_since = idle_since
    policy = getattr(cluster, "auto_termination_policy", None) or {}
    if policy.get("IdleTimeout"):
        if now - idle_since >= float(policy["IdleTimeout"]) / _scale():
            request_termination(
                cluster,
                "ALL_STEPS_COMPLETED",
                f"Cluster was idle for its auto-termination IdleTimeout of "
                f"{policy['IdleTimeout']} s (local time scale {_scale():g}x)",
            )


TIME_SCALE_ENV = "EMRLAB_LOCAL_TIME_SCALE"
DEFAULT_TIME_SCALE = 60.0


def time_scale() -> float:
    """How many times faster than real EMR the local EMR's timeouts run (``EMRLAB_LOCAL_TIME_SCALE``).

    Taught in notebooks/01_emr_provisioning.ipynb.

    Raises
    ------
    LocalEmrError
        The variable is not a number >= 1.
    """
    raw = os.environ.get(TIME_SCALE_ENV, "") or str(DEFAULT_TIME_SCALE)
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value >= 1:
        raise LocalEmrError(f"{TIME_SCALE_ENV}={raw!r} must be a number >= 1 (e.g. 60)")
    return value


def _scale() -> float:
    try:
        return time_scale()
    except LocalEmrError:
        log.warning("bad EMRLAB_LOCAL_TIME_SCALE; using %s", DEFAULT_TIME_SCALE)
        return DEFAULT_TIME_SCALE


def _finish_termination(cluster) -> None:
    final = "TERMINATED_WITH_ERRORS" if getattr(cluster, "emrlab_error", False) else "TERMINATED"
    cluster.end_datetime = utcnow()
    for group in cluster.instance_groups:
        group.state = "TERMINATED"
        group.end_date_time = cluster.end_datetime
    for fleet in getattr(cluster, "instance_fleets", []):
        fleet["Status"]["State"] = "TERMINATED"
        fleet["Status"]["Timeline"]["EndDateTime"] = cluster.end_datetime
    _set_state(cluster, final)


def _end_step(step, state: str, message: str | None = None) -> None:
    step.state = state
    step.end_date_time = utcnow()
    if message:
        step.last_state_change_reason = message


def request_termination(cluster, code: str, message: str, error: bool = False) -> None:
    """Move ``cluster`` to TERMINATING: pending steps are cancelled, running ones killed."""
    with _lock:
        if cluster.state in ENDING:
            return
        cluster.state_change_code = code
        cluster.last_state_change_reason = message
        cluster.emrlab_error = error
        _set_state(cluster, "TERMINATING")
        for step in cluster.steps:
            if step.state == "PENDING":
                _end_step(step, "CANCELLED", "Cancelled because the cluster terminated")
            elif step.id in _runs:
                _runs[step.id].cancel("Cancelled because the cluster terminated", signal.SIGTERM)
    wake()


def cancel_step(cluster, step_id: str, option: str) -> dict:
    """CancelSteps for one step; returns its ``CancelStepsInfo``."""
    with _lock:
        step = next((s for s in cluster.steps if s.id == step_id), None)
        if step is None:
            return {"StepId": step_id, "Status": "FAILED", "Reason": "no such step in this cluster"}
        if step.state == "PENDING":
            _end_step(step, "CANCELLED", "Cancelled by user request")
        elif step.state == "RUNNING" and step.id in _runs:
            step.state = "CANCEL_PENDING"
            sig = signal.SIGKILL if option == "TERMINATE_PROCESS" else signal.SIGINT
            _runs[step.id].cancel("Cancelled by user request", sig)
        else:
            return {"StepId": step_id, "Status": "FAILED",
                    "Reason": f"the step is {step.state}; only PENDING or RUNNING steps can be cancelled"}
    wake()
    return {"StepId": step_id, "Status": "SUBMITTED", "Reason": ""}


def _start_step(cluster, step) -> None:
    step.state = "RUNNING"
    step.start_date_time = utcnow()
    run = StepRun(cluster, step)
    _runs[step.id] = run
    run.thread.start()


def _apply_failure(cluster, failed) -> None:
    action = failed.action_on_failure or "TERMINATE_CLUSTER"
    if action in ("TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW"):
        request_termination(cluster, "STEP_FAILURE", f"Shut down as step failed: {failed.name}",
                            error=True)
    elif action == "CANCEL_AND_WAIT":
        for step in cluster.steps:
            if step.state == "PENDING":
                _end_step(step, "CANCELLED", f"Cancelled because step {failed.id} failed")


class StepRun:
    """One step's thread: prepare, run the subprocess, publish logs, set the final state."""

    def __init__(self, cluster, step):
        self.cluster = cluster
        self.step = step
        self.execution = None
        self.cancel_message: str | None = None
        self.thread = threading.Thread(target=self._run, name=f"emrlab-step-{step.id}", daemon=True)

    def cancel(self, message: str, sig: int) -> None:
        """Mark the step cancelled and signal its process."""
        self.cancel_message = message
        self.kill(sig)

    def kill(self, sig: int) -> None:
        """Signal the step's process group (no-op before it starts or after it ends)."""
        if self.cancel_message is None:
            self.cancel_message = "Cancelled because the local EMR stopped"
        if self.execution is not None:
            self.execution.kill(sig)

    def _run(self) -> None:
        step, details, rc = self.step, None, None
        try:
            self.execution = StepExecution.for_step(self.cluster, step, _endpoint())
            self.execution.prepare()
            if self.cancel_message is None:
                rc = self.execution.run()
            if rc not in (0, None):
                details = self.execution.failure_details(rc)
            elif rc == 0 and self.cancel_message is None:
                self.execution.sync_outputs()
        except Exception as exc:  # a step that cannot start fails like EMR's: with a reason
            reason = str(exc) if isinstance(exc, LocalEmrError) else f"{type(exc).__name__}: {exc}"
            details = {"Reason": reason[:256], "Message": f"the step could not run: {reason}"}
            if self.execution is not None:
                self.execution.note(f"step could not run: {reason}")
                with open(self.execution.log_dir / "stderr", "a", encoding="utf-8") as fh:
                    fh.write(f"emrlab local EMR: the step could not run: {reason}\n")
                details.update(self.execution.log_file_detail())
        finally:
            if self.execution is not None:
                self.execution.publish_logs()
            self._finish(rc, details)

    def _finish(self, rc: int | None, details: dict | None) -> None:
        with _lock:
            step = self.step
            if self.cancel_message is not None:
                _end_step(step, "CANCELLED", self.cancel_message)
            elif details is None and rc == 0:
                _end_step(step, "COMPLETED")
            else:
                step.failure_details = details or {"Reason": "Unknown Error."}
                _end_step(step, "FAILED", step.failure_details["Reason"])
                _apply_failure(self.cluster, step)
            _runs.pop(step.id, None)
        wake()


def _endpoint() -> str:
    if localaws.running_in_process():
        return localaws.server_endpoint()
    return os.environ.get(localaws.ENDPOINT_ENV, "")
