"""The module-level API (``lt.start_run``, ``lt.log_metric``, ...) and the active-run stack.

It calls ``TrackingClient`` only, never the store. Importing it is cheap: the client (and with it
SQLAlchemy) loads on first use.

Notebooks re-run cells out of order and cells raise: a run started by a ``with`` block is
always ended by it (FAILED on an exception, KILLED on an interrupt), and a run left active
by an earlier cell (``start_run()`` without ``end_run()``) is ended, with a warning, when
the next top-level run starts, instead of MLflow's "Run ... is already active" error.

What it remembers between calls (the active-run stack, the active experiment, ...) lives in
``labtrack.tracking.state``, per process and shared by all threads: see that module for why.
"""

from __future__ import annotations

import atexit
import dataclasses
import os
import sys
import threading
import traceback
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from labtrack import env
from labtrack.entities import (
    Experiment,
    LoggedModel,
    LoggedModelStatus,
    Run,
    RunStatus,
    ViewType,
)
from labtrack.errors import AlreadyExists, InvalidParameter, InvalidState, NotFound
from labtrack.tracking import state, system_metrics
from labtrack.tracking.operations import (
    RunOperations,
    check_synchronous,
    finished,
    settle_metrics,
)
from labtrack.tracking.validation import GROUP_TAG, validate_group

if TYPE_CHECKING:
    import pandas as pd

    from labtrack.tracking.client import TrackingClient


class ActiveRun:
    """The run a ``start_run`` opened; a context manager that ends it.

    ``info`` is the run's identity; ``data`` is read fresh from the store on each access.
    """

    def __init__(self, run: Run, client: TrackingClient, resumed: bool = False):
        self._run = run
        self.client = client  # the store the run lives in, even if the tracking URI moves later
        self.resumed = resumed  # an existing run, continued: it may already have history
        self.run_id = run.info.run_id  # a plain attribute: read on every logging call
        # Validates a metric point of this run and buffers it: lt.log_metric's hot path.
        self.buffer_point: Callable[..., None] = client.point_buffer(self.run_id)
        self._in_with_block = False
        self.pid = os.getpid()

    @property
    def info(self):
        """The run's ``RunInfo`` (id, name, experiment, status as of the start, artifact URI)."""
        return self._run.info

    @property
    def data(self):
        """The run's ``RunData`` (metrics, params, tags), read from the store now."""
        return self.client.get_run(self.info.run_id).data

    def __enter__(self) -> ActiveRun:
        self._in_with_block = True
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._in_with_block = False
        if exc_type is None:
            status = RunStatus.FINISHED
        else:
            status = (
                RunStatus.KILLED if issubclass(exc_type, KeyboardInterrupt) else RunStatus.FAILED
            )
            _record_error(self.info.run_id, exc_type, exc, tb)
        self.end(status)  # a no-op if the run already ended (with its parent, say)
        return False  # never swallow the exception

    def end(self, status: str = RunStatus.FINISHED) -> None:
        """End this run, and the runs started inside it that are still active, with
        ``status``; their metrics are persisted first. Unlike ``end_run``, which ends the
        innermost active run, this ends the run it is called on, whichever is innermost.

        Does nothing if the run has ended already (with the run it was started in, say).
        Raises ``InvalidParameter`` if ``status`` is not a run status.

        >>> run = lt.start_run()  # doctest: +SKIP
        >>> run.end("KILLED")  # doctest: +SKIP
        """
        _end(status, self)

    def __repr__(self) -> str:
        return f"<ActiveRun: run_id={self.info.run_id!r} name={self.info.run_name!r}>"


_process = state.process()  # the same object for the life of the process
_stack = _process.runs  # the active-run stack; changed only under _lock
_lock = state.run_lock()
_client = state.client


# -- experiments --------------------------------------------------------------------------


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment active for the runs that follow, creating it by name if needed."""
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidParameter(
            "set_experiment takes exactly one of experiment_name or experiment_id"
        )
    if experiment_id is not None:
        experiment = _client().get_experiment(str(experiment_id))
    else:
        experiment = get_or_create_experiment(experiment_name)
    if experiment.lifecycle_stage != "active":
        raise InvalidState(f"experiment {experiment.name!r} is deleted; restore it first")
    state.set_experiment_id(experiment.experiment_id)
    return experiment


def get_or_create_experiment(name: str) -> Experiment:
    """The experiment called ``name``, created if it does not exist yet (safe across processes)."""
    client = _client()
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        try:
            client.create_experiment(name)
        except AlreadyExists:  # another process created it a moment ago
            pass
        experiment = client.get_experiment_by_name(name)
    return experiment


def active_experiment_id() -> str:
    """The experiment new runs go to: ``set_experiment``'s, else the one named by
    ``LABTRACK_EXPERIMENT_NAME`` or ``MLFLOW_EXPERIMENT_NAME`` (created if needed), else
    ``MLFLOW_EXPERIMENT_ID``'s, else the Default experiment ("0")."""
    experiment_id = state.experiment_id()
    if experiment_id is None:
        experiment_id = _experiment_id_from_env()
        state.set_experiment_id(experiment_id)
    return experiment_id


def _experiment_id_from_env() -> str:
    name, wanted_id = env.EXPERIMENT_NAME.get(), env.MLFLOW_EXPERIMENT_ID.get()
    if name:
        experiment_id = set_experiment(name).experiment_id
        if wanted_id and wanted_id != experiment_id:  # MLflow refuses the contradiction too
            raise InvalidParameter(
                f"{env.MLFLOW_EXPERIMENT_ID.name}={wanted_id} does not match experiment "
                f"{name!r} (id {experiment_id}) named by the environment"
            )
        return experiment_id
    if wanted_id:
        try:
            return set_experiment(experiment_id=wanted_id).experiment_id
        except NotFound:
            raise NotFound(
                f"{env.MLFLOW_EXPERIMENT_ID.name}={wanted_id}: no such experiment in "
                f"{_client().tracking_uri}"
            ) from None
    return "0"


def create_experiment(
    name: str, artifact_location: str | None = None, tags: dict | None = None
) -> str:
    """Create an experiment and return its id (as a string); it does not become active.

    ``artifact_location`` is where its runs' artifacts go: a folder, or a URI such as
    ``s3://bucket/prefix`` (by default ``LABTRACK_ARTIFACTS_URI``, else a folder beside the
    store); ``tags`` are experiment tags. Raises ``AlreadyExists`` if an experiment (even a
    deleted one) has the name, ``InvalidParameter`` for an empty name or bad tags.
    """
    return _client().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    """The ``Experiment`` with this id (active or deleted). Raises ``NotFound`` if there is no such
    experiment.
    """
    return _client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    """The ``Experiment`` with this name (active or deleted), or None if there is none."""
    return _client().get_experiment_by_name(name)


def search_experiments(
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Experiment]:
    """Experiments as a list of ``Experiment``, by lifecycle (``view_type``, a ``ViewType``).

    ``filter_string`` uses MLflow's filter language on ``name``, ``creation_time``,
    ``last_update_time`` and ``tags.<key>`` (AND only). Raises ``InvalidFilter`` for a
    filter that does not parse.

    >>> lt.search_experiments(filter_string="name LIKE 'svm%'")  # doctest: +SKIP
    """
    return _client().search_experiments(view_type, max_results, filter_string, order_by)


def set_experiment_tag(key: str, value: Any) -> None:
    """Set a tag on the active experiment (``set_experiment``'s, else the Default one).

    >>> lt.set_experiment_tag("team", "vision")  # doctest: +SKIP
    """
    _client().set_experiment_tag(active_experiment_id(), key, value)


def set_experiment_tags(tags: dict[str, Any]) -> None:
    """Set several tags on the active experiment."""
    if not isinstance(tags, dict):
        raise InvalidParameter(f"set_experiment_tags takes a dict, got {type(tags).__name__}")
    for key, value in tags.items():
        set_experiment_tag(key, value)


def delete_experiment_tag(key: str) -> None:
    """Remove a tag from the active experiment; ``NotFound`` if it has no such tag."""
    _client().delete_experiment_tag(active_experiment_id(), key)


def delete_experiment(experiment_id: str) -> None:
    """Mark an experiment deleted (its runs are kept); ``restore_experiment`` brings it back.

    Raises ``NotFound`` for an unknown id and ``InvalidParameter`` for the Default
    experiment ("0"), which cannot be deleted.
    """
    _client().delete_experiment(experiment_id)


def restore_experiment(experiment_id: str) -> None:
    """Bring a deleted experiment back. Raises ``NotFound`` if there is no such experiment."""
    _client().restore_experiment(experiment_id)


# -- runs -----------------------------------------------------------------------------------


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: dict | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
    group: str | None = None,
) -> ActiveRun:
    """Start a run (or resume one by ``run_id``) and make it active.

    Where ``LABTRACK_RUN_ID`` is set (by ``labtrack run``), a top-level run resumes that run.
    Else, as in MLflow, a start_run without ``run_id`` resumes the run ``MLFLOW_RUN_ID`` names,
    and removes the variable.

    ``log_system_metrics=True`` samples CPU, memory, disk, network and GPU metrics
    (``system/...``) every ``LABTRACK_SYSTEM_METRICS_INTERVAL`` seconds until the run ends;
    None (the default) leaves it to ``LABTRACK_LOG_SYSTEM_METRICS``. A bad value there raises
    ``InvalidParameter`` before any run starts (see ``labtrack.tracking.system_metrics``).

    ``group`` puts the run in a group (the tag ``labtrack.group``): ``lt.chart(...,
    group_by="tags.labtrack.group")`` draws a group's mean and range, ``lt.runs(group_by=...)``
    groups its rows.

    >>> with lt.start_run(run_name="baseline") as run:  # doctest: +SKIP
    ...     lt.log_param("lr", 0.01)
    """
    client = _client()
    sampling = system_metrics.settings_for_run(log_system_metrics)  # refused before a run exists
    if group is not None:
        tags = {**(tags or {}), GROUP_TAG: validate_group(group)}
    with _lock:
        _end_dangling_run(nested)
        if parent_run_id is None and nested and _stack:
            parent_run_id = _stack[-1].info.run_id
        launched_run = None if run_id or parent_run_id or _stack else env.RUN_ID.get()
        if run_id is None and not launched_run:
            run_id = env.MLFLOW_RUN_ID.pop()  # as MLflow: resumed once, then forgotten
        if launched_run:
            # Code that `labtrack run` executes logs into the run the runner made for it, whose
            # name and final status the runner decides: one execution, one run (as MLflow
            # does with MLFLOW_RUN_ID). Separate runs inside it are nested=True children.
            run_id, run_name = launched_run, None
        if run_id is not None:
            run = client.get_run(run_id)
            if run.info.lifecycle_stage != "active":
                raise InvalidState(f"run {run_id} is deleted; restore it before resuming")
            client.update_run(run_id, RunStatus.RUNNING)
            client.writer.keep_alive(run_id)
            if run_name:
                client.update_run(run_id, name=run_name)
            resumed_tags = {**(tags or {})}
            if description is not None:
                resumed_tags["mlflow.note.content"] = description
            if resumed_tags:  # as MLflow does: tags given on resume are set on the run
                from labtrack.entities import RunTag

                client.log_batch(run_id, tags=[RunTag(k, v) for k, v in resumed_tags.items()])
            run = client.get_run(run_id)
        else:
            from labtrack.tracking.context import source_folder, source_tags

            all_tags = {**source_tags(), **(tags or {})}
            if parent_run_id:
                all_tags["mlflow.parentRunId"] = parent_run_id
            if description is not None:
                all_tags["mlflow.note.content"] = description
            experiment = experiment_id if experiment_id is not None else active_experiment_id()
            run = client.create_run(str(experiment), tags=all_tags, run_name=run_name)
            # This process's own run: its params and tags go into the store with its points.
            client.writer.adopt_run(run.info.run_id)
        active = ActiveRun(run, client, resumed=run_id is not None)
        if run_id is None:
            _capture_git_state(client, run.info.run_id, source_folder())
        _stack.append(active)
        _watch_for_uncaught_exceptions()
        if sampling is not None:
            system_metrics.start(client, run.info.run_id, sampling, resumed=run_id is not None)
        return active


def _capture_git_state(client: TrackingClient, run_id: str, folder) -> None:
    """Record the git state in the background: running git takes longer than starting a run.

    The tags land a few milliseconds after the run starts, from one git call per folder
    at a time, calls at least 0.1 s apart (``labtrack.tracking.git_capture``): in a loop of
    short runs, up to a few tenths of a second after. At interpreter exit labtrack waits for
    captures still under way (``wait_for_source_capture``).
    """
    from labtrack.tracking.git_capture import captures

    captures.capture(client, run_id, folder)


def wait_for_source_capture(timeout: float = 10.0) -> None:
    """Wait until the git state of every run started so far is recorded."""
    if "labtrack.tracking.git_capture" not in sys.modules:
        return  # no run was started: nothing to wait for, and nothing to import
    from labtrack.tracking.git_capture import captures

    captures.wait(timeout)


def _end_dangling_run(nested: bool) -> None:
    if not _stack or nested:
        return
    top = _stack[-1]
    if top._in_with_block:
        raise InvalidState(
            f"run {top.info.run_name!r} ({top.info.run_id}) is open in an enclosing `with start_run()` "
            "block; pass nested=True to start a child run inside it"
        )
    warnings.warn(
        f"labtrack: ended run {top.info.run_name!r} ({top.info.run_id}), which an earlier cell "
        "left active, before starting a new one",
        stacklevel=3,
    )
    while _stack:  # the dangling run and any children it left open
        end_run()


def end_run(status: str = RunStatus.FINISHED) -> None:
    """End the active run (or do nothing if none is active); its metrics are persisted first.
    Raises ``InvalidParameter`` if ``status`` is not a run status."""
    _end(status, None)


def _end(status: str, run: ActiveRun | None) -> None:
    """End ``run`` (the innermost active run if None) and the runs opened inside it."""
    with _lock:
        if not _stack:
            return
        RunStatus.from_string(status)
        target = run or _stack[-1]
        if not any(active is target for active in _stack):
            return  # ended already, with the run it was started in (maybe by another thread)
        while _stack:  # children left open inside the run end with it
            innermost = _stack[-1]
            # Popped only once ended: if the store refuses, the run stays active (and alive)
            # and end_run() can be called again. Its sampler's last point ends with it.
            system_metrics.stop(innermost.info.run_id)
            innermost.client.set_terminated(innermost.info.run_id, status)
            _stack.pop()
            _process.last_run_id = innermost.info.run_id
            if innermost is target:
                break


def active_run() -> ActiveRun | None:
    """The innermost active run of the process (whichever thread started it), or None."""
    return state.top_run()


def last_active_run() -> Run | None:
    """The active run, else the run ended last, read from the store; None if neither."""
    active = state.top_run()
    run_id = active.info.run_id if active is not None else state.last_run_id()
    return _client().get_run(run_id) if run_id else None


def get_run(run_id: str) -> Run:
    """The ``Run`` with this id, with its latest metrics, params and tags (pending metric points
    of this process are persisted first). Raises ``NotFound`` if there is no such run.
    """
    return _client().get_run(run_id)


def get_parent_run(run_id: str) -> Run | None:
    """The ``Run`` that a nested run was started in (its ``mlflow.parentRunId`` tag), or None
    for a top-level run. Raises ``NotFound`` if there is no such run.
    """
    parent = _client().get_run(run_id).data.tags.get("mlflow.parentRunId")
    return _client().get_run(parent) if parent else None


def delete_run(run_id: str) -> None:
    """Mark a run deleted: searches no longer return it unless asked for deleted runs.
    ``Client().restore_run`` brings it back. Raises ``NotFound`` if there is no such run.
    """
    _client().delete_run(run_id)


def restore_run(run_id: str) -> None:
    """Bring a deleted run back. Raises ``NotFound`` if there is no such run."""
    _client().restore_run(run_id)


def _logging_target(run_id: str | None = None) -> tuple[TrackingClient, str]:
    """The client and run to log to: the given run, the active one, or a new one (as MLflow
    does). Logging to the active run skips resolving the tracking URI, which reads the
    environment: a missing variable costs ~2 us, more than the rest of ``log_metric``."""
    if run_id is not None:
        return _client(), run_id
    active = state.top_run()
    if active is not None:
        return active.client, active.run_id
    # Under `labtrack run`, logging outside any run always goes to the runner's run.
    active = start_run(run_id=env.RUN_ID.get())
    return active.client, active.info.run_id


# -- logging ----------------------------------------------------------------------------------


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> RunOperations | None:
    """Log one metric point into the active run (one is started if none is), or into ``run_id``.

    As in MLflow 3, ``model_id`` also links the point to that logged model, and ``dataset``
    (from ``labtrack.data``, or anything with ``name`` and ``digest``) to the data it was
    computed on: ``lt.search_logged_models`` filters on it.

    ``step`` defaults to 0 and ``timestamp`` (ms since the epoch) to now. By default
    (``synchronous=None``) it costs microseconds: the point is validated, buffered, and
    persisted by a background thread within ~100 ms (``flush()``, ``end_run`` and reads
    persist it at once). As in MLflow, ``synchronous=True`` persists it before returning, and
    ``synchronous=False`` returns a ``RunOperations`` whose ``wait()`` persists it. Raises
    ``InvalidParameter`` if the key, value, step or timestamp is invalid or ``synchronous`` is
    not a bool or None.

    >>> lt.log_metric("loss", 0.31, step=epoch)  # doctest: +SKIP
    """
    if run_id is None and synchronous is None and model_id is None and dataset is None:
        # The hot path (a training loop's call per point): the active run, when no model
        # could claim the point, takes it in one call.
        try:
            active = _stack[-1]  # state.top_run(), inlined
        except IndexError:
            active = None
        if active is not None and _active_model.model_id is None and not _model_outputs:
            active.buffer_point(key, value, timestamp, step)
            return None
    if synchronous is not None:
        check_synchronous(synchronous)  # before _logging_target: a refused value starts no run
    client, target = _logging_target(run_id)
    if model_id is None and dataset is None:
        model_id = _implicit_model(target, step)
        if model_id is None:  # the common case, kept to one call
            return client.log_metric(target, key, value, timestamp, step, synchronous)
    return client.log_metric(
        target,
        key,
        value,
        timestamp,
        step,
        synchronous,
        **_model_link(client, target, model_id, dataset, step),
    )


def _implicit_model(run_id: str, step: int | None) -> str | None:
    """The model a metric logged without ``model_id`` is linked to, by MLflow 3's rule: the
    active model (``set_active_model``, ``MLFLOW_ACTIVE_MODEL_ID``), else the model the run
    logged at the metric's step (in this process)."""
    return _active_model.model_id or _model_outputs.get(run_id, {}).get(step or 0)


def _model_link(
    client, run_id: str, model_id: str | None, dataset: Any, step: int | None = None
) -> dict:
    """``model_id``, ``dataset_name`` and ``dataset_digest`` for a metric, as MLflow 3 links
    it (without ``model_id``, see ``_implicit_model``). A dataset becomes an input of the run,
    as in MLflow (once: logging it again adds nothing)."""
    model_id = model_id or _implicit_model(run_id, step)
    if dataset is None:
        return {"model_id": model_id}
    from labtrack.entities import DatasetInput

    entity = dataset.to_entity() if hasattr(dataset, "to_entity") else dataset
    client.log_inputs(run_id, [DatasetInput(entity)])
    if model_id is None:  # nothing to link to: the point is the run's alone
        return {}
    return {"model_id": model_id, "dataset_name": entity.name, "dataset_digest": entity.digest}


def log_metrics(
    metrics: dict[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> RunOperations | None:
    """Log several metrics at the same ``step`` and ``timestamp``, into the active run (one is
    started if none is), or into ``run_id``; ``model_id`` and ``dataset`` as for
    ``log_metric``.

    Buffered like ``log_metric``, with the same ``synchronous``: True persists them before
    returning, False returns a ``RunOperations`` whose ``wait()`` persists them. Raises
    ``InvalidParameter`` if ``metrics`` is not a dict, a key or value is invalid, or
    ``synchronous`` is not a bool or None.

    >>> lt.log_metrics({"loss": 0.31, "accuracy": 0.91}, step=epoch)  # doctest: +SKIP
    """
    if not isinstance(metrics, dict):
        raise InvalidParameter(f"log_metrics takes a dict, got {type(metrics).__name__}")
    check_synchronous(synchronous)
    client, target = _logging_target(run_id)
    link: dict = {}
    if model_id is not None or dataset is not None or _implicit_model(target, step):
        link = _model_link(client, target, model_id, dataset, step)
    for key, value in metrics.items():
        client.log_metric(target, key, value, timestamp, step, None, **link)
    return settle_metrics(synchronous, client.flush)


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    """Log one parameter of the active run (one is started if none is).

    Values are stored as strings. The param is checked at once and written with the run's
    metric points (``Client.log_batch`` says when; ``synchronous=True`` writes it before
    returning): as in MLflow the call returns ``value``, or with
    ``synchronous=False`` a ``RunOperations`` whose ``wait()`` returns at once. Logging a key
    again with the same value is fine; with a different value it raises ``InvalidState``
    (params describe the run's input and do not change). ``InvalidParameter`` if
    ``synchronous`` is not a bool or None.
    """
    check_synchronous(synchronous)
    client, target = _logging_target()
    return client.log_param(target, key, value, synchronous)


def log_params(
    params: dict[str, Any], synchronous: bool | None = None, run_id: str | None = None
) -> RunOperations | None:
    """Log several parameters at once, into the active run (one is started if none is) or into
    ``run_id``; all are validated before any is written, and all go in one transaction.

    They are checked at once and written with the run's metric points (``Client.log_batch``
    says when; ``synchronous=True`` writes them before returning): as in MLflow the call
    returns None, or with ``synchronous=False`` a ``RunOperations`` whose ``wait()``
    returns at once. Raises ``InvalidParameter`` if ``params`` is not a dict, a key is invalid
    or ``synchronous`` is not a bool or None, and ``InvalidState`` if a key was already logged
    with a different value.

    >>> lt.log_params({"C": 1.0, "kernel": "rbf"})  # doctest: +SKIP
    """
    from labtrack.entities import Param

    if not isinstance(params, dict):
        raise InvalidParameter(f"log_params takes a dict, got {type(params).__name__}")
    check_synchronous(synchronous)
    client, target = _logging_target(run_id)
    client.log_batch(
        target, params=[Param(k, v) for k, v in params.items()], synchronous=synchronous or None
    )
    return finished(synchronous)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> RunOperations | None:
    """Set a tag on the active run (one is started if none is), replacing any earlier value.

    Values are stored as strings. Keys under ``mlflow.`` are MLflow's system tags (for
    instance ``mlflow.note.content`` is the run's description). The tag is written with the
    run's metric points (``Client.log_batch`` says when; ``synchronous=True`` writes it
    before returning): as in MLflow the call returns None, or with
    ``synchronous=False`` a ``RunOperations`` whose ``wait()`` returns at once.
    ``InvalidParameter`` if ``synchronous`` is not a bool or None.
    """
    check_synchronous(synchronous)
    client, target = _logging_target()
    return client.set_tag(target, key, value, synchronous)


def set_tags(tags: dict[str, Any], synchronous: bool | None = None) -> RunOperations | None:
    """Set several tags on the active run (one is started if none is) in one transaction.

    They are written with the run's metric points (``Client.log_batch`` says when;
    ``synchronous=True`` writes them before returning): as in MLflow the call returns None,
    or with ``synchronous=False`` a ``RunOperations`` whose ``wait()`` returns at once.
    Raises ``InvalidParameter`` if ``tags`` is not a dict, a key is invalid or
    ``synchronous`` is not a bool or None.
    """
    from labtrack.entities import RunTag

    if not isinstance(tags, dict):
        raise InvalidParameter(f"set_tags takes a dict, got {type(tags).__name__}")
    check_synchronous(synchronous)
    client, target = _logging_target()
    client.log_batch(
        target, tags=[RunTag(k, v) for k, v in tags.items()], synchronous=synchronous or None
    )
    return finished(synchronous)


def delete_tag(key: str) -> None:
    """Remove a tag from the active run (one is started if none is). Raises ``NotFound`` if the
    run has no such tag.
    """
    client, target = _logging_target()
    client.delete_tag(target, key)


def flush() -> None:
    """Persist every metric point logged so far (end_run and reads do this too)."""
    _client().flush()


def flush_async_logging() -> None:
    """MLflow's name for waiting on asynchronous logging: ``flush`` here, which also
    finishes artifact writes still running in the background."""
    client = _client()
    client.flush()
    client.writer.run_deferred()


def flush_artifact_async_logging() -> None:
    """MLflow's wait for artifacts logged asynchronously: the same as ``flush_async_logging``
    here (metric points and background artifact writes are finished together)."""
    flush_async_logging()


# -- artifacts ------------------------------------------------------------------------------


def log_artifact(
    local_path: str, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Copy a local file into the run's artifacts, under the folder ``artifact_path`` if given.

    Logs to the active run (one is started if none is), or to ``run_id``. Raises
    ``InvalidParameter`` if the file does not exist.

    >>> lt.log_artifact("confusion.png", artifact_path="plots")  # doctest: +SKIP
    """
    client, target = _logging_target(run_id)
    client.log_artifact(target, local_path, artifact_path)


def log_artifacts(
    local_dir: str, artifact_path: str | None = None, run_id: str | None = None
) -> None:
    """Copy every file of a local folder (recursively) into the run's artifacts, under the
    folder ``artifact_path`` if given. Logs to the active run (one is started if none is), or
    to ``run_id``. Raises ``InvalidParameter`` if the folder does not exist.
    """
    client, target = _logging_target(run_id)
    client.log_artifacts(target, local_dir, artifact_path)


def log_text(
    text: str,
    artifact_file: str | None = None,
    run_id: str | None = None,
    *,
    key: str | None = None,
    step: int | None = None,
) -> None:
    """Save a string as the artifact file ``artifact_file`` (a path inside the run's artifacts,
    such as ``"notes/summary.md"``), in the active run or ``run_id``. Given ``key`` (and
    ``step``, 0 by default) instead, it is the media text ``texts/<key>/step_<step>.txt`` that
    ``lt.media`` shows over steps. Raises ``InvalidParameter`` if ``text`` is not a str, or
    for both a file and a key, or neither.

    >>> lt.log_text(generated, key="samples/generated", step=epoch)  # doctest: +SKIP
    """
    client, target = _logging_target(run_id)
    client.log_text(target, text, artifact_file, key=key, step=step)


def log_dict(dictionary: dict, artifact_file: str, run_id: str | None = None) -> None:
    """Save a dict (or list) as the artifact file ``artifact_file``: YAML for a ``.yaml``/``.yml``
    name (needs PyYAML), JSON otherwise. Logs to the active run or ``run_id``.

    >>> lt.log_dict({"classes": ["setosa", "versicolor"]}, "labels.json")  # doctest: +SKIP
    """
    client, target = _logging_target(run_id)
    client.log_dict(target, dictionary, artifact_file)


def log_figure(
    figure: Any,
    artifact_file: str,
    *,
    save_kwargs: dict[str, Any] | None = None,
    run_id: str | None = None,
) -> None:
    """Save a matplotlib or Plotly figure as the artifact file ``artifact_file``; the file name's
    suffix picks the format (``.png``, ``.svg``, ``.pdf``; for Plotly also ``.html`` and
    ``.json``, and images through kaleido). ``save_kwargs`` go to matplotlib's ``savefig``
    (e.g. ``{"dpi": 200}``), as in MLflow. Logs to the active run or ``run_id``. Raises
    ``InvalidParameter`` for another kind of figure or a format it cannot write.

    >>> fig, ax = plt.subplots(); ax.plot(losses)  # doctest: +SKIP
    >>> lt.log_figure(fig, "plots/loss.png")
    """
    client, target = _logging_target(run_id)
    client.log_figure(target, figure, artifact_file, save_kwargs=save_kwargs)


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
) -> RunOperations | None:
    """Save an image as the artifact file ``artifact_file``: a PIL image, a matplotlib figure,
    or an array (numpy or a torch tensor; HxW, HxWxC or CxHxW with C in 1, 3, 4; floats in
    [0, 1] or integers in [0, 255]). Needs Pillow.

    Without ``artifact_file``, ``key`` and ``step`` (0 by default) name it
    ``images/<key>/step_<step>.png``, the media ``lt.media`` shows over steps (MLflow's
    ``timestamp`` is checked, not part of the name). The file is written before this returns
    (``synchronous=False`` returns a ``RunOperations``, as MLflow's). Logs to the active run
    or ``run_id``. Raises ``InvalidParameter`` (also a ``TypeError``, as MLflow's) for both a
    file and a key or neither, and for an image it cannot save.

    >>> lt.log_image(sample, key="reconstruction", step=epoch)  # doctest: +SKIP
    """
    client, target = _logging_target(run_id)
    return client.log_image(target, image, artifact_file, key, step, timestamp, synchronous)


def log_histogram(
    values: Any, key: str, step: int = 0, bins: int = 64, *, run_id: str | None = None
) -> None:
    """Save the distribution of ``values`` (a numpy array, list or torch tensor, any shape) at
    ``step``: ``bins`` equal-width bins (``numpy.histogram``) with the count, min, max and
    sum, as ``histograms/<key>/step_<step>.json``, never the raw values; ``lt.media(key)``
    draws them over steps. NaN and infinite values are left out. Logs to the active run or
    ``run_id``. Raises ``InvalidParameter`` for a bad key or step, or no finite number.

    >>> lt.log_histogram(model.fc.weight, key="weights/fc", step=epoch)  # doctest: +SKIP
    """
    client, target = _logging_target(run_id)
    client.log_histogram(target, values, key, step, bins)


def log_audio(
    samples: Any,
    key: str,
    step: int = 0,
    *,
    sample_rate: int,
    run_id: str | None = None,
) -> None:
    """Save ``samples`` at ``step`` as the 16-bit WAV file ``audio/<key>/step_<step>.wav``:
    floats in [-1, 1] or int16; a 1-D array (mono) or samples x channels; numpy or torch.
    Logs to the active run or ``run_id``. Raises ``InvalidParameter`` for a bad key, step,
    rate, shape, dtype or range.

    >>> lt.log_audio(np.sin(np.linspace(0, 2000, 16000)), key="tone", sample_rate=16000)  # doctest: +SKIP
    """
    client, target = _logging_target(run_id)
    client.log_audio(target, samples, key, step, sample_rate=sample_rate)


def log_stream(stream: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Copy a binary stream (an open file, ``io.BytesIO``, ...) to the artifact file
    ``artifact_file`` of the active run or ``run_id``, chunk by chunk.

    >>> with open("weights.bin", "rb") as f:                      # doctest: +SKIP
    ...     lt.log_stream(f, "checkpoints/weights.bin")
    """
    client, target = _logging_target(run_id)
    client.log_stream(target, stream, artifact_file)


def log_table(
    data: Any,
    artifact_file: str | None = None,
    run_id: str | None = None,
    *,
    key: str | None = None,
    step: int | None = None,
) -> None:
    """Save a table (a pandas DataFrame or a dict of columns) as the artifact file
    ``artifact_file`` (``.json``, in MLflow's layout, or ``.parquet``) of the active run or
    ``run_id``; logging to the same file again appends the rows, as MLflow does.
    ``load_table`` reads it back. Given ``key`` (and ``step``, 0 by default) instead, it is
    the media table ``tables/<key>/step_<step>.json`` that ``lt.media`` shows over steps
    (a step logged again is replaced). Raises ``InvalidParameter`` for another suffix or
    data, or for both a file and a key, or neither.

    >>> lt.log_table({"input": ["a", "b"], "score": [0.1, 0.9]}, "eval/scores.json")  # doctest: +SKIP
    >>> lt.log_table(predictions_frame, key="val/predictions", step=epoch)  # doctest: +SKIP
    """
    client, target = _logging_target(run_id)
    client.log_table(target, data, artifact_file, key=key, step=step)


def load_table(
    artifact_file: str,
    run_ids: list[str] | None = None,
    extra_columns: list[str] | None = None,
) -> Any:
    """A pandas DataFrame of the table ``artifact_file`` that ``log_table`` logged in runs of
    the active experiment (all that have it, or ``run_ids``); ``extra_columns`` adds columns of
    ``search_runs``' frame, e.g. ``["run_id"]``. Raises ``NotFound`` if no run has the table.

    >>> lt.load_table("eval/scores.json", extra_columns=["run_id"])  # doctest: +SKIP
    """
    return _client().load_table(active_experiment_id(), artifact_file, run_ids, extra_columns)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """The URI of the active run's artifact folder (one is started if no run is active), or of
    ``artifact_path`` inside it.
    """
    client, target = _logging_target()
    uri = client.get_run(target).info.artifact_uri
    return f"{uri}/{artifact_path}" if artifact_path else uri


# -- search -------------------------------------------------------------------------------


def search_runs(
    experiment_ids: list[str] | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: list[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: list[str] | None = None,
) -> pd.DataFrame | list[Run]:
    """Runs as a DataFrame (``run_id``, ``status``, ``metrics.x``, ``params.y``, ``tags.z``, ...)
    or, with ``output_format="list"``, as ``Run`` entities.

    >>> lt.search_runs(experiment_names=["svm-iris"],  # doctest: +SKIP
    ...                filter_string="metrics.acc > 0.9 or params.kernel = 'rbf'",
    ...                order_by=["metrics.acc DESC"])
    """
    client = _client()
    ids = _experiment_ids_for_search(
        client, experiment_ids, experiment_names, search_all_experiments
    )
    if output_format == "list":
        return list(client.search_runs(ids, filter_string, run_view_type, max_results, order_by))
    if output_format != "pandas":
        raise InvalidParameter(f"output_format must be 'pandas' or 'list', got {output_format!r}")
    return client.search_runs_frame(ids, filter_string, run_view_type, max_results, order_by)


def _experiment_ids_for_search(
    client: TrackingClient, experiment_ids, experiment_names, search_all
) -> list[str]:
    if search_all:
        return [e.experiment_id for e in client.search_experiments(ViewType.ALL)]
    ids = [
        str(i)
        for i in (
            [experiment_ids] if isinstance(experiment_ids, (str, int)) else experiment_ids or []
        )
    ]
    for name in experiment_names or []:
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise NotFound(f"no experiment named {name!r}")
        ids.append(experiment.experiment_id)
    return ids or [active_experiment_id()]


# -- process lifecycle ------------------------------------------------------------------------


def _record_error(run_id: str, exc_type, exc, tb) -> None:
    try:
        from labtrack.tracking.validation import ERROR_TAG, error_tag_value

        text = "".join(traceback.format_exception_only(exc_type, exc)).strip()
        _client().set_tag(run_id, ERROR_TAG, error_tag_value(text))
    except Exception:  # recording the error must never hide the error itself
        pass


def _watch_for_uncaught_exceptions() -> None:
    if getattr(sys.excepthook, "_labtrack", False):
        return
    original = sys.excepthook

    def hook(exc_type, exc, tb):
        _process.uncaught = True
        active = state.top_run()
        if active is not None:
            _record_error(active.info.run_id, exc_type, exc, tb)
        original(exc_type, exc, tb)

    hook._labtrack = True  # type: ignore[attr-defined]
    sys.excepthook = hook


def _end_runs_at_exit() -> None:
    wait_for_source_capture()
    # A forked worker inherits the stack and may log into its runs, but only the process
    # that started a run ends it.
    runs = state.active_runs()
    if runs and runs[0].pid == os.getpid():
        status = RunStatus.FAILED if _process.uncaught else RunStatus.FINISHED
        try:
            runs[0].end(status)
            _client().flush()  # the end is queued behind the run's points: persist both now
        except Exception as error:
            print(f"labtrack: could not end the active run at exit: {error}", file=sys.stderr)


atexit.register(_end_runs_at_exit)


# -- logged models and datasets (MLflow 3) -----------------------------------------------------


# The id of the model this process logged last (MLflow keeps it per process too).
_last_logged_model_id: str | None = None
# Run -> step -> the first model this process logged in the run at that step: MLflow links a
# metric logged in the run at that step, without a model_id, to it.
_model_outputs: dict[str, dict[int, str]] = {}


def remember_logged_model(model_id: str, run_id: str | None = None, step: int = 0) -> None:
    """Note the model this process logged last (``last_logged_model``) and, when logged in a
    run, at which step (what metrics at that step link to)."""
    global _last_logged_model_id
    _last_logged_model_id = model_id
    if run_id is not None:
        _model_outputs.setdefault(run_id, {}).setdefault(step or 0, model_id)


class _ActiveModelState(threading.local):
    """The active model of a thread (MLflow keeps it per thread): ``MLFLOW_ACTIVE_MODEL_ID``'s
    until ``set_active_model`` or ``clear_active_model``."""

    def __init__(self):
        self.model_id: str | None = env.MLFLOW_ACTIVE_MODEL_ID.get()


_active_model = _ActiveModelState()


class ActiveModel(LoggedModel):
    """The ``LoggedModel`` that ``set_active_model`` made active; as a context manager
    (``with lt.set_active_model(name=...)``) the earlier active model is back at its end."""

    def __enter__(self) -> ActiveModel:
        return self

    def __exit__(self, *exc_info) -> None:
        _active_model.model_id = self._previous_model_id  # type: ignore[attr-defined]


def set_active_model(*, name: str | None = None, model_id: str | None = None) -> ActiveModel:
    """Make a logged model the active one: metrics logged without a ``model_id`` are linked to
    it (MLflow 3's ``set_active_model``). By ``model_id``, or by ``name`` (the newest logged
    model of that name in the active experiment, created as an external model if none).
    Raises ``InvalidParameter`` with neither, or if both disagree; ``NotFound`` for an
    unknown id.

    >>> with lt.set_active_model(name="agent-v2") as model:  # doctest: +SKIP
    ...     lt.log_metric("accuracy", 0.9)                 # linked to model.model_id
    """
    if name is None and model_id is None:
        raise InvalidParameter("set_active_model needs a name or a model_id")
    if model_id is not None:
        model = get_logged_model(model_id)
        if name is not None and model.name != name:
            raise InvalidParameter(
                f"logged model {model_id!r} is named {model.name!r}, not {name!r}"
            )
    else:
        escaped = str(name).replace("'", "\\'")
        found = search_logged_models(
            filter_string=f"name = '{escaped}'", max_results=1, output_format="list"
        )
        model = found[0] if found else create_external_model(name=name)
    active = ActiveModel(**{f.name: getattr(model, f.name) for f in dataclasses.fields(model)})
    object.__setattr__(active, "_previous_model_id", _active_model.model_id)
    _active_model.model_id = model.model_id
    return active


def get_active_model_id() -> str | None:
    """The id of this thread's active model (``set_active_model``, else
    ``MLFLOW_ACTIVE_MODEL_ID``), or None."""
    return _active_model.model_id


def clear_active_model() -> None:
    """No active model in this thread any more (``MLFLOW_ACTIVE_MODEL_ID`` included)."""
    _active_model.model_id = None


def create_external_model(
    name: str | None = None,
    source_run_id: str | None = None,
    tags: dict | None = None,
    params: dict | None = None,
    model_type: str | None = None,
    experiment_id: str | None = None,
):
    """A ``READY`` logged model whose files live outside labtrack (an agent in git, a model
    served elsewhere): MLflow 3's ``create_external_model``, tagged ``mlflow.model.isExternal``.
    In the active run unless ``source_run_id`` says otherwise."""
    model = initialize_logged_model(
        name,
        source_run_id,
        {**(tags or {}), "mlflow.model.isExternal": "true"},
        params,
        model_type,
        experiment_id,
    )
    return state.client().finalize_logged_model(model.model_id, LoggedModelStatus.READY)


def last_logged_model():
    """The ``LoggedModel`` this process logged last, or None."""
    model_id = _last_logged_model_id
    return None if model_id is None else state.client().get_logged_model(model_id)


def get_logged_model(model_id: str):
    """The ``LoggedModel`` with this id (``m-...``); ``NotFound`` if there is none."""
    return state.client().get_logged_model(model_id)


def initialize_logged_model(
    name: str | None = None,
    source_run_id: str | None = None,
    tags: dict | None = None,
    params: dict | None = None,
    model_type: str | None = None,
    experiment_id: str | None = None,
):
    """A new ``PENDING`` logged model in the active experiment (MLflow 3's), in the active
    run unless ``source_run_id`` says otherwise."""
    active = active_run()
    run_id = source_run_id or (active.info.run_id if active else None)
    model = state.client().create_logged_model(
        experiment_id or active_experiment_id(), name, run_id, tags, params, model_type
    )
    remember_logged_model(model.model_id)
    return model


def set_logged_model_tags(model_id: str, tags: dict) -> None:
    """Set tags on a logged model."""
    state.client().set_logged_model_tags(model_id, tags)


def delete_logged_model_tag(model_id: str, key: str) -> None:
    """Delete the tag ``key`` of a logged model."""
    state.client().delete_logged_model_tag(model_id, key)


def log_model_params(params: dict, model_id: str | None = None) -> None:
    """Record params of a logged model (by default the one logged last)."""
    target = model_id or _last_logged_model_id
    if target is None:
        raise InvalidParameter("log_model_params needs a model_id: no model was logged yet")
    state.client().log_model_params(target, params)


def search_logged_models(
    experiment_ids: list[str] | None = None,
    filter_string: str | None = None,
    datasets: list[dict] | None = None,
    max_results: int | None = None,
    order_by: list[dict] | None = None,
    output_format: str = "pandas",
):
    """Logged models of the experiments (by default the active one), newest first, as a
    pandas DataFrame (``output_format="list"``: a list of ``LoggedModel``). Filters as MLflow
    documents them: ``name = 'model' AND metrics.accuracy > 0.9 AND params.lr = '0.1'``;
    ``datasets`` restricts metric filters to points on those datasets; ``order_by`` is a list
    of ``{"field_name": "metrics.accuracy", "ascending": False}``.

    >>> lt.search_logged_models(filter_string="metrics.acc > 0.9", output_format="list")  # doctest: +SKIP
    """
    if output_format not in ("pandas", "list"):
        raise InvalidParameter(f"output_format must be 'pandas' or 'list', got {output_format!r}")
    client = state.client()
    ids = experiment_ids or [active_experiment_id()]
    models: list = []
    token = None
    while True:
        page = client.search_logged_models(
            ids, filter_string, datasets, max_results, order_by, token
        )
        models.extend(page)
        token = page.token
        if not token or (max_results is not None and len(models) >= max_results):
            break
    models = models if max_results is None else models[:max_results]
    if output_format == "list":
        return models
    import pandas as pd

    return pd.DataFrame([m.to_dictionary() for m in models])


def log_input(
    dataset: Any = None,
    context: str | None = None,
    tags: dict | None = None,
    model: Any = None,
) -> None:
    """Record that the active run (one is started if none is) used ``dataset`` (from
    ``labtrack.data``: ``from_pandas``, ``from_numpy``), with ``context`` (``"training"``,
    ``"eval"``, ...) and ``tags``; ``run.inputs.dataset_inputs`` reads it back."""
    if model is not None:
        raise InvalidParameter("labtrack's log_input records datasets, not model inputs")
    if dataset is None:
        raise InvalidParameter("log_input needs a dataset (lt.data.from_pandas, from_numpy)")
    log_inputs([dataset], [context], [tags])


def log_inputs(
    datasets: list | None = None,
    contexts: list | None = None,
    tags_list: list | None = None,
    models: list | None = None,
) -> None:
    """``log_input`` for several datasets at once (``contexts`` and ``tags_list`` match them
    one to one)."""
    from labtrack.entities import DatasetInput, InputTag
    from labtrack.entities.dataset import CONTEXT_TAG

    if models:
        raise InvalidParameter("labtrack's log_inputs records datasets, not model inputs")
    datasets = list(datasets or ())
    contexts = list(contexts or [None] * len(datasets))
    tags_list = list(tags_list or [None] * len(datasets))
    if not len(datasets) == len(contexts) == len(tags_list):
        raise InvalidParameter("datasets, contexts and tags_list must have the same length")
    inputs = []
    for dataset, context, tags in zip(datasets, contexts, tags_list, strict=True):
        entity = dataset.to_entity() if hasattr(dataset, "to_entity") else dataset
        found = [InputTag(str(k), str(v)) for k, v in (tags or {}).items()]
        if context is not None:
            found.insert(0, InputTag(CONTEXT_TAG, str(context)))
        inputs.append(DatasetInput(entity, found))
    client, target = _logging_target(None)
    client.log_inputs(target, inputs)


def log_outputs(models: list | None = None) -> None:
    """Record that the active run (one is started if none is) logged these models
    (MLflow 3's ``log_outputs``: ``LoggedModelOutput`` items from ``labtrack.entities``);
    ``run.outputs.model_outputs`` reads them back. See ``Client.log_outputs``."""
    client, target = _logging_target(None)
    client.log_outputs(target, list(models or ()))


# -- alerts -----------------------------------------------------------------------------------


def alert(title: str, text: str = "", level: str = "INFO", run_id: str | None = None):
    """Store an alert on the run (the active one by default; one is started if none is) and
    return it (an ``Alert``): the JupyterLab sidebar shows it as a notification, and
    ``LABTRACK_ALERT_WEBHOOK``, when set, gets it as Slack- and Discord-compatible JSON in
    the background. ``level`` is ``INFO``, ``WARN`` or ``ERROR``. See ``Client.alert``.

    >>> lt.alert("val_loss is rising", "3 epochs in a row", level="WARN")  # doctest: +SKIP
    """
    client, target = _logging_target(run_id)
    return client.alert(target, title, text, level)


def alert_when(
    metric: str,
    above: float | None = None,
    below: float | None = None,
    title: str | None = None,
    level: str = "WARN",
    once: bool = True,
):
    """Alert when a point of ``metric`` this process logs is above ``above`` or below
    ``below`` (both: outside [below, above]), once per run by default (``once=False``: each
    time the metric crosses into the condition). It is checked on the background writer as
    points are written, never in the logging call; a condition that cannot be checked raises
    ``InvalidParameter`` here. Returns the condition: ``cancel()`` stops it.

    >>> lt.alert_when("val_loss", above=2.0, title="val_loss diverged")  # doctest: +SKIP
    """
    active = state.top_run()
    client = active.client if active is not None else _client()
    return client.alert_when(metric, above, below, title, level, once)


def search_alerts(
    run_ids: list[str] | None = None,
    since: int | None = None,
    after_id: int | None = None,
    levels: list[str] | None = None,
    max_results: int = 1000,
) -> list:
    """Alerts of the current store, oldest first (see ``Client.search_alerts``)."""
    return _client().search_alerts(run_ids, since, after_id, levels, max_results)
