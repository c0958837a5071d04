"""Batch grading: the exact gradebook for correct, partial, broken and malicious submissions."""

import csv
import json
import uuid

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from emrlab.classroom import grading, release
from emrlab.cli import grade as gradecli
from emrlab.exceptions import ParameterError

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
LAB = "99_demo"


def solution_notebook():
    params = new_code_cell("n: int = 5  # how many numbers")
    params.metadata["tags"] = ["parameters"]
    cells = [
        new_markdown_cell("# Demo lab"),
        params,
        new_code_cell("import emrlab\nemrlab.validate(dict(n=n), n=emrlab.Param(int, min=1))\n"
                      "data = list(range(n))"),
        new_code_cell("def total(xs):\n    ### BEGIN SOLUTION\n    return sum(xs)\n"
                      "    ### END SOLUTION"),
        new_code_cell("### BEGIN SOLUTION\nsquares = [x * x for x in data]\n### END SOLUTION"),
        new_code_cell(
            'with emrlab.check("total works", points=2, hint="add them up"):\n'
            "    assert total(data) == sum(range(n)), 'wrong total'\n"
            'with emrlab.check("squares", points=1):\n'
            "    assert squares == [x * x for x in range(n)], 'wrong squares'\n"
            "### BEGIN HIDDEN TESTS\n"
            'with emrlab.check("total of empty", points=1):\n'
            "    assert total([]) == 0, 'empty total is not 0'\n"
            "### END HIDDEN TESTS"),
        new_code_cell("emrlab.summary()"),
    ]
    return new_notebook(cells=cells, metadata=KERNEL)


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    root = tmp_path_factory.mktemp("kit")
    (root / "notebooks").mkdir()
    (root / "labs" / LAB).mkdir(parents=True)
    nbformat.write(solution_notebook(), root / "labs" / LAB / "solution.ipynb")
    release.write_student_copies(root)
    return root


def student(kit, answers: dict[int, str] | None = None, drop: tuple = (), edit=None):
    """A student copy with answer cells (by index) replaced."""
    nb = nbformat.read(kit / "labs" / LAB / "student.ipynb", as_version=4)
    for index, source in (answers or {}).items():
        nb.cells[index].source = source
    if edit:
        edit(nb)
    nb.cells = [c for i, c in enumerate(nb.cells) if i not in drop]
    return nb


CORRECT = {3: "def total(xs):\n    return sum(xs)", 4: "squares = [x * x for x in data]"}
EVIL_PATH = f"/tmp/emrlab-evil-{uuid.uuid4().hex}.txt"


def submissions(kit, folder):
    """name -> notebook (or raw text for the broken file)."""
    def edit_checks(nb):
        nb.cells[5].source = 'with emrlab.check("total works", points=2):\n    pass'

    def wrong_lab(nb):
        nb.metadata["emrlab"] = {"lab": "00_warmup"}

    cases = {
        "correct": student(kit, CORRECT),
        "partial": student(kit, {**CORRECT, 4: "squares = data"}),
        "redefines_check": student(kit, {**CORRECT, 3: (
            "import contextlib, emrlab\n@contextlib.contextmanager\ndef _always(*a, **k):\n"
            "    try:\n        yield\n    except AssertionError:\n        pass\n"
            "emrlab.check = _always\nemrlab.summary = lambda: None\n"
            "def total(xs):\n    return -1")}),
        "edits_check_cell": student(kit, {**CORRECT, 3: "def total(xs):\n    return 0"},
                                    edit=edit_checks),
        "deletes_answer_cell": student(kit, CORRECT, drop=(4,)),
        "loops_forever": student(kit, {**CORRECT, 4: "while True:\n    pass"}),
        "calls_sys_exit": student(kit, {**CORRECT, 4: "import sys\nsys.exit(3)"}),
        "kills_kernel": student(kit, {**CORRECT, 4: "import os\nos.kill(os.getpid(), 9)"}),
        "eats_memory": student(kit, {**CORRECT, 4: (
            "chunks = []\nwhile True:\n    chunks.append(bytearray(50_000_000))")}),
        "writes_outside": student(kit, {**CORRECT, 3: (
            f"open({EVIL_PATH!r}, 'w').write('x')\ndef total(xs):\n    return sum(xs)")}),
        "prints_megabytes": student(kit, {**CORRECT, 4: (
            "print('x' * 30_000_000)\nsquares = [x * x for x in data]")}),
        "wrong_lab": student(kit, CORRECT, edit=wrong_lab),
    }
    paths = []
    for name, nb in cases.items():
        path = folder / f"{name}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    broken = folder / "not_a_notebook.ipynb"
    broken.write_text("{ this is not json")
    paths.append(broken)
    return paths


# student -> (points, status, a fragment of the reason or "" for none)
EXPECTED = {
    "correct": (4, "graded", ""),
    "partial": (3, "graded", ""),
    "redefines_check": (1, "graded", ""),
    "edits_check_cell": (2, "graded", ""),  # total() returns 0: only "total of empty" passes, plus squares
    "deletes_answer_cell": (3, "graded", ""),
    "loops_forever": (0, "graded", "did not finish within 25 s"),
    "calls_sys_exit": (3, "graded", ""),
    "kills_kernel": (0, "graded", "DeadKernelError"),
    "eats_memory": (0, "graded", "used more than 700 MB of memory"),
    "writes_outside": (1, "graded", "blocked a write outside the work dir: " + EVIL_PATH),
    "prints_megabytes": (4, "graded", ""),
    "wrong_lab": (0, "error", "this is a notebook of lab '00_warmup', not '99_demo'"),
    "not_a_notebook": (0, "error", "not a valid notebook"),
}


@pytest.mark.notebook
@pytest.mark.slow
def test_batch_gradebook_is_exact(kit, tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    paths = submissions(kit, folder)
    # 30 submissions in one batch: the cases above plus copies of correct ones.
    correct = nbformat.read(paths[0], as_version=4)
    for i in range(30 - len(paths)):
        nbformat.write(correct, folder / f"extra_{i:02d}.ipynb")
        paths.append(folder / f"extra_{i:02d}.ipynb")
    out = tmp_path / "grades"
    gradecli.grade(paths, LAB, out, kit, jobs=2, timeout=25, max_memory_mb=700)

    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert len(rows) == 30
    for name, (points, status, reason) in EXPECTED.items():
        row = rows[name]
        assert (float(row["points"]), row["max_points"], row["status"]) == (points, "4", status), (
            name, row)
        if reason:
            assert reason in row["reason"], (name, row["reason"])
        else:
            assert row["reason"] == "", (name, row["reason"])
    assert all(float(rows[f"extra_{i:02d}"]["points"]) == 4 for i in range(17))

    checks = [r for r in csv.DictReader((out / "checks.csv").open()) if r["student"] == "partial"]
    assert [(c["check"], c["passed"], c["message"]) for c in checks] == [
        ("total works", "true", ""), ("squares", "false", "wrong squares"),
        ("total of empty", "true", "")]
    assert not __import__("os").path.exists(EVIL_PATH)
    executed = out / "executed" / LAB / "prints_megabytes.ipynb"
    assert executed.stat().st_size < 2_000_000
    html = (out / "gradebook.html").read_text()
    assert "wrong squares" in html and "partial" in html


def test_grades_come_from_check_cells_only(kit):
    """Outputs stored in a submission are ignored: the grader executes a fresh build."""
    solution = nbformat.read(kit / "labs" / LAB / "solution.ipynb", as_version=4)
    sub = student(kit, CORRECT)
    fake = {"output_type": "display_data", "metadata": {},
            "data": {"application/vnd.emrlab.check+json": {"name": "squares", "passed": True,
                                                            "points": 1, "message": ""}}}
    sub.cells[4].outputs = [nbformat.from_dict(fake)]
    graded = grading.build(solution, sub, LAB)
    assert all(c.outputs == [] for c in graded.cells if c.cell_type == "code")
    result = grading.outcomes(graded, solution, "did not run")
    assert [o.passed for o in result] == [False, False, False]
    assert [s.name for s in grading.expected_checks(solution)] == [
        "total works", "squares", "total of empty"]


def test_bad_arguments_are_refused_before_work(kit, tmp_path):
    with pytest.raises(ParameterError, match="--lab 'nope' is not a lab or quiz of this kit; choose from 99_demo"):
        gradecli.grade([tmp_path / "a.ipynb"], "nope", tmp_path / "g", kit)
    with pytest.raises(ParameterError, match="--jobs=0 must be at least 1"):
        gradecli.grade([tmp_path / "a.ipynb"], LAB, tmp_path / "g", kit, jobs=0)
    assert not (tmp_path / "g").exists()


def test_student_names(tmp_path):
    from pathlib import Path

    assert grading.student_name(Path("subs/alice.ipynb"), LAB) == "alice"
    assert grading.student_name(Path("subs/bob/99_demo.ipynb"), LAB) == "bob"
    assert grading.student_name(Path("subs/carol/student.ipynb"), LAB) == "carol"
    assert gradecli._unique(["a", "a", "b"]) == ["a", "a-2", "b"]


def test_gradebook_merges_assignments(tmp_path):
    from emrlab.classroom import gradebook

    def grade(student, assignment, points):
        return {"student": student, "assignment": assignment, "points": points, "max_points": 4.0,
                "status": "graded", "reason": "", "submission": "x", "checks": []}

    gradebook.write(tmp_path, [grade("ann", "lab1", 1.0), grade("bo", "lab1", 2.0)])
    rows = gradebook.write(tmp_path, [grade("ann", "lab1", 4.0), grade("ann", "quiz", 3.0)])
    assert [(r["student"], r["assignment"], r["points"]) for r in rows] == [
        ("ann", "lab1", "4"), ("bo", "lab1", "2"), ("ann", "quiz", "3")]
    assert json.dumps(rows)


@pytest.mark.notebook
def test_quiz_results_join_the_same_gradebook(tmp_path):
    """Headless quiz notebooks (or answer files) are graded by re-running the kit's quiz."""
    import papermill

    from emrlab.quiz import bank as quizbank, engine as quizengine, sample as quizsample
    from tests.conftest import ROOT

    items = quizsample.build_quiz(quizbank.load_bank().questions, exam="mla-c01", n=4, seed=3)
    key = {item.id: quizengine._key(item) for item in items}
    first = items[0].id
    folder = tmp_path / "subs"
    folder.mkdir()
    # ann: every answer right, as a headless-executed notebook; bo: one right, as a JSON file.
    papermill.execute_notebook(
        str(ROOT / "quiz" / "practice_exam.ipynb"), str(folder / "ann.ipynb"),
        parameters={"answers": json.dumps(key), "seed": 3, "n_questions": 4,
                    "progress_db": str(tmp_path / "p.sqlite")},
        kernel_name="python3", progress_bar=False)
    (folder / "bo.json").write_text(json.dumps({"answers": {first: key[first]}, "seed": 3,
                                                "n_questions": 4}))
    empty = nbformat.read(ROOT / "quiz" / "practice_exam.ipynb", as_version=4)
    nbformat.write(empty, folder / "cy.ipynb")
    out = tmp_path / "grades"
    out.mkdir()
    (out / "gradebook.csv").write_text(
        "student,assignment,points,max_points,status,reason,submission\n"
        "ann,00_warmup,5,5,graded,,x\n")
    grades = gradecli.grade(sorted(folder.iterdir()), "practice_exam", out, ROOT, jobs=2,
                            timeout=120)
    by = {g["student"]: g for g in grades}
    bo_expected = quizengine.grade(items, {first: key[first]}, exam="mla-c01").scaled
    assert (by["ann"]["points"], by["ann"]["status"]) == (1000.0, "graded")
    assert (by["bo"]["points"], by["bo"]["status"]) == (float(bo_expected), "graded")
    assert by["cy"]["status"] == "error" and "without answers" in by["cy"]["reason"]
    rows = [(r["student"], r["assignment"], r["points"])
            for r in csv.DictReader((out / "gradebook.csv").open())]
    assert rows == [("ann", "00_warmup", "5"), ("ann", "practice_exam", "1000"),
                    ("bo", "practice_exam", f"{float(bo_expected):g}"),
                    ("cy", "practice_exam", "0")]
