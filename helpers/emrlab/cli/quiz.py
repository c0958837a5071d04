"""``emrlab quiz``: lint the bank, study in the terminal, see counts and progress.

Taught in quiz/practice_exam.ipynb.

::

    emrlab quiz lint                      # findings and count tables; exit 1 on errors
    emrlab quiz stats                     # counts by type, domain and topic
    emrlab quiz take --exam mla-c01 --n 10 --seed 7 [--domains 1 2.3] [--topics mllib]
    emrlab quiz take --review             # questions due in the Leitner queue
    emrlab quiz progress                  # weak areas and due reviews

``take`` reads one answer per line from standard input (a terminal or a pipe):
``B`` (single), ``A,D`` (multiple), ``C,A,B`` (ordering), ``A=2,B=1`` (matching); an empty
line skips the question (it counts as wrong); end of input leaves the rest unanswered.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap

EXAMS = ("mla-c01", "mls-c01")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the sub-actions of ``emrlab quiz``.

    Taught in quiz/practice_exam.ipynb (terminal mode).
    """
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--bank", default="", help="bank directory (default: quiz/bank or EMRLAB_QUIZ_BANK)"
    )
    common.add_argument(
        "--db",
        default="",
        help="progress store (default: EMRLAB_QUIZ_DB or the user data directory)",
    )
    sub.add_parser("lint", parents=[common], help="check the bank against SCHEMA.md rules")
    sub.add_parser("stats", parents=[common], help="bank counts by type, domain and topic")
    take = sub.add_parser("take", parents=[common], help="answer questions in the terminal")
    take.add_argument("--exam", choices=EXAMS, default="mla-c01", help="blueprint and pass mark")
    take.add_argument("--domains", nargs="*", default=[], help="domains (1) or tasks (2.3)")
    take.add_argument("--topics", nargs="*", default=[], help="topic slugs or a topic group")
    take.add_argument("--n", type=int, default=10, help="number of questions (default 10)")
    take.add_argument("--seed", type=int, default=7, help="seed of sampling and shuffling")
    take.add_argument("--review", action="store_true", help="take the questions due for review")
    take.add_argument(
        "--exam-mode", action="store_true", help="no feedback until the end, like the real exam"
    )
    take.add_argument("--no-record", action="store_true", help="do not write the progress store")
    progress = sub.add_parser("progress", parents=[common], help="weak areas and due reviews")
    progress.add_argument("--exam", choices=EXAMS, default=None, help="only this exam's domains")


def parse_line(item, line: str):
    """One terminal answer line -> the engine's answer form (None when blank).

    Taught in quiz/practice_exam.ipynb (terminal mode).
    """
    from emrlab.quiz import MatchingQuestion, SingleQuestion

    text = line.strip()
    if not text:
        return None
    if isinstance(item, MatchingQuestion):
        pairs = re.findall(r"([A-Za-z])\s*[=:>-]+\s*(\d+)", text)
        return {k.upper(): v for k, v in pairs} or {"?": text}
    letters = [p for p in re.split(r"[\s,;]+", text.upper()) if p]
    return letters[0] if isinstance(item, SingleQuestion) and len(letters) == 1 else letters


def _lint(args) -> int:
    from emrlab.quiz.lint import count_table, lint

    findings, items = lint(args.bank or None)
    for finding in findings:
        print(finding)
    errors = sum(f.severity == "error" for f in findings)
    print(f"{errors} error(s), {len(findings) - errors} warning(s)")
    print(count_table(items))
    return 1 if errors else 0


def _stats(args) -> int:
    from emrlab.quiz import count_table, load_bank

    bank = load_bank(args.bank or None)
    print(f"{len(bank.questions)} question(s) in {len({f for f in bank.files.values()})} file(s)")
    print(count_table(bank.items()))
    return 0


def _progress(args) -> int:
    from emrlab.quiz import ProgressStore, format_areas

    store = ProgressStore(args.db or None)
    attempts = store.attempts()
    print(f"{len(attempts)} attempt(s) in {store.path.name}")
    for a in attempts[-5:]:
        print(f"  {a['at'][:16]} {a['exam']} {a['correct']}/{a['total']} scaled {a['scaled']}")
    print("weak areas (lowest accuracy first):")
    print(textwrap.indent(format_areas(store.weak_areas(args.exam, limit=8)), "  "))
    due = store.due()
    print(f"{len(due)} question(s) due for review: {' '.join(due[:20])}")
    return 0


def _take(args) -> int:
    from emrlab.exceptions import AnswerError, QuizError
    from emrlab.quiz import (
        ProgressStore,
        breakdown_text,
        build_quiz,
        feedback_text,
        grade,
        grade_item,
        load_bank,
        question_text,
        review_items,
        score_text,
    )

    bank = load_bank(args.bank or None)
    if args.review:
        store = ProgressStore(args.db or None)
        items = review_items(bank, store, args.exam, args.n, args.seed, args.domains)
    else:
        items = build_quiz(bank.questions, args.exam, args.n, args.seed, args.domains, args.topics)
    if not items:
        raise QuizError("no questions match; check --domains/--topics or the progress store")
    answers: dict = {}
    interactive = sys.stdin.isatty()  # a pipe gets no second try: one line per question
    for number, item in enumerate(items, 1):
        print(question_text(item, number, len(items)))
        while True:
            print("answer> ", end="", flush=True)
            line = sys.stdin.readline()
            if not interactive:
                print(line.strip())
            try:
                value = parse_line(item, line)
                result = grade_item(item, value, args.exam)
                break
            except AnswerError as exc:
                print(f"{exc}" + ("" if interactive else " (counted as unanswered)"))
                if not line or not interactive:
                    value, result = None, grade_item(item, None, args.exam)
                    break
        print()
        answers[item.id] = value
        if not args.exam_mode:
            print(feedback_text(result) + "\n")
    exam_result = grade(items, answers, args.exam)
    if args.exam_mode:
        print("\n".join(feedback_text(r) for r in exam_result.results) + "\n")
    print(score_text(exam_result))
    print(breakdown_text(exam_result))
    if not args.no_record:
        ProgressStore(args.db or None).record(exam_result, source="emrlab quiz take")
    return 0


def main(args: argparse.Namespace) -> int:
    """Run one ``emrlab quiz`` action; return the exit status.

    Taught in quiz/practice_exam.ipynb (terminal mode).
    """
    return {"lint": _lint, "stats": _stats, "take": _take, "progress": _progress}[args.action](args)
