"""Distributed PyTorch through TorchDistributor, or its clean skip without the torch extra."""

import numpy as np
import pytest

from emrlab.exceptions import DeviceError, ModelError
from emrlab.ml import gpu, nettrain, torchdist

CPU = gpu.resolve_device("cpu")


def test_skip_message_has_the_install_hint():
    assert "pip install -e '.[torch]'" in torchdist.SKIP_MESSAGE


def test_without_torch_run_raises_with_the_hint(monkeypatch):
    monkeypatch.setattr(nettrain, "torch_available", lambda: False)
    assert not torchdist.available()
    with pytest.raises(ModuleNotFoundError, match=r"\.\[torch\]"):
        torchdist.run(np.zeros((4, 2)), np.array([0, 1, 0, 1]), CPU)


def test_standardise_uses_training_statistics():
    train, test = torchdist.standardise(np.array([[1.0, 5.0], [3.0, 5.0]]), np.array([[2.0, 6.0]]))
    assert np.allclose(train.mean(axis=0), 0) and test.tolist() == [[0.0, 1.0]]


def test_driver_gpu_conf_writes_a_discovery_script(tmp_path):
    conf = torchdist.driver_gpu_conf(tmp_path, n_gpus=2)
    assert conf["spark.driver.resource.gpu.amount"] == "2"
    script = conf["spark.driver.resource.gpu.discoveryScript"]
    assert "nvidia-smi" in open(script).read()


needs_torch = pytest.mark.skipif(not nettrain.torch_available(), reason="torch extra absent")


@needs_torch
@pytest.mark.parametrize("kwargs, error", [
    (dict(num_processes=0), ModelError),
    (dict(num_processes=1, choice=gpu.DeviceChoice("cuda", "cuda", "test")), DeviceError),
])
@pytest.mark.spark
def test_bad_runs_fail_before_training(kwargs, error):
    X, y = nettrain.synthetic(50, 3)
    kwargs.setdefault("choice", CPU)
    with pytest.raises(error):
        torchdist.run(X, y, **kwargs)


@needs_torch
@pytest.mark.spark
def test_two_process_ddp_run_on_cpu_learns():
    X, y = nettrain.synthetic(1200, 6, seed=0)
    Xtr, Xte = torchdist.standardise(X[:900], X[900:])
    result = torchdist.run(Xtr, y[:900], CPU, num_processes=2, epochs=4, batch_size=64)
    assert result["world_size"] == 2 and result["backend"] == "gloo"
    assert torchdist.evaluate(result, Xte, y[900:])["roc_auc"] > 0.75
    assert "state" not in torchdist.describe(result)
