"""MLlib helpers (emrlab.ml.mllib, emrlab.ml.evaluate) on a small synthetic sessions frame."""

import pytest

from emrlab.exceptions import ModelError, TrainingDataError
from emrlab.ml import evaluate as mleval, mllib as ml
from tests.ml_support import synthetic_sessions

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    from emrlab import spark as spark_mod

    return spark_mod.session()


@pytest.fixture(scope="module")
def sessions(spark):
    return spark.createDataFrame(synthetic_sessions(600, users=150)).cache()


@pytest.fixture(scope="module")
def split(sessions):
    return ml.split_by_user(sessions, 0.25, seed=0)


@pytest.fixture(scope="module")
def trained(split):
    train, _ = split
    return ml.train(train, "logistic_regression", folds=2, grid_size=1)


def test_split_by_user_has_no_leakage_and_is_stable(sessions, split):
    train, test = split
    assert ml.assert_no_leakage(train, test) > 10
    assert train.count() + test.count() == sessions.count()
    again = ml.split_by_user(sessions, 0.25, seed=0)[1]
    assert sorted(r[0] for r in again.select("session_id").collect()) == sorted(
        r[0] for r in test.select("session_id").collect())


def test_a_row_split_leaks_and_is_caught(sessions):
    train, test = sessions.randomSplit([0.75, 0.25], seed=1)
    with pytest.raises(AssertionError, match="leakage"):
        ml.assert_no_leakage(train, test)


def test_one_class_label_is_refused_before_training(sessions):
    one_class = sessions.filter("label = 0")
    with pytest.raises(TrainingDataError, match="both classes"):
        ml.train(one_class, "logistic_regression")


def test_missing_columns_are_named(sessions):
    with pytest.raises(TrainingDataError, match="user_id"):
        ml.check_training(sessions.drop("user_id"))


@pytest.mark.parametrize("kwargs, match", [
    (dict(algorithm="svm"), "algorithm='svm' is not known"),
    (dict(algorithm="all"), "algorithm='all' is not known"),
    (dict(grid_size=4), "grid_size=4"),
    (dict(folds=0), "folds=0"),
])
def test_bad_training_options_fail_before_training(sessions, kwargs, match):
    with pytest.raises(ModelError, match=match):
        ml.train(sessions.limit(0), **kwargs)  # an empty frame: nothing could be trained


def test_check_algorithm_all_lists_every_algorithm():
    assert ml.check_algorithm("all", allow_all=True) == list(ml.ALGORITHMS)


def test_class_weights_balance_the_classes(sessions):
    from pyspark.sql import functions as F

    weighted = ml.add_class_weight(sessions)
    sums = {r[0]: r[1] for r in weighted.groupBy("label").agg(F.sum("weight")).collect()}
    assert sums[0] == pytest.approx(sums[1])
    assert sums[0] + sums[1] == pytest.approx(sessions.count())


def test_missing_training_set_path_is_a_clear_error(spark, tmp_path):
    with pytest.raises(TrainingDataError, match="no training set"):
        ml.load_training(spark, str(tmp_path / "nowhere"))


def test_trained_pipeline_evaluates(trained, split):
    _, test = split
    metrics = mleval.evaluate(trained.model.transform(test))
    assert metrics["roc_auc"] > 0.8, metrics
    assert 0 <= metrics["f1"] <= 1 and metrics["pr_auc"] > metrics["positives"] / metrics["rows"]
    assert int(metrics["confusion"].values.sum()) == test.count()
    assert "CrossValidator, 2 folds by user" in trained.tuning
    names = [type(s).__name__ for s in trained.model.stages]
    assert names == ["StringIndexerModel", "OneHotEncoderModel", "VectorAssembler",
                     "StandardScalerModel", "LogisticRegressionModel"]


def test_feature_importance_names_the_features(trained, split):
    top = mleval.feature_importance(trained.model, split[1], top=3)
    assert len(top) == 3 and "n_carts" in set(top["feature"])


def test_curves_and_comparison(trained, split):
    scored = mleval.positive_scores(trained.model.transform(split[1]))
    fig = mleval.curves_figure({"lr": scored})
    assert len(fig.axes) == 2
    pts = mleval.roc_pr_points(scored["label"], scored["score"])
    assert pts["fpr"][-1] == pytest.approx(1) and pts["tpr"][-1] == pytest.approx(1)
    table = mleval.comparison([{"model": "lr", "roc_auc": 0.9, "train_s": 1.234567}])
    assert table.loc["lr", "train_s"] == pytest.approx(1.2346)


def test_tree_models_train_with_train_validation_split(split):
    train, test = split
    for name in ("random_forest", "gbt"):
        model = ml.train(train, name, folds=1, grid_size=1)
        assert "TrainValidationSplit" in model.tuning
        assert mleval.evaluate(model.model.transform(test))["roc_auc"] > 0.75


def test_saved_pipeline_loads_back_with_the_same_predictions(trained, split, tmp_path):
    uri = ml.save_model(trained.model, str(tmp_path / "model"))
    before = mleval.positive_scores(trained.model.transform(split[1]), keys=["session_id"])
    after = mleval.positive_scores(ml.load_model(uri).transform(split[1]), keys=["session_id"])
    diff = before.set_index("session_id")["score"] - after.set_index("session_id")["score"]
    assert len(diff) == len(before) and diff.abs().max() < 1e-12
    with pytest.raises(ModelError, match="no PipelineModel"):
        ml.load_model(str(tmp_path / "missing"))
