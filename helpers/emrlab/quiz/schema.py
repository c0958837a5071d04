"""The pydantic models of quiz/bank/SCHEMA.md: one class per question type.

Taught in quiz/practice_exam.ipynb (through :func:`emrlab.quiz.bank.load_bank`, which reads the
YAML files and validates each question with these models). The models check structure
(fields, types, id shape, topic slugs, blueprint tasks); the semantic rules (key among options,
distractor explanations, references ...) belong to :mod:`emrlab.quiz.lint`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    field_validator,
    model_validator,
)

from emrlab.quiz.blueprint import BLUEPRINTS, TOPICS, blueprint

_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*-\d{3}[a-z]?$")
_LETTER_RE = re.compile(r"^[A-Z]$")
_TARGET_RE = re.compile(r"^[0-9]+$")


def _str_keys(value: Any) -> Any:
    """YAML reads ``1:`` as an int; the schema's keys and target ids are strings."""
    if isinstance(value, dict):
        return {
            str(k): (str(v) if isinstance(v, int) and not isinstance(v, bool) else v)
            for k, v in value.items()
        }
    return value


def _check_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(
            f"id {value!r} must look like <group>-<topic>-<nnn> (a sub-question may add a letter)"
        )
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Explanation(_Strict):
    """Why the key is right (``correct``) and why each wrong option is wrong (``distractors``)."""

    correct: str = Field(min_length=1)
    distractors: dict[str, str] = Field(default_factory=dict)

    @field_validator("distractors", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        return _str_keys(value or {})


class Domains(_Strict):
    """The blueprint task of a question per exam (``"1.3"``), or None when outside it."""

    mls_c01: str | None = None
    mla_c01: str | None = None

    @field_validator("mls_c01", "mla_c01", mode="before")
    @classmethod
    def _task(cls, value: Any, info) -> str | None:
        if value is None:
            return None
        text = f"{value:.1f}" if isinstance(value, float) else str(value)
        tasks = BLUEPRINTS[info.field_name.replace("_", "-")].tasks
        if text not in tasks:
            raise ValueError(f"{text!r} is not a task of {info.field_name}; use one of {tasks}")
        return text


class References(_Strict):
    """Documentation URLs and kit paths (notebook, lab or quiz section) behind a question."""

    docs: list[str] = Field(default_factory=list)
    kit: list[str] = Field(default_factory=list)


class _QuestionBase(_Strict):
    id: str
    stem: str = Field(min_length=1)
    options: dict[str, str]
    explanation: Explanation
    domains: Domains
    topics: list[str] = Field(min_length=1)
    difficulty: Literal["easy", "medium", "hard"]
    references: References | None = None

    _case_id: str | None = PrivateAttr(default=None)
    _scenario: str | None = PrivateAttr(default=None)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _check_id(value)

    @field_validator("options", mode="before")
    @classmethod
    def _options(cls, value: Any) -> Any:
        value = _str_keys(value)
        if isinstance(value, dict):
            bad = [k for k in value if not _LETTER_RE.match(k)]
            if bad:
                raise ValueError(f"option keys must be capital letters A, B, ...; got {bad}")
        return value

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in TOPICS]
        if unknown:
            raise ValueError(f"unknown topic(s) {unknown}; see the list in SCHEMA.md")
        return value

    @property
    def case_id(self) -> str | None:
        """The id of the case study this question belongs to, or None."""
        return self._case_id

    @property
    def scenario(self) -> str | None:
        """The case study's shared scenario text, or None."""
        return self._scenario

    def task(self, exam: str) -> str | None:
        """This question's task in ``exam``'s blueprint (e.g. ``"1.2"``), or None."""
        return getattr(self.domains, blueprint(exam).field)


class SingleQuestion(_QuestionBase):
    """Multiple choice: one key."""

    type: Literal["single"]
    answer: str


class MultipleQuestion(_QuestionBase):
    """Multiple response: ``choose`` keys, graded all-or-nothing."""

    type: Literal["multiple"]
    answer: list[str] = Field(min_length=1)
    choose: int = Field(ge=1)


class OrderingQuestion(_QuestionBase):
    """Put every step (option) in order; graded exactly."""

    type: Literal["ordering"]
    answer: list[str] = Field(min_length=2)


class MatchingQuestion(_QuestionBase):
    """Match each left item (option) to one target; graded exactly."""

    type: Literal["matching"]
    targets: dict[str, str]
    answer: dict[str, str]

    @field_validator("targets", "answer", mode="before")
    @classmethod
    def _keys(cls, value: Any, info) -> Any:
        value = _str_keys(value)
        if info.field_name == "targets" and isinstance(value, dict):
            bad = [k for k in value if not _TARGET_RE.match(k)]
            if bad:
                raise ValueError(f"target keys must be numbers 1, 2, ...; got {bad}")
        return value


SubQuestion = Annotated[
    SingleQuestion | MultipleQuestion | OrderingQuestion | MatchingQuestion,
    Field(discriminator="type"),
]
Item = SingleQuestion | MultipleQuestion | OrderingQuestion | MatchingQuestion


class CaseStudy(_Strict):
    """A shared scenario with 2-4 sub-questions, each graded on its own."""

    id: str
    type: Literal["case_study"]
    scenario: str = Field(min_length=1)
    questions: list[SubQuestion] = Field(min_length=2, max_length=4)
    references: References | None = None
    title: str | None = None
    topics: list[str] | None = None
    difficulty: Literal["easy", "medium", "hard"] | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _check_id(value)

    @model_validator(mode="after")
    def _inherit(self) -> CaseStudy:
        for sub in self.questions:
            if sub.references is None:
                sub.references = self.references
            sub._case_id = self.id
            sub._scenario = self.scenario
        return self


Question = Annotated[
    SingleQuestion | MultipleQuestion | OrderingQuestion | MatchingQuestion | CaseStudy,
    Field(discriminator="type"),
]


# Validates one question of any type, picked by its ``type`` field (pydantic's public API for a
# union that is not a model).
QUESTION_ADAPTER: TypeAdapter = TypeAdapter(Question)
