"""Lab 01 (EMR cluster design) runs with its defaults and its checks fail on a bad ceiling."""

import pytest

LAB = "labs/01_emr_cluster_design/solution.ipynb"


def _texts(nb) -> str:
    return "\n".join(str(o.get("text") or o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))



@pytest.mark.notebook
def test_lab01_cost_check_fails_under_a_tiny_ceiling(run_notebook):
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError, match="CheckFailed"):
        run_notebook(LAB, cost_ceiling_usd=0.5)
