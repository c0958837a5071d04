"""Spark MLlib on the curated sessions: features, a leakage-free split, models and tuning.

Taught in notebooks/03_mllib.ipynb (and labs/03_mllib_pipeline).

The training set is the ETL's ``curated/sessions`` (one row per session, integer ``label``;
see :mod:`emrlab.etl.job`). The flow:

1. :func:`load_training` reads it and :func:`check_training` refuses a set that cannot train a
   classifier (missing columns, a label with one class) before any work;
2. :func:`split_by_user` puts each user's sessions on one side only (a user's habits would
   otherwise leak from training into test); :func:`assert_no_leakage` proves it;
3. :func:`add_class_weight` adds a ``weight`` column that balances the rare purchase label;
4. :func:`feature_stages` builds StringIndexer, OneHotEncoder, VectorAssembler and
   StandardScaler; :func:`make_estimator` adds LogisticRegression, RandomForest or GBT;
5. :func:`train` tunes a small grid with CrossValidator, whose folds are also drawn by user
   (``foldCol``), or with TrainValidationSplit when ``folds=1``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, cast

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import (
    GBTClassifier,
    LogisticRegression,
    RandomForestClassifier,
)
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.feature import OneHotEncoder, StandardScaler, StringIndexer, VectorAssembler
from pyspark.ml.tuning import (
    CrossValidator,
    CrossValidatorModel,
    ParamGridBuilder,
    TrainValidationSplit,
)
from pyspark.sql import DataFrame, SparkSession, functions as F

from emrlab.exceptions import ModelError, TrainingDataError

ALGORITHMS = ("logistic_regression", "random_forest", "gbt")
NUMERIC = ("n_events", "n_views", "n_searches", "n_carts", "n_removes", "distinct_products",
           "cart_value", "dwell_s", "start_hour", "day_of_week", "user_prev_sessions",
           "user_prev_purchases", "recency_s")
CATEGORICAL = ("device", "country")
LABEL, USER, WEIGHT, FOLD = "label", "user_id", "weight", "fold"


def check_algorithm(algorithm: str, allow_all: bool = False) -> list[str]:
    """The algorithms ``algorithm`` names (``"all"`` gives every one); ModelError when unknown.

    Taught in notebooks/03_mllib.ipynb.
    """
    allowed = ALGORITHMS + (("all",) if allow_all else ())
    if algorithm not in allowed:
        raise ModelError(f"algorithm={algorithm!r} is not known; choose from "
                         f"{', '.join(repr(a) for a in allowed)}")
    return list(ALGORITHMS) if algorithm == "all" else [algorithm]


def check_training(df: DataFrame, label: str = LABEL) -> dict:
    """Refuse a training set that cannot train a binary classifier; returns the class counts.

    Taught in notebooks/03_mllib.ipynb.

    Raises
    ------
    TrainingDataError
        A required column is missing, or the label does not hold both 0 and 1.
    """
    missing = [c for c in (*NUMERIC, *CATEGORICAL, USER, label) if c not in df.columns]
    if missing:
        raise TrainingDataError(f"the training set lacks column(s) {', '.join(missing)}; "
                                f"it has {', '.join(df.columns)}")
    return label_counts(df, label)


def label_counts(df: DataFrame, label: str = LABEL) -> dict:
    """``{0: n0, 1: n1}``; TrainingDataError unless the label holds exactly the classes 0 and 1.

    Taught in notebooks/03_mllib.ipynb.
    """
    counts = {int(r[0]) if r[0] is not None else None: r[1]
              for r in df.groupBy(label).count().collect()}
    if set(counts) != {0, 1}:
        raise TrainingDataError(f"the label {label!r} must hold both classes 0 and 1; found "
                                f"counts {counts} (a classifier cannot learn one class)")
    return counts


def load_training(spark: SparkSession, path: str | None = None, n_events: int = 20000, seed: int = 0) -> DataFrame:
    """The curated training set (``path``, or the ETL's, made when missing).

    Taught in notebooks/03_mllib.ipynb.

    Raises
    ------
    TrainingDataError
        ``path`` was given but holds no Parquet data.
    """
    if path is None:
        from emrlab.etl import ensure_training_set

        path = ensure_training_set(spark, n_events=n_events, seed=seed)
    try:
        return spark.read.parquet(str(path))
    except Exception as exc:  # AnalysisException (missing path) and friends
        if type(exc).__name__ not in ("AnalysisException", "PathNotFoundException",
                                      "IllegalArgumentException"):
            raise
        raise TrainingDataError(f"no training set at {path!r} ({type(exc).__name__}); run the "
                                "ETL (notebooks/02_spark_etl.ipynb) or pass path=None") from exc


def _user_bucket(seed: int):
    """A deterministic number in [0, 1000) per user: the same user always lands alike."""
    return F.pmod(F.xxhash64(F.col(USER), F.lit(seed)), F.lit(1000))


def split_by_user(df: DataFrame, test_fraction: float = 0.25, seed: int = 0):
    """Split rows into (train, test) so that every user's sessions fall on one side.

    Taught in notebooks/03_mllib.ipynb and labs/03_mllib_pipeline.

    A hash of ``user_id`` (seeded) decides the side, so the split needs no collect and is the
    same on every run and every cluster size.
    """
    if not 0 < test_fraction < 1:
        raise ModelError(f"test_fraction={test_fraction} must be between 0 and 1 (exclusive)")
    cut = int(round(test_fraction * 1000))
    bucket = _user_bucket(seed)
    return df.filter(bucket >= cut), df.filter(bucket < cut)


def assert_no_leakage(train: DataFrame, test: DataFrame, key: str = USER) -> int:
    """Raise AssertionError when a ``key`` value appears on both sides; returns test users.

    Taught in notebooks/03_mllib.ipynb and labs/03_mllib_pipeline.
    """
    shared = train.select(key).distinct().join(test.select(key).distinct(), key).count()
    assert shared == 0, f"{shared} {key} value(s) appear in both train and test (leakage)"
    return test.select(key).distinct().count()


def add_class_weight(df: DataFrame, label: str = LABEL, weight: str = WEIGHT) -> DataFrame:
    """Add ``weight`` = n / (2 n_class): both classes then weigh the same in the loss.

    Taught in notebooks/03_mllib.ipynb.
    """
    counts = check_training(df, label)
    total = sum(counts.values())
    w1, w0 = total / (2 * counts[1]), total / (2 * counts[0])
    return df.withColumn(weight, F.when(F.col(label) == 1, F.lit(w1)).otherwise(F.lit(w0)))


def add_folds(df: DataFrame, folds: int, seed: int = 0) -> DataFrame:
    """Add an integer ``fold`` column drawn by user (for CrossValidator's ``foldCol``).

    Taught in notebooks/03_mllib.ipynb.
    """
    return df.withColumn(FOLD, F.pmod(F.xxhash64(F.col(USER), F.lit(seed + 1)),
                                      F.lit(folds)).cast("int"))


def feature_stages(numeric=NUMERIC, categorical=CATEGORICAL, scale: bool = True) -> list:
    """StringIndexer and OneHotEncoder per category, a VectorAssembler and a StandardScaler.

    Taught in notebooks/03_mllib.ipynb and labs/03_mllib_pipeline. The output column is
    ``features``; unseen categories at prediction time go to an extra "unknown" slot.
    """
    numeric, categorical = list(numeric), list(categorical)
    idx = [f"{c}_idx" for c in categorical]
    ohe = [f"{c}_ohe" for c in categorical]
    stages: list = []
    if categorical:
        stages += [StringIndexer(inputCols=categorical, outputCols=idx, handleInvalid="keep"),
                   OneHotEncoder(inputCols=idx, outputCols=ohe, handleInvalid="keep")]
    raw = "features_raw" if scale else "features"
    stages.append(VectorAssembler(inputCols=numeric + ohe, outputCol=raw, handleInvalid="keep"))
    if scale:
        stages.append(StandardScaler(inputCol=raw, outputCol="features", withMean=False))
    return stages


def make_estimator(algorithm: str, weight_col: str | None = WEIGHT, seed: int = 0):
    """The classifier for ``algorithm`` (features in ``features``, label in ``label``).

    Taught in notebooks/03_mllib.ipynb.
    """
    check_algorithm(algorithm)
    common: dict[str, Any] = dict(featuresCol="features", labelCol=LABEL)
    if weight_col:
        common["weightCol"] = weight_col
    if algorithm == "logistic_regression":
        return LogisticRegression(maxIter=50, **common)
    if algorithm == "random_forest":
        return RandomForestClassifier(numTrees=20, maxDepth=5, seed=seed, **common)
    return GBTClassifier(maxIter=10, maxDepth=4, seed=seed, **common)


def param_grid(algorithm: str, estimator, grid_size: int = 2) -> list:
    """A small grid (``grid_size`` values per tuned parameter, 1 to 3).

    Taught in notebooks/03_mllib.ipynb.
    """
    if not 1 <= grid_size <= 3:
        raise ModelError(f"grid_size={grid_size} must be 1, 2 or 3")
    if algorithm == "logistic_regression":
        param, options = estimator.regParam, [0.01, 0.1, 0.001]
    elif algorithm == "random_forest":
        param, options = estimator.maxDepth, [5, 8, 3]
    else:
        param, options = estimator.maxDepth, [4, 3, 6]
    return ParamGridBuilder().addGrid(param, options[:grid_size]).build()


@dataclass
class TrainedModel:
    """A tuned PipelineModel and what it took to get it.

    Taught in notebooks/03_mllib.ipynb.
    """

    algorithm: str
    model: PipelineModel
    seconds: float
    best_params: dict = field(default_factory=dict)
    tuning: str = ""


def train(train_df: DataFrame, algorithm: str = "logistic_regression", folds: int = 2,
          grid_size: int = 2, class_weighting: bool = True, seed: int = 0,
          scale: bool = True) -> TrainedModel:
    """Tune and fit one algorithm's whole pipeline on ``train_df``.

    Taught in notebooks/03_mllib.ipynb.

    Parameters
    ----------
    folds : int
        2 to 10: CrossValidator with folds drawn by user; 1: TrainValidationSplit (75/25).
    grid_size : int
        Values per tuned parameter (1 to 3).
    class_weighting : bool
        Weight rows so both classes count the same (:func:`add_class_weight`).

    Raises
    ------
    ModelError
        Unknown algorithm, or folds/grid_size out of range (before any training).
    TrainingDataError
        The label has one class.
    """
    check_algorithm(algorithm)
    if not 1 <= folds <= 10:
        raise ModelError(f"folds={folds} must be between 1 and 10")
    param_grid(algorithm, make_estimator(algorithm), grid_size)  # validates grid_size
    check_training(train_df)
    data = add_class_weight(train_df) if class_weighting else train_df
    estimator = make_estimator(algorithm, WEIGHT if class_weighting else None, seed)
    pipeline = Pipeline(stages=feature_stages(scale=scale) + [estimator])
    grid = param_grid(algorithm, estimator, grid_size)
    # areaUnderPR: the metric that notices an imbalanced label (ROC AUC looks good too easily)
    evaluator = BinaryClassificationEvaluator(labelCol=LABEL, metricName="areaUnderPR")
    tuner: CrossValidator | TrainValidationSplit
    if folds >= 2:
        data = add_folds(data, folds, seed)
        tuner = CrossValidator(estimator=pipeline, estimatorParamMaps=grid, evaluator=evaluator,
                               numFolds=folds, foldCol=FOLD, seed=seed, parallelism=2)
        tuning = f"CrossValidator, {folds} folds by user, {len(grid)} candidate(s)"
    else:
        tuner = TrainValidationSplit(estimator=pipeline, estimatorParamMaps=grid,
                                     evaluator=evaluator, trainRatio=0.75, seed=seed,
                                     parallelism=2)
        tuning = f"TrainValidationSplit 75/25, {len(grid)} candidate(s)"
    started = time.perf_counter()
    fitted = tuner.fit(data.cache())
    seconds = time.perf_counter() - started
    data.unpersist()
    metrics = list(fitted.avgMetrics if isinstance(fitted, CrossValidatorModel)  # folds >= 2
                   else fitted.validationMetrics)
    best = grid[max(range(len(metrics)), key=metrics.__getitem__)]
    best_model = cast(PipelineModel, fitted.bestModel)  # the tuned estimator is a Pipeline
    return TrainedModel(algorithm, best_model, seconds,
                        {p.name: v for p, v in best.items()}, tuning)


def save_model(model: PipelineModel, uri: str) -> str:
    """Save a PipelineModel to ``uri`` (a lake ``models`` path), replacing what was there.

    Taught in notebooks/03_mllib.ipynb.
    """
    model.write().overwrite().save(uri)
    return uri


def load_model(uri: str) -> PipelineModel:
    """Load a PipelineModel saved by :func:`save_model`; ModelError when there is none.

    Taught in notebooks/03_mllib.ipynb.
    """
    try:
        return PipelineModel.load(uri)
    except Exception as exc:  # py4j/Analysis errors for a missing or partial folder
        raise ModelError(f"no PipelineModel can be loaded from {uri!r} "
                         f"({type(exc).__name__})") from exc


def model_uri(n_events: int = 20000, seed: int = 0, settings=None) -> str:
    """Where notebook 03 saves its best PipelineModel for one training set (lake ``models``).

    Taught in notebooks/03_mllib.ipynb; read by notebooks/04_gpu_training.ipynb.
    """
    from emrlab.etl import Lake

    return Lake(settings).uri("models", "mllib", f"sessions-n{n_events}-s{seed}")


def baseline(train_df: DataFrame, uri: str | None = None, seed: int = 0) -> tuple:
    """Notebook 03's saved model when ``uri`` holds one, else a logistic regression fitted here.

    Taught in notebooks/04_gpu_training.ipynb (the MLlib baseline XGBoost is compared with).
    Returns ``(PipelineModel, where it came from, training seconds or None)``.
    """
    if uri:
        try:
            return load_model(uri), f"notebook 03's saved model ({uri})", None
        except ModelError:
            pass
    trained = train(train_df, "logistic_regression", folds=1, grid_size=1, seed=seed)
    return trained.model, "logistic regression trained here (notebook 03 not run)", trained.seconds
