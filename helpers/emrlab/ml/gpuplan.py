"""Planning a GPU training cluster on EMR: its spec, a CPU cluster of similar price, the costs.

Taught in notebooks/04_gpu_training.ipynb and labs/04_gpu_xgboost.

The GPU spec comes from the EMR preset :func:`emrlab.emr.gpu_preset.gpu_cluster` (RAPIDS plugin, YARN
GPU scheduling, the cgroup bootstrap action); :func:`cpu_twin` picks the x86 CPU core nodes whose
count brings a cluster closest to the GPU cluster's hourly price, so the two can be compared at
equal cost. Both are validated against the EMR API model (:func:`emrlab.emr.validate.validate`)
and costed from the bundled price snapshot (:mod:`emrlab.emr.costs`). :func:`spark_conf_changes`
lists what a GPU cluster changes in Spark's configuration.
"""

from __future__ import annotations

import pandas as pd

from emrlab.emr import (
    ClusterSpec,
    core,
    costs,
    gpu_preset as emrgpu,
    primary,
    validate as emrvalidate,
)
from emrlab.exceptions import SpecError

CPU_CANDIDATES = ("m5.xlarge", "m5.2xlarge", "m6i.xlarge", "r5.xlarge", "c5.xlarge")
GPU_PER_TYPE = {"g4dn.xlarge": ("NVIDIA T4", 1, 16), "g4dn.2xlarge": ("NVIDIA T4", 1, 16),
                "g5.xlarge": ("NVIDIA A10G", 1, 24), "p3.2xlarge": ("NVIDIA V100", 1, 16)}


def price_region(region: str) -> tuple[str, str]:
    """``(region to price in, note)``: the snapshot's first region when ``region`` has no prices.

    Taught in notebooks/04_gpu_training.ipynb.
    """
    known = list(costs.load_prices()["regions"])
    if region in known:
        return region, ""
    return known[0], (f"no snapshot prices for {region!r}; costs shown for {known[0]} "
                      f"(known: {', '.join(known)})")


def gpu_spec(bucket: str, core_type: str = "g4dn.xlarge", core_count: int = 2,
             release_label: str = "emr-7.13.0", idle_timeout: int = 3600) -> ClusterSpec:
    """The GPU training cluster: the RAPIDS preset with ``core_count`` GPU core nodes.

    Taught in notebooks/04_gpu_training.ipynb and labs/04_gpu_xgboost.
    """
    return emrgpu.gpu_cluster(
        "emrlab-gpu-training", bootstrap_uri=f"s3://{bucket}/bootstrap/rapids-cgroup.sh",
        release_label=release_label, core_type=core_type, core_count=core_count,
        primary_type="m5.xlarge", idle_timeout=idle_timeout,
        log_uri=f"s3://{bucket}/emr-logs/", tags={"project": "emrlab", "notebook": "04"})


def cpu_twin(gpu: ClusterSpec, region: str = "us-east-1",
             candidates: tuple = CPU_CANDIDATES) -> ClusterSpec:
    """A CPU cluster (same primary and release) whose hourly price is closest to ``gpu``'s.

    Taught in notebooks/04_gpu_training.ipynb.
    """
    target = costs.estimate(gpu, 1.0, region).per_hour
    prim = next(g for g in gpu.instance_groups if g.role == "MASTER")
    best = None
    for itype in candidates:
        for count in range(1, 33):
            spec = ClusterSpec(name="emrlab-cpu-training", release_label=gpu.release_label,
                               instance_groups=[primary(prim.instance_type), core(itype, count)],
                               idle_timeout=gpu.idle_timeout, log_uri=gpu.log_uri,
                               tags=dict(gpu.tags))
            gap = abs(costs.estimate(spec, 1.0, region).per_hour - target)
            if best is None or gap < best[0]:
                best = (gap, spec)
    if best is None:
        raise SpecError("no CPU candidate instance types were given")
    return best[1]


def _gpus(spec: ClusterSpec) -> int:
    return sum(GPU_PER_TYPE.get(g.instance_type, ("", 0, 0))[1] * g.count
               for g in spec.instance_groups if g.role != "MASTER")


def compare(gpu: ClusterSpec, cpu: ClusterSpec, region: str, hours: float = 1.0) -> pd.DataFrame:
    """Validate both specs and tabulate their nodes, GPUs and cost per hour and per run.

    Taught in notebooks/04_gpu_training.ipynb.

    Raises
    ------
    SpecError
        Either spec breaks the EMR API model or a rule (listing every problem).
    """
    rows = []
    for label, spec in (("GPU", gpu), ("CPU", cpu)):
        emrvalidate.validate(spec, what=f"{label} cluster spec")
        est = costs.estimate(spec, hours, region)
        workers = [g for g in spec.instance_groups if g.role != "MASTER"]
        rows.append({"cluster": label,
                     "workers": ", ".join(f"{g.count}x {g.instance_type}" for g in workers),
                     "gpus": _gpus(spec), "usd_per_hour": round(est.per_hour, 4),
                     f"usd_per_{hours:g}h_run": round(est.per_run, 4),
                     "prices_confirmed": est.confirmed})
    return pd.DataFrame(rows).set_index("cluster")


def spark_conf_changes(gpu: ClusterSpec, width: int = 70) -> pd.DataFrame:
    """What the GPU cluster sets beyond a CPU cluster's EMR defaults, by classification and key.

    Taught in notebooks/04_gpu_training.ipynb and labs/04_gpu_xgboost. Values longer than
    ``width`` characters are shortened with "...".
    """
    rows = []

    def walk(configs: list, prefix: str = "") -> None:
        for c in configs or []:
            name = prefix + c["Classification"]
            for key, value in (c.get("Properties") or {}).items():
                text = str(value)
                if len(text) > width:  # the CUDA library path is ~300 characters
                    text = text[:width - 3] + "..."
                rows.append({"classification": name, "property": key, "gpu_cluster": text})
            walk(c.get("Configurations"), name + "/")

    walk(gpu.to_run_job_flow().get("Configurations", []))
    return pd.DataFrame(rows)
