"""Distributed PyTorch through Spark: ``pyspark.ml.torch.distributor.TorchDistributor``.

Taught in notebooks/04_gpu_training.ipynb.

``TorchDistributor(num_processes, local_mode=True, use_gpu=...)`` starts ``torchrun`` with
``num_processes`` processes on the driver (``local_mode=False`` would start them in Spark
tasks on the executors, one per GPU on a GPU cluster) and runs
:func:`emrlab.ml.nettrain.ddp_train` in each: DistributedDataParallel over ``gloo`` on CPUs or
``nccl`` on GPUs. PyTorch is an optional extra; :func:`available` tells whether this section can
run, and :data:`SKIP_MESSAGE` says how to install it.

For ``use_gpu=True`` in local mode, Spark must know the driver's GPUs before the session starts:
:func:`driver_gpu_conf` writes a discovery script and returns the settings to pass to
:func:`emrlab.spark.session`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from emrlab.exceptions import DeviceError, ModelError
from emrlab.ml import nettrain
from emrlab.ml.gpu import DeviceChoice

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SKIP_MESSAGE = ("PyTorch is not installed, so the distributed PyTorch section is skipped. "
                f"Install the extra with: {nettrain.TORCH_HINT}")


def available() -> bool:
    """True when PyTorch is installed (the ``torch`` extra).

    Taught in notebooks/04_gpu_training.ipynb.
    """
    return nettrain.torch_available()


def standardise(train: np.ndarray, *others: np.ndarray):
    """Scale columns by the training rows' mean and standard deviation (float32 arrays).

    Taught in notebooks/04_gpu_training.ipynb.
    """
    train = np.asarray(train, dtype=np.float32)
    mean, std = train.mean(axis=0), train.std(axis=0)
    std[std == 0] = 1.0
    return [((np.asarray(a, dtype=np.float32) - mean) / std).astype(np.float32)
            for a in (train, *others)]


def driver_gpu_conf(work_dir: str | Path, n_gpus: int = 1) -> dict[str, str]:
    """Spark settings that give the local driver ``n_gpus`` GPUs (for ``use_gpu=True``).

    Taught in notebooks/04_gpu_training.ipynb.

    Writes a discovery script (``nvidia-smi``'s GPU indices as Spark's resource JSON) under
    ``work_dir`` and returns ``spark.driver.resource.gpu.*`` settings for
    :func:`emrlab.spark.session`; they only take effect on a session started after this call.
    """
    script = Path(work_dir) / "spark" / "getGpusResources.sh"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(
        "#!/bin/bash\n"
        "ADDRS=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed -e 's/^/\"/;s/$/\"/' "
        "| paste -sd, -)\n"
        'echo {\\"name\\": \\"gpu\\", \\"addresses\\": [$ADDRS]}\n')
    script.chmod(0o755)
    return {"spark.driver.resource.gpu.amount": str(n_gpus),
            "spark.driver.resource.gpu.discoveryScript": str(script)}


def check_gpu_conf(spark: SparkSession) -> None:
    """DeviceError unless the session was started with driver GPU resources.

    Taught in notebooks/04_gpu_training.ipynb.
    """
    if "gpu" not in spark.sparkContext.resources:
        raise DeviceError("TorchDistributor(use_gpu=True) needs the driver's GPUs in Spark's "
                          "resources; start the session with "
                          "emrlab.spark.session(**torchdist.driver_gpu_conf(work_dir))")


def run(X: np.ndarray, y: np.ndarray, choice: DeviceChoice, num_processes: int = 2,
        epochs: int = 5, batch_size: int = 256, lr: float = 1e-2, hidden: int = 32,
        seed: int = 0, spark: SparkSession | None = None) -> dict:
    """Train :func:`emrlab.ml.nettrain.build_mlp` with ``num_processes`` DDP processes.

    Taught in notebooks/04_gpu_training.ipynb.

    Returns
    -------
    dict
        What the processes returned (``state``, ``seconds`` inside the processes, ``world_size``,
        ``backend``, ``final_loss``) plus ``wall_s``: the whole run, process start included.

    Raises
    ------
    ModuleNotFoundError
        PyTorch is not installed (message with the install hint).
    ModelError
        ``num_processes`` out of range or a label with one class (before any training).
    DeviceError
        ``choice`` is a GPU but the session has no driver GPU resources.
    """
    nettrain.require_torch()
    if not 1 <= num_processes <= 16:
        raise ModelError(f"num_processes={num_processes} must be between 1 and 16")
    nettrain.check_labels(y)
    from pyspark.ml.torch.distributor import TorchDistributor

    if spark is None:
        from emrlab.spark import session

        spark = session()
    if choice.use_gpu:
        check_gpu_conf(spark)
    distributor = TorchDistributor(num_processes=num_processes, local_mode=True,
                                   use_gpu=choice.use_gpu)
    started = time.perf_counter()
    result = distributor.run(nettrain.ddp_train, np.asarray(X, dtype=np.float32),
                             np.asarray(y, dtype=np.float32), epochs, batch_size, lr, hidden,
                             choice.use_gpu, seed)
    if not isinstance(result, dict):
        raise ModelError(f"the distributed run returned {type(result).__name__}, not the "
                         "training result (see the processes' output above)")
    result["wall_s"] = time.perf_counter() - started
    return result


def evaluate(result: dict, X_test: np.ndarray, y_test: np.ndarray, hidden: int = 32) -> dict:
    """ROC AUC of the distributed run's model on held-out rows (CPU inference).

    Taught in notebooks/04_gpu_training.ipynb.
    """
    model = nettrain.load_mlp(result["state"], X_test.shape[1], hidden)
    score = nettrain.predict_torch(model, X_test)
    return {"roc_auc": nettrain.auc(y_test, score), "rows": len(y_test),
            "positives": int(np.asarray(y_test).sum())}


def describe(result: dict) -> str:
    """One line about a finished run.

    Taught in notebooks/04_gpu_training.ipynb.
    """
    keep = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in result.items()
            if k != "state"}
    return json.dumps(keep)
