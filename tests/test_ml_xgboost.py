"""XGBoost on Spark and the booster handed to SageMaker (emrlab.ml.xgbspark)."""

import json
from pathlib import Path

import numpy as np
import pytest

from emrlab.exceptions import DeviceError, ModelError
from emrlab.ml import gpu, mllib as ml, xgbspark
from tests.ml_support import synthetic_sessions

pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore:.*Unknown file format")]
CPU = gpu.resolve_device("cpu")


@pytest.fixture(scope="module")
def spark():
    from emrlab import spark as spark_mod

    return spark_mod.session()


@pytest.fixture(scope="module")
def prepared(spark):
    data = xgbspark.add_booster_features(spark.createDataFrame(synthetic_sessions(500, 120)))
    return ml.split_by_user(data, seed=0)


@pytest.fixture(scope="module")
def fitted(prepared):
    model, seconds = xgbspark.train(prepared[0], CPU, workers=2, rounds=15)
    return model, seconds


def test_booster_features_have_the_documented_order(prepared):
    assert len(xgbspark.BOOSTER_FEATURES) == len(set(xgbspark.BOOSTER_FEATURES)) == 28
    assert xgbspark.BOOSTER_FEATURES[:2] == ("n_events", "n_views")
    assert xgbspark.BOOSTER_FEATURES[13:16] == ("device_mobile", "device_desktop", "device_tablet")
    row = prepared[0].select(*xgbspark.BOOSTER_FEATURES, "features").first()
    assert list(row["features"].toArray()) == [row[c] for c in xgbspark.BOOSTER_FEATURES]
    one_hot = [row[c] for c in xgbspark.BOOSTER_FEATURES[13:]]
    assert sum(one_hot) == 2  # one device, one country


def test_saved_booster_predicts_like_the_spark_model(fitted, prepared, tmp_path):
    model, seconds = fitted
    heldout = xgbspark.heldout_frame(model, prepared[1])
    path = xgbspark.save(model, heldout, tmp_path / "booster", {"note": "test"})
    assert Path(path).name == "xgboost-model" and seconds > 0
    import xgboost  # plain xgboost, no Spark involved

    booster = xgboost.Booster()
    booster.load_model(path)
    X = heldout[list(xgbspark.BOOSTER_FEATURES)].to_numpy(dtype=np.float32)
    plain = booster.predict(xgboost.DMatrix(X))
    assert np.abs(plain - heldout["spark_probability"].to_numpy()).max() < 1e-6
    assert np.abs(xgbspark.booster_predict(path, heldout) - plain).max() == 0
    meta = json.loads((tmp_path / "booster" / "booster.json").read_text())
    assert meta["features"] == list(xgbspark.BOOSTER_FEATURES) and meta["note"] == "test"
    assert list(heldout.columns) == ["label", *xgbspark.BOOSTER_FEATURES, "spark_probability"]


def test_model_learns(fitted, prepared):
    from emrlab.ml import evaluate as mleval

    assert mleval.evaluate(fitted[0].transform(prepared[1]))["roc_auc"] > 0.8


def test_too_many_workers_is_refused_before_training(prepared, spark):
    slots = spark.sparkContext.defaultParallelism
    with pytest.raises(ModelError, match=f"workers={slots + 1}"):
        xgbspark.train(prepared[0], CPU, workers=slots + 1)


def test_one_class_label_is_refused(prepared):
    from emrlab.exceptions import TrainingDataError

    with pytest.raises(TrainingDataError, match="both classes"):
        xgbspark.train(prepared[0].filter("label = 1"), CPU, workers=1)


def test_cuda_with_a_cpu_build_is_refused():
    if xgbspark.nettrain.xgboost_has_cuda():
        pytest.skip("a CUDA build of xgboost is installed")
    fake_gpu = gpu.DeviceChoice("cuda", "cuda", "test")
    with pytest.raises(DeviceError, match="CPU build"):
        xgbspark.make_classifier(fake_gpu)


def test_ensure_booster_trains_once_then_reuses(spark, settings, monkeypatch):
    frame = spark.createDataFrame(synthetic_sessions(400, 100, seed=2))
    calls = []

    def fake_load(spark_, path, n_events, seed):
        calls.append((n_events, seed))
        return frame

    monkeypatch.setattr(ml, "load_training", fake_load)
    path = xgbspark.ensure_booster(spark, n_events=1234, seed=5, rounds=5, device="cpu")
    assert calls == [(1234, 5)] and Path(path).is_file()
    folder = Path(path).parent
    assert folder == xgbspark.booster_folder(1234, 5)
    assert "models" in folder.parts
    heldout = xgbspark.pd.read_csv(folder / "heldout.csv")
    diff = np.abs(xgbspark.booster_predict(path, heldout) - heldout["spark_probability"].to_numpy())
    assert diff.max() < 1e-6
    assert xgbspark.ensure_booster(spark, n_events=1234, seed=5) == path
    assert len(calls) == 1  # reused, not retrained
    with pytest.raises(DeviceError):
        xgbspark.ensure_booster(spark, n_events=1234, seed=5, device="tpu")
