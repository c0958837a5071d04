"""Conventions every notebook keeps (see CONTRIBUTING.md), checked on the real files."""

import re

import nbformat
import papermill
import pytest

from emrlab import notebooks as nbs
from emrlab.notebook_params import key_of
from tests.conftest import ROOT

ALL = nbs.default_selection(ROOT) + sorted((ROOT / "labs").glob("*/student.ipynb"))
IDS = [p.relative_to(ROOT).as_posix() for p in ALL]
REGION = re.compile(r"""["'](us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d["']""")
ACCOUNT = re.compile(r"\b\d{12}\b")
SUBNET = re.compile(r"\b(subnet|sg|vpc)-[0-9a-f]{8,17}\b")


def code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_the_kit_has_notebooks():
    assert (ROOT / "notebooks" / "00_start_here.ipynb") in ALL


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_exactly_one_documented_parameters_cell(path):
    cells = code_cells(path)
    tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{len(tagged)} cells tagged 'parameters'"
    assigned = [line.split(":")[0].split("=")[0].strip() for line in tagged[0].source.splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    declared = papermill.inspect_notebook(str(path))
    assert sorted(declared) == sorted(assigned), (
        "papermill cannot read some parameters (one assignment per line, no '=' in comments)")
    for name, info in declared.items():
        assert info["inferred_type_name"] not in ("None", ""), f"{name} has no type annotation"
        assert info["help"], f"{name} has no help comment"


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_parameters_are_validated_right_after(path):
    cells = code_cells(path)
    index = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    key = key_of(path, ROOT)
    assert f'check_parameters("{key}", globals())' in cells[index + 1].source, (
        "the cell after the parameters must check them against emrlab.notebook_params")


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_no_path_hacks_prompts_or_hard_coded_places(path):
    for cell in code_cells(path):
        src = cell.source
        assert not re.search(r"sys\.path\.(append|insert)|sys\.path\s*\+?=", src), "edits sys.path"
        assert not re.search(r"\binput\(", src), "prompts the user"
        assert not REGION.search(src), f"hard-coded region: {REGION.search(src).group()}"
        assert not ACCOUNT.search(src), "hard-coded account id"
        assert not SUBNET.search(src), "hard-coded subnet/security group/VPC"


@pytest.mark.parametrize("path", [p for p in ALL if "quiz" not in p.parts],
                         ids=[i for i in IDS if not i.startswith("quiz/")])
def test_committed_without_outputs(path):
    for cell in code_cells(path):
        assert cell.outputs == [], "committed with outputs (run nbstripout)"
        assert cell.execution_count is None, "committed with execution counts"
