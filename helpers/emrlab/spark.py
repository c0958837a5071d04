"""The Spark session: local Spark with EMR-like defaults, or the cluster's own on EMR.

Taught in notebooks/00_start_here.ipynb.

Locally, :func:`session` starts ``local[*]`` once per kernel with the settings that make a
small machine behave and a notebook stay clean: the kernel's own interpreter for Python
workers, a UTC session time zone, few shuffle partitions, no console progress bar and a log4j2
file that keeps the JVM quiet. On an EMR cluster (or in EMR Studio) the same call returns the
cluster's session, so notebook cells do not change between modes.
"""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from emrlab import config, java as java_rt
from emrlab.exceptions import SparkStartError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# EMR writes this file on every cluster node; its presence means "we are on EMR".
EMR_MARKER = Path("/mnt/var/lib/info/job-flow.json")

DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",  # dates must not move with the laptop's zone
    "spark.sql.shuffle.partitions": "4",  # 200 (Spark's default) is slow on 2 cores
    "spark.sql.adaptive.enabled": "true",  # EMR's default too
    "spark.ui.showConsoleProgress": "false",  # progress bars break notebook outputs
    "spark.ui.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.memory": "2g",
    "spark.sql.parquet.compression.codec": "snappy",
}

_session = None


def on_emr() -> bool:
    """True when this code runs on an Amazon EMR cluster node."""
    return EMR_MARKER.exists()


def conf_dir() -> Path:
    """The bundled Spark configuration directory (quiet log4j2 settings)."""
    return Path(str(resources.files("emrlab") / "data" / "spark-conf"))


def local_conf(work_dir: Path, **overrides: str) -> dict[str, str]:
    """The configuration :func:`session` uses locally, with ``overrides`` applied."""
    conf = dict(DEFAULTS)
    conf.update(
        {
            "spark.master": os.environ.get("EMRLAB_SPARK_MASTER", "local[*]"),
            "spark.local.dir": str(work_dir / "spark" / "tmp"),
            "spark.sql.warehouse.dir": str(work_dir / "spark" / "warehouse"),
            "spark.driver.extraJavaOptions": f"-Dderby.system.home={work_dir / 'spark'}",
        }
    )
    if os.environ.get("EMRLAB_SPARK_UI"):
        conf["spark.ui.enabled"] = "true"
    conf.update({k: str(v) for k, v in overrides.items()})
    return conf


def prepare_env() -> java_rt.JavaRuntime:
    """Set the environment a local Spark needs (Java, interpreter, quiet logs)."""
    jre = java_rt.runtime()
    os.environ["JAVA_HOME"] = str(jre.home)
    os.environ["PYSPARK_PYTHON"] = sys.executable  # or workers miss the kernel's packages
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["SPARK_CONF_DIR"] = str(conf_dir())
    return jre


def session(app_name: str = "emrlab", **conf: str) -> SparkSession:
    """The kernel's SparkSession, started on first call and reused afterwards.

    Taught in notebooks/00_start_here.ipynb.

    Parameters
    ----------
    app_name : str
        Spark application name.
    **conf : str
        Extra Spark settings, given with dots replaced by ``__``
        (``spark__sql__shuffle__partitions="8"``) or as a dict via ``**{"spark.x": "y"}``.

    Raises
    ------
    SparkStartError
        Spark could not start (the message says why and how to fix it).
    """
    global _session
    if _session is not None and _session.sparkContext._jsc is not None:
        return _session
    from pyspark.sql import SparkSession

    overrides = {k.replace("__", "."): v for k, v in conf.items()}
    if on_emr():
        builder = SparkSession.builder.appName(app_name)
        for key, value in overrides.items():
            builder = builder.config(key, value)
        _session = builder.getOrCreate()
        return _session
    prepare_env()
    work_dir = config.current().work_dir
    builder = SparkSession.builder.appName(app_name)
    for key, value in local_conf(work_dir, **overrides).items():
        builder = builder.config(key, value)
    try:
        _session = builder.getOrCreate()
    except Exception as exc:  # py4j/pyspark raise several unrelated types here
        raise SparkStartError(
            f"local Spark did not start ({type(exc).__name__}: {exc}). "
            "Run `emrlab doctor` to check Java and pyspark."
        ) from exc
    _session.sparkContext.setLogLevel("ERROR")
    return _session


def stop() -> None:
    """Stop the kernel's SparkSession, if one is running."""
    global _session
    if _session is not None:
        _session.stop()
        _session = None
