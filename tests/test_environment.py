"""Set-up files stay consistent: pyproject, constraints, environment.yml, Makefile, CI."""

import re

import tomllib
import yaml

from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python"))
    assert python.replace("python", "").strip("=") in ("3.10", "3.11", "3.12")
    assert any(isinstance(d, str) and d.startswith("openjdk=17") or d == "openjdk=21" for d in deps)
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert "-e .[dev]" in pip
    # Anything else pip installs must be a dependency pyproject already declares.
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    declared |= {_name(r) for extra in PYPROJECT["project"]["optional-dependencies"].values()
                 for r in extra}
    extra_pip = {_name(p) for p in pip if not p.startswith("-e")}
    assert extra_pip <= declared


def test_constraints_pin_every_declared_dependency():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.lower().replace("_", "-")] = version
    for req in PYPROJECT["project"]["dependencies"]:
        assert _name(req) in pins, f"{req} is not pinned in constraints.txt"
    assert pins["pyspark"].startswith("3.5."), "pyspark must stay on the 3.5 line EMR 7.x ships"


def test_default_install_has_no_cuda_payload():
    core = [_name(r) for r in PYPROJECT["project"]["dependencies"]]
    assert "xgboost-cpu" in core and "xgboost" not in core and "torch" not in core
    assert "torch" in {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["torch"]}


def test_ci_calls_make_test_and_readme_shows_both_commands():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
