"""Student copies: generated from the solution's markers, committed, and never stale."""

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from emrlab.classroom import release
from emrlab.exceptions import ReleaseError
from tests.conftest import ROOT


def solution_nb():
    return new_notebook(cells=[
        new_markdown_cell("Explain:\n### BEGIN SOLUTION\nBecause Spot.\n### END SOLUTION"),
        new_code_cell("x = 1\ndef f():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION\n"),
        new_code_cell("with check('a'):\n    assert f() == 42\n### BEGIN HIDDEN TESTS\n"
                      "assert f() != 41\n### END HIDDEN TESTS"),
    ])


def test_student_copy_stubs_solutions_and_drops_hidden_tests():
    nb = release.student_copy(solution_nb())
    assert nb.cells[0].source == "Explain:\nYOUR ANSWER HERE"
    assert nb.cells[1].source == ("x = 1\ndef f():\n    # YOUR CODE HERE\n"
                                  "    raise NotImplementedError()")
    assert nb.cells[2].source == "with check('a'):\n    assert f() == 42"
    text = nbformat.writes(nb)
    assert "42\n" not in text.replace("== 42", "") and "41" not in text


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1", "not closed"),
    ("### END SOLUTION", "without its BEGIN"),
    ("### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n", "inside an open block"),
    ("### BEGIN HIDDEN TESTS\nx\n### END SOLUTION", "without its BEGIN"),
])
def test_malformed_markers_are_errors(source, message):
    nb = new_notebook(cells=[new_code_cell(source)])
    with pytest.raises(ReleaseError, match=message):
        release.student_copy(nb, "lab-x")


def test_committed_student_copies_are_up_to_date():
    labs = release.lab_solutions(ROOT)
    assert labs, "the kit has no labs"
    assert release.stale(ROOT) == [], "run `emrlab release` and commit the student copies"


def test_stale_copy_is_detected(tmp_path):
    lab = tmp_path / "labs" / "99_demo"
    lab.mkdir(parents=True)
    nbformat.write(solution_nb(), lab / "solution.ipynb")
    assert release.stale(tmp_path) == [lab / "student.ipynb"]
    release.write_student_copies(tmp_path)
    assert release.stale(tmp_path) == []
    nb = nbformat.read(lab / "solution.ipynb", as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("x = 1", "x = 2")
    nbformat.write(nb, lab / "solution.ipynb")
    assert release.stale(tmp_path) == [lab / "student.ipynb"]


def hidden_lines(source: str) -> list[str]:
    """Lines inside solution or hidden-test blocks (long enough to be distinctive)."""
    inside, found = False, []
    for line in source.splitlines():
        if line.strip() in (release.BEGIN_SOLUTION, release.BEGIN_HIDDEN):
            inside = True
        elif line.strip() in (release.END_SOLUTION, release.END_HIDDEN):
            inside = False
        elif inside and len(line.strip()) > 12:
            found.append(line.strip())
    return found


def test_bundle_has_no_solution_text(tmp_path):
    manifest = release.bundle(ROOT, tmp_path / "class")
    for lab in release.lab_solutions(ROOT):
        name = lab.parent.name
        copy = nbformat.read(tmp_path / "class" / "labs" / name / f"{name}.ipynb", as_version=4)
        student_text = "\n".join(c.source for c in copy.cells)
        assert "### BEGIN" not in student_text and "### END" not in student_text
        cells = nbformat.read(lab, as_version=4).cells
        visible = {line.strip() for c in cells
                   for line in release._strip(c.source, c.cell_type, name).splitlines()}
        secret = [line for c in cells for line in hidden_lines(c.source)]
        assert secret, f"{name} has no solution block"
        secret = [line for line in secret if line not in visible]  # shared lines are no leak
        assert (tmp_path / "class" / "labs" / name / f"{name}.ipynb").read_text() == release.render(
            release.student_copy(nbformat.read(lab, as_version=4), name))
        student_lines = {line.strip() for line in student_text.splitlines()}
        leaked = [line for line in secret if line in student_lines]
        assert leaked == [], f"{name} leaks solution lines: {leaked}"
        assert manifest["labs"][name], f"{name} has no check cells in the manifest"
    assert json.loads((tmp_path / "class" / "manifest.json").read_text()) == manifest
    assert not list((tmp_path / "class").rglob("solution.ipynb"))
