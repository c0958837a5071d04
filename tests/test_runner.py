"""The runner: selection, typed -p parameters, parallel execution, report, exit status."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from emrlab import cli, notebooks, runner
from emrlab.exceptions import NotebookRunError, ParameterError

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def make_nb(path, params_src, body):
    params = new_code_cell(params_src)
    params.metadata["tags"] = ["parameters"]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=[params, new_code_cell(body)], metadata=KERNEL), path)


@pytest.fixture
def kit(tmp_path):
    """A tiny kit: two good notebooks, one failing notebook, one lab."""
    root = tmp_path / "kit"
    make_nb(root / "notebooks" / "10_double.ipynb",
            'x: int = 1  # a number\nlabel: str = "n"  # a label\nflag: bool = False  # a flag',
            "import os, emrlab\nfrom emrlab.local import emulator\n"
            "assert isinstance(x, int) and isinstance(flag, bool)\n"
            "emrlab.record('double', x * 2)\n"
            "emrlab.record('label', label)\n"
            "emrlab.record('shared_emulator', os.environ.get('EMRLAB_AWS_ENDPOINT', ''))\n"
            "emrlab.record('work_dir', os.environ['EMRLAB_WORK_DIR'])")
    make_nb(root / "notebooks" / "11_fails.ipynb", "ratio: float = 0.5  # a ratio",
            "raise ValueError(f'planted failure {ratio}')")
    make_nb(root / "labs" / "01_demo" / "solution.ipynb", "x: int = 3  # a number",
            "import emrlab\nemrlab.record('lab_x', x)")
    return root


def test_selection_by_stem_path_and_lab_folder(kit):
    names = notebooks.select(kit, ["10_double", "01_demo"])
    assert [p.relative_to(kit).as_posix() for p in names] == [
        "notebooks/10_double.ipynb", "labs/01_demo/solution.ipynb"]
    assert len(notebooks.select(kit, [])) == 3
    with pytest.raises(NotebookRunError, match="no notebook named 'nope'; known names: .*10_double"):
        notebooks.select(kit, ["nope"])


def test_parameters_are_typed_per_notebook(kit):
    plan = notebooks.plan_parameters(notebooks.select(kit, []), {"x": "7"})
    values = {p.name if p.name != "solution.ipynb" else "lab": v for p, v in plan.items()}
    assert values == {"10_double.ipynb": {"x": 7}, "11_fails.ipynb": {}, "lab": {"x": 7}}


@pytest.mark.parametrize("assignments, message", [
    ({"nope": "1"}, "nope declared by none of the selected notebooks; declared: flag, label, ratio, x"),
    ({"x": "seven"}, "x='seven' cannot be read as int"),
    ({"flag": "maybe"}, "flag='maybe' cannot be read as bool"),
])
def test_bad_parameters_fail_before_running(kit, assignments, message, tmp_path):
    with pytest.raises(ParameterError, match=message):
        runner.run([], assignments, root=kit, out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_assignment_syntax():
    assert notebooks.parse_assignments(["a=1", "b=x=y"]) == {"a": "1", "b": "x=y"}
    with pytest.raises(ParameterError, match="expected name=value"):
        notebooks.parse_assignments(["novalue"])


@pytest.mark.notebook
def test_run_writes_notebooks_and_report(kit, tmp_path, emulator):
    out = tmp_path / "out"
    out_dir, results = runner.run([], {"x": "21", "flag": "true"}, jobs=2, root=kit, out=out,
                                  progress=False)
    by_name = {r.name: r for r in results}
    good = by_name["notebooks/10_double.ipynb"]
    assert good.status == "passed"
    assert good.figures["double"] == (42, "")
    assert good.figures["shared_emulator"][0] == emulator
    assert good.figures["work_dir"][0] == str((out / "work").resolve())
    bad = by_name["notebooks/11_fails.ipynb"]
    assert (bad.status, bad.failed_cell) == ("failed", 2)
    assert "ValueError: planted failure 0.5" in bad.error
    assert by_name["labs/01_demo/solution.ipynb"].figures["lab_x"][0] == 21
    report = (out / "report.md").read_text()
    assert "| notebooks/11_fails.ipynb | failed |" in report
    assert "double=42" in report
    assert "class=\"failed\"" in (out / "report.html").read_text()
    executed = nbformat.read(out / "notebooks" / "10_double.ipynb", as_version=4)
    assert executed.cells[1].source.startswith("# Parameters")
    assert "x = 21" in executed.cells[1].source


@pytest.mark.notebook
def test_cli_exit_status(kit, tmp_path, emulator, capsys):
    args = ["run", "10_double", "--root", str(kit), "--out", str(tmp_path / "a"), "--no-progress"]
    assert cli.main(args) == 0
    args = ["run", "11_fails", "--root", str(kit), "--out", str(tmp_path / "b"), "--no-progress"]
    assert cli.main(args) == 1
    assert "FAILED notebooks/11_fails.ipynb (cell 2)" in capsys.readouterr().out
    assert cli.main(["run", "nope", "--root", str(kit), "--no-progress"]) == 2
