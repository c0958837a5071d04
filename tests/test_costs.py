"""Cost arithmetic against hand-computed figures, the price snapshot, and the Pricing API parser."""

import json

import boto3
import pytest
from botocore.stub import Stubber

from emrlab import config
from emrlab.emr import (
    ClusterSpec,
    EbsVolume,
    FleetType,
    InstanceFleet,
    core,
    fetch_prices,
    on_demand_usd,
    primary,
    task,
)
from emrlab.emr.costs import (
    billed_hours,
    compare_task_markets,
    compare_transient_persistent,
    cost_chart,
    estimate,
    instance_price,
    load_prices,
)
from emrlab.exceptions import ConfigError, PriceNotFoundError, SpecError


def spec() -> ClusterSpec:
    return ClusterSpec(name="c", instance_groups=[
        primary("m5.xlarge"), core("m5.xlarge", 2, ebs=[EbsVolume(100)]), task("m5.xlarge", 4)])


def test_snapshot_is_dated_sourced_and_covers_the_kit_types():
    prices = load_prices()
    assert prices["taken"] >= "2026-11" and prices["source"]["emr"].startswith("https://")
    kit = {"m5.xlarge", "m5.2xlarge", "m6g.xlarge", "m7g.xlarge", "r5.xlarge", "c5.xlarge",
           "g4dn.xlarge", "g4dn.2xlarge", "g5.xlarge", "p3.2xlarge"}
    for region in ("us-east-1", "eu-west-1"):
        table = prices["regions"][region]["instances"]
        assert kit <= set(table)
        assert all("confirmed" in e and e["ec2"] > 0 and e["emr"] > 0 for e in table.values())


def test_hand_computed_estimate():
    # us-east-1, snapshot: m5.xlarge EC2 0.192, EMR 0.048; gp3 0.08 USD/GB-month; 730 h/month;
    # Spot = 60% off EC2.
    # primary 1 x (0.192 + 0.048)                          = 0.240
    # core    2 x (0.192 + 0.048 + 100 * 0.08 / 730)       = 2 x 0.2509589 = 0.5019178
    # task    4 x (0.192 * 0.4 + 0.048) = 4 x 0.1248       = 0.4992
    # per hour = 1.2411178; a 2 h run = 2.4822356
    est = estimate(spec(), hours=2, region="us-east-1")
    assert est.per_hour == pytest.approx(1.2411178, abs=1e-6)
    assert est.per_run == pytest.approx(2.4822356, abs=1e-6)
    assert [round(i.per_hour, 6) for i in est.items] == [0.24, 0.501918, 0.4992]
    assert not est.confirmed and "not confirmed" in est.table()


def test_spot_price_given_wins_over_discount_and_discount_is_checked():
    # task 4 x (0.07 + 0.048) = 0.472
    est = estimate(spec(), region="us-east-1", spot_prices={"m5.xlarge": 0.07})
    assert est.items[2].per_hour == pytest.approx(0.472)
    # discount 0.5: task 4 x (0.096 + 0.048) = 0.576
    assert estimate(spec(), spot_discount=0.5).items[2].per_hour == pytest.approx(0.576)
    with pytest.raises(SpecError, match="spot_discount=1.2"):
        estimate(spec(), spot_discount=1.2)


def test_per_second_billing_with_one_minute_minimum():
    assert billed_hours(30 / 3600) == pytest.approx(60 / 3600)   # 30 s billed as 60 s
    assert billed_hours(90.5 / 3600) == pytest.approx(91 / 3600)  # per second, rounded up
    assert billed_hours(2) == 2
    # a 30 s run of the whole cluster costs one minute: 1.2411178 / 60 = 0.0206853
    assert estimate(spec(), hours=30 / 3600).per_run == pytest.approx(0.0206853, abs=1e-6)


def test_transient_vs_persistent_and_task_markets():
    # transient: 30 runs x 2.4822356 = 74.467068; persistent: 730 h x 1.2411178 = 906.016
    monthly = compare_transient_persistent(spec(), run_hours=2, runs_per_month=30)
    assert monthly["transient_usd"] == pytest.approx(74.467068, abs=1e-5)
    assert monthly["persistent_usd"] == pytest.approx(906.016, abs=1e-3)
    # on-demand tasks: 4 x 0.240 = 0.960 instead of 0.4992 -> 1.7019178/h -> 3.4038356 per 2 h
    markets = compare_task_markets(spec(), hours=2)
    assert markets["on_demand_usd"] == pytest.approx(3.4038356, abs=1e-6)
    assert markets["spot_usd"] == pytest.approx(2.4822356, abs=1e-6)


def test_eu_west_1_and_fleets():
    # eu-west-1 m5.xlarge: EC2 0.214 + EMR 0.048 = 0.262; primary only -> 0.262/h
    one = ClusterSpec(name="p", instance_groups=[primary("m5.xlarge")])
    assert estimate(one, region="eu-west-1").per_hour == pytest.approx(0.262)
    # task fleet: 5 Spot units of m5.2xlarge weighted 2 -> ceil(5/2) = 3 instances of
    # (0.384 * 0.4 + 0.096) = 0.2496 -> 0.7488; primary fleet 1 x 0.240 -> total 0.9888
    fleets = ClusterSpec(name="f", instance_fleets=[
        InstanceFleet("primary", ["m5.xlarge"], on_demand=1),
        InstanceFleet("task", [FleetType("m5.2xlarge", 2)], spot=5)])
    est = estimate(fleets)
    assert est.items[1].count == 3 and est.per_hour == pytest.approx(0.9888)


def test_unknown_type_region_or_volume_lists_the_known_ones():
    with pytest.raises(PriceNotFoundError, match=r"'x9.huge' in us-east-1; known types: c5\."):
        estimate(ClusterSpec(name="x", instance_groups=[primary("x9.huge")]))
    with pytest.raises(PriceNotFoundError, match="region 'ap-south-1'.*eu-west-1, us-east-1"):
        instance_price("m5.xlarge", "ap-south-1")
    io = ClusterSpec(name="x", instance_groups=[primary("m5.xlarge", ebs=[EbsVolume(64, "io2")])])
    with pytest.raises(PriceNotFoundError, match="volume type 'io2'.*gp3, gp2"):
        estimate(io)


def test_chart_returns_a_figure():
    fig = cost_chart(spec(), hours=2)
    assert len(fig.axes) == 3 and "us-east-1" in fig._suptitle.get_text()


def _item(usd: str, sku: str) -> str:
    return json.dumps({"product": {"sku": sku}, "terms": {"OnDemand": {f"{sku}.T": {
        "priceDimensions": {f"{sku}.T.D": {"unit": "Hrs", "pricePerUnit": {"USD": usd}}}}}}})


def test_fetch_prices_parses_a_recorded_get_products_shape():
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    stub = Stubber(client)  # validates our requests and the responses against the real model
    for service, usd, extra in (("AmazonEC2", "0.1920000000", {"operatingSystem": "Linux",
                                 "tenancy": "Shared", "preInstalledSw": "NA",
                                 "capacitystatus": "Used"}),
                                ("ElasticMapReduce", "0.0480000000", {"softwareType": "EMR"})):
        filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in
                   {"instanceType": "m5.xlarge", "regionCode": "eu-west-1", **extra}.items()]
        stub.add_response("get_products", {"PriceList": [_item(usd, "SKU1")],
                                           "FormatVersion": "aws_v1"},
                          {"ServiceCode": service, "Filters": filters, "MaxResults": 10})
    with stub:
        prices = fetch_prices("eu-west-1", ["m5.xlarge"], client=client)
    stub.assert_no_pending_responses()
    entry = prices["regions"]["eu-west-1"]["instances"]["m5.xlarge"]
    assert (entry["ec2"], entry["emr"], entry["confirmed"]) == (0.192, 0.048, True)
    one = ClusterSpec(name="p", instance_groups=[primary("m5.xlarge")])
    assert estimate(one, region="eu-west-1", prices=prices).confirmed


def test_price_item_without_usd_is_an_error_and_local_mode_refuses(tmp_path):
    with pytest.raises(PriceNotFoundError, match="SKU9"):
        on_demand_usd(_item("0.0000000000", "SKU9"))
    config.configure(mode="local", work_dir=str(tmp_path))
    try:
        with pytest.raises(ConfigError, match="needs AWS mode"):
            fetch_prices("us-east-1", ["m5.xlarge"])
    finally:
        config.reset()
