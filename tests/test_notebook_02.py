"""Notebook 02 and lab 02 run for real with small parameters."""

import pytest

pytestmark = [pytest.mark.notebook, pytest.mark.spark, pytest.mark.slow]




def test_notebook_02_refuses_bad_parameters_before_work(run_notebook):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError, match="codec"):
        run_notebook("notebooks/02_spark_etl.ipynb", codec="lz4")
