"""The quiz notebooks: committed outputs never reveal a key; headless mode; nbval passes."""

import json
import re

import nbformat
import pytest

from emrlab import figures
from emrlab.quiz import (
    bank as quizbank,
    engine as quizengine,
    report as quizreport,
    sample as quizsample,
)
from tests.conftest import ROOT
from tests.quiz_support import FIXTURE_BANK, fixture_bank

QUIZ_NOTEBOOKS = sorted((ROOT / "quiz").glob("*.ipynb"))
NAMES = ["practice_exam.ipynb", "emr_and_spark.ipynb", "ml_on_aws.ipynb", "review_missed.ipynb"]
REVEALING = re.compile(r"answer key|your answer|correct answer|\bkey\s*[:=]|\bwhy:", re.I)


def _norm(text: str) -> str:
    return " ".join(str(text).split())


def output_text(nb) -> str:
    """Every output of every cell, plus any saved widget state, as one normalised string."""
    parts = [json.dumps(nb.metadata.get("widgets", {}))]
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            for value in out.get("data", {}).values():
                parts.append(value if isinstance(value, str) else json.dumps(value))
            parts.append(out.get("evalue", ""))
    return _norm(" ".join(parts))


def key_texts(item) -> list[str]:
    """Texts that would give the key away: explanations and the keyed options' texts."""
    texts = [item.explanation.correct, *item.explanation.distractors.values()]
    if item.type == "single":
        texts.append(item.options.get(item.answer, ""))
    elif item.type == "multiple":
        texts += [item.options.get(k, "") for k in item.answer]
    return [_norm(t) for t in texts if len(_norm(t)) >= 12]


def leaks(nb, items) -> list[str]:
    """Every way the outputs reveal a key of ``items``."""
    text = output_text(nb)
    found = [f"revealing phrase {m.group()!r}" for m in REVEALING.finditer(text)]
    for item in items:
        found += [f"{item.id}: {t[:50]!r}" for t in key_texts(item) if t in text]
    return found


def test_quiz_notebooks_exist():
    assert [p.name for p in QUIZ_NOTEBOOKS] == sorted(NAMES)


@pytest.mark.parametrize("path", QUIZ_NOTEBOOKS, ids=[p.name for p in QUIZ_NOTEBOOKS])
def test_committed_outputs_reveal_no_key(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "run quiz/refresh_outputs.py (counts missing)"
    assert any(c.outputs for c in code), "run quiz/refresh_outputs.py (outputs missing)"
    bank_dir = ROOT / "quiz" / "bank"
    bank = quizbank.load_bank(bank_dir, strict=False) if list(bank_dir.glob("*.yaml")) else None
    items = {item.id: item for item in (bank.items() if bank else [])}
    shown = shown_ids(nb)
    assert shown <= set(items), f"outputs show questions the bank lacks: {shown - set(items)}"
    # the questions shown first, then every other question of the bank
    ordered = [items[i] for i in sorted(shown)] + [v for k, v in items.items() if k not in shown]
    assert leaks(nb, ordered) == []


def shown_ids(nb) -> set[str]:
    """Ids listed in the quiz table that the notebooks print (quizreport.describe)."""
    row = re.compile(r"^(\S+)\s+(single|multiple|ordering|matching)\s", re.M)
    return {
        m.group(1)
        for cell in nb.cells
        for out in cell.get("outputs", [])
        for m in row.finditer(out.get("text", ""))
    }


def test_the_scan_catches_a_revealed_key():
    nb = nbformat.read(ROOT / "quiz" / "practice_exam.ipynb", as_version=4)
    items = quizsample.build_quiz(fixture_bank().questions, "mla-c01", n=3, seed=1)
    assert leaks(nb, items) == []
    blank = quizengine.grade(items, {}, "mla-c01")
    nb.cells[-1].outputs.append(
        nbformat.v4.new_output("stream", name="stdout", text=quizreport.report_text(blank))
    )
    assert leaks(nb, items) == []  # a report over blank answers shows no key
    answered = quizengine.grade(items, {items[0].id: items[0].answer}, "mla-c01")
    nb.cells[-1].outputs.append(
        nbformat.v4.new_output("stream", name="stdout", text=quizreport.report_text(answered))
    )
    assert any(items[0].id in leak for leak in leaks(nb, items))
    clean = nbformat.read(ROOT / "quiz" / "practice_exam.ipynb", as_version=4)
    clean.metadata["widgets"] = {"state": {"m": {"value": items[1].explanation.correct}}}
    assert any(items[1].id in leak for leak in leaks(clean, items))


@pytest.mark.notebook
def test_headless_mode_prints_a_graded_report(tmp_path, monkeypatch):
    import papermill

    monkeypatch.setenv("EMRLAB_QUIZ_BANK", str(FIXTURE_BANK))
    monkeypatch.setenv("EMRLAB_QUIZ_DB", str(tmp_path / "p.sqlite3"))
    items = quizsample.build_quiz(fixture_bank().questions, "mls-c01", n=5, seed=3)
    answers = {items[0].id: items[0].answer, items[1].id: items[1].answer}
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(ROOT / "quiz" / "practice_exam.ipynb"),
        str(out),
        cwd=str(ROOT / "quiz"),
        parameters={
            "answers": str(tmp_path / "answers.json"),
            "exam": "mls-c01",
            "n_questions": 5,
            "seed": 3,
        },
        progress_bar=False,
        kernel_name="python3",
    )
    nb = nbformat.read(out, as_version=4)
    text = output_text(nb)
    assert f"{items[0].id}: correct" in text and f"{items[2].id}: unanswered" in text
    assert "score: 2/5 correct" in text
    assert figures.read(nb)["score"] == (quizengine.scaled_score(2 / 5, "mls-c01"), "/1000")
    from emrlab.quiz import ProgressStore

    assert ProgressStore(tmp_path / "p.sqlite3").attempts()[0]["correct"] == 2

# nbval itself runs in `make test` (pytest --nbval quiz/ ...), not from here, so it runs once.
