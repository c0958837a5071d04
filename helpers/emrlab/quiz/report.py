"""Showing quizzes and results: question text, feedback, reports and the domain chart.

Taught in quiz/practice_exam.ipynb. Pure functions that turn questions and graded results into
plain text (terminal, headless notebooks) or HTML (the widget UI). Nothing here shows a key
for a question that was not answered: the key and explanations appear only in the feedback to
an answer, so a report over blank answers reveals no key.
"""

from __future__ import annotations

import html
import io
from collections import Counter

from emrlab.quiz.blueprint import blueprint
from emrlab.quiz.engine import ExamResult, ItemResult
from emrlab.quiz.schema import MatchingQuestion, MultipleQuestion, OrderingQuestion


def _fmt(value) -> str:
    if value is None:
        return "(no answer)"
    if isinstance(value, dict):
        return ", ".join(f"{k}->{v}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def instructions(item) -> str:
    """How to answer ``item`` (the type-specific hint shown under the stem).

    Taught in quiz/practice_exam.ipynb.
    """
    if isinstance(item, MultipleQuestion):
        return f"Choose {item.choose}."
    if isinstance(item, OrderingQuestion):
        return "Put all the steps in order."
    if isinstance(item, MatchingQuestion):
        return "Match each item to one target (targets may be left over)."
    return "Choose one."


def question_text(item, number: int | None = None, total: int | None = None) -> str:
    """The question as plain text: scenario, stem, options (and targets), no key.

    Taught in quiz/practice_exam.ipynb (terminal mode: ``emrlab quiz take``).
    """
    head = f"Question {number} of {total}" if number else "Question"
    lines = [f"{head} [{item.id}, {item.type}]"]
    if item.scenario:
        lines += ["Case study: " + " ".join(item.scenario.split()), ""]
    lines += [" ".join(item.stem.split()), instructions(item)]
    lines += [f"  {k}. {' '.join(v.split())}" for k, v in item.options.items()]
    if isinstance(item, MatchingQuestion):
        lines.append("  Targets:")
        lines += [f"    {k}. {' '.join(v.split())}" for k, v in item.targets.items()]
    return "\n".join(lines)


def feedback_text(result: ItemResult) -> str:
    """Feedback to one answer: verdict and, once answered, key, explanation, links.

    Taught in quiz/practice_exam.ipynb. An unanswered question shows only its verdict.
    """
    if not result.answered:
        return f"{result.id}: unanswered (counted as incorrect); answer it to see the explanation"
    lines = [
        f"{result.id}: {'correct' if result.correct else 'incorrect'}",
        f"  your answer: {_fmt(result.given)}",
    ]
    if not result.correct:
        lines.append(f"  answer key: {_fmt(result.key)}")
    lines.append(f"  why: {' '.join(result.explanation.split())}")
    lines += [f"  not {' '.join(w.split())}" for w in result.why_wrong]
    lines += [f"  docs: {d}" for d in result.docs] + [f"  study: {k}" for k in result.kit]
    return "\n".join(lines)


def feedback_html(result: ItemResult) -> str:
    """The same feedback as :func:`feedback_text` as HTML for the widget UI.

    Taught in quiz/practice_exam.ipynb.
    """
    esc = html.escape
    if not result.answered:
        return (
            "<div class='emrlab-verdict incorrect'><b>Unanswered</b> (counted as incorrect)</div>"
        )
    verdict = "Correct" if result.correct else "Incorrect"
    parts = [f"<div class='emrlab-verdict {verdict.lower()}'><b>{verdict}</b></div>"]
    if not result.correct:
        parts.append(
            f"<div>Answer key: <b>{esc(_fmt(result.key))}</b> "
            f"(you chose {esc(_fmt(result.given))})</div>"
        )
    parts.append(f"<p>{esc(result.explanation)}</p>")
    parts += [f"<p>Not {esc(w)}</p>" for w in result.why_wrong]
    links = [f"<a href='{esc(d)}' target='_blank'>{esc(d)}</a>" for d in result.docs]
    links += [f"<code>{esc(k)}</code>" for k in result.kit]
    if links:
        parts.append("<div>Study: " + " &middot; ".join(links) + "</div>")
    return "\n".join(parts)


def score_text(result: ExamResult) -> str:
    """One line: raw and scaled score and the verdict against the pass mark.

    Taught in quiz/practice_exam.ipynb.
    """
    verdict = "PASS" if result.passed else "below the pass mark"
    return (
        f"score: {result.correct}/{result.total} correct ({100 * result.raw:.0f} %), "
        f"scaled {result.scaled}/1000 ({result.exam.upper()} pass mark {result.pass_mark}: "
        f"{verdict}; approximate scale)"
    )


def breakdown_text(result: ExamResult) -> str:
    """Per-domain and per-topic tables (correct / total, percent).

    Taught in quiz/practice_exam.ipynb.
    """
    lines = ["by domain:"]
    lines += [
        f"  {b.name:<58} {b.correct:>3}/{b.total:<3} {b.percent:5.0f} %"
        for b in result.by_domain.values()
    ]
    lines.append("by topic:")
    lines += [
        f"  {b.name:<58} {b.correct:>3}/{b.total:<3} {b.percent:5.0f} %"
        for b in result.by_topic.values()
    ]
    return "\n".join(lines)


def report_text(result: ExamResult) -> str:
    """The full graded report: one feedback block per question, score, breakdowns.

    Taught in quiz/practice_exam.ipynb (headless mode with ``answers``).
    """
    blocks = [feedback_text(r) for r in result.results]
    return "\n".join(blocks + ["", score_text(result), breakdown_text(result)])


def describe(items: list, exam: str) -> str:
    """A table of a quiz's questions (id, type, task, topics): no stems, no options, no keys.

    Taught in quiz/practice_exam.ipynb.
    """
    bp = blueprint(exam)
    width = max([len(item.id) for item in items] + [2])
    lines = [
        f"{len(items)} question(s) for {bp.title}",
        f"{'id':<{width}} {'type':<9} task  topics",
    ]
    for item in items:
        task = item.task(exam) or "-"
        lines.append(f"{item.id:<{width}} {item.type:<9} {task:<5} {', '.join(item.topics)}")
    counts = Counter((item.task(exam) or "-").split(".")[0] for item in items)
    shares = ", ".join(f"domain {d}: {counts.get(d, 0)}" for d in bp.domains)
    return "\n".join(lines + [f"by domain: {shares}"])


def domain_chart_png(result: ExamResult) -> bytes:
    """A horizontal bar chart (PNG bytes) of percent correct per domain, pass line included.

    Taught in quiz/practice_exam.ipynb; the widget UI shows it at the end.
    """
    from matplotlib.figure import Figure  # no pyplot: the notebook's backend stays as it is

    domains = [b for b in result.by_domain.values() if b.total]
    fig = Figure(figsize=(6, 0.6 + 0.5 * max(len(domains), 1)))
    ax = fig.subplots()
    names = [b.name if len(b.name) < 40 else b.name[:38] + "..." for b in domains]
    values = [b.percent for b in domains]
    colors = ["#2e7d32" if v >= 100 * blueprint(result.exam).raw_cut else "#c62828" for v in values]
    ax.barh(names, values, color=colors)
    ax.axvline(100 * blueprint(result.exam).raw_cut, color="grey", linestyle="--", linewidth=1)
    ax.set_xlim(0, 100)
    ax.set_xlabel("percent correct (dashed: this kit's pass cut)")
    ax.invert_yaxis()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()
