"""Property: on any generated dirty input the ledger balances and agrees with the manifest."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from emrlab.etl import datagen, job as etl

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    import emrlab

    return emrlab.spark.session()


@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(100, 1500), seed=st.integers(0, 10_000),
       rate=st.floats(0.0, 0.4), gz=st.booleans(),
       odd=st.lists(st.sampled_from(["bom", "crlf", "invalid_utf8", "missing_day"]), unique=True))
def test_ledger_balances_on_any_dirty_input(spark, tmp_path_factory, n, seed, rate, gz, odd):
    root = tmp_path_factory.mktemp("prop")
    man = datagen.generate(root / "raw", n, seed=seed, fault_rate=rate, gzip=gz, oddities=odd)
    led = etl.run(spark, str(root / "raw"), str(root / "cur"), str(root / "q"))
    assert led.balanced
    assert (led.rows_read, led.quarantined, led.duplicates_removed, led.rows_curated) == (
        man.expected["rows_read"], man.expected["quarantined"],
        man.expected["duplicates_removed"], man.expected["rows_curated"])
