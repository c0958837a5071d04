"""Notebook 02 and lab 02 run for real with small parameters."""

import pytest

from emrlab import figures

pytestmark = [pytest.mark.notebook, pytest.mark.spark, pytest.mark.slow]


def test_notebook_02_runs_and_records_a_balanced_ledger(run_notebook):
    nb = run_notebook("notebooks/02_spark_etl.ipynb", n_events=3000, fault_rate=0.05)
    got = figures.read(nb)
    read, curated = got["rows_read"][0], got["rows_curated"][0]
    assert read == 3000
    assert read == curated + got["rows_quarantined"][0] + got["duplicates_removed"][0]
    assert got["files_after_repartition_by_date"][0] == 3
    assert got["small_files_written"][0] > 3
    assert 0.5 < got["pruning_bytes_skipped_share"][0] < 0.8
    assert got["json_to_parquet_size_ratio"][0] > 2


def test_lab_02_solution_passes_its_checks(run_notebook):
    nb = run_notebook("labs/02_etl_quarantine/solution.ipynb", n_events=1500)
    text = "".join(str(o.get("data", {}).get("text/plain", "")) for c in nb.cells
                   for o in c.get("outputs", []))
    assert "[FAIL]" not in text and text.count("[PASS]") == 6


def test_notebook_02_refuses_bad_parameters_before_work(run_notebook):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError, match="codec"):
        run_notebook("notebooks/02_spark_etl.ipynb", codec="lz4")
