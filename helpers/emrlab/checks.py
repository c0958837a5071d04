"""Auto-graded lab checks.

Taught in every lab (labs/*/solution.ipynb). A check is a ``with`` block holding assertions;
a failing block records its message instead of stopping the notebook, so every check runs and
the learner sees all hints at once. :func:`summary` at the end raises :class:`CheckFailed` when
any check failed, which makes ``emrlab run`` and papermill report the lab as failed.

Example
-------
>>> with check("bucket exists", points=1, hint="create it with s3.create_bucket"):
...     assert "raw" in buckets
"""

from __future__ import annotations

import traceback
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from emrlab.exceptions import CheckFailed

MIME = "application/vnd.emrlab.check+json"


@dataclass
class CheckResult:
    """The outcome of one check."""

    name: str
    points: float
    passed: bool
    message: str = ""


results: list[CheckResult] = []


def _show(result: CheckResult, hint: str) -> None:
    from IPython.display import display

    mark = "PASS" if result.passed else "FAIL"
    text = f"[{mark}] {result.name} ({result.points:g} pt)"
    if not result.passed:
        text += f": {result.message}" + (f"\n       hint: {hint}" if hint else "")
    display({"text/plain": text, MIME: asdict(result)}, raw=True)


@contextmanager
def check(name: str, points: float = 1, hint: str = ""):
    """Run the assertions in the block as one graded check.

    Parameters
    ----------
    name : str
        What is checked, shown to the learner and in the gradebook.
    points : float
        Points this check is worth.
    hint : str
        Shown when the check fails.
    """
    result = CheckResult(name, points, passed=False)
    try:
        yield result
    except AssertionError as exc:
        result.message = str(exc) or "assertion failed"
    except Exception as exc:  # a learner's code may raise anything; the next check must run
        last = traceback.extract_tb(exc.__traceback__)[-1]
        result.message = f"{type(exc).__name__}: {exc} (line {last.lineno})"
    else:
        result.passed = True
    results.append(result)
    _show(result, hint)


def summary(reset: bool = True) -> dict:
    """Print the score; raise :class:`CheckFailed` when a check failed.

    Returns
    -------
    dict
        ``{"passed": int, "failed": int, "points": float, "max_points": float}``.
    """
    passed = [r for r in results if r.passed]
    score = {
        "passed": len(passed),
        "failed": len(results) - len(passed),
        "points": sum(r.points for r in passed),
        "max_points": sum(r.points for r in results),
    }
    failed = [r.name for r in results if not r.passed]
    if reset:
        results.clear()
    print(f"Score: {score['points']:g}/{score['max_points']:g} ({score['passed']} checks passed)")
    if failed:
        raise CheckFailed(f"{len(failed)} check(s) failed: {', '.join(failed)}")
    return score
