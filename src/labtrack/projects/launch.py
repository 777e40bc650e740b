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
from labtrack.projects.early_stop import EarlyStop
from labtrack.projects.mlproject import find_mlproject_file, load_project
from labtrack.projects.notebook import NotebookTarget
from labtrack.projects.parameters import expand_grid, resolve
from labtrack.projects.runner import Outcome, Target, run_target
from labtrack.projects.sweep import SweepResult, minimizes, run_sweep
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
    executor: Any = None,
    scheduler: str | None = None,
    sampler: str = "grid",
    trials: int | None = None,
    seed: int | None = None,
    early_stop: str | EarlyStop | None = None,
) -> Run:
    """Run a notebook (papermill, values injected after its cell tagged ``parameters``) or an
    MLproject folder's entry point as a tracked run, and return the run.

    A list of values sweeps that parameter: every combination runs as a child run of one
    parent run (``jobs`` at once), and the best child by ``metric`` is returned (maximized
    unless the name looks like a loss or an error; ``maximize`` decides otherwise). Without
    ``metric`` a sweep returns its parent run. (A parameter whose one value is a list is
    given as a list of that list: ``{"layers": [[64, 32]]}``.)

    ``sampler="random"`` draws ``trials`` points instead (``seed`` repeats them): a list is a
    choice, ``"uniform:0:1"``, ``"loguniform:1e-4:1e-1"``, ``"int:1:8"`` and ``"choice:a,b"``
    are ranges and choices (``labtrack.projects.sampling``). ``sampler="optuna"`` lets
    Optuna's TPE pick each of ``trials`` points from the results so far (by ``metric``).

    ``executor`` runs every point as a task on a Dask cluster: a ``distributed.Client``,
    ``"dask"`` (a LocalCluster of worker processes, or the scheduler at ``scheduler``) or a
    scheduler address. The workers log into this store, which must be one they reach
    (PostgreSQL or ``labtrack server``; a SQLite file only when they run on this host).
    There ``early_stop="loss:min"`` (``METRIC[:min|max]``) stops a point whose metric is
    worse, at its latest step, than the median of the finished points at that step;
    ``sampler="optuna"`` needs an executor too.

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
        executor=executor,
        scheduler=scheduler,
        sampler=sampler,
        trials=trials,
        seed=seed,
        early_stop=early_stop,
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
    executor: Any = None,
    scheduler: str | None = None,
    sampler: str = "grid",
    trials: int | None = None,
    seed: int | None = None,
    early_stop: str | EarlyStop | None = None,
) -> Outcome | SweepResult:
    """What ``run`` does, returning how it went instead of raising for failed executions."""
    target = resolve_target(uri, entry_point, kernel_name)
    if jobs < 1:
        raise InvalidParameter(f"jobs must be at least 1, got {jobs}")
    points = _sampler(target, parameters or {}, sampler, trials, seed, metric, maximize)
    stopper = EarlyStop.parse(early_stop) if isinstance(early_stop, str) else early_stop
    local = executor in (None, "local")
    if local and scheduler:
        raise InvalidParameter("a scheduler address goes with executor='dask'")
    if local and (stopper is not None or points.adaptive):
        raise InvalidParameter(
            "early stopping and the optuna sampler run on Dask: give executor='dask' "
            "(--executor dask; without a scheduler it starts a LocalCluster here)"
        )
    experiment = experiment_for(experiment_name, experiment_id)
    sweep = {"run_name": run_name, "jobs": jobs, "metric": metric, "maximize": maximize}
    if local:
        if points.size == 1 and sampler == "grid":
            return run_target(
                target, points.points[0], state.client(), experiment, run_name=run_name
            )
        return run_sweep(target, None, state.client(), experiment, sampler=points, **sweep)
    from labtrack.projects import executors

    dask, owned = executors.dask_client(executor, scheduler)
    try:
        executors.check_cluster(dask, state.client(), target)
        return run_sweep(
            target,
            None,
            state.client(),
            experiment,
            sampler=points,
            executor=dask,
            early_stop=stopper,
            **sweep,
        )
    finally:
        if owned:
            executors.close_client(dask)


def _sampler(
    target: Target,
    given: dict[str, Any],
    sampler: str,
    trials: int | None,
    seed: int | None,
    metric: str | None,
    maximize: bool | None,
):
    """The points to run, every one checked against the target's parameters first."""
    from labtrack.projects import sampling

    specs = target.parameters
    if sampler not in sampling.SAMPLERS:
        raise InvalidParameter(
            f"sampler must be one of {', '.join(sampling.SAMPLERS)}, got {sampler!r}"
        )
    if sampler == "grid":
        if trials is not None or seed is not None:
            raise InvalidParameter("trials and seed go with sampler='random' or 'optuna'")
        return sampling.GridSampler(
            [resolve(specs, values, target.label) for values in expand_grid(given)]
        )
    space, fixed = sampling.search_space(given)
    corners = [
        resolve(specs, values, target.label) for values in sampling.corner_points(space, fixed)
    ]
    fixed = {name: value for name, value in corners[0].items() if name not in space}
    if sampler == "random":
        return sampling.RandomSampler(space, fixed, trials, seed)
    if not metric:
        raise InvalidParameter("the optuna sampler needs a metric to optimize (--metric)")
    maximize = not minimizes(metric) if maximize is None else maximize
    return sampling.OptunaSampler(space, fixed, trials, maximize=maximize, seed=seed)


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
