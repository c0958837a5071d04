"""Loading and validating the question bank (quiz/bank/SCHEMA.md models)."""

import pytest

from emrlab.exceptions import BankError, EmrlabError
from emrlab.quiz import bank as quizbank
from tests.quiz_support import FIXTURE_BANK, find, fixture_bank, fixture_questions, write_bank


def test_fixture_bank_loads_every_type():
    bank = fixture_bank()
    types = {q.type for q in bank.questions}
    assert types == {"single", "multiple", "ordering", "matching", "case_study"}
    assert len(bank.questions) == 11 and len(bank.items()) == 12
    assert bank.files["fx-case-003"].name == "fixture_core.yaml"


def test_yaml_integer_keys_become_strings():
    matching = fixture_bank().by_id()["fx-deploy-001"]
    assert matching.targets["1"] == "Real-time endpoint"
    assert matching.answer == {"A": "2", "B": "1", "C": "3"}


def test_case_study_sub_questions_inherit_references_and_scenario():
    by_id = fixture_bank().by_id()
    inherited, own = by_id["fx-case-002"], by_id["fx-case-003"]
    assert inherited.references.kit == ["notebooks/05_sagemaker_handoff.ipynb"]
    assert own.references.kit == ["notebooks/01_emr_provisioning.ipynb"]
    assert inherited.case_id == "fx-case-001" and "retailer" in inherited.scenario


def test_schema_error_names_file_and_question(tmp_path):
    questions = fixture_questions()
    find(questions, "fx-eval-001")["topics"] = ["not-a-topic"]
    write_bank(tmp_path, questions, "ml_bad.yaml")
    with pytest.raises(BankError, match=r"ml_bad\.yaml: question fx-eval-001: .*not-a-topic"):
        quizbank.load_bank(tmp_path)


def test_unknown_task_and_extra_field_are_schema_errors(tmp_path):
    questions = fixture_questions()
    find(questions, "fx-emr-001")["domains"]["mla_c01"] = "3.5"  # MLA-C01 has no task 3.5
    find(questions, "fx-algo-001")["explaination"] = "typo"
    bank = quizbank.load_bank(write_bank(tmp_path, questions), strict=False)
    problems = {qid: msg for _f, qid, msg in bank.problems}
    assert "3.5" in problems["fx-emr-001"]
    assert "explaination" in problems["fx-algo-001"]


def test_duplicate_id_across_files(tmp_path):
    questions = fixture_questions()
    write_bank(tmp_path, questions, "a.yaml")
    write_bank(tmp_path, [questions[0]], "b.yaml")
    with pytest.raises(
        BankError, match=r"b\.yaml: question fx-emr-001: id already used in a\.yaml"
    ):
        quizbank.load_bank(tmp_path)


def test_bad_yaml_and_missing_dir(tmp_path):
    (tmp_path / "broken.yaml").write_text("- id: [unclosed\n")
    with pytest.raises(BankError, match=r"broken\.yaml"):
        quizbank.load_bank(tmp_path)
    with pytest.raises(EmrlabError, match="does not exist"):
        quizbank.load_bank(tmp_path / "nope")


def test_default_dir_is_repo_bank_and_env_overrides(monkeypatch):
    monkeypatch.delenv("EMRLAB_QUIZ_BANK", raising=False)
    assert quizbank.default_bank_dir().parts[-2:] == ("quiz", "bank")
    monkeypatch.setenv("EMRLAB_QUIZ_BANK", str(FIXTURE_BANK))
    assert quizbank.load_bank().path == FIXTURE_BANK


def test_schema_md_is_not_loaded(tmp_path):
    write_bank(tmp_path, fixture_questions())
    (tmp_path / "SCHEMA.md").write_text("- id: not yaml questions\n")
    assert len(quizbank.load_bank(tmp_path).questions) == 11
