"""The ipywidgets quiz UI, driven the way a browser click would drive it."""

import ipywidgets as w
import pytest

from emrlab.exceptions import QuizError
from emrlab.quiz import progress as quizprogress, sample as quizsample, ui as quizui
from tests.quiz_support import fixture_bank

ITEMS = quizsample.build_quiz(fixture_bank().questions, "mla-c01", n=12, seed=5)


def by_class(widget, css):
    """Every widget under ``widget`` carrying the CSS class ``css``."""
    found = [widget] if css in getattr(widget, "_dom_classes", ()) else []
    for child in getattr(widget, "children", ()):
        found += by_class(child, css)
    return found


def test_stable_css_classes_for_browser_tests():
    ui = quizui.QuizUI(ITEMS, mode="practice")
    for css in (
        "emrlab-quiz",
        "emrlab-quiz-submit",
        "emrlab-quiz-feedback",
        "emrlab-quiz-score",
        "emrlab-quiz-header",
        "emrlab-quiz-stem",
        "emrlab-quiz-next",
        "emrlab-quiz-finish",
    ):
        assert len(by_class(ui.root, css)) == 1, css
    assert by_class(ui.root, "emrlab-quiz-option")
    bundle = ui._repr_mimebundle_()
    assert bundle["text/plain"] == "emrlab quiz: 12 question(s), MLA-C01, practice mode"
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_widgets_per_type():
    ui = quizui.QuizUI(ITEMS, mode="practice")
    seen = set()
    for index, item in enumerate(ITEMS):
        ui.go(index)
        if item.type == "single":
            (radio,) = by_class(ui.root, "emrlab-quiz-option")
            assert isinstance(radio, w.RadioButtons) and radio.value is None
        elif item.type == "multiple":
            boxes = by_class(ui.root, "emrlab-quiz-option")
            assert len(boxes) == len(item.options) and all(isinstance(b, w.Checkbox) for b in boxes)
        elif item.type == "ordering":
            assert len(by_class(ui.root, "emrlab-quiz-order")) == len(item.options)
        elif item.type == "matching":
            assert len(by_class(ui.root, "emrlab-quiz-match")) == len(item.options)
        seen.add(item.type)
    assert seen == {"single", "multiple", "ordering", "matching"}


def test_practice_mode_click_submit_read_feedback(tmp_path):
    db = tmp_path / "p.sqlite3"
    ui = quizui.QuizUI(ITEMS, mode="practice", progress_db=str(db), source="ui-test")
    first = ITEMS[0]
    assert ui.feedback_html.value == "" and first.explanation.correct not in str(ui.root)
    ui.submit.click()  # nothing chosen yet: a hint, not a graded blank
    assert "Choose an answer first" in ui.feedback_html.value and not ui.submit.disabled
    wrong = next(k for k in first.options if k != first.answer) if first.type == "single" else None
    ui.choose(wrong if wrong else first.answer)
    by_class(ui.root, "emrlab-quiz-submit")[0].click()
    text = by_class(ui.root, "emrlab-quiz-feedback")[0].value
    assert ("Incorrect" if wrong else "Correct") in text
    assert first.explanation.correct.split()[0] in text
    assert ui.submit.disabled
    for index in range(1, len(ITEMS)):
        by_class(ui.root, "emrlab-quiz-next")[0].click()
        assert ui.index == index
        ui.choose(ITEMS[index].answer)
        ui.submit.click()
        assert "Correct" in ui.feedback_html.value
    score = by_class(ui.root, "emrlab-quiz-score")[0].value
    expected = len(ITEMS) - (1 if wrong else 0)
    assert f"score: {expected}/{len(ITEMS)} correct" in score
    assert ui.chart.value[:4] == b"\x89PNG"
    assert quizprogress.ProgressStore(db).attempts()[0]["correct"] == expected


def test_exam_mode_timer_review_and_finish():
    clock = [1000.0]
    ui = quizui.QuizUI(ITEMS, exam="mls-c01", mode="exam", minutes=30, clock=lambda: clock[0])
    assert "time left 30:00" in ui.timer.value and ui.ticker.playing
    ui.choose(ITEMS[0].answer)
    ui.submit.click()  # saves and moves on, no feedback yet
    assert ui.index == 1 and ui.feedback_html.value == ""
    ui.choose(ITEMS[1].answer)
    ui.prev.click()  # the shown answer is kept when navigating
    assert ui.index == 0 and ui.current_answer() == ITEMS[0].answer
    ui.review_button.click()
    assert (
        "unanswered" in ui.review_html.value
        and f"{len(ITEMS) - 2} unanswered" in ui.review_html.value
    )
    clock[0] += 29 * 60 + 1
    ui.ticker.value = 1  # a tick from the frontend refreshes the timer
    assert "time left 0:59" in ui.timer.value and ui.result is None
    clock[0] += 60
    ui.ticker.value = 2  # time is up: the exam is graded
    assert ui.result is not None and ui.result.correct == 2
    assert "score: 2/" in ui.score.value and "MLS-C01 pass mark 750" in ui.score.value
    assert ui.submit.disabled and not ui.ticker.playing
    assert ITEMS[0].id in ui.review_html.value  # per-question feedback after the end


def test_default_exam_time_scales_with_length():
    assert quizui.QuizUI(ITEMS, exam="mls-c01", mode="exam").minutes == pytest.approx(180 * 12 / 65)
    assert quizui.QuizUI(ITEMS, exam="mla-c01", mode="exam").minutes == pytest.approx(130 * 12 / 65)
    with pytest.raises(ValueError, match="mode"):
        quizui.QuizUI(ITEMS, mode="speedrun")
    with pytest.raises(QuizError, match="at least one question"):
        quizui.QuizUI([])
