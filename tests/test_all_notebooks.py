"""Every notebook, lab solution and quiz notebook runs under ``emrlab run`` with its defaults.

One run of the whole kit (two at a time, one shared emulator and lake, as ``make run`` does);
the tests below then check what each notebook taught and recorded. Runs with other parameters
(bad values refused before work, a failing cost ceiling) live in the per-notebook test files.
"""

import nbformat
import numpy as np
import pandas as pd
import papermill
import pytest

from emrlab import figures, runner
from emrlab.ml import gpu, nettrain
from tests.conftest import ROOT

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


@pytest.fixture(scope="module")
def kit_run(emulator, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    out_dir, results = runner.run(root=ROOT, out=out, jobs=2, progress=False)
    return out_dir, {r.name: r for r in results}


def executed(kit_run, name):
    out_dir, results = kit_run
    assert results[name].status == "passed", results[name].error
    return nbformat.read(out_dir / results[name].output, as_version=4)


def found(kit_run, name) -> dict:
    return {k: v for k, (v, _unit) in kit_run[1][name].figures.items()}


def text_of(nb) -> str:
    return "\n".join(str(o.get("text") or o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def default(name, parameter):
    value = papermill.inspect_notebook(str(ROOT / name))[parameter]["default"]
    return eval(value, {})  # a literal from the notebook's parameters cell


def test_every_notebook_passes_and_the_report_says_so(kit_run):
    out_dir, results = kit_run
    failed = {n: f"cell {r.failed_cell}: {r.error}" for n, r in results.items()
              if r.status != "passed"}
    assert failed == {}
    expected = (len(list((ROOT / "notebooks").glob("*.ipynb")))
                + len(list((ROOT / "labs").glob("*/solution.ipynb")))
                + len(list((ROOT / "quiz").glob("*.ipynb"))))
    assert len(results) == expected
    assert (out_dir / "report.md").read_text().count("| passed |") == expected


def test_00_start_here(kit_run):
    got = found(kit_run, "notebooks/00_start_here.ipynb")
    assert got == {"rows_read": default("notebooks/00_start_here.ipynb", "n_rows"),
                   "categories": 5}


def test_01_provisions_runs_a_step_and_tears_down(kit_run):
    name = "notebooks/01_emr_provisioning.ipynb"
    got = found(kit_run, name)
    assert got["clusters_left_running"] == 0
    assert got["cluster_final_state"] == "TERMINATED"
    assert got["steps_completed"] == 1
    assert got["orders_counted"] == default(name, "n_orders")
    assert got["lint_findings_after"] < got["lint_findings_before"]
    assert 0 < got["cluster_usd_per_hour"] < got["naive_usd_per_hour"]
    assert "RuntimeError: failing on purpose (--fail)" in text_of(executed(kit_run, name))


def test_02_ledger_balances_and_lessons_are_measured(kit_run):
    name = "notebooks/02_spark_etl.ipynb"
    got = found(kit_run, name)
    assert got["rows_read"] == default(name, "n_events")
    assert got["rows_read"] == (got["rows_curated"] + got["rows_quarantined"]
                                + got["duplicates_removed"])
    assert got["rows_quarantined"] > 0 and got["duplicates_removed"] > 0
    assert got["files_after_repartition_by_date"] == default(name, "days")
    assert got["small_files_written"] > got["files_after_repartition_by_date"]
    assert 0.5 < got["pruning_bytes_skipped_share"] < 0.8
    assert got["json_to_parquet_size_ratio"] > 2


def test_03_trains_three_models_without_leakage(kit_run):
    name = "notebooks/03_mllib.ipynb"
    got = found(kit_run, name)
    for algorithm in ("logistic_regression", "random_forest", "gbt"):
        assert got[f"{algorithm}_roc_auc"] > 0.6
    assert got["best_model"] in ("logistic_regression", "random_forest", "gbt")
    text = text_of(executed(kit_run, name))
    assert "who are not in train" in text and "same scores on all" in text


def test_04_decides_the_device_and_saves_a_booster_plain_xgboost_agrees_with(kit_run):
    name = "notebooks/04_gpu_training.ipynb"
    got = found(kit_run, name)
    assert got["xgboost_device"] == ("cuda" if gpu.info().available else "cpu")
    assert got["xgboost_roc_auc"] > 0.6
    assert got["booster_max_abs_diff"] < 1e-6
    assert got["gpu_cluster_usd_per_hour"] > 0 and got["cpu_cluster_usd_per_hour"] > 0
    text = text_of(executed(kit_run, name))
    assert "decision: device=" in text and "spark.plugins" in text
    if nettrain.torch_available():
        assert got["torch_roc_auc"] > 0.55
    else:
        assert "pip install -e '.[torch]'" in text and "torch_roc_auc" not in got
    boosters = sorted((kit_run[0] / "work" / "lake").glob("*/models/xgboost/*/xgboost-model"))
    assert boosters
    import xgboost

    for booster in boosters:
        heldout = pd.read_csv(booster.parent / "heldout.csv")
        plain = xgboost.Booster(model_file=str(booster)).predict(
            xgboost.DMatrix(heldout.drop(columns=["label", "spark_probability"]).to_numpy()))
        assert np.abs(plain - heldout["spark_probability"].to_numpy()).max() < 1e-6


def test_05_round_trip_endpoint_and_teardown(kit_run):
    name = "notebooks/05_sagemaker_handoff.ipynb"
    got = found(kit_run, name)
    assert got["round_trip_max_abs_diff"] < 1e-6
    assert got["endpoint_max_abs_diff"] < 1e-6
    assert got["heldout_rows"] > 0
    text = text_of(executed(kit_run, name))
    assert "endpoints left: []" in text
    assert "header row" in text and "must be the first column" in text


@pytest.mark.parametrize("lab, points", [
    ("00_warmup", 5), ("01_emr_cluster_design", 11), ("03_mllib_pipeline", 9),
    ("04_gpu_xgboost", 9), ("05_sagemaker_artifacts", 7),
])
def test_lab_solutions_score_full_points(kit_run, lab, points):
    name = f"labs/{lab}/solution.ipynb"
    assert found(kit_run, name)["lab_points"] == points
    assert "[FAIL]" not in text_of(executed(kit_run, name))


def test_lab_02_passes_every_check(kit_run):
    text = text_of(executed(kit_run, "labs/02_etl_quarantine/solution.ipynb"))
    assert "[FAIL]" not in text and text.count("[PASS]") == 6


def test_figures_are_recorded_for_the_report(kit_run):
    report = (kit_run[0] / "report.md").read_text()
    assert "rows_read=" in report and "lab_points=" in report
    assert figures.MIME
