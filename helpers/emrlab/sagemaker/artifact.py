"""The SageMaker model artifact: a Spark-trained booster as ``model.tar.gz``, proven by round trip.

Taught in notebooks/05_sagemaker_handoff.ipynb (and labs/05_sagemaker_artifacts).

What SageMaker's built-in XGBoost container (versions 1.3-1 and later) expects, and why:

* ``model.tar.gz`` holding **one** file, ``xgboost-model``, at the archive root. The container
  extracts the archive into ``/opt/ml/model`` and loads *every* file there as a model (trying
  ``pickle`` first, then ``Booster.load_model``), so a side file in the archive breaks serving;
  the feature order goes into ``features.json`` *next to* the archive in S3 instead.
* The booster in XGBoost's **JSON** model format (:data:`MODEL_FORMAT`). Container 1.7-1 ships
  xgboost 1.7.x and 3.0-5 ships 3.0.5; every release since 1.0 loads JSON, whereas UBJSON (the
  default of ``save_model`` in xgboost 2+) needs 1.6 or later. JSON is also readable in a
  diff. No pickle: a pickle ties the artifact to one Python and xgboost version, and loading
  one runs code.
* No feature names in the booster: the container builds an unnamed matrix from CSV rows.

:func:`round_trip` is the proof: download the archive, extract it like the container does,
load it with plain xgboost and compare its predictions with the Spark model's on held-out rows.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from emrlab.exceptions import ArtifactError

if TYPE_CHECKING:
    import xgboost
    from numpy.typing import ArrayLike

    # what load_booster accepts: a Booster, a model file's path, or model bytes
    BoosterSource = xgboost.Booster | str | Path | bytes | bytearray

MODEL_FILE = "xgboost-model"
ARCHIVE = "model.tar.gz"
FEATURES_FILE = "features.json"
MODEL_FORMAT = "json"
TOLERANCE = 1e-6


def _xgb():
    import xgboost

    return xgboost


def load_booster(source: BoosterSource) -> xgboost.Booster:
    """A ``xgboost.Booster`` from a Booster, a model file path or model bytes."""
    xgb = _xgb()
    if isinstance(source, xgb.Booster):
        return source
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        path = Path(cast("str | Path", source))  # a Booster returned above (lazy xgboost is untyped)
        if not path.is_file():
            raise ArtifactError(f"no booster file at {str(path)!r}")
        data = path.read_bytes()
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(data))  # bytes: format detected from content, no warning
    except xgb.core.XGBoostError as exc:
        raise ArtifactError(f"{source!r} is not an XGBoost model: {exc}") from exc
    return booster


def model_bytes(booster: BoosterSource) -> bytes:
    """The booster in :data:`MODEL_FORMAT`, without feature names or types."""
    clean = load_booster(bytearray(load_booster(booster).save_raw(raw_format="json")))
    clean.feature_names = None
    clean.feature_types = None
    return bytes(clean.save_raw(raw_format=MODEL_FORMAT))


def package(booster: BoosterSource, out_dir: str | Path) -> Path:
    """Write ``out_dir/model.tar.gz`` holding only ``xgboost-model`` (JSON) at its root.

    Taught in notebooks/05_sagemaker_handoff.ipynb and labs/05_sagemaker_artifacts.

    Parameters
    ----------
    booster : xgboost.Booster, path or bytes
        E.g. the path :func:`emrlab.ml.xgbspark.ensure_booster` returns.
    out_dir : path
        Folder for the archive (created).
    """
    data = model_bytes(booster)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / ARCHIVE
    info = tarfile.TarInfo(MODEL_FILE)
    info.size, info.mode, info.mtime = len(data), 0o644, 0  # same bytes in, same archive out
    with tarfile.open(target, "w:gz") as tar:
        tar.addfile(info, io.BytesIO(data))
    return target


def read_archive(data: bytes) -> bytes:
    """The ``xgboost-model`` bytes of an archive; ArtifactError unless it is the only file."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
            names = [m.name for m in members]
            if names != [MODEL_FILE]:
                raise ArtifactError(f"model.tar.gz must hold exactly one file, {MODEL_FILE!r} at "
                                    f"its root; it holds {names} (the container loads every "
                                    "file it finds as a model)")
            model = tar.extractfile(members[0])
            assert model is not None  # a regular file (isfile above)
            return model.read()
    except (tarfile.TarError, OSError) as exc:
        raise ArtifactError(f"not a gzip-compressed tar archive: {exc}") from exc


def fetch(uri: str | Path) -> bytes:
    """The bytes of ``s3://bucket/key`` (this mode's S3) or of a local file."""
    uri = str(uri)
    if uri.startswith("s3://"):
        from emrlab.aws import client

        bucket, key = uri[5:].split("/", 1)
        return client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    path = Path(uri)
    if not path.is_file():
        raise ArtifactError(f"no artifact at {uri!r}")
    return path.read_bytes()


def load_artifact(uri: str | Path) -> xgboost.Booster:
    """Load a ``model.tar.gz`` (S3 or local) the way the container does; returns the Booster."""
    return load_booster(read_archive(fetch(uri)))


def upload(archive: str | Path, features, lake=None, name: str = "xgboost") -> str:
    """Upload the archive and ``features.json`` to ``s3://<bucket>/models/sagemaker/<name>/``.

    Taught in notebooks/05_sagemaker_handoff.ipynb. Returns the archive's S3 URI (the
    ``ModelDataUrl`` of CreateModel).
    """
    from emrlab.aws import client
    from emrlab.etl import Lake

    lake = lake or Lake()
    uri = lake.s3_uri("models", "sagemaker", name, ARCHIVE)
    bucket, key = uri[5:].split("/", 1)
    s3 = client("s3")
    s3.upload_file(str(archive), bucket, key, ExtraArgs={"ContentType": "application/x-gzip"})
    meta = {"features": list(features), "format": MODEL_FORMAT, "label_column": "none (CSV "
            "inference rows hold the features only)", "xgboost": _xgb().__version__}
    s3.put_object(Bucket=bucket, Key=key.rsplit("/", 1)[0] + "/" + FEATURES_FILE,
                  Body=json.dumps(meta, indent=2).encode(), ContentType="application/json")
    return uri


def predict(booster: BoosterSource, rows: ArrayLike) -> np.ndarray:
    """Scores of ``rows`` (2-D, features in model order) as float64."""
    xgb = _xgb()
    matrix = xgb.DMatrix(np.asarray(rows, dtype=np.float32))
    return load_booster(booster).predict(matrix).astype(np.float64)


@dataclass
class RoundTrip:
    """The outcome of :func:`round_trip`."""

    uri: str
    rows: int
    max_abs_diff: float
    predictions: np.ndarray

    @property
    def ok(self) -> bool:
        return self.max_abs_diff < TOLERANCE

    def __str__(self) -> str:
        verdict = "OK" if self.ok else "FAILED"
        return (f"round trip of {self.uri}: {self.rows} held-out rows, max |difference| "
                f"{self.max_abs_diff:.3g} (must be < {TOLERANCE:g}): {verdict}")


def round_trip(uri: str | Path, rows, reference, check: bool = True) -> RoundTrip:
    """Download, extract and load the artifact; compare its predictions with ``reference``.

    Taught in notebooks/05_sagemaker_handoff.ipynb and labs/05_sagemaker_artifacts.

    Parameters
    ----------
    uri : str or path
        The archive (``s3://`` in this mode's S3, or a local path).
    rows : array-like
        Held-out feature rows in model order.
    reference : array-like
        The Spark model's positive-class probabilities for ``rows``.
    check : bool
        Raise when the difference is not below :data:`TOLERANCE`.

    Raises
    ------
    ArtifactError
        The archive is malformed, sizes differ, or (``check``) the predictions differ.
    """
    rows = np.asarray(rows, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64).ravel()
    if rows.ndim != 2 or len(rows) == 0 or len(rows) != len(reference):
        raise ArtifactError(f"rows (shape {rows.shape}) and reference ({len(reference)} values) "
                            "must describe the same non-empty set of held-out rows")
    with tempfile.TemporaryDirectory(prefix="emrlab-artifact-") as tmp:
        # Extract to a folder and load the file by name, as the container does.
        model_dir = Path(tmp)
        (model_dir / MODEL_FILE).write_bytes(read_archive(fetch(uri)))
        booster = load_booster(model_dir / MODEL_FILE)
    if booster.num_features() != rows.shape[1]:
        raise ArtifactError(f"the model expects {booster.num_features()} features; rows have "
                            f"{rows.shape[1]}")
    got = predict(booster, rows)
    result = RoundTrip(str(uri), len(rows), float(np.max(np.abs(got - reference))), got)
    if check and not result.ok:
        raise ArtifactError(str(result))
    return result
