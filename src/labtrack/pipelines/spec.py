"""Reading and checking a pipeline: ``pipeline.yaml``, or the ``pipeline:`` section of an
MLproject file. Every problem is found before anything runs and reported with its line.

.. code-block:: yaml

    name: demo
    parameters:                       # the pipeline's own, set with -P
      rows: {type: int, default: 200}
    steps:
      prepare:
        notebook: prepare.ipynb       # relative to this file
        parameters: {rows: "${params.rows}"}
      train:
        entry_point: train            # an entry point of the MLproject next to this file
        needs: [prepare]
        parameters: {data: "${steps.prepare.artifacts.data.csv}"}
        metrics: [accuracy]           # what later steps and conditions may read
      register:
        notebook: register.ipynb
        needs: [train]
        when: steps.train.metrics.accuracy >= 0.9
        parameters: {model_uri: "${steps.train.model_uri}"}
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labtrack.errors import InvalidParameter, NotFound
from labtrack.pipelines.expressions import (
    Condition,
    Reference,
    parse_condition,
    references_in,
)
from labtrack.projects.parameters import ParameterSpec, parse_spec

STEP_KEYS = {
    "notebook",
    "entry_point",
    "project",
    "parameters",
    "needs",
    "when",
    "metrics",
    "model",
}
TOP_KEYS = {"name", "parameters", "steps"}
DEFAULT_MODEL_PATH = "model"


@dataclass(frozen=True)
class Step:
    """One step: what it runs (a notebook, or an entry point of a project folder), its
    parameter values (references unresolved), the steps it needs, its condition."""

    name: str
    line: int
    notebook: Path | None = None
    project: Path | None = None
    entry_point: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    needs: tuple[str, ...] = ()
    when: Condition | None = None
    metrics: tuple[str, ...] = ()
    model: str = DEFAULT_MODEL_PATH

    def target(self):
        """The projects runner's target for this step (notebook or entry point)."""
        from labtrack.projects.command import EntryPointTarget
        from labtrack.projects.mlproject import load_project
        from labtrack.projects.notebook import NotebookTarget

        if self.notebook is not None:
            return NotebookTarget(self.notebook)
        project = load_project(self.project)
        return EntryPointTarget(project, project.entry_point(self.entry_point))

    def code_hash(self) -> str:
        """A hash of the step's source files: a changed file means the step runs again."""
        digest = hashlib.sha256()
        files, _ = self.target().source_files(skip=set())
        for path, folder in sorted(files, key=lambda pair: (pair[1], str(pair[0]))):
            digest.update(f"{folder}/{path.name}\0".encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()


@dataclass(frozen=True)
class Pipeline:
    """A checked pipeline: its steps in an order where every step follows what it needs."""

    name: str
    path: Path
    parameters: dict[str, ParameterSpec]
    steps: dict[str, Step]  # in dependency order

    def ancestors(self, name: str) -> set[str]:
        """Every step ``name`` waits for, directly or not."""
        seen: set[str] = set()
        stack = list(self.steps[name].needs)
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.steps[current].needs)
        return seen

    def graph(self) -> dict[str, Any]:
        """The pipeline as JSON (recorded on the parent run as ``pipeline.json``)."""
        return {
            "name": self.name,
            "file": str(self.path),
            "steps": [
                {
                    "name": step.name,
                    "needs": list(step.needs),
                    "kind": "notebook" if step.notebook else "entry_point",
                    "target": str(step.notebook) if step.notebook else step.entry_point,
                    "when": step.when.text if step.when else None,
                    "metrics": list(step.metrics),
                    "line": step.line,
                }
                for step in self.steps.values()
            ],
        }


class _Document:
    """A YAML document as plain values, with the line of every node by its path."""

    def __init__(self, path: Path, text: str, section: str | None):
        import yaml

        self.path = path
        self.lines: dict[tuple, int] = {}
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else str(path)
            raise InvalidParameter(f"{where}: not valid YAML: {error}") from None
        if node is None:
            raise InvalidParameter(f"{path}: the file is empty")
        self.value = self._convert(node, ())
        if section is not None:
            if not isinstance(self.value, dict) or section not in self.value:
                raise NotFound(f"{path} has no '{section}:' section")
            self.value = self.value[section]
            self.lines = {
                key[1:]: line for key, line in self.lines.items() if key[:1] == (section,)
            }

    def _convert(self, node, at: tuple) -> Any:
        import yaml

        self.lines[at] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            result = {}
            for key_node, value_node in node.value:
                key = str(_scalar(key_node))
                result[key] = self._convert(value_node, (*at, key))
                self.lines[(*at, key)] = key_node.start_mark.line + 1
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self._convert(child, (*at, i)) for i, child in enumerate(node.value)]
        return _scalar(node)

    def error(self, at: tuple, message: str) -> InvalidParameter:
        """An error naming the file and the line of ``at`` (or of its nearest parent)."""
        while at and at not in self.lines:
            at = at[:-1]
        return InvalidParameter(f"{self.path}:{self.lines.get(at, 1)}: {message}")


def _scalar(node) -> Any:
    """A scalar as PyYAML's safe loader reads it (ints, floats, booleans, null, text)."""
    import yaml

    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def load_pipeline(path: str | Path) -> Pipeline:
    """The pipeline in ``path``: a pipeline YAML file, an MLproject file with a ``pipeline:``
    section, or a folder holding either. ``InvalidParameter`` with the line of the problem."""
    from labtrack.projects.mlproject import find_mlproject_file

    path = Path(path).expanduser().resolve()
    section = None
    if path.is_dir():
        candidate = path / "pipeline.yaml"
        mlproject = find_mlproject_file(path)
        if candidate.is_file():
            path = candidate
        elif mlproject is not None:
            path, section = mlproject, "pipeline"
        else:
            raise NotFound(f"{str(path)!r} has no pipeline.yaml and no MLproject file")
    elif not path.is_file():
        raise NotFound(f"no pipeline file {str(path)!r}")
    elif path.name.lower() == "mlproject":
        section = "pipeline"
    document = _Document(path, path.read_text(), section)
    return _check(document, path)


def _check(doc: _Document, path: Path) -> Pipeline:
    top = doc.value
    if not isinstance(top, dict):
        raise doc.error((), "a pipeline is a mapping with 'steps'")
    for key in top:
        if key not in TOP_KEYS:
            raise doc.error((key,), f"unknown key {key!r} (expected {', '.join(sorted(TOP_KEYS))})")
    declared = top.get("parameters") or {}
    if not isinstance(declared, dict):
        raise doc.error(("parameters",), "'parameters' must map names to types")
    parameters = {}
    for name, declaration in declared.items():
        try:
            parameters[str(name)] = parse_spec(str(name), declaration, "pipeline parameters")
        except InvalidParameter as error:
            raise doc.error(("parameters", name), str(error)) from None
    steps_value = top.get("steps")
    if not isinstance(steps_value, dict) or not steps_value:
        raise doc.error(("steps",), "a pipeline needs 'steps', a mapping of step names")
    steps = {
        str(name): _step(doc, str(name), value, path.parent) for name, value in steps_value.items()
    }
    for step in steps.values():
        for i, need in enumerate(step.needs):
            if need not in steps:
                raise doc.error(("steps", step.name, "needs", i), f"unknown step {need!r}")
    ordered = _ordered(doc, steps)
    pipeline = Pipeline(str(top.get("name") or path.parent.name), path, parameters, ordered)
    for step in ordered.values():
        _check_references(doc, pipeline, step)
    return pipeline


def _step(doc: _Document, name: str, value: Any, folder: Path) -> Step:
    at = ("steps", name)
    if not isinstance(value, dict):
        raise doc.error(at, f"step {name!r} must be a mapping")
    for key in value:
        if key not in STEP_KEYS:
            raise doc.error(
                (*at, key),
                f"step {name!r}: unknown key {key!r} (expected {', '.join(sorted(STEP_KEYS))})",
            )
    if ("notebook" in value) == ("entry_point" in value):
        raise doc.error(at, f"step {name!r} needs either 'notebook' or 'entry_point'")
    notebook = project = entry_point = None
    if "notebook" in value:
        notebook = (folder / str(value["notebook"])).resolve()
        if notebook.suffix != ".ipynb" or not notebook.is_file():
            raise doc.error((*at, "notebook"), f"step {name!r}: no notebook {str(notebook)!r}")
    else:
        entry_point = str(value["entry_point"])
        project = (folder / str(value.get("project", "."))).resolve()
    needs = value.get("needs") or []
    if isinstance(needs, str):
        needs = [needs]
    if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs):
        raise doc.error((*at, "needs"), f"step {name!r}: 'needs' is a list of step names")
    parameters = value.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise doc.error((*at, "parameters"), f"step {name!r}: 'parameters' must be a mapping")
    metrics = value.get("metrics") or []
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise doc.error((*at, "metrics"), f"step {name!r}: 'metrics' is a list of metric names")
    when = None
    if "when" in value:
        try:
            when = parse_condition(value["when"])
        except InvalidParameter as error:
            raise doc.error((*at, "when"), f"step {name!r}: {error}") from None
    step = Step(
        name,
        doc.lines.get(at, 1),
        notebook=notebook,
        project=project,
        entry_point=entry_point,
        parameters={str(k): v for k, v in parameters.items()},
        needs=tuple(needs),
        when=when,
        metrics=tuple(metrics),
        model=str(value.get("model") or DEFAULT_MODEL_PATH),
    )
    try:
        declared = step.target().parameters
    except (InvalidParameter, NotFound) as error:
        raise doc.error(at, f"step {name!r}: {error}") from None
    for key in step.parameters:
        if key not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise doc.error(
                (*at, "parameters", key),
                f"step {name!r}: unknown parameter {key!r} (its parameters: {known})",
            )
    return step


def _ordered(doc: _Document, steps: dict[str, Step]) -> dict[str, Step]:
    """The steps in dependency order (file order among the ready ones); a cycle is refused."""
    from graphlib import CycleError, TopologicalSorter

    sorter = TopologicalSorter({name: step.needs for name, step in steps.items()})
    try:
        order = list(sorter.static_order())
    except CycleError as error:
        cycle = error.args[1]
        raise doc.error(
            ("steps", cycle[0]), f"the steps form a cycle: {' -> '.join(cycle)}"
        ) from None
    position = {name: i for i, name in enumerate(steps)}
    # static_order is one valid order; make it stable: file order among the ready steps.
    done: list[str] = []
    remaining = sorted(order, key=position.__getitem__)
    while remaining:
        ready = next(n for n in remaining if set(steps[n].needs) <= set(done))
        done.append(ready)
        remaining.remove(ready)
    return {name: steps[name] for name in done}


def _check_references(doc: _Document, pipeline: Pipeline, step: Step) -> None:
    """Every reference names a declared pipeline parameter or an earlier step's output, and
    every metric read was declared by the step that logs it."""
    at = ("steps", step.name)
    uses: list[tuple[tuple, Reference]] = []
    for key, value in step.parameters.items():
        try:
            uses += [((*at, "parameters", key), ref) for ref in references_in(value)]
        except InvalidParameter as error:
            raise doc.error((*at, "parameters", key), f"step {step.name!r}: {error}") from None
    if step.when is not None:
        uses += [((*at, "when"), ref) for ref in step.when.references]
    earlier = pipeline.ancestors(step.name)
    for where, ref in uses:
        if ref.step is None:
            if ref.key not in pipeline.parameters:
                raise doc.error(
                    where, f"step {step.name!r}: unknown pipeline parameter {ref.key!r}"
                )
            continue
        if ref.step not in pipeline.steps:
            raise doc.error(where, f"step {step.name!r}: {ref} names an unknown step {ref.step!r}")
        if ref.step not in earlier:
            raise doc.error(
                where,
                f"step {step.name!r}: {ref} reads step {ref.step!r}, which is not among its needs",
            )
        source = pipeline.steps[ref.step]
        if ref.kind == "metrics" and ref.key not in source.metrics:
            declared = ", ".join(source.metrics) or "none"
            raise doc.error(
                where,
                f"step {step.name!r}: {ref}: step {ref.step!r} declares no metric {ref.key!r} "
                f"in its 'metrics:' list (declared: {declared})",
            )
        if ref.kind == "params" and ref.key not in source.target().parameters:
            raise doc.error(
                where, f"step {step.name!r}: {ref}: step {ref.step!r} has no parameter {ref.key!r}"
            )
