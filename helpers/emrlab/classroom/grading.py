"""Building the notebook a grader executes, and reading the grade out of it.

Taught in docs/instructors.md. The graded notebook is the lab's **solution template** with only
the learner's answer cells taken from the submission:

- cells that hold a ``### BEGIN SOLUTION`` block in the solution come from the submission
  (matched by cell id; a deleted answer cell becomes the stub and its checks fail), together
  with any cells the learner added after them;
- every other cell, including every check cell and the hidden checks, comes from the solution,
  so editing or deleting a check cell changes nothing;
- each check cell starts by re-importing a fresh ``emrlab.checks`` module, so a learner who
  redefined ``emrlab.check`` or ``emrlab.summary`` cannot pass a check that way;
- the grade is read only from the outputs of those check cells after the run, never from
  outputs stored in the submission.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from emrlab.checks import MIME as CHECK_MIME
from emrlab.classroom import release
from emrlab.exceptions import EmrlabError

GRADER_TAG = "emrlab-grader-check"
_CHECK_CALL = re.compile(
    r"""emrlab\.check\(\s*(?P<q>["'])(?P<name>.+?)(?P=q)\s*,\s*points\s*=\s*(?P<points>[\d.]+)"""
)
_FRESH_CHECKS = (
    "import sys as _g_sys\n"
    "for _g_name in [m for m in _g_sys.modules if m == 'emrlab.checks']:\n"
    "    del _g_sys.modules[_g_name]\n"
    "import emrlab as _g_emrlab\n"
    "import emrlab.checks as _g_checks\n"
    "emrlab = _g_emrlab\n"
    "emrlab.check, emrlab.summary = _g_checks.check, _g_checks.summary\n"
)


class SubmissionError(EmrlabError):
    """A submission cannot be graded at all (not a notebook, or another lab's notebook)."""


@dataclass
class CheckSpec:
    """A check the lab defines: its name and points."""

    name: str
    points: float


@dataclass
class CheckOutcome:
    """One check's result for one submission."""

    name: str
    points: float
    max_points: float
    passed: bool
    message: str = ""


@dataclass
class Grade:
    """One row of the gradebook."""

    student: str
    submission: str
    assignment: str
    points: float = 0.0
    max_points: float = 0.0
    status: str = "graded"  # graded | error
    reason: str = ""
    checks: list[CheckOutcome] = field(default_factory=list)


def is_check_cell(cell) -> bool:
    """True for a code cell of the solution that runs graded checks."""
    return cell.cell_type == "code" and bool(_CHECK_CALL.search(cell.source))


def is_answer_cell(cell) -> bool:
    """True for a cell of the solution that holds a solution block."""
    return release.BEGIN_SOLUTION in cell.source


def expected_checks(solution) -> list[CheckSpec]:
    """Every check the solution (hidden checks included) defines, in order."""
    return [CheckSpec(m["name"], float(m["points"]))
            for cell in solution.cells if cell.cell_type == "code"
            for m in _CHECK_CALL.finditer(cell.source)]


def read_submission(path: Path, lab: str):
    """Load a submission and make sure it is a notebook of ``lab``.

    Raises
    ------
    SubmissionError
        Not a valid notebook, or a notebook of another lab.
    """
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises many types for broken JSON or schema
        raise SubmissionError(f"not a valid notebook ({type(exc).__name__}: {exc})"[:300]) from exc
    declared = nb.metadata.get("emrlab", {}).get("lab")
    if declared and declared != lab:
        raise SubmissionError(f"this is a notebook of lab {declared!r}, not {lab!r}")
    return nb


def build(solution, submission, lab: str):
    """The notebook to execute: solution template + the learner's answer cells.

    Raises
    ------
    SubmissionError
        The submission shares no answer cell with the lab (it is not this lab's notebook).
    """
    answer_ids = {c.get("id") for c in solution.cells if is_answer_cell(c)}
    sub_ids = [c.get("id") for c in submission.cells]
    if answer_ids and not answer_ids & set(sub_ids):
        raise SubmissionError(f"none of lab {lab!r}'s answer cells is in this notebook")
    known = {c.get("id") for c in solution.cells}
    # Cells the learner added go after the known cell that precedes them.
    added_after: dict[str | None, list] = {}
    last_known = None
    for cell in submission.cells:
        if cell.get("id") in known:
            last_known = cell.get("id")
        else:
            added_after.setdefault(last_known, []).append(cell)
    by_id = {c.get("id"): c for c in submission.cells}
    stub = release.student_copy(solution, lab)
    stub_by_id = {c.get("id"): c for c in stub.cells}
    graded = copy.deepcopy(solution)
    cells = [copy.deepcopy(c) for c in added_after.get(None, [])]
    for cell in solution.cells:
        cid = cell.get("id")
        if is_answer_cell(cell):
            cells.append(copy.deepcopy(by_id.get(cid, stub_by_id[cid])))
        elif is_check_cell(cell):
            new = copy.deepcopy(cell)
            new.source = _FRESH_CHECKS + new.source
            new.metadata.setdefault("tags", []).append(GRADER_TAG)
            cells.append(new)
        else:
            cells.append(copy.deepcopy(cell))
        cells.extend(copy.deepcopy(c) for c in added_after.get(cid, []))
    for cell in cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            tags = cell.metadata.setdefault("tags", [])
            if "parameters" not in tags and "raises-exception" not in tags:
                tags.append("raises-exception")  # one failing cell must not stop the checks
    graded.cells = cells
    return graded


def outcomes(executed, solution, reason_if_missing: str) -> list[CheckOutcome]:
    """Per expected check, its result from the executed grader cells (missing ones fail)."""
    seen: dict[str, dict] = {}
    for cell in executed.cells if executed is not None else []:
        if GRADER_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if CHECK_MIME in data and data[CHECK_MIME]["name"] not in seen:
                seen[data[CHECK_MIME]["name"]] = data[CHECK_MIME]
    result = []
    for spec in expected_checks(solution):
        got = seen.get(spec.name)
        if got is None:
            result.append(CheckOutcome(spec.name, 0.0, spec.points, False, reason_if_missing))
        else:
            passed = bool(got["passed"])
            result.append(CheckOutcome(spec.name, spec.points if passed else 0.0, spec.points,
                                       passed, got.get("message", "")))
    return result


def student_name(path: Path, lab: str) -> str:
    """``alice.ipynb`` -> alice; ``alice/<lab>.ipynb`` or ``alice/student.ipynb`` -> alice."""
    if path.stem in (lab, "student", "solution", "submission") or path.stem.startswith(lab):
        return path.parent.name
    return path.stem


def submission_parameters(nb) -> dict:
    """The parameter values a submitted notebook ran with (papermill's injected cell wins).

    Only plain literal assignments are read (``ast.literal_eval``); nothing is executed.
    """
    import ast

    values: dict = {}
    for tag in ("parameters", "injected-parameters"):
        for cell in nb.cells:
            if cell.cell_type != "code" or tag not in cell.metadata.get("tags", []):
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in tree.body:
                target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
                if isinstance(target, ast.Name) and getattr(node, "value", None) is not None:
                    try:
                        values[target.id] = ast.literal_eval(node.value)
                    except ValueError:
                        continue
    return values
