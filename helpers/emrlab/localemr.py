"""The local EMR: moto's EMR emulator, extended so that clusters and steps behave like EMR.

Taught in notebooks/01_emr_provisioning.ipynb.

moto 5.2.5 accepts EMR calls but never runs a step and lacks several operations. Importing
this module (``emrlab.localaws.start()`` does it through ``EXTENSION_MODULES``) registers
:func:`install` as an emulator extension. It relies on moto's own extension points, in the
emulator's process (``ThreadedMotoServer``):

* **Responses**: new action methods on ``moto.emr.responses.ElasticMapReduceResponse``
  (moto dispatches an action to the method of the same snake-case name and serialises the
  result through botocore's service model): ``put/get/remove_managed_scaling_policy``,
  ``put/get/remove_auto_termination_policy``, ``list_instance_fleets``, ``cancel_steps``;
  ``run_job_flow`` is wrapped to keep ``InstanceFleets``, ``AutoTerminationPolicy`` and
  ``ManagedScalingPolicy``, which moto drops.
* **Models**: ``Cluster.add_steps`` / ``run_bootstrap_actions`` / ``terminate`` and the
  ``status`` properties of ``Cluster`` and ``Step`` are wrapped so that a background worker
  (:mod:`emrlab.localemr_worker`) drives the states: STARTING -> BOOTSTRAPPING -> WAITING/
  RUNNING -> TERMINATING -> TERMINATED (or TERMINATED_WITH_ERRORS), and each step PENDING ->
  RUNNING -> COMPLETED / FAILED (with ``FailureDetails``) / CANCELLED. While the worker is
  not running, every wrapped method behaves as moto's own.

Steps (``command-runner.jar``, or ``script-runner.jar``) run as real subprocesses: a
``spark-submit`` with local Spark, or any command (``python ...``); see
:mod:`emrlab.localemr_command` for how ``s3://`` paths are mapped. Local time runs faster:
an auto-termination ``IdleTimeout`` of N seconds ends an idle cluster after N /
``EMRLAB_LOCAL_TIME_SCALE`` seconds (default scale 60: one hour of idleness takes one minute).

The patches depend on moto's internals, so the moto version is pinned (``moto==5.2.5``) and
:func:`install` refuses any other version with a clear error.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import urlparse

from . import config, localaws
from .exceptions import LocalEmrError

MOTO_VERSION = "5.2.5"
TIME_SCALE_ENV = "EMRLAB_LOCAL_TIME_SCALE"
DEFAULT_TIME_SCALE = 60.0
S3_SCHEMES = ("s3", "s3a", "s3n")

_install_lock = threading.Lock()
_installed = False


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


def split_s3(uri: str) -> tuple[str, str]:
    """``("bucket", "key")`` of an ``s3://`` (or ``s3a://``, ``s3n://``) URI.

    Raises
    ------
    LocalEmrError
        ``uri`` is not an S3 URI with a bucket.
    """
    parsed = urlparse(str(uri))
    if parsed.scheme not in S3_SCHEMES or not parsed.netloc:
        raise LocalEmrError(f"{uri!r} is not an S3 URI; expected s3://bucket/key")
    return parsed.netloc, parsed.path.lstrip("/")


def is_s3_uri(value: str) -> bool:
    """True when ``value`` looks like ``s3://bucket/...`` (also ``s3a://``, ``s3n://``)."""
    return any(str(value).startswith(f"{scheme}://") for scheme in S3_SCHEMES)


def lake_dir(work_dir: Path | None = None) -> Path:
    """The local lake: ``settings.work_dir / "lake"``; one folder per bucket below it."""
    return Path(work_dir or config.current().work_dir) / "lake"


def local_path(s3_uri: str, work_dir: Path | None = None) -> Path:
    """Where the local EMR reads and writes ``s3://<bucket>/<key>``: ``work_dir/lake/<bucket>/<key>``.

    Taught in notebooks/01_emr_provisioning.ipynb. In local mode Spark has no S3 connector, so
    the step runner passes this path to a step instead of each ``s3://`` data argument (and
    exports ``EMRLAB_LAKE_DIR``); ETL code that writes the lake locally uses the same function.

    Raises
    ------
    LocalEmrError
        ``s3_uri`` is not an S3 URI, or its key climbs out of the lake (``..``).
    """
    bucket, key = split_s3(s3_uri)
    parts = [p for p in key.split("/") if p]
    if any(p == ".." for p in parts):
        raise LocalEmrError(f"{s3_uri!r}: '..' is not allowed in a lake key")
    path = lake_dir(work_dir) / bucket
    for part in parts:
        path = path / part
    return path


def check_moto_version() -> str:
    """The installed moto version; raises when it is not the pinned one.

    Raises
    ------
    LocalEmrError
        moto is missing or not version ``MOTO_VERSION``.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("moto")
    except PackageNotFoundError as exc:
        raise LocalEmrError("moto is not installed; the local EMR needs moto==5.2.5") from exc
    if found != MOTO_VERSION:
        raise LocalEmrError(
            f"the local EMR patches moto's internals and supports moto=={MOTO_VERSION} only, "
            f"but moto {found} is installed: run `pip install moto[server]=={MOTO_VERSION}`"
        )
    return found


def install() -> None:
    """Patch moto's EMR (once per process) and start the step runner (emulator extension).

    Raises
    ------
    LocalEmrError
        The installed moto is not the pinned version.
    """
    global _installed
    from . import localemr_api, localemr_worker

    with _install_lock:
        if not _installed:
            check_moto_version()
            localemr_api.patch_moto()
            _installed = True
    localemr_worker.start()


def shutdown() -> None:
    """Stop the step runner: kill running steps and end its threads (``localaws.stop()``)."""
    from . import localemr_worker

    localemr_worker.stop()


if install not in localaws.extensions:
    localaws.extensions.append(install)
if shutdown not in localaws.shutdown_hooks:
    localaws.shutdown_hooks.append(shutdown)
