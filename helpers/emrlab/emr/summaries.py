"""What happened to an EMR cluster: step and cluster summaries, and watching a step.

Taught in notebooks/01_emr_provisioning.ipynb; :mod:`emrlab.emr.lifecycle` returns these
summaries from a transient cluster's run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from emrlab import config

if TYPE_CHECKING:
    import pandas as pd

STEP_FINAL = ("COMPLETED", "CANCELLED", "FAILED", "INTERRUPTED")


def _emr(client=None):
    from emrlab.aws import client as make_client

    return client or make_client("emr")


@dataclass
class StepSummary:
    """One step as it ended."""

    step_id: str
    name: str
    state: str
    duration_s: float | None
    failure_reason: str | None = None
    failure_message: str | None = None
    log_file: str | None = None
    logs: str | None = None


@dataclass
class RunSummary:
    """What happened to one cluster: outcome, final state, steps, durations, logs."""

    cluster_id: str | None
    name: str
    outcome: str
    state: str
    state_reason: str = ""
    duration_s: float | None = None
    steps: list[StepSummary] = field(default_factory=list)
    log_uri: str | None = None

    @property
    def ok(self) -> bool:
        """True when the block succeeded and every step COMPLETED."""
        return self.outcome == "success" and all(s.state == "COMPLETED" for s in self.steps)

    def to_frame(self) -> pd.DataFrame:
        """The steps as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame([s.__dict__ for s in self.steps])

    def __str__(self) -> str:
        lines = [f"cluster {self.cluster_id} ({self.name}): {self.outcome}; {self.state}"
                 f" ({self.state_reason}) after {self.duration_s or 0:.1f} s"]
        for s in self.steps:
            extra = f" - {s.failure_reason}" if s.failure_reason else ""
            lines.append(f"  {s.step_id} {s.name}: {s.state} in {s.duration_s or 0:.1f} s{extra}")
            if s.logs:
                lines.append(f"    logs: {s.logs}")
        return "\n".join(lines)


def _seconds(timeline: dict, start: str, end: str) -> float | None:
    if timeline.get(start) and timeline.get(end):
        return round((timeline[end] - timeline[start]).total_seconds(), 3)
    return None


def summarize(cluster_id: str, outcome: str, *, client=None,
              settings: config.Settings | None = None) -> RunSummary:
    """A :class:`RunSummary` of ``cluster_id`` from describe_cluster and list_steps."""
    emr = _emr(client)
    settings = settings or config.current()
    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    status = cluster["Status"]
    log_uri = cluster.get("LogUri")
    steps = []
    for page in emr.get_paginator("list_steps").paginate(ClusterId=cluster_id):
        steps.extend(page["Steps"])
    out = []
    for step in reversed(steps):  # list_steps returns the newest first
        st = step["Status"]
        details = st.get("FailureDetails") or {}
        if log_uri:
            logs = f"{log_uri.rstrip('/')}/{cluster_id}/steps/{step['Id']}/"
        elif settings.is_local:
            logs = str(settings.work_dir / "emr-logs" / cluster_id / "steps" / step["Id"])
        else:
            logs = None
        out.append(StepSummary(step["Id"], step["Name"], st["State"],
                               _seconds(st.get("Timeline", {}), "StartDateTime", "EndDateTime"),
                               details.get("Reason"), details.get("Message"),
                               details.get("LogFile"), logs))
    reason = status.get("StateChangeReason", {})
    return RunSummary(cluster_id, cluster.get("Name", ""), outcome, status["State"],
                      " ".join(x for x in (reason.get("Code"), reason.get("Message")) if x),
                      _seconds(status.get("Timeline", {}), "CreationDateTime", "EndDateTime"),
                      out, log_uri)


def watch_step(cluster_id: str, step_id: str, *, client=None, poll_s: float | None = None,
               timeout_s: float = 900.0) -> list[tuple[float, str, str]]:
    """Poll a step until it ends; every change as ``(seconds, cluster_state, step_state)``.

    Taught in notebooks/01_emr_provisioning.ipynb.
    """
    emr = _emr(client)
    poll = poll_s or (0.2 if config.current().is_local else 15.0)
    start, seen, last = time.monotonic(), [], None
    while time.monotonic() - start < timeout_s:
        cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"]
        step = emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]["Status"]["State"]
        if (cluster, step) != last:
            seen.append((round(time.monotonic() - start, 1), cluster, step))
            last = (cluster, step)
        if step in STEP_FINAL:
            break
        time.sleep(poll)
    return seen
