"""End to end: a quiz notebook in real JupyterLab, driven by headless Chromium.

The test starts JupyterLab on a free loopback port (with a token, ``--no-browser``) over a temp
folder holding a papermill-parameterised copy of ``quiz/emr_and_spark.ipynb`` (fixed seed, two
questions, a temp progress store), opens it in headless Chromium through Playwright, runs every
cell from the "Run" menu, answers both questions by clicking the options and Submit, and reads
the feedback and the score from the page. The expected text comes from the engine
(:mod:`emrlab.quiz.engine` and :mod:`emrlab.quiz.report`) for the same answers, so the test fails
when the widgets and the engine disagree.

Needs Debian's ``chromium`` (``/usr/bin/chromium``, or ``EMRLAB_CHROMIUM``) and the
``playwright`` Python package (never ``playwright install``: the system browser is used).
Without them the test is skipped, unless ``EMRLAB_REQUIRE_BROWSER=1`` (CI) turns the skip into
a failure. ``EMRLAB_QUIZ_SCREENSHOT=PATH`` also saves the screenshot of the quiz after the first
feedback to ``PATH`` (how ``docs/img/quiz_ui.png`` is made).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

from emrlab.cli.lab import wait_until_up
from tests.conftest import ROOT

NOTEBOOK = "quiz/emr_and_spark.ipynb"
PARAMS = {"exam": "mla-c01", "n_questions": 2, "domains": "", "answers": ""}  # seed: pick_quiz
TOPICS = "emr-and-spark"  # the topic group the notebook draws from
CHROMIUM = os.environ.get("EMRLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--disable-breakpad", "--disable-crash-reporter",
]
START_S, RENDER_S, CLICK_S = 120, 90, 30  # bounds of the waits (seconds)


def _missing() -> str:
    """Why the browser test cannot run here ("" when it can); cheap: no browser is started."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set EMRLAB_CHROMIUM)"
    if importlib.util.find_spec("playwright") is None:
        return "the Python package playwright is not installed (pip install playwright)"
    return ""


_REASON = _missing()
_REQUIRED = os.environ.get("EMRLAB_REQUIRE_BROWSER") == "1"
needs_browser = pytest.mark.skipif(bool(_REASON) and not _REQUIRED,
                                   reason=f"browser test: {_REASON}")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def squash(text: str) -> str:
    """``text`` without any whitespace: DOM text and engine text compare equal on it."""
    return "".join(text.split())


def html_text(markup: str) -> str:
    """The text a browser shows for ``markup`` (tags dropped, entities decoded), squashed."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return squash("".join(parser.parts))


def wrong_answer(item):
    """A wrong answer in the engine's form for ``item`` (so the feedback shows why)."""
    if item.type == "multiple":
        extra = next(k for k in item.options if k not in item.answer)
        return sorted([item.answer[0], extra])
    if item.type == "ordering":
        return list(reversed(item.answer))
    if item.type == "matching":
        targets = list(item.targets)
        return {k: targets[(targets.index(v) + 1) % len(targets)] for k, v in item.answer.items()}
    return next(k for k in item.options if k != item.answer)


def save_small_png(png: bytes, path: Path) -> None:
    """Save a screenshot as a 64-colour PNG (a documentation image, a fraction of the bytes)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64)
    image.save(path, optimize=True)


def pick_quiz() -> tuple[int, list]:
    """A fixed seed and the two questions the notebook shows with it, built by the engine.

    The first seed (1-199) whose quiz is a multiple-answer question then a single-answer one,
    so both checkboxes and radio buttons get clicked whatever the bank holds; else seed 7.
    """
    from emrlab.quiz import bank as quizbank, sample as quizsample

    questions = quizbank.load_bank().questions

    def build(seed: int) -> list:
        return quizsample.build_quiz(
            questions, exam=PARAMS["exam"], n=PARAMS["n_questions"], seed=seed,
            domains=PARAMS["domains"], topics=TOPICS,
        )

    for seed in range(1, 200):
        items = build(seed)
        if [item.type for item in items] == ["multiple", "single"]:
            return seed, items
    return 7, build(7)


def _write_settings(settings_dir: Path) -> None:
    """JupyterLab user settings: no news or update checks, no kernel dialog, all cells drawn."""
    values = {
        "@jupyterlab/apputils-extension/notification": {"checkForUpdates": False,
                                                        "fetchNews": "false"},
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none",
                                                   "autoStartDefaultKernel": True},
    }
    for name, value in values.items():
        path = settings_dir / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


def _stop(proc: subprocess.Popen, base: str, token: str) -> None:
    """Shut JupyterLab down (kernels included) through its API; signals as a fallback."""
    if proc.poll() is None:
        try:
            req = urllib.request.Request(f"{base}/api/shutdown", method="POST",
                                         headers={"Authorization": f"token {token}"})
            urllib.request.urlopen(req, timeout=10).close()
            proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)  # the process group this fixture started
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


@pytest.fixture(scope="module")
def quiz_items():
    """(seed, questions) of the quiz under test; fails when CI requires a missing browser."""
    if _REASON:
        pytest.fail(f"EMRLAB_REQUIRE_BROWSER=1 but {_REASON}")
    return pick_quiz()


@pytest.fixture(scope="module")
def lab(tmp_path_factory, quiz_items):
    """JupyterLab over a temp folder with the parameterised quiz; yields (url, log path)."""
    import nbformat
    import papermill

    from emrlab.local import emulator as localaws

    root = tmp_path_factory.mktemp("quiz-browser")
    params = dict(PARAMS, seed=quiz_items[0], progress_db=str(root / "progress.sqlite3"))
    papermill.execute_notebook(str(ROOT / NOTEBOOK), str(root / "quiz.ipynb"), parameters=params,
                               prepare_only=True, progress_bar=False, kernel_name="python3")
    nb = nbformat.read(root / "quiz.ipynb", as_version=4)
    for cell in nb.cells:  # the reference outputs would only show stale widget views
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, root / "quiz.ipynb")
    _write_settings(root / ".settings")
    port, token = localaws.free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    log = root / "jupyterlab.log"
    env = dict(os.environ, EMRLAB_QUIZ_DB=params["progress_db"],
               JUPYTER_CONFIG_DIR=str(root / ".jupyter"), JUPYTER_DATA_DIR=str(root / ".data"),
               JUPYTER_RUNTIME_DIR=str(root / ".runtime"))  # nothing from the user's setup
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={root / '.settings'}",
        f"--LabApp.workspaces_dir={root / '.workspaces'}", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI often run as root
        cmd.append("--allow-root")
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        if not wait_until_up(f"{base}/api/status?token={token}", proc, timeout=START_S):
            pytest.fail(f"JupyterLab did not start in {START_S} s:\n{log.read_text()[-3000:]}")
        yield f"{base}/lab/tree/quiz.ipynb?token={token}", log
    finally:
        _stop(proc, base, token)


@pytest.fixture
def page(lab, tmp_path):
    """A headless Chromium page with a fresh profile (``--user-data-dir``); closed afterwards."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, timeout=START_S * 1000, viewport={"width": 1100, "height": 1000},
        )
        context.set_default_timeout(CLICK_S * 1000)
        expect.set_options(timeout=CLICK_S * 1000)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def run_all_cells(page) -> None:
    """Wait for the notebook and an idle kernel, then Run > Run All Cells from the menu bar."""
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=RENDER_S * 1000)
    # the toolbar's indicator says "idle" before a kernel exists; the status bar waits for one
    kernel = page.locator(".jp-StatusBar-TextItem").filter(has_text=re.compile(r"\| Idle$"))
    kernel.first.wait_for(timeout=RENDER_S * 1000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    menu = page.locator("#jp-mainmenu-run .lm-Menu-itemLabel")
    menu.filter(has_text=re.compile(r"^Run All Cells$")).click()


def answer(page, item, value) -> None:
    """Click the options of ``value`` (the engine's answer form) for the question shown."""
    quiz = page.locator(".emrlab-quiz")
    if item.type == "multiple":
        for key in value:
            quiz.locator(f".emrlab-quiz-option-{key} input[type=checkbox]").check()
    elif item.type == "single":
        option = re.compile(rf"^\s*{value}\. ")  # case-sensitive, from the start
        label = quiz.locator(".emrlab-quiz-option label").filter(has_text=option)
        label.locator("input[type=radio]").check()
    elif item.type == "ordering":
        for drop, key in zip(quiz.locator(".emrlab-quiz-order select").all(), value, strict=True):
            drop.select_option(label=f"{key}. {' '.join(item.options[key].split())}")
    else:
        for key, target in value.items():
            text = f"{target}. {' '.join(item.targets[target].split())}"
            quiz.locator(f".emrlab-quiz-match-{key} select").select_option(label=text)


@pytest.mark.notebook
@pytest.mark.slow
@needs_browser
def test_quiz_notebook_in_browser(quiz_items, lab, page, tmp_path):
    from playwright.sync_api import expect

    from emrlab.quiz import engine as quizengine, report as quizreport

    url, log = lab
    items = quiz_items[1]
    assert len(items) == 2, "the bank has too few emr-and-spark questions"
    answers = {items[0].id: wrong_answer(items[0]), items[1].id: items[1].answer}
    expected = quizengine.grade(items, answers, exam=PARAMS["exam"])
    assert [r.correct for r in expected.results] == [False, True], "pick other test answers"
    quiz = page.locator(".emrlab-quiz")
    try:
        page.goto(url, timeout=RENDER_S * 1000)
        run_all_cells(page)
        quiz.wait_for(timeout=RENDER_S * 1000)
        feedback, score = quiz.locator(".emrlab-quiz-feedback"), quiz.locator(".emrlab-quiz-score")
        verdict = feedback.locator(".emrlab-verdict")
        for number, (item, result) in enumerate(zip(items, expected.results, strict=True), 1):
            if number > 1:
                quiz.locator(".emrlab-quiz-next").click()
            # widget updates arrive one by one: wait for each, never read a stale value
            expect(quiz.locator(".emrlab-quiz-header")).to_contain_text(f"Question {number} of 2")
            expect(quiz.locator(".emrlab-quiz-stem")).to_contain_text(" ".join(item.stem.split()))
            expect(feedback).to_have_text("")
            answer(page, item, answers[item.id])
            quiz.locator(".emrlab-quiz-submit").click()
            expect(verdict).to_have_text("Correct" if result.correct else "Incorrect")
            # one HTML widget: once the verdict is there, the whole feedback is
            assert squash(feedback.text_content()) == html_text(quizreport.feedback_html(result))
            expect(quiz.locator(".emrlab-quiz-submit")).to_be_disabled()
            if number == 1:
                expect(score).to_have_text("")
                shot = quiz.screenshot(path=tmp_path / "quiz_ui.png")
                if os.environ.get("EMRLAB_QUIZ_SCREENSHOT"):
                    save_small_png(shot, Path(os.environ["EMRLAB_QUIZ_SCREENSHOT"]))
        # the last submit finishes the quiz: score and breakdown from the engine's grade()
        expect(score).to_contain_text(f"scaled {expected.scaled}/1000")
        assert squash(score.text_content()) == squash(
            quizreport.score_text(expected) + quizreport.breakdown_text(expected)
        )
        assert "score: 1/2 correct (50 %)" in score.text_content()
        quiz.screenshot(path=tmp_path / "quiz_finished.png")  # for a person looking into it
    except Exception:
        with contextlib.suppress(Exception):  # keep the test's own error if this fails too
            page.screenshot(path=tmp_path / "failure.png", full_page=True)
        print(f"page screenshot: {tmp_path / 'failure.png'}; JupyterLab log: {log}")
        raise


def test_skip_reason_names_what_is_missing(monkeypatch):
    """The skip check names what is missing (and never starts a browser)."""
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    assert _missing().startswith("no Chromium at /nonexistent/chromium")
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", sys.executable)  # any executable
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert _missing().startswith("the Python package playwright is not installed")
