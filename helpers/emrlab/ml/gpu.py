"""Which accelerator this machine has, and the device a training run will use.

Taught in notebooks/04_gpu_training.ipynb (and labs/04_gpu_xgboost).

:func:`info` asks ``nvidia-smi --query-gpu`` first (no heavy import), and only when allowed
(``deep=True``) imports torch and xgboost to learn whether *they* can use the GPU: a machine can
have a GPU while the installed wheels are CPU builds (``xgboost-cpu``, the CPU torch wheel).

:func:`resolve_device` decides before any training:

* ``"auto"``: ``"cuda"`` when a GPU is visible, else ``"cpu"`` (the decision is explained in
  :attr:`DeviceChoice.reason`);
* ``"cpu"``: always ``"cpu"``;
* ``"cuda"`` on a machine without a visible GPU: a :class:`~emrlab.exceptions.DeviceError`
  (no silent fallback: a run that asked for a GPU must not quietly take hours on a CPU).
  Use ``"auto"`` to fall back.

Nothing here imports pyspark, so the GPU benchmark (``bench/gpu_bench.py``) can use it on a
machine that has only PyTorch.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass, field

from emrlab.exceptions import DeviceError

DEVICES = ("auto", "cpu", "cuda")
_QUERY = "name,driver_version,memory.total,memory.used"


@dataclass
class GpuInfo:
    """What :func:`info` found.

    Taught in notebooks/04_gpu_training.ipynb.

    Attributes
    ----------
    gpus : list of dict
        One ``{"name", "driver", "memory_mib", "memory_used_mib"}`` per GPU nvidia-smi lists.
    source : str
        Where the list came from (``"nvidia-smi"``, ``"torch"`` or ``"none"``).
    torch : str
        ``"absent"``, ``"cpu build <version>"`` or ``"cuda <cuda version> (<version>)"``;
        ``"not checked"`` unless ``deep=True``.
    xgboost : str
        ``"absent"``, ``"<version>, CUDA build"`` or ``"<version>, CPU build"``; ``"not checked"``
        unless ``deep=True``.
    notes : list of str
        Anything that went wrong while looking (a failing nvidia-smi ...).
    """

    gpus: list = field(default_factory=list)
    source: str = "none"
    torch: str = "not checked"
    xgboost: str = "not checked"
    notes: list = field(default_factory=list)

    @property
    def available(self) -> bool:
        """True when at least one NVIDIA GPU is visible."""
        return bool(self.gpus)

    def summary(self) -> str:
        """One or more human-readable lines."""
        if self.gpus:
            lines = [f"GPU {i}: {g['name']}, driver {g['driver']}, {g['memory_mib']} MiB "
                     f"({g['memory_used_mib']} MiB used)" for i, g in enumerate(self.gpus)]
        else:
            lines = ["no NVIDIA GPU visible (nvidia-smi absent or lists none)"]
        lines.append(f"torch: {self.torch}; xgboost: {self.xgboost}")
        return "\n".join(lines + [f"note: {n}" for n in self.notes])


def _visible_devices_hidden() -> bool:
    """True when CUDA_VISIBLE_DEVICES hides every GPU (``""`` or ``"-1"``)."""
    value = os.environ.get("CUDA_VISIBLE_DEVICES")
    return value is not None and value.strip() in ("", "-1")


def query_nvidia_smi(timeout: float = 10.0) -> tuple[list[dict], str]:
    """GPUs from ``nvidia-smi --query-gpu`` and a note ('' when all went well).

    Taught in notebooks/04_gpu_training.ipynb.
    """
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return [], ""
    try:
        out = subprocess.run([exe, f"--query-gpu={_QUERY}", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [], f"nvidia-smi failed: {exc}"
    if out.returncode != 0:
        return [], f"nvidia-smi exited {out.returncode}: {out.stderr.strip()[:200]}"
    gpus = []
    for line in out.stdout.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 4:
            gpus.append({"name": parts[0], "driver": parts[1], "memory_mib": _int(parts[2]),
                         "memory_used_mib": _int(parts[3])})
    return gpus, ""


def _int(text: str) -> int | None:
    try:
        return int(float(text))
    except ValueError:
        return None


def _torch_status() -> tuple[str, list[dict]]:
    if importlib.util.find_spec("torch") is None:
        return "absent", []
    import torch

    if torch.version.cuda is None:
        return f"cpu build {torch.__version__}", []
    gpus = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            gpus.append({"name": props.name, "driver": "unknown",
                         "memory_mib": props.total_memory // 2**20, "memory_used_mib": None})
    return f"cuda {torch.version.cuda} ({torch.__version__})", gpus


def _xgboost_status() -> str:
    if importlib.util.find_spec("xgboost") is None:
        return "absent"
    import xgboost

    cuda = xgboost.build_info().get("USE_CUDA", False)
    return f"{xgboost.__version__}, {'CUDA' if cuda else 'CPU'} build"


def info(deep: bool = False) -> GpuInfo:
    """What accelerators this machine has.

    Taught in notebooks/04_gpu_training.ipynb.

    Parameters
    ----------
    deep : bool
        Also import torch and xgboost (slow, seconds) to report their builds; without it only
        ``nvidia-smi`` runs.
    """
    found = GpuInfo()
    if _visible_devices_hidden():
        found.notes.append("CUDA_VISIBLE_DEVICES hides every GPU")
    else:
        gpus, note = query_nvidia_smi()
        if note:
            found.notes.append(note)
        if gpus:
            found.gpus, found.source = gpus, "nvidia-smi"
    if deep:
        found.torch, torch_gpus = _torch_status()
        found.xgboost = _xgboost_status()
        if not found.gpus and torch_gpus and not _visible_devices_hidden():
            found.gpus, found.source = torch_gpus, "torch"
    return found


@dataclass(frozen=True)
class DeviceChoice:
    """The device a run uses and why.

    Taught in notebooks/04_gpu_training.ipynb.
    """

    requested: str
    device: str
    reason: str

    @property
    def use_gpu(self) -> bool:
        """True when the run trains on a GPU."""
        return self.device == "cuda"

    def __str__(self) -> str:
        return f"device={self.device} (asked: {self.requested}): {self.reason}"


def check_device(device: str) -> None:
    """Raise :class:`DeviceError` unless ``device`` is one of :data:`DEVICES`.

    Taught in notebooks/04_gpu_training.ipynb.
    """
    if device not in DEVICES:
        raise DeviceError(f"device={device!r} is not allowed; choose from "
                          f"{', '.join(repr(d) for d in DEVICES)}")


def resolve_device(device: str = "auto", found: GpuInfo | None = None) -> DeviceChoice:
    """Decide the training device before any training starts.

    Taught in notebooks/04_gpu_training.ipynb and labs/04_gpu_xgboost.

    Parameters
    ----------
    device : str
        ``"auto"`` (GPU when visible, else CPU), ``"cpu"`` or ``"cuda"``.
    found : GpuInfo, optional
        A result of :func:`info` (default: a fresh, light :func:`info`).

    Raises
    ------
    DeviceError
        ``device`` is unknown, or ``"cuda"`` was asked for and no GPU is visible (no silent
        fallback; ask for ``"auto"`` to fall back to the CPU).
    """
    check_device(device)
    if device == "cpu":
        return DeviceChoice(device, "cpu", "CPU asked for")
    found = found if found is not None else info()
    if found.available:
        name = found.gpus[0]["name"]
        return DeviceChoice(device, "cuda", f"{len(found.gpus)} GPU(s) visible ({name})")
    if device == "cuda":
        why = "; ".join(found.notes) or "nvidia-smi is absent or lists no GPU"
        raise DeviceError(f"device='cuda' was asked for but no GPU is visible ({why}); use "
                          "device='auto' to fall back to the CPU, or run on a GPU machine")
    return DeviceChoice(device, "cpu", "no GPU visible, so the CPU (auto fallback)")
