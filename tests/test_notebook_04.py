"""Notebook 04 (GPU training) and lab 04 run for real; on this CPU machine they fall back."""

import numpy as np
import pandas as pd
import pytest
from papermill.exceptions import PapermillExecutionError

from emrlab import figures, gpu, nettrain
from tests.ml_support import NOTEBOOK_EVENTS, seed_work_dir
from tests.test_notebook_03 import outputs

pytestmark = [pytest.mark.notebook,
              pytest.mark.filterwarnings("ignore:.*Unknown file format")]
HAS_GPU = gpu.info().available


@pytest.mark.spark
def test_notebook_04_trains_saves_the_booster_and_costs_clusters(run_notebook, tmp_path):
    seed_work_dir(tmp_path / "work")
    nb = run_notebook("notebooks/04_gpu_training.ipynb", n_events=NOTEBOOK_EVENTS, rounds=20,
                      workers=2, processes=2)
    found = figures.read(nb)
    assert found["xgboost_device"][0] == ("cuda" if HAS_GPU else "cpu")
    assert found["xgboost_roc_auc"][0] > 0.6
    assert found["booster_max_abs_diff"][0] < 1e-6
    assert found["gpu_cluster_usd_per_hour"][0] > 0 and found["cpu_cluster_usd_per_hour"][0] > 0
    text = outputs(nb)
    assert "decision: device=" in text and "spark.plugins" in text
    if nettrain.torch_available():
        assert found["torch_roc_auc"][0] > 0.55
    else:
        assert "pip install -e '.[torch]'" in text and "torch_roc_auc" not in found
    folder = tmp_path / "work" / "lake" / "emrlab-local" / "models" / "xgboost"
    booster = folder / f"sessions-n{NOTEBOOK_EVENTS}-s0" / "xgboost-model"
    heldout = pd.read_csv(booster.parent / "heldout.csv")
    import xgboost

    plain = xgboost.Booster(model_file=str(booster)).predict(
        xgboost.DMatrix(heldout.drop(columns=["label", "spark_probability"]).to_numpy()))
    assert np.abs(plain - heldout["spark_probability"].to_numpy()).max() < 1e-6


@pytest.mark.skipif(HAS_GPU, reason="this machine has a GPU")
def test_notebook_04_cuda_without_a_gpu_stops_before_training(run_notebook):
    with pytest.raises(PapermillExecutionError, match="DeviceError") as err:
        run_notebook("notebooks/04_gpu_training.ipynb", device="cuda")
    assert "device='auto'" in str(err.value)


def test_notebook_04_refuses_an_unknown_device(run_notebook):
    with pytest.raises(PapermillExecutionError, match="device='tpu' is not allowed"):
        run_notebook("notebooks/04_gpu_training.ipynb", device="tpu")


@pytest.mark.spark
def test_lab_04_solution_passes_its_checks(run_notebook, tmp_path):
    seed_work_dir(tmp_path / "work")
    nb = run_notebook("labs/04_gpu_xgboost/solution.ipynb", n_events=NOTEBOOK_EVENTS)
    assert figures.read(nb)["lab_points"][0] == 9
    assert "[FAIL]" not in outputs(nb)
