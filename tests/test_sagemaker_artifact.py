"""model.tar.gz packaging and the round trip (plain xgboost, no Spark)."""

from __future__ import annotations

import io
import tarfile

import numpy as np
import pytest
import xgboost as xgb

from emrlab.exceptions import ArtifactError
from emrlab.sagemaker import artifact as sm_artifact


@pytest.fixture(scope="module")
def booster_file(tmp_path_factory):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 4))
    y = (x[:, 0] + 0.5 * rng.normal(size=400) > 0).astype(int)
    names = ["a", "b", "c", "d"]
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3},
                        xgb.DMatrix(x, label=y, feature_names=names), 15)
    path = tmp_path_factory.mktemp("booster") / "xgboost-model"
    booster.save_model(str(path.with_suffix(".ubj")))  # UBJSON, like get_booster().save_model
    path.with_suffix(".ubj").rename(path)
    return path, x[:60], booster.predict(xgb.DMatrix(x[:60], feature_names=names))


def test_package_holds_only_json_xgboost_model(booster_file, tmp_path):
    path, _, _ = booster_file
    archive = sm_artifact.package(path, tmp_path)
    with tarfile.open(archive, "r:gz") as tar:
        assert tar.getnames() == ["xgboost-model"]
        data = tar.extractfile("xgboost-model").read()
    assert data[:2] == b'{"'  # JSON, loadable by every container since xgboost 1.0
    loaded = sm_artifact.load_booster(data)
    assert loaded.feature_names is None  # the container's CSV matrix has no names
    # same input, same archive bytes (fixed mtime)
    assert sm_artifact.package(path, tmp_path / "again").read_bytes() == archive.read_bytes()


def test_round_trip_through_s3(settings, booster_file, tmp_path):
    path, rows, reference = booster_file
    uri = sm_artifact.upload(sm_artifact.package(path, tmp_path), list("abcd"))
    assert uri == f"s3://{settings.bucket}/models/sagemaker/xgboost/model.tar.gz"
    trip = sm_artifact.round_trip(uri, rows, reference)
    print(trip)
    assert trip.ok and trip.max_abs_diff < 1e-6 and trip.rows == 60
    np.testing.assert_allclose(trip.predictions, reference, atol=1e-7)


def test_round_trip_detects_a_different_model(booster_file, tmp_path):
    path, rows, reference = booster_file
    archive = sm_artifact.package(path, tmp_path)
    with pytest.raises(ArtifactError, match="must be < 1e-06"):
        sm_artifact.round_trip(archive, rows, reference + 1e-3)
    with pytest.raises(ArtifactError, match="expects 4 features"):
        sm_artifact.round_trip(archive, rows[:, :3], reference)
    with pytest.raises(ArtifactError, match="same non-empty set"):
        sm_artifact.round_trip(archive, rows, reference[:10])


def _tar(tmp_path, members: dict) -> str:
    target = tmp_path / "model.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(target)


@pytest.mark.parametrize("members, words", [
    ({"model/xgboost-model": b"{}"}, "at its root"),
    ({"xgboost-model": b"{}", "features.json": b"[]"}, "exactly one file"),
    ({"model.json": b"{}"}, "exactly one file"),
])
def test_malformed_archives_are_refused(tmp_path, members, words):
    with pytest.raises(ArtifactError, match=words):
        sm_artifact.load_artifact(_tar(tmp_path, members))


def test_not_an_archive_or_model(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not gzip")
    with pytest.raises(ArtifactError, match="not a gzip-compressed tar"):
        sm_artifact.load_artifact(junk)
    with pytest.raises(ArtifactError, match="not an XGBoost model"):
        sm_artifact.load_artifact(_tar(tmp_path, {"xgboost-model": b"hello"}))
    with pytest.raises(ArtifactError, match="no artifact"):
        sm_artifact.load_artifact(tmp_path / "missing.tar.gz")
