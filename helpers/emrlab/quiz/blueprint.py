"""Exam blueprints and topic slugs: the facts behind quiz/bank/SCHEMA.md.

Taught in quiz/practice_exam.ipynb. Domain weights, tasks, pass marks, question counts and
times follow the public exam guides (re-check them before quoting): MLS-C01 180 minutes, pass
750; MLA-C01 130 minutes, pass 720; both 65 questions (50 scored, 15 unscored).
"""

from __future__ import annotations

from dataclasses import dataclass

from emrlab.exceptions import BankError

TOPICS = (
    "emr-architecture", "emr-lifecycle", "emr-storage", "emr-scaling-spot", "emr-cost",
    "emr-security", "emr-gpu", "spark-etl", "file-formats", "partitioning", "data-quality",
    "feature-engineering", "mllib", "model-evaluation", "hyperparameter-tuning", "algorithms",
    "deep-learning", "sagemaker-training", "sagemaker-deployment", "sagemaker-handoff",
    "glue-vs-emr", "streaming-ingestion", "data-stores", "orchestration", "monitoring",
    "ml-security", "responsible-ml", "eda",
)  # fmt: skip


@dataclass(frozen=True)
class Blueprint:
    """One exam's blueprint: domains with weights and tasks, length, time and pass mark.

    ``raw_cut`` is this kit's assumption of the raw fraction correct that maps to the pass
    mark (AWS does not publish its mapping; see :func:`emrlab.quiz.engine.scaled_score`).
    """

    code: str
    title: str
    domains: dict[str, tuple[str, float]]
    tasks: tuple[str, ...]
    questions: int
    minutes: int
    pass_mark: int
    raw_cut: float = 0.70

    @property
    def field(self) -> str:
        """The question field holding this exam's task (``mls_c01`` or ``mla_c01``)."""
        return self.code.replace("-", "_")


BLUEPRINTS: dict[str, Blueprint] = {
    "mls-c01": Blueprint(
        code="mls-c01",
        title="AWS Certified Machine Learning - Specialty (MLS-C01)",
        domains={
            "1": ("Data Engineering", 0.20),
            "2": ("Exploratory Data Analysis", 0.24),
            "3": ("Modeling", 0.36),
            "4": ("Machine Learning Implementation and Operations", 0.20),
        },
        tasks=tuple("1.1 1.2 1.3 2.1 2.2 2.3 3.1 3.2 3.3 3.4 3.5 4.1 4.2 4.3 4.4".split()),
        questions=65,
        minutes=180,
        pass_mark=750,
    ),
    "mla-c01": Blueprint(
        code="mla-c01",
        title="AWS Certified Machine Learning Engineer - Associate (MLA-C01)",
        domains={
            "1": ("Data Preparation for Machine Learning", 0.28),
            "2": ("ML Model Development", 0.26),
            "3": ("Deployment and Orchestration of ML Workflows", 0.22),
            "4": ("ML Solution Monitoring, Maintenance, and Security", 0.24),
        },
        tasks=tuple("1.1 1.2 1.3 2.1 2.2 2.3 3.1 3.2 3.3 4.1 4.2 4.3".split()),
        questions=65,
        minutes=130,
        pass_mark=720,
    ),
}


def blueprint(exam: str) -> Blueprint:
    """The blueprint of ``exam`` (``"mls-c01"`` or ``"mla-c01"``, any case, ``_`` allowed).

    Taught in quiz/practice_exam.ipynb.
    """
    code = str(exam).strip().lower().replace("_", "-")
    if code not in BLUEPRINTS:
        raise BankError(f"unknown exam {exam!r}; choose from {', '.join(BLUEPRINTS)}")
    return BLUEPRINTS[code]
