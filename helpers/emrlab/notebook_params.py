"""The rules for every notebook's parameters, declared once: types, ranges, choices, patterns.

Taught in notebooks/00_start_here.ipynb. A notebook's ``parameters`` cell holds plain literals
(what papermill injects into); its next cell calls :func:`check_parameters` with the notebook's
key, which checks the values against the rules here. ``emrlab run`` reads the same rules
(:func:`check_plan`) before the emulator or any kernel starts, so ``-p n_events=-5`` fails in
well under a second with a message naming the notebook, the parameter, the value and what is
allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from emrlab.exceptions import ParameterError
from emrlab.ml.gpu import DEVICES
from emrlab.ml.mllib import ALGORITHMS
from emrlab.notebooks import parameters
from emrlab.params import COMMON, Param, validate
from emrlab.sagemaker.channels import CONTENT_TYPES
from emrlab.sagemaker.resources import CONTAINER_VERSIONS

SEED = Param(int, min=0, max=2**31 - 1)
INSTANCE_TYPE = Param(str, pattern=r"[a-z][a-z0-9-]*\.[a-z0-9]+")
SAGEMAKER_INSTANCE = Param(str, choices=("ml.m5.large", "ml.m5.xlarge"))


def _common(*names: str) -> dict[str, Param]:
    return {name: COMMON[name] for name in names}


_QUIZ = dict(
    answers=Param(str, allow_empty=True),
    seed=SEED,
    exam=Param(str, choices=("mla-c01", "mls-c01")),
    domains=Param(str, allow_empty=True, pattern=r"[1-4](\.[1-5])?([ ,]+[1-4](\.[1-5])?)*"),
    n_questions=Param(int, min=1, max=65),
    progress_db=Param(str, allow_empty=True),
)

# key (the notebook's path without .ipynb; a lab's folder) -> {parameter: rule}
RULES: dict[str, dict[str, Param]] = {
    "notebooks/00_start_here": dict(
        **_common("mode", "acknowledge_costs", "region", "bucket"),
        n_rows=Param(int, min=10, max=10_000_000),
    ),
    "notebooks/01_emr_provisioning": dict(
        **_common("mode", "acknowledge_costs", "region", "bucket"),
        release_label=Param(str, pattern=r"emr-(spark-)?\d+\.\d+\.\d+"),
        primary_type=INSTANCE_TYPE, core_type=INSTANCE_TYPE, task_type=INSTANCE_TYPE,
        core_count=Param(int, min=1, max=20),
        task_count=Param(int, min=0, max=50),
        fleets=Param(bool),
        spot_task_nodes=Param(bool),
        idle_timeout=Param(int, min=60, max=604_800),
        n_orders=Param(int, min=10, max=1_000_000),
    ),
    "notebooks/02_spark_etl": dict(
        **_common("mode", "acknowledge_costs", "region"),
        n_events=Param(int, min=1_000, max=100_000_000),
        fault_rate=Param(float, min=0.0, max=0.5),
        codec=Param(str, choices=("snappy", "gzip", "zstd", "none")),
        partitions=Param(int, min=1, max=64),
        start_date=Param(str, pattern=r"\d{4}-\d{2}-\d{2}"),
        days=Param(int, min=1, max=31),
        seed=SEED,
    ),
    "notebooks/03_mllib": dict(
        **_common("mode", "acknowledge_costs", "region"),
        algorithm=Param(str, choices=(*ALGORITHMS, "all")),
        folds=Param(int, min=1, max=10),
        grid_size=Param(int, min=1, max=3),
        sample_fraction=Param(float, min=0.05, max=1.0),
        class_weighting=Param(bool),
        n_events=Param(int, min=1_000, max=10_000_000),
        seed=SEED,
        keep_model=Param(bool),
    ),
    "notebooks/04_gpu_training": dict(
        **_common("mode", "acknowledge_costs", "region"),
        device=Param(str, choices=DEVICES),
        rows=Param(int, min=0, max=100_000_000),
        workers=Param(int, min=1, max=64),
        rounds=Param(int, min=1, max=2000),
        processes=Param(int, min=1, max=8),
        epochs=Param(int, min=1, max=200),
        n_events=Param(int, min=1_000, max=10_000_000),
        seed=SEED,
    ),
    "notebooks/05_sagemaker_handoff": dict(
        **_common("mode", "acknowledge_costs", "region", "bucket"),
        content_type=Param(str, choices=tuple(CONTENT_TYPES)),
        container_version=Param(str, choices=tuple(CONTAINER_VERSIONS)),
        instance_type=SAGEMAKER_INSTANCE,
        training_instance_type=SAGEMAKER_INSTANCE,
        run_training_job=Param(bool),
        n_events=Param(int, min=1_000, max=1_000_000),
        seed=SEED,
    ),
    "labs/00_warmup": dict(
        **_common("mode", "acknowledge_costs", "region", "bucket"),
        n_orders=Param(int, min=10, max=100_000),
        seed=Param(int, min=0),
    ),
    "labs/01_emr_cluster_design": dict(
        **_common("mode", "acknowledge_costs", "region"),
        cost_ceiling_usd=Param(float, min=0.1, max=1000),
        hours=Param(float, min=0.05, max=24),
        runs_per_month=Param(int, min=1, max=31),
    ),
    "labs/02_etl_quarantine": dict(
        **_common("mode", "acknowledge_costs", "region"),
        n_events=Param(int, min=1_000, max=100_000),
        fault_rate=Param(float, min=0.0, max=0.5),
        seed=SEED,
    ),
    "labs/03_mllib_pipeline": dict(
        **_common("mode", "acknowledge_costs", "region"),
        n_events=Param(int, min=1_000, max=10_000_000),
        seed=SEED,
    ),
    "labs/04_gpu_xgboost": dict(
        **_common("mode", "acknowledge_costs", "region"),
        n_events=Param(int, min=1_000, max=10_000_000),
        seed=SEED,
        budget_usd_per_hour=Param(float, min=0.5, max=100),
    ),
    "labs/05_sagemaker_artifacts": dict(
        **_common("mode", "acknowledge_costs", "region", "bucket"),
        n_events=Param(int, min=1_000, max=1_000_000),
        seed=SEED,
    ),
    "quiz/emr_and_spark": _QUIZ,
    "quiz/ml_on_aws": _QUIZ,
    "quiz/practice_exam": _QUIZ,
    "quiz/review_missed": _QUIZ,
}


def key_of(path: Path, root: Path) -> str:
    """The key of a notebook file: ``notebooks/02_spark_etl``; a lab's copies share its folder."""
    rel = Path(path).resolve().relative_to(Path(root).resolve())
    if rel.parts[0] == "labs" and len(rel.parts) >= 3:
        return "/".join(rel.parts[:2])
    return rel.with_suffix("").as_posix()


def rules_for(key: str) -> dict[str, Param]:
    """The rules of one notebook.

    Raises
    ------
    ParameterError
        ``key`` names no notebook; the message lists the keys that exist.
    """
    try:
        return RULES[key]
    except KeyError:
        raise ParameterError(f"no parameter rules for {key!r}; known: {', '.join(RULES)}") from None


def check_parameters(key: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Check a notebook's parameter values (taken from ``namespace``, e.g. ``globals()``).

    Returns the values by name, so a notebook can keep them together.

    Raises
    ------
    ParameterError
        Each bad parameter with its value and what is allowed, or a parameter the notebook
        does not define.
    """
    rules = rules_for(key)
    missing = [name for name in rules if name not in namespace]
    if missing:
        raise ParameterError(f"{key}: parameter(s) {', '.join(missing)} are not defined; "
                             "run the parameters cell first")
    return validate({name: namespace[name] for name in rules}, **rules)


def check_plan(root: Path, plan: dict[Path, dict[str, Any]]) -> None:
    """Check every notebook's defaults with the ``-p`` values the runner will inject.

    Taught in README.md (running notebooks headless): ``emrlab run`` calls it before the emulator
    or any kernel starts. Notebooks outside the kit (no key here) get only the runner's type
    checks; the convention tests make sure every kit notebook has its rules here.

    Raises
    ------
    ParameterError
        One message listing, per notebook, every bad parameter.
    """
    problems = []
    for path, injected in plan.items():
        try:
            key = key_of(path, root)
        except ValueError:  # a notebook outside the kit
            continue
        if key not in RULES:
            continue
        declared = parameters(path)
        values = {name: _default(info) for name, info in declared.items()}
        values.update(injected)
        try:
            validate({name: values[name] for name in RULES[key] if name in values},
                     **{name: rule for name, rule in RULES[key].items() if name in values})
        except ParameterError as exc:
            problems.append(f"{key}: {exc}")
        undeclared = sorted(set(RULES[key]) - set(declared))
        if undeclared:
            problems.append(f"{key}: rules for {', '.join(undeclared)}, which its parameters "
                            "cell does not declare")
    if problems:
        raise ParameterError("\n".join(problems))


def _default(info: dict[str, Any]) -> Any:
    return ast.literal_eval(info["default"])
