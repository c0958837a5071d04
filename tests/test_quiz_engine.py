"""Grading rules, scaled scores, answer errors, shuffling and blueprint-weighted sampling."""

import json
from collections import Counter

import pytest

from emrlab.exceptions import AnswerError, QuizError
from emrlab.quiz import engine as quizengine, sample as quizsample
from tests.quiz_support import fixture_bank, items_by_id

ITEMS = items_by_id()


def grade_one(qid, value, exam="mla-c01"):
    return quizengine.grade_item(ITEMS[qid], value, exam)


def test_single_answer():
    assert grade_one("fx-emr-001", "C").correct
    assert grade_one("fx-emr-001", "c").correct  # letters are case-insensitive
    wrong = grade_one("fx-emr-001", "B")
    assert not wrong.correct and wrong.key == "C"
    assert wrong.why_wrong == [
        "B: Core nodes run HDFS DataNodes; shrinking them moves or loses blocks."
    ]
    assert wrong.docs and wrong.kit == ["notebooks/01_emr_provisioning.ipynb"]


def test_multiple_response_is_all_or_nothing():
    assert grade_one("fx-formats-001", ["D", "A"]).correct  # order does not matter
    assert not grade_one("fx-formats-001", ["A"]).correct  # partly right is wrong
    assert not grade_one("fx-formats-001", ["A", "D", "B"]).correct  # one too many is wrong
    result = grade_one("fx-formats-001", ["A", "B"])
    assert not result.correct
    assert [w[:2] for w in result.why_wrong] == ["B:"]  # only the wrong pick is explained


def test_ordering_is_exact():
    assert grade_one("fx-mllib-001", ["A", "B", "C", "D"]).correct
    swapped = grade_one("fx-mllib-001", ["A", "C", "B", "D"])
    assert not swapped.correct and "assembler" in swapped.why_wrong[0]


def test_matching_is_exact():
    assert grade_one("fx-deploy-001", {"A": "2", "B": "1", "C": "3"}).correct
    assert grade_one("fx-deploy-001", {"a": 2, "B": "1", "C": "3"}).correct  # ints are fine
    assert not grade_one("fx-deploy-001", {"A": "2", "B": "1", "C": "4"}).correct
    assert not grade_one("fx-deploy-001", {"A": "2", "B": "1"}).correct  # incomplete


def test_case_study_sub_questions_are_graded_individually():
    bank = fixture_bank()
    case = bank.by_id()["fx-case-001"]
    result = quizengine.grade([case], {"fx-case-002": "B", "fx-case-003": "A"})
    assert [(r.id, r.correct) for r in result.results] == [
        ("fx-case-002", True),
        ("fx-case-003", False),
    ]
    with pytest.raises(AnswerError, match="fx-case-001 is a case study"):
        quizengine.grade([case], {"fx-case-001": "B"})


def test_unanswered_counts_as_wrong_and_reveals_nothing():
    result = quizengine.grade(list(ITEMS.values()), {"fx-emr-001": "C", "fx-eval-001": ""})
    assert result.correct == 1 and result.total == 12
    blank = next(r for r in result.results if r.id == "fx-eval-001")
    assert not blank.answered and not blank.correct
    from emrlab.quiz import feedback_text

    assert "key" not in feedback_text(blank) and "precision" not in feedback_text(blank).lower()


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"nope-001": "A"}, "nope-001: no question"),
        ({"fx-emr-001": "Z"}, r"fx-emr-001: option\(s\) \['Z'\] do not exist"),
        ({"fx-emr-001": ["A", "B"]}, "fx-emr-001: a single answer is one letter"),
        ({"fx-formats-001": {"A": 1}}, "fx-formats-001: a multiple answer"),
        ({"fx-formats-001": ["A", "A"]}, "fx-formats-001: option chosen twice"),
        ({"fx-mllib-001": 3}, "fx-mllib-001: a ordering answer"),
        ({"fx-deploy-001": ["A"]}, "fx-deploy-001: a matching answer"),
        (
            {"fx-deploy-001": {"A": "9"}},
            r"fx-deploy-001: unknown item\(s\) \[\] or target\(s\) \['9'\]",
        ),
    ],
)
def test_answer_errors_name_the_question(answers, message):
    with pytest.raises(AnswerError, match=message):
        quizengine.grade(list(ITEMS.values()), answers)


def test_answers_from_json_text_and_file(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"fx-emr-001": "C"}))
    assert quizengine.load_answers(str(path)) == {"fx-emr-001": "C"}
    assert quizengine.load_answers('{"fx-emr-001": "C"}') == {"fx-emr-001": "C"}
    assert quizengine.load_answers("") == {}
    with pytest.raises(AnswerError, match="neither JSON nor an existing"):
        quizengine.load_answers("missing.json")
    (tmp_path / "list.json").write_text("[1]")
    with pytest.raises(AnswerError, match="JSON object"):
        quizengine.load_answers(str(tmp_path / "list.json"))
    with pytest.raises(AnswerError, match="not valid JSON"):
        quizengine.load_answers("{oops")


@pytest.mark.parametrize(
    ("raw", "exam", "expected"),
    [
        (0.0, "mls-c01", 100),
        (0.70, "mls-c01", 750),
        (1.0, "mls-c01", 1000),
        (0.85, "mls-c01", 875),
        (0.35, "mls-c01", 425),
        (0.0, "mla-c01", 100),
        (0.70, "mla-c01", 720),
        (1.0, "mla-c01", 1000),
        (0.85, "mla-c01", 860),
        (1.5, "mla-c01", 1000),
        (-1, "mla-c01", 100),
    ],
)
def test_scaled_score_piecewise_linear(raw, exam, expected):
    assert quizengine.scaled_score(raw, exam) == expected


def test_pass_marks_and_breakdowns():
    items = list(ITEMS.values())
    keys = {i.id: i.answer for i in items}
    result = quizengine.grade(items, keys, "mls-c01")
    assert result.scaled == 1000 and result.passed and result.pass_mark == 750
    assert result.by_domain["-"].total == 1  # fx-orch-001 is outside MLS-C01
    assert sum(b.total for b in result.by_domain.values()) == 12
    almost = dict(keys)
    for qid in ("fx-emr-001", "fx-eval-001", "fx-algo-001", "fx-spot-001"):
        almost.pop(qid)
    result = quizengine.grade(items, almost, "mla-c01")  # 8/12 = 66.7 %
    assert result.scaled == 100 + round(620 * (8 / 12) / 0.7) and not result.passed
    assert result.by_domain["1"].correct == 3 and result.by_domain["1"].total == 4
    assert result.by_topic["emr-architecture"].percent == 0.0


def test_shuffle_remaps_the_key_for_every_type():
    for seed in range(6):
        for item in ITEMS.values():
            shuffled = quizsample.shuffle_item(item, seed)
            # the same option texts, relabelled A, B, ... in shown order
            assert sorted(shuffled.options.values()) == sorted(item.options.values())
            assert list(shuffled.options) == [chr(65 + i) for i in range(len(item.options))]
            original = quizengine.grade_item(item, item.answer)
            moved = quizengine.grade_item(shuffled, shuffled.answer)
            assert original.correct and moved.correct
            if item.type == "single":
                assert shuffled.options[shuffled.answer] == item.options[item.answer]
                for key, text in shuffled.explanation.distractors.items():
                    old = next(k for k, v in item.options.items() if v == shuffled.options[key])
                    assert item.explanation.distractors[old] == text
            if item.type == "matching":
                assert {item.options[k]: item.targets[v] for k, v in item.answer.items()} == {
                    shuffled.options[k]: shuffled.targets[v] for k, v in shuffled.answer.items()
                }
            if item.type == "ordering":
                assert [item.options[k] for k in item.answer] == [
                    shuffled.options[k] for k in shuffled.answer
                ]


def test_shuffle_is_deterministic_and_varies_with_seed():
    item = ITEMS["fx-emr-001"]
    assert quizsample.shuffle_item(item, 3).options == quizsample.shuffle_item(item, 3).options
    keys = {quizsample.shuffle_item(item, s).answer for s in range(30)}
    assert len(keys) >= 3  # the key moves around with the seed


def test_quotas_follow_weights():
    assert quizsample.quotas(65, {"1": 0.28, "2": 0.26, "3": 0.22, "4": 0.24}) == {
        "1": 18,
        "2": 17,
        "3": 14,
        "4": 16,
    }
    assert quizsample.quotas(65, {"1": 0.20, "2": 0.24, "3": 0.36, "4": 0.20}) == {
        "1": 13,
        "2": 16,
        "3": 23,
        "4": 13,
    }
    assert sum(quizsample.quotas(7, {"1": 0.2, "2": 0.24, "3": 0.36, "4": 0.2}).values()) == 7


def _synthetic_bank(per_task: int = 6):
    """Many single questions spread over every MLS-C01 task (built from a fixture question)."""
    template = ITEMS["fx-emr-001"]
    tasks = ["1.1", "2.1", "3.1", "4.1"]
    questions = []
    for task in tasks:
        for n in range(per_task * 5):
            domains = template.domains.model_copy(update={"mls_c01": task, "mla_c01": None})
            questions.append(
                template.model_copy(update={"id": f"syn-d{task[0]}-{n:03d}", "domains": domains})
            )
    return questions


def test_sampling_is_blueprint_weighted_and_seeded():
    questions = _synthetic_bank()
    items = quizsample.build_quiz(questions, "mls-c01", n=65, seed=11)
    counts = Counter(i.task("mls-c01")[0] for i in items)
    assert counts == {"1": 13, "2": 16, "3": 23, "4": 13}
    assert [i.id for i in items] == [
        i.id for i in quizsample.build_quiz(questions, "mls-c01", 65, 11)
    ]
    assert [i.id for i in items] != [
        i.id for i in quizsample.build_quiz(questions, "mls-c01", 65, 12)
    ]


def test_short_domain_gives_its_places_to_others():
    questions = [q for q in _synthetic_bank() if q.id.startswith("syn-d3")][:5] + [
        q for q in _synthetic_bank() if not q.id.startswith("syn-d3")
    ]
    items = quizsample.build_quiz(questions, "mls-c01", n=40, seed=1)
    counts = Counter(i.task("mls-c01")[0] for i in items)
    assert len(items) == 40 and counts["3"] == 5


def test_filters_and_case_studies_stay_whole():
    bank = fixture_bank()
    only_two = quizsample.build_quiz(bank.questions, "mla-c01", n=65, seed=2, domains="2")
    assert {i.task("mla-c01")[0] for i in only_two} == {"2"} and len(only_two) == 3
    task = quizsample.build_quiz(bank.questions, "mla-c01", n=65, seed=2, domains=["1.2"])
    assert sorted(i.id for i in task) == ["fx-features-001", "fx-formats-001"]
    emr = quizsample.build_quiz(bank.questions, "mla-c01", n=65, seed=2, topics="emr-and-spark")
    assert "fx-case-003" in {i.id for i in emr} and "fx-algo-001" not in {i.id for i in emr}
    ids = [i.id for i in emr]
    assert ids.index("fx-case-003") == ids.index("fx-case-002") + 1  # kept whole, in order
    no_mls = quizsample.build_quiz(bank.questions, "mls-c01", n=65, seed=2)
    assert "fx-orch-001" not in {i.id for i in no_mls}
    with pytest.raises(QuizError, match="unknown mla-c01 domain"):
        quizsample.build_quiz(bank.questions, "mla-c01", n=5, domains="3.5")


def _bounded(exc_info, limit=600):
    message = str(exc_info.value)
    assert len(message) <= limit, len(message)
    return message


@pytest.mark.parametrize(
    "text",
    [
        '{"fx-emr-001": ' + "[" * 30_000 + "]" * 30_000 + "}",  # RecursionError in json (< 64 KB)
        '{"fx-emr-001": ' + '{"a": ' * 5_000 + "1" + "}" * 5_000 + "}",
        '{"fx-emr-001": ' + "[" * 20 + '"A"' + "]" * 20 + "}",  # deeper than any answer
    ],
)
def test_deeply_nested_answers_are_an_answer_error(text):
    with pytest.raises(AnswerError, match="nest") as err:
        quizengine.load_answers(text)
    _bounded(err)
    with pytest.raises(AnswerError, match="nest"):
        quizengine.grade(list(ITEMS.values()), text)


def test_deeply_nested_python_answers_are_an_answer_error():
    value: list = ["A"]
    for _ in range(100_000):
        value = [value]
    with pytest.raises(AnswerError, match="nest") as err:
        grade_one("fx-emr-001", value)
    _bounded(err)
    with pytest.raises(AnswerError, match="nest"):
        quizengine.grade(list(ITEMS.values()), {"fx-emr-001": value})
    loop: list = []
    loop.append(loop)  # a list inside itself
    with pytest.raises(AnswerError, match="nest"):
        grade_one("fx-formats-001", loop)


def test_huge_numbers_are_an_answer_error():
    digits = "9" * 5_000  # more than Python's 4,300-digit int/str limit
    with pytest.raises(AnswerError, match="digits") as err:
        quizengine.load_answers('{"fx-emr-001": ' + digits + "}")
    _bounded(err)
    with pytest.raises(AnswerError, match="digits") as err:
        grade_one("fx-emr-001", 10**5_000)
    _bounded(err)
    with pytest.raises(AnswerError, match="digits"):
        grade_one("fx-deploy-001", {"A": 10**5_000, "B": "1", "C": "3"})


@pytest.mark.parametrize("size", [64 * 1024 + 1, 10_000_000])
def test_oversized_answers_are_refused_before_parsing(tmp_path, monkeypatch, size):
    def no_parse(*args, **kwargs):
        raise AssertionError("an oversized answer was parsed")

    text = json.dumps({"fx-emr-001": "A" * size})
    path = tmp_path / "big.json"
    path.write_text(text)
    monkeypatch.setattr(quizengine.json, "loads", no_parse)
    for answers in (text, str(path), path):
        with pytest.raises(AnswerError, match="64 KB") as err:
            quizengine.load_answers(answers)
        _bounded(err)
    with pytest.raises(AnswerError, match="64 KB") as err:
        quizengine.load_answers({"fx-emr-001": "A" * size})
    _bounded(err)
    with pytest.raises(AnswerError, match="64 KB"):
        quizengine.load_answers("A" * size)  # neither JSON nor a path: still too large


@pytest.mark.parametrize(
    ("qid", "value"),
    [
        ("fx-emr-001", "Q" * 60_000),
        ("fx-emr-001", ["A"] * 10_000),
        ("fx-formats-001", ["Z" * 50_000]),
        ("fx-formats-001", {"A" * 50_000: 1}),
        ("fx-deploy-001", {"A": "9" * 50_000}),
        ("fx-deploy-001", "x" * 50_000),
    ],
)
def test_error_messages_echo_at_most_a_short_excerpt(qid, value):
    with pytest.raises(AnswerError, match=qid) as err:
        grade_one(qid, value)
    _bounded(err)
    with pytest.raises(AnswerError) as err:
        quizengine.grade(list(ITEMS.values()), json.dumps({qid: value}))
    _bounded(err)


def test_unknown_question_ids_and_paths_are_echoed_short(tmp_path):
    with pytest.raises(AnswerError, match="no question") as err:
        quizengine.grade(list(ITEMS.values()), {"n" * 50_000: "A"})
    _bounded(err)
    for bad in ("m" * 5_000 + ".json", "bad\x00name.json", str(tmp_path)):
        with pytest.raises(AnswerError, match="neither JSON nor an existing") as err:
            quizengine.load_answers(bad)
        _bounded(err)
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe{")
    with pytest.raises(AnswerError, match="UTF-8"):
        quizengine.load_answers(str(tmp_path / "binary.json"))
