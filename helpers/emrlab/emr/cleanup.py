"""``emrlab cleanup``: list and terminate every active cluster the kit tagged.

Taught in notebooks/01_emr_provisioning.ipynb. A cluster is the kit's when it carries the tag
``emrlab:managed=true`` (added by :mod:`emrlab.emr.guardrails`); other clusters are never touched.
Without ``--yes`` it only lists; ``--dry-run`` lists even with ``--yes``. In local mode it works
against the emulator named by ``EMRLAB_AWS_ENDPOINT``.
"""

from __future__ import annotations

ACTIVE_STATES = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]


def kit_clusters(client, owner: str = "") -> list[dict]:
    """Active clusters tagged ``emrlab:managed=true`` (and ``emrlab:owner=owner`` if given).

    Taught in notebooks/01_emr_provisioning.ipynb.
    """
    from emrlab.emr.guardrails import MANAGED_TAG, OWNER_TAG

    found = []
    for page in client.get_paginator("list_clusters").paginate(ClusterStates=ACTIVE_STATES):
        for summary in page["Clusters"]:
            cluster = client.describe_cluster(ClusterId=summary["Id"])["Cluster"]
            tags = {t["Key"]: t.get("Value", "") for t in cluster.get("Tags", [])}
            if tags.get(MANAGED_TAG) != "true" or (owner and tags.get(OWNER_TAG) != owner):
                continue
            found.append({"Id": cluster["Id"], "Name": cluster.get("Name", ""),
                          "State": cluster["Status"]["State"], "Owner": tags.get(OWNER_TAG, "")})
    return found


def cleanup(client=None, *, yes: bool = False, dry_run: bool = False, owner: str = "",
            out=print) -> list[dict]:
    """List the kit's active clusters and, with ``yes`` and not ``dry_run``, terminate them.

    Taught in notebooks/01_emr_provisioning.ipynb. Returns the clusters found (each with
    ``Terminated`` True/False).
    """
    from emrlab.aws import client as make_client

    emr = client or make_client("emr")
    found = kit_clusters(emr, owner)
    act = yes and not dry_run
    for c in found:
        c["Terminated"] = False
        out(f"{c['Id']}  {c['State']:<13} owner={c['Owner']}  {c['Name']}")
    if not found:
        out("no active emrlab clusters")
    elif act:
        ids = [c["Id"] for c in found]
        for i in range(0, len(ids), 10):  # TerminateJobFlows takes at most 10 ids per call
            emr.terminate_job_flows(JobFlowIds=ids[i:i + 10])
        for c in found:
            c["Terminated"] = True
        out(f"terminating {len(ids)} cluster(s)")
    else:
        out(f"{len(found)} cluster(s) left running; run `emrlab cleanup --yes` to terminate them")
    return found
