"""The quiz widget UI: one question at a time, feedback, exam mode with timer and review.

Taught in quiz/practice_exam.ipynb. Handlers stay thin: grading, scoring and text come from
:mod:`emrlab.quiz.engine` and :mod:`emrlab.quiz.report`; feedback and scores are widget values
(HTML widgets), never prints, so they look the same live, under papermill and in a browser.

Stable CSS classes for browser tests
------------------------------------
``emrlab-quiz`` (root), ``emrlab-quiz-header``, ``emrlab-quiz-timer``, ``emrlab-quiz-progress``,
``emrlab-quiz-stem``, ``emrlab-quiz-option`` (the radio group of a single question, each
checkbox of a multiple question, also ``emrlab-quiz-option-A`` ...), ``emrlab-quiz-order``
(ordering dropdowns), ``emrlab-quiz-match`` (matching dropdowns), ``emrlab-quiz-submit``,
``emrlab-quiz-prev``, ``emrlab-quiz-next``, ``emrlab-quiz-review``, ``emrlab-quiz-finish``,
``emrlab-quiz-feedback``, ``emrlab-quiz-review-list``, ``emrlab-quiz-score``,
``emrlab-quiz-chart``.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from emrlab.exceptions import QuizError
from emrlab.quiz.blueprint import blueprint
from emrlab.quiz.engine import ExamResult, grade, grade_item
from emrlab.quiz.report import (
    breakdown_text,
    domain_chart_png,
    feedback_html,
    instructions,
    score_text,
)
from emrlab.quiz.schema import Item, MatchingQuestion, MultipleQuestion, OrderingQuestion

MODES = ("practice", "exam")
# ipywidgets draws radio labels one fixed-height line (long options overlap the next one and
# push their radio button away) and checkbox labels unwrapped with an ellipsis: let them wrap.
_STYLE = """<style>
.emrlab-quiz .widget-radio-box label, .emrlab-quiz .emrlab-quiz-option .widget-label-basic {
  height: auto; line-height: 1.4; padding: 3px 0; white-space: normal; overflow: visible;
  display: flex; align-items: flex-start; }
.emrlab-quiz .widget-radio-box input, .emrlab-quiz .emrlab-quiz-option .widget-label-basic input {
  float: none; flex: none; order: -1; height: auto; margin-top: 2px; align-self: flex-start; }
.emrlab-quiz .emrlab-quiz-option.widget-checkbox { height: auto; }
</style>"""


def _classes(widget: w.Widget, *names: str) -> w.Widget:
    for name in names:
        widget.add_class(name)
    return widget


def _button(text: str, css: str, style: str = "") -> w.Button:
    return _classes(w.Button(description=text, button_style=style), css)


class QuizUI:
    """An interactive quiz over already built items (see :func:`emrlab.quiz.sample.build_quiz`).

    Taught in quiz/practice_exam.ipynb.

    Parameters
    ----------
    items : list
        Gradable questions in the order shown.
    exam : str
        Blueprint for domains and the pass mark.
    mode : str
        ``"practice"``: feedback after each submit; ``"exam"``: answers are saved, with a timer,
        a review screen and feedback only after Finish.
    minutes : float, optional
        Exam time; default the exam's time scaled to the number of questions.
    progress_db : str, optional
        Progress store to record the finished quiz in; ``None`` records nothing, ``""`` the
        default store.
    source : str
        Label of the attempt in the progress store.
    clock : callable
        Seconds, monotonic; injectable for tests.
    """

    def __init__(
        self,
        items: list,
        exam: str = "mla-c01",
        mode: str = "practice",
        minutes: float | None = None,
        progress_db: str | None = None,
        source: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode={mode!r}; choose from {MODES}")
        if not items:
            raise QuizError("a quiz needs at least one question")
        bp = blueprint(exam)
        self.items, self.exam, self.mode = list(items), bp.code, mode
        self.minutes = minutes if minutes else bp.minutes * max(len(self.items), 1) / bp.questions
        self.progress_db, self.source, self.clock = progress_db, source, clock
        self.index = 0
        self.answers: dict[str, Any] = {}  # question id -> the learner's answer
        self.feedback: dict[str, str] = {}  # question id -> feedback HTML (practice mode)
        self.result: ExamResult | None = None
        self.started = clock()
        self._build()
        self._show()

    # -- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.header = _classes(w.HTML(), "emrlab-quiz-header")
        self.timer = _classes(w.HTML(), "emrlab-quiz-timer")
        self.progress = _classes(
            w.IntProgress(min=0, max=max(len(self.items), 1)), "emrlab-quiz-progress"
        )
        self.stem = _classes(w.HTML(), "emrlab-quiz-stem")
        self.answer_box = w.VBox()
        self.submit = _button(
            "Submit" if self.mode == "practice" else "Save answer", "emrlab-quiz-submit", "primary"
        )
        self.prev = _button("Previous", "emrlab-quiz-prev")
        self.next = _button("Next", "emrlab-quiz-next")
        self.review_button = _button("Review", "emrlab-quiz-review")
        self.finish_button = _button("Finish", "emrlab-quiz-finish", "warning")
        self.feedback_html = _classes(w.HTML(), "emrlab-quiz-feedback")
        self.review_html = _classes(w.HTML(), "emrlab-quiz-review-list")
        self.score = _classes(w.HTML(), "emrlab-quiz-score")
        self.chart = _classes(
            w.Image(format="png", layout=w.Layout(display="none")), "emrlab-quiz-chart"
        )
        self.ticker = w.Play(min=0, max=10**7, interval=1000, layout=w.Layout(display="none"))
        self.submit.on_click(lambda _b: self.do_submit())
        self.prev.on_click(lambda _b: self.go(self.index - 1))
        self.next.on_click(lambda _b: self.go(self.index + 1))
        self.review_button.on_click(lambda _b: self.show_review())
        self.finish_button.on_click(lambda _b: self.finish())
        self.ticker.observe(lambda _c: self._tick(), names="value")
        buttons = [self.submit, self.next, self.finish_button]
        if self.mode == "exam":
            buttons = [self.prev, self.submit, self.next, self.review_button, self.finish_button]
            self.ticker.playing = True
        self.root = _classes(
            w.VBox(
                [
                    w.HBox([self.header, self.timer]),
                    self.progress,
                    self.stem,
                    self.answer_box,
                    w.HBox(buttons),
                    self.feedback_html,
                    self.review_html,
                    self.score,
                    self.chart,
                    self.ticker,
                    w.HTML(_STYLE, layout=w.Layout(display="none")),
                ]
            ),
            "emrlab-quiz",
        )

    def _answer_widgets(self, item) -> list[w.Widget]:
        def label(key: str, text: str) -> str:
            return f"{key}. {' '.join(text.split())}"

        full = w.Layout(width="100%")
        if isinstance(item, MultipleQuestion):
            return [
                _classes(
                    w.Checkbox(description=label(k, v), indent=False, layout=full),
                    "emrlab-quiz-option",
                    f"emrlab-quiz-option-{k}",
                )
                for k, v in item.options.items()
            ]
        if isinstance(item, OrderingQuestion):
            choices = [("", None)] + [(label(k, v), k) for k, v in item.options.items()]
            return [
                _classes(
                    w.Dropdown(
                        options=choices, value=None, description=f"Step {i + 1}", layout=full
                    ),
                    "emrlab-quiz-order",
                )
                for i in range(len(item.options))
            ]
        if isinstance(item, MatchingQuestion):
            targets = [("", None)] + [(label(k, v), k) for k, v in item.targets.items()]
            return [
                w.HBox(
                    [
                        w.HTML(html.escape(label(k, v)), layout=w.Layout(width="50%")),
                        _classes(
                            w.Dropdown(options=targets, value=None),
                            "emrlab-quiz-match",
                            f"emrlab-quiz-match-{k}",
                        ),
                    ]
                )
                for k, v in item.options.items()
            ]
        radio = w.RadioButtons(
            options=[(label(k, v), k) for k, v in item.options.items()], value=None, layout=full
        )
        return [_classes(radio, "emrlab-quiz-option")]

    # -- state <-> widgets ----------------------------------------------------------------
    @property
    def item(self) -> Item:
        """The question shown now."""
        return self.items[self.index]

    def current_answer(self) -> str | list[str] | dict[str, str] | None:
        """The answer the widgets hold now, in the engine's answer form (None when blank)."""
        item, kids = self.item, self.answer_box.children
        if isinstance(item, MultipleQuestion):
            return [k for k, box in zip(item.options, kids, strict=True) if box.value] or None
        if isinstance(item, OrderingQuestion):
            steps = [d.value for d in kids]
            return steps if all(steps) else None
        if isinstance(item, MatchingQuestion):
            pairs = {k: row.children[1].value for k, row in zip(item.options, kids, strict=True)}
            return {k: v for k, v in pairs.items() if v} or None
        return kids[0].value

    def choose(self, value) -> None:
        """Set the widgets to ``value`` (the engine's answer form): what a click does."""
        item, kids = self.item, self.answer_box.children
        if isinstance(item, MultipleQuestion):
            for key, box in zip(item.options, kids, strict=True):
                box.value = key in (value or [])
        elif isinstance(item, OrderingQuestion):
            for i, drop in enumerate(kids):
                drop.value = value[i] if value and i < len(value) else None
        elif isinstance(item, MatchingQuestion):
            for key, row in zip(item.options, kids, strict=True):
                row.children[1].value = (value or {}).get(key)
        else:
            kids[0].value = value

    def _show(self) -> None:
        item, total = self.item, len(self.items)
        task = item.task(self.exam) or "-"
        self.header.value = (
            f"<b>Question {self.index + 1} of {total}</b> &middot; {item.type}"
            f" &middot; {self.exam.upper()} task {task}"
        )
        scenario = (
            f"<p><i>Case study:</i> {html.escape(item.scenario)}</p>" if item.scenario else ""
        )
        self.stem.value = (
            f"{scenario}<p>{html.escape(item.stem)}</p><p><i>{instructions(item)}</i></p>"
        )
        self.answer_box.children = self._answer_widgets(item)
        self.choose(self.answers.get(item.id))
        done = item.id in self.feedback
        self.feedback_html.value = self.feedback.get(item.id, "") if self.mode == "practice" else ""
        self.submit.disabled = self.result is not None or (self.mode == "practice" and done)
        self.prev.disabled = self.index == 0
        self.next.disabled = self.index >= total - 1
        self.progress.value = len(self.answers)
        self.review_html.value = ""
        self._tick()

    def _tick(self) -> None:
        if self.mode != "exam" or self.result is not None:
            self.timer.value = ""
            return
        left = self.seconds_left()
        self.timer.value = f"&nbsp;&middot; time left {int(left // 60)}:{int(left % 60):02d}"
        if left <= 0:
            self.finish()

    def seconds_left(self) -> float:
        """Seconds left in exam mode (never below 0)."""
        return max(0.0, self.minutes * 60 - (self.clock() - self.started))

    # -- actions (thin: the engine decides) -------------------------------------------------
    def do_submit(self) -> None:
        """Submit (practice: grade and show feedback) or save (exam) the current answer."""
        if self.result is not None:
            return
        value = self.current_answer()
        if self.mode == "practice" and value is None:
            self.feedback_html.value = "<i>Choose an answer first.</i>"
            return
        self.answers[self.item.id] = value
        if self.mode == "practice":
            result = grade_item(self.item, value, self.exam)
            self.feedback[self.item.id] = feedback_html(result)
            self._show()
            if len(self.feedback) == len(self.items):
                self.finish()
        elif self.index < len(self.items) - 1:
            self.go(self.index + 1)
        else:
            self._show()

    def go(self, index: int) -> None:
        """Show question ``index`` (0-based); in exam mode the shown answer is kept."""
        if self.mode == "exam" and self.result is None and self.current_answer() is not None:
            self.answers[self.item.id] = self.current_answer()
        self.index = min(max(index, 0), len(self.items) - 1)
        self._show()

    def show_review(self) -> None:
        """The exam's review screen: every question with answered / unanswered."""
        rows = []
        for n, item in enumerate(self.items, 1):
            state = "answered" if self.answers.get(item.id) is not None else "<b>unanswered</b>"
            rows.append(f"<tr><td>{n}</td><td>{item.id}</td><td>{state}</td></tr>")
        blank = sum(self.answers.get(i.id) is None for i in self.items)
        self.review_html.value = (
            f"<p>{blank} unanswered; use Previous/Next to change answers,"
            f" Finish to grade.</p><table>{''.join(rows)}</table>"
        )

    def finish(self) -> ExamResult:
        """Grade everything, show the score, per-question feedback and the domain chart."""
        if self.result is not None:
            return self.result
        if self.mode == "exam" and self.current_answer() is not None:
            self.answers[self.item.id] = self.current_answer()
        self.result = grade(self.items, self.answers, self.exam)
        self.score.value = (
            f"<p><b>{html.escape(score_text(self.result))}</b></p>"
            f"<pre>{html.escape(breakdown_text(self.result))}</pre>"
        )
        if self.mode == "exam":
            self.review_html.value = "<hr>".join(
                f"<p><b>{r.id}</b></p>{feedback_html(r)}" for r in self.result.results
            )
        self.chart.value = domain_chart_png(self.result)
        self.chart.layout.display = None
        self.ticker.playing = False
        self.submit.disabled = True
        self.timer.value = ""
        if self.progress_db is not None:
            from emrlab.quiz.progress import ProgressStore

            ProgressStore(self.progress_db or None).record(self.result, self.source)
        return self.result

    def show(self) -> None:
        """Display the quiz in the notebook (what a bare ``quiz`` as last line would do)."""
        from IPython.display import display

        display(self)

    def _repr_mimebundle_(self, **kwargs) -> dict:
        bundle = self.root._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = (
            f"emrlab quiz: {len(self.items)} question(s), {self.exam.upper()}, {self.mode} mode"
        )
        return bundle
