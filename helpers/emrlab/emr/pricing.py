"""EC2 and EMR prices: the bundled snapshot, else the AWS Price List Query API (AWS mode only).

Taught in notebooks/01_emr_provisioning.ipynb.

:func:`price_for` is the one call for "what does this type cost per hour here": the bundled
snapshot ``emrlab/data/prices.json`` when it knows the type and region, else (AWS mode only)
the Pricing API, else a :class:`~emrlab.exceptions.PriceNotFoundError` naming the type and the
region. It never answers zero and never guesses. :func:`prices_for` wraps it into a price table
for :func:`emrlab.emr.costs.estimate`, and :func:`fetch_prices` asks the API directly.

The ``pricing`` API has endpoints in a few regions only (:data:`PRICING_REGIONS`); this module
calls the nearest of them (:func:`endpoint_region`) and asks for prices *of* any region through
the ``regionCode`` attribute. Local mode has no price list (the emulator does not implement the
pricing API), so there only the bundled snapshot is used.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from emrlab.exceptions import ConfigError, PriceNotFoundError

if TYPE_CHECKING:
    from emrlab.config import Settings

PRICING_REGION = "us-east-1"
# The regions that serve the Price List Query API; any of them prices every region.
PRICING_REGIONS = ("us-east-1", "eu-central-1", "ap-south-1")
# (instance type, region) -> (EC2, EMR) USD per hour, from the API in this process.
_FETCHED: dict[tuple[str, str], tuple[float, float]] = {}


def endpoint_region(region: str) -> str:
    """The Pricing API endpoint region to call for prices of ``region``: the nearest of
    :data:`PRICING_REGIONS` (eu-central-1 for Europe, Africa and the Middle East, ap-south-1 for
    Asia Pacific, us-east-1 otherwise)."""
    if region in PRICING_REGIONS:
        return region
    if region.split("-")[0] in ("eu", "af", "me", "il"):
        return "eu-central-1"
    if region.startswith("ap-"):
        return "ap-south-1"
    return PRICING_REGION


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
        A ``pricing`` client; by default one for :func:`endpoint_region` in the current
        (AWS) mode.

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
        client = aws.client("pricing", region_name=endpoint_region(region))
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
    ebs = snapshot["regions"].get(region, {}).get("ebs_gb_month", {
        "gp3": 0.08, "gp2": 0.10, "confirmed": False,
        "note": f"{region} is not in the snapshot: us-east-1 list prices used"})
    return {"taken": date.today().isoformat(), "currency": "USD",
            "source": {"api": "AWS Price List Query API (pricing:GetProducts)"},
            "hours_per_month": snapshot.get("hours_per_month", 730),
            "spot_discount_default": snapshot.get("spot_discount_default", 0.6),
            "regions": {region: {"instances": instances, "ebs_gb_month": ebs}}}


def _snapshot_entry(instance_type: str, region: str, prices: dict) -> dict | None:
    return prices.get("regions", {}).get(region, {}).get("instances", {}).get(instance_type)


def price_for(instance_type: str, region: str, settings: Settings | None = None, *,
              client=None, prices: dict | None = None) -> tuple[float, float]:
    """``(ec2, emr)``: on-demand USD per hour of one ``instance_type`` in ``region``.

    Taught in notebooks/01_emr_provisioning.ipynb. The guard rails call it for every type of a
    cluster before anything is created.

    Looks in the price snapshot first (``prices``, by default the bundled one). A type or region
    the snapshot lacks is, in AWS mode, priced through the AWS Price List Query API
    (``pricing:GetProducts`` for ``AmazonEC2`` Linux shared tenancy and ``ElasticMapReduce``),
    and remembered for the rest of the process. It is never priced at zero.

    Parameters
    ----------
    settings : emrlab.config.Settings, optional
        Decides the mode; default :func:`emrlab.config.current`.
    client : botocore client, optional
        A ``pricing`` client for the lookup; by default one for :func:`endpoint_region` made by
        :func:`emrlab.aws.client` (so ``settings`` should be the current settings).
    prices : dict, optional
        A price table shaped like the snapshot, to look in instead of the bundled one.

    Raises
    ------
    PriceNotFoundError
        The snapshot lacks the type and either the kit is in local mode (no lookup is made) or
        the Pricing API lookup failed (no product, no permission, no network); the message
        names the type, the region and the reason.
    """
    from emrlab import config
    from emrlab.emr.costs import load_prices

    prices = prices or load_prices()
    entry = _snapshot_entry(instance_type, region, prices)
    if entry is not None:
        return float(entry["ec2"]), float(entry["emr"])
    settings = settings or config.current()
    missing = (f"no price for instance type {instance_type!r} in {region}: the price snapshot "
               f"(taken {prices.get('taken', '?')}) does not list it")
    if settings.is_local:
        raise PriceNotFoundError(f"{missing}, and local mode does not call the AWS Pricing API; "
                                 "choose a type the snapshot lists or use AWS mode")
    if (instance_type, region) in _FETCHED:
        return _FETCHED[(instance_type, region)]
    try:
        if client is None:
            from emrlab import aws

            client = aws.client("pricing", region_name=endpoint_region(region))
        fetched = fetch_prices(region, [instance_type], client=client)
        found = fetched["regions"][region]["instances"][instance_type]
        result = (float(found["ec2"]), float(found["emr"]))
    except (BotoCoreError, ClientError, ValueError, KeyError) as exc:
        raise PriceNotFoundError(f"{missing}, and the AWS Pricing API lookup failed: {exc}") from exc
    _FETCHED[(instance_type, region)] = result
    return result


def prices_for(instance_types, region: str, settings: Settings | None = None, *,
               client=None) -> dict:
    """A price table for :func:`emrlab.emr.costs.estimate` (``prices=``) that knows every type
    of ``instance_types`` in ``region``: the bundled snapshot plus, in AWS mode, what
    :func:`price_for` fetched for the types it lacks.

    Taught in notebooks/01_emr_provisioning.ipynb.

    Raises
    ------
    PriceNotFoundError
        As :func:`price_for`, for the first type that has no price.
    """
    from emrlab.emr.costs import load_prices

    snapshot = load_prices()
    table = json.loads(json.dumps(snapshot))  # a deep copy; the cached snapshot stays as it is
    regions = table.setdefault("regions", {})
    target = regions.setdefault(region, {"instances": {}, "ebs_gb_month": {
        "gp3": 0.08, "gp2": 0.10, "confirmed": False,
        "note": f"{region} is not in the snapshot: us-east-1 list prices used"}})
    for itype in instance_types:
        if itype in target["instances"]:
            continue
        ec2, emr = price_for(itype, region, settings, client=client, prices=snapshot)
        target["instances"][itype] = {"ec2": ec2, "emr": emr, "confirmed": True,
                                      "note": "AWS Price List Query API (pricing:GetProducts)"}
    return table
