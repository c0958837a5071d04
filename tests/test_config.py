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
