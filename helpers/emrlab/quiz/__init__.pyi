"""Exam-style quizzes: the question bank and its schema, the blueprint, sampling, grading,
progress, reports and the ipywidgets UI.

Imports the core only. Taught in the quiz/ notebooks.
"""

# The public face of this subpackage: its names load lazily on first use (emrlab.faces reads this stub).
from .bank import Bank, default_bank_dir, load_bank
from .engine import grade, grade_item, load_answers, scaled_score
from .lint import count_table, coverage, kit_path_ok
from .progress import INTERVAL_DAYS, ProgressStore, default_db_path, format_areas, review_items
from .report import (
    breakdown_text,
    feedback_html,
    feedback_text,
    question_text,
    report_text,
    score_text,
)
from .sample import build_quiz, quotas, shuffle_item
from .schema import MatchingQuestion, SingleQuestion
from .ui import QuizUI

__all__ = [
    "Bank",
    "INTERVAL_DAYS",
    "MatchingQuestion",
    "ProgressStore",
    "QuizUI",
    "SingleQuestion",
    "breakdown_text",
    "build_quiz",
    "count_table",
    "coverage",
    "default_bank_dir",
    "default_db_path",
    "feedback_html",
    "feedback_text",
    "format_areas",
    "grade",
    "grade_item",
    "kit_path_ok",
    "load_answers",
    "load_bank",
    "question_text",
    "quotas",
    "report_text",
    "review_items",
    "scaled_score",
    "score_text",
    "shuffle_item",
]
