"""The question bank loader: YAML files validated with the models of :mod:`emrlab.quiz.schema`.

Taught in quiz/practice_exam.ipynb. Every ``quiz/bank/*.yaml`` file holds a YAML list of
questions; :func:`load_bank` reads them all, validates each question with the schema models
and fails with a :class:`~emrlab.exceptions.BankError` naming the file and the question id.
The models check structure (fields, types, topic slugs, blueprint tasks); the semantic rules
(key among options, distractor explanations, references ...) belong to :mod:`emrlab.quiz.lint`.

The bank directory is, in order: the ``path`` argument, the ``EMRLAB_QUIZ_BANK`` environment
variable, or ``quiz/bank`` in the repository that holds this package.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from emrlab.exceptions import BankError
from emrlab.quiz.schema import QUESTION_ADAPTER, CaseStudy, Item

# libyaml's safe loader when PyYAML was built with it (about 10 times faster), else PyYAML's.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Bank:
    """The loaded bank: top-level questions in file order and where each came from.

    Attributes
    ----------
    path : pathlib.Path
        The bank directory.
    questions : list
        Top-level questions (case studies included as one entry each).
    files : dict
        Question id (sub-question ids too) -> the file it came from.
    problems : list of (file, question id, message)
        Schema problems found while loading with ``strict=False``.
    """

    path: Path
    questions: list = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    problems: list[tuple[Path, str, str]] = field(default_factory=list)

    def items(self) -> list[Item]:
        """All gradable questions: case studies replaced by their sub-questions."""
        return flatten(self.questions)

    def by_id(self) -> dict[str, Any]:
        """Every question (top-level and sub-question) by id."""
        found: dict[str, Any] = {}
        for question in self.questions:
            found[question.id] = question
            if isinstance(question, CaseStudy):
                found.update({sub.id: sub for sub in question.questions})
        return found


def flatten(questions: list) -> list[Item]:
    """Replace each case study by its sub-questions (which keep their scenario).

    Taught in quiz/practice_exam.ipynb.
    """
    items: list[Item] = []
    for question in questions:
        items.extend(question.questions if isinstance(question, CaseStudy) else [question])
    return items


def default_bank_dir() -> Path:
    """``EMRLAB_QUIZ_BANK`` if set, else the repository's ``quiz/bank``.

    Taught in quiz/practice_exam.ipynb.
    """
    env = os.environ.get("EMRLAB_QUIZ_BANK", "").strip()
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[3] / "quiz" / "bank"


def _describe(error: ValidationError) -> str:
    parts = []
    for err in error.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(question)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def parse_file(path: Path) -> tuple[list, list[tuple[Path, str, str]]]:
    """Validate one YAML file; return (questions, problems) without raising on bad questions.

    Taught in quiz/practice_exam.ipynb.
    """
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [], [(path, "-", f"cannot read YAML: {exc}")]
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [(path, "-", "the file must hold a YAML list of questions")]
    questions, problems = [], []
    for index, raw in enumerate(data):
        qid = str(raw.get("id", f"#{index + 1}")) if isinstance(raw, dict) else f"#{index + 1}"
        try:
            questions.append(QUESTION_ADAPTER.validate_python(raw))
        except ValidationError as exc:
            problems.append((path, qid, _describe(exc)))
    return questions, problems


def load_bank(path: str | Path | None = None, *, strict: bool = True) -> Bank:
    """Load and validate every ``*.yaml`` file of the bank directory.

    Taught in quiz/practice_exam.ipynb.

    Parameters
    ----------
    path : str or Path, optional
        The bank directory; default :func:`default_bank_dir`.
    strict : bool
        Raise on the first schema problem (default); with False, collect them in
        ``Bank.problems`` (the linter's mode).

    Returns
    -------
    Bank

    Raises
    ------
    BankError
        When the directory is missing, or (strict) a file or question breaks the schema or an
        id is used twice; the message names the file and the question id.
    """
    bank_dir = Path(path).expanduser() if path else default_bank_dir()
    if not bank_dir.is_dir():
        raise BankError(f"question bank directory {bank_dir} does not exist")
    bank = Bank(path=bank_dir)
    for file in sorted(bank_dir.glob("*.yaml")):
        questions, problems = parse_file(file)
        bank.problems.extend(problems)
        if strict and problems:
            f, qid, msg = problems[0]
            raise BankError(f"{f.name}: question {qid}: {msg}")
        for question in questions:
            ids = [question.id] + [s.id for s in getattr(question, "questions", [])]
            for qid in ids:
                if qid in bank.files:
                    msg = f"id already used in {bank.files[qid].name}"
                    if strict:
                        raise BankError(f"{file.name}: question {qid}: {msg}")
                    bank.problems.append((file, qid, msg))
                bank.files.setdefault(qid, file)
            bank.questions.append(question)
    return bank
