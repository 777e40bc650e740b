"""Reading an ``MLproject`` file, in MLflow's format, into a validated :class:`Project`.

.. code-block:: yaml

    name: iris
    python_env: python_env.yaml          # recorded; the entry point runs in this environment
    entry_points:
      main:
        parameters:
          C: {type: float, default: 1.0}
          data: path
        command: "python train.py --C {C} --data {data}"

Everything that can be wrong with the file (bad YAML, no entry points, an unknown type, a
default of the wrong type, a ``{placeholder}`` no parameter declares) is reported when it
is loaded, before anything runs.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labtrack.errors import InvalidParameter, NotFound
from labtrack.projects.parameters import ParameterSpec, parse_spec

ENVIRONMENT_KEYS = ("python_env", "conda_env", "docker_env")


@dataclass(frozen=True)
class EntryPoint:
    name: str
    command: str
    parameters: dict[str, ParameterSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class Project:
    folder: Path
    name: str
    entry_points: dict[str, EntryPoint]
    environment: dict[str, Any] = field(
        default_factory=dict
    )  # e.g. {"python_env": "python_env.yaml"}

    def entry_point(self, name: str) -> EntryPoint:
        try:
            return self.entry_points[name]
        except KeyError:
            raise NotFound(
                f"project {self.name!r} has no entry point {name!r}; "
                f"it has {', '.join(sorted(self.entry_points))}"
            ) from None


def find_mlproject_file(folder: Path) -> Path | None:
    """``MLproject`` in ``folder`` (MLflow accepts any capitalization of the name)."""
    if not folder.is_dir():
        return None
    return next(
        (p for p in sorted(folder.iterdir()) if p.name.lower() == "mlproject" and p.is_file()), None
    )


def load_project(folder: str | Path) -> Project:
    """The project in ``folder``; ``InvalidParameter`` naming the problem if its file is wrong."""
    import yaml

    folder = Path(folder).resolve()
    path = find_mlproject_file(folder)
    if path is None:
        raise NotFound(f"{str(folder)!r} has no MLproject file")
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise InvalidParameter(f"{path} is not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise InvalidParameter(f"{path} must be a mapping with 'entry_points'")
    entries = document.get("entry_points")
    if not isinstance(entries, dict) or not entries:
        raise InvalidParameter(f"{path} declares no entry_points")
    entry_points = {
        str(name): _entry_point(str(name), entry, path) for name, entry in entries.items()
    }
    environment = {key: document[key] for key in ENVIRONMENT_KEYS if key in document}
    return Project(folder, str(document.get("name") or folder.name), entry_points, environment)


def _entry_point(name: str, entry: Any, path: Path) -> EntryPoint:
    where = f"{path.name}: entry point {name!r}"
    if (
        not isinstance(entry, dict)
        or not isinstance(entry.get("command"), str)
        or not entry["command"].strip()
    ):
        raise InvalidParameter(f"{where} needs a 'command' string")
    declared = entry.get("parameters") or {}
    if not isinstance(declared, dict):
        raise InvalidParameter(f"{where}: 'parameters' must be a mapping of name to type")
    parameters = {str(key): parse_spec(str(key), value, where) for key, value in declared.items()}
    command = entry["command"]
    try:
        placeholders = {
            field_name for _, field_name, _, _ in string.Formatter().parse(command) if field_name
        }
    except ValueError as error:  # an unmatched brace
        raise InvalidParameter(f"{where}: bad command {command!r}: {error}") from None
    undeclared = sorted(placeholders - set(parameters))
    if undeclared:
        raise InvalidParameter(
            f"{where}: the command uses {', '.join(f'{{{p}}}' for p in undeclared)}, "
            "which no parameter declares"
        )
    return EntryPoint(name, command, parameters)
