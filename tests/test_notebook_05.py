"""Notebook 05 and lab 05 run for real (local mode, smallest data)."""

from __future__ import annotations

import pytest

from emrlab import figures


@pytest.mark.notebook
@pytest.mark.spark
def test_notebook_05_and_lab_run(run_notebook):
    # One test, one work dir: the lab reuses the booster the notebook built.
    nb = run_notebook("notebooks/05_sagemaker_handoff.ipynb")  # defaults (n_events 2000)
    found = figures.read(nb)
    assert found["round_trip_max_abs_diff"][0] < 1e-6
    assert found["endpoint_max_abs_diff"][0] < 1e-6
    assert found["heldout_rows"][0] > 0
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    assert "endpoints left: []" in text
    assert "header row" in text and "must be the first column" in text
    lab = run_notebook("labs/05_sagemaker_artifacts/solution.ipynb")
    assert figures.read(lab)["lab_points"][0] == 7


@pytest.mark.notebook
@pytest.mark.parametrize("name, value, words", [
    ("container_version", "latest", "container_version='latest' is not allowed"),
    ("content_type", "text/json", "content_type='text/json' is not allowed"),
])
def test_notebook_05_refuses_bad_parameters(run_notebook, name, value, words):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError, match=words):
        run_notebook("notebooks/05_sagemaker_handoff.ipynb", **{name: value})
