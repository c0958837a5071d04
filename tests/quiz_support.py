"""Shared helpers of the quiz tests: the fixture bank and planted variants of it."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from emrlab.quiz import bank as quizbank
from tests.conftest import ROOT

FIXTURE_BANK = ROOT / "tests" / "fixtures" / "quiz" / "bank"


def fixture_questions() -> list[dict]:
    """The fixture bank's questions as plain dicts (a fresh copy each call)."""
    return copy.deepcopy(yaml.safe_load((FIXTURE_BANK / "fixture_core.yaml").read_text()))


def find(questions: list[dict], qid: str) -> dict:
    """The dict of question ``qid`` (sub-questions of case studies included)."""
    for q in questions:
        if q["id"] == qid:
            return q
        for sub in q.get("questions", []):
            if sub["id"] == qid:
                return sub
    raise KeyError(qid)


def write_bank(directory: Path, questions: list[dict], name: str = "bank.yaml") -> Path:
    """Write ``questions`` as one bank file in ``directory``; return the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(yaml.safe_dump(questions, sort_keys=False))
    return directory


def fixture_bank() -> quizbank.Bank:
    """The loaded fixture bank."""
    return quizbank.load_bank(FIXTURE_BANK)


def items_by_id() -> dict:
    """Gradable fixture questions by id (not shuffled)."""
    return {item.id: item for item in fixture_bank().items()}
