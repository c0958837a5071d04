"""``emrlab grade``: grade a class's submissions of one lab, each in its own process.

Taught in docs/instructors.md.

    emrlab grade submissions/*.ipynb --lab 00_warmup --jobs 2 --timeout 600 --out grades/

Every submission runs in a fresh ``python -m emrlab.classroom.worker`` process with its own local
AWS emulator and work dir; a process that does not end in time is killed with its whole
process group. The batch always goes on, and the gradebook always gets one row per submission.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from emrlab.exceptions import ParameterError

GRACE_S = 120  # extra wall time for the worker's own start and clean-up


def _worker(job: dict, job_path: Path) -> dict:
    """Run one worker process; turn a crash or a hang into a graded-zero row."""
    job_path.write_text(json.dumps(job))
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "emrlab.classroom.worker", str(job_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=job["timeout"] + GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        err = b"the grading process did not end in time and was killed"
    result = Path(job["result"])
    if proc.returncode == 0 and result.exists():
        return json.loads(result.read_text())
    tail = (err or b"").decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
    from emrlab.classroom import Grade

    return {**Grade(job["student"], job["submission"], job["lab"], 0.0, job["max_points"],
                    "error", f"grader failed after {time.monotonic() - start:.0f} s: {tail[0]}"
                    [:300]).__dict__, "checks": []}


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


def grade(submissions: list[Path], lab: str, out: Path, root: Path, jobs: int = 2,
          timeout: int = 600, max_memory_mb: int = 6000) -> list[dict]:
    """Grade every submission of ``lab``; write the gradebook into ``out``; return the rows.

    Raises
    ------
    ParameterError
        Unknown lab, no submissions, or out-of-range jobs/timeout/memory (before any work).
    """
    import nbformat

    from emrlab.classroom import gradebook, grading, release

    labs = {p.parent.name: p for p in release.lab_solutions(root)}
    quizzes = {p.stem: p for p in sorted((root / "quiz").glob("*.ipynb"))}
    if lab not in labs and lab not in quizzes:
        raise ParameterError(f"--lab {lab!r} is not a lab or quiz of this kit; choose from "
                             f"{', '.join([*labs, *quizzes])}")
    if not submissions:
        raise ParameterError("no submissions given")
    for name, value, low in (("--jobs", jobs, 1), ("--timeout", timeout, 10),
                             ("--max-memory-mb", max_memory_mb, 256)):
        if value < low:
            raise ParameterError(f"{name}={value} must be at least {low}")
    kind = "lab" if lab in labs else "quiz"
    solution = labs[lab] if kind == "lab" else quizzes[lab]
    max_points = (sum(c.points for c in grading.expected_checks(nbformat.read(solution, 4)))
                  if kind == "lab" else 1000.0)
    students = _unique([re.sub(r"[^\w.-]", "_", grading.student_name(p, lab)) for p in submissions])
    out.mkdir(parents=True, exist_ok=True)
    work_root = out / "work" / lab
    jobs_list = []
    for student, sub in zip(students, submissions, strict=True):
        work = work_root / student
        work.mkdir(parents=True, exist_ok=True)
        jobs_list.append(({
            "submission": str(sub.resolve()), "lab": lab, "student": student,
            "solution": str(solution), "work_dir": str(work.resolve()),
            "output": str((out / "executed" / lab / f"{student}.ipynb").resolve()),
            "result": str((work / "result.json").resolve()), "timeout": timeout,
            "max_memory_mb": max_memory_mb, "max_points": max_points, "kind": kind,
        }, work / "job.json"))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        grades = list(pool.map(lambda item: _worker(*item), jobs_list))
    gradebook.write(out, grades)
    return grades


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``emrlab grade``."""
    parser.add_argument("submissions", nargs="+", help="submitted notebooks")
    parser.add_argument("--lab", required=True,
                        help="a lab's folder name (00_warmup) or a quiz notebook (practice_exam)")
    parser.add_argument("--jobs", type=int, default=2, help="submissions graded at once")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per submission")
    parser.add_argument("--max-memory-mb", type=int, default=6000,
                        help="memory a submission's kernel and Spark may use")
    parser.add_argument("--out", default="grades", help="gradebook folder (merged if it exists)")
    parser.add_argument("--root", default=None, help="kit root (default: auto)")


def main(args: argparse.Namespace) -> int:
    """Run ``emrlab grade``; exit status 0 when every submission could be graded."""
    from emrlab.notebooks import repo_root

    root = repo_root(Path(args.root) if args.root else None)
    grades = grade([Path(p) for p in args.submissions], args.lab, Path(args.out), root,
                   jobs=args.jobs, timeout=args.timeout, max_memory_mb=args.max_memory_mb)
    for g in grades:
        note = f"  ({g['reason']})" if g["reason"] else ""
        print(f"{g['student']:<20} {g['points']:g}/{g['max_points']:g}{note}")
    print(f"gradebook: {Path(args.out) / 'gradebook.csv'}, {Path(args.out) / 'gradebook.html'}")
    return 0
