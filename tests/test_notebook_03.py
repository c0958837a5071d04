"""Notebook 03 (MLlib) and lab 03 run for real, on a small prebuilt training set."""

import pytest
from papermill.exceptions import PapermillExecutionError

from emrlab import figures
from tests.ml_support import NOTEBOOK_EVENTS, seed_work_dir

pytestmark = pytest.mark.notebook


def outputs(nb) -> str:
    return "\n".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.spark
def test_notebook_03_trains_evaluates_and_saves(run_notebook, tmp_path):
    seed_work_dir(tmp_path / "work")
    nb = run_notebook("notebooks/03_mllib.ipynb", algorithm="logistic_regression",
                      n_events=NOTEBOOK_EVENTS, folds=2, grid_size=1)
    found = figures.read(nb)
    assert found["best_model"][0] == "logistic_regression"
    assert found["logistic_regression_roc_auc"][0] > 0.6
    assert found["logistic_regression_train_s"][1] == "s"
    text = outputs(nb)
    assert "who are not in train" in text and "same scores on all" in text
    saved = tmp_path / "work" / "lake" / "emrlab-local" / "models" / "mllib"
    assert (saved / f"sessions-n{NOTEBOOK_EVENTS}-s0" / "metadata").is_dir()


@pytest.mark.parametrize("params, message", [
    (dict(algorithm="svm"), "algorithm='svm' is not allowed"),
    (dict(grid_size=7), "grid_size=7"),
    (dict(sample_fraction=0.0), "sample_fraction=0.0"),
])
def test_notebook_03_refuses_bad_parameters_before_work(run_notebook, params, message):
    with pytest.raises(PapermillExecutionError, match="ParameterError") as err:
        run_notebook("notebooks/03_mllib.ipynb", **params)
    assert message in str(err.value)


@pytest.mark.spark
def test_lab_03_solution_passes_its_checks(run_notebook, tmp_path):
    seed_work_dir(tmp_path / "work")
    nb = run_notebook("labs/03_mllib_pipeline/solution.ipynb", n_events=NOTEBOOK_EVENTS)
    assert figures.read(nb)["lab_points"][0] == 9
    assert "[FAIL]" not in outputs(nb)
