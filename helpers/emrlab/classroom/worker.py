"""Grading one submission in a process of its own: ``python -m emrlab.classroom.worker JOB.json``.

Taught in docs/instructors.md. The worker starts its own local AWS emulator, builds the graded
notebook (:mod:`emrlab.classroom.grading`), puts the limits of ``PRELUDE`` in front of it,
executes it with papermill under a watchdog (total time and memory of the kernel and its
children), and writes the grade as JSON. It never raises for a bad submission: every problem
becomes a reason in the gradebook.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

OUTPUT_KEEP = 100_000  # characters of one output kept in the executed notebook

# The first cell of every graded notebook: limits that keep one submission from harming others.
#
# It runs inside the learner's kernel before their code:
#
# - an audit hook (``sys.addaudithook``; it cannot be removed once added) refuses writes,
#   deletes and renames outside the submission's work dir, and any shell command or process
#   not started by Spark or emrlab itself; each refusal is logged for the gradebook;
# - stdout and stderr are capped, so printing megabytes cannot flood the grader.
PRELUDE = r'''
import os as _g_os, sys as _g_sys

def _g_install(work, log_path, cap):
    work = _g_os.path.realpath(work)
    log = open(log_path, "a", buffering=1)
    allowed_roots = (work + _g_os.sep, "/dev/null", "/dev/shm/", "/proc/")
    trusted = (_g_os.sep + "pyspark" + _g_os.sep, _g_os.sep + "emrlab" + _g_os.sep,
               _g_os.sep + "py4j" + _g_os.sep, _g_os.sep + "jupyter_client" + _g_os.sep,
               _g_os.sep + "ipykernel" + _g_os.sep)
    write_flags = _g_os.O_WRONLY | _g_os.O_RDWR | _g_os.O_CREAT | _g_os.O_APPEND | _g_os.O_TRUNC

    def refuse(what):
        log.write(what + "\n")
        raise PermissionError("the grader blocked " + what)

    def inside(path):
        try:
            real = _g_os.path.realpath(_g_os.fsdecode(path))
        except (TypeError, ValueError):
            return True
        return real == work or real.startswith(allowed_roots)

    def from_trusted_code():
        frame = _g_sys._getframe(2)
        while frame is not None:
            if any(t in frame.f_code.co_filename for t in trusted):
                return True
            frame = frame.f_back
        return False

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            if path is None or isinstance(path, int):
                return
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & write_flags)
            if writing and not inside(path):
                refuse("a write outside the work dir: " + _g_os.fsdecode(path))
        elif event in ("os.remove", "os.rmdir", "os.mkdir", "os.truncate", "shutil.rmtree",
                       "os.chmod", "os.chown"):
            if not isinstance(args[0], int) and not inside(args[0]):
                refuse(event + " outside the work dir: " + _g_os.fsdecode(args[0]))
        elif event in ("os.rename", "os.link", "os.symlink"):
            for path in args[:2]:
                if not isinstance(path, int) and not inside(path):
                    refuse(event + " outside the work dir: " + _g_os.fsdecode(path))
        elif event in ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                       "os.forkpty", "pty.spawn"):
            refuse("a shell command or process: " + event)
        elif event == "subprocess.Popen" and not from_trusted_code():
            refuse("a subprocess: " + str(args[1])[:200])

    class Cap:
        def __init__(self, stream):
            self._stream, self._left, self._warned = stream, cap, False

        def write(self, text):
            if self._left <= 0:
                if not self._warned:
                    self._warned = True
                    self._stream.write("\n[output truncated by the grader]\n")
                return len(text)
            self._left -= len(text)
            return self._stream.write(text[: max(0, self._left + len(text))])

        def __getattr__(self, name):
            return getattr(self._stream, name)

    _g_sys.stdout, _g_sys.stderr = Cap(_g_sys.stdout), Cap(_g_sys.stderr)
    _g_sys.addaudithook(hook)

_g_install(_g_os.environ["EMRLAB_GRADER_WORK"], _g_os.environ["EMRLAB_GRADER_LOG"],
           int(_g_os.environ.get("EMRLAB_GRADER_OUTPUT_CAP", "1000000")))
del _g_install
'''



class Watchdog(threading.Thread):
    """Kills the kernel (and Spark) when they run too long or use too much memory."""

    def __init__(self, timeout_s: float, max_memory_mb: float):
        super().__init__(daemon=True)
        self.timeout_s, self.max_memory_mb = timeout_s, max_memory_mb
        self.reason = ""
        self._stop = threading.Event()

    def run(self) -> None:
        import psutil

        me, start = psutil.Process(), time.monotonic()
        while not self._stop.wait(0.1):
            children = me.children(recursive=True)
            rss = 0
            for child in children:
                try:
                    rss += child.memory_info().rss
                except psutil.Error:
                    continue
            if rss > self.max_memory_mb * 2**20:
                self.reason = f"used more than {self.max_memory_mb:.0f} MB of memory; stopped"
            elif time.monotonic() - start > self.timeout_s:
                self.reason = f"did not finish within {self.timeout_s:.0f} s; stopped"
            if self.reason:
                for child in children:
                    try:
                        child.kill()
                    except psutil.Error:
                        continue
                return

    def stop(self) -> None:
        self._stop.set()


def _truncate_outputs(nb) -> None:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and len(output.get("text", "")) > OUTPUT_KEEP:
                output["text"] = output["text"][:OUTPUT_KEEP] + "\n[... truncated by the grader]\n"


def _prepare_env(work: Path) -> None:
    for sub in ("home", "tmp", "work", "ipython", "mpl"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    os.environ.pop("EMRLAB_AWS_ENDPOINT", None)  # this submission gets its own emulator
    os.environ.update({
        "EMRLAB_MODE": "local",
        "EMRLAB_WORK_DIR": str(work / "work"),
        "EMRLAB_GRADER_WORK": str(work),
        "EMRLAB_GRADER_LOG": str(work / "violations.log"),
        "HOME": str(work / "home"),
        "TMPDIR": str(work / "tmp"),
        "IPYTHONDIR": str(work / "ipython"),
        "MPLCONFIGDIR": str(work / "mpl"),
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    os.environ.pop("EMRLAB_ACKNOWLEDGE_COSTS", None)


def grade(job: dict) -> dict:
    """Grade the submission described by ``job``; returns a :class:`Grade` as a dict."""
    import nbformat
    import papermill
    from nbformat.v4 import new_code_cell

    from emrlab.classroom import grading
    from emrlab.local import emulator as localaws

    sub, lab, work = Path(job["submission"]), job["lab"], Path(job["work_dir"])
    solution = nbformat.read(job["solution"], as_version=4)
    row = grading.Grade(student=job["student"], submission=str(sub), assignment=lab)
    row.max_points = sum(c.points for c in grading.expected_checks(solution))
    try:
        submission = grading.read_submission(sub, lab)
        graded = grading.build(solution, submission, lab)
    except grading.SubmissionError as exc:
        row.status, row.reason = "error", str(exc)
        row.checks = grading.outcomes(None, solution, str(exc))
        return asdict(row)
    _prepare_env(work)
    localaws.apply_env(localaws.ensure(), "us-east-1")
    prelude = new_code_cell(PRELUDE)
    graded.cells.insert(0, prelude)
    source, output = work / "graded.ipynb", Path(job["output"])
    nbformat.write(graded, source)
    output.parent.mkdir(parents=True, exist_ok=True)
    dog = Watchdog(job["timeout"], job["max_memory_mb"])
    dog.start()
    failure = ""
    try:
        papermill.execute_notebook(
            str(source), str(output), kernel_name="python3", cwd=str(work / "work"),
            progress_bar=False, execution_timeout=job["timeout"], log_output=False,
        )
    except papermill.PapermillExecutionError:
        pass  # a learner's cell raised: expected; its checks say what failed
    except Exception as exc:  # dead kernel, cell timeout: reported per missing check
        failure = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
    finally:
        dog.stop()
    executed = None
    if output.exists():
        executed = nbformat.read(output, as_version=4)
        _truncate_outputs(executed)
        nbformat.write(executed, output)
    missing = dog.reason or (f"the kernel stopped before this check ran ({failure})"
                             if failure else "this check did not run")
    row.checks = grading.outcomes(executed, solution, missing)
    row.points = sum(c.points for c in row.checks)
    log = work / "violations.log"
    blocked = sorted(set(log.read_text().splitlines())) if log.exists() else []
    reasons = [dog.reason or failure] if (dog.reason or failure) else []
    reasons += [f"blocked {b}" for b in blocked[:5]]
    row.reason = "; ".join(reasons)
    return asdict(row)


QUIZ_PARAMETERS = ("answers", "seed", "exam", "domains", "n_questions")


def grade_quiz(job: dict) -> dict:
    """Grade a quiz submission: re-run the kit's quiz notebook with the learner's answers.

    A submission is the learner's executed quiz notebook (its parameters are read, never its
    outputs) or a JSON file: either ``{question-id: answer}`` for the quiz's default parameters
    or ``{"answers": {...}, "seed": 3, "n_questions": 4, ...}``. The score is the scaled score of the kit's own run.
    """
    import nbformat
    import papermill

    from emrlab.classroom import grading
    from emrlab.figures import read

    sub, work = Path(job["submission"]), Path(job["work_dir"])
    row = grading.Grade(student=job["student"], submission=str(sub), assignment=job["lab"],
                        max_points=1000.0)
    try:
        if sub.suffix == ".json":
            data = json.loads(sub.read_text())
            if isinstance(data, dict) and isinstance(data.get("answers"), dict):
                params = {k: v for k, v in data.items() if k in QUIZ_PARAMETERS}
            else:  # a bare {question-id: answer} mapping for the quiz's default parameters
                params = {"answers": data}
            params["answers"] = json.dumps(params["answers"])
        else:
            nb = grading.read_submission(sub, job["lab"])
            params = {k: v for k, v in grading.submission_parameters(nb).items()
                      if k in QUIZ_PARAMETERS}
            if not params.get("answers"):
                raise grading.SubmissionError("the notebook ran without answers (answers is empty)")
    except (grading.SubmissionError, ValueError, OSError) as exc:
        row.status, row.reason = "error", str(exc)[:300]
        return asdict(row)
    _prepare_env(work)
    params["progress_db"] = str(work / "progress.sqlite")
    output = Path(job["output"])
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(job["solution"], str(output), parameters=params,
                                   kernel_name="python3", cwd=str(work / "work"),
                                   progress_bar=False, execution_timeout=job["timeout"])
        scaled = read(output)["score"][0]
    except Exception as exc:  # malformed answers surface here as the notebook's own error
        message = getattr(exc, "evalue", "") or str(exc)
        row.status, row.reason = "error", f"answers could not be graded: {message}"[:300]
        return asdict(row)
    row.points = float(scaled)
    from emrlab.quiz.blueprint import blueprint

    passing = blueprint(params.get("exam", "mla-c01")).pass_mark
    row.checks = [grading.CheckOutcome(f"scaled score (pass {passing})", row.points, 1000.0,
                                       row.points >= passing)]
    nbformat.write(nbformat.read(output, as_version=4), output)
    return asdict(row)


def main(argv: list[str] | None = None) -> int:
    """Entry point: read the job file, grade, write ``<job>.result.json``."""
    job_path = Path((argv or sys.argv[1:])[0])
    job = json.loads(job_path.read_text())
    result = grade_quiz(job) if job.get("kind") == "quiz" else grade(job)
    Path(job["result"]).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
