"""``emrlab run``: execute notebooks with papermill, in parallel, against one shared emulator.

Taught in README.md ("make run") and notebooks/00_start_here.ipynb.

The runner starts the local AWS emulator in its own process, exports its address and a shared
work directory to every kernel, runs the selected notebooks (all of ``notebooks/``, the lab
solutions and the quiz notebooks by default) up to ``--jobs`` at a time, and writes the
executed notebooks and a Markdown/HTML report under ``runs/<timestamp>/``.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from emrlab import notebook_params, notebooks, report
from emrlab.exceptions import NotebookRunError
from emrlab.local import emulator as localaws


@dataclass
class NotebookResult:
    """The outcome of one notebook run (one row of the report)."""

    name: str
    output: str
    status: str  # "passed" or "failed"
    duration_s: float
    failed_cell: int | None = None
    error: str = ""
    figures: dict[str, Any] = field(default_factory=dict)


def _execute(source: str, output: str, params: dict, timeout: int) -> dict:
    """Run one notebook in a worker process; never raises, returns a result dict."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from emrlab.figures import read

    start = time.monotonic()
    result: dict[str, Any] = {"status": "passed", "failed_cell": None, "error": ""}
    # The kernel, Spark and xgboost inherit this worker's stdout/stderr: keep their chatter in
    # a log next to the executed notebook instead of the terminal.
    log = open(Path(output).with_suffix(".log"), "w")  # noqa: SIM115 - closed in finally
    saved = os.dup(1), os.dup(2)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    try:
        papermill.execute_notebook(
            source,
            output,
            parameters=params,
            cwd=str(Path(source).parent),
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
            kernel_name="python3",
        )
    except PapermillExecutionError as exc:
        result.update(status="failed", failed_cell=exc.exec_count, error=f"{exc.ename}: {exc.evalue}")
    except Exception as exc:  # timeouts, dead kernels, unreadable notebooks: all are failures
        result.update(status="failed", error=f"{type(exc).__name__}: {exc}".strip())
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
        log.close()
    result["duration_s"] = round(time.monotonic() - start, 1)
    try:
        result["figures"] = read(output)
    except (OSError, ValueError):
        result["figures"] = {}
    return result


def default_jobs() -> int:
    """Parallel notebooks by default: one per core (each local Spark uses ``local[*]``)."""
    return max(1, min(os.cpu_count() or 1, 4))


def run(
    names: list[str] | None = None,
    assignments: dict[str, str] | None = None,
    jobs: int | None = None,
    out: str | Path | None = None,
    root: str | Path | None = None,
    timeout: int = 1800,
    progress: bool = True,
) -> tuple[Path, list[NotebookResult]]:
    """Execute notebooks and write the report.

    Parameters
    ----------
    names : list of str, optional
        Notebook paths or stems; all notebooks, lab solutions and quizzes when empty.
    assignments : dict, optional
        ``-p`` parameters as strings; each is coerced to the type a notebook declares.
    jobs : int, optional
        Notebooks run at once (default: :func:`default_jobs`).
    out : path, optional
        Output folder (default ``runs/<timestamp>``).
    timeout : int
        Per-cell timeout in seconds.

    Returns
    -------
    (Path, list of NotebookResult)
        The output folder and one result per notebook.

    Raises
    ------
    NotebookRunError, ParameterError
        Bad selection or parameters, before anything runs.
    """
    base = notebooks.repo_root(Path(root) if root else None)
    selected = notebooks.select(base, list(names or []))
    if not selected:
        raise NotebookRunError("no notebooks to run")
    plan = notebooks.plan_parameters(selected, dict(assignments or {}))
    # Ranges and choices too, before the emulator or any kernel starts.
    notebook_params.check_plan(base, plan)
    jobs = jobs or default_jobs()
    if jobs < 1:
        raise NotebookRunError(f"--jobs={jobs} must be at least 1")
    out_dir = Path(out) if out else base / "runs" / datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir.mkdir(parents=True, exist_ok=True)

    # One emulator and one work dir for the whole run, inherited by every kernel.
    os.environ["EMRLAB_WORK_DIR"] = str((out_dir / "work").resolve())
    os.environ.setdefault("EMRLAB_MODE", "local")
    endpoint = localaws.ensure()
    localaws.apply_env(endpoint, os.environ.get("EMRLAB_REGION") or "us-east-1")

    results: list[NotebookResult] = []
    bar = _progress(len(selected), progress)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures = {}
        for nb in selected:
            rel = nb.relative_to(base) if nb.is_relative_to(base) else Path(nb.name)
            target = out_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            fut = pool.submit(_execute, str(nb), str(target), plan[nb], timeout)
            futures[fut] = (str(rel), target)
        for fut in as_completed(futures):
            name, target = futures[fut]
            res = fut.result()
            results.append(NotebookResult(name, str(target.relative_to(out_dir)), **res))
            bar.set_postfix_str(f"{name}: {res['status']}")
            bar.update(1)
    bar.close()
    order = {str(nb.relative_to(base)) if nb.is_relative_to(base) else nb.name: i
             for i, nb in enumerate(selected)}
    results.sort(key=lambda r: order.get(r.name, 0))
    report.write(out_dir, results)
    return out_dir, results


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="notebook", disable=not enabled, desc="emrlab run")
