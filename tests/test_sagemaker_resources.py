"""Image URIs, SageMaker resources with guaranteed teardown, telemetry opt-out, prices."""

from __future__ import annotations

import os

import nbformat
import pytest

from emrlab.exceptions import ConfigError, PriceNotFoundError, SageMakerResourceError
from emrlab.sagemaker import costs as sm_costs, resources as sm_resources


@pytest.mark.parametrize("region, account", [("us-east-1", "683313688378"),
                                             ("eu-west-1", "141502667606")])
def test_image_uris_are_pinned_per_region(settings, region, account):
    for scope in ("training", "inference"):
        uri = sm_resources.image_uri(region, "1.7-1", scope)
        assert uri == f"{account}.dkr.ecr.{region}.amazonaws.com/sagemaker-xgboost:1.7-1"
    assert sm_resources.image_uri().split(".")[3] == settings.region  # settings' region


def test_latest_is_never_used(settings):
    for version in sm_resources.CONTAINER_VERSIONS:
        tag = sm_resources.image_uri("eu-west-1", version).rsplit(":", 1)[1]
        assert tag == version and tag not in ("latest", "1")
    for floating in ("latest", "1"):
        with pytest.raises(SageMakerResourceError, match="floating tag"):
            sm_resources.image_uri("us-east-1", floating)
    with pytest.raises(SageMakerResourceError, match="0.90-1"):
        sm_resources.image_uri("us-east-1", "0.90-1")


def test_telemetry_opt_out_in_local_mode(settings, monkeypatch):
    monkeypatch.delenv("SAGEMAKER_USER_CONFIG_OVERRIDE", raising=False)
    path = sm_resources.opt_out_telemetry(settings)
    assert os.environ["SAGEMAKER_USER_CONFIG_OVERRIDE"] == path
    assert "TelemetryOptOut: true" in open(path).read()


def _endpoints(prefix: str) -> list[str]:
    from emrlab import client

    return [e["EndpointName"] for e in
            client("sagemaker").list_endpoints(NameContains=prefix)["Endpoints"]]


def test_handoff_creates_everything_and_tears_down(settings):
    from emrlab.sagemaker import Channel

    image = sm_resources.image_uri()
    channel = Channel("train", f"s3://{settings.bucket}/c/train/", "text/csv", [], 0, "")
    with sm_resources.Handoff(prefix="t-all") as handoff:
        job = handoff.create_training_job({"train": channel}, image,
                                          f"s3://{settings.bucket}/out/")
        model = handoff.create_model(image, f"s3://{settings.bucket}/m/model.tar.gz")
        endpoint = handoff.create_endpoint(model)
        transform = handoff.create_transform_job(model, f"s3://{settings.bucket}/in/",
                                                 f"s3://{settings.bucket}/out/")
        status = handoff.describe()
        assert status[endpoint] == "InService" and status[job] == "Completed"
        assert status[transform] == "Completed" and _endpoints("t-all") == [endpoint]
        spec = handoff.sm.describe_training_job(TrainingJobName=job)
        assert spec["InputDataConfig"][0]["ContentType"] == "text/csv"
        assert spec["AlgorithmSpecification"]["TrainingImage"] == image
    assert _endpoints("t-all") == []
    from emrlab import client

    assert not client("sagemaker").list_models(NameContains="t-all")["Models"], model
    assert handoff.teardown() == []  # idempotent


def test_exception_in_block_still_tears_down(settings):
    image = sm_resources.image_uri()
    with pytest.raises(RuntimeError, match="cell failed"):
        with sm_resources.Handoff(prefix="t-fail") as handoff:
            handoff.create_endpoint(handoff.create_model(image, f"s3://{settings.bucket}/m.tgz"))
            assert _endpoints("t-fail")
            raise RuntimeError("cell failed")
    assert _endpoints("t-fail") == []
    assert handoff not in sm_resources._live


@pytest.mark.notebook
def test_failing_cell_leaves_no_endpoint(settings, run_notebook, tmp_path):
    """A kernel that stops after a failing cell still deletes its endpoint (atexit)."""
    import papermill

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('import emrlab\nfrom emrlab.sagemaker import resources as sm_resources\n'
                                  'emrlab.setup(mode="local")\n'
                                  'handoff = sm_resources.Handoff(prefix="t-kernel")\n'
                                  'model = handoff.create_model(sm_resources.image_uri(), '
                                  '"s3://emrlab-local/m/model.tar.gz")\n'
                                  'endpoint = handoff.create_endpoint(model)'),
        nbformat.v4.new_code_cell('raise RuntimeError("this cell fails before the teardown")'),
        nbformat.v4.new_code_cell('handoff.teardown()'),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}})
    path = tmp_path / "failing.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(papermill.PapermillExecutionError, match="fails before the teardown"):
        run_notebook(path)
    assert _endpoints("t-kernel") == []
    from emrlab import client

    assert not [m for m in client("sagemaker").list_models(NameContains="t-kernel")["Models"]]


def test_bad_requests_refused_before_any_call(settings, monkeypatch):
    with pytest.raises(SageMakerResourceError, match="prefix="):
        sm_resources.Handoff(prefix="bad_prefix!")
    with sm_resources.Handoff(prefix="t-bad") as handoff:
        with pytest.raises(SageMakerResourceError, match="instance_type='m5.large'"):
            handoff.create_endpoint("x", instance_type="m5.large")
    with pytest.raises(ConfigError, match="not an IAM role ARN"):
        sm_resources.execution_role("admin")


def test_aws_mode_needs_a_role(settings, monkeypatch):
    from emrlab import config

    monkeypatch.delenv(sm_resources.ROLE_ENV, raising=False)
    monkeypatch.setattr(config, "_current", config.with_overrides(settings, mode="aws"))
    with pytest.raises(ConfigError, match=sm_resources.ROLE_ENV):
        sm_resources.execution_role()


def test_endpoint_vs_batch_costs():
    rows = sm_costs.endpoint_vs_batch("ml.m5.large", "us-east-1", 10, 30)
    endpoint, batch = rows
    assert endpoint["instance_hours"] == 730 and batch["instance_hours"] == 5.0
    assert endpoint["usd_per_month"] > 50 * batch["usd_per_month"] > 0
    assert "unconfirmed" in endpoint["note"]
    assert "us-east-1 prices" in sm_costs.endpoint_vs_batch("ml.m5.large", "ap-south-1")[0]["note"]
    with pytest.raises(PriceNotFoundError, match="known: ml.m5.large, ml.m5.xlarge"):
        sm_costs.price("ml.p5.48xlarge", "us-east-1")
    prices = sm_costs.load_prices()
    assert prices["taken"] and prices["source"].startswith("https://aws.amazon.com/sagemaker")


def test_image_table_covers_kit_regions_and_settings(settings):
    rows = sm_resources.image_table("3.0-5")
    assert {r["region"] for r in rows} >= {"us-east-1", "eu-west-1", settings.region}
    assert all(r["image"].endswith(":3.0-5") for r in rows) and len(rows) % 2 == 0
