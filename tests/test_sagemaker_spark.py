"""Channels written by Spark in each built-in format, and a SparkXGBClassifier round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emrlab.exceptions import ParameterError, TrainingDataError
from emrlab.sagemaker import artifact as sm_artifact, channels as sm_channels, check_channel

FEATURES = ["a", "b", "c"]


@pytest.fixture(scope="module")
def frames():
    import emrlab

    spark = emrlab.spark.session()
    rng = np.random.default_rng(0)
    rows = [(int(i % 2), float(rng.normal()), float(i % 7), 0.0 if i % 3 else 1.5)
            for i in range(120)]
    df = spark.createDataFrame(rows, "label int, a double, b double, c double")
    return df.filter("b < 5"), df.filter("b >= 5")


@pytest.mark.spark
@pytest.mark.parametrize("content_type", list(sm_channels.CONTENT_TYPES))
def test_channels_in_each_format_pass_the_checker(settings, frames, content_type):
    train, validation = frames
    channels = sm_channels.write_channels({"train": train, "validation": validation},
                                          content_type, FEATURES)
    fmt = sm_channels.CONTENT_TYPES[content_type]
    for name, df in (("train", train), ("validation", validation)):
        channel = channels[name]
        assert channel.s3_uri == f"s3://{settings.bucket}/curated/sagemaker/{fmt}/{name}/"
        report = check_channel(channel.s3_uri, content_type, n_features=3)
        assert report.rows == df.count() == channel.rows
        assert all(k.rsplit("/", 1)[1].startswith("part-") for k in channel.keys)
        assert channel.input_config()["ContentType"] == content_type
    if fmt == "libsvm":  # every value written, zeros included, 0-based
        first = sorted(Path(channels["train"].local_dir).iterdir())[0].read_text().split("\n")[0]
        first = first.split()
        assert [t.split(":")[0] for t in first[1:]] == ["0", "1", "2"]


@pytest.mark.spark
def test_nulls_and_bad_arguments_are_refused(settings, frames):
    from pyspark.sql import functions as F

    train, _ = frames
    with_null = train.withColumn("a", F.when(F.col("b") == 1, None).otherwise(F.col("a")))
    with pytest.raises(TrainingDataError, match="null or NaN values in {'a'"):
        sm_channels.feature_frame(with_null, FEATURES)
    with pytest.raises(TrainingDataError, match="lacks column"):
        sm_channels.feature_frame(train, ["a", "zz"])
    with pytest.raises(ParameterError, match="must include 'train'"):
        sm_channels.write_channels({"test": train}, "text/csv", FEATURES)


@pytest.mark.spark
def test_spark_xgboost_round_trip(settings, frames, tmp_path):
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.functions import vector_to_array
    from xgboost.spark import SparkXGBClassifier

    train, held = frames
    assemble = VectorAssembler(inputCols=FEATURES, outputCol="features")
    model = SparkXGBClassifier(features_col="features", label_col="label", num_workers=1,
                               n_estimators=8, max_depth=3).fit(assemble.transform(train))
    scored = model.transform(assemble.transform(held)).select(
        *FEATURES, vector_to_array("probability")[1].alias("p")).toPandas()
    booster_path = tmp_path / "xgboost-model"
    model.get_booster().save_model(str(booster_path))
    uri = sm_artifact.upload(sm_artifact.package(booster_path, tmp_path / "out"), FEATURES)
    trip = sm_artifact.round_trip(uri, scored[FEATURES].to_numpy(), scored["p"])
    print(trip)
    assert trip.max_abs_diff < 1e-6 and trip.rows == len(scored) > 0
