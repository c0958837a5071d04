"""Student copies of the labs, generated from their single source.

Taught in CONTRIBUTING.md and docs for instructors. Each lab has one source,
``labs/<lab>/solution.ipynb``, marked the way nbgrader marks it:

- code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes
  ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` (at the marker's indentation);
  in a Markdown cell it becomes ``YOUR ANSWER HERE``;
- code between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` is removed.

``emrlab release`` rewrites the committed ``labs/<lab>/student.ipynb`` files;
``emrlab release --check`` fails when one is stale; ``emrlab release --out DIR`` writes a class
bundle (student copies, notebooks, quizzes and a checksum manifest) without any solution.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path

import nbformat

from emrlab.exceptions import ReleaseError

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MARKERS = (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN)


def _strip(source: str, cell_type: str, where: str) -> str:
    """The student version of one cell's source."""
    out: list[str] = []
    state = None  # None, "solution" or "hidden"
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker in (BEGIN_SOLUTION, BEGIN_HIDDEN):
            if state is not None:
                raise ReleaseError(f"{where}, line {number}: {marker!r} inside an open block")
            state = "solution" if marker == BEGIN_SOLUTION else "hidden"
            if state == "solution":
                indent = line[: len(line) - len(line.lstrip())]
                if cell_type == "code":
                    out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
                else:
                    out.append("YOUR ANSWER HERE")
            continue
        if marker in (END_SOLUTION, END_HIDDEN):
            expected = END_SOLUTION if state == "solution" else END_HIDDEN
            if marker != expected:
                raise ReleaseError(f"{where}, line {number}: {marker!r} without its BEGIN marker")
            state = None
            continue
        if state is None:
            out.append(line)
    if state is not None:
        raise ReleaseError(f"{where}: a {state} block is not closed")
    return "\n".join(out)


def student_copy(solution: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The student version of a solution notebook: solutions stubbed, hidden tests removed,
    outputs cleared."""
    nb = copy.deepcopy(solution)
    # Graders use this to refuse a submission made from another lab's notebook.
    nb.metadata["emrlab"] = {"lab": name}
    for index, cell in enumerate(nb.cells):
        cell.source = _strip(cell.source, cell.cell_type, f"{name} cell {index}")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    """Serialise the way nbformat writes notebooks, so committed copies compare exactly."""
    return nbformat.writes(nb) + "\n"


def lab_solutions(root: Path) -> list[Path]:
    """Every lab's solution notebook."""
    return sorted((root / "labs").glob("*/solution.ipynb"))


def stale(root: Path) -> list[Path]:
    """Student copies that are missing or differ from what their solution generates."""
    out = []
    for solution in lab_solutions(root):
        target = solution.with_name("student.ipynb")
        expected = render(student_copy(nbformat.read(solution, as_version=4), solution.parent.name))
        if not target.exists() or target.read_text() != expected:
            out.append(target)
    return out


def write_student_copies(root: Path) -> list[Path]:
    """(Re)write ``labs/<lab>/student.ipynb`` for every lab; returns the files written."""
    written = []
    for solution in lab_solutions(root):
        nb = student_copy(nbformat.read(solution, as_version=4), solution.parent.name)
        target = solution.with_name("student.ipynb")
        target.write_text(render(nb))
        written.append(target)
    return written


def _checksum(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def bundle(root: Path, out: Path) -> dict:
    """Write a class bundle to ``out``: student labs, notebooks, quizzes and ``manifest.json``.

    The manifest records a SHA-256 of every code cell of each student copy that holds
    ``emrlab.check`` calls, so graders can tell edited check cells apart.

    Raises
    ------
    ReleaseError
        ``out`` is inside ``labs/`` or already holds a solution notebook.
    """
    out = out.resolve()
    if (root / "labs").resolve() in out.parents:
        raise ReleaseError(f"--out {out} must not be inside labs/")
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict = {"labs": {}}
    for solution in lab_solutions(root):
        lab = solution.parent.name
        nb = student_copy(nbformat.read(solution, as_version=4), lab)
        target = out / "labs" / lab / f"{lab}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(nb))
        manifest["labs"][lab] = {
            str(i): _checksum(c.source)
            for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and "emrlab.check(" in c.source
        }
    for folder in ("notebooks", "quiz"):
        if (root / folder).is_dir():
            shutil.copytree(root / folder, out / folder, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    leaked = [p for p in out.rglob("*.ipynb") if any(m in p.read_text() for m in MARKERS)]
    if leaked:
        raise ReleaseError(f"solution or hidden-test text left in {', '.join(map(str, leaked))}")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
