"""``emrlab spec validate|lint|cost FILE``."""

import argparse
import json

import pytest

from emrlab.cli import spec as spec_cli
from emrlab.emr import ClusterSpec, core, primary, save_spec, task
from emrlab.exceptions import SpecError


def run(*argv) -> int:
    parser = argparse.ArgumentParser()
    spec_cli.add_arguments(parser)
    return spec_cli.main(parser.parse_args(argv))


@pytest.fixture
def spec_file(tmp_path):
    spec = ClusterSpec(name="c", instance_groups=[primary("m5.xlarge"), core("m5.xlarge"),
                                                  task("m5.xlarge")], idle_timeout=900)
    return str(save_spec(spec, tmp_path / "c.json"))


def test_validate_lint_cost(spec_file, capsys):
    assert run("validate", spec_file) == 0
    assert "valid (3 instance groups" in capsys.readouterr().out
    assert run("lint", spec_file) == 1  # EMR005, EMR006 warnings
    out = capsys.readouterr().out
    assert "EMR005 warning" in out and "EMR006 warning" in out
    assert run("lint", spec_file, "--ignore", "EMR005", "--ignore", "EMR006") == 0
    assert run("cost", spec_file, "--hours", "2", "--region", "eu-west-1") == 0
    assert "eu-west-1" in capsys.readouterr().out


def test_invalid_file_raises_spec_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"Name": "x", "ReleaseLabel": "emr-7", "Instances": {}}))
    with pytest.raises(SpecError, match="ReleaseLabel"):
        run("validate", str(bad))
