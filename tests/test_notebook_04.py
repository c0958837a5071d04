"""Notebook 04 (GPU training) and lab 04 run for real; on this CPU machine they fall back."""

import pytest
from papermill.exceptions import PapermillExecutionError

from emrlab.ml import gpu

pytestmark = [pytest.mark.notebook,
              pytest.mark.filterwarnings("ignore:.*Unknown file format")]
HAS_GPU = gpu.info().available



@pytest.mark.skipif(HAS_GPU, reason="this machine has a GPU")
def test_notebook_04_cuda_without_a_gpu_stops_before_training(run_notebook):
    with pytest.raises(PapermillExecutionError, match="DeviceError") as err:
        run_notebook("notebooks/04_gpu_training.ipynb", device="cuda")
    assert "device='auto'" in str(err.value)


def test_notebook_04_refuses_an_unknown_device(run_notebook):
    with pytest.raises(PapermillExecutionError, match="device='tpu' is not allowed"):
        run_notebook("notebooks/04_gpu_training.ipynb", device="tpu")


