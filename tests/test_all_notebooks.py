"""Every notebook, lab solution and quiz notebook runs under ``emrlab run`` with its defaults."""

import pytest

from emrlab import runner
from tests.conftest import ROOT


@pytest.mark.notebook
@pytest.mark.slow
def test_every_notebook_runs_with_its_defaults(emulator, tmp_path):
    out_dir, results = runner.run(root=ROOT, out=tmp_path / "run", jobs=2, progress=False)
    failed = {r.name: f"cell {r.failed_cell}: {r.error}" for r in results if r.status != "passed"}
    assert failed == {}
    assert len(results) == len(list((ROOT / "notebooks").glob("*.ipynb"))) + len(
        list((ROOT / "labs").glob("*/solution.ipynb"))) + len(list((ROOT / "quiz").glob("*.ipynb")))
    report = (out_dir / "report.md").read_text()
    assert report.count("| passed |") == len(results)
