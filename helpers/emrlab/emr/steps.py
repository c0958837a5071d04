"""EMR steps for the kit's own scripts: stage code in S3, build spark-submit arguments.

Taught in notebooks/01_emr_provisioning.ipynb.

A Spark step on EMR is ``command-runner.jar`` with ``Args: ["spark-submit", ...]``; the script
and any Python code it imports must be in S3. :func:`stage` uploads a script and (optionally)
a zip of the ``emrlab`` package for ``--py-files``; :func:`spark_step` builds the step. The
same steps run on the local EMR, which downloads the code from the emulator's S3.

Note: importing ``emrlab`` on a real cluster also needs its dependencies there (e.g.
``platformdirs``, installed by a bootstrap action); the kit's bundled step scripts import
only pyspark.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from emrlab.exceptions import ParameterError
from emrlab.uris import is_s3_uri, local_path, split_s3

ACTIONS_ON_FAILURE = ("TERMINATE_CLUSTER", "CANCEL_AND_WAIT", "CONTINUE")
BUNDLED_STEPS = ("provisioning_demo.py",)


def bundled_script(name: str) -> Path:
    """The path of a step script shipped in ``emrlab/data/steps`` (e.g. ``provisioning_demo.py``).

    Raises
    ------
    ParameterError
        ``name`` is not one of :data:`BUNDLED_STEPS`.
    """
    if name not in BUNDLED_STEPS:
        raise ParameterError(f"step script {name!r} is not bundled; choose from {BUNDLED_STEPS}")
    return Path(str(resources.files("emrlab") / "data" / "steps" / name))


def package_zip() -> bytes:
    """A zip of the installed ``emrlab`` package (no caches), for ``--py-files``."""
    root = Path(str(resources.files("emrlab")))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                zf.write(path, Path("emrlab") / path.relative_to(root))
    return buf.getvalue()


def _s3_prefix(prefix: str) -> tuple[str, str]:

    if not is_s3_uri(prefix):
        raise ParameterError(f"prefix={prefix!r} must be an S3 URI like s3://bucket/code/")
    bucket, key = split_s3(prefix)
    return bucket, (key.rstrip("/") + "/") if key else ""


@dataclass
class StagedCode:
    """Where :func:`stage` put the code."""

    script_uri: str
    py_files: list[str] = field(default_factory=list)


def stage(script: str | Path, prefix: str, *, include_package: bool = False,
          client=None) -> StagedCode:
    """Upload ``script`` (and a zip of ``emrlab`` with ``include_package``) under ``prefix``.

    Taught in notebooks/01_emr_provisioning.ipynb.

    Raises
    ------
    ParameterError
        ``script`` does not exist or ``prefix`` is not an S3 URI.
    """
    from emrlab.aws import client as make_client

    path = Path(script)
    if not path.is_file():
        raise ParameterError(f"script={str(script)!r} is not a file")
    bucket, key = _s3_prefix(prefix)
    s3 = client or make_client("s3")
    s3.upload_file(str(path), bucket, key + path.name)
    staged = StagedCode(f"s3://{bucket}/{key}{path.name}")
    if include_package:
        s3.put_object(Bucket=bucket, Key=key + "emrlab.zip", Body=package_zip())
        staged.py_files.append(f"s3://{bucket}/{key}emrlab.zip")
    return staged


def spark_submit_args(script_uri: str, args=(), *, py_files=(), conf: dict | None = None,
                      deploy_mode: str = "cluster") -> list[str]:
    """``["spark-submit", ...]`` for command-runner.jar.

    Raises
    ------
    ParameterError
        ``deploy_mode`` is not client/cluster.
    """
    if deploy_mode not in ("client", "cluster"):
        raise ParameterError(f"deploy_mode={deploy_mode!r}: use 'client' or 'cluster'")
    out = ["spark-submit", "--deploy-mode", deploy_mode]
    for key, value in (conf or {}).items():
        out += ["--conf", f"{key}={value}"]
    if py_files:
        out += ["--py-files", ",".join(py_files)]
    return out + [script_uri, *[str(a) for a in args]]


def _check_action(action_on_failure: str) -> None:
    if action_on_failure not in ACTIONS_ON_FAILURE:
        raise ParameterError(f"action_on_failure={action_on_failure!r}; choose from "
                             f"{', '.join(ACTIONS_ON_FAILURE)}")


def command_step(name: str, args: list[str], *, action_on_failure: str = "CONTINUE") -> dict:
    """A ``command-runner.jar`` step running ``args`` (any command, e.g. ``["python", ...]``).

    Taught in notebooks/01_emr_provisioning.ipynb.
    """
    _check_action(action_on_failure)
    if not args:
        raise ParameterError("args must name a command, e.g. ['spark-submit', 's3://.../job.py']")
    return {"Name": name, "ActionOnFailure": action_on_failure,
            "HadoopJarStep": {"Jar": "command-runner.jar", "Args": [str(a) for a in args]}}


def spark_step(name: str, script_uri: str, args=(), *, py_files=(), conf: dict | None = None,
               action_on_failure: str = "CONTINUE", deploy_mode: str = "cluster") -> dict:
    """A Spark step: ``command-runner.jar spark-submit ... script_uri args``.

    Taught in notebooks/01_emr_provisioning.ipynb.
    """
    return command_step(name, spark_submit_args(script_uri, args, py_files=py_files, conf=conf,
                                                deploy_mode=deploy_mode),
                        action_on_failure=action_on_failure)


def delete_prefix(prefix: str, *, client=None) -> int:
    """Delete every object under the S3 ``prefix`` (a notebook's teardown); how many.

    Taught in notebooks/01_emr_provisioning.ipynb. In local mode the local lake's copy of the
    prefix (:func:`emrlab.uris.local_path`, where local steps wrote) goes too.

    Raises
    ------
    ParameterError
        ``prefix`` is not an S3 URI with a key (a whole bucket is never emptied).
    """
    from emrlab.aws import client as make_client

    bucket, key = _s3_prefix(prefix)
    if not key:
        raise ParameterError(f"prefix={prefix!r} names a whole bucket; give a key prefix")
    s3 = client or make_client("s3")
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=key) for o in page.get("Contents", [])]
    for i in range(0, len(keys), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]]})
    from emrlab import config

    if config.current().is_local:
        shutil.rmtree(local_path(prefix), ignore_errors=True)
    return len(keys)
