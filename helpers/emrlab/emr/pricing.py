"""Refresh EC2 and EMR prices from the AWS Price List Query API (AWS mode only).

Taught in notebooks/01_emr_provisioning.ipynb.

The ``pricing`` API has endpoints in a few regions only; this module calls the us-east-1 one and
asks for prices *of* any region through the ``regionCode`` attribute. The result has the shape
of the bundled snapshot, so it can be passed to :func:`emrlab.emr.costs.estimate` as ``prices=``.
Local mode has no price list (the emulator does not implement the pricing API), so there the
bundled snapshot is used and this module refuses to run.
"""

from __future__ import annotations

import json
from datetime import date

from emrlab.exceptions import ConfigError, PriceNotFoundError

PRICING_REGION = "us-east-1"


def _filters(**attrs: str) -> list[dict]:
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in attrs.items()]


def on_demand_usd(price_item: str | dict) -> float:
    """The on-demand USD price per unit in one ``GetProducts`` PriceList item (a JSON string)."""
    item = json.loads(price_item) if isinstance(price_item, str) else price_item
    for term in item.get("terms", {}).get("OnDemand", {}).values():
        for dim in term.get("priceDimensions", {}).values():
            usd = dim.get("pricePerUnit", {}).get("USD")
            if usd is not None and float(usd) > 0:
                return float(usd)
    sku = item.get("product", {}).get("sku", "?")
    raise PriceNotFoundError(f"price list item {sku} has no positive on-demand USD price")


def _first_price(client, service: str, **attrs: str) -> float:
    resp = client.get_products(ServiceCode=service, Filters=_filters(**attrs), MaxResults=10)
    prices = [on_demand_usd(p) for p in resp.get("PriceList", [])]
    if not prices:
        raise PriceNotFoundError(f"the price list has no {service} product for {attrs}")
    return min(prices)


def fetch_prices(region: str, instance_types: list[str], client=None) -> dict:
    """EC2 on-demand (Linux, shared tenancy) and EMR prices for ``instance_types`` in ``region``.

    Taught in notebooks/01_emr_provisioning.ipynb.

    Parameters
    ----------
    client : botocore client, optional
        A ``pricing`` client; by default one for us-east-1 in the current (AWS) mode.

    Returns
    -------
    dict
        Shaped like ``emrlab/data/prices.json`` with one region and ``confirmed: true`` entries.

    Raises
    ------
    ConfigError
        No client was given and the kit is in local mode.
    PriceNotFoundError
        The price list has no product for a type.
    """
    if client is None:
        from emrlab import aws, config

        if config.current().is_local:
            raise ConfigError("fetch_prices needs AWS mode (the emulator has no price list); "
                              "local mode uses the bundled snapshot emrlab/data/prices.json")
        client = aws.client("pricing", region_name=PRICING_REGION)
    instances = {}
    for itype in instance_types:
        ec2 = _first_price(client, "AmazonEC2", instanceType=itype, regionCode=region,
                           operatingSystem="Linux", tenancy="Shared", preInstalledSw="NA",
                           capacitystatus="Used")
        emr = _first_price(client, "ElasticMapReduce", instanceType=itype, regionCode=region,
                           softwareType="EMR")
        instances[itype] = {"ec2": ec2, "emr": emr, "confirmed": True,
                            "note": "AWS Price List Query API"}
    from emrlab.emr.costs import load_prices

    snapshot = load_prices()
    ebs = snapshot["regions"].get(region, {}).get("ebs_gb_month", {"gp3": 0.08, "gp2": 0.10,
                                                                   "confirmed": False})
    return {"taken": date.today().isoformat(), "currency": "USD",
            "source": {"api": "AWS Price List Query API (pricing:GetProducts)"},
            "hours_per_month": snapshot.get("hours_per_month", 730),
            "spot_discount_default": snapshot.get("spot_discount_default", 0.6),
            "regions": {region: {"instances": instances, "ebs_gb_month": ebs}}}
