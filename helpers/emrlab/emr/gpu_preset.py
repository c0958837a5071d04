"""A GPU cluster preset: the NVIDIA RAPIDS Accelerator and YARN GPU scheduling on EMR.

Taught in notebooks/01_emr_provisioning.ipynb.

Source: EMR Release Guide, "Use the NVIDIA RAPIDS Accelerator for Apache Spark" (emr-spark-rapids),
which gives, for EMR 7.x: the ``spark`` classification ``enableSparkRapids=true``; ``yarn-site``
with the ``yarn.io/gpu`` resource plugin, the LinuxContainerExecutor and cgroups mounted at
``/spark-rapids-cgroup``; ``container-executor`` with nested ``gpu`` (``module.enabled``) and
``cgroups`` (``root=/spark-rapids-cgroup``); ``spark-defaults`` with the SQLPlugin, the GPU
discovery script and library path; ``capacity-scheduler`` with DominantResourceCalculator; and a
bootstrap action that mounts cgroup v1 at ``/spark-rapids-cgroup`` (7.x runs Amazon Linux 2023,
whose cgroup v2 default YARN's GPU isolation cannot use). Core and task nodes need NVIDIA GPU
types; no node may be ARM.

``emr-spark-8.x`` (AWS runtime for Apache Spark 4) also runs on Amazon Linux 2023 with YARN; the
guide's RAPIDS page shows only 6.x and 7.x examples, so this preset applies the 7.x form to 8.x.
That choice is an assumption not confirmed by an 8.x-specific page: re-check before relying on it.
"""

from __future__ import annotations

from emrlab.emr.nodes import core, primary, task
from emrlab.emr.spec import BootstrapAction, ClusterSpec, configuration
from emrlab.emr.validate import RELEASE_RE, is_gpu
from emrlab.exceptions import SpecError

CGROUP_ROOT = "/spark-rapids-cgroup"
CGROUP_V1_SCRIPT = f"""#!/bin/bash
set -ex
sudo mkdir -p {CGROUP_ROOT}/devices
sudo mount -t cgroup -o devices cgroupv1-devices {CGROUP_ROOT}/devices
sudo chmod a+rwx -R {CGROUP_ROOT}
"""
_LIBRARY_PATH = ":".join([
    "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/local/cuda/extras/CUPTI/lib64",
    "/usr/local/cuda/compat/lib", "/usr/local/cuda/lib", "/usr/local/cuda/lib64",
    "/usr/lib/hadoop/lib/native", "/usr/lib/hadoop-lzo/lib/native",
    "/docker/usr/lib/hadoop/lib/native", "/docker/usr/lib/hadoop-lzo/lib/native"])


def _major(release_label: str) -> int:
    match = RELEASE_RE.match(release_label or "")
    if not match:
        raise SpecError(f"release_label={release_label!r} is not a release label; use emr-X.Y.Z "
                        "or emr-spark-X.Y.Z")
    return int(match.group(2))


def rapids_configurations(release_label: str = "emr-7.13.0", gpus_per_executor: int = 1,
                          tasks_per_gpu: int = 2) -> list[dict]:
    """The configuration classifications for RAPIDS on ``release_label`` (7.x or emr-spark-8.x).

    Taught in notebooks/01_emr_provisioning.ipynb.
    """
    if _major(release_label) < 7:
        raise SpecError(f"release_label={release_label!r}: this preset covers EMR 7.x and "
                        "emr-spark-8.x (the 6.x layout uses /sys/fs/cgroup instead)")
    if gpus_per_executor < 1 or tasks_per_gpu < 1:
        raise SpecError("gpus_per_executor and tasks_per_gpu must be >= 1")
    yarn = {
        "yarn.nodemanager.resource-plugins": "yarn.io/gpu",
        "yarn.resource-types": "yarn.io/gpu",
        "yarn.nodemanager.resource-plugins.gpu.allowed-gpu-devices": "auto",
        "yarn.nodemanager.resource-plugins.gpu.path-to-discovery-executables": "/usr/bin",
        "yarn.nodemanager.linux-container-executor.cgroups.mount": "true",
        "yarn.nodemanager.linux-container-executor.cgroups.mount-path": CGROUP_ROOT,
        "yarn.nodemanager.linux-container-executor.cgroups.hierarchy": "yarn",
        "yarn.nodemanager.container-executor.class":
            "org.apache.hadoop.yarn.server.nodemanager.LinuxContainerExecutor",
    }
    spark_defaults = {
        "spark.plugins": "com.nvidia.spark.SQLPlugin",
        "spark.executor.resource.gpu.discoveryScript":
            "/usr/lib/spark/scripts/gpu/getGpusResources.sh",
        "spark.executor.extraLibraryPath": _LIBRARY_PATH,
        "spark.executor.resource.gpu.amount": gpus_per_executor,
        "spark.task.resource.gpu.amount": round(1 / tasks_per_gpu, 4),
        "spark.executor.cores": tasks_per_gpu,
        "spark.task.cpus": 1,
        "spark.rapids.sql.concurrentGpuTasks": 1,
        "spark.rapids.memory.pinnedPool.size": "0",
        "spark.executor.memoryOverhead": "2G",
        "spark.locality.wait": "0s",
        "spark.sql.files.maxPartitionBytes": "512m",
    }
    return [
        configuration("spark", {"enableSparkRapids": "true"}),
        configuration("yarn-site", yarn),
        configuration("container-executor", {},
                      configuration("gpu", {"module.enabled": "true"}),
                      configuration("cgroups", {"root": CGROUP_ROOT, "yarn-hierarchy": "yarn"})),
        configuration("spark-defaults", spark_defaults),
        configuration("capacity-scheduler", {"yarn.scheduler.capacity.resource-calculator":
                      "org.apache.hadoop.yarn.util.resource.DominantResourceCalculator"}),
    ]


def cgroup_bootstrap_action(script_uri: str) -> BootstrapAction:
    """The bootstrap action running :data:`CGROUP_V1_SCRIPT` (upload it to ``script_uri`` first)."""
    if not script_uri.startswith("s3://"):
        raise SpecError(f"script_uri={script_uri!r} must be an s3:// URI of the uploaded script")
    return BootstrapAction("Mount cgroup v1 for RAPIDS", script_uri)


def gpu_cluster(name: str, *, bootstrap_uri: str, release_label: str = "emr-7.13.0",
                primary_type: str = "m6i.xlarge", core_type: str = "g4dn.xlarge",
                core_count: int = 2, task_type: str | None = None, task_count: int = 0,
                **spec_fields) -> ClusterSpec:
    """A ClusterSpec with GPU core (and optional Spot task) nodes and the RAPIDS configuration.

    Taught in notebooks/01_emr_provisioning.ipynb.

    Parameters
    ----------
    bootstrap_uri : str
        S3 URI where :data:`CGROUP_V1_SCRIPT` is (or will be) uploaded.
    primary_type : str
        x86 type for the primary node (ARM is not supported on RAPIDS clusters).
    core_type, task_type : str
        NVIDIA GPU types (g4dn, g5, g6, p3...).
    **spec_fields
        Any other :class:`ClusterSpec` field (log_uri, idle_timeout, security_configuration...).
    """
    for field_name, itype in (("core_type", core_type), ("task_type", task_type)):
        if itype is not None and not is_gpu(itype):
            raise SpecError(f"{field_name}={itype!r} is not an NVIDIA GPU type (g4dn, g5, g6, "
                            "g6e, p3, p4d, p5...)")
    groups = [primary(primary_type), core(core_type, core_count)]
    if task_type and task_count:
        groups.append(task(task_type, task_count))
    apps = ["Spark"] if release_label.startswith("emr-spark-") else ["Hadoop", "Spark"]
    spec = ClusterSpec(name=name, release_label=release_label,
                       applications=spec_fields.pop("applications", apps),
                       instance_groups=groups, **spec_fields)
    spec.configurations = rapids_configurations(release_label) + list(spec.configurations)
    spec.bootstrap_actions = [cgroup_bootstrap_action(bootstrap_uri), *spec.bootstrap_actions]
    return spec
