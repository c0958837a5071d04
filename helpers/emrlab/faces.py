"""The public faces of the subpackages: names listed in each ``__init__.pyi``, loaded on first use.

Taught in CONTRIBUTING.md (Layers). A subpackage's ``__init__.pyi`` is the one list of its
public names: type checkers read it, and :func:`attach` turns its ``from .module import name``
lines into lazy attributes (``lazy_loader.attach``), so ``from emrlab.etl import Lake`` imports
``emrlab.etl.lake`` and nothing else. The stub is read through the package's loader, so the
faces also work when the package is imported from a zip (``--py-files emrlab.zip`` on a cluster).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

import lazy_loader


def stub_names(text: str) -> dict[str, list[str]]:
    """``{module: [names]}`` from the ``from .module import a, b`` lines of a stub."""
    found: dict[str, list[str]] = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.setdefault(node.module, []).extend(alias.name for alias in node.names)
    return found


def attach(package: str, init_file: str, loader: Any) -> tuple[Callable, Callable, list[str]]:
    """``(__getattr__, __dir__, __all__)`` for ``package`` from the stub beside ``init_file``."""
    stub = init_file[: -len(".py")] + ".pyi"
    text = loader.get_data(stub).decode("utf-8")
    return lazy_loader.attach(package, submod_attrs=stub_names(text))
