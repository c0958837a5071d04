"""Grading and scoring quiz answers with the exam's rules.

Taught in quiz/practice_exam.ipynb.

Answer form
-----------
Answers are a dict (or the same as JSON text or a JSON file) from question id to answer, in the
letters *as shown* (after any shuffling with the quiz's seed):

==============  ======================================  ====================================
type            answer                                  graded
==============  ======================================  ====================================
single          ``"B"``                                 right when it is the key
multiple        ``["A", "D"]`` (order does not matter)  all-or-nothing: exactly the key set
ordering        ``["C", "A", "B"]`` (every step)        exact order
matching        ``{"A": "2", "B": "1"}``                every left item to its target
case_study      answer each sub-question by its own id  each sub-question on its own
==============  ======================================  ====================================

An unanswered question (missing, ``None``, ``""`` or ``[]``) counts as wrong. An unknown id,
an answer of the wrong form or an option that does not exist raises
:class:`~emrlab.exceptions.AnswerError` naming the question.

Bounds: answers larger than 64 KB (:data:`MAX_ANSWER_BYTES`; JSON text, a JSON file or a dict)
are refused before they are parsed, as are answers nested more than :data:`MAX_NESTING` levels
deep and numbers of more than :data:`MAX_DIGITS` digits; error messages quote at most
:data:`ECHO_CHARS` characters of an answer.

Scaled score
------------
AWS reports 100-1000 with a pass mark of 750 (MLS-C01) or 720 (MLA-C01) and does not publish
how raw results map to it (scored questions are equated across exam forms). This kit uses an
**approximation**: a piecewise-linear map through three points, raw 0 % -> 100, raw
``Blueprint.raw_cut`` (70 %) -> the pass mark, raw 100 % -> 1000. So 70 % correct is a
borderline pass on either exam; treat the number as a study signal, not a prediction.
"""

from __future__ import annotations

import json
import reprlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emrlab.exceptions import AnswerError
from emrlab.quiz.blueprint import blueprint
from emrlab.quiz.schema import (
    CaseStudy,
    MatchingQuestion,
    MultipleQuestion,
    OrderingQuestion,
    SingleQuestion,
)

NO_DOMAIN = "-"
MAX_ANSWER_BYTES = 64 * 1024  # a whole quiz's answers are a few KB
MAX_NESTING = 8  # {"id": ["A", "D"]} is two levels; anything much deeper is not an answer
MAX_DIGITS = 100  # no answer is a number this long (Python refuses ints of > 4,300 digits)
ECHO_CHARS = 200  # how much of an answer an error message quotes
_INT_LIMIT = 10**MAX_DIGITS


class _ShortRepr(reprlib.Repr):
    """``reprlib`` with small limits and no int-to-text conversion of huge numbers."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxlist, self.maxtuple, self.maxdict, self.maxset = 3, 8, 8, 8, 8
        self.maxstring, self.maxother = 60, 60

    def repr_int(self, x: int, level: int) -> str:
        if abs(x) >= _INT_LIMIT:  # repr() itself fails past 4,300 digits
            return f"<a number of more than {MAX_DIGITS} digits>"
        return super().repr_int(x, level)


_SHORT_REPR = _ShortRepr()


def _echo(value: Any) -> str:
    """A short, always-computable ``repr`` of (part of) an answer for an error message."""
    try:
        text = _SHORT_REPR.repr(value)
    except Exception:  # a hostile __repr__ must not replace the AnswerError
        text = f"<{type(value).__name__}>"
    return text if len(text) <= ECHO_CHARS else text[: ECHO_CHARS - 3] + "..."


def _name(value: Any) -> str:
    """A question id as given (cut to :data:`ECHO_CHARS`), or the short repr of a non-string."""
    if not isinstance(value, str):
        return _echo(value)
    return value if len(value) <= ECHO_CHARS else value[: ECHO_CHARS - 3] + "..."


def _too_large(what: str) -> AnswerError:
    return AnswerError(
        f"{what}: larger than {MAX_ANSWER_BYTES // 1024} KB; a quiz's answers are a few KB of "
        '{"question-id": answer, ...}'
    )


def _check_bounds(value: Any, what: str, depth: int = MAX_NESTING) -> None:
    """Refuse answers nested deeper than ``depth`` levels, larger than 64 KB or with huge numbers.

    Walks ``value`` without recursion (so a list inside itself ends at the depth limit).
    """
    budget = MAX_ANSWER_BYTES
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, level = stack.pop()
        budget -= 1
        if isinstance(node, (dict, list, tuple)):
            if level >= depth:
                raise AnswerError(
                    f"{what}: nested more than {depth} levels deep; an answer is a letter, a "
                    'list of letters or a {"A": "2"} mapping'
                )
            items = [x for kv in node.items() for x in kv] if isinstance(node, dict) else node
            budget -= len(items)
            if budget < 0:
                raise _too_large(what)
            stack.extend((x, level + 1) for x in items)
        elif isinstance(node, str):
            budget -= len(node)
        elif isinstance(node, int) and abs(node) >= _INT_LIMIT:
            raise AnswerError(f"{what}: a number of more than {MAX_DIGITS} digits; an answer is "
                              "a letter, a list of letters or a mapping to targets")
        if budget < 0:
            raise _too_large(what)


def _json_nesting(text: str) -> int:
    """The deepest ``[``/``{`` nesting of JSON ``text`` (strings skipped), without parsing it."""
    deepest = depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise AnswerError(f"answers: a number of more than {MAX_DIGITS} digits; an answer is "
                          "a letter, a list of letters or a mapping to targets")
    return int(digits)


@dataclass
class ItemResult:
    """The graded answer to one question (a case-study sub-question counts as one).

    Attributes
    ----------
    id, type : str
        The question.
    answered, correct : bool
        Whether an answer was given and whether it matched the key.
    given, key : Any
        The normalised answer and the key, both in the letters shown.
    explanation : str
        Why the key is right.
    why_wrong : list of str
        For each chosen wrong option (single/multiple), or the mis-ordering note, why it is wrong.
    docs, kit : list of str
        Documentation links and kit sections to study.
    domain, task : str
        The blueprint domain (``"2"``) and task (``"2.3"``) in the graded exam, or ``"-"``.
    topics : list of str
    """

    id: str
    type: str
    answered: bool
    correct: bool
    given: Any
    key: Any
    explanation: str
    why_wrong: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    kit: list[str] = field(default_factory=list)
    domain: str = NO_DOMAIN
    task: str = NO_DOMAIN
    topics: list[str] = field(default_factory=list)


@dataclass
class Breakdown:
    """Correct and total answers in one domain or topic."""

    name: str
    correct: int = 0
    total: int = 0

    @property
    def percent(self) -> float:
        """Share correct in percent (0 when there are no questions)."""
        return 100.0 * self.correct / self.total if self.total else 0.0


@dataclass
class ExamResult:
    """A graded quiz: per-question results, breakdowns and the scaled score."""

    exam: str
    results: list[ItemResult]
    by_domain: dict[str, Breakdown]
    by_topic: dict[str, Breakdown]
    raw: float
    scaled: int
    pass_mark: int

    @property
    def correct(self) -> int:
        """Number of questions answered correctly."""
        return sum(r.correct for r in self.results)

    @property
    def total(self) -> int:
        """Number of graded questions."""
        return len(self.results)

    @property
    def passed(self) -> bool:
        """Whether the scaled score reaches the exam's pass mark."""
        return self.scaled >= self.pass_mark


def scaled_score(raw: float, exam: str = "mla-c01") -> int:
    """Map a raw fraction correct (0-1) to this kit's approximate 100-1000 scale.

    Taught in quiz/practice_exam.ipynb. Piecewise linear through (0, 100), (raw_cut, pass
    mark) and (1, 1000); see the module docstring for why this is only an approximation.
    """
    bp = blueprint(exam)
    raw = min(max(float(raw), 0.0), 1.0)
    if raw <= bp.raw_cut:
        value = 100 + (bp.pass_mark - 100) * raw / bp.raw_cut
    else:
        value = bp.pass_mark + (1000 - bp.pass_mark) * (raw - bp.raw_cut) / (1 - bp.raw_cut)
    return int(round(value))


def load_answers(answers: str | Path | dict | None) -> dict[str, Any]:
    """Answers from a dict, JSON text or the path of a JSON file (empty -> ``{}``).

    Taught in quiz/practice_exam.ipynb.

    Raises
    ------
    AnswerError
        Neither JSON nor a readable JSON file, not a JSON object, larger than 64 KB, nested
        more than :data:`MAX_NESTING` levels, or holding a number of more than
        :data:`MAX_DIGITS` digits (all checked before the answers are parsed or graded).
    """
    if answers is None or answers == "":
        return {}
    if isinstance(answers, dict):
        _check_bounds(answers, "answers")
        return dict(answers)
    if isinstance(answers, Path):
        text = _read_answers_file(answers, str(answers))
    else:
        text = str(answers).strip()
        if len(text) > MAX_ANSWER_BYTES:
            raise _too_large("answers")
        if not text.startswith("{"):
            text = _read_answers_file(Path(text).expanduser(), text)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_ANSWER_BYTES:
        raise _too_large("answers")
    if _json_nesting(text) > MAX_NESTING:
        raise AnswerError(f"answers: nested more than {MAX_NESTING} levels deep; an answer is "
                          'a letter, a list of letters or a {"A": "2"} mapping')
    try:
        data = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise AnswerError(f"answers are not valid JSON: {exc}") from exc
    except AnswerError:  # from _parse_int
        raise
    except (ValueError, RecursionError) as exc:  # e.g. a float Python cannot read
        raise AnswerError(f"answers are not usable JSON: {_echo(str(exc))}") from exc
    if not isinstance(data, dict):
        raise AnswerError('answers must be a JSON object: {"question-id": answer, ...}')
    _check_bounds(data, "answers")
    return data


def _read_answers_file(path: Path, shown: str) -> str:
    """The text of an answers file, refused unread when it is larger than 64 KB."""
    try:
        if not path.is_file():
            raise FileNotFoundError(shown)
        with open(path, "rb") as fh:
            raw = fh.read(MAX_ANSWER_BYTES + 1)
    except (OSError, ValueError) as exc:  # missing, a folder, a name too long, a NUL byte
        raise AnswerError(
            f"answers {_echo(shown)} is neither JSON nor an existing JSON file"
        ) from exc
    if len(raw) > MAX_ANSWER_BYTES:
        raise _too_large(f"answers in {_echo(shown)}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AnswerError(f"answers in {_echo(shown)} are not UTF-8 text: {exc.reason}") from exc


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _letters(item, value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise AnswerError(f"{item.id}: a {item.type} answer is {what}; got {_echo(value)}")
    letters = [v.strip().upper() for v in value]
    unknown = [v for v in letters if v not in item.options]
    if unknown:
        raise AnswerError(
            f"{item.id}: option(s) {_echo(unknown)} do not exist; options are "
            f"{sorted(item.options)}"
        )
    return letters


def normalize_answer(item, value: Any) -> Any:
    """Check ``value`` against the question's type and options; return it normalised.

    Taught in quiz/practice_exam.ipynb. Returns None for a blank answer.

    Raises
    ------
    AnswerError
        Wrong form for the type, or an option/target that does not exist; an answer nested
        too deep, larger than 64 KB or holding a number of more than :data:`MAX_DIGITS` digits.
    """
    _check_bounds(value, f"{item.id}", MAX_NESTING - 1)
    if _blank(value):
        return None
    if isinstance(item, SingleQuestion):
        if not isinstance(value, str):
            raise AnswerError(
                f'{item.id}: a single answer is one letter like "B"; got {_echo(value)}'
            )
        return _letters(item, value, "one letter")[0]
    if isinstance(item, MultipleQuestion):
        letters = _letters(item, value, 'a list of letters like ["A", "D"]')
        if len(set(letters)) != len(letters):
            raise AnswerError(f"{item.id}: option chosen twice in {_echo(value)}")
        return sorted(letters)
    if isinstance(item, OrderingQuestion):
        return _letters(item, value, 'the steps in order like ["C", "A", "B"]')
    if isinstance(item, MatchingQuestion):
        if not isinstance(value, dict):
            raise AnswerError(
                f'{item.id}: a matching answer is like {{"A": "2"}}; got {_echo(value)}'
            )
        pairs = {str(k).strip().upper(): str(v).strip() for k, v in value.items()}
        bad_left = [k for k in pairs if k not in item.options]
        bad_right = [v for v in pairs.values() if v not in item.targets]
        if bad_left or bad_right:
            raise AnswerError(
                f"{item.id}: unknown item(s) {_echo(bad_left)} or target(s) "
                f"{_echo(bad_right)}; items are {sorted(item.options)}, targets "
                f"{sorted(item.targets)}"
            )
        return pairs
    raise AnswerError(f"{item.id}: questions of type {item.type!r} cannot be answered directly")


def _key(item) -> Any:
    if isinstance(item, MultipleQuestion):
        return sorted(item.answer)
    if isinstance(item, MatchingQuestion):
        return dict(item.answer)
    if isinstance(item, OrderingQuestion):
        return list(item.answer)
    return item.answer


def grade_item(item, value: Any, exam: str = "mla-c01") -> ItemResult:
    """Grade one answer and explain it.

    Taught in quiz/practice_exam.ipynb. ``value`` follows the module's answer form.
    """
    given = normalize_answer(item, value)
    key = _key(item)
    correct = given is not None and given == key
    why: list[str] = []
    distractors = item.explanation.distractors
    if given is not None and not correct:
        if isinstance(item, (SingleQuestion, MultipleQuestion)):
            chosen = [given] if isinstance(given, str) else given
            why = [f"{c}: {distractors[c]}" for c in chosen if c not in key and c in distractors]
        elif distractors.get("order"):
            why = [distractors["order"]]
    task = item.task(exam) or NO_DOMAIN
    refs = item.references
    return ItemResult(
        id=item.id,
        type=item.type,
        answered=given is not None,
        correct=correct,
        given=given,
        key=key,
        explanation=item.explanation.correct.strip(),
        why_wrong=why,
        docs=list(refs.docs) if refs else [],
        kit=list(refs.kit) if refs else [],
        domain=task.split(".")[0] if task != NO_DOMAIN else NO_DOMAIN,
        task=task,
        topics=list(item.topics),
    )


def grade(items: list, answers: dict | str | Path | None, exam: str = "mla-c01") -> ExamResult:
    """Grade a whole quiz: one result per gradable question, breakdowns and scaled score.

    Taught in quiz/practice_exam.ipynb.

    Parameters
    ----------
    items : list
        The quiz's questions as shown (case studies may be given whole or flattened).
    answers : dict, JSON text or path
        See the module docstring; questions without an answer count as wrong.
    exam : str
        ``"mls-c01"`` or ``"mla-c01"``: which blueprint's domains and pass mark apply.

    Raises
    ------
    AnswerError
        An answer names a question that is not in this quiz (or a whole case study), or has
        the wrong form.
    """
    bp = blueprint(exam)
    answers = load_answers(answers)
    flat: list[Any] = []
    for item in items:
        flat.extend(item.questions if isinstance(item, CaseStudy) else [item])
    by_id = {item.id: item for item in flat}
    cases = {item.id: item for item in items if isinstance(item, CaseStudy)}
    for qid in answers:
        if qid in cases:
            subs = ", ".join(s.id for s in cases[qid].questions)
            raise AnswerError(
                f"{_name(qid)} is a case study; answer its questions {subs} one by one"
            )
        if qid not in by_id:
            raise AnswerError(f"{_name(qid)}: no question with this id in this quiz")
    results = [grade_item(item, answers.get(item.id), exam) for item in flat]
    by_domain = {d: Breakdown(f"{d} {name}") for d, (name, _w) in bp.domains.items()}
    by_topic: dict[str, Breakdown] = defaultdict(lambda: Breakdown(""))
    for r in results:
        bucket = by_domain.setdefault(r.domain, Breakdown(f"{r.domain} outside the blueprint"))
        bucket.total += 1
        bucket.correct += r.correct
        for topic in r.topics:
            by_topic[topic].name = topic
            by_topic[topic].total += 1
            by_topic[topic].correct += r.correct
    raw = sum(r.correct for r in results) / len(results) if results else 0.0
    return ExamResult(
        exam=bp.code,
        results=results,
        by_domain=by_domain,
        by_topic=dict(sorted(by_topic.items())),
        raw=raw,
        scaled=scaled_score(raw, bp.code),
        pass_mark=bp.pass_mark,
    )
