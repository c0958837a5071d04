"""emrlab.ml.gpu: what the machine has, and the device decided before training."""

import os
import stat

import pytest

from emrlab.exceptions import DeviceError, EmrlabError
from emrlab.ml import gpu

NO_GPU = gpu.GpuInfo()
ONE_GPU = gpu.GpuInfo(gpus=[{"name": "NVIDIA T4", "driver": "550.1", "memory_mib": 15360,
                             "memory_used_mib": 0}], source="nvidia-smi")


def test_cpu_is_always_cpu():
    assert gpu.resolve_device("cpu", ONE_GPU).device == "cpu"


def test_auto_falls_back_to_cpu_without_a_gpu():
    choice = gpu.resolve_device("auto", NO_GPU)
    assert (choice.device, choice.use_gpu) == ("cpu", False)
    assert "fallback" in choice.reason


def test_auto_takes_a_visible_gpu():
    choice = gpu.resolve_device("auto", ONE_GPU)
    assert choice.use_gpu and "NVIDIA T4" in str(choice)


def test_cuda_without_a_gpu_is_an_error_naming_the_fix():
    with pytest.raises(DeviceError, match="device='auto'") as err:
        gpu.resolve_device("cuda", NO_GPU)
    assert isinstance(err.value, EmrlabError)


@pytest.mark.parametrize("bad", ["gpu", "CUDA", "", "tpu"])
def test_unknown_device_is_refused(bad):
    with pytest.raises(DeviceError, match="choose from 'auto', 'cpu', 'cuda'"):
        gpu.resolve_device(bad, ONE_GPU)


def test_on_this_machine_cuda_is_refused_or_granted_consistently():
    found = gpu.info()
    if found.available:
        assert gpu.resolve_device("cuda").use_gpu
    else:
        with pytest.raises(DeviceError):
            gpu.resolve_device("cuda")
        assert gpu.resolve_device("auto").device == "cpu"


@pytest.fixture
def fake_smi(tmp_path, monkeypatch):
    """An nvidia-smi on PATH that prints what the test writes."""
    def install(stdout: str, code: int = 0):
        exe = tmp_path / "nvidia-smi"
        exe.write_text(f"#!/bin/sh\ncat <<'EOF'\n{stdout}\nEOF\nexit {code}\n")
        exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    return install


def test_info_parses_nvidia_smi(fake_smi):
    fake_smi("NVIDIA H100 80GB HBM3, 550.54.15, 81559, 12\nTesla T4, 550.54.15, 15360, 0")
    found = gpu.info()
    assert found.source == "nvidia-smi" and len(found.gpus) == 2
    assert found.gpus[0] == {"name": "NVIDIA H100 80GB HBM3", "driver": "550.54.15",
                             "memory_mib": 81559, "memory_used_mib": 12}
    assert found.torch == "not checked"  # no heavy import unless deep=True
    assert "H100" in found.summary()
    assert gpu.resolve_device("auto", found).device == "cuda"


def test_failing_nvidia_smi_means_no_gpu_with_a_note(fake_smi):
    fake_smi("NVIDIA-SMI has failed because it couldn't communicate with the driver", code=9)
    found = gpu.info()
    assert not found.available and "exited 9" in found.notes[0]
    with pytest.raises(DeviceError, match="exited 9"):
        gpu.resolve_device("cuda", found)


def test_cuda_visible_devices_can_hide_every_gpu(fake_smi, monkeypatch):
    fake_smi("Tesla T4, 550.54.15, 15360, 0")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert not gpu.info().available


def test_deep_info_reports_library_builds():
    found = gpu.info(deep=True)
    assert found.xgboost.endswith("build") or found.xgboost == "absent"
    assert found.torch == "absent" or "build" in found.torch or found.torch.startswith("cuda")
