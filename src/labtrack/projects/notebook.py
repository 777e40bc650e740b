"""A notebook as something to run: parameters read from its cell tagged ``parameters``, and
execution by papermill in a worker process (``notebook_worker``).
"""

from __future__ import annotations

import ast
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labtrack.errors import InvalidParameter
from labtrack.projects.parameters import ParameterSpec
from labtrack.projects.runner import INPUT_FOLDER

PARAMETERS_TAG = "parameters"  # papermill's convention
_ANNOTATION_TYPES = {"int": "int", "float": "float", "str": "string", "bool": "bool"}


def notebook_parameters(path: Path) -> dict[str, ParameterSpec]:
    """The names assigned in the notebook's ``parameters`` cell, typed by their defaults
    (or annotations: ``lr: float = 0.1``). Read with ``json`` and ``ast``, nothing executed."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        cells = document["cells"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InvalidParameter(f"{str(path)!r} is not a readable notebook: {error}") from None
    specs: dict[str, ParameterSpec] = {}
    for cell in cells:
        if cell.get("cell_type") == "code" and PARAMETERS_TAG in cell.get("metadata", {}).get(
            "tags", []
        ):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            specs.update(_assigned_parameters(source, path))
    return specs


def _assigned_parameters(source: str, path: Path) -> dict[str, ParameterSpec]:
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise InvalidParameter(
            f"{path.name}: the parameters cell is not valid Python: {error}"
        ) from None
    specs = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, annotation = statement.targets[0], None
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, annotation = statement.target, statement.annotation
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        try:
            default = ast.literal_eval(statement.value)
        except ValueError:  # an expression (np.arange(3)): keep it unless the caller sets one
            default = None
        kind = _ANNOTATION_TYPES.get(getattr(annotation, "id", None)) or _type_of(default)
        specs[target.id] = ParameterSpec(target.id, kind, default)
    return specs


def _type_of(default: Any) -> str:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    return "string" if isinstance(default, str) else "any"


@dataclass(frozen=True)
class NotebookTarget:
    """A notebook executed in ``workdir`` (its own folder by default)."""

    path: Path
    workdir: Path | None = None
    kernel_name: str | None = None
    source_name: str = ""  # recorded as mlflow.source.name; the notebook's path by default

    kind = "notebook"

    @property
    def parameters(self) -> dict[str, ParameterSpec]:
        return notebook_parameters(self.path)

    @property
    def label(self) -> str:
        return f"notebook {self.path.name!r}"

    @property
    def default_run_name(self) -> str:
        return self.path.stem

    @property
    def source_folder(self) -> Path:
        return self.path.parent

    def tags(self) -> dict[str, str]:
        tags = {
            "mlflow.source.type": "NOTEBOOK",
            "mlflow.source.name": self.source_name or str(self.path),
        }
        if self.kernel_name:
            tags["labtrack.project.kernel"] = self.kernel_name
        return tags

    def source_files(self, skip: set[Path]) -> tuple[list[tuple[Path, str]], list[str]]:
        return [(self.path, INPUT_FOLDER)], []

    def launch(self, values: dict[str, Any], output_dir: Path) -> tuple[list[str], Path]:
        argv = [
            sys.executable,
            "-m",
            "labtrack.projects.notebook_worker",
            str(self.path),
            str(output_dir / self.path.name),
            "--parameters",
            json.dumps(values),
        ]
        if self.kernel_name:
            argv += ["--kernel", self.kernel_name]
        return argv, self.workdir or self.path.parent
