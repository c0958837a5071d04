"""Finding the kit's notebooks and their declared parameters.

Taught in README.md: ``emrlab run`` uses it to select notebooks and check ``-p`` values; the
convention tests use it too.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from emrlab.exceptions import NotebookRunError, ParameterError


def repo_root(start: Path | None = None) -> Path:
    """The kit's root: ``start`` (default: the working directory) if it holds ``notebooks/``,
    else the checkout the package is installed from (editable install)."""
    for candidate in (Path(start or Path.cwd()), Path(__file__).resolve().parents[2]):
        if (candidate / "notebooks").is_dir():
            return candidate.resolve()
    raise NotebookRunError(
        "cannot find the kit's notebooks/ folder: run from the repository root or pass --root"
    )


def default_selection(root: Path) -> list[Path]:
    """All guided notebooks, the lab solutions and the quiz notebooks, in run order."""
    found = sorted((root / "notebooks").glob("*.ipynb"))
    found += sorted((root / "labs").glob("*/solution.ipynb"))
    found += sorted((root / "quiz").glob("*.ipynb"))
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def _key(path: Path, root: Path) -> list[str]:
    """The names a user may use for a notebook: its path, its stem, or its lab folder."""
    names = [str(path.relative_to(root)), path.stem]
    if path.name == "solution.ipynb":
        names.append(path.parent.name)
    return names


def select(root: Path, names: list[str]) -> list[Path]:
    """Resolve ``names`` (paths or stems such as ``00_start_here``) to notebook paths.

    Raises
    ------
    NotebookRunError
        A name matches no notebook; the message lists the names that exist.
    """
    candidates = default_selection(root)
    if not names:
        return candidates
    chosen: list[Path] = []
    for name in names:
        as_path = Path(name)
        if as_path.suffix == ".ipynb" and as_path.exists():
            match = [as_path.resolve()]
        else:
            stripped = name.removesuffix(".ipynb")
            match = [p for p in candidates if stripped in _key(p, root)]
        if not match:
            known = ", ".join(sorted({_key(p, root)[-1] for p in candidates}))
            raise NotebookRunError(f"no notebook named {name!r}; known names: {known}")
        chosen.extend(m for m in match if m not in chosen)
    return chosen


def parameters(path: Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares: name -> {inferred_type_name, default, help}."""
    import papermill

    return papermill.inspect_notebook(str(path))


_CASTS = {
    "int": int,
    "float": float,
    "str": str,
}


def coerce(value: str, type_name: str, where: str) -> Any:
    """Turn the command-line string ``value`` into the declared type ``type_name``.

    Raises
    ------
    ParameterError
        The value cannot be read as that type; names ``where`` (notebook and parameter).
    """
    type_name = (type_name or "str").lower()
    try:
        if type_name == "bool":
            lowered = value.strip().lower()
            if lowered in ("true", "1", "yes"):
                return True
            if lowered in ("false", "0", "no"):
                return False
            raise ValueError("use true or false")
        if type_name in _CASTS:
            return _CASTS[type_name](value)
        if type_name in ("list", "dict", "tuple"):
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                parsed = ast.literal_eval(value)
            if type(parsed).__name__ != type_name:
                raise ValueError(f"got {type(parsed).__name__}")
            return parsed
        return value  # unknown or None annotation: pass the string as it is
    except (ValueError, SyntaxError) as exc:
        raise ParameterError(
            f"{where}={value!r} cannot be read as {type_name} ({exc})"
        ) from exc


def parse_assignments(items: list[str]) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}``; each item must contain ``=``."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise ParameterError(f"-p {item!r}: expected name=value with a Python identifier name")
        out[name.strip()] = value
    return out


def plan_parameters(
    notebooks: list[Path], assignments: dict[str, str]
) -> dict[Path, dict[str, Any]]:
    """Per notebook, the typed values of the ``-p`` parameters it declares.

    Raises
    ------
    ParameterError
        A parameter is declared by none of the selected notebooks, or cannot be coerced.
    """
    declared = {nb: parameters(nb) for nb in notebooks}
    unknown = [n for n in assignments if not any(n in d for d in declared.values())]
    if unknown:
        known = sorted({n for d in declared.values() for n in d})
        raise ParameterError(
            f"parameter(s) {', '.join(unknown)} declared by none of the selected notebooks; "
            f"declared: {', '.join(known) or '(none)'}"
        )
    plan: dict[Path, dict[str, Any]] = {}
    for nb, decl in declared.items():
        plan[nb] = {
            name: coerce(value, decl[name]["inferred_type_name"], f"{nb.name}: {name}")
            for name, value in assignments.items()
            if name in decl
        }
    return plan
