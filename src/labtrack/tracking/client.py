"""``TrackingClient``: explicit, id-based operations on experiments and runs, the tracking half
of MLflow's ``MlflowClient`` (``labtrack.Client`` adds the model registry).

Validation happens here, at the call site. Metrics go through the background writer;
everything else is written synchronously. Every read flushes this process's pending
metrics first, so a process always reads what it logged.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from labtrack import env
from labtrack.artifacts import (
    ArtifactRepository,
    FileInfo,
    open_repository,
    serialize,
    validate_root,
)
from labtrack.artifacts.base import relative_parts
from labtrack.entities import (
    DatasetInput,
    Experiment,
    LifecycleStage,
    LoggedModel,
    LoggedModelMetric,
    LoggedModelOutput,
    LoggedModelStatus,
    Metric,
    Param,
    Run,
    RunData,
    RunStatus,
    RunTag,
    ViewType,
)
from labtrack.entities.alert import Alert, check_level, check_title_and_text
from labtrack.errors import InvalidParameter, InvalidState, ReadOnlyStore
from labtrack.store import get_store
from labtrack.tracking import media
from labtrack.tracking import validation as v
from labtrack.tracking.alerts import AlertCondition, check_condition, post_alert, webhook_sender
from labtrack.tracking.naming import random_run_name
from labtrack.tracking.operations import (
    RunOperations,
    check_synchronous,
    finished,
    settle_metrics,
)
from labtrack.tracking.tracking_uri import check_registry_uri, get_tracking_uri
from labtrack.tracking.writer import get_writer

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import pandas as pd

# Reaping dead runs costs a query; at most this often per client.
_REAP_EVERY_SECONDS = 1.0


def _checked_tags(tags: dict) -> dict[str, str]:
    """``tags`` validated; ``mlflow.runName`` also as a run name, since setting it renames the
    run (as in MLflow)."""
    tags = v.validate_tags(tags)
    if "mlflow.runName" in tags:
        v.validate_run_name(tags["mlflow.runName"])
    return tags


class PagedList(list):
    """A page of results with the token of the next page (None on the last page)."""

    def __init__(self, items: Iterable, token: str | None):
        super().__init__(items)
        self.token = token


class TrackingClient:
    """Explicit access to the experiments, runs and artifacts of a store.
    ``TrackingClient()`` uses the current tracking URI (``InvalidParameter`` if a registry
    URI set by ``set_registry_uri`` or ``MLFLOW_REGISTRY_URI`` names another store).
    ``labtrack.Client`` (MLflow's ``MlflowClient``) is this plus the model registry."""

    def __init__(self, tracking_uri: str | None = None):
        if tracking_uri:
            self.tracking_uri = env.resolve_tracking_uri(tracking_uri)
        else:  # the process's store: refused, as lt.* refuses it, under another registry URI
            self.tracking_uri = get_tracking_uri()
            check_registry_uri(self.tracking_uri)
        self.store = get_store(self.tracking_uri)
        self.writer = get_writer(self.store)
        self._last_reap = 0.0
        self._artifact_roots: dict[str, str] = {}

    # -- experiments ----------------------------------------------------------------------

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict | None = None
    ) -> str:
        """Create an experiment and return its id (as a string).

        ``artifact_location`` is where its runs' artifacts go: a folder, or a URI such as
        ``s3://bucket/prefix`` (also ``gs://``, ``az://``); by default ``LABTRACK_ARTIFACTS_URI``,
        else a folder beside the store. Raises ``AlreadyExists`` if an experiment (even a deleted
        one) has the name, ``InvalidParameter`` for an empty name, bad tags, or a location that
        carries credentials.
        """
        if artifact_location:  # None or "": the default
            artifact_location = validate_root(artifact_location)
        return self.store.experiments.create_experiment(
            name, artifact_location, v.validate_tags(tags or {})
        )

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The ``Experiment`` with this id (active or deleted). Raises ``NotFound`` if there is no
        such experiment.
        """
        return self.store.experiments.get_experiment(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The ``Experiment`` with this name (active or deleted), or None."""
        return self.store.experiments.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Experiments by lifecycle, filtered with MLflow's filter language on ``name``,
        ``experiment_id``, ``creation_time``, ``last_update_time`` and ``tags.<key>`` (AND
        only; ``=``, ``!=``, ``LIKE``, ``ILIKE``, ``IN``; tags also ``IS NULL``), e.g.
        ``name LIKE 'svm%' AND tags.team = 'vision'``. ``order_by`` takes MLflow's clauses on
        those attributes (``["name DESC"]``); without it the oldest come first. A list with
        the next page's ``token`` (pass it as ``page_token``; None on the last page)."""
        max_results = v.validate_max_results(max_results)
        if order_by or page_token:
            experiments, token = self.store.experiments.search_experiments_page(
                view_type, filter_string, max_results, order_by, page_token
            )
            return PagedList(experiments, token)
        found = self.store.experiments.search_experiments(view_type, filter_string, max_results)
        return PagedList(found, None)

    def delete_experiment(self, experiment_id: str) -> None:
        """Mark an experiment deleted (its runs are kept); ``restore_experiment`` brings it back.
        Raises ``NotFound`` for an unknown id and ``InvalidParameter`` for the Default
        experiment ("0").
        """
        self.store.experiments.delete_experiment(experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        """Bring a deleted experiment back. Raises ``NotFound`` if there is no such experiment."""
        self.store.experiments.restore_experiment(experiment_id)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Give an experiment a new name. Raises ``NotFound`` if there is no such experiment. Raises
        ``AlreadyExists`` if the name is taken.
        """
        self.store.experiments.rename_experiment(experiment_id, new_name)

    def set_experiment_tag(self, experiment_id: str, key: str, value: object) -> None:
        """Set a tag on an experiment, replacing any earlier value (stored as a string). Raises
        ``NotFound`` if there is no such experiment.
        """
        self.store.experiments.set_experiment_tag(
            experiment_id, *v.validate_tags({key: value}).popitem()
        )

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag from an experiment. Raises ``NotFound`` if the experiment, or its tag
        ``key``, does not exist.
        """
        self.store.experiments.delete_experiment_tag(experiment_id, key)

    # -- runs -----------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict | None = None,
        run_name: str | None = None,
        group: str | None = None,
    ) -> Run:
        """Create a RUNNING run in an experiment and return it; unlike ``lt.start_run`` it does not
        become the active run, and it is ended with ``set_terminated``. ``group`` puts it in a
        run group (the tag ``labtrack.group``), as ``start_run(group=...)`` does.

        ``start_time`` is in milliseconds since the epoch (now by default); ``run_name`` (or the
        ``mlflow.runName`` tag) names it, else a random name is chosen. Raises ``NotFound`` for
        an unknown experiment, ``InvalidState`` for a deleted one.

        >>> run = client.create_run("1", run_name="manual")  # doctest: +SKIP
        >>> client.log_metric(run.info.run_id, "loss", 0.4)
        >>> client.set_terminated(run.info.run_id)
        """
        if group is not None:
            tags = {**(tags or {}), v.GROUP_TAG: v.validate_group(group)}
        tags = v.validate_tags(tags or {})
        if start_time is not None:
            start_time = v.validate_timestamp(start_time)
        run_name = v.validate_run_name(run_name or tags.get("mlflow.runName") or random_run_name())
        tags["mlflow.runName"] = run_name
        info = self.store.runs.create_run(
            str(experiment_id), run_name, start_time, tags, tags.get("mlflow.user", "")
        )
        self.writer.keep_alive(info.run_id)
        self._artifact_roots[info.run_id] = info.artifact_uri
        return Run(info, RunData(tags=dict(tags)))

    def get_run(self, run_id: str) -> Run:
        """The ``Run`` with this id, with its latest metrics, params and tags (this process's
        pending metric points are persisted first). Raises ``NotFound`` if there is no such run.
        """
        self._before_read()
        return self.store.runs.get_run(run_id)

    def get_runs(self, run_ids: Sequence[str]) -> list[Run]:
        """Several runs in one read, in the order of ``run_ids``; ids with no run in the store
        are left out (a labtrack extension, for views that show many runs at once).

        >>> runs = client.get_runs([first_id, second_id])  # doctest: +SKIP
        """
        ids = None if isinstance(run_ids, (str, bytes)) else list(run_ids)  # one id is no list
        if ids is None or not all(isinstance(i, str) for i in ids):
            raise InvalidParameter(f"run_ids must be a list of run id strings, got {run_ids!r}")
        self._before_read()
        return self.store.runs.get_runs(ids)

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        """Change a run's status (a ``RunStatus``) and/or its name; None leaves a field as it is.
        Raises ``NotFound`` if there is no such run.
        """
        if name is not None:
            v.validate_run_name(name)
        self.writer.write_queued(run_id)  # a queued name tag must not undo this rename later
        self.store.runs.update_run(run_id, status=status, run_name=name)

    def set_terminated(
        self, run_id: str, status: str = RunStatus.FINISHED, end_time: int | None = None
    ) -> None:
        """End a run: persist its pending metrics and record its status and end time, in one
        transaction (one commit less for every tracked cell)."""
        RunStatus.from_string(status)
        end = (
            run_id,
            status,
            int(time.time() * 1000) if end_time is None else v.validate_timestamp(end_time),
        )
        # A run's deferred files need not hold it up; refused points are a warning here,
        # since the run has ended all the same.
        self.writer.flush(end=end, deferred=False, report=False)
        self.writer.live_runs.discard(run_id)
        self.writer.release_run(run_id)

    def delete_run(self, run_id: str) -> None:
        """Mark a run deleted: searches no longer return it unless asked for deleted runs;
        ``restore_run`` brings it back. Raises ``NotFound`` if there is no such run.
        """
        self.store.runs.set_run_lifecycle(run_id, LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        """Bring a deleted run back. Raises ``NotFound`` if there is no such run."""
        self.store.runs.set_run_lifecycle(run_id, LifecycleStage.ACTIVE)

    # -- logging --------------------------------------------------------------------------

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
        model_id: str | None = None,
    ) -> RunOperations | None:
        """Validate and buffer one point; the background writer persists it within ~100 ms.

        As in MLflow, ``synchronous=True`` persists it before returning, and
        ``synchronous=False`` returns a ``RunOperations`` whose ``wait()`` persists it. Raises
        ``InvalidParameter`` if the key, value, step or timestamp is invalid or
        ``synchronous`` is not a bool or None.

        With ``model_id`` (MLflow 3) the point is also linked to that logged model, and to the
        dataset ``dataset_name``/``dataset_digest`` it was computed on; the link is written
        before this returns.
        """
        if synchronous is not None:  # kept off the default path: it runs per point
            check_synchronous(synchronous)
        key, value, timestamp, step = v.validate_point(key, value, timestamp, step)  # first
        if model_id is None or not self.link_logged_model_metrics(
            run_id, [Metric(key, value, timestamp, step)], model_id, dataset_name, dataset_digest
        ):
            self.writer.add((self.store.runs.run_pk(run_id), key, value, timestamp, step))
        return settle_metrics(synchronous, self.flush)

    def point_buffer(self, run_id: str) -> Callable[..., None]:
        """``buffer(key, value, timestamp=None, step=None)`` for one run: validates a point
        and hands it to the background writer, all that a default ``lt.log_metric`` call
        does (the active run keeps one: the run's key is looked up once, at its first valid
        point, not per point). Raises ``InvalidParameter`` as ``log_metric`` does."""
        run_pk = self.store.runs.run_pk
        return self.writer.run_buffer(lambda: run_pk(run_id))

    def link_logged_model_metrics(
        self,
        run_id: str,
        points: Sequence[Metric],
        model_id: str,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
    ) -> bool:
        """Link validated points of a run to a logged model (and the dataset they were
        computed on); True if that also logged them to the run (a tracking server does both in
        one request), else the caller logs them (``log_metric`` does)."""
        if (dataset_name is None) != (dataset_digest is None):
            raise InvalidParameter("give both dataset_name and dataset_digest, or neither")
        self.store.logged_models.log_logged_model_metrics(
            [
                LoggedModelMetric(
                    p.key,
                    p.value,
                    p.timestamp,
                    p.step,
                    model_id,
                    dataset_name,
                    dataset_digest,
                    run_id,
                )
                for p in points
            ]
        )
        return self.store.logged_models.logs_run_points

    def log_param(
        self, run_id: str, key: str, value: object, synchronous: bool | None = None
    ) -> object:
        """Log one parameter of a run; values are stored as strings.

        The param is written before the call returns (for the run ``lt.start_run`` made in
        this process, with its next metric points: see ``log_batch``). As in MLflow, the call
        returns ``value``, or with ``synchronous=False`` a ``RunOperations`` whose ``wait()``
        returns at once. Logging a key again with the same value is fine; with a different
        value it raises ``InvalidState`` (params do not change). ``NotFound`` if there is no
        such run; ``InvalidParameter`` if ``synchronous`` is not a bool or None.
        """
        check_synchronous(synchronous)
        self._log_params_and_tags(run_id, v.validate_params({key: value}), {}, synchronous)
        return finished(synchronous, value)

    def set_tag(
        self, run_id: str, key: str, value: object, synchronous: bool | None = None
    ) -> RunOperations | None:
        """Set a tag on a run, replacing any earlier value (stored as a string). As in MLflow,
        ``mlflow.runName`` is the run's name: setting it renames the run (``log_batch`` too).

        The tag is written before the call returns (for the run ``lt.start_run`` made in this
        process, with its next metric points: see ``log_batch``); as in MLflow the call
        returns None, or with ``synchronous=False`` a ``RunOperations`` whose ``wait()``
        returns at once. Raises ``NotFound`` if there is no such run and
        ``InvalidParameter`` if ``synchronous`` is not a bool or None.
        """
        check_synchronous(synchronous)
        self._log_params_and_tags(run_id, {}, _checked_tags({key: value}), synchronous)
        return finished(synchronous)

    def set_tags_of_runs(self, run_ids: Sequence[str], tags: dict[str, str]) -> None:
        """The same tags on several runs: a run ``lt.start_run`` made in this process takes
        them with its next points (as ``set_tag``), the others get them in one write
        together rather than one each. A run no longer in the store is left out."""
        tags = _checked_tags(tags)
        others = [
            run_id for run_id in run_ids if not self.writer.defer_params_and_tags(run_id, {}, tags)
        ]
        if others:
            self.store.runs.set_tags_of_runs(others, tags)

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run. Raises ``NotFound`` if the run or the tag does not exist."""
        key = v.validate_key(key, "tag")
        self.writer.write_queued(run_id)  # the tag may still wait to be written
        self.store.runs.delete_tag(run_id, key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
        model_id: str | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
    ) -> RunOperations | None:
        """Log many values at once. Everything is validated before anything is written; params
        and tags go in one transaction, metrics through the background writer.

        The params and tags of the run ``lt.start_run`` made in this process travel with its
        metric points instead: checked here (a param logged before with another value raises
        ``InvalidState`` at once), written in the writer's next transaction, within
        ``LABTRACK_FLUSH_INTERVAL`` and at the latest when the run ends or this process reads
        or flushes (``synchronous=True`` writes them before returning). A run's start, params,
        tags, points and end so cost two transactions rather than one per call.

        ``synchronous`` as for ``log_metric``: True persists the metrics before returning,
        False returns a ``RunOperations`` whose ``wait()`` persists them. ``model_id`` and the
        dataset link every metric to a logged model, as in ``log_metric``.
        """
        check_synchronous(synchronous)
        param_values = v.validate_params({p.key: p.value for p in params})
        tag_values = _checked_tags({t.key: t.value for t in tags})
        pk = self.store.runs.run_pk(run_id)
        rows = []
        for metric in metrics:
            key = v.validate_key(metric.key)
            rows.append(
                (
                    pk,
                    key,
                    v.validate_metric_value(key, metric.value),
                    v.validate_timestamp(metric.timestamp, key),
                    v.validate_step(metric.step, key),
                )
            )
        if param_values or tag_values:  # one transaction: all of them or, on a conflict, none
            self._log_params_and_tags(run_id, param_values, tag_values, None)
        if rows and model_id is not None:
            points = [Metric(key, value, ts, step) for _, key, value, ts, step in rows]
            if self.link_logged_model_metrics(
                run_id, points, model_id, dataset_name, dataset_digest
            ):
                rows = []
        if rows:
            self.writer.add_many(rows)
        return settle_metrics(synchronous, self.flush)

    def _log_params_and_tags(
        self, run_id: str, params: dict, tags: dict, synchronous: bool | None
    ) -> None:
        """Write validated params and tags: with the run's points where the writer takes them
        (a run this process started), else in a transaction of their own."""
        if not self.writer.defer_params_and_tags(run_id, params, tags):
            self.store.runs.log_params_and_tags(run_id, params, tags)
        elif synchronous:
            self.flush()

    # -- logged models and datasets (MLflow 3) --------------------------------------------

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: dict | None = None,
        params: dict | None = None,
        model_type: str | None = None,
        step: int | None = None,
        model_id: str | None = None,
    ) -> LoggedModel:
        """A new ``PENDING`` logged model (MLflow 3's ``create_logged_model``): its files go to
        its ``artifact_location``; ``finalize_logged_model`` marks it ``READY``. Raises
        ``NotFound`` for an unknown experiment or run. ``model_id`` (``m-<32 hex>``) is for
        importing a model from elsewhere with its id; by default a new one is made."""
        if name is not None:
            v.validate_name(name, "logged model name", 500)
            relative_parts(name)  # the model's folder in its run: it must stay inside the run
        return self.store.logged_models.create_logged_model(
            str(experiment_id),
            name,
            source_run_id,
            model_type,
            v.validate_tags(tags or {}),
            v.validate_params(params or {}),
            None if step is None else v.validate_step(step),
            **({"model_id": model_id} if model_id else {}),
        )

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        """The logged model with this id (``m-...``); ``NotFound`` if there is none."""
        self.flush()  # its linked metrics may still be in the writer
        return self.store.logged_models.get_logged_model(model_id, allow_deleted)

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        """Set a logged model's status: ``READY`` (its files are written) or ``FAILED``."""
        return self.store.logged_models.finalize_logged_model(
            model_id, LoggedModelStatus.canonical(status)
        )

    def set_logged_model_tags(self, model_id: str, tags: dict) -> None:
        """Set tags on a logged model."""
        self.store.logged_models.set_logged_model_tags(model_id, v.validate_tags(tags))

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Remove a tag from a logged model; ``NotFound`` if it has no such tag."""
        self.store.logged_models.delete_logged_model_tag(model_id, v.validate_key(key, "tag"))

    def log_model_params(self, model_id: str, params: dict) -> None:
        """Record params of a logged model."""
        self.store.logged_models.log_logged_model_params(model_id, v.validate_params(params))

    def delete_logged_model(self, model_id: str) -> None:
        """Mark a logged model deleted: reads and searches no longer find it."""
        self.store.logged_models.delete_logged_model(model_id)

    def search_logged_models(
        self,
        experiment_ids: list[str],
        filter_string: str | None = None,
        datasets: list[dict] | None = None,
        max_results: int | None = None,
        order_by: list[dict] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """A page of logged models of those experiments (newest first), filtered as MLflow
        documents: ``name = 'model' AND metrics.accuracy > 0.9 AND params.lr = '0.1'``;
        ``order_by`` is a list of ``{"field_name": ..., "ascending": ...}``.

        >>> client.search_logged_models(["1"], "metrics.acc > 0.9")  # doctest: +SKIP
        """
        self.flush()
        ids = [experiment_ids] if isinstance(experiment_ids, (str, int)) else list(experiment_ids)
        models, token = self.store.logged_models.search_logged_models(
            [str(i) for i in ids],
            filter_string,
            datasets,
            v.validate_max_results(max_results),
            order_by,
            page_token,
        )
        return PagedList(models, token)

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence | None = None,
    ) -> None:
        """Record the datasets a run used (``DatasetInput``: a ``Dataset`` and its tags);
        ``get_run(run_id).inputs.dataset_inputs`` reads them back. MLflow's model inputs
        (``models``) are refused."""
        if models:
            raise InvalidParameter("labtrack's log_inputs records datasets, not model inputs")
        datasets = list(datasets or ())
        for item in datasets:
            if not isinstance(item, DatasetInput):
                raise InvalidParameter(f"log_inputs takes DatasetInput objects, got {item!r}")
            v.validate_name(item.dataset.name, "dataset name", 500)
            if not item.dataset.digest or len(item.dataset.digest) > 36:
                raise InvalidParameter(
                    f"dataset {item.dataset.name!r} needs a digest of at most 36 characters"
                )
        if datasets:
            self.store.datasets.log_inputs(run_id, datasets)

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        """Record the models a run logged (MLflow 3's ``log_outputs``: ``LoggedModelOutput``
        items, a model id and the run's step); ``get_run(run_id).outputs.model_outputs`` reads
        them back. A model is the output of one run at one step: linking it to another is
        ``InvalidState``. ``NotFound`` for an unknown run or model."""
        models = list(models or ())
        for item in models:
            if not isinstance(item, LoggedModelOutput):
                raise InvalidParameter(f"log_outputs takes LoggedModelOutput objects, got {item!r}")
            if isinstance(item.step, bool) or not isinstance(item.step, int):
                raise InvalidParameter(f"a model output's step is an int, got {item.step!r}")
        if self.get_run(run_id).info.lifecycle_stage != LifecycleStage.ACTIVE:
            raise InvalidState(f"run {run_id} is deleted: it cannot log outputs")
        if models:
            self.store.logged_models.log_outputs(run_id, models)

    # -- alerts ---------------------------------------------------------------------------

    def alert(self, run_id: str, title: str, text: str = "", level: str = "INFO") -> Alert:
        """Store an alert on the run and return it; the JupyterLab sidebar shows it as a
        notification, and ``LABTRACK_ALERT_WEBHOOK``, when set, gets it in the background.
        ``level`` is ``INFO``, ``WARN`` or ``ERROR``. Raises ``InvalidParameter`` for an empty
        or over-long title or text, or an unknown level; ``NotFound`` for an unknown run.

        >>> client.alert(run_id, "val_loss is rising", "3 epochs in a row", "WARN")  # doctest: +SKIP
        """
        if not isinstance(run_id, str) or not run_id:
            raise InvalidParameter(f"run_id must be a run id string, got {run_id!r}")
        title, text = check_title_and_text(title, text)
        level = check_level(level)
        webhook_sender()  # a bad LABTRACK_ALERT_WEBHOOK is refused before anything is stored
        stored = self.store.alerts.add_alert(run_id, title, text, level)
        post_alert(stored)
        return stored

    def alert_when(
        self,
        metric: str,
        above: float | None = None,
        below: float | None = None,
        title: str | None = None,
        level: str = "WARN",
        once: bool = True,
    ) -> AlertCondition:
        """Alert when a point of ``metric`` logged by this process (to any run of this store)
        is above ``above`` or below ``below``: checked on the background writer as the points
        are written, never in the logging call. ``once`` (the default) fires once per run;
        ``once=False`` each time the metric crosses into the condition. Returns the condition:
        ``cancel()`` stops it. A condition that cannot be checked raises ``InvalidParameter``
        here."""
        condition = check_condition(metric, above, below, title, level, once)
        webhook_sender()  # here, not on the writer thread when the condition fires
        return self.writer.alert_conditions.add(condition)

    def search_alerts(
        self,
        run_ids: Sequence[str] | None = None,
        since: int | None = None,
        after_id: int | None = None,
        levels: Sequence[str] | None = None,
        max_results: int = 1000,
    ) -> list[Alert]:
        """Alerts, oldest first: of ``run_ids`` (every run's when None), at or after ``since``
        (milliseconds since the epoch), with an id above ``after_id`` (a cursor: the last id
        seen), of ``levels``; at most ``max_results`` (up to 10,000)."""
        if run_ids is not None:
            ids = None if isinstance(run_ids, (str, bytes)) else list(run_ids)
            if ids is None or not all(isinstance(i, str) for i in ids):
                raise InvalidParameter(f"run_ids must be a list of run id strings, got {run_ids!r}")
            run_ids = ids
        if since is not None:
            since = v.validate_timestamp(since)
        if after_id is not None and (
            isinstance(after_id, bool) or not isinstance(after_id, int) or after_id < 0
        ):
            raise InvalidParameter(f"after_id must be an alert id (an int >= 0), got {after_id!r}")
        if levels is not None:
            levels = [
                check_level(level) for level in ([levels] if isinstance(levels, str) else levels)
            ]
        max_results = v.validate_max_results(max_results) or 1000
        if max_results > 10_000:
            raise InvalidParameter(f"max_results must be at most 10000, got {max_results}")
        self._before_read()
        return self.store.alerts.search_alerts(run_ids, since, after_id, levels, max_results)

    def last_alert_id(self) -> int:
        """The id of the store's newest alert (0 when there is none): a poller's first cursor
        for ``search_alerts(after_id=...)``, so that it shows only alerts newer than itself."""
        return self.store.alerts.last_alert_id()

    def flush(self) -> None:
        """Persist every metric point logged so far by this process."""
        self.writer.flush()

    # -- the store itself -----------------------------------------------------------------

    @property
    def database_path(self) -> Path | None:
        """The SQLite file of this client's store; None for a server database (PostgreSQL)
        or an in-memory one."""
        return self.store.database_path

    def change_stamp(self) -> str:
        """A short string that differs whenever the store may have changed (any process's
        commit), cheap enough to poll every second: views compare it to know when to read
        again. A SQLite store answers from its files without a query; a server database's
        stamp simply moves every few seconds (``labtrack.store.stamp``)."""
        return self.store.change_stamp()

    def close(self) -> None:
        """Close the store's idle pooled connections (it opens new ones when next used, for
        this client or any other of the same store). An in-memory SQLite store is left
        open: its one connection is the whole database."""
        if self.store.database_path is None and self.store.uri.startswith("sqlite"):
            return
        self.store.close()

    # -- reads ----------------------------------------------------------------------------

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every logged point of a metric, as ``Metric`` objects ordered by step (empty if the key
        was never logged). Raises ``NotFound`` if there is no such run. For long histories
        ``get_metric_history_columns`` is much cheaper.
        """
        self._before_read()
        return self.store.metrics.get_metric_history(run_id, key)

    def get_metric_history_columns(
        self, run_id: str, key: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A metric's history as three numpy columns (int64 steps, int64 timestamps, float64
        values), ordered by step: exact integers, much cheaper than ``Metric`` objects."""
        self._before_read()
        return self.store.metrics.metric_history_arrays(run_id, key)

    def get_metric_history_for_chart(
        self, run_id: str, key: str, max_points: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """At most about ``max_points`` points of a metric that keep its peaks and dips, and
        how many points it has in all: what a chart draws. The store picks them where it
        can (SQLite, PostgreSQL), and the same rule is applied here to a whole history from
        one that cannot (``labtrack.tracking.downsampling``)."""
        from labtrack.tracking import downsampling  # numpy: not at import time

        self._before_read()
        buckets = max(1, (max_points - 2) // 2)
        extremes = self.store.metrics.metric_history_extremes(run_id, key, buckets=buckets)
        if extremes is not None:
            return extremes
        steps, timestamps, values = self.store.metrics.metric_history_arrays(run_id, key)
        return (*downsampling.step_range_extremes(steps, timestamps, values, buckets), len(values))

    def search_runs(
        self,
        experiment_ids: str | list[str],
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Runs matching MLflow's filter language (plus OR and parentheses).

        >>> TrackingClient().search_runs(["1"], "metrics.acc > 0.9 and params.kernel = 'rbf'",
        ...                              order_by=["metrics.acc DESC"])  # doctest: +SKIP
        """
        self._before_read()
        ids = [experiment_ids] if isinstance(experiment_ids, (str, int)) else list(experiment_ids)
        max_results = v.validate_max_results(max_results)
        runs, token = self.store.search.search_runs(
            [str(i) for i in ids], filter_string, run_view_type, max_results, order_by, page_token
        )
        return PagedList(runs, token)

    def count_runs(
        self,
        experiment_ids: str | list[str],
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
    ) -> int:
        """How many runs ``search_runs`` would find, counted in the store (none is read)."""
        self._before_read()
        ids = [experiment_ids] if isinstance(experiment_ids, (str, int)) else list(experiment_ids)
        return self.store.search.count_runs([str(i) for i in ids], filter_string, run_view_type)

    def search_runs_frame(
        self,
        experiment_ids: list[str],
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        order_by: list[str] | None = None,
    ) -> pd.DataFrame:
        """Like ``search_runs``, as a DataFrame with MLflow's columns, built column-wise."""
        from labtrack.tracking.frames import runs_frame

        self._before_read()
        return runs_frame(
            self.store.search.search_run_columns(
                [str(i) for i in experiment_ids],
                filter_string,
                run_view_type,
                v.validate_max_results(max_results),
                order_by,
            )
        )

    def _before_read(self) -> None:
        self.writer.flush(report=False)  # a read is no place to raise about earlier points
        now = time.monotonic()
        if now - self._last_reap >= _REAP_EVERY_SECONDS:
            self._last_reap = now
            try:
                self.store.runs.reap_dead_runs(int(env.HEARTBEAT_TIMEOUT.get_float() * 1000))
            except ReadOnlyStore:  # reads work; dead runs are marked by whoever can write
                pass

    # -- artifacts ------------------------------------------------------------------------

    def _artifacts(self, run_id: str) -> ArtifactRepository:
        """The repository of a run's artifacts: a local folder or an object-store prefix."""
        root = self._artifact_roots.get(run_id)
        if root is None:  # a run's artifact location never changes
            root = self._artifact_roots[run_id] = self.store.runs.get_run(run_id).info.artifact_uri
        return self.artifact_repository(root)

    def artifact_repository(self, root: str) -> ArtifactRepository:
        """The artifact repository at ``root`` as this client reaches it (through the tracking
        server's artifact proxy for an ``mlflow-artifacts:/`` root)."""
        return open_repository(root, http=self.store.http)

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike, artifact_path: str | None = None
    ) -> None:
        """Copy a local file into a run's artifacts, under the folder ``artifact_path`` if given.
        Raises ``InvalidParameter`` if the file does not exist.
        """
        self._artifacts(run_id).log_artifact(local_path, artifact_path)

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike, artifact_path: str | None = None
    ) -> None:
        """Copy every file of a local folder (recursively) into a run's artifacts, under the folder
        ``artifact_path`` if given. Raises ``InvalidParameter`` if the folder does not exist.
        """
        self._artifacts(run_id).log_artifacts(local_dir, artifact_path)

    def log_text(
        self,
        run_id: str,
        text: str,
        artifact_file: str | None = None,
        *,
        key: str | None = None,
        step: int | None = None,
    ) -> None:
        """Save a string as the artifact file ``artifact_file`` (a path inside the run's
        artifacts), or, given ``key`` (and ``step``, 0 by default), as the media text
        ``texts/<key>/step_<step>.txt`` (UTF-8) that ``lt.media`` shows over steps. Raises
        ``InvalidParameter`` if ``text`` is not a str, or for both a file and a key, or neither.
        """
        path = _media_target("log_text", "text", artifact_file, key, step)
        if not isinstance(text, str):
            raise InvalidParameter(f"log_text takes a str, got {type(text).__name__}")
        self._artifacts(run_id).write_bytes(path, text.encode())

    def log_dict(self, run_id: str, dictionary: dict, artifact_file: str) -> None:
        """Save a dict (or list) as the artifact file ``artifact_file``: YAML for a
        ``.yaml``/``.yml`` name (needs PyYAML), JSON otherwise.
        """
        self._artifacts(run_id).write_bytes(
            artifact_file, serialize.dict_bytes(dictionary, artifact_file)
        )

    def log_figure(
        self,
        run_id: str,
        figure: object,
        artifact_file: str,
        *,
        save_kwargs: dict | None = None,
    ) -> None:
        """Save a matplotlib or Plotly figure as the artifact file ``artifact_file``, in the format
        its suffix names (``.png`` by default; for Plotly also ``.html`` and ``.json``).
        ``save_kwargs`` go to matplotlib's ``savefig`` (e.g. ``{"dpi": 200}``), as in MLflow.
        Raises ``InvalidParameter`` for another kind of figure or a format it cannot write.
        """
        if save_kwargs:
            data = _matplotlib_bytes(figure, artifact_file, save_kwargs)
        else:
            data = serialize.figure_bytes(figure, artifact_file)
        self._artifacts(run_id).write_bytes(artifact_file, data)

    def log_image(
        self,
        run_id: str,
        image: object,
        artifact_file: str | None = None,
        key: str | None = None,
        step: int | None = None,
        timestamp: int | None = None,
        synchronous: bool | None = None,
    ) -> RunOperations | None:
        """Save an image as the image file ``artifact_file``: a PIL image, a matplotlib figure,
        or an array (numpy or a torch tensor; HxW, HxWxC or CxHxW with C in 1, 3, 4; floats in
        [0, 1] or integers in [0, 255]). Needs Pillow.

        Without ``artifact_file``, ``key`` and ``step`` (0 by default) name it
        ``images/<key>/step_<step>.png``, the media ``lt.media`` shows over steps
        (``timestamp``, MLflow's, is checked but not part of the name). The file is written
        before this returns; ``synchronous=False`` returns a ``RunOperations`` whose ``wait()``
        returns at once, as MLflow's. Raises ``InvalidParameter`` (also a ``TypeError``, as
        MLflow's) for both a file and a key or neither, and for an image it cannot save.
        """
        check_synchronous(synchronous)
        if artifact_file is not None and timestamp is not None:
            raise media.ArgumentConflict(_MLFLOW_FILE_OR_KEY)
        path = _media_target("log_image", "image", artifact_file, key, step)
        if timestamp is not None:
            v.validate_timestamp(timestamp, key or "image")
        self._artifacts(run_id).write_bytes(path, serialize.image_bytes(image, path))
        return finished(synchronous)

    def log_histogram(
        self, run_id: str, values: object, key: str, step: int = 0, bins: int = 64
    ) -> None:
        """Save the distribution of ``values`` (a numpy array, a list or a torch tensor, of any
        shape) at ``step`` as the histogram ``histograms/<key>/step_<step>.json``: ``bins``
        equal-width bins between its minimum and maximum (``numpy.histogram``), with the
        count, min, max and sum, never the raw values. NaN and infinite values are left out.
        Raises ``InvalidParameter`` for a bad key or step, no finite value, or non-numbers.
        """
        import json

        path = media.media_path("histogram", key, step)
        document = media.histogram_document(values, bins)
        self._artifacts(run_id).write_bytes(path, json.dumps(document).encode())

    def log_audio(
        self, run_id: str, samples: object, key: str, step: int = 0, *, sample_rate: int
    ) -> None:
        """Save ``samples`` at ``step`` as the 16-bit WAV file ``audio/<key>/step_<step>.wav``:
        floats in [-1, 1] or int16, a 1-D array for mono or samples x channels (numpy or a
        torch tensor), played at ``sample_rate`` samples per second. Raises
        ``InvalidParameter`` for a bad key, step, rate, shape, dtype or range.
        """
        path = media.media_path("audio", key, step)
        self._artifacts(run_id).write_bytes(path, media.wav_bytes(samples, sample_rate))

    def log_stream(self, run_id: str, stream: object, artifact_file: str) -> None:
        """Copy a binary file-like object (an open file, ``io.BytesIO``, ...) to the artifact
        file ``artifact_file``, chunk by chunk. Raises ``InvalidParameter`` for anything
        without a ``read`` that returns bytes.
        """
        if not callable(getattr(stream, "read", None)):
            raise InvalidParameter(
                f"log_stream takes a binary stream (with read()), got {type(stream).__name__}"
            )
        if isinstance(stream, io.TextIOBase):
            raise InvalidParameter("log_stream takes a binary stream; open the file with 'rb'")
        self._artifacts(run_id).upload_stream(artifact_file, stream)

    def log_table(
        self,
        run_id: str,
        data: object,
        artifact_file: str | None = None,
        *,
        key: str | None = None,
        step: int | None = None,
    ) -> None:
        """Save a table (a pandas DataFrame, or a dict of columns) as the artifact file
        ``artifact_file``: ``.json`` in pandas' "split" layout or ``.parquet``, as MLflow writes
        it. Logging to a file the run already has appends the rows. The run's
        ``mlflow.loggedArtifacts`` tag lists the table, so ``load_table`` finds it.

        Given ``key`` (and ``step``, 0 by default) instead, the table is the media
        ``tables/<key>/step_<step>.json`` (same layout) that ``lt.media`` shows over steps;
        logging a step again replaces it. Raises ``InvalidParameter`` for both a file and a
        key or neither, another suffix, another kind of data, or values that cannot be written.
        """
        import json

        if artifact_file is None and key is not None:
            path = _media_target("log_table", "table", artifact_file, key, step)
            self._artifacts(run_id).write_bytes(path, _table_bytes(_table_frame(data), path))
            return
        _media_target("log_table", "table", artifact_file, key, step)
        _check_table_file(artifact_file)
        data = _table_frame(data)
        repository = self._artifacts(run_id)
        existing = self._read_table(run_id, artifact_file, missing_ok=True)
        if existing is not None:
            import pandas as pd

            data = pd.concat([existing, data], ignore_index=True)
        repository.write_bytes(artifact_file, _table_bytes(data, artifact_file))
        logged = json.loads(self.get_run(run_id).data.tags.get(LOGGED_ARTIFACTS_TAG) or "[]")
        entry = {"path": artifact_file, "type": "table"}
        if entry not in logged:
            self.set_tag(run_id, LOGGED_ARTIFACTS_TAG, json.dumps([*logged, entry]))

    def load_table(
        self,
        experiment_id: str,
        artifact_file: str,
        run_ids: list[str] | None = None,
        extra_columns: list[str] | None = None,
    ) -> pd.DataFrame:
        """The table ``artifact_file`` that ``log_table`` logged, read from every run of the
        experiment that has it (or from ``run_ids`` only), as one DataFrame. ``extra_columns``
        names columns of ``search_runs``' frame (``run_id``, ``tags.x``, ``params.y``, ...)
        added to each row; a name the table already has gets an ``_`` appended. Raises
        ``NotFound`` if no run has the table.
        """
        import pandas as pd

        from labtrack.errors import NotFound

        _check_table_file(artifact_file)
        pattern = f'"path"%:%"{artifact_file}",%"type"%:%"table"'.replace("'", "''")
        filter_string = f"tags.`{LOGGED_ARTIFACTS_TAG}` LIKE '%{pattern}%'"
        if run_ids:
            quoted = ", ".join("'" + str(r).replace("'", "''") + "'" for r in run_ids)
            filter_string += f" AND attributes.run_id IN ({quoted})"
        runs = self.search_runs_frame([str(experiment_id)], filter_string)
        unknown = [c for c in extra_columns or () if c not in runs.columns]
        if unknown:
            raise InvalidParameter(
                f"extra column {unknown[0]!r} is not a column of search_runs' frame "
                "(run_id, status, tags.<key>, params.<key>, metrics.<key>, ...)"
            )
        if runs.empty:
            raise NotFound(f"no run of experiment {experiment_id} has the table {artifact_file!r}")
        tables = []
        for _, run in runs.iterrows():
            table = self._read_table(run["run_id"], artifact_file)
            for column in extra_columns or ():
                table[f"{column}_" if column in table else column] = run[column]
            tables.append(table)
        return pd.concat(tables, ignore_index=True)

    def _read_table(self, run_id: str, artifact_file: str, missing_ok: bool = False):
        import io

        import pandas as pd

        from labtrack.errors import NotFound

        self.writer.run_deferred()
        try:
            raw = self._artifacts(run_id).read_bytes(artifact_file)
        except NotFound:
            if missing_ok:
                return None
            raise
        if artifact_file.endswith(".json"):
            return pd.read_json(io.StringIO(raw.decode()), orient="split")
        return pd.read_parquet(io.BytesIO(raw))

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """The files and folders (``FileInfo``: path, is_dir, file_size) directly inside ``path`` of
        a run's artifacts (its top level by default).
        """
        self.writer.run_deferred()  # files this process is still writing in the background
        return self._artifacts(run_id).list_artifacts(path)

    def download_artifacts(self, run_id: str, path: str = "", dst_path: str | None = None) -> str:
        """Copy a run's artifact ``path`` (a file or folder; everything by default) to ``dst_path``
        (a new temporary folder by default) and return the local path of the copy. Raises
        ``NotFound`` if there is no such artifact.

        >>> local = client.download_artifacts(run_id, "model")  # doctest: +SKIP
        """
        self.writer.run_deferred()
        destination = dst_path or tempfile.mkdtemp(prefix="labtrack-")
        return self._artifacts(run_id).download_artifacts(path or None, destination)


# MLflow's run tag listing the tables log_table logged, which load_table searches.
LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"


def _check_table_file(artifact_file: object) -> None:
    if not isinstance(artifact_file, str) or not artifact_file.endswith((".json", ".parquet")):
        raise InvalidParameter(
            f"a table's artifact_file must be a .json or .parquet file name, got {artifact_file!r}"
        )


def _table_frame(data: object):
    """``data`` (a DataFrame, or a dict of columns, or of scalars for one row) as a DataFrame."""
    import pandas as pd

    if isinstance(data, dict):
        try:
            data = pd.DataFrame(data)
        except ValueError:  # all scalars, e.g. {"inputs": "What is MLflow?"}: one row
            data = pd.DataFrame([data])
    if not isinstance(data, pd.DataFrame):
        raise InvalidParameter(
            f"log_table takes a pandas DataFrame or a dict, got {type(data).__name__}"
        )
    return data


def _table_bytes(data, artifact_file: str) -> bytes:
    """A DataFrame as MLflow writes a table: pandas' "split" JSON or Parquet."""
    buffer = io.BytesIO()
    try:
        if artifact_file.endswith(".json"):
            buffer.write(data.to_json(orient="split", index=False, date_format="iso").encode())
        else:
            data.to_parquet(buffer, index=False)
    except (TypeError, ValueError, OverflowError, ImportError) as error:
        raise InvalidParameter(f"cannot save this table as {artifact_file!r}: {error}") from None
    return buffer.getvalue()


# MLflow's TypeError message for log_image's artifact_file given with key/step/timestamp.
_MLFLOW_FILE_OR_KEY = (
    "The `artifact_file` parameter cannot be used in conjunction with `key`, `step`, or "
    "`timestamp` parameters. Please ensure that `artifact_file` is specified alone, without "
    "any of these conflicting parameters."
)


def _media_target(
    method: str, kind: str, artifact_file: str | None, key: str | None, step: int | None
) -> str:
    """The path a ``log_*`` call writes: ``artifact_file``, or the media file of ``key`` at
    ``step`` (0 if None), both validated. MLflow's ``TypeError`` (as ``ArgumentConflict``) for
    a file with a key or step, or neither."""
    if artifact_file is not None:
        if key is not None or step is not None:
            raise media.ArgumentConflict(
                _MLFLOW_FILE_OR_KEY
                if method == "log_image"
                else f"{method} takes artifact_file, or key and step, not both"
            )
        return artifact_file
    if key is None:
        raise media.ArgumentConflict(
            "Invalid arguments: Please specify exactly one of `artifact_file` or `key`. Use "
            "`key` to log dynamic image charts or `artifact_file` for saving static images. "
            if method == "log_image"
            else f"{method} needs artifact_file, or key (and step)"
        )
    return media.media_path(kind, key, 0 if step is None else step)


def _matplotlib_bytes(figure: object, artifact_file: str, save_kwargs: dict) -> bytes:
    """A matplotlib figure saved with the caller's ``savefig`` arguments (MLflow's
    ``save_kwargs``); the format is the file name's unless they name one."""
    import io
    import posixpath

    if type(figure).__module__.split(".")[0] != "matplotlib" or not hasattr(figure, "savefig"):
        raise InvalidParameter(
            f"save_kwargs apply to matplotlib figures; got a {type(figure).__name__}"
        )
    buffer = io.BytesIO()
    suffix = posixpath.splitext(artifact_file)[1].lstrip(".").lower() or "png"
    figure.savefig(buffer, **{"format": suffix, "bbox_inches": "tight", **save_kwargs})
    return buffer.getvalue()
