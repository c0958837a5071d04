"""``emrlab cleanup``: list the kit's active clusters and terminate yours.

Taught in notebooks/01_emr_provisioning.ipynb. A cluster is the kit's when it carries the tag
``emrlab:managed=true`` (added by :mod:`emrlab.emr.guardrails`); other clusters are never touched.
Whose clusters it acts on:

* by default, the caller's: the ``emrlab:owner`` the guard rails tag clusters with
  (``EMRLAB_OWNER``, else the login name, see :func:`emrlab.emr.guardrails.owner`). The kit's
  clusters of other owners are listed too, each marked as not touched;
* ``owner="NAME"`` (``--owner NAME``): only that owner's clusters are listed and acted on;
* ``all_owners=True`` (``--all-owners``): every owner's.

Without ``yes`` (``--yes``) it only lists; ``dry_run`` (``--dry-run``) lists even with ``yes``. In
local mode it works against the emulator named by ``EMRLAB_AWS_ENDPOINT``.
"""

from __future__ import annotations

from emrlab.exceptions import ParameterError

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


def cleanup(client=None, *, yes: bool = False, dry_run: bool = False, owner: str | None = None,
            all_owners: bool = False, out=print) -> list[dict]:
    """List the kit's active clusters and, with ``yes`` and not ``dry_run``, terminate the
    caller's (or ``owner``'s, or with ``all_owners`` every owner's).

    Taught in notebooks/01_emr_provisioning.ipynb.

    Parameters
    ----------
    owner : str, optional
        Act on (and list) only this ``emrlab:owner``; None or empty means the caller's own
        (:func:`emrlab.emr.guardrails.owner`), with other owners' clusters listed as not touched.
    all_owners : bool
        Act on every owner's clusters (cannot be combined with ``owner``).

    Returns
    -------
    list of dict
        Every cluster listed, each with ``Owner``, ``Selected`` (in scope) and ``Terminated``.

    Raises
    ------
    ParameterError
        ``owner`` and ``all_owners`` are both given, or a flag is not a bool.
    """
    from emrlab.aws import client as make_client
    from emrlab.emr.guardrails import owner as own_name

    for name, value in (("yes", yes), ("dry_run", dry_run), ("all_owners", all_owners)):
        if not isinstance(value, bool):
            raise ParameterError(f"{name}={value!r} is not allowed; use True or False")
    if owner is not None and not isinstance(owner, str):
        raise ParameterError(f"owner={owner!r} is not allowed; use an owner name (a string)")
    owner = (owner or "").strip()
    if owner and all_owners:
        raise ParameterError(f"owner={owner!r} and all_owners=True cannot be combined: give "
                             "one owner or all of them")
    explicit = bool(owner)
    target = "" if all_owners else owner or own_name()
    emr = client or make_client("emr")
    found = kit_clusters(emr, owner if explicit else "")
    act = yes and not dry_run
    for c in found:
        c["Selected"] = not target or c["Owner"] == target
        c["Terminated"] = False
        mark = "" if c["Selected"] else "  (another owner: not touched)"
        out(f"{c['Id']}  {c['State']:<13} owner={c['Owner']}  {c['Name']}{mark}")
    mine = [c for c in found if c["Selected"]]
    others = len(found) - len(mine)
    scope = "of any owner" if all_owners else f"of owner {target!r}"
    if not mine:
        out(f"no active emrlab clusters {scope}")
    elif act:
        ids = [c["Id"] for c in mine]
        for i in range(0, len(ids), 10):  # TerminateJobFlows takes at most 10 ids per call
            emr.terminate_job_flows(JobFlowIds=ids[i:i + 10])
        for c in mine:
            c["Terminated"] = True
        out(f"terminating {len(ids)} cluster(s) {scope}")
    else:
        out(f"{len(mine)} cluster(s) {scope} left running; run `emrlab cleanup --yes` to "
            "terminate them")
    if others:
        out(f"{others} cluster(s) of other owners were not touched; `emrlab cleanup --owner NAME` "
            "or `--all-owners` acts on them")
    return found
