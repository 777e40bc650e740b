"""Copying a source (``labtrack.transfer.sources``) into a destination store through
``labtrack.Client``: experiments by name, runs with their ids, every metric point, artifacts,
and on request the model registry.

Idempotent and resumable. A run is written in this order: the run itself (id, name, times,
status, user), params and tags, the metric points the destination lacks, the artifact files it
lacks, and last the ``labtrack.copy.fingerprint`` tag, a digest of what the source run was. A
later copy skips a run whose fingerprint matches; a run it finds without one (an interrupted
copy) or with another (the source run changed) is completed: only what is missing is written,
so nothing is ever duplicated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from labtrack.entities import (
    LifecycleStage,
    LoggedModel,
    LoggedModelStatus,
    Metric,
    Param,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from labtrack.errors import AlreadyExists, InvalidParameter, NotFound
from labtrack.transfer import TransferError
from labtrack.transfer.sources import (
    ClientSource,
    ExperimentRecord,
    LoggedModelRecord,
    ModelRecord,
    RunRecord,
    Source,
    shown,
    walk,
)

if TYPE_CHECKING:
    from labtrack.client import Client

# The tag that marks a run completely copied: a digest of the source run (see the module).
FINGERPRINT_TAG = "labtrack.copy.fingerprint"
# Where the destination cannot keep run ids (an MLflow server): the source run's id.
SOURCE_RUN_TAG = "labtrack.copy.source_run_id"
# Tags a copy writes itself: never copied on, never part of a fingerprint.
COPY_TAGS = (FINGERPRINT_TAG, SOURCE_RUN_TAG)
# Points per log_batch call (the HTTP store splits them within MLflow's limits).
_POINTS_PER_CALL = 10_000
_PAGE = 10_000


@dataclass
class Report:
    """What a copy did: counts of what it wrote and of runs already up to date."""

    experiments_created: int = 0
    runs_copied: int = 0
    runs_up_to_date: int = 0
    metric_points: int = 0
    artifact_files: int = 0
    models_changed: int = 0
    versions_created: int = 0
    logged_models_copied: int = 0
    run_ids: dict[str, str] = field(default_factory=dict)  # source id -> destination id

    @property
    def copied_nothing(self) -> bool:
        """Whether the destination was already up to date."""
        return not (
            self.experiments_created
            or self.runs_copied
            or self.models_changed
            or self.logged_models_copied
        )

    def summary(self) -> str:
        """One line for people."""
        if self.copied_nothing:
            return f"nothing to copy: {self.runs_up_to_date} runs already up to date"
        parts = [
            f"{self.runs_copied} runs copied ({self.metric_points} metric points, "
            f"{self.artifact_files} artifact files)",
            f"{self.runs_up_to_date} already up to date",
        ]
        if self.logged_models_copied:
            parts.append(f"{self.logged_models_copied} logged models copied")
        if self.experiments_created:
            parts.append(f"{self.experiments_created} experiments created")
        if self.models_changed:
            parts.append(
                f"{self.models_changed} registered models updated "
                f"({self.versions_created} versions created)"
            )
        return "; ".join(parts)


def parse_since(since: str | dt.datetime | int | None) -> int | None:
    """``since`` as milliseconds since the epoch: a datetime, an ISO date or date-time
    (``2026-01-31``, ``2026-01-31T12:00``; UTC unless it says otherwise) or milliseconds."""
    if since is None or isinstance(since, int) and not isinstance(since, bool):
        return since
    if isinstance(since, str):
        try:
            since = dt.datetime.fromisoformat(since.strip())
        except ValueError:
            raise TransferError(
                f"--since takes a date such as 2026-01-31 or 2026-01-31T12:00, got {since!r}"
            ) from None
    if not isinstance(since, dt.datetime):
        raise TransferError(f"since must be a date, a datetime or milliseconds, got {since!r}")
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.timezone.utc)
    return int(since.timestamp() * 1000)


def fingerprint(run: RunRecord) -> str:
    """A digest of what a source run is (info, params, tags, latest metric points): equal
    digests mean nothing to copy again."""
    info = run.info
    content = {
        "info": [info.run_name, info.status, info.start_time, info.end_time],
        "stage": info.lifecycle_stage,
        "params": sorted(run.params.items()),
        "tags": sorted((k, v) for k, v in run.tags.items() if k not in COPY_TAGS),
        "latest": sorted((m.key, m.step, m.timestamp, _value_key(m.value)) for m in run.latest),
    }
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()[:32]


def _value_key(value: float) -> str:
    """A metric value as a key: NaN equals NaN here, and floats compare exactly."""
    return "nan" if math.isnan(value) else repr(float(value))


def _point_key(m: Metric) -> tuple:
    return (m.step, m.timestamp, _value_key(m.value))


def _alert_key(alert) -> tuple:
    value = alert.metric_value
    return (alert.timestamp, alert.title, alert.text, alert.level, alert.metric_key, alert.step) + (
        None if value is None else _value_key(value),
    )


def _input_key(item) -> tuple:
    return (item.dataset, tuple(sorted((t.key, t.value) for t in item.tags)))


def _content(model: LoggedModel) -> tuple:
    """What a copy of a logged model keeps, to compare a source's with a destination's."""
    points = Counter(
        (
            m.key,
            m.step,
            m.timestamp,
            _value_key(m.value),
            m.run_id,
            m.dataset_name,
            m.dataset_digest,
        )
        for m in model.metrics
    )
    return (
        model.name,
        model.status,
        model.status_message or None,
        model.model_type or None,
        model.source_run_id or None,
        model.creation_timestamp,
        dict(model.tags),
        dict(model.params),
        points,
    )


def missing_points(source: Sequence[Metric], destination: Sequence[Metric]) -> list[Metric]:
    """The points of ``source`` that ``destination`` lacks, counting repeats: a point logged
    twice at the source and once at the destination is missing once."""
    have = Counter(_point_key(m) for m in destination)
    missing = []
    for m in source:
        key = _point_key(m)
        if have[key]:
            have[key] -= 1
        else:
            missing.append(m)
    return missing


class Copier:
    """Copies a ``Source`` into the store of ``destination`` (a ``labtrack.Client``).

    ``keep_ids`` (the default) creates runs with their source ids; without it (a destination
    that cannot, such as an MLflow server) runs get new ids and the source id is kept in the
    ``labtrack.copy.source_run_id`` tag, by which later copies find them."""

    def __init__(
        self,
        source: Source,
        destination: Client,
        *,
        keep_ids: bool = True,
        progress: bool = False,
    ):
        self.source = source
        self.dst = destination
        self.keep_ids = keep_ids
        self.progress = progress
        self.report = Report()

    # -- the whole copy ---------------------------------------------------------------------

    def copy(
        self,
        experiments: Iterable[str] | None = None,
        since: str | dt.datetime | int | None = None,
        registry: bool = False,
        runs: Iterable[str] | None = None,
    ) -> Report:
        """Copy the experiments named (all by default), their runs (those started or ended
        since ``since``, or only the run ids in ``runs``), and with ``registry`` every
        registered model. Returns the ``Report``."""
        since_ms = parse_since(since)
        chosen = self._choose(experiments)
        wanted = set(runs) if runs is not None else None
        plan: list[tuple[ExperimentRecord, list[RunRecord]]] = []
        for experiment in chosen:
            records = [
                run
                for run in self.source.runs(experiment)
                if (wanted is None or run.info.run_id in wanted)
                and (
                    since_ms is None
                    or max(run.info.start_time or 0, run.info.end_time or 0) >= since_ms
                )
            ]
            plan.append((experiment, records))
        from tqdm import tqdm

        total = sum(len(records) for _, records in plan)
        with tqdm(
            total=total, unit="run", desc="copying runs", disable=not self.progress, file=sys.stderr
        ) as bar:
            for experiment, records in plan:
                if not records and (wanted is not None or since_ms is not None):
                    continue
                experiment_id = self._experiment(experiment)
                existing = self._existing_runs(experiment_id)
                for run in records:
                    self._copy_run(run, experiment_id, existing)
                    bar.update(1)
                if self.keep_ids:  # an MLflow server gives model ids of its own: not kept
                    self._logged_models(experiment, experiment_id)
        if registry:
            for model in self.source.models():
                self._copy_model(model)
        return self.report

    def _choose(self, names: Iterable[str] | None) -> list[ExperimentRecord]:
        experiments = self.source.experiments()
        if names is None:
            return experiments
        names = list(names)
        by_name = {e.name: e for e in experiments}
        unknown = [name for name in names if name not in by_name]
        if unknown:
            raise NotFound(
                f"no experiment named {', '.join(map(repr, unknown))} in {self.source.description}"
            )
        return [by_name[name] for name in dict.fromkeys(names)]

    # -- experiments --------------------------------------------------------------------------

    def _experiment(self, experiment: ExperimentRecord) -> str:
        """The destination's experiment of that name (created if missing, tags brought up
        to date); its id."""
        found = self.dst.get_experiment_by_name(experiment.name)
        if found is None:
            self.report.experiments_created += 1
            return self.dst.create_experiment(experiment.name, tags=experiment.tags)
        if found.lifecycle_stage != LifecycleStage.ACTIVE:
            raise TransferError(
                f"experiment {experiment.name!r} is deleted in the destination "
                f"{shown(self.dst.tracking_uri)}: restore it (or rename it) first"
            )
        for key, value in experiment.tags.items():
            if found.tags.get(key) != value:
                self.dst.set_experiment_tag(found.experiment_id, key, value)
        return found.experiment_id

    def _existing_runs(self, experiment_id: str) -> dict[str, Any]:
        """The destination's runs of an experiment by the source id they were copied from."""
        runs, token = {}, None
        while True:
            page = self.dst.search_runs(
                [experiment_id], run_view_type=ViewType.ALL, max_results=_PAGE, page_token=token
            )
            for run in page:
                key = run.info.run_id if self.keep_ids else run.data.tags.get(SOURCE_RUN_TAG)
                if key:
                    runs[key] = run
            token = page.token
            if not token:
                return runs

    # -- runs ---------------------------------------------------------------------------------

    def _copy_run(self, run: RunRecord, experiment_id: str, existing: dict[str, Any]) -> None:
        digest = fingerprint(run)
        deleted = run.info.lifecycle_stage == LifecycleStage.DELETED
        found = existing.get(run.info.run_id)
        if found is not None:
            run_id = found.info.run_id
            self.report.run_ids[run.info.run_id] = run_id
            if found.data.tags.get(FINGERPRINT_TAG) == digest:
                self._set_deleted(run_id, found.info.lifecycle_stage, deleted)
                self.report.runs_up_to_date += 1
                return
            # A deleted run takes no writes on an MLflow server: restored while written.
            self._set_deleted(run_id, found.info.lifecycle_stage, False)
            if (found.info.status, found.info.end_time) != (run.info.status, run.info.end_time):
                self.dst.store.runs.update_run(
                    run_id, status=run.info.status, end_time=run.info.end_time
                )
        else:
            active = replace(run.info, lifecycle_stage=LifecycleStage.ACTIVE)
            run_id = self._create_run(active, experiment_id)
            self.report.run_ids[run.info.run_id] = run_id
        had = found.data if found is not None else None
        self._params_and_tags(run, run_id, had)
        self._inputs(run, run_id, had is not None)
        self._alerts(run, run_id, had is not None)
        for key in run.metric_keys:
            self._metric(run, run_id, key, had is not None)
        if self.dst.writer.spool_pending:  # points only on local disk: not complete yet
            raise TransferError(
                f"{shown(self.dst.tracking_uri)} stopped answering while run {run_id} was "
                "copied (its points wait in the local spool): run the copy again once it is back"
            )
        self._artifacts(run, run_id, had is not None)
        # Last: the mark that the run is complete, then its lifecycle.
        self.dst.set_tag(run_id, FINGERPRINT_TAG, digest)
        self._set_deleted(run_id, LifecycleStage.ACTIVE, deleted)
        self.report.runs_copied += 1

    def _set_deleted(self, run_id: str, stage: str, deleted: bool) -> None:
        if deleted and stage != LifecycleStage.DELETED:
            self.dst.delete_run(run_id)
        elif not deleted and stage == LifecycleStage.DELETED:
            self.dst.restore_run(run_id)

    def _create_run(self, info: RunInfo, experiment_id: str) -> str:
        store = self.dst.store
        if not self.keep_ids:
            tags = {SOURCE_RUN_TAG: info.run_id}
            if info.user_id:
                tags["mlflow.user"] = info.user_id
            created = self.dst.create_run(
                experiment_id, start_time=info.start_time, tags=tags, run_name=info.run_name or None
            )
            run_id = created.info.run_id
            if info.status != RunStatus.RUNNING:
                self.dst.set_terminated(run_id, info.status, info.end_time)
            return run_id
        wanted = replace(info, experiment_id=experiment_id)
        try:
            if store.http is None:  # a SQL store
                store.runs.import_run(wanted)
            else:
                self._import_over_http(wanted)
        except AlreadyExists:
            raise TransferError(
                f"run {info.run_id} exists in {shown(self.dst.tracking_uri)} in another experiment "
                f"than {experiment_id}: move or delete it there first"
            ) from None
        return info.run_id

    def _import_over_http(self, info: RunInfo) -> None:
        body = {
            "run_id": info.run_id,
            "experiment_id": info.experiment_id,
            "run_name": info.run_name,
            "start_time": info.start_time,
            "status": info.status,
            "lifecycle_stage": info.lifecycle_stage,
            "user_id": info.user_id,
        }
        if info.end_time is not None:
            body["end_time"] = info.end_time
        try:
            self.dst.store.http.call("POST", "runs/import", body)
        except NotFound as error:
            if "experiment" in str(error).lower():
                raise
            raise TransferError(
                f"{shown(self.dst.tracking_uri)} cannot create runs with given ids (only labtrack "
                "server can): to copy to an MLflow server, use `labtrack export --to mlflow`, "
                "which records each source run id in a tag"
            ) from None

    def _params_and_tags(self, run: RunRecord, run_id: str, had) -> None:
        params = dict(run.params)
        tags = {k: v for k, v in run.tags.items() if k not in COPY_TAGS}
        if had is not None:
            params = {k: v for k, v in params.items() if had.params.get(k) != v}
            tags = {k: v for k, v in tags.items() if had.tags.get(k) != v}
        if params or tags:
            self.dst.log_batch(
                run_id,
                params=[Param(k, v) for k, v in params.items()],
                tags=[RunTag(k, v) for k, v in tags.items()],
                synchronous=True,
            )

    def _inputs(self, run: RunRecord, run_id: str, existed: bool) -> None:
        """The datasets the run used, those the destination's run lacks."""
        inputs = self.source.run_inputs(run)
        if inputs and existed:
            have = self.dst.get_run(run_id).inputs
            known = {_input_key(i) for i in (have.dataset_inputs if have else ())}
            inputs = [i for i in inputs if _input_key(i) not in known]
        if inputs:
            self.dst.log_inputs(run_id, datasets=inputs)

    def _alerts(self, run: RunRecord, run_id: str, existed: bool) -> None:
        """The alerts on the run that the destination's run lacks, with their times and
        points (not posted to a webhook again). A destination without alerts (an MLflow
        server) keeps none."""
        alerts = self.source.run_alerts(run)
        if alerts and existed:
            known = Counter(_alert_key(a) for a in self.dst.search_alerts(run_ids=[run_id]))
            missing = []
            for alert in alerts:  # as many copies of a repeated alert as the source has
                if known[_alert_key(alert)]:
                    known[_alert_key(alert)] -= 1
                else:
                    missing.append(alert)
            alerts = missing
        for alert in alerts:
            try:
                self.dst.store.alerts.add_alert(
                    run_id,
                    alert.title,
                    alert.text,
                    alert.level,
                    alert.timestamp,
                    alert.metric_key,
                    alert.metric_value,
                    alert.step,
                )
            except InvalidParameter as error:
                if "keeps no alerts" not in str(error):
                    raise
                return

    def _metric(self, run: RunRecord, run_id: str, key: str, existed: bool) -> None:
        points = self.source.metric_history(run, key)
        if existed:
            points = missing_points(points, self.dst.get_metric_history(run_id, key))
        for start in range(0, len(points), _POINTS_PER_CALL):
            self.dst.log_batch(
                run_id,
                metrics=[
                    Metric(key, m.value, m.timestamp, m.step)
                    for m in points[start : start + _POINTS_PER_CALL]
                ],
                synchronous=True,
            )
        self.report.metric_points += len(points)

    def _artifacts(self, run: RunRecord, run_id: str, existed: bool) -> None:
        files = self.source.artifacts(run)
        if not files:
            return
        repository = self.dst.artifact_repository(self.dst.get_run(run_id).info.artifact_uri)
        have = walk(repository) if existed else {}
        for path, size in sorted(files.items()):
            if path in have and (size is None or have[path] in (None, size)):
                continue
            with self.source.open_artifact(run, path) as stream:
                repository.upload_stream(path, stream)
            self.report.artifact_files += 1

    # -- logged models (MLflow 3) -------------------------------------------------------------

    def _logged_models(self, experiment: ExperimentRecord, experiment_id: str) -> None:
        """Copy the logged models of an experiment's copied runs (and those logged without a
        run) with their ids; one the destination has as the source does is skipped."""
        for record in self.source.logged_models(experiment):
            model = record.model
            if model.source_run_id and model.source_run_id not in self.report.run_ids:
                continue  # its run was not copied (since, runs): nor is it
            try:
                have = self.dst.get_logged_model(model.model_id)
            except NotFound:
                have = None
            if have is not None and _content(have) == _content(model):
                continue
            store = self.dst.store.logged_models
            model = replace(model, experiment_id=experiment_id)
            if not model.source_run_id:
                # Its own files: written while the model is PENDING, so that an interrupted
                # copy differs from the source and is completed by the next one.
                pending = replace(model, status=LoggedModelStatus.PENDING)
                created = store.import_logged_model(pending, experiment_id)
                self._model_files(record, created.artifact_location, have is not None)
            store.import_logged_model(model, experiment_id, record.path)
            self.report.logged_models_copied += 1

    def _model_files(self, record: LoggedModelRecord, location: str, existed: bool) -> None:
        files = self.source.logged_model_files(record)
        repository = self.dst.artifact_repository(location)
        have = walk(repository) if existed else {}
        for path, size in sorted(files.items()):
            if path in have and (size is None or have[path] in (None, size)):
                continue
            with self.source.open_logged_model_file(record, path) as stream:
                repository.upload_stream(path, stream)
            self.report.artifact_files += 1

    # -- the registry -------------------------------------------------------------------------

    def _copy_model(self, model: ModelRecord) -> None:
        changed = False
        try:
            have = self.dst.get_registered_model(model.name)
        except NotFound:
            self.dst.create_registered_model(model.name, model.tags, model.description)
            have_tags, have_aliases, have_description = dict(model.tags), {}, model.description
            changed = True
        else:
            have_tags, have_aliases = dict(have.tags), dict(have.aliases)
            have_description = have.description
        if (model.description or None) != (have_description or None):
            self.dst.update_registered_model(model.name, model.description)
            changed = True
        for key, value in model.tags.items():
            if have_tags.get(key) != value:
                self.dst.set_registered_model_tag(model.name, key, value)
                changed = True
        versions = {v.version: v for v in model.versions}
        existing = {int(v.version): v for v in ClientSource(self.dst)._versions(model.name)}
        # Version numbers are the destination's to give, in order: a deleted version (a gap)
        # is given and deleted again, so that the numbers (and the aliases) match.
        for number in range(1, max(versions, default=0) + 1):
            want = versions.get(number)
            if number in existing:
                if want is not None:
                    changed |= self._update_version(model.name, want, existing[number])
                continue
            if existing and number < max(existing):
                continue  # deleted in the destination: not brought back
            template = want or model.versions[0]
            created = self.dst.create_model_version(
                model.name,
                self._source_of(template),
                run_id=self.report.run_ids.get(template.run_id or "", template.run_id),
                tags=template.tags if want else None,
                run_link=template.run_link if want else None,
                description=template.description if want else None,
            )
            if int(created.version) != number:
                raise TransferError(
                    f"registered model {model.name!r} in {shown(self.dst.tracking_uri)} has versions "
                    f"the source does not have: version {number} came out as {created.version}"
                )
            if want is None:
                self.dst.delete_model_version(model.name, number)
            elif want.stage not in ("None", "", None):
                self.dst.transition_model_version_stage(model.name, number, want.stage)
            self.report.versions_created += 1
            changed = True
        for alias, number in model.aliases.items():
            if int(have_aliases.get(alias, -1)) != number:
                self.dst.set_registered_model_alias(model.name, alias, number)
                changed = True
        if changed:
            self.report.models_changed += 1

    def _update_version(self, name: str, want, have) -> bool:
        changed = False
        if (want.description or None) != (have.description or None):
            self.dst.update_model_version(name, want.version, want.description)
            changed = True
        for key, value in want.tags.items():
            if have.tags.get(key) != value:
                self.dst.set_model_version_tag(name, want.version, key, value)
                changed = True
        if (want.stage or "None") != (have.current_stage or "None"):
            self.dst.transition_model_version_stage(name, want.version, want.stage)
            changed = True
        return changed

    def _source_of(self, version) -> str:
        """A version's source in the destination: ``runs:/`` URIs name the copied run."""
        source = version.source
        if source.startswith("runs:/"):
            run_id, _, path = source[len("runs:/") :].partition("/")
            return f"runs:/{self.report.run_ids.get(run_id, run_id)}/{path}"
        return source


def check_source_exists(uri: str) -> None:
    """Refuse a source SQLite file that does not exist: opening it would create an empty
    store, and a mistyped path would copy nothing without a word."""
    from pathlib import Path

    from labtrack import env

    resolved = env.resolve_tracking_uri(uri)
    database = resolved.removeprefix("sqlite:///").partition("?")[0]
    if resolved.startswith("sqlite:///") and database != ":memory:":
        if not Path(database).is_file():
            raise TransferError(f"{database}: no such store to copy from")


def sync(
    src_uri: str,
    dst_uri: str,
    *,
    experiments: Iterable[str] | None = None,
    since: str | dt.datetime | int | None = None,
    registry: bool = False,
    progress: bool = False,
) -> Report:
    """Copy experiments, runs (with their ids), params, tags, full metric histories and
    artifacts, and with ``registry`` the registered models (versions, aliases, stages, tags),
    from one labtrack store to another: SQLite, PostgreSQL or ``labtrack server`` (an http
    URI), in any direction.

    ``experiments`` names the experiments to copy (all active ones by default); ``since``
    (a date, datetime or milliseconds) copies only runs started or ended since then. Running
    it again copies only what changed; an interrupted sync is completed by the next one.
    Returns a ``Report``.

    >>> sync("sqlite:///laptop.db", "http://tracking:5000", registry=True)  # doctest: +SKIP
    """
    from labtrack.client import Client

    if src_uri == dst_uri:
        raise TransferError(f"source and destination are the same store: {shown(src_uri)}")
    check_source_exists(src_uri)
    copier = Copier(ClientSource(Client(src_uri)), Client(dst_uri), progress=progress)
    return copier.copy(experiments, since, registry)
