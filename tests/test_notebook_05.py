"""Notebook 05 and lab 05 run for real (local mode, smallest data)."""

from __future__ import annotations

import pytest


@pytest.mark.notebook
@pytest.mark.parametrize("name, value, words", [
    ("container_version", "latest", "container_version='latest' is not allowed"),
    ("content_type", "text/json", "content_type='text/json' is not allowed"),
])
def test_notebook_05_refuses_bad_parameters(run_notebook, name, value, words):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError, match=words):
        run_notebook("notebooks/05_sagemaker_handoff.ipynb", **{name: value})
