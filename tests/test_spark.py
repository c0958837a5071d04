"""The local Spark session: EMR-like defaults, quiet, one per kernel."""

import os
import subprocess
import sys

import pytest

from emrlab import spark


def test_local_conf_has_the_kits_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("EMRLAB_SPARK_MASTER", raising=False)
    conf = spark.local_conf(tmp_path, **{"spark.sql.shuffle.partitions": "8"})
    assert conf["spark.master"] == "local[*]"
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert conf["spark.sql.shuffle.partitions"] == "8"
    assert conf["spark.local.dir"].startswith(str(tmp_path))
    assert conf["spark.ui.showConsoleProgress"] == "false"


def test_bundled_log4j_config_is_quiet():
    text = (spark.conf_dir() / "log4j2.properties").read_text()
    assert "rootLogger.level = error" in text
    assert "org.apache.spark.api.python.PythonGatewayServer" in text


@pytest.mark.spark
def test_session_is_reused_uses_kernel_python_and_is_quiet(tmp_path):
    """Run in a fresh interpreter so stderr can be inspected: no JVM chatter at all."""
    code = (
        "import emrlab, os, sys\n"
        "emrlab.setup(work_dir=sys.argv[1])\n"
        "a = emrlab.spark.session(); b = emrlab.spark.session()\n"
        "print(a is b)\n"
        "print(a.conf.get('spark.sql.session.timeZone'))\n"
        "print(os.environ['PYSPARK_PYTHON'] == sys.executable)\n"
        "import pyspark.sql.functions as F\n"
        "print(a.range(100).select(F.sum('id')).first()[0])\n"
        "emrlab.spark.stop()\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, timeout=300, env=os.environ.copy())
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "UTC", "True", "4950"]
    noisy = [line for line in out.stderr.splitlines() if line.strip()]
    assert noisy == [], "Spark wrote to stderr:\n" + "\n".join(noisy[:20])
    assert (tmp_path / "spark").is_dir()
