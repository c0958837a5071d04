"""The package's layout holds: no import cycles, no reaching into private names, layers respected.

Read from the source with ``ast`` (function-local imports count too), so a cycle hidden inside a
function or a ``from x import _helper`` fails here before it lands. CONTRIBUTING.md describes
the layers this test enforces.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "helpers" / "emrlab"
CORE = {"exceptions", "config", "params", "figures", "checks", "java", "spark", "notebooks", "uris",
        "aws", "report", "runner", "doctor", "notebook_params", "faces"}
SUBPACKAGES = {"local", "emr", "etl", "ml", "sagemaker", "quiz", "classroom", "cli"}
# What each part may import besides itself. The core's foundation imports nothing above it;
# ``aws`` starts the emulator (``local``); ``cli`` sits on top of everything.
# "foundation" is the core without aws, report, runner, doctor and notebook_params; "face" is
# emrlab/__init__.
FOUNDATION = {"foundation"}
ALLOWED = {
    "foundation": FOUNDATION,
    "face": FOUNDATION | {"aws"},
    "local": FOUNDATION,
    "aws": FOUNDATION | {"local"},
    "emr": FOUNDATION | {"aws"},
    "etl": FOUNDATION | {"aws"},
    "quiz": FOUNDATION | {"aws"},
    "ml": FOUNDATION | {"aws", "etl", "emr"},
    "sagemaker": FOUNDATION | {"aws", "etl"},
    "classroom": FOUNDATION | {"aws", "local", "quiz"},
    "report": FOUNDATION,
    "notebook_params": FOUNDATION | {"ml", "sagemaker"},
    "runner": FOUNDATION | {"local", "report", "notebook_params"},
    "doctor": FOUNDATION | {"aws", "local"},
    "cli": {"face", "aws", "report", "runner", "doctor", "notebook_params"} | FOUNDATION | SUBPACKAGES,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# Package data (step scripts under data/) is not part of the import graph.
MODULES = {module_name(p): p for p in sorted(PKG.rglob("*.py")) if "data" not in p.relative_to(PKG).parts}


def resolve(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not MODULES[importer].name == "__init__.py":
        base = base[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imports(name: str) -> list[tuple[str, list[str], int]]:
    """(target module, imported names, line) for every import in the module, at any depth."""
    found = []
    for node in ast.walk(ast.parse(MODULES[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((resolve(name, node), [a.name for a in node.names], node.lineno))
    return found


def edges(name: str) -> set[str]:
    """emrlab modules that ``name`` imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    out = set()
    for target, names, _ in imports(name):
        if not target.startswith("emrlab"):
            continue
        subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
        out.update(subs or ([target] if target in MODULES else []))
    out.discard(name)
    return out


def part(name: str) -> str:
    """Which layer a module belongs to: a subpackage name, a core module name or ``foundation``."""
    if name == "emrlab":
        return "face"
    first = name.split(".")[1]
    if first in SUBPACKAGES:
        return first
    return first if first in ALLOWED else "foundation"


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_counting_function_local_imports():
    graph = {name: edges(name) for name in MODULES}
    assert find_cycles(graph) == []


def test_cycle_finder_sees_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_of_another_modules_private_names():
    reaches = []
    for name in MODULES:
        for target, names, line in imports(name):
            if target.startswith("emrlab") and target != name:
                reaches += [f"{name}:{line} imports {n} from {target}" for n in names
                            if n.startswith("_") and not n.startswith("__")]
    assert reaches == []


def test_no_private_attribute_of_another_emrlab_module():
    """``localaws._server_endpoint()`` style reaches through a module alias."""
    reaches = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = resolve(name, node)
                for a in node.names:
                    if f"{target}.{a.name}" in MODULES:
                        aliases[a.asname or a.name] = f"{target}.{a.name}"
            elif isinstance(node, ast.Import):
                aliases.update({a.asname: a.name for a in node.names
                                if a.asname and a.name.startswith("emrlab")})
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                reaches.append(f"{name}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    assert reaches == []


def test_layers():
    wrong = []
    for name in MODULES:
        mine = part(name)
        for target in edges(name):
            theirs = part(target)
            if theirs != mine and theirs not in ALLOWED[mine]:
                wrong.append(f"{name} ({mine}) imports {target} ({theirs})")
    assert wrong == []


@pytest.mark.parametrize("sub", sorted(SUBPACKAGES - {"cli"}))
def test_each_subpackage_names_its_public_face(sub):
    """Every name the ``__init__.pyi`` stub lists resolves, and the package says what it is."""
    package = importlib.import_module(f"emrlab.{sub}")
    assert (package.__doc__ or "").strip(), f"emrlab.{sub} has no docstring"
    assert package.__all__, f"emrlab.{sub} exports nothing"
    missing = [n for n in package.__all__ if getattr(package, n, None) is None]
    assert missing == []


def test_every_module_says_where_it_is_taught():
    silent = [name for name, path in MODULES.items()
              if "Taught in" not in (ast.get_docstring(ast.parse(path.read_text("utf-8"))) or "")
              and not name.endswith("__init__") and path.name != "__init__.py"]
    assert silent == []
