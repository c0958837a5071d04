"""Checking notebook parameters before any work is done.

Taught in notebooks/00_start_here.ipynb. Every notebook calls :func:`validate` right after its
parameters cell, so a wrong ``-p`` value from papermill or ``emrlab run`` fails at once with a
message naming the parameter, the value and what is allowed.

Example
-------
>>> validate({"n_events": 5000, "codec": "zstd"},
...          n_events=Param(int, min=1_000, max=100_000_000),
...          codec=Param(str, choices=("snappy", "gzip", "zstd")))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from emrlab.config import BUCKET_PATTERN, REGION_PATTERN
from emrlab.exceptions import ParameterError


@dataclass(frozen=True)
class Param:
    """The rule for one parameter.

    Parameters
    ----------
    type : type or tuple of types
        Allowed Python type(s). ``float`` also accepts ``int``; ``bool`` is never an ``int``.
    min, max : number, optional
        Inclusive bounds for numbers, or for the length of lists and strings.
    choices : sequence, optional
        The allowed values (for lists: allowed items).
    pattern : str, optional
        A regular expression a string must match in full.
    allow_empty : bool
        Whether ``""`` is accepted for a string (e.g. "take it from the environment").
    """

    type: type | tuple = str
    min: float | None = None
    max: float | None = None
    choices: tuple | list | None = None
    pattern: str | None = None
    allow_empty: bool = False


def _type_ok(value: Any, expected) -> bool:
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool):
        return bool in types
    if isinstance(value, int) and float in types:
        return True
    return isinstance(value, types)


def _type_name(expected) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(t.__name__ for t in types)


def problem(name: str, value: Any, rule: Param) -> str | None:
    """What is wrong with ``value`` under ``rule``, or None when it is allowed."""
    if not _type_ok(value, rule.type):
        return f"{name}={value!r} has type {type(value).__name__}; expected {_type_name(rule.type)}"
    if isinstance(value, str) and value == "" and rule.allow_empty:
        return None
    if rule.choices is not None:
        items = value if isinstance(value, (list, tuple)) else [value]
        bad = [v for v in items if v not in rule.choices]
        if bad:
            allowed = ", ".join(repr(c) for c in rule.choices)
            return f"{name}={value!r} is not allowed; choose from {allowed}"
    measured = len(value) if isinstance(value, (str, list, tuple, dict)) else value
    what = "length" if measured is not value else "value"
    if rule.min is not None and measured < rule.min:
        return f"{name}={value!r}: {what} must be >= {rule.min}"
    if rule.max is not None and measured > rule.max:
        return f"{name}={value!r}: {what} must be <= {rule.max}"
    if rule.pattern is not None and not (isinstance(value, str) and re.fullmatch(rule.pattern, value)):
        return f"{name}={value!r} does not match the pattern {rule.pattern!r}"
    return None


# Rules for the parameters every notebook shares (mode, cost acknowledgement, region, bucket).
COMMON = {
    "mode": Param(str, choices=("", "local", "aws")),
    "acknowledge_costs": Param(bool),
    "region": Param(str, allow_empty=True, pattern=REGION_PATTERN),
    "bucket": Param(str, allow_empty=True, pattern=BUCKET_PATTERN),
}


def validate(values: dict[str, Any], **rules: Param) -> dict[str, Any]:
    """Check every value against its rule; raise one error listing all problems.

    Parameters
    ----------
    values : dict
        Parameter names and values (e.g. ``dict(n_events=n_events)``).
    **rules : Param
        One rule per parameter name; the shared parameters ``mode``, ``acknowledge_costs``,
        ``region`` and ``bucket`` get their rules from :data:`COMMON` unless given here.

    Returns
    -------
    dict
        ``values``, unchanged, so the call can be chained.

    Raises
    ------
    ParameterError
        Listing each bad parameter, its value and what is allowed; also raised when a rule
        has no value or a value has no rule (a typo in the notebook itself).
    """
    problems = []
    rules = {**{k: v for k, v in COMMON.items() if k in values}, **rules}
    for name in values.keys() - rules.keys():
        problems.append(f"{name}: no rule declared for this parameter")
    for name, rule in rules.items():
        if name not in values:
            problems.append(f"{name}: rule declared but no value given")
            continue
        msg = problem(name, values[name], rule)
        if msg:
            problems.append(msg)
    if problems:
        raise ParameterError("invalid parameters:\n  - " + "\n  - ".join(sorted(problems)))
    return values
