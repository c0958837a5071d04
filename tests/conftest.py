"""Shared fixtures: one in-process local AWS emulator per test session, local mode always.

The environment is fixed before any test imports boto3, so no test can reach real AWS even by
mistake: local mode, dummy credentials, and a work dir under pytest's temporary folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_SESSION_TMP = Path(tempfile.mkdtemp(prefix="emrlab-tests-"))
for _name in ("EMRLAB_ACKNOWLEDGE_COSTS", "EMRLAB_BUCKET", "EMRLAB_REGION", "AWS_PROFILE"):
    os.environ.pop(_name, None)
os.environ.update(
    {
        "EMRLAB_MODE": "local",
        "EMRLAB_WORK_DIR": str(_SESSION_TMP / "work"),
        "EMRLAB_QUIZ_DB": str(_SESSION_TMP / "quiz.sqlite"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
)


@pytest.fixture(scope="session")
def emulator() -> str:
    """The session's emulator address (started in this process, shared with kernels)."""
    from emrlab.local import emulator as localaws

    os.environ.pop(localaws.ENDPOINT_ENV, None)
    endpoint = localaws.start()
    os.environ[localaws.ENDPOINT_ENV] = endpoint
    yield endpoint
    localaws.stop()


@pytest.fixture
def settings(emulator, tmp_path):
    """Local-mode settings with a fresh work dir; clients reach the session emulator."""
    from emrlab import aws, config

    config.reset()
    yield aws.setup(mode="local", work_dir=str(tmp_path / "work"))
    config.reset()


@pytest.fixture
def run_notebook(emulator, tmp_path):
    """Execute a notebook for real with papermill in local mode; returns the executed notebook.

    Usage: ``nb = run_notebook("notebooks/00_start_here.ipynb", n_rows=50)``. A failing cell
    raises papermill's ``PapermillExecutionError`` with the cell's error.
    """
    import nbformat
    import papermill

    def run(path: str | Path, **params):
        source = ROOT / path
        output = tmp_path / f"{source.stem}.out.ipynb"
        env_work = os.environ.get("EMRLAB_WORK_DIR")
        os.environ["EMRLAB_WORK_DIR"] = str(tmp_path / "work")
        try:
            papermill.execute_notebook(
                str(source), str(output), parameters=params, cwd=str(source.parent),
                progress_bar=False, kernel_name="python3",
            )
        finally:
            if env_work is not None:
                os.environ["EMRLAB_WORK_DIR"] = env_work
        return nbformat.read(output, as_version=4)

    return run
