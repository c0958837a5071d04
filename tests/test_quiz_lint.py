"""The bank linter: each rule catches a planted error; the real bank lints clean."""

from pathlib import Path

import pytest

from emrlab.quiz import lint as quizlint
from tests.conftest import ROOT
from tests.quiz_support import FIXTURE_BANK, find, fixture_questions, write_bank


def rules(findings, severity="error"):
    return {(f.rule, f.qid) for f in findings if f.severity == severity}


def lint_planted(tmp_path, plant) -> list:
    questions = fixture_questions()
    plant(questions)
    findings, _items = quizlint.lint(write_bank(tmp_path / "bank", questions), repo_root=tmp_path)
    return findings


def test_fixture_bank_is_clean():
    findings, items = quizlint.lint(FIXTURE_BANK, repo_root=ROOT)
    assert [f for f in findings if f.severity == "error"] == []
    assert len(items) == 12


def _set(qid, **changes):
    def plant(questions):
        find(questions, qid).update(changes)

    return plant


PLANTED = [
    ("Q001", "fx-eval-001", _set("fx-eval-001", difficulty="impossible")),
    ("Q002", "fx-eval-001", _set("fx-algo-001", id="fx-eval-001")),
    (
        "Q003",
        "fx-algo-001",
        lambda qs: find(qs, "fx-algo-001").update(stem=find(qs, "fx-eval-001")["stem"].upper()),
    ),
    ("Q004", "fx-emr-001", _set("fx-emr-001", answer="E")),
    ("Q004", "fx-formats-001", _set("fx-formats-001", answer=["A", "F"])),
    ("Q004", "fx-mllib-001", _set("fx-mllib-001", answer=["A", "B", "C"])),
    ("Q004", "fx-deploy-001", _set("fx-deploy-001", answer={"A": "2", "B": "1", "C": "9"})),
    ("Q005", "fx-formats-001", _set("fx-formats-001", choose=3)),
    (
        "Q005",
        "fx-emr-001",
        lambda qs: (
            find(qs, "fx-emr-001")["options"].pop("D")
            and find(qs, "fx-emr-001")["explanation"]["distractors"].pop("D")
        ),
    ),
    (
        "Q006",
        "fx-algo-001",
        lambda qs: find(qs, "fx-algo-001")["options"].update(D="None of the above"),
    ),
    (
        "Q007",
        "fx-spot-001",
        lambda qs: find(qs, "fx-spot-001")["explanation"]["distractors"].pop("B"),
    ),
    (
        "Q008",
        "fx-eval-001",
        lambda qs: find(qs, "fx-eval-001")["references"].update(
            docs=["https://example.com/blog/fraud-metrics"]
        ),
    ),
    (
        "Q009",
        "fx-eval-001",
        lambda qs: find(qs, "fx-eval-001")["references"].update(kit=["notebooks/99_missing.ipynb"]),
    ),
    ("Q009", "fx-quality-001", lambda qs: find(qs, "fx-quality-001")["references"].update(kit=[])),
]


@pytest.mark.parametrize(
    ("rule", "qid", "plant"), PLANTED, ids=[f"{r}-{q}" for r, q, _p in PLANTED]
)
def test_rule_catches_planted_error(tmp_path, rule, qid, plant):
    findings = lint_planted(tmp_path, plant)
    assert (rule, qid) in rules(findings), [str(f) for f in findings]


def test_case_study_sub_question_inherits_references(tmp_path):
    def plant(questions):
        find(questions, "fx-case-001")["references"] = {"docs": [], "kit": []}

    found = rules(lint_planted(tmp_path, plant))
    assert ("Q008", "fx-case-002") in found and ("Q009", "fx-case-002") in found
    assert ("Q008", "fx-case-003") not in found  # it has its own references


def test_kit_paths_existing_planned_fragments_and_quiz(tmp_path):
    (tmp_path / "labs" / "00_warmup").mkdir(parents=True)
    ok = [
        "notebooks/03_mllib.ipynb#evaluation",
        "labs/02_etl_quarantine/solution.ipynb",
        "labs/00_warmup",
        "quiz/anything.ipynb",
        "notebooks/05_sagemaker_handoff.ipynb",
    ]
    bad = ["notebooks/07_future.ipynb", "/abs/path", "../outside", "labs/09_other", ""]
    assert all(quizlint.kit_path_ok(p, tmp_path) for p in ok)
    assert not any(quizlint.kit_path_ok(p, tmp_path) for p in bad)


def _many_singles(questions, letter_for):
    template = find(questions, "fx-emr-001")
    extra = []
    for n in range(24):
        q = {**template, "id": f"fx-bulk-{n:03d}", "stem": f"Planted question number {n}?"}
        key = letter_for(n)
        q["answer"] = key
        q["explanation"] = {"correct": "x", "distractors": {k: "y" for k in "ABCD" if k != key}}
        extra.append(q)
    questions.extend(extra)


def test_key_position_balance(tmp_path):
    skewed = lint_planted(tmp_path / "a", lambda qs: _many_singles(qs, lambda n: "C"))
    assert ("Q010", "-") in rules(skewed)
    balanced = lint_planted(tmp_path / "b", lambda qs: _many_singles(qs, lambda n: "ABCD"[n % 4]))
    assert ("Q010", "-") not in rules(balanced) | rules(balanced, "warning")


def test_small_bank_key_skew_is_only_a_warning(tmp_path):
    def plant(questions):
        for q in questions:
            if q["type"] == "single":
                q["answer"], q["explanation"]["distractors"] = "A", {"B": "b", "C": "c", "D": "d"}

    findings = lint_planted(tmp_path, plant)
    assert ("Q010", "-") in rules(findings, "warning") and ("Q010", "-") not in rules(findings)


def test_domain_coverage(tmp_path):
    def plant(questions):
        for q in questions:
            for sub in [q, *q.get("questions", [])]:
                if (
                    "domains" in sub
                    and sub["domains"]["mls_c01"]
                    and sub["domains"]["mls_c01"][0] == "2"
                ):
                    sub["domains"]["mls_c01"] = "3.2"

    findings = lint_planted(tmp_path, plant)
    assert any(
        f.rule == "Q011" and "mls-c01 domain 2" in f.message and f.severity == "error"
        for f in findings
    )
    table = quizlint.coverage(quizlint.lint(FIXTURE_BANK)[1])
    assert table["mla-c01"]["1"] == (4, 4 / 12, 0.28)


def test_far_off_weight_is_a_warning(tmp_path):
    findings = lint_planted(tmp_path, lambda qs: _many_singles(qs, lambda n: "ABCD"[n % 4]))
    warnings = [f.message for f in findings if f.rule == "Q011" and f.severity == "warning"]
    assert any("mla-c01 domain 1" in m and "blueprint weight is 28%" in m for m in warnings)


def test_count_table_lists_types_domains_topics():
    table = quizlint.count_table(quizlint.lint(FIXTURE_BANK)[1])
    assert "12 gradable question(s)" in table
    assert "  single          9" in table and "  matching        1" in table
    assert "by mla-c01 domain" in table and "  mllib                       1" in table


REAL_BANK = ROOT / "quiz" / "bank"


def test_real_bank_lints_without_errors():
    files = sorted(Path(REAL_BANK).glob("*.yaml"))
    if len(files) < 1:
        pytest.skip("quiz/bank has no question files yet (*.yaml)")
    findings, items = quizlint.lint(REAL_BANK, repo_root=ROOT)
    errors = [str(f) for f in findings if f.severity == "error"]
    assert errors == [], "\n".join(errors[:50])
    assert items
