"""Evaluating binary classifiers trained on Spark: metrics, curves, importances, a comparison.

Taught in notebooks/03_mllib.ipynb and notebooks/04_gpu_training.ipynb (labs/03_mllib_pipeline).

Works on any predictions DataFrame with ``label``, ``probability`` (a vector whose second
entry is the positive class) and ``prediction``, which MLlib's classifiers and
``xgboost.spark.SparkXGBClassifier`` both produce. ROC AUC and PR AUC come from MLlib's
``BinaryClassificationEvaluator``; F1, precision and recall are for the positive class at the
model's own threshold; the curves are computed from the collected test scores (the test set of
one run is small).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame, functions as F

from emrlab.exceptions import ModelError


def positive_scores(predictions: DataFrame, label: str = "label",
                    probability: str = "probability", keys: list | None = None) -> pd.DataFrame:
    """``keys``, ``label`` and ``score`` (positive-class probability) of every row, as pandas.

    Taught in notebooks/03_mllib.ipynb.
    """
    return (predictions.select(*(keys or []), F.col(label).cast("int").alias("label"),
                               vector_to_array(F.col(probability))[1].alias("score"))
            .toPandas())


def confusion(predictions: DataFrame, label: str = "label") -> pd.DataFrame:
    """The 2x2 confusion matrix (rows: actual 0/1, columns: predicted 0/1).

    Taught in notebooks/03_mllib.ipynb.
    """
    counts = {(int(r[0]), int(r[1])): r[2] for r in
              predictions.groupBy(label, "prediction").count().collect()}
    return pd.DataFrame([[counts.get((a, p), 0) for p in (0, 1)] for a in (0, 1)],
                        index=pd.Index(["actual 0", "actual 1"]),
                        columns=["predicted 0", "predicted 1"])


def evaluate(predictions: DataFrame, label: str = "label") -> dict:
    """ROC AUC, PR AUC, F1, precision, recall, accuracy and the confusion matrix.

    Taught in notebooks/03_mllib.ipynb and labs/03_mllib_pipeline.

    Raises
    ------
    ModelError
        The predictions lack a needed column, or hold a single label class.
    """
    missing = [c for c in (label, "probability", "prediction") if c not in predictions.columns]
    if missing:
        raise ModelError(f"predictions lack column(s) {', '.join(missing)}")
    cm = confusion(predictions, label)
    tn, fp = cm.iloc[0, 0], cm.iloc[0, 1]
    fn, tp = cm.iloc[1, 0], cm.iloc[1, 1]
    if tp + fn == 0 or tn + fp == 0:
        raise ModelError(f"the evaluated rows hold a single class (confusion matrix {cm.values.tolist()})")
    out = {}
    metrics: tuple[tuple[str, Literal["areaUnderROC", "areaUnderPR"]], ...] = (
        ("roc_auc", "areaUnderROC"), ("pr_auc", "areaUnderPR"))
    for name, metric in metrics:
        out[name] = BinaryClassificationEvaluator(
            labelCol=label, rawPredictionCol="probability", metricName=metric).evaluate(predictions)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn)
    out.update(
        f1=2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        precision=precision, recall=recall, accuracy=(tp + tn) / cm.values.sum(),
        positives=int(tp + fn), rows=int(cm.values.sum()), confusion=cm)
    return out


def roc_pr_points(y, score) -> dict:
    """ROC (fpr, tpr) and precision-recall points of one score vector (NumPy only).

    Taught in notebooks/03_mllib.ipynb.
    """
    y, score = np.asarray(y), np.asarray(score, dtype=float)
    order = np.argsort(-score, kind="mergesort")
    y, score = y[order], score[order]
    last = np.r_[np.nonzero(np.diff(score))[0], len(y) - 1]  # one point per distinct score
    tp = np.cumsum(y)[last]
    fp = (last + 1) - tp
    pos, neg = max(y.sum(), 1), max(len(y) - y.sum(), 1)
    return {"fpr": np.r_[0, fp / neg], "tpr": np.r_[0, tp / pos],
            "recall": np.r_[0, tp / pos], "precision": np.r_[1, tp / (tp + fp)],
            "base_rate": y.mean()}


def curves_figure(scored: dict):
    """A matplotlib Figure with ROC and PR curves of several models.

    Taught in notebooks/03_mllib.ipynb.

    Parameters
    ----------
    scored : dict
        ``{model name: DataFrame with label and score}`` (see :func:`positive_scores`).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4))
    roc, pr = fig.subplots(1, 2)
    base = 0.0
    for name, frame in scored.items():
        pts = roc_pr_points(frame["label"], frame["score"])
        roc.plot(pts["fpr"], pts["tpr"], label=name)
        pr.step(pts["recall"], pts["precision"], where="post", label=name)
        base = pts["base_rate"]
    roc.plot([0, 1], [0, 1], "k:", label="chance")
    pr.axhline(base, color="k", linestyle=":", label=f"base rate {base:.2f}")
    roc.set(title="ROC curve", xlabel="false positive rate", ylabel="true positive rate")
    pr.set(title="Precision-recall curve", xlabel="recall", ylabel="precision", ylim=(0, 1.02))
    roc.legend(fontsize=8)
    pr.legend(fontsize=8)
    fig.tight_layout()
    return fig


def feature_names(model, sample: DataFrame, column: str = "features_raw") -> list[str]:
    """Names of the assembled features, read from the ML attribute metadata Spark keeps.

    Taught in notebooks/03_mllib.ipynb.
    """
    transformed = model.transform(sample.limit(1))
    if column not in transformed.columns:
        column = "features"
    attrs = transformed.schema[column].metadata.get("ml_attr", {}).get("attrs", {})
    pairs = [(a["idx"], a["name"]) for group in attrs.values() for a in group]
    return [name for _, name in sorted(pairs)]


def feature_importance(model, sample: DataFrame, top: int = 10) -> pd.DataFrame:
    """The ``top`` most important features of a fitted pipeline's classifier.

    Taught in notebooks/03_mllib.ipynb. Trees: ``featureImportances`` (gain share); logistic
    regression: the absolute coefficient on standardised features.
    """
    clf = model.stages[-1]
    if hasattr(clf, "featureImportances"):
        values, kind = clf.featureImportances.toArray(), "importance"
    elif hasattr(clf, "coefficients"):
        values, kind = np.abs(clf.coefficients.toArray()), "|coefficient|"
    else:
        raise ModelError(f"{type(clf).__name__} has neither featureImportances nor coefficients")
    names = feature_names(model, sample)
    if len(names) != len(values):
        names = [f"f{i}" for i in range(len(values))]
    frame = pd.DataFrame({"feature": names, kind: values})
    return frame.sort_values(kind, ascending=False).head(top).reset_index(drop=True)


def comparison(rows: list[dict]) -> pd.DataFrame:
    """A table of models: one dict per model with ``model`` and any metric columns.

    Taught in notebooks/03_mllib.ipynb and notebooks/04_gpu_training.ipynb.
    """
    keep = ["model", "roc_auc", "pr_auc", "f1", "precision", "recall", "train_s"]
    frame = pd.DataFrame([{k: r.get(k) for k in keep if k in r} for r in rows])
    return frame.set_index("model").round(4)
