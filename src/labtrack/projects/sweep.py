"""A grid of parameter values run as child runs of one parent run, one after another or
several at once, and the best child by a metric. An interrupt stops the whole sweep: the
running children are terminated and recorded KILLED, the ones not started never start.

Children run in threads of this process, each waiting on its own child process (a notebook
worker with its own kernel, or the entry point's command), or as tasks on a Dask cluster
(``labtrack.projects.executors``). One failing child does not stop the others; the parent
ends FAILED if any did. The points are a grid's, or a sampler's (``labtrack.projects.sampling``:
random draws, Optuna), and on Dask a bad point can be stopped early (``early_stop``).
"""

from __future__ import annotations

import math
import re
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from labtrack.entities import Param, RunStatus
from labtrack.projects.parameters import resolve
from labtrack.projects.processes import ChildProcesses
from labtrack.projects.runner import KIND_TAG, Outcome, Target, run_target
from labtrack.tracking.validation import ERROR_TAG, GROUP_TAG, MAX_TAG_VALUE_LENGTH

if TYPE_CHECKING:
    from labtrack.tracking.client import TrackingClient

PARENT_TAG = "mlflow.parentRunId"
BEST_RUN_TAG = "labtrack.sweep.bestRunId"
# After an interrupt, how long the children's threads get to record their runs as KILLED.
RECORD_GRACE_SECONDS = 30.0


@dataclass(frozen=True)
class SweepResult:
    parent_run_id: str
    outcomes: list[Outcome]  # in grid order
    metric: str | None = None
    maximize: bool = True
    best: Outcome | None = None
    best_value: float | None = None
    stopped: frozenset[str] = frozenset()  # run ids stopped early: not failures

    @property
    def failed(self) -> list[Outcome]:
        return [
            outcome
            for outcome in self.outcomes
            if outcome.status != RunStatus.FINISHED and outcome.run_id not in self.stopped
        ]


def minimizes(metric: str) -> bool:
    """Loss- and error-like names are minimized; every other metric is maximized."""
    return (
        re.search(r"loss|error|(^|[^a-z])err([^a-z]|$)|mse|mae|perplexity", metric.lower())
        is not None
    )


def run_sweep(
    target: Target,
    grid: list[dict[str, Any]] | None,
    client: TrackingClient,
    experiment_id: str,
    *,
    run_name: str | None = None,
    jobs: int = 1,
    metric: str | None = None,
    maximize: bool | None = None,
    sampler: Any = None,
    executor: Any = None,
    early_stop: Any = None,
) -> SweepResult:
    """Run every combination in ``grid`` (already validated), or the points ``sampler``
    asks for, as children of a new parent run: in threads here, or as Dask tasks when
    ``executor`` is a ``distributed.Client`` (where ``early_stop``, an ``EarlyStop``, may
    stop bad points)."""
    from labtrack.projects.sampling import GridSampler
    from labtrack.tracking.context import git_tags, source_tags

    sampler = sampler or GridSampler(grid)
    specs = target.parameters
    base_name = run_name or target.default_run_name
    swept = sampler.swept
    git = git_tags(target.source_folder)  # read once, for the parent and every child
    parent = client.create_run(
        experiment_id,
        run_name=f"{base_name} sweep",
        tags={
            **source_tags(),
            **git,
            **target.tags(),
            KIND_TAG: f"{target.kind}-sweep",
            "labtrack.sweep.size": str(sampler.size),
            "labtrack.sweep.parameters": ",".join(swept),
        },
    )
    parent_id = parent.info.run_id
    status = RunStatus.KILLED
    try:
        # What every child shares is the parent's params too.
        client.log_batch(parent_id, params=[Param(k, v) for k, v in sampler.fixed.items()])
        # The sweep is the children's group: lt.chart(group_by="tags.labtrack.group")
        # draws each sweep's mean and range.
        child_tags = {**git, PARENT_TAG: parent_id, GROUP_TAG: parent.info.run_name}
        stopped: set[str] = set()
        if executor is not None:
            outcomes = _run_on_dask(
                executor, target, sampler, client, experiment_id, parent_id,
                base_name, child_tags, jobs, metric, early_stop, stopped,
            )  # fmt: skip
        else:
            processes = ChildProcesses()

            def run_child(values: dict[str, Any]) -> Outcome:
                values = resolve(specs, values, target.label)  # a sampler's draws are raw
                return run_target(
                    target,
                    values,
                    client,
                    experiment_id,
                    run_name=f"{base_name} {sampler.label(values)}".strip(),
                    tags=child_tags,
                    capture_git=False,
                    processes=processes,
                )

            if jobs <= 1:
                outcomes = [run_child(values) for values in sampler.points]
            else:
                outcomes = _run_in_threads(run_child, sampler.points, jobs, processes)
        result = _with_best(
            client,
            SweepResult(parent_id, outcomes, metric, stopped=frozenset(stopped)),
            metric,
            maximize,
        )
        status = RunStatus.FAILED if result.failed else RunStatus.FINISHED
        _record_result(client, result)
        return result
    finally:
        client.set_terminated(parent_id, status)


def _run_on_dask(
    dask,
    target: Target,
    sampler,
    client: TrackingClient,
    experiment_id: str,
    parent_id: str,
    base_name: str,
    child_tags: dict[str, str],
    jobs: int,
    metric: str | None,
    early_stop,
    stopped: set[str],
) -> list[Outcome]:
    """The sampler's points as Dask tasks (all at once, or as many as the cluster runs at
    a time for a sampler that learns from results). An interrupt ends the parent, which
    stops the points on the workers, and waits for them to record that."""
    from labtrack.projects import executors
    from labtrack.projects.early_stop import STOPPED_TAG
    from labtrack.projects.sampling import FAILED, FINISHED, STOPPED

    specs = target.parameters  # read once, not for every point

    def submit(index: int, values: dict[str, Any]):
        values = resolve(specs, values, target.label)
        return executors.submit_execution(
            dask,
            target,
            values,
            tracking_uri=client.tracking_uri,
            experiment_id=experiment_id,
            parent_run_id=parent_id,
            run_name=f"{base_name} {sampler.label(values)}".strip(),
            tags=child_tags,
            early_stop=early_stop,
        )

    def told(outcome: Outcome) -> tuple[str, float | None]:
        run = client.get_run(outcome.run_id)
        # KILLED too: a point that finished as the rule fired counts as finished
        if outcome.status == RunStatus.KILLED and STOPPED_TAG in run.data.tags:
            stopped.add(outcome.run_id)
            return STOPPED, None
        if outcome.status != RunStatus.FINISHED:
            return FAILED, None
        return FINISHED, run.data.metrics.get(metric) if metric else None

    in_flight = max(jobs, executors.worker_threads(dask)) if sampler.adaptive else sampler.size
    try:
        return executors.run_points(dask, sampler, submit, told, in_flight)
    except BaseException:
        executors.stop_children(client, experiment_id, parent_id)
        raise


def _run_in_threads(
    run_child, grid: list[dict[str, Any]], jobs: int, processes: ChildProcesses
) -> list[Outcome]:
    """``run_child`` over the grid, ``jobs`` at a time. An interrupt (or any error) while
    waiting drops the children not started yet, stops the running child processes (their
    runs end KILLED), lets their threads record that, and goes on."""
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="labtrack-sweep")
    futures = [pool.submit(run_child, values) for values in grid]
    try:
        outcomes = _results(futures)
    except BaseException:
        # Not `with pool`: its exit would wait for every child to run to its end.
        pool.shutdown(wait=False, cancel_futures=True)
        processes.stop()
        # A cancelled future never counts as done: wait only for those that ran.
        wait([f for f in futures if not f.cancelled()], timeout=RECORD_GRACE_SECONDS)
        raise
    pool.shutdown()
    return outcomes


def _results(futures: list[Future]) -> list[Outcome]:
    """Each child's outcome, in grid order (the first error raised as is)."""
    return [future.result() for future in futures]


def _with_best(
    client: TrackingClient, result: SweepResult, metric: str | None, maximize: bool | None
) -> SweepResult:
    """The finished child with the best latest value of ``metric`` (first in grid order on a tie)."""
    if not metric:
        return result
    maximize = not minimizes(metric) if maximize is None else maximize
    scored = []
    for outcome in result.outcomes:
        if outcome.status == RunStatus.FINISHED:
            value = client.get_run(outcome.run_id).data.metrics.get(metric)
            if value is not None and not math.isnan(value):
                scored.append((value, outcome))
    if not scored:
        return replace(result, maximize=maximize)
    pick = max if maximize else min
    value, best = pick(scored, key=lambda pair: pair[0])
    return replace(result, maximize=maximize, best=best, best_value=value)


def _record_result(client: TrackingClient, result: SweepResult) -> None:
    if result.best is not None:
        client.set_tag(result.parent_run_id, BEST_RUN_TAG, result.best.run_id)
        client.log_metric(result.parent_run_id, f"best_{result.metric}", result.best_value)
    if result.failed:
        names = ", ".join(f"{o.run_name!r} ({o.error})" for o in result.failed)
        summary = f"{len(result.failed)} of {len(result.outcomes)} runs failed: {names}"
        client.set_tag(
            result.parent_run_id, ERROR_TAG, summary[:MAX_TAG_VALUE_LENGTH]
        )  # count first
