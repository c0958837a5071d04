"""Mode and settings: local by default, AWS only with an explicit acknowledgement."""

import pytest

from emrlab import config
from emrlab.exceptions import AwsModeNotAcknowledged, ConfigError


def test_local_is_the_default(monkeypatch, tmp_path):
    monkeypatch.delenv("EMRLAB_MODE", raising=False)
    s = config.resolve(work_dir=str(tmp_path))
    assert s.mode == "local" and s.is_local
    assert s.bucket == config.LOCAL_DEFAULT_BUCKET
    assert s.work_dir == tmp_path.resolve()


def test_aws_mode_needs_acknowledgement(monkeypatch):
    monkeypatch.delenv("EMRLAB_ACKNOWLEDGE_COSTS", raising=False)
    with pytest.raises(AwsModeNotAcknowledged, match="acknowledge_costs"):
        config.resolve(mode="aws", region="eu-west-1", bucket="my-bucket")


def test_aws_mode_from_environment_needs_acknowledgement(monkeypatch):
    monkeypatch.setenv("EMRLAB_MODE", "aws")
    monkeypatch.setenv("EMRLAB_ACKNOWLEDGE_COSTS", "no")
    with pytest.raises(AwsModeNotAcknowledged):
        config.resolve(region="eu-west-1", bucket="my-bucket")


def test_aws_mode_with_acknowledgement(monkeypatch):
    s = config.resolve(mode="aws", region="eu-west-1", bucket="my-bucket", acknowledge_costs=True)
    assert (s.mode, s.region, s.bucket, s.acknowledged_costs) == ("aws", "eu-west-1", "my-bucket", True)


def test_aws_mode_needs_region_and_bucket(monkeypatch):
    for name in ("EMRLAB_REGION", "AWS_REGION", "AWS_DEFAULT_REGION", "EMRLAB_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="region"):
        config.resolve(mode="aws", acknowledge_costs=True, bucket="b-1x")
    with pytest.raises(ConfigError, match="bucket"):
        config.resolve(mode="aws", acknowledge_costs=True, region="eu-west-1")


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"mode": "cloud"}, "mode='cloud' is not allowed; use one of local, aws"),
        ({"region": "Europe"}, "region='Europe' is not an AWS region"),
        ({"bucket": "My_Bucket"}, "bucket='My_Bucket' is not a valid S3 bucket name"),
    ],
)
def test_bad_values_name_the_setting(kwargs, fragment):
    with pytest.raises(ConfigError) as err:
        config.resolve(**kwargs)
    assert fragment in str(err.value)


def test_parameters_win_over_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("EMRLAB_REGION", "eu-west-1")
    monkeypatch.setenv("EMRLAB_BUCKET", "env-bucket")
    s = config.resolve(region="us-west-2", work_dir=str(tmp_path))
    assert s.region == "us-west-2"
    assert s.bucket == "env-bucket"


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    """The environment route to AWS mode: EMRLAB_MODE=aws, acknowledged, region and bucket."""
    monkeypatch.setenv("EMRLAB_MODE", "aws")
    monkeypatch.setenv("EMRLAB_ACKNOWLEDGE_COSTS", "yes")
    monkeypatch.setenv("EMRLAB_REGION", "eu-west-1")
    monkeypatch.setenv("EMRLAB_BUCKET", "my-bucket")
    monkeypatch.setenv("EMRLAB_WORK_DIR", str(tmp_path))


@pytest.mark.parametrize("mode", ["", None, "  "])
def test_notebook_defaults_do_not_override_the_environment(aws_env, mode):
    # what a notebook's parameters cell passes when left alone: mode "", acknowledge_costs False
    s = config.resolve(mode=mode, region="", bucket="", acknowledge_costs=False)
    assert (s.mode, s.acknowledged_costs, s.region) == ("aws", True, "eu-west-1")


def test_explicit_values_still_win(aws_env, monkeypatch):
    assert config.resolve(mode="local", acknowledge_costs=False).mode == "local"
    monkeypatch.delenv("EMRLAB_ACKNOWLEDGE_COSTS")
    assert config.resolve(acknowledge_costs=True).acknowledged_costs
    assert config.resolve(acknowledge_costs="yes").acknowledged_costs


@pytest.mark.parametrize("env, shown", [(None, "EMRLAB_ACKNOWLEDGE_COSTS is not set"),
                                        ("no", "EMRLAB_ACKNOWLEDGE_COSTS is 'no'")])
def test_refusal_says_what_is_missing(aws_env, monkeypatch, env, shown):
    if env is None:
        monkeypatch.delenv("EMRLAB_ACKNOWLEDGE_COSTS")
    else:
        monkeypatch.setenv("EMRLAB_ACKNOWLEDGE_COSTS", env)
    with pytest.raises(AwsModeNotAcknowledged) as err:
        config.resolve(mode="", acknowledge_costs=False)
    text = str(err.value)
    assert "from EMRLAB_MODE=aws" in text and "acknowledge_costs is False" in text and shown in text


@pytest.mark.parametrize("kwargs, env, fragment", [
    ({"acknowledge_costs": "maybe"}, {}, "acknowledge_costs='maybe' is not allowed"),
    ({}, {"EMRLAB_ACKNOWLEDGE_COSTS": "sure"}, "EMRLAB_ACKNOWLEDGE_COSTS='sure' is not allowed"),
    ({}, {"EMRLAB_MODE": "cloud"}, "EMRLAB_MODE='cloud' is not allowed; use one of local, aws"),
])
def test_bad_acknowledgement_or_mode_values_are_named(monkeypatch, tmp_path, kwargs, env, fragment):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        config.resolve(work_dir=str(tmp_path), **kwargs)
    assert fragment in str(err.value)
