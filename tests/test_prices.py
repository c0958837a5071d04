"""The offline price snapshot covers the EMR families the kit teaches, and a type it lacks is
priced through the AWS Pricing API in AWS mode (botocore's Stubber; moto has no pricing
service) or refused with a PriceNotFoundError naming it, never priced at zero."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from emrlab import config
from emrlab.emr import ClusterSpec, core, pricing, primary, task
from emrlab.emr.costs import estimate, instance_price, load_prices
from emrlab.exceptions import PriceNotFoundError

REGIONS = ("us-east-1", "eu-west-1")
UP_TO_16 = ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
UP_TO_24 = (*UP_TO_16, "24xlarge")
# Every size from xlarge to 24xlarge that Amazon EMR lists for the families the kit teaches.
FAMILIES = {
    # general purpose
    "m5": UP_TO_24, "m5a": UP_TO_24, "m6i": UP_TO_24, "m6a": UP_TO_24, "m7i": UP_TO_24,
    "m7a": UP_TO_24, "m6g": UP_TO_16, "m7g": UP_TO_16, "m8g": UP_TO_24,
    # compute optimized
    "c5": ("xlarge", "2xlarge", "4xlarge", "9xlarge", "12xlarge", "18xlarge", "24xlarge"),
    "c6i": UP_TO_24, "c6a": UP_TO_24, "c7i": UP_TO_24, "c7a": UP_TO_24, "c6g": UP_TO_16,
    "c7g": UP_TO_16, "c8g": UP_TO_24,
    # memory optimized
    "r5": UP_TO_24, "r5a": UP_TO_24, "r6i": UP_TO_24, "r6a": UP_TO_24, "r7i": UP_TO_24,
    "r7a": UP_TO_24, "r6g": UP_TO_16, "r7g": UP_TO_16, "r8g": UP_TO_24,
    # storage optimized
    "i3": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"),
    "i3en": ("xlarge", "2xlarge", "3xlarge", "6xlarge", "12xlarge", "24xlarge"),
    "i4i": UP_TO_24, "i4g": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"),
    "d3": ("xlarge", "2xlarge", "4xlarge", "8xlarge"),
    # GPU
    "g4dn": UP_TO_16, "g5": UP_TO_24, "g6": UP_TO_24,
    "p3": ("2xlarge", "8xlarge", "16xlarge"), "p4d": ("24xlarge",),
}
# Types a region does not offer (EC2 DescribeInstanceTypeOfferings): no price, by design.
NOT_OFFERED = {"us-east-1": set(), "eu-west-1": {f"g6.{s}" for s in UP_TO_24}}


def multiple(size: str) -> int:
    return 1 if size == "xlarge" else int(size.removesuffix("xlarge"))


def table(region: str) -> dict:
    return load_prices()["regions"][region]["instances"]


@pytest.mark.parametrize("region", REGIONS)
def test_every_family_and_size_is_priced_in_both_regions(region):
    prices = table(region)
    for family, sizes in FAMILIES.items():
        for size in sizes:
            itype = f"{family}.{size}"
            if itype in NOT_OFFERED[region]:
                assert itype not in prices
                continue
            entry = prices.get(itype)
            assert entry is not None, f"{itype} has no price in {region}"
            assert entry["ec2"] > 0 and entry["emr"] > 0, itype
            assert entry["emr"] < entry["ec2"], f"{itype}: the EMR uplift exceeds the EC2 price"
    assert set(load_prices()["regions"][region].get("not_offered", {})) == NOT_OFFERED[region]


@pytest.mark.parametrize("region", REGIONS)
def test_within_a_family_price_grows_with_size(region):
    prices = table(region)
    for family, sizes in FAMILIES.items():
        # GPU sizes with more GPUs cost more than larger sizes with one (g5.12xlarge, 4 GPUs,
        # vs g5.16xlarge, 1 GPU), so sizes are compared among those with the same GPU count.
        groups: dict[int, list[dict]] = {}
        for size in sorted(sizes, key=multiple):
            entry = prices.get(f"{family}.{size}")
            if entry is not None:
                groups.setdefault(entry.get("gpus", 0), []).append(entry)
        for group in groups.values():
            ec2 = [e["ec2"] for e in group]
            emr = [e["emr"] for e in group]
            assert ec2 == sorted(ec2) and len(set(ec2)) == len(ec2), f"{family} in {region}"
            assert emr == sorted(emr), f"{family} in {region}"  # the uplift is capped: not strict


def test_every_entry_says_whether_it_is_confirmed_and_how_it_was_derived():
    prices = load_prices()
    rules = prices["rules"]
    for region, body in prices["regions"].items():
        for itype, entry in body["instances"].items():
            where = (region, itype)
            assert isinstance(entry["confirmed"], bool), where
            assert len(entry["note"]) > 20, where
            if entry["confirmed"]:  # cites the AWS page or the Price List data it was read from
                assert "http" in entry["note"] or "Price List" in entry["note"], where
            else:  # says how it was derived
                assert entry["rules"] and set(entry["rules"]) <= set(rules), where
        assert isinstance(body["ebs_gb_month"]["confirmed"], bool)


def test_emr_uplift_rule_is_applied_as_stated():
    us = table("us-east-1")
    for region in REGIONS:
        for itype, entry in table(region).items():
            if "emr-uplift" in entry["rules"]:
                expected = round(min(0.25 * us[itype]["ec2"], 0.27), 5)
                assert entry["emr"] == pytest.approx(expected, abs=1e-9), (region, itype)


def test_snapshot_is_dated_and_sourced():
    prices = load_prices()
    taken = date.fromisoformat(prices["taken"])
    assert date(2026, 1, 1) <= taken <= date.today()
    assert prices["taken"] in prices["method"]
    assert "confirmed" in prices["method"]
    source = prices["source"]
    assert source["emr"].startswith("https://") and source["ec2"].startswith("https://")
    assert any("emr-supported-instance-types" in s for s in source["instance_types"])


def test_memory_optimized_and_the_largest_general_purpose_types_are_priced():
    assert instance_price("r5.2xlarge", "us-east-1")["ec2"] == pytest.approx(0.504)
    assert instance_price("m5.24xlarge", "eu-west-1")["ec2"] > 0
    spec = ClusterSpec(name="mem", instance_groups=[
        primary("m5.24xlarge"), core("r5.2xlarge", 2), task("r5.2xlarge", 2)])
    for region in REGIONS:
        est = estimate(spec, hours=1, region=region)
        assert est.per_hour > 0 and not est.confirmed


# --- the Pricing API for types the snapshot lacks ---------------------------------------

UNKNOWN = "x9.mega"  # no such type: the snapshot cannot know it


def aws_settings(region: str = "eu-west-1") -> config.Settings:
    return config.Settings("aws", region, "kit-bucket", Path("work"), True)


def local_settings(region: str = "eu-west-1") -> config.Settings:
    return config.Settings("local", region, "emrlab-local", Path("work"), False)


def _item(usd: str, sku: str) -> str:
    return json.dumps({"product": {"sku": sku}, "terms": {"OnDemand": {f"{sku}.T": {
        "priceDimensions": {f"{sku}.T.D": {"unit": "Hrs", "pricePerUnit": {"USD": usd}}}}}}})


def _request(service: str, itype: str, region: str) -> dict:
    extra = ({"operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA",
              "capacitystatus": "Used"} if service == "AmazonEC2" else {"softwareType": "EMR"})
    filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v}
               for k, v in {"instanceType": itype, "regionCode": region, **extra}.items()]
    return {"ServiceCode": service, "Filters": filters, "MaxResults": 10}


@pytest.fixture
def stubbed():
    pricing._FETCHED.clear()
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    with Stubber(client) as stub:  # validates requests and responses against the real model
        yield client, stub
    pricing._FETCHED.clear()


def test_unknown_type_in_aws_mode_is_priced_through_the_pricing_api(stubbed):
    client, stub = stubbed
    for service, usd in (("AmazonEC2", "1.5000000000"), ("ElasticMapReduce", "0.2700000000")):
        stub.add_response("get_products", {"PriceList": [_item(usd, "SKU1")],
                                           "FormatVersion": "aws_v1"},
                          _request(service, UNKNOWN, "eu-west-1"))
    assert pricing.price_for(UNKNOWN, "eu-west-1", aws_settings(), client=client) == (1.5, 0.27)
    stub.assert_no_pending_responses()
    # remembered: a second call makes no request (none is queued, so one would fail)
    assert pricing.price_for(UNKNOWN, "eu-west-1", aws_settings(), client=client) == (1.5, 0.27)


def test_a_failed_lookup_raises_naming_the_type_and_region(stubbed):
    client, stub = stubbed
    stub.add_response("get_products", {"PriceList": [], "FormatVersion": "aws_v1"},
                      _request("AmazonEC2", UNKNOWN, "eu-west-1"))
    with pytest.raises(PriceNotFoundError, match=r"'x9\.mega' in eu-west-1.*Pricing API"):
        pricing.price_for(UNKNOWN, "eu-west-1", aws_settings(), client=client)
    stub.add_client_error("get_products", "AccessDeniedException", "not allowed",
                          expected_params=_request("AmazonEC2", UNKNOWN, "us-east-1"))
    with pytest.raises(PriceNotFoundError, match=r"'x9\.mega' in us-east-1.*not allowed"):
        pricing.price_for(UNKNOWN, "us-east-1", aws_settings("us-east-1"), client=client)
    stub.assert_no_pending_responses()
    assert pricing._FETCHED == {}  # failures are not remembered


def test_a_type_the_api_has_but_emr_does_not_support_is_refused(stubbed):
    client, stub = stubbed
    stub.add_response("get_products", {"PriceList": [_item("0.0104", "T")],
                                       "FormatVersion": "aws_v1"},
                      _request("AmazonEC2", "t3.micro", "eu-west-1"))
    stub.add_response("get_products", {"PriceList": [], "FormatVersion": "aws_v1"},
                      _request("ElasticMapReduce", "t3.micro", "eu-west-1"))
    with pytest.raises(PriceNotFoundError, match="'t3.micro' in eu-west-1.*ElasticMapReduce"):
        pricing.price_for("t3.micro", "eu-west-1", aws_settings(), client=client)


def test_local_mode_never_calls_the_api_and_raises(stubbed):
    client, _ = stubbed  # nothing queued: any request would fail the test
    with pytest.raises(PriceNotFoundError, match=r"'x9\.mega' in eu-west-1.*local mode"):
        pricing.price_for(UNKNOWN, "eu-west-1", local_settings(), client=client)


def test_snapshot_types_never_reach_the_api(stubbed):
    client, _ = stubbed
    for settings in (aws_settings(), local_settings()):
        assert pricing.price_for("r5.2xlarge", "eu-west-1", settings, client=client) == (
            table("eu-west-1")["r5.2xlarge"]["ec2"], table("eu-west-1")["r5.2xlarge"]["emr"])


def test_prices_for_builds_a_table_estimate_can_use(stubbed):
    client, stub = stubbed
    for service, usd in (("AmazonEC2", "2.0"), ("ElasticMapReduce", "0.25")):
        stub.add_response("get_products", {"PriceList": [_item(usd, "S")],
                                           "FormatVersion": "aws_v1"},
                          _request(service, UNKNOWN, "eu-west-1"))
    prices = pricing.prices_for(["m5.xlarge", UNKNOWN], "eu-west-1", aws_settings(),
                                client=client)
    assert UNKNOWN not in table("eu-west-1")  # the bundled snapshot is left as it was
    spec = ClusterSpec(name="p", instance_groups=[primary("m5.xlarge"), core(UNKNOWN, 1)])
    est = estimate(spec, hours=1, region="eu-west-1", prices=prices)
    assert est.per_hour == pytest.approx(0.214 + 0.048 + 2.0 + 0.25)


def test_endpoint_region_is_one_the_pricing_api_serves():
    assert pricing.endpoint_region("us-east-1") == "us-east-1"
    assert pricing.endpoint_region("eu-west-1") == "eu-central-1"
    assert pricing.endpoint_region("ap-southeast-2") == "ap-south-1"
    assert pricing.endpoint_region("sa-east-1") == "us-east-1"
    assert set(map(pricing.endpoint_region, ["ca-central-1", "me-south-1", "ap-south-1"])) <= set(
        pricing.PRICING_REGIONS)
