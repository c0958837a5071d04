"""Building a quiz: filters, blueprint-weighted sampling and seeded shuffling.

Taught in quiz/practice_exam.ipynb. Everything here is deterministic for a given seed: the same
bank, parameters and seed always give the same questions, in the same order, with the same
option letters. Options are relabelled after shuffling (the shown first option is always
``A``), and the key and the distractor explanations are remapped with them.
"""

from __future__ import annotations

import random
from collections import Counter

from emrlab.exceptions import QuizError
from emrlab.quiz.bank import flatten
from emrlab.quiz.blueprint import blueprint
from emrlab.quiz.schema import CaseStudy, MatchingQuestion, MultipleQuestion, OrderingQuestion

# Topic groups behind the topic notebooks (quiz/emr_and_spark.ipynb, quiz/ml_on_aws.ipynb).
TOPIC_GROUPS: dict[str, tuple[str, ...]] = {
    "emr-and-spark": (
        "emr-architecture", "emr-lifecycle", "emr-storage", "emr-scaling-spot", "emr-cost",
        "emr-security", "emr-gpu", "spark-etl", "file-formats", "partitioning", "glue-vs-emr",
        "data-quality",
    ),
    "ml-on-aws": (
        "feature-engineering", "mllib", "model-evaluation", "hyperparameter-tuning",
        "algorithms", "deep-learning", "sagemaker-training", "sagemaker-deployment",
        "sagemaker-handoff", "monitoring", "ml-security", "responsible-ml", "eda",
        "orchestration",
    ),
}  # fmt: skip


def split_list(text: str | list | tuple | None) -> list[str]:
    """``"1, 2.3"`` -> ``["1", "2.3"]``; lists pass through; empty -> ``[]``.

    Taught in quiz/practice_exam.ipynb.
    """
    if not text:
        return []
    if isinstance(text, str):
        text = text.replace(",", " ").split()
    return [str(t).strip() for t in text if str(t).strip()]


def _domain_of(question, exam: str) -> str | None:
    """The task of a question (majority task of a case study's sub-questions), or None."""
    if isinstance(question, CaseStudy):
        tasks = [t for t in (s.task(exam) for s in question.questions) if t]
        return Counter(tasks).most_common(1)[0][0] if tasks else None
    return question.task(exam)


def _topics_of(question) -> set[str]:
    return {t for item in flatten([question]) for t in item.topics}


def _size(question) -> int:
    return len(question.questions) if isinstance(question, CaseStudy) else 1


def select(questions: list, exam: str | None = None, domains=None, topics=None) -> list:
    """The questions in ``exam``'s blueprint, in one of ``domains``, with one of ``topics``.

    Taught in quiz/emr_and_spark.ipynb.

    Parameters
    ----------
    questions : list
        Top-level questions (``Bank.questions``).
    exam : str, optional
        Keep only questions with a task in this exam's blueprint.
    domains : str or list, optional
        Domains (``"1"``) or tasks (``"2.3"``) of ``exam``; needs ``exam``.
    topics : str or list, optional
        Topic slugs, or the name of a group in :data:`TOPIC_GROUPS`.
    """
    wanted_domains = split_list(domains)
    wanted_topics: set[str] = set()
    for topic in split_list(topics):
        wanted_topics.update(TOPIC_GROUPS.get(topic, (topic,)))
    if wanted_domains and not exam:
        raise QuizError("filtering by domain needs an exam (mls-c01 or mla-c01)")
    if exam:
        bp = blueprint(exam)
        known = set(bp.domains) | set(bp.tasks)
        unknown = [d for d in wanted_domains if d not in known]
        if unknown:
            raise QuizError(f"unknown {bp.code} domain(s) or task(s) {unknown}")
    chosen = []
    for question in questions:
        task = _domain_of(question, exam) if exam else "-"
        if task is None:  # only with an exam: no exam means task "-"
            continue
        if wanted_domains and not any(task == d or task.split(".")[0] == d for d in wanted_domains):
            continue
        if wanted_topics and not (_topics_of(question) & wanted_topics):
            continue
        chosen.append(question)
    return chosen


def quotas(n: int, weights: dict[str, float]) -> dict[str, int]:
    """Split ``n`` questions across domains by weight (largest remainder, ties by domain).

    Taught in quiz/practice_exam.ipynb. ``quotas(65, mla weights)`` gives 18, 17, 14, 16.
    """
    total = sum(weights.values())
    exact = {d: n * w / total for d, w in weights.items()}
    counts = {d: int(v) for d, v in exact.items()}
    order = sorted(weights, key=lambda d: (-(exact[d] - counts[d]), d))
    for d in order[: n - sum(counts.values())]:
        counts[d] += 1
    return counts


def sample_exam(
    questions: list, exam: str = "mla-c01", n: int = 65, seed: int = 7, domains=None, topics=None
) -> list:
    """Sample an ``n``-question quiz weighted by ``exam``'s blueprint, in shuffled order.

    Taught in quiz/practice_exam.ipynb. Each domain gets its blueprint share of ``n`` (among the
    domains left after filtering); a domain with too few questions gives its remaining places
    to the others. A case study counts as its number of sub-questions and is kept whole, so the
    result may fall a question or two short of ``n`` rather than split a case study.
    Returns top-level questions (case studies whole); see :func:`build_quiz`.
    """
    if n < 1:
        raise QuizError(f"n={n}: a quiz needs at least one question")
    bp = blueprint(exam)
    pool = select(questions, exam, domains, topics)
    rng = random.Random(f"sample/{bp.code}/{seed}")
    by_domain: dict[str, list] = {d: [] for d in bp.domains}
    for question in pool:
        task = _domain_of(question, exam)
        assert task is not None  # select() with an exam keeps only questions that have a task
        by_domain[task.split(".")[0]].append(question)
    for group in by_domain.values():
        rng.shuffle(group)
    weights = {d: w for d, (_name, w) in bp.domains.items() if by_domain[d]}
    chosen: list = []
    left = n
    while weights and left > 0:
        progress = False
        for d, quota in quotas(left, weights).items():
            taken = 0
            for question in list(by_domain[d]):
                if _size(question) <= quota - taken:
                    by_domain[d].remove(question)
                    chosen.append(question)
                    taken += _size(question)
            left -= taken
            progress = progress or taken > 0
        weights = {d: w for d, w in weights.items() if by_domain[d]}
        if not progress:
            break
    rng.shuffle(chosen)
    return chosen


def _relabel(keys: list[str], rng: random.Random, numbers: bool = False) -> dict[str, str]:
    """A random old -> new label map; new labels run A, B, ... (or 1, 2, ...) in shown order."""
    shuffled = list(keys)
    rng.shuffle(shuffled)
    labels = [str(i + 1) if numbers else chr(ord("A") + i) for i in range(len(keys))]
    return {old: new for old, new in zip(shuffled, labels, strict=True)}


def shuffle_item(item, seed: int):
    """A copy of one gradable question with options (and targets) shuffled and relabelled.

    Taught in quiz/practice_exam.ipynb. The key, the distractor explanations and a matching
    question's targets are remapped, so grading the copy with the shown letters is correct.
    The shuffle depends only on ``seed`` and the question id.
    """
    rng = random.Random(f"options/{seed}/{item.id}")
    remap = _relabel(list(item.options), rng)
    options = {remap[k]: item.options[k] for k in sorted(item.options, key=remap.__getitem__)}
    distractors = {remap.get(k, k): v for k, v in item.explanation.distractors.items()}
    update: dict = {
        "options": options,
        "explanation": item.explanation.model_copy(update={"distractors": distractors}),
    }
    if isinstance(item, MultipleQuestion):
        update["answer"] = sorted(remap.get(k, k) for k in item.answer)
    elif isinstance(item, OrderingQuestion):
        update["answer"] = [remap.get(k, k) for k in item.answer]
    elif isinstance(item, MatchingQuestion):
        tmap = _relabel(list(item.targets), rng, numbers=True)
        update["targets"] = {tmap[k]: item.targets[k] for k in sorted(item.targets, key=tmap.__getitem__)}
        update["answer"] = {remap.get(k, k): tmap.get(v, v) for k, v in item.answer.items()}
    else:
        update["answer"] = remap.get(item.answer, item.answer)
    return item.model_copy(update=update)


def build_quiz(
    questions: list,
    exam: str = "mla-c01",
    n: int | None = 65,
    seed: int = 7,
    domains=None,
    topics=None,
    shuffle: bool = True,
) -> list:
    """The gradable questions of a quiz: sampled, flattened, options shuffled.

    Taught in quiz/practice_exam.ipynb.

    Parameters
    ----------
    questions : list
        Top-level questions (``Bank.questions``).
    exam : str
        Blueprint for weighting, domains and pass mark.
    n : int or None
        Number of questions; None takes every question that passes the filters (in a
        seeded random order) without weighting.
    seed : int
        Seed of sampling and shuffling.
    domains, topics : str or list, optional
        Filters, see :func:`select`.
    shuffle : bool
        Shuffle options (ordering questions are always shuffled: their steps must not be shown
        in the right order).
    """
    if n is None:
        chosen = select(questions, exam, domains, topics)
        random.Random(f"order/{seed}").shuffle(chosen)
    else:
        chosen = sample_exam(questions, exam, n, seed, domains, topics)
    items = flatten(chosen)
    return [
        shuffle_item(item, seed) if shuffle or isinstance(item, OrderingQuestion) else item
        for item in items
    ]
