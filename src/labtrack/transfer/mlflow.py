"""MLflow in and out: ``import_mlflow`` reads an MLflow file store, database or server into a
labtrack store; ``export_mlflow`` writes a labtrack store to an MLflow server or an ``mlruns``
folder. MLflow itself is never imported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from labtrack.entities import LoggedModel
from labtrack.transfer.copy import Copier, Report
from labtrack.transfer.mlflow_source import MlflowSource
from labtrack.transfer.sources import ClientSource, Source

if TYPE_CHECKING:
    from labtrack.artifacts import ArtifactRepository
    from labtrack.client import Client

_DATABASE_SCHEMES = ("sqlite:", "postgresql:", "postgresql+", "mysql:", "mysql+", "mssql")


def _is_http(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def mlflow_source(src: str | Path) -> Source:
    """The source for an MLflow store: a server (``http(s)://``, read over its REST API), a
    database (``sqlite:///mlflow.db``, ``postgresql://...``) or a file store folder."""
    text = str(src)
    if _is_http(text):
        return MlflowServerSource(text)
    if text.startswith(_DATABASE_SCHEMES):
        from labtrack.transfer.mlflow_db import MlflowDatabaseSource

        return MlflowDatabaseSource(text)
    from labtrack.transfer.mlflow_files import MlflowFileSource

    return MlflowFileSource(src)


class MlflowServerSource(MlflowSource):
    """A running MLflow server, read over its REST API (labtrack's HTTP store) whole when
    opened, its logged models included."""

    def __init__(self, uri: str):
        from labtrack.client import Client

        self.client = Client(uri)
        reader = ClientSource(self.client)
        super().__init__(reader.description)
        self._experiments = reader.experiments()
        for experiment in self._experiments:
            runs = self._runs[experiment.experiment_id] = reader.runs(experiment)
            for run in runs:
                self._inputs[run.info.run_id] = reader.run_inputs(run)
                for key in run.metric_keys:
                    self._histories[(run.info.run_id, key)] = reader.metric_history(run, key)
            self._logged_models.extend(self._logged(experiment.experiment_id))
        self._models = reader.models()
        self._settle()

    def _logged(self, experiment_id: str) -> list[LoggedModel]:
        found, token = [], None
        while True:
            page = self.client.search_logged_models([experiment_id], page_token=token)
            found.extend(page)
            token = page.token
            if not token:
                return found

    def _open(self, root: str) -> ArtifactRepository:
        return self.client.artifact_repository(root)  # mlflow-artifacts:/ through the server


def import_mlflow(
    src: str | Path,
    client: Client | str | None = None,
    *,
    experiments: Iterable[str] | None = None,
    since: str | dt.datetime | int | None = None,
    registry: bool = True,
    progress: bool = False,
) -> Report:
    """Import an MLflow store into a labtrack store (``client``'s, a tracking URI, or the
    current one): experiments, runs with their ids, params, tags, every metric point,
    artifacts, and registered models with their versions, aliases, stages and tags.

    ``src`` is an MLflow file store folder (``mlruns/``), an MLflow database URI
    (``sqlite:///mlflow.db``, ``postgresql://...``) or a running MLflow server
    (``http://host:5000``). The source is read and checked whole before anything is written:
    a folder that is no MLflow store or a database schema this labtrack does not know raises
    ``TransferError`` and leaves the destination as it was. Importing again copies only what
    changed. MLflow 3's logged models keep their ids (``models:/m-...`` loads, and
    ``search_logged_models`` finds them) with their name, status, type, params, tags and
    linked metrics; their files are copied into the artifacts of the run that logged them,
    where labtrack's ``log_model`` keeps them, and registered versions point there
    (``runs:/<run id>/<name>``). The datasets runs used come along too.

    >>> import_mlflow("mlruns", "sqlite:///labtrack.db")  # doctest: +SKIP
    """
    from labtrack.client import Client

    destination = client if isinstance(client, Client) else Client(client)
    source = mlflow_source(src)
    return Copier(source, destination, progress=progress).copy(experiments, since, registry)


def export_mlflow(
    client: Client | str | None,
    dest: str | Path,
    *,
    experiments: Iterable[str] | None = None,
    since: str | dt.datetime | int | None = None,
    registry: bool = False,
    progress: bool = False,
) -> Report:
    """Export a labtrack store (``client``'s, a tracking URI, or the current one) to MLflow.

    ``dest`` is an MLflow server URL or a folder written in MLflow's file-store layout
    (``mlruns/``, which ``mlflow.set_tracking_uri("file:///...")`` reads). A folder keeps run
    ids; a server gives new ones, and each run records its labtrack id in the
    ``labtrack.copy.source_run_id`` tag, by which exporting again finds it (idempotent).

    >>> export_mlflow("sqlite:///labtrack.db", "http://mlflow:5000")  # doctest: +SKIP
    """
    from labtrack.client import Client

    source_client = client if isinstance(client, Client) else Client(client)
    source = ClientSource(source_client)
    text = str(dest)
    if _is_http(text):
        copier = Copier(source, Client(text), keep_ids=False, progress=progress)
        return copier.copy(experiments, since, registry)
    from labtrack.transfer.mlflow_files import write_file_store

    return write_file_store(
        source,
        Path(text[len("file://") :]) if text.startswith("file://") else Path(text),
        experiments=list(experiments) if experiments is not None else None,
        since=since,
        registry=registry,
    )
