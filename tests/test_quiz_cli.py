"""``emrlab quiz``: lint exit codes, piped answers to ``take``, stats and progress."""

import argparse
import io
import os
import subprocess
import sys

import pytest

from emrlab.cli import quiz as quizcli
from emrlab.cli.quiz import parse_line
from emrlab.exceptions import EmrlabError
from emrlab.quiz import bank as quizbank, sample as quizsample
from tests.conftest import ROOT
from tests.quiz_support import FIXTURE_BANK, find, fixture_bank, fixture_questions, write_bank


def emrlab_quiz_process(*args, stdin="", db=None, bank=FIXTURE_BANK):
    """``emrlab quiz ...`` in a child process, answers piped to its standard input."""
    env = {**os.environ, "EMRLAB_QUIZ_BANK": str(bank)}
    if db:
        env["EMRLAB_QUIZ_DB"] = str(db)
    return subprocess.run(
        [sys.executable, "-m", "emrlab.cli", "quiz", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def emrlab_quiz(*args, stdin="", db=None, bank=FIXTURE_BANK, monkeypatch, capsys):
    """The same in this process (fast): returns (exit status, stdout, stderr)."""
    monkeypatch.setenv("EMRLAB_QUIZ_BANK", str(bank))
    if db:
        monkeypatch.setenv("EMRLAB_QUIZ_DB", str(db))
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    parser = argparse.ArgumentParser()
    quizcli.add_arguments(parser)
    try:
        code = quizcli.main(parser.parse_args(list(args)))
    except EmrlabError as exc:  # what emrlab.cli.main turns into exit status 2
        print(exc, file=sys.stderr)
        code = 2
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def quiz(monkeypatch, capsys):
    return lambda *args, **kw: emrlab_quiz(*args, monkeypatch=monkeypatch, capsys=capsys, **kw)


def test_lint_passes_on_fixtures_and_fails_on_errors(tmp_path, quiz):
    code, out, _err = quiz("lint")
    assert code == 0, out
    assert "0 error(s)" in out and "by mla-c01 domain" in out and "by type:" in out
    questions = fixture_questions()
    find(questions, "fx-emr-001")["answer"] = "F"
    code, out, _err = quiz("lint", "--bank", str(write_bank(tmp_path, questions)))
    assert code == 1
    assert "ERROR   Q004 bank.yaml:fx-emr-001" in out


def test_take_reads_piped_answers(tmp_path, quiz):
    db = tmp_path / "p.sqlite3"
    items = quizsample.build_quiz(fixture_bank().questions, "mla-c01", n=4, seed=9)
    first = items[0]
    lines = [
        first.answer if isinstance(first.answer, str) else ",".join(first.answer),
        "",  # skip the second
        "Z9 nonsense",  # an invalid answer on a pipe counts as unanswered, no retry
    ]
    run = emrlab_quiz_process(
        "take", "--n", "4", "--seed", "9", stdin="\n".join(lines) + "\n", db=db
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.count("Question ") == 4 and f"Question 1 of 4 [{first.id}" in out
    assert f"{first.id}: correct" in out
    assert f"{items[1].id}: unanswered" in out
    assert "(counted as unanswered)" in out
    assert "score: 1/4 correct" in out and "MLA-C01 pass mark 720" in out
    code, out, _err = quiz("progress", db=db)
    assert "1 attempt(s)" in out and "3 question(s) due for review" in out
    assert "weak areas" in out and "study " in out
    code, out, _err = quiz("take", "--review", "--no-record", stdin="", db=db)
    assert code == 0 and "Question 1 of 3" in out


def test_take_filters_and_exam_mode(tmp_path, quiz):
    code, out, _err = quiz(
        "take",
        "--exam",
        "mls-c01",
        "--domains",
        "3",
        "--exam-mode",
        "--no-record",
        stdin="B\n",
        db=tmp_path / "p.sqlite3",
    )
    assert code == 0
    assert "Question 1 of 3" in out and "MLS-C01 pass mark 750" in out
    assert out.index("score:") > out.index("Question 3 of 3")  # feedback only at the end
    code, _out, err = quiz("take", "--topics", "emr-gpu", stdin="", db=tmp_path / "p.sqlite3")
    assert code == 2 and "no questions match" in err


def test_stats_counts(quiz):
    code, out, _err = quiz("stats")
    assert code == 0
    assert "11 question(s) in 1 file(s)" in out and "12 gradable question(s)" in out


def test_parse_line_forms():
    items = {i.id: i for i in quizbank.load_bank(FIXTURE_BANK).items()}
    assert parse_line(items["fx-emr-001"], " b \n") == "B"
    assert parse_line(items["fx-formats-001"], "a, d") == ["A", "D"]
    assert parse_line(items["fx-mllib-001"], "C A B D") == ["C", "A", "B", "D"]
    assert parse_line(items["fx-deploy-001"], "A=2, b:1 C->3") == {"A": "2", "B": "1", "C": "3"}
    assert parse_line(items["fx-emr-001"], "\n") is None
