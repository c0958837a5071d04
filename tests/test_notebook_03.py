"""Notebook 03 (MLlib) and lab 03 run for real, on a small prebuilt training set."""

import pytest
from papermill.exceptions import PapermillExecutionError

pytestmark = pytest.mark.notebook


def outputs(nb) -> str:
    return "\n".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.outputs)



@pytest.mark.parametrize("params, message", [
    (dict(algorithm="svm"), "algorithm='svm' is not allowed"),
    (dict(grid_size=7), "grid_size=7"),
    (dict(sample_fraction=0.0), "sample_fraction=0.0"),
])
def test_notebook_03_refuses_bad_parameters_before_work(run_notebook, params, message):
    with pytest.raises(PapermillExecutionError, match="ParameterError") as err:
        run_notebook("notebooks/03_mllib.ipynb", **params)
    assert message in str(err.value)


