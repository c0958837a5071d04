"""The pure training functions (emrlab.ml.nettrain) and bench/gpu_bench.py at tiny sizes."""

import importlib.util
import sys

import numpy as np
import pytest

from emrlab.exceptions import DeviceError, ModelError
from emrlab.ml import nettrain
from tests.conftest import ROOT

needs_torch = pytest.mark.skipif(not nettrain.torch_available(), reason="torch extra absent")


def load_bench():
    spec = importlib.util.spec_from_file_location("gpu_bench", ROOT / "bench" / "gpu_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_nettrain_does_not_import_spark_or_torch():
    code = ("import sys, emrlab.ml.nettrain, emrlab.ml.gpu; "
            "print(sorted(m for m in ('pyspark', 'torch', 'xgboost') if m in sys.modules))")
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_synthetic_is_imbalanced_and_reproducible():
    X, y = nettrain.synthetic(1000, 8, seed=3)
    X2, _ = nettrain.synthetic(1000, 8, seed=3)
    assert X.shape == (1000, 8) and X.dtype == np.float32 and np.array_equal(X, X2)
    assert 0.05 < y.mean() < 0.3


def test_auc_matches_hand_computed_values():
    assert nettrain.auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert nettrain.auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.5)
    with pytest.raises(ModelError):
        nettrain.auc([1, 1], [0.2, 0.3])


def test_one_class_label_is_refused_before_training():
    X = np.zeros((10, 3), dtype=np.float32)
    with pytest.raises(ModelError, match="single class"):
        nettrain.train_xgboost(X, np.zeros(10))


def test_plain_xgboost_learns_on_cpu():
    X, y = nettrain.synthetic(2000, 8, seed=0)
    booster, stats = nettrain.train_xgboost(X[:1500], y[:1500], "cpu", rounds=20)
    import xgboost

    score = booster.predict(xgboost.DMatrix(X[1500:]))
    assert nettrain.auc(y[1500:], score) > 0.75
    assert stats["rows"] == 1500 and stats["seconds"] > 0


@pytest.mark.skipif(nettrain.xgboost_has_cuda(), reason="a CUDA build of xgboost is installed")
def test_xgboost_cuda_with_a_cpu_build_is_an_error():
    X, y = nettrain.synthetic(100, 4)
    with pytest.raises(DeviceError, match=r"\.\[gpu\]"):
        nettrain.train_xgboost(X, y, "cuda", rounds=2)


def test_missing_torch_gives_the_install_hint(monkeypatch):
    monkeypatch.setattr(nettrain, "torch_available", lambda: False)
    with pytest.raises(ModuleNotFoundError, match=r"pip install -e '\.\[torch\]'"):
        nettrain.train_torch(*nettrain.synthetic(100, 4))


@needs_torch
def test_torch_network_learns_on_cpu():
    X, y = nettrain.synthetic(3000, 8, seed=1)
    model, stats = nettrain.train_torch(X[:2400], y[:2400], "cpu", epochs=5, batch_size=128)
    assert stats["device"] == "cpu" and np.isfinite(stats["final_loss"])
    assert nettrain.auc(y[2400:], nettrain.predict_torch(model, X[2400:])) > 0.75


@needs_torch
def test_torch_cuda_without_cuda_is_an_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(DeviceError):
        nettrain.train_torch(*nettrain.synthetic(100, 4), device="cuda")


def test_bench_runs_at_tiny_sizes(capsys):
    bench = load_bench()
    assert bench.main(["--sizes", "300,600", "--rounds", "3", "--epochs", "1",
                       "--features", "6"]) == 0
    out = capsys.readouterr().out
    assert "workload" in out and "speedup" in out
    lines = [line for line in out.splitlines() if line.startswith(("xgboost", "torch"))]
    assert any(line.split()[1] == "600" for line in lines if line.startswith("xgboost"))
    if not nettrain.torch_available():
        assert "skip torch" in out


def test_bench_skips_a_missing_xgboost_cleanly(monkeypatch, capsys):
    bench = load_bench()
    monkeypatch.setattr(nettrain, "xgboost_available", lambda: False)
    monkeypatch.setattr(nettrain, "torch_available", lambda: False)
    assert bench.main(["--sizes", "100"]) == 0
    out = capsys.readouterr().out
    assert "skip xgboost" in out and "skip torch" in out


def test_bench_loads_its_modules_without_the_emrlab_package(monkeypatch):
    bench = load_bench()
    for name in [m for m in sys.modules if m == "emrlab" or m.startswith("emrlab.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "emrlab", None)  # "import emrlab" now fails
    before = set(sys.modules)
    try:
        gpu_mod, net_mod = bench._modules()
        assert not hasattr(sys.modules["emrlab"], "setup")  # the bare package, not the kit's
        assert gpu_mod.__file__.endswith(("ml/gpu.py", "ml\\gpu.py"))
        assert net_mod.__name__ == "emrlab.ml.nettrain"
        assert net_mod.synthetic(10, 2)[0].shape == (10, 2)
    finally:
        for name in set(sys.modules) - before:
            if name == "emrlab" or name.startswith("emrlab."):
                del sys.modules[name]


def test_bench_rejects_bad_arguments():
    bench = load_bench()
    with pytest.raises(SystemExit):
        bench.main(["--workloads", "tensorflow"])
