"""XGBoost on Spark (``xgboost.spark.SparkXGBClassifier``) and the booster handed to SageMaker.

Taught in notebooks/04_gpu_training.ipynb (and labs/04_gpu_xgboost); the booster is read by
notebooks/05_sagemaker_handoff.ipynb.

The booster's features (:data:`BOOSTER_FEATURES`, in this order) are the numeric session
columns of :data:`emrlab.ml.mllib.NUMERIC`, then one 0/1 column per device of
:data:`emrlab.etl.events.DEVICES` (``device_mobile``, ``device_desktop``, ``device_tablet``), then
one per country of :data:`emrlab.etl.events.COUNTRIES` (``country_DE`` ... ``country_IN``):
fixed vocabularies, so a CSV row for SageMaker's built-in XGBoost (no header, no label) is
built the same way anywhere. The booster has no feature names (SageMaker's container builds
an unnamed DMatrix from CSV); the order lives in ``booster.json`` next to it.

:func:`ensure_booster` (the contract the SageMaker notebook relies on) returns the local path of
``xgboost-model`` (``get_booster().save_model``, UBJSON), training it when missing. Beside it:

* ``heldout.csv``: the held-out users' rows, header ``label``, the :data:`BOOSTER_FEATURES`,
  ``spark_probability`` (what the Spark model predicted), for comparisons;
* ``booster.json``: feature order, metrics, versions, the data it was trained on.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import DataFrame, SparkSession, functions as F

from emrlab.etl import events
from emrlab.exceptions import DeviceError, ModelError
from emrlab.ml import mllib as ml, nettrain
from emrlab.ml.gpu import DeviceChoice

BOOSTER_FEATURES = (*ml.NUMERIC, *[f"device_{d}" for d in events.DEVICES],
                    *[f"country_{c}" for c in events.COUNTRIES])
BOOSTER_FILE, HELDOUT_FILE, META_FILE = "xgboost-model", "heldout.csv", "booster.json"


def add_booster_features(df: DataFrame) -> DataFrame:
    """Add the :data:`BOOSTER_FEATURES` as doubles and their vector ``features``.

    Taught in notebooks/04_gpu_training.ipynb.
    """
    cols = [F.col(c).cast("double").alias(c) for c in ml.NUMERIC]
    cols += [(F.col("device") == d).cast("double").alias(f"device_{d}") for d in events.DEVICES]
    cols += [(F.col("country") == c).cast("double").alias(f"country_{c}")
             for c in events.COUNTRIES]
    wide = df.select(F.col(ml.USER), F.col(ml.LABEL).cast("int").alias(ml.LABEL), *cols)
    return VectorAssembler(inputCols=list(BOOSTER_FEATURES), outputCol="features",
                           handleInvalid="keep").transform(wide)


def check_workers(spark: SparkSession, workers: int) -> None:
    """ModelError unless 1 <= workers <= the Spark task slots (barrier mode needs them all).

    Taught in notebooks/04_gpu_training.ipynb.
    """
    slots = spark.sparkContext.defaultParallelism
    if not 1 <= workers <= slots:
        raise ModelError(f"workers={workers} must be between 1 and the {slots} Spark task slot(s) "
                         "this session has (XGBoost runs all workers at once, in barrier mode)")


def quiet_logs() -> None:
    """Silence xgboost.spark's INFO lines (one per training and prediction step).

    Taught in notebooks/04_gpu_training.ipynb.
    """
    logging.getLogger("XGBoost-PySpark").setLevel(logging.WARNING)


def make_classifier(choice: DeviceChoice, workers: int = 2, rounds: int = 50, max_depth: int = 4,
                    scale_pos_weight: float = 1.0, seed: int = 0):
    """A ``SparkXGBClassifier`` on ``features``/``label`` for the chosen device.

    Taught in notebooks/04_gpu_training.ipynb and labs/04_gpu_xgboost.
    """
    from xgboost.spark import SparkXGBClassifier

    if choice.device == "cuda" and not nettrain.xgboost_has_cuda():
        raise DeviceError("a GPU is visible but the installed xgboost is a CPU build "
                          "(xgboost-cpu); install the CUDA build with pip install -e '.[gpu]' "
                          "or use device='cpu'")
    if rounds < 1 or max_depth < 1:
        raise ModelError(f"rounds={rounds} and max_depth={max_depth} must be >= 1")
    return SparkXGBClassifier(
        features_col="features", label_col=ml.LABEL, num_workers=workers, device=choice.device,
        n_estimators=rounds, max_depth=max_depth, tree_method="hist",
        learning_rate=0.1, scale_pos_weight=scale_pos_weight, random_state=seed, verbosity=0,
        verbose=False)


def train(train_df: DataFrame, choice: DeviceChoice, workers: int = 2, rounds: int = 50,
          max_depth: int = 4, seed: int = 0):
    """Fit SparkXGBClassifier on prepared rows (:func:`add_booster_features`); ``(model, s)``.

    Taught in notebooks/04_gpu_training.ipynb. ``scale_pos_weight`` is set to
    negatives/positives, the usual XGBoost answer to an imbalanced label.
    """
    check_workers(train_df.sparkSession, workers)
    counts = ml.label_counts(train_df)
    clf = make_classifier(choice, workers, rounds, max_depth, counts[0] / counts[1], seed)
    quiet_logs()
    started = time.perf_counter()
    model = clf.fit(train_df.repartition(workers))
    return model, time.perf_counter() - started


def heldout_frame(model, test_df: DataFrame) -> pd.DataFrame:
    """The test rows as pandas: label, :data:`BOOSTER_FEATURES`, the Spark model's probability.

    Taught in notebooks/04_gpu_training.ipynb.
    """
    from pyspark.ml.functions import vector_to_array

    scored = model.transform(test_df).withColumn(
        "spark_probability", vector_to_array(F.col("probability"))[1])
    return scored.select(ml.LABEL, *BOOSTER_FEATURES, "spark_probability").toPandas()


def booster_predict(booster_path: str, features: pd.DataFrame | np.ndarray) -> np.ndarray:
    """Positive-class probabilities from a saved booster with plain xgboost (no Spark).

    Taught in notebooks/04_gpu_training.ipynb; ``features`` must hold :data:`BOOSTER_FEATURES`
    in order (a DataFrame is reordered by name).
    """
    xgb = nettrain.require_xgboost()
    booster = xgb.Booster()
    with warnings.catch_warnings():  # "Unknown file format": the name has no extension
        warnings.simplefilter("ignore", UserWarning)
        booster.load_model(str(booster_path))
    if isinstance(features, pd.DataFrame):
        features = features[list(BOOSTER_FEATURES)].to_numpy(dtype=np.float32)
    return booster.predict(xgb.DMatrix(np.asarray(features, dtype=np.float32)))


def save(model, heldout: pd.DataFrame, folder: str | os.PathLike, meta: dict) -> str:
    """Write ``xgboost-model``, ``heldout.csv`` and ``booster.json`` atomically into ``folder``.

    Taught in notebooks/04_gpu_training.ipynb.

    Files are written to a temporary sibling folder first and moved into place, so a concurrent
    reader (another notebook calling :func:`ensure_booster`) never sees half a model.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".booster-", dir=folder.parent))
    with warnings.catch_warnings():  # "UBJSON as default": SageMaker wants this exact name
        warnings.simplefilter("ignore", UserWarning)
        model.get_booster().save_model(str(tmp / BOOSTER_FILE))
    heldout.to_csv(tmp / HELDOUT_FILE, index=False)
    import xgboost

    meta = {**meta, "features": list(BOOSTER_FEATURES), "label": ml.LABEL,
            "xgboost": xgboost.__version__, "format": "ubjson (Booster.save_model)"}
    (tmp / META_FILE).write_text(json.dumps(meta, indent=2, default=str))
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    try:
        os.replace(tmp, folder)
    except OSError:  # another process moved its copy in first: keep theirs
        shutil.rmtree(tmp, ignore_errors=True)
    return str(folder / BOOSTER_FILE)


def booster_folder(n_events: int = 20000, seed: int = 0, settings=None) -> Path:
    """The local folder of the booster for one training set (lake zone ``models``).

    Taught in notebooks/04_gpu_training.ipynb.
    """
    from emrlab.etl import Lake

    return Lake(settings).path("models", "xgboost", f"sessions-n{n_events}-s{seed}")


def ensure_booster(spark: SparkSession | None = None, n_events: int = 20000, seed: int = 0, rounds: int = 50,
                   workers: int = 1, device: str = "auto", force: bool = False) -> str:
    """The saved booster's local path, training and saving it first when missing.

    Taught in notebooks/04_gpu_training.ipynb; used by notebooks/05_sagemaker_handoff.ipynb.

    The held-out rows (``heldout.csv``) and the metadata (``booster.json``: feature order,
    metrics) sit in the same folder; see the module docstring. In AWS mode the folder is also
    uploaded to ``s3://<bucket>/models/xgboost/...``.

    Parameters
    ----------
    n_events, seed : int
        The training set (:func:`emrlab.etl.job.ensure_training_set` makes it when missing).
    rounds, workers : int
        Boosting rounds and XGBoost workers (Spark tasks).
    device : str
        ``auto``, ``cpu`` or ``cuda`` (see :func:`emrlab.ml.gpu.resolve_device`).
    force : bool
        Retrain even when a booster exists.
    """
    from emrlab import config
    from emrlab.etl import Lake
    from emrlab.ml import gpu

    choice = gpu.resolve_device(device)
    folder = booster_folder(n_events, seed)
    path = folder / BOOSTER_FILE
    settings = config.current()
    with Lake(settings).lock(f"booster-{folder.name}"):  # parallel notebooks train it once
        if path.exists() and (folder / META_FILE).exists() and not force:
            return str(path)
        if spark is None:
            from emrlab.spark import session

            spark = session()
        data = add_booster_features(ml.load_training(spark, None, n_events, seed))
        train_df, test_df = ml.split_by_user(data, seed=seed)
        model, seconds = train(train_df, choice, workers, rounds, seed=seed)
        heldout = heldout_frame(model, test_df)
        meta = {"n_events": n_events, "seed": seed, "rounds": rounds, "workers": workers,
                "device": choice.device, "train_s": round(seconds, 2),
                "heldout_rows": len(heldout),
                "heldout_auc": nettrain.auc(heldout[ml.LABEL], heldout["spark_probability"])}
        saved = save(model, heldout, folder, meta)
        if not settings.is_local:
            Lake(settings).upload(folder, "models", "xgboost", folder.name)
    return saved
