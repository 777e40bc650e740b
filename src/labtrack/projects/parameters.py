"""Parameters of a notebook or an MLproject entry point: declared types, the values a user
gives (typed and validated before anything runs), and the grid a sweep expands.

Types are MLflow's (``float``, ``int``, ``string``, ``path``, ``uri``) plus ``bool``, and
``any`` for a notebook parameter whose default says nothing about its type (``None``).
"""

from __future__ import annotations

import ast
import itertools
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from labtrack.errors import InvalidParameter

TYPES = ("float", "int", "string", "path", "uri", "bool", "any")
_REQUIRED = object()  # the default of a parameter that must be given
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


@dataclass(frozen=True)
class ParameterSpec:
    """One declared parameter: its name, type and default (``required`` when it has none)."""

    name: str
    type: str = "string"
    default: Any = _REQUIRED

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    def coerce(self, value: Any) -> Any:
        """``value`` (a string from the command line, or a Python value) as this type;
        ``ValueError`` with a readable reason when it is not one."""
        if self.type == "any":
            return _literal_or_text(value)
        if self.type == "string":
            if not isinstance(value, (str, int, float, bool)):
                raise ValueError(f"must be a string, got {type(value).__name__}")
            return str(value)
        if self.type in ("path", "uri"):
            if not isinstance(value, (str, os.PathLike)):
                raise ValueError(f"must be a {self.type}, got {type(value).__name__}")
            return _path_value(os.fspath(value), must_exist=self.type == "path")
        return _NUMBER_COERCIONS[self.type](value)


def _to_number(kind: type[int] | type[float], article: str) -> Callable[[Any], Any]:
    """The coercion to ``kind``: a number that is one (an int is a float too, a bool is
    neither), or a string that reads as one."""
    accepted = (int,) if kind is int else (int, float)

    def coerce(value: Any) -> Any:
        if isinstance(value, accepted) and not isinstance(value, bool):
            return kind(value)
        if isinstance(value, str):
            try:
                return kind(value.strip())
            except ValueError:
                pass
        raise ValueError(f"must be {article} {kind.__name__}, got {value!r}")

    return coerce


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"must be true or false, got {value!r}")


_NUMBER_COERCIONS = {
    "int": _to_number(int, "an"),
    "float": _to_number(float, "a"),
    "bool": _to_bool,
}


def _literal_or_text(value: Any) -> Any:
    """A Python literal written on the command line (``[1, 2]``, ``None``), else the text."""
    if not isinstance(value, str):
        return value
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def _path_value(value: str, must_exist: bool) -> str:
    """Absolute, as MLflow does: the entry point runs in the project folder, not where the
    caller was. A URI with a scheme (``s3://``, ``file:``) is kept as given."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:", value):
        return value
    path = os.path.abspath(os.path.expanduser(value))
    if must_exist and not os.path.exists(path):
        raise ValueError(f"no such file or folder: {value!r}")
    return path


def parse_spec(name: str, declaration: Any, where: str) -> ParameterSpec:
    """An MLproject parameter: the short form ``lr: float`` or ``{type: float, default: 0.1}``."""
    if isinstance(declaration, str) or declaration is None:
        declaration = {"type": declaration or "string"}
    if not isinstance(declaration, Mapping):
        raise InvalidParameter(
            f"{where}: parameter {name!r} must be a type name or a mapping "
            f"with 'type' and 'default', got {declaration!r}"
        )
    kind = str(declaration.get("type", "string"))
    if kind not in TYPES[:-1]:
        raise InvalidParameter(
            f"{where}: parameter {name!r} has unknown type {kind!r}; "
            f"use one of {', '.join(TYPES[:-1])}"
        )
    spec = ParameterSpec(name, kind)
    if "default" in declaration and declaration["default"] is not None:
        try:  # a default is checked like a given value, except that a path need not exist yet
            checked = ParameterSpec(name, "uri" if kind == "path" else kind)
            spec = ParameterSpec(name, kind, checked.coerce(declaration["default"]))
        except ValueError as error:
            raise InvalidParameter(f"{where}: the default of parameter {name!r} {error}") from None
    return spec


def resolve(
    specs: Mapping[str, ParameterSpec], given: Mapping[str, Any], where: str
) -> dict[str, Any]:
    """The typed value of every declared parameter: given ones coerced, others defaulted.

    Every problem (unknown name, missing value, wrong type) is reported at once, before
    anything runs.
    """
    problems = []
    unknown = sorted(set(given) - set(specs))
    if unknown:
        known = ", ".join(sorted(specs)) or "none"
        problems.append(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)} (declared: {known})"
        )
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        if name in given:
            try:
                values[name] = spec.coerce(given[name])
            except ValueError as error:
                problems.append(f"parameter {name!r} {error}")
        elif spec.required:
            problems.append(f"parameter {name!r} ({spec.type}) is required and has no default")
        else:
            values[name] = spec.default
    if problems:
        raise InvalidParameter(f"{where}: " + "; ".join(problems))
    return values


# -- sweeps -----------------------------------------------------------------------------------


def parse_assignments(assignments: list[str]) -> dict[str, list[str]]:
    """``["lr=0.001,0.01", "C=1"]`` -> ``{"lr": ["0.001", "0.01"], "C": ["1"]}``.

    A comma separates sweep values; ``\\,`` is a literal comma inside one value.
    """
    values: dict[str, list[str]] = {}
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InvalidParameter(
                f"-P takes name=value (or name=v1,v2 to sweep), got {assignment!r}"
            )
        if name in values:
            raise InvalidParameter(
                f"parameter {name!r} is given twice; list its values in one -P {name}=v1,v2"
            )
        values[name] = [part.replace("\\,", ",") for part in re.split(r"(?<!\\),", text)]
    return values


def expand_grid(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every combination of the values, in the order given: ``{"a": [1, 2], "b": 3}`` ->
    ``[{"a": 1, "b": 3}, {"a": 2, "b": 3}]``. A list or tuple is a set of values to sweep."""
    names = list(values)
    choices = [list(v) if isinstance(v, (list, tuple)) else [v] for v in values.values()]
    for name, options in zip(names, choices, strict=True):
        if not options:
            raise InvalidParameter(f"parameter {name!r} has no values to sweep")
    return [
        dict(zip(names, combination, strict=True)) for combination in itertools.product(*choices)
    ]


def swept_names(grid: list[dict[str, Any]]) -> list[str]:
    """The parameters whose value differs somewhere in ``grid`` (the combinations of a sweep,
    as ``expand_grid`` gives them), in the grid's parameter order.

    >>> swept_names([{"C": 1, "kernel": "rbf"}, {"C": 10, "kernel": "rbf"}])
    ['C']
    """
    return [
        name
        for name in grid[0]
        if len({json.dumps(values[name], sort_keys=True) for values in grid}) > 1
    ]
