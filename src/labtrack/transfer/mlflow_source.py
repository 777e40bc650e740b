"""What MLflow's file store and database have in common as a source: everything is read (and
so checked) before anything is written, and MLflow 3's logged models come along with their
ids, their files in the run that logged them.

A logged model (``models:/m-...``) keeps its id, and one with a source run has its files
copied into that run's artifacts under its name (``model``, as MLflow 2 kept it;
``models/<model id>`` if the run has such a path already), where labtrack's ``log_model``
keeps a model's files; a registered version of it points there: ``runs:/<run id>/model``,
what labtrack's registry and ``lt.pyfunc.load_model`` read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from labtrack.entities import DatasetInput, LoggedModel, Metric
from labtrack.entities.logged_model import MODEL_ID
from labtrack.transfer import TransferError
from labtrack.transfer.sources import (
    ExperimentRecord,
    LoggedModelRecord,
    ModelRecord,
    RunRecord,
    Source,
    VersionRecord,
    walk,
)

if TYPE_CHECKING:
    from labtrack.artifacts import ArtifactRepository

# MLflow's run statuses as its file store writes them (mlflow.entities.RunStatus).
STATUS_NAMES = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}


class MlflowSource(Source):
    """A source read whole up front: the readers fill ``_experiments``, ``_runs`` (by
    experiment id), ``_histories`` (by run id and key), ``_inputs`` (by run id), ``_logged_models``
    and ``_models``,
    then call ``_settle``."""

    def __init__(self, description: str):
        self.description = description
        self._experiments: list[ExperimentRecord] = []
        self._runs: dict[str, list[RunRecord]] = {}
        self._histories: dict[tuple[str, str], list[Metric]] = {}
        self._logged_models: list[LoggedModel] = []
        self._inputs: dict[str, list[DatasetInput]] = {}  # run id -> the datasets it used
        self._models: list[ModelRecord] = []
        # run id -> [(prefix in the run's artifacts, root of the files)]
        self._roots: dict[str, list[tuple[str, str]]] = {}
        self._model_paths: dict[str, tuple[str, str]] = {}  # logged model id -> (run, prefix)

    # -- what the readers call ----------------------------------------------------------------

    def _settle(self) -> None:
        """Place each logged model in its run's artifacts and point versions at it; check
        that every artifact root can be opened."""
        runs = {r.info.run_id: r for rs in self._runs.values() for r in rs}
        for run_id, run in runs.items():
            self._roots.setdefault(run_id, []).insert(0, ("", self._run_root(run)))
        for model in self._logged_models:
            if model.source_run_id not in runs:
                # Without a run: its own files come along (Source.logged_model_files).
                self._repository(model.artifact_location, model.model_id)
                continue
            taken = {p for p, _ in self._roots[model.source_run_id]}
            free = model.name and model.name not in taken
            if free and not self._has_path(model.source_run_id, model.name):
                prefix = model.name
            else:
                prefix = f"models/{model.model_id}"
            self._roots[model.source_run_id].append((prefix, model.artifact_location))
            self._model_paths[model.model_id] = (model.source_run_id, prefix)
        for model in self._models:
            for version in model.versions:
                version.source = self._version_source(version, runs)
        for run_id, roots in self._roots.items():
            for _, root in roots:
                self._repository(root, run_id)  # fails here, before anything is written

    def _run_root(self, run: RunRecord) -> str:
        """Where a run's own artifacts are (a reader may know better than the run's URI)."""
        return run.info.artifact_uri

    def _has_path(self, run_id: str, path: str) -> bool:
        root = self._roots[run_id][0][1]
        return any(
            f == path or f.startswith(path + "/") for f in walk(self._repository(root, run_id))
        )

    def _version_source(self, version: VersionRecord, runs: dict) -> str:
        source = version.source or ""
        if source.startswith("models:/m-"):
            placed = self._model_paths.get(source[len("models:/") :].split("/")[0])
            if placed:
                version.run_id = version.run_id or placed[0]
                return f"runs:/{placed[0]}/{placed[1]}"
        run = runs.get(version.run_id or "")
        if run is not None and not source.startswith("runs:/"):
            root = run.info.artifact_uri.rstrip("/")
            if source.rstrip("/").startswith(root + "/"):
                return f"runs:/{version.run_id}/{source.rstrip('/')[len(root) + 1 :]}"
        return source

    def _open(self, root: str) -> ArtifactRepository:
        from labtrack.artifacts import open_repository

        return open_repository(root)

    def _repository(self, root: str, run_id: str) -> ArtifactRepository:
        try:
            return self._open(root)
        except Exception as error:  # an unknown scheme, a proxied root, a missing package
            owner = f"logged model {run_id}" if MODEL_ID.fullmatch(run_id) else f"run {run_id}"
            raise TransferError(
                f"the artifacts of {owner} in {self.description} are at {root!r}, which "
                f"labtrack cannot read: {error}"
            ) from None

    # -- Source -------------------------------------------------------------------------------

    def experiments(self) -> list[ExperimentRecord]:
        """The active experiments."""
        return list(self._experiments)

    def runs(self, experiment: ExperimentRecord) -> list[RunRecord]:
        """Every run of an experiment."""
        return list(self._runs.get(experiment.experiment_id, ()))

    def metric_history(self, run: RunRecord, key: str) -> list[Metric]:
        """Every point of a metric, as read."""
        return list(self._histories.get((run.info.run_id, key), ()))

    def artifacts(self, run: RunRecord) -> dict[str, int | None]:
        """The run's files and those of the models it logged."""
        files: dict[str, int | None] = {}
        for prefix, root in self._roots.get(run.info.run_id, ()):
            for path, size in walk(self._repository(root, run.info.run_id)).items():
                files[f"{prefix}/{path}" if prefix else path] = size
        return files

    def open_artifact(self, run: RunRecord, path: str) -> BinaryIO:
        """A file of the run or of a model it logged."""
        roots = sorted(self._roots.get(run.info.run_id, ()), key=lambda r: -len(r[0]))
        for prefix, root in roots:
            if not prefix or path.startswith(prefix + "/"):
                relative = path[len(prefix) + 1 :] if prefix else path
                return self._repository(root, run.info.run_id).open_read(relative)
        raise TransferError(f"run {run.info.run_id} has no artifact {path!r}")

    def models(self) -> list[ModelRecord]:
        """The registered models."""
        return list(self._models)

    def run_inputs(self, run: RunRecord) -> list[DatasetInput]:
        """The datasets a run used, as read."""
        return list(self._inputs.get(run.info.run_id, ()))

    def logged_models(self, experiment: ExperimentRecord) -> list[LoggedModelRecord]:
        """The live logged models of an experiment, each where ``_settle`` placed its files
        in its run's artifacts."""
        return [
            LoggedModelRecord(m, self._model_paths.get(m.model_id, (None, None))[1])
            for m in self._logged_models
            if m.experiment_id == experiment.experiment_id
        ]

    def _model_repository(self, record: LoggedModelRecord) -> ArtifactRepository:
        return self._repository(record.model.artifact_location, record.model.model_id)


def latest_points(history: dict[str, list[Metric]]) -> list[Metric]:
    """The latest point of each metric (highest step, then timestamp): what a run shows."""
    return [
        max(points, key=lambda m: (m.step, m.timestamp)) for points in history.values() if points
    ]
