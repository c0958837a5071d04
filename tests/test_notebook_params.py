"""Each notebook's parameter rules, declared once and read by the notebook and by ``emrlab run``."""

import time

import pytest

from emrlab import notebooks, report, runner
from emrlab.exceptions import ParameterError
from emrlab.notebook_params import RULES, check_parameters, check_plan, key_of
from tests.conftest import ROOT


@pytest.mark.parametrize("path", notebooks.default_selection(ROOT), ids=lambda p: p.stem)
def test_every_kit_notebook_declares_exactly_the_parameters_its_rules_cover(path):
    key = key_of(path, ROOT)
    assert key in RULES, f"{key}: add its rules to emrlab.notebook_params"
    assert set(notebooks.parameters(path)) == set(RULES[key])
    check_plan(ROOT, {path: {}})  # the defaults pass their own rules


@pytest.mark.parametrize("value, message", [
    ("-5", "n_events=-5: value must be >= 1000"),
    ("1e12", "cannot be read as int"),
])
def test_runner_refuses_a_bad_range_before_any_kernel_or_emulator(value, message, monkeypatch):
    from emrlab.local import emulator

    def no_emulator():
        raise AssertionError("the emulator was started before the parameters were checked")

    monkeypatch.setattr(emulator, "ensure", no_emulator)
    start = time.perf_counter()
    with pytest.raises(ParameterError) as caught:
        runner.run(["02_spark_etl"], {"n_events": value}, root=ROOT, progress=False)
    assert message in str(caught.value)
    assert "notebooks/02_spark_etl" in str(caught.value) or "cannot be read" in str(caught.value)
    assert time.perf_counter() - start < 20  # no kernel, no Spark: well under a kernel's start


def test_runner_names_every_bad_parameter_of_every_notebook(monkeypatch):
    from emrlab.local import emulator

    monkeypatch.setattr(emulator, "ensure", lambda: pytest.fail("emulator started"))
    with pytest.raises(ParameterError) as caught:
        runner.run(["02_spark_etl", "01_emr_provisioning"],
                   {"codec": "lz9", "core_count": "0"}, root=ROOT, progress=False)
    text = str(caught.value)
    assert "notebooks/02_spark_etl" in text and "codec='lz9'" in text
    assert "notebooks/01_emr_provisioning" in text and "core_count=0" in text


def test_the_notebook_check_reads_the_same_rules():
    values = {name: None for name in RULES["labs/02_etl_quarantine"]}
    values.update(mode="local", acknowledge_costs=False, region="", n_events=500, fault_rate=0.1,
                  seed=1)
    with pytest.raises(ParameterError, match="n_events=500"):
        check_parameters("labs/02_etl_quarantine", values)
    values["n_events"] = 5_000
    assert check_parameters("labs/02_etl_quarantine", values)["n_events"] == 5_000
    with pytest.raises(ParameterError, match="not defined"):
        check_parameters("labs/02_etl_quarantine", {"mode": "local"})
    with pytest.raises(ParameterError, match="no parameter rules"):
        check_parameters("labs/99_nope", values)


def test_report_keeps_the_whole_parameter_message():
    error = "ParameterError: invalid parameters:\n  - codec='lz9' is not one of snappy, gzip\n"
    assert report.error_text(error) == (
        "ParameterError: invalid parameters: - codec='lz9' is not one of snappy, gzip")
    assert len(report.error_text("x" * 10_000)) == 2000
