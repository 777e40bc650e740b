"""``lt.run``: from what the user names (a notebook or a project folder, parameter values,
an experiment) to one tracked run, or a sweep of them.

Everything the user gave is checked before anything runs: the target exists, its MLproject
file is sound, every parameter is known and of its type, in every combination of a sweep.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labtrack.entities import Run, RunStatus
from labtrack.errors import ExecutionFailed, InvalidParameter, NotFound
from labtrack.projects.command import EntryPointTarget
from labtrack.projects.mlproject import find_mlproject_file, load_project
from labtrack.projects.notebook import NotebookTarget
from labtrack.projects.parameters import expand_grid, resolve
from labtrack.projects.runner import Outcome, Target, run_target
from labtrack.projects.sweep import SweepResult, run_sweep
from labtrack.tracking import fluent, state


def run(
    uri: str | Path,
    entry_point: str = "main",
    parameters: dict[str, Any] | None = None,
    *,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    jobs: int = 1,
    metric: str | None = None,
    maximize: bool | None = None,
    kernel_name: str | None = None,
) -> Run:
    """Run a notebook (papermill, values injected after its cell tagged ``parameters``) or an
    MLproject folder's entry point as a tracked run, and return the run.

    A list of values sweeps that parameter: every combination runs as a child run of one
    parent run (``jobs`` at once), and the best child by ``metric`` is returned (maximized
    unless the name looks like a loss or an error; ``maximize`` decides otherwise). Without
    ``metric`` a sweep returns its parent run. (A parameter whose one value is a list is
    given as a list of that list: ``{"layers": [[64, 32]]}``.)

    Code in the notebook or command logs into this run (``lt.log_metric``, ``lt.start_run``,
    ``%%track``). A failed execution is recorded (status FAILED, the ``labtrack.error`` tag,
    the notebook as far as it ran) and raised as ``ExecutionFailed``.

    >>> lt.run("train.ipynb", parameters={"C": [0.1, 1, 10]},  # doctest: +SKIP
    ...        experiment_name="svm", metric="accuracy", jobs=2)
    """
    result = execute(
        uri,
        entry_point,
        parameters,
        experiment_name=experiment_name,
        experiment_id=experiment_id,
        run_name=run_name,
        jobs=jobs,
        metric=metric,
        maximize=maximize,
        kernel_name=kernel_name,
    )
    raise_if_failed(result)
    client = state.client()
    if isinstance(result, Outcome):
        return client.get_run(result.run_id)
    return client.get_run(result.best.run_id if result.best else result.parent_run_id)


def execute(
    uri: str | Path,
    entry_point: str = "main",
    parameters: dict[str, Any] | None = None,
    *,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    jobs: int = 1,
    metric: str | None = None,
    maximize: bool | None = None,
    kernel_name: str | None = None,
) -> Outcome | SweepResult:
    """What ``run`` does, returning how it went instead of raising for failed executions."""
    target = resolve_target(uri, entry_point, kernel_name)
    specs = target.parameters
    grid = [resolve(specs, values, target.label) for values in expand_grid(parameters or {})]
    if jobs < 1:
        raise InvalidParameter(f"jobs must be at least 1, got {jobs}")
    experiment = experiment_for(experiment_name, experiment_id)
    if len(grid) == 1:
        return run_target(target, grid[0], state.client(), experiment, run_name=run_name)
    return run_sweep(
        target,
        grid,
        state.client(),
        experiment,
        run_name=run_name,
        jobs=jobs,
        metric=metric,
        maximize=maximize,
    )


def resolve_target(
    uri: str | Path, entry_point: str = "main", kernel_name: str | None = None
) -> Target:
    """A notebook file, or a folder with an MLproject file and the named entry point."""
    path = Path(uri).expanduser().resolve()
    if path.suffix == ".ipynb":
        if not path.is_file():
            raise NotFound(f"no notebook {str(uri)!r}")
        return NotebookTarget(path, kernel_name=kernel_name)
    if path.is_dir() and find_mlproject_file(path) is not None:
        project = load_project(path)
        return EntryPointTarget(project, project.entry_point(entry_point))
    if path.is_dir():
        raise NotFound(f"{str(uri)!r} has no MLproject file (a project folder needs one)")
    raise NotFound(f"{str(uri)!r} is neither a notebook (.ipynb) nor a project folder")


def experiment_for(name: str | None = None, experiment_id: str | None = None) -> str:
    """The experiment's id: by name (created if new), by id, else the active experiment."""
    if name is not None and experiment_id is not None:
        raise InvalidParameter("give experiment_name or experiment_id, not both")
    if name is not None:
        return fluent.get_or_create_experiment(name).experiment_id
    if experiment_id is not None:
        return fluent.get_experiment(str(experiment_id)).experiment_id
    return fluent.active_experiment_id()


def raise_if_failed(result: Outcome | SweepResult) -> None:
    """``ExecutionFailed`` naming every failed run, if any failed."""
    if isinstance(result, Outcome):
        if result.status != RunStatus.FINISHED:
            raise ExecutionFailed(
                f"run {result.run_name!r} ({result.run_id}) {result.status}: {result.error}",
                run_id=result.run_id,
            )
    elif result.failed:
        lines = "; ".join(f"{o.run_name!r} ({o.run_id}): {o.error}" for o in result.failed)
        raise ExecutionFailed(
            f"{len(result.failed)} of {len(result.outcomes)} runs of sweep "
            f"{result.parent_run_id} failed: {lines}",
            run_id=result.parent_run_id,
        )
