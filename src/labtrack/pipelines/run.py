"""Running a checked pipeline: a parent run, and a child run per step.

Steps start as soon as the steps they need have finished, so independent steps run at once:
in threads of this process, each waiting on its own child process (as a sweep's children
do), or as tasks on a Dask cluster (``executor="dask"`` or a ``distributed.Client``). Before
a step runs, its references are filled in from the runs of earlier steps and its condition
is read; a false condition records the step as skipped (and the steps after it too).

Caching: a step's key is a hash of its code (its files), its parameter values and the runs
of the steps it needs. When a finished run of the experiment carries the same key, the step
is not executed: its child run is recorded as reused (``labtrack.pipeline.reused_from``),
with the earlier run's params and metrics, and later steps read that earlier run.

A failed step fails the pipeline; the steps after it do not run, independent ones go on.
``resume_pipeline`` runs a pipeline again, reusing every step that had succeeded.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labtrack.entities import Metric, Param, RunStatus
from labtrack.errors import InvalidParameter, InvalidState, NotFound
from labtrack.pipelines.expressions import Reference, substitute
from labtrack.pipelines.spec import Pipeline, Step, load_pipeline
from labtrack.projects.runner import KIND_TAG, Outcome
from labtrack.tracking.validation import ERROR_TAG, MAX_TAG_VALUE_LENGTH, error_tag_value

if TYPE_CHECKING:
    from labtrack.tracking.client import TrackingClient

PARENT_TAG = "mlflow.parentRunId"
PIPELINE_TAG = "labtrack.pipeline"  # on the parent: the pipeline's name
FILE_TAG = "labtrack.pipeline.file"
STEPS_TAG = "labtrack.pipeline.steps"  # on the parent: how many steps
STEP_TAG = "labtrack.pipeline.step"  # on each child: its step's name
STATUS_TAG = "labtrack.pipeline.status"  # on each child: executed, reused or skipped
REUSED_TAG = "labtrack.pipeline.reused_from"
CACHE_KEY_TAG = "labtrack.pipeline.cache_key"
SKIPPED_TAG = "labtrack.pipeline.skipped"
RESUMED_TAG = "labtrack.pipeline.resumed_from"
PARAMETERS_TAG = "labtrack.pipeline.parameters"
GRAPH_ARTIFACT = "pipeline.json"

# Step states besides the run statuses (FINISHED, FAILED, KILLED).
SKIPPED = "SKIPPED"
NOT_RUN = "NOT_RUN"  # a step it needs failed


@dataclass(frozen=True)
class StepResult:
    """How one step ended. ``source_run_id`` is the run that holds its outputs: its own, or
    the earlier run it reused."""

    step: str
    status: str
    run_id: str | None = None
    source_run_id: str | None = None
    reused: bool = False
    error: str | None = None


@dataclass(frozen=True)
class PipelineResult:
    """The parent run and every step's result, in the pipeline's order."""

    parent_run_id: str
    steps: dict[str, StepResult] = field(default_factory=dict)

    @property
    def failed(self) -> list[StepResult]:
        """The steps that failed, were killed, or did not run because one they need failed."""
        return [r for r in self.steps.values() if r.status not in (RunStatus.FINISHED, SKIPPED)]

    @property
    def status(self) -> str:
        """The parent run's status."""
        if any(r.status == RunStatus.KILLED for r in self.steps.values()):
            return RunStatus.KILLED
        return RunStatus.FAILED if self.failed else RunStatus.FINISHED


def run_pipeline(
    pipeline: Pipeline | str | Path,
    parameters: dict[str, Any] | None = None,
    *,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    executor: Any = None,
    scheduler: str | None = None,
    jobs: int | None = None,
    cache: bool = True,
    _resume: tuple[str, dict[str, str]] | None = None,
) -> PipelineResult:
    """Run ``pipeline`` (a :class:`Pipeline` or its file) as a parent run with a child run
    per step, and return how every step went (failed steps are in the result, not raised).

    ``parameters`` set the pipeline's declared parameters. ``executor``: None or ``"local"``
    (threads and child processes here, ``jobs`` steps at once, all ready ones by default),
    ``"dask"`` (a ``distributed.Client`` on ``scheduler``, or a new ``LocalCluster``), or a
    ``distributed.Client``. ``cache=False`` executes every step even when an earlier run of it
    could be reused.

    >>> result = run_pipeline("pipeline.yaml", {"rows": 500})  # doctest: +SKIP
    >>> result.steps["train"].status
    'FINISHED'
    """
    from labtrack.projects.launch import experiment_for
    from labtrack.projects.parameters import resolve
    from labtrack.tracking import state

    if not isinstance(pipeline, Pipeline):
        pipeline = load_pipeline(pipeline)
    values = resolve(pipeline.parameters, parameters or {}, f"pipeline {pipeline.name!r}")
    if jobs is not None and jobs < 1:
        raise InvalidParameter(f"jobs must be at least 1, got {jobs}")
    client = state.client()
    experiment = experiment_for(experiment_name, experiment_id)
    with _steps_executor(executor, scheduler, jobs or len(pipeline.steps)) as submit:
        driver = _Driver(pipeline, values, client, experiment, submit, cache)
        if _resume is not None:
            driver.resumed_from, driver.reuse = _resume
        return driver.run(run_name)


def resume_pipeline(
    run_id: str, *, executor: Any = None, scheduler: str | None = None, jobs: int | None = None
) -> PipelineResult:
    """Run the pipeline of parent run ``run_id`` again, with the same parameters, in the same
    experiment: the steps that succeeded are reused (even if their code changed since), the
    failed step and those after it run. The new parent run is tagged
    ``labtrack.pipeline.resumed_from``."""
    from labtrack.tracking import state

    client = state.client()
    parent = client.get_run(run_id)
    path = parent.data.tags.get(FILE_TAG)
    if path is None or PIPELINE_TAG not in parent.data.tags:
        raise InvalidParameter(f"run {run_id} is not a pipeline run")
    if not Path(path).is_file():
        raise NotFound(f"the pipeline file of run {run_id}, {path!r}, is gone")
    recorded = json.loads(parent.data.tags.get(PARAMETERS_TAG, "{}"))
    children = client.search_runs(
        [parent.info.experiment_id],
        f"tags.`{PARENT_TAG}` = '{run_id}' and attributes.status = 'FINISHED'",
        max_results=1000,
    )
    succeeded = {
        run.data.tags[STEP_TAG]: run.data.tags.get(REUSED_TAG) or run.info.run_id
        for run in children
        if STEP_TAG in run.data.tags and run.data.tags.get(STATUS_TAG) != "skipped"
    }
    return run_pipeline(
        path,
        recorded,
        experiment_id=parent.info.experiment_id,
        run_name=parent.info.run_name,
        executor=executor,
        scheduler=scheduler,
        jobs=jobs,
        _resume=(run_id, succeeded),
    )


class _Driver:
    """Walks the graph: starts each step when what it needs is done, records the outcome."""

    def __init__(self, pipeline, values, client, experiment_id, submit, cache):
        self.pipeline: Pipeline = pipeline
        self.values: dict[str, Any] = values
        self.client: TrackingClient = client
        self.experiment_id: str = experiment_id
        self.submit = submit
        self.cache: bool = cache
        self.results: dict[str, StepResult] = {}
        self.parent_id = ""
        self.resumed_from: str | None = None
        self.reuse: dict[str, str] = {}  # step -> the earlier run that resume reuses

    def run(self, run_name: str | None) -> PipelineResult:
        from labtrack.tracking.context import source_tags

        pipeline = self.pipeline
        tags = {
            **source_tags(),
            KIND_TAG: "pipeline",
            PIPELINE_TAG: pipeline.name,
            FILE_TAG: str(pipeline.path),
            STEPS_TAG: str(len(pipeline.steps)),  # the sidebar shows progress out of it
            PARAMETERS_TAG: json.dumps(self.values, sort_keys=True),
        }
        if self.resumed_from:
            tags[RESUMED_TAG] = self.resumed_from
        parent = self.client.create_run(
            self.experiment_id, run_name=run_name or f"{pipeline.name} pipeline", tags=tags
        )
        self.parent_id = parent.info.run_id
        status = RunStatus.KILLED
        try:
            self.client.log_batch(
                self.parent_id, params=[Param(k, v) for k, v in self.values.items()]
            )
            self.client.log_dict(
                self.parent_id, {**pipeline.graph(), "parameters": self.values}, GRAPH_ARTIFACT
            )
            self._walk()
            result = PipelineResult(
                self.parent_id, {name: self.results[name] for name in pipeline.steps}
            )
            status = result.status
            if result.failed:
                summary = "; ".join(f"{r.step}: {r.error or r.status}" for r in result.failed)
                self.client.set_tag(
                    self.parent_id, ERROR_TAG, error_tag_value(summary)[:MAX_TAG_VALUE_LENGTH]
                )
            return result
        finally:
            self.client.set_terminated(self.parent_id, status)

    def _walk(self) -> None:
        pending = list(self.pipeline.steps)
        running: dict[Future, str] = {}
        try:
            while pending or running:
                for name in [n for n in pending if self._ready(n)]:
                    pending.remove(name)
                    future = self._start(self.pipeline.steps[name])
                    if future is not None:
                        running[future] = name
                if not running:
                    continue
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    name = running.pop(future)
                    self.results[name] = self._finished(name, future)
        except BaseException:
            for future in running:
                future.cancel()
            self.submit.stop()
            wait(list(running), timeout=30)
            raise

    def _ready(self, name: str) -> bool:
        return all(need in self.results for need in self.pipeline.steps[name].needs)

    def _start(self, step: Step) -> Future | None:
        """Record the step at once (not run, skipped, reused, failed to prepare) or submit it."""
        blocked = [n for n in step.needs if self.results[n].status != RunStatus.FINISHED]
        if blocked:
            skipped = all(self.results[n].status == SKIPPED for n in blocked)
            reason = f"needs {', '.join(blocked)}, which " + (
                "was skipped" if skipped else "did not finish"
            )
            if skipped:
                self.results[step.name] = self._record_skipped(step, reason)
            else:
                self.results[step.name] = StepResult(step.name, NOT_RUN, error=reason)
            return None
        try:
            if step.when is not None and not step.when.evaluate(self._lookup):
                self.results[step.name] = self._record_skipped(
                    step, f"condition is false: {step.when.text}"
                )
                return None
            target = step.target()
            given = {k: substitute(v, self._lookup) for k, v in step.parameters.items()}
            from labtrack.projects.parameters import resolve

            values = resolve(target.parameters, given, f"step {step.name!r}")
            key = self._cache_key(step, values)
        except Exception as error:  # a reference to a metric never logged, a bad value
            self.results[step.name] = self._record_failed(step, f"{type(error).__name__}: {error}")
            return None
        if step.name in self.reuse:
            self.results[step.name] = self._record_reused(step, self.reuse[step.name], key)
            return None
        if self.cache:
            earlier = self._cached(key)
            if earlier is not None:
                self.results[step.name] = self._record_reused(step, earlier, key)
                return None
        tags = {
            PARENT_TAG: self.parent_id,
            STEP_TAG: step.name,
            STATUS_TAG: "executed",
            CACHE_KEY_TAG: key,
        }
        return self.submit(target, values, self.experiment_id, self._run_name(step), tags)

    def _finished(self, name: str, future: Future) -> StepResult:
        try:
            outcome: Outcome = future.result()
        except Exception as error:  # the worker or the store broke, not the step's code
            return self._record_failed(
                self.pipeline.steps[name], f"{type(error).__name__}: {error}"
            )
        if outcome is None:  # the parent ended (Ctrl+C) before the step's run existed
            return StepResult(name, RunStatus.KILLED, error="the pipeline was stopped")
        return StepResult(name, outcome.status, outcome.run_id, outcome.run_id, error=outcome.error)

    # -- references --------------------------------------------------------------------------

    def _lookup(self, ref: Reference) -> Any:
        if ref.step is None:
            return self.values[ref.key]
        result = self.results[ref.step]
        if ref.kind == "status":
            return result.status
        source = result.source_run_id
        if source is None:
            raise InvalidState(f"{ref}: step {ref.step!r} has no run")
        if ref.kind == "run_id":
            return source
        if ref.kind == "model_uri":
            return f"runs:/{source}/{self.pipeline.steps[ref.step].model}"
        run = self.client.get_run(source)
        if ref.kind == "artifact_uri":
            return run.info.artifact_uri
        if ref.kind == "artifacts":
            return f"{run.info.artifact_uri.rstrip('/')}/{ref.key}"
        if ref.kind == "metrics":
            if ref.key not in run.data.metrics:
                raise InvalidState(f"{ref}: step {ref.step!r} logged no metric {ref.key!r}")
            return run.data.metrics[ref.key]
        if ref.key not in run.data.params:
            raise InvalidState(f"{ref}: step {ref.step!r} has no param {ref.key!r}")
        return _number_or_text(run.data.params[ref.key])

    # -- caching -----------------------------------------------------------------------------

    def _cache_key(self, step: Step, values: dict[str, Any]) -> str:
        """Code, parameter values and the runs of the steps it needs."""
        identity = {
            "target": str(step.notebook) if step.notebook else f"{step.project}:{step.entry_point}",
            "code": step.code_hash(),
            "values": values,
            "inputs": {need: self.results[need].source_run_id for need in step.needs},
        }
        text = json.dumps(identity, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def _cached(self, key: str) -> str | None:
        """The latest finished run of this experiment with ``key``: the one that executed."""
        runs = self.client.search_runs(
            [self.experiment_id],
            f"tags.`{CACHE_KEY_TAG}` = '{key}' and attributes.status = 'FINISHED'",
            max_results=1,
            order_by=["attributes.start_time DESC"],
        )
        if not runs:
            return None
        return runs[0].data.tags.get(REUSED_TAG) or runs[0].info.run_id

    # -- recording ---------------------------------------------------------------------------

    def _run_name(self, step: Step) -> str:
        return f"{self.pipeline.name}:{step.name}"

    def _child(self, step: Step, status_tag: str, **tags: str) -> str:
        run = self.client.create_run(
            self.experiment_id,
            run_name=self._run_name(step),
            tags={PARENT_TAG: self.parent_id, STEP_TAG: step.name, STATUS_TAG: status_tag, **tags},
        )
        return run.info.run_id

    def _record_skipped(self, step: Step, reason: str) -> StepResult:
        run_id = self._child(step, "skipped", **{SKIPPED_TAG: reason[:MAX_TAG_VALUE_LENGTH]})
        self.client.set_terminated(run_id, RunStatus.FINISHED)
        return StepResult(step.name, SKIPPED, run_id, None, error=reason)

    def _record_failed(self, step: Step, error: str) -> StepResult:
        run_id = self._child(step, "executed")
        self.client.set_tag(run_id, ERROR_TAG, error_tag_value(error))
        self.client.set_terminated(run_id, RunStatus.FAILED)
        return StepResult(step.name, RunStatus.FAILED, run_id, run_id, error=error)

    def _record_reused(self, step: Step, earlier_id: str, key: str) -> StepResult:
        """A finished child run standing for ``earlier_id``: its params and latest metrics."""
        earlier = self.client.get_run(earlier_id)
        now = int(time.time() * 1000)
        run_id = self._child(step, "reused", **{REUSED_TAG: earlier_id, CACHE_KEY_TAG: key})
        self.client.log_batch(
            run_id,
            metrics=[
                Metric(k, v, now, 0) for k, v in earlier.data.metrics.items() if not math.isnan(v)
            ],
            params=[Param(k, v) for k, v in earlier.data.params.items()],
        )
        self.client.set_terminated(run_id, RunStatus.FINISHED)
        return StepResult(step.name, RunStatus.FINISHED, run_id, earlier_id, reused=True)


def _number_or_text(text: str) -> Any:
    """A param read back from the store: a number again where it looks like one."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


# -- executors -----------------------------------------------------------------------------


def execute_step(
    client_or_uri: TrackingClient | str,
    target: Any,
    values: dict[str, Any],
    experiment_id: str,
    run_name: str,
    tags: dict[str, str],
    processes: Any = None,
) -> Outcome:
    """One step as a run (on this machine or a Dask worker, given the store's URI)."""
    from labtrack.projects.runner import run_target
    from labtrack.tracking.client import TrackingClient

    client = TrackingClient(client_or_uri) if isinstance(client_or_uri, str) else client_or_uri
    try:
        return run_target(
            target,
            values,
            client,
            experiment_id,
            run_name=run_name,
            tags=tags,
            processes=processes,
        )
    finally:
        client.flush()


class _LocalSubmit:
    """Steps in threads here, each waiting on its own child process."""

    def __init__(self, client_factory, jobs: int):
        from labtrack.projects.processes import ChildProcesses

        self.pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="labtrack-pipeline")
        self.processes = ChildProcesses()
        self.client_factory = client_factory

    def __call__(self, target, values, experiment_id, run_name, tags) -> Future:
        return self.pool.submit(
            execute_step,
            self.client_factory(),
            target,
            values,
            experiment_id,
            run_name,
            tags,
            self.processes,
        )

    def stop(self) -> None:
        self.processes.stop()

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


class _DaskSubmit:
    """Steps as tasks of a Dask cluster (``labtrack.projects.executors``, as sweeps use it);
    each worker opens the store by its URI. The parent run's status is the tasks' go signal."""

    def __init__(self, executor: Any, scheduler: str | None, store: TrackingClient):
        from labtrack.projects import executors

        self.executors = executors
        self.dask, self.owned = executors.dask_client(executor, scheduler)
        self.store = store
        self.futures: list = []
        self.checked: set[Path] = set()
        self.parent: tuple[str, str] | None = None  # (experiment id, parent run id)

    def __call__(self, target, values, experiment_id, run_name, tags) -> Future:
        if target.source_folder not in self.checked:  # workers must see the store and code
            self.executors.check_cluster(self.dask, self.store, target)
            self.checked.add(target.source_folder)
        self.parent = (experiment_id, tags[PARENT_TAG])
        task = self.executors.submit_execution(
            self.dask,
            target,
            values,
            tracking_uri=self.store.tracking_uri,
            experiment_id=experiment_id,
            parent_run_id=tags[PARENT_TAG],
            run_name=run_name,
            tags=tags,
        )
        self.futures.append(task)
        return _concurrent(task)

    def stop(self) -> None:
        self.dask.cancel([f for f in self.futures if not f.done()])
        if self.parent is not None:  # ends the parent KILLED: the workers stop their steps
            self.executors.stop_children(self.store, *self.parent)

    def close(self) -> None:
        if self.owned:
            self.executors.close_client(self.dask)


def _concurrent(task) -> Future:
    """A Dask future as a ``concurrent.futures.Future``: one way to wait for either kind."""
    future: Future = Future()
    future.set_running_or_notify_cancel()

    def settle(done) -> None:  # Dask calls it once, in a thread of its own
        if done.status == "finished":
            future.set_result(done.result())
        else:
            future.set_exception(done.exception() or RuntimeError(f"Dask task {done.status}"))

    task.add_done_callback(settle)
    return future


class _steps_executor:
    """The submit function for ``executor``, closed (a cluster it made shut down) at exit."""

    def __init__(self, executor: Any, scheduler: str | None, jobs: int):
        from labtrack.tracking import state

        if executor in (None, "local"):
            if scheduler:
                raise InvalidParameter("scheduler is for executor='dask'")
            self.submit = _LocalSubmit(state.client, jobs)
        elif executor == "dask" or _is_dask_client(executor):
            self.submit = _DaskSubmit(executor, scheduler, state.client())
        else:
            raise InvalidParameter(
                f"executor must be 'local', 'dask' or a distributed.Client, got {executor!r}"
            )

    def __enter__(self):
        return self.submit

    def __exit__(self, *exc) -> None:
        self.submit.close()


def _is_dask_client(value: Any) -> bool:
    return type(value).__module__.startswith("distributed") and hasattr(value, "submit")
