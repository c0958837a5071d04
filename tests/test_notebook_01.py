"""Notebook 01 runs for real (local EMR, one Spark step) and leaves no cluster running."""

from __future__ import annotations

import pytest

from emrlab import figures


@pytest.mark.notebook
@pytest.mark.spark
def test_notebook_01_provisions_runs_and_tears_down(run_notebook):
    nb = run_notebook("notebooks/01_emr_provisioning.ipynb", task_count=1, n_orders=50,
                      fleets=True, idle_timeout=600)
    found = {name: value for name, (value, _unit) in figures.read(nb).items()}
    assert found["clusters_left_running"] == 0
    assert found["cluster_final_state"] == "TERMINATED"
    assert found["steps_completed"] == 1
    assert found["orders_counted"] == 50
    assert found["lint_findings_after"] < found["lint_findings_before"]
    assert 0 < found["cluster_usd_per_hour"] < found["naive_usd_per_hour"]
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "RuntimeError: failing on purpose (--fail)" in text
