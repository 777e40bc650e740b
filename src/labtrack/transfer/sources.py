"""What a copy reads: experiments, runs, metric histories, artifacts and registered models,
from a labtrack store (``ClientSource``) or anything else that can list them (MLflow's stores,
bundles). A source only reads; ``labtrack.transfer.copy`` writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from labtrack.entities import DatasetInput, LoggedModel, Metric, RunInfo, ViewType
from labtrack.entities.alert import Alert

if TYPE_CHECKING:
    from labtrack.artifacts import ArtifactRepository
    from labtrack.client import Client

# Listing pages: as large as the stores answer.
_PAGE = 10_000


@dataclass
class ExperimentRecord:
    """An experiment as a source has it: its id there, name and tags."""

    experiment_id: str
    name: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class RunRecord:
    """A run as a source has it: its info (ids of the source), params, tags and the latest
    point of each metric (the full histories are read only when copied)."""

    info: RunInfo
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    latest: list[Metric] = field(default_factory=list)

    @property
    def metric_keys(self) -> list[str]:
        """The keys of the run's metrics."""
        return sorted({m.key for m in self.latest})


@dataclass
class VersionRecord:
    """A model version: ``source`` is where its files are (``runs:/<run id>/<path>`` when in
    a run's artifacts)."""

    version: int
    source: str
    run_id: str | None = None
    description: str | None = None
    stage: str = "None"
    tags: dict[str, str] = field(default_factory=dict)
    run_link: str | None = None


@dataclass
class ModelRecord:
    """A registered model with its versions (numbers may have gaps: deleted versions) and
    aliases (alias -> version)."""

    name: str
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    versions: list[VersionRecord] = field(default_factory=list)


@dataclass
class LoggedModelRecord:
    """An MLflow 3 logged model as a source has it (ids of the source) and ``path``, where
    its files are in its run's artifacts (``None`` for a model logged without a run: its own
    files are copied, see ``Source.logged_model_files``)."""

    model: LoggedModel
    path: str | None = None


class Source:
    """What every source answers (each kind overrides all of it)."""

    description = "a source"

    def experiments(self) -> list[ExperimentRecord]:
        """The active experiments."""
        raise NotImplementedError

    def runs(self, experiment: ExperimentRecord) -> list[RunRecord]:
        """Every run of an experiment, deleted ones included."""
        raise NotImplementedError

    def metric_history(self, run: RunRecord, key: str) -> list[Metric]:
        """Every point of a metric, repeated steps and identical points included."""
        raise NotImplementedError

    def artifacts(self, run: RunRecord) -> dict[str, int | None]:
        """Every artifact file of a run (recursively): relative path -> size if known."""
        raise NotImplementedError

    def open_artifact(self, run: RunRecord, path: str) -> BinaryIO:
        """An artifact file's bytes, to read once."""
        raise NotImplementedError

    def models(self) -> list[ModelRecord]:
        """The registered models with their versions."""
        return []

    def logged_models(self, experiment: ExperimentRecord) -> list[LoggedModelRecord]:
        """The live logged models of an experiment."""
        return []

    def run_inputs(self, run: RunRecord) -> list[DatasetInput]:
        """The datasets a run used, with the tags of each use."""
        return []

    def run_alerts(self, run: RunRecord) -> list[Alert]:
        """The alerts on a run (``lt.alert``), oldest first."""
        return []

    def logged_model_files(self, record: LoggedModelRecord) -> dict[str, int | None]:
        """Every file of a logged model without a run: relative path -> size if known."""
        return walk(self._model_repository(record))

    def open_logged_model_file(self, record: LoggedModelRecord, path: str) -> BinaryIO:
        """A file of a logged model without a run, to read once."""
        return self._model_repository(record).open_read(path)

    def _model_repository(self, record: LoggedModelRecord) -> ArtifactRepository:
        from labtrack.artifacts import open_repository

        return open_repository(record.model.artifact_location)


def walk(repository: ArtifactRepository, path: str | None = None) -> dict[str, int | None]:
    """Every file under ``path`` of an artifact repository: relative path -> size."""
    files: dict[str, int | None] = {}
    for item in repository.list_artifacts(path):
        if item.is_dir:
            files.update(walk(repository, item.path))
        else:
            files[item.path] = item.file_size
    return files


def shown(uri: str) -> str:
    """A store's URI for messages: without the user and password it may carry."""
    scheme, separator, rest = uri.partition("://")
    if not separator:
        return uri
    netloc, slash, tail = rest.partition("/")
    return f"{scheme}://{netloc.rpartition('@')[2]}{slash}{tail}"


class ClientSource(Source):
    """A labtrack store (SQLite, PostgreSQL, or a tracking server over HTTP) read through
    ``labtrack.Client``."""

    def __init__(self, client: Client):
        self.client = client
        self.description = shown(client.tracking_uri)

    def experiments(self) -> list[ExperimentRecord]:
        """The active experiments."""
        return [
            ExperimentRecord(e.experiment_id, e.name, dict(e.tags))
            for e in self.client.search_experiments(ViewType.ACTIVE_ONLY)
        ]

    def runs(self, experiment: ExperimentRecord) -> list[RunRecord]:
        """Every run of an experiment, page by page (deleted ones included)."""
        records, token = [], None
        while True:
            page = self.client.search_runs(
                [experiment.experiment_id],
                run_view_type=ViewType.ALL,
                max_results=_PAGE,
                page_token=token,
            )
            records.extend(
                RunRecord(
                    run.info,
                    dict(run.data.params),
                    dict(run.data.tags),
                    list(run.data.latest_metrics)
                    or [Metric(k, v, 0, 0) for k, v in run.data.metrics.items()],
                )
                for run in page
            )
            token = page.token
            if not token:
                return records

    def metric_history(self, run: RunRecord, key: str) -> list[Metric]:
        """Every point of a metric."""
        return self.client.get_metric_history(run.info.run_id, key)

    def _repository(self, run: RunRecord) -> ArtifactRepository:
        return self.client.artifact_repository(run.info.artifact_uri)

    def artifacts(self, run: RunRecord) -> dict[str, int | None]:
        """Every artifact file of a run."""
        return walk(self._repository(run))

    def open_artifact(self, run: RunRecord, path: str) -> BinaryIO:
        """An artifact file's bytes."""
        return self._repository(run).open_read(path)

    def logged_models(self, experiment: ExperimentRecord) -> list[LoggedModelRecord]:
        """The live logged models of an experiment, each with its folder in its run."""
        records, token, roots = [], None, {}
        while True:
            page = self.client.search_logged_models(
                [experiment.experiment_id], max_results=1000, page_token=token
            )
            for model in page:
                path = None
                if model.source_run_id:
                    if model.source_run_id not in roots:
                        run = self.client.get_run(model.source_run_id)
                        roots[model.source_run_id] = run.info.artifact_uri.rstrip("/") + "/"
                    root = roots[model.source_run_id]
                    location = model.artifact_location.rstrip("/")
                    path = location[len(root) :] if location.startswith(root) else model.name
                records.append(LoggedModelRecord(model, path))
            token = page.token
            if not token:
                return records

    def _model_repository(self, record: LoggedModelRecord) -> ArtifactRepository:
        return self.client.artifact_repository(record.model.artifact_location)

    def run_inputs(self, run: RunRecord) -> list[DatasetInput]:
        """The datasets a run used (``get_run``'s inputs)."""
        inputs = self.client.get_run(run.info.run_id).inputs
        return list(inputs.dataset_inputs) if inputs is not None else []

    def run_alerts(self, run: RunRecord) -> list[Alert]:
        """The alerts on a run, oldest first (``search_alerts``)."""
        return list(self.client.search_alerts(run_ids=[run.info.run_id], max_results=10_000))

    def models(self) -> list[ModelRecord]:
        """Every registered model with its versions and aliases."""
        models, token = [], None
        while True:
            page = self.client.search_registered_models(max_results=1000, page_token=token)
            for model in page:
                versions = [
                    VersionRecord(
                        int(v.version),
                        v.source,
                        v.run_id,
                        v.description,
                        v.current_stage,
                        dict(v.tags),
                        v.run_link,
                    )
                    for v in self._versions(model.name)
                ]
                models.append(
                    ModelRecord(
                        model.name,
                        model.description,
                        dict(model.tags),
                        {alias: int(v) for alias, v in model.aliases.items()},
                        sorted(versions, key=lambda v: v.version),
                    )
                )
            token = page.token
            if not token:
                return models

    def _versions(self, name: str) -> list:
        quoted = name.replace("'", "\\'")
        versions, token = [], None
        while True:
            page = self.client.search_model_versions(
                f"name = '{quoted}'", max_results=10_000, page_token=token
            )
            versions.extend(page)
            token = page.token
            if not token:
                return versions
