"""The local EMR: moto's EMR emulator, extended so that clusters and steps behave like EMR.

Taught in notebooks/01_emr_provisioning.ipynb.

moto 5.2.5 accepts EMR calls but never runs a step and lacks several operations. Importing
this module has no side effect: ``emrlab.local.emulator.start()`` calls :func:`install` (it is
listed in ``EXTENSION_MODULES``) and ``stop()`` calls :func:`shutdown`. It relies on moto's own extension points, in the
emulator's process (``ThreadedMotoServer``):

* **Responses**: new action methods on ``moto.emr.responses.ElasticMapReduceResponse``
  (moto dispatches an action to the method of the same snake-case name and serialises the
  result through botocore's service model): ``put/get/remove_managed_scaling_policy``,
  ``put/get/remove_auto_termination_policy``, ``list_instance_fleets``, ``cancel_steps``;
  ``run_job_flow`` is wrapped to keep ``InstanceFleets``, ``AutoTerminationPolicy`` and
  ``ManagedScalingPolicy``, which moto drops.
* **Models**: ``Cluster.add_steps`` / ``run_bootstrap_actions`` / ``terminate`` and the
  ``status`` properties of ``Cluster`` and ``Step`` are wrapped so that a background worker
  (:mod:`emrlab.local.emr_worker`) drives the states: STARTING -> BOOTSTRAPPING -> WAITING/
  RUNNING -> TERMINATING -> TERMINATED (or TERMINATED_WITH_ERRORS), and each step PENDING ->
  RUNNING -> COMPLETED / FAILED (with ``FailureDetails``) / CANCELLED. While the worker is
  not running, every wrapped method behaves as moto's own.

Steps (``command-runner.jar``, or ``script-runner.jar``) run as real subprocesses: a
``spark-submit`` with local Spark, or any command (``python ...``); see
:mod:`emrlab.local.emr_command` for how ``s3://`` paths are mapped. Local time runs faster:
an auto-termination ``IdleTimeout`` of N seconds ends an idle cluster after N /
``EMRLAB_LOCAL_TIME_SCALE`` seconds (default scale 60: one hour of idleness takes one minute).

The patches depend on moto's internals, so the moto version is pinned (``moto==5.2.5``) and
:func:`install` refuses any other version with a clear error.
"""

from __future__ import annotations

import threading

from emrlab.exceptions import LocalEmrError
from emrlab.local import emr_api, emr_worker

MOTO_VERSION = "5.2.5"

_install_lock = threading.Lock()
_installed = False


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
    with _install_lock:
        if not _installed:
            check_moto_version()
            emr_api.patch_moto()
            _installed = True
    emr_worker.start()


def shutdown() -> None:
    """Stop the step runner: kill running steps and end its threads (``emrlab.local.emulator.stop()``)."""
    emr_worker.stop()

