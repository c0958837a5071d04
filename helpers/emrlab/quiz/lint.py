"""The bank linter: every rule of quiz/bank/SCHEMA.md, as findings with rule ids.

Taught in quiz/practice_exam.ipynb (and run by ``emrlab quiz lint`` and the test suite).

=====  ========  ===========================================================================
rule   severity  what it checks
=====  ========  ===========================================================================
Q001   error     the file is a YAML list and each question matches the schema (quizbank)
Q002   error     ids are unique across the bank (sub-questions included)
Q003   error     stems are unique (compared without case and extra spaces)
Q004   error     the key is among the options: single/multiple keys exist; ordering lists
                 every option once; matching maps every item to an existing target
Q005   error     option counts (single 4-6, multiple 5-6) and ``choose == len(answer)`` with at
                 least ``choose + 2`` options
Q006   error     no "all of the above" / "none of the above" options
Q007   error     every wrong option of single/multiple has a distractor explanation (warning
                 for explanations of options that do not exist or of the key)
Q008   error     at least one docs reference on docs.aws.amazon.com or aws.amazon.com (https);
                 further references elsewhere are fine (a warning when one is not https)
Q009   error     at least one kit reference, each an existing path or a planned kit path
Q010   error     no letter holds more than 35 % of single-answer keys (a warning while the
                 bank has fewer than 20 single-answer questions)
Q011   error     every domain of both blueprints has questions (warning when a domain's share
                 is more than 10 points away from its weight)
=====  ========  ===========================================================================
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from emrlab.quiz.bank import default_bank_dir, flatten, parse_file
from emrlab.quiz.blueprint import BLUEPRINTS
from emrlab.quiz.schema import (
    CaseStudy,
    MatchingQuestion,
    MultipleQuestion,
    OrderingQuestion,
    SingleQuestion,
)

# Kit paths that count as valid references before the notebooks and labs exist.
PLANNED_KIT_PATHS = (
    "notebooks/00_start_here.ipynb", "notebooks/01_emr_provisioning.ipynb",
    "notebooks/02_spark_etl.ipynb", "notebooks/03_mllib.ipynb",
    "notebooks/04_gpu_training.ipynb", "notebooks/05_sagemaker_handoff.ipynb",
    "labs/01_emr_cluster_design", "labs/02_etl_quarantine", "labs/03_mllib_pipeline",
    "labs/04_gpu_xgboost", "labs/05_sagemaker_artifacts",
)  # fmt: skip
DOCS_RE = re.compile(r"^https://(docs\.aws\.amazon\.com|aws\.amazon\.com)/\S+$")
ALL_NONE_RE = re.compile(r"\b(all|none|both|neither) of the (above|options|answers)\b", re.I)
MAX_KEY_SHARE = 0.35
MIN_SINGLE_FOR_BALANCE = 20
MAX_WEIGHT_GAP = 0.10


@dataclass(frozen=True)
class Finding:
    """One lint finding: rule id, severity (``error``/``warning``), where, and what."""

    rule: str
    severity: str
    file: str
    qid: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity.upper():7} {self.rule} {self.file}:{self.qid}: {self.message}"


def kit_path_ok(ref: str, repo_root: Path) -> bool:
    """Whether a kit reference points at an existing path, a planned path, or under quiz/.

    Taught in quiz/practice_exam.ipynb (``emrlab quiz lint``).

    A ``#fragment`` after the path is allowed.
    """
    path = ref.split("#", 1)[0].strip().rstrip("/")
    if not path or path.startswith("/") or ".." in Path(path).parts:
        return False
    if path == "quiz" or path.startswith("quiz/"):
        return True
    if any(path == p or path.startswith(p + "/") for p in PLANNED_KIT_PATHS):
        return True
    return (repo_root / path).exists()


def _check_item(item, where: tuple[str, str], repo_root: Path) -> list[Finding]:
    found: list[Finding] = []

    def add(rule: str, message: str, severity: str = "error") -> None:
        found.append(Finding(rule, severity, where[0], item.id, message))

    keys = set(item.options)
    if isinstance(item, SingleQuestion):
        wrong = keys - {item.answer}
        if item.answer not in keys:
            add("Q004", f"key {item.answer!r} is not among the options {sorted(keys)}")
        if not 4 <= len(keys) <= 6:
            add("Q005", f"single has {len(keys)} options; use 4 to 6")
    elif isinstance(item, MultipleQuestion):
        wrong = keys - set(item.answer)
        missing = [k for k in item.answer if k not in keys]
        if missing or len(set(item.answer)) != len(item.answer):
            add("Q004", f"key {item.answer} has unknown or repeated options {missing}")
        if item.choose != len(item.answer):
            add("Q005", f"choose={item.choose} but the key has {len(item.answer)} options")
        if not 5 <= len(keys) <= 6 or len(keys) < item.choose + 2:
            add("Q005", f"multiple has {len(keys)} options; use 5-6 and at least choose + 2")
    elif isinstance(item, OrderingQuestion):
        wrong = set()
        if sorted(item.answer) != sorted(keys):
            add("Q004", f"ordering key {item.answer} must list every option {sorted(keys)} once")
    elif isinstance(item, MatchingQuestion):
        wrong = set()
        if set(item.answer) != keys or not set(item.answer.values()) <= set(item.targets):
            add("Q004", "matching key must map every item to an existing target")
    texts = [item.stem, *item.options.values(), *getattr(item, "targets", {}).values()]
    if any(ALL_NONE_RE.search(t) for t in item.options.values()):
        add("Q006", "an option says 'all/none of the above'; write a real option instead")
    elif ALL_NONE_RE.search(texts[0]):
        add("Q006", "the stem refers to 'all/none of the above'")
    distractors = item.explanation.distractors
    lacking = sorted(k for k in wrong if not str(distractors.get(k, "")).strip())
    if lacking:
        add("Q007", f"no distractor explanation for wrong option(s) {lacking}")
    extra = sorted(set(distractors) - wrong - {"order"})
    if extra and isinstance(item, (SingleQuestion, MultipleQuestion)):
        add("Q007", f"distractor explanations for non-wrong or unknown options {extra}", "warning")
    refs = item.references
    docs = [d for d in (refs.docs if refs else []) if DOCS_RE.match(d)]
    if not docs:
        add(
            "Q008",
            "needs a docs reference on https://docs.aws.amazon.com/ or https://aws.amazon.com/",
        )
    bad_docs = [d for d in (refs.docs if refs else []) if not d.startswith("https://")]
    if bad_docs:
        add("Q008", f"docs references that are not https links: {bad_docs}", "warning")
    kit = refs.kit if refs else []
    if not kit:
        add("Q009", "needs a kit reference (notebook, lab or quiz path)")
    bad_kit = [k for k in kit if not kit_path_ok(k, repo_root)]
    if bad_kit:
        add("Q009", f"kit reference(s) to paths that neither exist nor are planned: {bad_kit}")
    if item.domains.mls_c01 is None and item.domains.mla_c01 is None:
        add("Q011", "the question has no task in either blueprint", "warning")
    return found


def _balance(items: list, files: dict[str, str]) -> list[Finding]:
    singles = [i for i in items if isinstance(i, SingleQuestion)]
    counts = Counter(i.answer for i in singles)
    if not singles:
        return []
    letter, top = counts.most_common(1)[0]
    share = top / len(singles)
    if share <= MAX_KEY_SHARE:
        return []
    severity = "error" if len(singles) >= MIN_SINGLE_FOR_BALANCE else "warning"
    spread = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    return [
        Finding(
            "Q010",
            severity,
            "(bank)",
            "-",
            f"key {letter} holds {share:.0%} of {len(singles)} single-answer keys "
            f"(max {MAX_KEY_SHARE:.0%}); spread {spread}",
        )
    ]


def coverage(items: list) -> dict[str, dict[str, tuple[int, float, float]]]:
    """Per exam and domain: (questions, share of the exam's questions, blueprint weight).

    Taught in quiz/practice_exam.ipynb.
    """
    table: dict[str, dict[str, tuple[int, float, float]]] = {}
    for code, bp in BLUEPRINTS.items():
        counts = Counter(t.split(".")[0] for t in (i.task(code) for i in items) if t)
        total = sum(counts.values())
        table[code] = {
            d: (counts.get(d, 0), counts.get(d, 0) / total if total else 0.0, w)
            for d, (_name, w) in bp.domains.items()
        }
    return table


def _coverage_findings(items: list) -> list[Finding]:
    found = []
    for code, domains in coverage(items).items():
        total = sum(n for n, _s, _w in domains.values())
        for d, (n, share, weight) in domains.items():
            name = BLUEPRINTS[code].domains[d][0]
            if n == 0:
                found.append(
                    Finding(
                        "Q011",
                        "error",
                        "(bank)",
                        "-",
                        f"{code} domain {d} ({name}) has no questions",
                    )
                )
            elif total >= MIN_SINGLE_FOR_BALANCE and abs(share - weight) > MAX_WEIGHT_GAP:
                found.append(
                    Finding(
                        "Q011",
                        "warning",
                        "(bank)",
                        "-",
                        f"{code} domain {d} ({name}) holds {share:.0%} of questions; "
                        f"its blueprint weight is {weight:.0%}",
                    )
                )
    return found


def lint(
    path: str | Path | None = None, repo_root: str | Path | None = None
) -> tuple[list[Finding], list]:
    """Lint every ``*.yaml`` file of a bank directory.

    Taught in quiz/practice_exam.ipynb.

    Parameters
    ----------
    path : str or Path, optional
        The bank directory (default :func:`emrlab.quiz.bank.default_bank_dir`).
    repo_root : str or Path, optional
        Root that kit references are relative to (default: the repository of the package).

    Returns
    -------
    findings : list of Finding
        Sorted errors first.
    items : list
        The gradable questions that passed the schema (for count tables).
    """
    bank_dir = Path(path) if path else default_bank_dir()
    root = Path(repo_root) if repo_root else Path(__file__).resolve().parents[3]
    findings: list[Finding] = []
    if not bank_dir.is_dir():
        return [Finding("Q001", "error", str(bank_dir), "-", "bank directory does not exist")], []
    items: list = []
    files: dict[str, str] = {}
    stems: dict[str, str] = {}
    for file in sorted(bank_dir.glob("*.yaml")):
        questions, problems = parse_file(file)
        findings += [Finding("Q001", "error", file.name, qid, msg) for _f, qid, msg in problems]
        for question in questions:
            subs = question.questions if isinstance(question, CaseStudy) else []
            for q in [question, *subs]:
                if q.id in files:
                    findings.append(
                        Finding(
                            "Q002", "error", file.name, q.id, f"id already used in {files[q.id]}"
                        )
                    )
                files.setdefault(q.id, file.name)
            for item in flatten([question]):
                stem = " ".join(item.stem.lower().split())
                if stem in stems and stems[stem] != item.id:
                    findings.append(
                        Finding("Q003", "error", file.name, item.id, f"same stem as {stems[stem]}")
                    )
                stems.setdefault(stem, item.id)
                findings += _check_item(item, (file.name, item.id), root)
                items.append(item)
    findings += _balance(items, files) + _coverage_findings(items)
    findings.sort(key=lambda f: (f.severity != "error", f.file, f.qid, f.rule))
    return findings, items


def count_table(items: list) -> str:
    """Counts of gradable questions by type, by domain of each exam (with weights) and by topic.

    Taught in quiz/practice_exam.ipynb (printed by ``emrlab quiz lint`` and ``emrlab quiz stats``).
    """
    lines = [f"{len(items)} gradable question(s)", "by type:"]
    lines += [f"  {t:<12} {n:>4}" for t, n in sorted(Counter(i.type for i in items).items())]
    for code, domains in coverage(items).items():
        lines.append(f"by {code} domain (questions, share, blueprint weight):")
        for d, (n, share, weight) in domains.items():
            name = BLUEPRINTS[code].domains[d][0]
            lines.append(f"  {d} {name:<52} {n:>4} {share:6.0%} {weight:6.0%}")
    lines.append("by topic:")
    topics = Counter(t for i in items for t in i.topics)
    lines += [f"  {t:<24} {n:>4}" for t, n in sorted(topics.items())]
    return "\n".join(lines)
