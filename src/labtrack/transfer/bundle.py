"""Bundles: a run or an experiment as one portable zip, importable into any store with its run
ids kept. The zip holds ``manifest.json`` (experiments; runs with their info, params, tags,
every metric point, the datasets they used and the MLflow 3 logged models they logged, ids
kept) and each run's artifact files under ``artifacts/<run id>/`` (a logged model's among
them)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from labtrack.artifacts.base import relative_parts
from labtrack.entities import Dataset, DatasetInput, InputTag, Metric, RunInfo, RunStatus
from labtrack.entities.alert import Alert, check_level, check_title_and_text
from labtrack.entities.run import check_run_id
from labtrack.errors import InvalidParameter, NotFound
from labtrack.transfer import TransferError
from labtrack.transfer.sources import (
    ClientSource,
    ExperimentRecord,
    LoggedModelRecord,
    RunRecord,
    Source,
)

if TYPE_CHECKING:
    from labtrack.client import Client
    from labtrack.transfer.copy import Report

FORMAT = "labtrack-bundle"
VERSION = 1
MANIFEST = "manifest.json"
_DATASET_FIELDS = ("name", "digest", "source_type", "source", "schema", "profile")
_INFO_FIELDS = ("run_id", "run_name", "status", "start_time", "end_time", "lifecycle_stage")


def _number(value: float) -> float | str:
    """JSON has no NaN or infinities: those are written as strings."""
    return value if math.isfinite(value) else repr(value)


def export_bundle(
    path: str | os.PathLike,
    client: Client | str | None = None,
    *,
    runs: Iterable[str] | None = None,
    experiments: Iterable[str] | None = None,
) -> int:
    """Write runs (by id) and/or every run of experiments (by name) from ``client``'s store
    (a ``labtrack.Client``, a tracking URI, or the current store) to one zip at ``path``;
    ``labtrack import FILE.zip`` (``import_bundle``) reads it into any store, ids kept.
    The zip is written beside ``path`` and moved there once whole. Returns how many runs it
    holds. Raises ``NotFound`` for an unknown run or experiment.

    >>> export_bundle("svm.zip", runs=[run_id])  # doctest: +SKIP
    """
    from labtrack.client import Client

    client = client if isinstance(client, Client) else Client(client)
    source = ClientSource(client)
    wanted = list(runs or ())
    names = list(experiments or ())
    if not wanted and not names:
        raise TransferError("a bundle needs runs (by id) or experiments (by name)")
    by_name = {e.name: e for e in source.experiments()}
    by_id = {e.experiment_id: e for e in by_name.values()}
    chosen: dict[str, RunRecord] = {}
    for name in names:
        if name not in by_name:
            raise NotFound(f"no experiment named {name!r} in {source.description}")
        for run in source.runs(by_name[name]):
            chosen[run.info.run_id] = run
    for run_id in wanted:
        run = client.get_run(run_id)  # NotFound for an unknown id
        experiment = by_id.get(run.info.experiment_id) or ExperimentRecord(
            run.info.experiment_id, client.get_experiment(run.info.experiment_id).name
        )
        by_id.setdefault(experiment.experiment_id, experiment)
        chosen[run_id] = RunRecord(
            run.info, dict(run.data.params), dict(run.data.tags), list(run.data.latest_metrics)
        )
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    used = {run.info.experiment_id for run in chosen.values()}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "experiments": [
            {"name": by_id[i].name, "tags": by_id[i].tags} for i in sorted(used) if i in by_id
        ],
        "runs": [],
    }
    from labtrack.store.rest.logged_models import logged_model_json

    logged: dict[str, list[dict]] = {}  # run id -> its logged models, as in the manifest
    for experiment_id in sorted(used):
        if experiment_id in by_id:
            for record in source.logged_models(by_id[experiment_id]):
                if record.model.source_run_id in chosen:
                    logged.setdefault(record.model.source_run_id, []).append(
                        {"path": record.path, "model": logged_model_json(record.model, None)}
                    )
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as bundle:
            for run in chosen.values():
                info = run.info
                artifacts = source.artifacts(run)
                for file in sorted(artifacts):
                    with (
                        source.open_artifact(run, file) as stream,
                        bundle.open(f"artifacts/{info.run_id}/{file}", "w") as out,
                    ):
                        while chunk := stream.read(1 << 20):
                            out.write(chunk)
                manifest["runs"].append(
                    {
                        "experiment": by_id[info.experiment_id].name,
                        "info": {name: getattr(info, name) for name in _INFO_FIELDS}
                        | {"user_id": info.user_id},
                        "params": run.params,
                        "tags": run.tags,
                        "metrics": {
                            key: [
                                [m.step, m.timestamp, _number(m.value)]
                                for m in source.metric_history(run, key)
                            ]
                            for key in run.metric_keys
                        },
                        "artifacts": sorted(artifacts),
                        "inputs": [
                            {
                                "dataset": dataclasses.asdict(item.dataset),
                                "tags": {t.key: t.value for t in item.tags},
                            }
                            for item in source.run_inputs(run)
                        ],
                        "logged_models": logged.get(info.run_id, []),
                        "alerts": [a.to_dictionary() for a in source.run_alerts(run)],
                    }
                )
            bundle.writestr(MANIFEST, json.dumps(manifest, indent=1))
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return len(chosen)


class BundleSource(Source):
    """A bundle, checked whole when opened: a zip whose every member passes its CRC check,
    with a manifest of this format that names only files the zip has."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.description = str(self.path)
        try:
            self.zip = zipfile.ZipFile(self.path)
        except FileNotFoundError:
            raise TransferError(f"{self.path}: no such file (a labtrack bundle)") from None
        except (zipfile.BadZipFile, OSError) as error:
            raise TransferError(
                f"{self.path} is not a zip file (a labtrack bundle): {error}"
            ) from None
        try:
            self._check()
        except BaseException:
            self.zip.close()
            raise

    def _bad(self, what: str) -> TransferError:
        return TransferError(f"{self.path} is not a usable labtrack bundle: {what}")

    def _check(self) -> None:
        try:
            broken = self.zip.testzip()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            raise TransferError(f"{self.path} is corrupt: {error}") from None
        except Exception as error:  # zlib.error: a damaged deflate stream
            raise TransferError(f"{self.path} is corrupt: {error}") from None
        if broken is not None:
            raise TransferError(
                f"{self.path} is corrupt: its member {broken!r} fails its CRC check"
            )
        try:
            manifest = json.loads(self.zip.read(MANIFEST))
        except KeyError:
            raise self._bad(f"it has no {MANIFEST}") from None
        except ValueError as error:
            raise self._bad(f"{MANIFEST} is not valid JSON ({error})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise self._bad(f"{MANIFEST} does not say format {FORMAT!r}")
        if manifest.get("version") != VERSION:
            raise self._bad(
                f"{MANIFEST} is version {manifest.get('version')!r}; this labtrack reads {VERSION}"
            )
        names = set(self.zip.namelist())
        self._experiments = []
        self._runs: dict[str, list[RunRecord]] = {}
        self._histories: dict[tuple[str, str], list[Metric]] = {}
        self._artifacts: dict[str, list[str]] = {}
        self._inputs: dict[str, list[DatasetInput]] = {}
        self._logged: dict[str, list[LoggedModelRecord]] = {}  # by experiment
        self._alerts: dict[str, list[Alert]] = {}
        try:
            for experiment in manifest["experiments"]:
                name = str(experiment["name"])
                self._experiments.append(ExperimentRecord(name, name, dict(experiment["tags"])))
                self._runs[name] = []
            for number, run in enumerate(manifest["runs"]):
                info = run["info"]
                record = RunRecord(
                    RunInfo(
                        # Checked here, not when written: a bad one must stop the import
                        # before anything is copied.
                        run_id=check_run_id(info["run_id"]),
                        experiment_id=str(run["experiment"]),
                        run_name=str(info["run_name"] or ""),
                        status=RunStatus.from_string(info["status"]),
                        start_time=int(info["start_time"]),
                        end_time=None if info["end_time"] is None else int(info["end_time"]),
                        lifecycle_stage=str(info["lifecycle_stage"]),
                        artifact_uri="",
                        user_id=str(info.get("user_id") or ""),
                    ),
                    {str(k): str(v) for k, v in run["params"].items()},
                    {str(k): str(v) for k, v in run["tags"].items()},
                )
                for key, points in run["metrics"].items():
                    history = [Metric(key, float(v), int(t), int(s)) for s, t, v in points]
                    self._histories[(record.info.run_id, key)] = history
                    if history:
                        record.latest.append(max(history, key=lambda m: (m.step, m.timestamp)))
                files = [str(f) for f in run["artifacts"]]
                for file in files:
                    relative_parts(file)  # inside the run's folder
                missing = [f for f in files if f"artifacts/{record.info.run_id}/{f}" not in names]
                if missing:
                    raise self._bad(f"run {record.info.run_id} lists artifacts it lacks: {missing}")
                self._artifacts[record.info.run_id] = files
                if record.info.experiment_id not in self._runs:
                    raise self._bad(f"run {number} names an experiment the manifest does not list")
                self._runs[record.info.experiment_id].append(record)
                self._read_extras(record, run)
        except (KeyError, TypeError, ValueError, AttributeError, InvalidParameter) as error:
            raise self._bad(f"{MANIFEST} lacks or garbles a field ({error!r})") from None

    def _read_extras(self, record: RunRecord, run: dict) -> None:
        """A run's dataset inputs, logged models and alerts (bundles written before these
        were kept have none)."""
        from labtrack.store.rest.convert import logged_model

        alerts = [Alert.from_dictionary(item) for item in run.get("alerts", ())]
        for alert in alerts:
            check_level(alert.level)
            check_title_and_text(alert.title, alert.text)
        self._alerts[record.info.run_id] = alerts

        self._inputs[record.info.run_id] = [
            DatasetInput(
                Dataset(**{k: item["dataset"][k] for k in _DATASET_FIELDS}),
                [InputTag(str(k), str(v)) for k, v in item["tags"].items()],
            )
            for item in run.get("inputs", ())
        ]
        for item in run.get("logged_models", ()):
            model = logged_model(item["model"])
            if model.source_run_id != record.info.run_id:
                raise ValueError(f"logged model {model.model_id} is not of its run")
            self._logged.setdefault(record.info.experiment_id, []).append(
                LoggedModelRecord(model, item.get("path") or model.name)
            )

    def run_alerts(self, run: RunRecord) -> list[Alert]:
        """The alerts on a run, as exported."""
        return list(self._alerts.get(run.info.run_id, ()))

    def run_inputs(self, run: RunRecord) -> list[DatasetInput]:
        """The datasets a run used, as exported."""
        return list(self._inputs.get(run.info.run_id, ()))

    def logged_models(self, experiment: ExperimentRecord) -> list[LoggedModelRecord]:
        """The logged models of the bundle's runs (their files are in the runs' artifacts)."""
        return list(self._logged.get(experiment.experiment_id, ()))

    def experiments(self) -> list[ExperimentRecord]:
        """The bundle's experiments (their names stand for their ids)."""
        return list(self._experiments)

    def runs(self, experiment: ExperimentRecord) -> list[RunRecord]:
        """The bundle's runs of an experiment."""
        return list(self._runs.get(experiment.experiment_id, ()))

    def metric_history(self, run: RunRecord, key: str) -> list[Metric]:
        """Every point of a metric, as exported."""
        return list(self._histories.get((run.info.run_id, key), ()))

    def artifacts(self, run: RunRecord) -> dict[str, int | None]:
        """The run's artifact files and their sizes."""
        prefix = f"artifacts/{run.info.run_id}/"
        return {f: self.zip.getinfo(prefix + f).file_size for f in self._artifacts[run.info.run_id]}

    def open_artifact(self, run: RunRecord, path: str) -> BinaryIO:
        """An artifact file's bytes, from the zip."""
        return self.zip.open(f"artifacts/{run.info.run_id}/{path}")


def import_bundle(
    path: str | os.PathLike, client: Client | str | None = None, *, progress: bool = False
) -> Report:
    """Import a bundle (``export_bundle``) into ``client``'s store (a ``labtrack.Client``, a
    tracking URI, or the current store): experiments by name, runs with their ids, every
    metric point, artifacts, the datasets runs used and their logged models (ids kept). The
    whole zip is checked first: a corrupt or foreign one raises ``TransferError`` naming the
    file and what is wrong, and nothing is written. Importing again copies nothing. Returns
    a ``Report``.

    >>> import_bundle("svm.zip", "sqlite:///other.db")  # doctest: +SKIP
    """
    from labtrack.client import Client
    from labtrack.transfer.copy import Copier

    destination = client if isinstance(client, Client) else Client(client)
    source = BundleSource(path)
    try:
        return Copier(source, destination, progress=progress).copy()
    finally:
        source.zip.close()
