"""MLflow's file store (an ``mlruns/`` folder), read and written in its documented layout::

mlruns/<experiment id>/meta.yaml              the experiment (tags/ beside it)
mlruns/<experiment id>/<run id>/meta.yaml     a run; params/, tags/, metrics/, artifacts/
    metrics/<key>: one "timestamp value step" line per point (keys with '/' are folders)
mlruns/<experiment id>/models/<m-id>/         MLflow 3's logged models (artifacts/ inside)
mlruns/models/<name>/meta.yaml                a registered model (tags/, aliases/)
mlruns/models/<name>/version-<n>/meta.yaml    its versions (tags/)
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labtrack.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LifecycleStage,
    LoggedModel,
    LoggedModelStatus,
    Metric,
    RunInfo,
)
from labtrack.entities.logged_model import LoggedModelMetric
from labtrack.errors import InvalidParameter
from labtrack.transfer import TransferError
from labtrack.transfer.mlflow_source import (
    STATUS_NAMES,
    MlflowSource,
    latest_points,
)
from labtrack.transfer.sources import ExperimentRecord, ModelRecord, RunRecord, VersionRecord

if TYPE_CHECKING:
    from labtrack.transfer.copy import Report
    from labtrack.transfer.sources import Source

# A file-store version MLflow deleted keeps its folder with this stage.
_DELETED_STAGE = "Deleted_Internal"
_STATUS_NUMBERS = {name: number for number, name in STATUS_NAMES.items()}


def _yaml(path: Path) -> dict:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise TransferError(f"{path}: cannot read it as YAML ({error})") from None
    if not isinstance(data, dict):
        raise TransferError(f"{path}: expected a YAML mapping, got {type(data).__name__}")
    return data


def _field(data: dict, name: str, path: Path) -> Any:
    value = data.get(name)
    if value is None:
        raise TransferError(f"{path}: no {name!r} field")
    return value


def _values(folder: Path) -> dict[str, str]:
    """The key files under a folder (params/, tags/): relative path -> content."""
    values = {}
    if folder.is_dir():
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                key = file.relative_to(folder).as_posix()
                try:
                    values[key] = file.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as error:
                    raise TransferError(f"{file}: cannot read it ({error})") from None
    return values


def _history(file: Path, key: str) -> list[Metric]:
    points = []
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise TransferError(f"{file}: cannot read it ({error})") from None
    for number, line in enumerate(lines, 1):
        parts = line.split()
        if not parts:
            continue
        try:
            # MLflow 3 adds the dataset of a point linked to a logged model: name, digest.
            if len(parts) not in (2, 3, 5):
                raise ValueError
            timestamp, value = int(parts[0]), float(parts[1])
            step = int(parts[2]) if len(parts) >= 3 else 0
        except ValueError:
            raise TransferError(
                f"{file}, line {number}: expected 'timestamp value step', got {line!r}"
            ) from None
        points.append(Metric(key, value, timestamp, step))
    return points


def _model_points(file: Path, key: str, model_id: str) -> list[LoggedModelMetric]:
    """A logged model's metric file: "timestamp value step run_id [dataset_name digest]"."""
    points = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        try:
            timestamp, value, step = int(parts[0]), float(parts[1]), int(parts[2])
        except (ValueError, IndexError):
            raise TransferError(
                f"{file}, line {number}: expected 'timestamp value step run_id', got {line!r}"
            ) from None
        extra = parts[3:] + [None] * 3
        points.append(
            LoggedModelMetric(key, value, timestamp, step, model_id, extra[1], extra[2], extra[0])
        )
    return points


def _model_status(value: object, where: Path) -> str:
    try:
        return LoggedModelStatus.canonical(value if value is not None else "READY")
    except InvalidParameter:
        raise TransferError(f"{where}: unknown logged model status {value!r}") from None


def _datasets(folder: Path) -> dict[str, Dataset]:
    """An experiment's datasets (``datasets/<id>/meta.yaml``) by id."""
    found = {}
    for meta_file in sorted(folder.glob("*/meta.yaml")) if folder.is_dir() else ():
        meta = _yaml(meta_file)
        found[meta_file.parent.name] = Dataset(
            str(_field(meta, "name", meta_file)),
            str(_field(meta, "digest", meta_file)),
            str(meta.get("source_type") or ""),
            str(meta.get("source") or ""),
            meta.get("schema"),
            meta.get("profile"),
        )
    return found


def _run_inputs(folder: Path, datasets: dict[str, Dataset]) -> list[DatasetInput]:
    """A run's dataset inputs (``inputs/<id>/meta.yaml``, source_type DATASET)."""
    found = []
    for meta_file in sorted(folder.glob("*/meta.yaml")) if folder.is_dir() else ():
        meta = _yaml(meta_file)
        dataset = datasets.get(str(meta.get("source_id")))
        if meta.get("source_type") == "DATASET" and dataset is not None:
            tags = [InputTag(str(k), str(v)) for k, v in (meta.get("tags") or {}).items()]
            found.append(DatasetInput(dataset, tags))
    return found


def _local(uri: str) -> Path | None:
    if uri.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(uri).path))
    return Path(uri) if "://" not in uri and ":/" not in uri else None


class MlflowFileSource(MlflowSource):
    """An MLflow file store folder (``mlruns/``), read whole and checked when opened."""

    def __init__(self, root: str | os.PathLike):
        path = _local(str(root)) if str(root).startswith("file:") else Path(root)
        super().__init__(str(path))
        self.root = path
        if not path.is_dir():
            raise TransferError(f"{path}: no such folder (an MLflow file store, mlruns/)")
        experiments = [
            child
            for child in sorted(path.iterdir())
            if child.is_dir()
            and child.name not in (".trash", "models")
            and (child / "meta.yaml").is_file()
        ]
        if not experiments and not (path / "models").is_dir():
            raise TransferError(
                f"{path} is not an MLflow file store: it has no experiment folder "
                "(<experiment id>/meta.yaml) and no models/ folder"
            )
        for folder in experiments:
            self._read_experiment(folder)
        if (path / "models").is_dir():
            for folder in sorted((path / "models").iterdir()):
                if (folder / "meta.yaml").is_file():
                    self._models.append(self._read_model(folder))
        self._settle()

    def _read_experiment(self, folder: Path) -> None:
        meta_file = folder / "meta.yaml"
        meta = _yaml(meta_file)
        if meta.get("lifecycle_stage", LifecycleStage.ACTIVE) != LifecycleStage.ACTIVE:
            return
        experiment_id = str(_field(meta, "experiment_id", meta_file))
        self._experiments.append(
            ExperimentRecord(
                experiment_id, str(_field(meta, "name", meta_file)), _values(folder / "tags")
            )
        )
        runs = self._runs.setdefault(experiment_id, [])
        datasets = _datasets(folder / "datasets")
        for child in sorted(folder.iterdir()):
            if child.name == "models" and child.is_dir():
                for model in sorted(child.iterdir()):
                    if (model / "meta.yaml").is_file():
                        self._read_logged_model(model)
            elif (child / "meta.yaml").is_file():
                runs.append(self._read_run(child, experiment_id))
                self._inputs[runs[-1].info.run_id] = _run_inputs(child / "inputs", datasets)

    def _read_run(self, folder: Path, experiment_id: str) -> RunRecord:
        meta_file = folder / "meta.yaml"
        meta = _yaml(meta_file)
        run_id = str(meta.get("run_id") or _field(meta, "run_uuid", meta_file))
        tags = _values(folder / "tags")
        status = meta.get("status", 3)
        info = RunInfo(
            run_id=run_id,
            experiment_id=experiment_id,
            run_name=str(meta.get("run_name") or tags.get("mlflow.runName") or ""),
            status=STATUS_NAMES.get(status, status) if isinstance(status, int) else str(status),
            start_time=int(meta.get("start_time") or 0),
            end_time=meta.get("end_time"),
            lifecycle_stage=str(meta.get("lifecycle_stage") or LifecycleStage.ACTIVE),
            artifact_uri=str(meta.get("artifact_uri") or ""),
            user_id=str(meta.get("user_id") or ""),
        )
        histories = {}
        metrics = folder / "metrics"
        if metrics.is_dir():
            for file in sorted(metrics.rglob("*")):
                if file.is_file():
                    key = file.relative_to(metrics).as_posix()
                    histories[key] = self._histories[(run_id, key)] = _history(file, key)
        return RunRecord(info, _values(folder / "params"), tags, latest_points(histories))

    def _run_root(self, run: RunRecord) -> str:
        # The folder beside meta.yaml: an mlruns folder may have moved since it was written.
        here = self.root / run.info.experiment_id / run.info.run_id / "artifacts"
        return str(here) if here.is_dir() else run.info.artifact_uri

    def _read_logged_model(self, folder: Path) -> None:
        meta_file = folder / "meta.yaml"
        meta = _yaml(meta_file)
        if meta.get("lifecycle_stage", LifecycleStage.ACTIVE) == LifecycleStage.DELETED:
            return
        here = folder / "artifacts"
        model_id = str(meta.get("model_id") or folder.name)
        points = []
        metrics = folder / "metrics"
        if metrics.is_dir():
            for file in sorted(metrics.rglob("*")):
                if file.is_file():
                    points += _model_points(file, file.relative_to(metrics).as_posix(), model_id)
        self._logged_models.append(
            LoggedModel(
                experiment_id=str(meta.get("experiment_id") or folder.parent.parent.name),
                model_id=model_id,
                name=str(meta.get("name") or model_id),
                artifact_location=(
                    str(here)
                    if here.is_dir()
                    else str(_field(meta, "artifact_location", meta_file))
                ),
                creation_timestamp=int(meta.get("creation_timestamp") or 0),
                last_updated_timestamp=int(meta.get("last_updated_timestamp") or 0),
                model_type=meta.get("model_type") or None,
                source_run_id=meta.get("source_run_id") or None,
                status=_model_status(meta.get("status"), meta_file),
                status_message=meta.get("status_message") or None,
                tags=_values(folder / "tags"),
                params=_values(folder / "params"),
                metrics=points,
            )
        )

    def _read_model(self, folder: Path) -> ModelRecord:
        meta_file = folder / "meta.yaml"
        meta = _yaml(meta_file)
        aliases = {str(k): int(v) for k, v in (meta.get("aliases") or {}).items()}
        aliases.update({k: int(v) for k, v in _values(folder / "aliases").items()})
        versions = []
        for child in sorted(folder.glob("version-*")):
            version_file = child / "meta.yaml"
            if not version_file.is_file():
                continue
            version = _yaml(version_file)
            if version.get("current_stage") == _DELETED_STAGE:
                continue
            versions.append(
                VersionRecord(
                    int(_field(version, "version", version_file)),
                    str(version.get("source") or version.get("storage_location") or ""),
                    version.get("run_id"),
                    version.get("description"),
                    str(version.get("current_stage") or "None"),
                    _values(child / "tags"),
                    version.get("run_link"),
                )
            )
        return ModelRecord(
            str(_field(meta, "name", meta_file)),
            meta.get("description"),
            _values(folder / "tags"),
            aliases,
            sorted(versions, key=lambda v: v.version),
        )


# -- writing an mlruns folder ---------------------------------------------------------------


def _dump(path: Path, data: dict) -> None:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, default_flow_style=False), encoding="utf-8")


def _write_values(folder: Path, values: dict[str, str]) -> None:
    for key, value in values.items():
        file = folder.joinpath(*key.split("/"))
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(value, encoding="utf-8")


def _now() -> int:
    import time

    return int(time.time() * 1000)


def _number(value: float) -> str:
    return "nan" if math.isnan(value) else repr(float(value))


def write_file_store(
    source: Source,
    root: str | os.PathLike,
    experiments: list[str] | None = None,
    since: Any = None,
    registry: bool = False,
) -> Report:
    """Write a source's experiments, runs (ids kept), histories, artifacts and, with
    ``registry``, registered models into ``root`` in MLflow's file-store layout. A run already
    there is left as it is; a run is written in a temporary folder and moved into place
    whole, so an interrupted export leaves no half run."""
    from labtrack.transfer.copy import Report, parse_since

    root = Path(root)
    if root.exists() and not root.is_dir():
        raise TransferError(f"{root} is a file, not an mlruns folder")
    report = Report()
    since_ms = parse_since(since)
    chosen = source.experiments()
    if experiments is not None:
        names = {e.name for e in chosen}
        unknown = [n for n in experiments if n not in names]
        if unknown:
            raise TransferError(f"no experiment named {', '.join(map(repr, unknown))}")
        chosen = [e for e in chosen if e.name in experiments]
    root.mkdir(parents=True, exist_ok=True)
    ids = {}
    for folder in root.iterdir():
        if (folder / "meta.yaml").is_file() and folder.name not in ("models", ".trash"):
            ids[str(_yaml(folder / "meta.yaml").get("name"))] = folder.name
    for experiment in chosen:
        experiment_id = ids.get(experiment.name)
        if experiment_id is None:
            experiment_id = (
                "0"
                if experiment.name == "Default" and not (root / "0").exists()
                else (str(max([int(i) for i in ids.values() if i.isdigit()] + [0]) + 1))
            )
            ids[experiment.name] = experiment_id
            folder = root / experiment_id
            _dump(
                folder / "meta.yaml",
                {
                    "artifact_location": (folder).resolve().as_uri(),
                    "experiment_id": experiment_id,
                    "lifecycle_stage": "active",
                    "name": experiment.name,
                    "creation_time": _now(),
                    "last_update_time": _now(),
                },
            )
            _write_values(folder / "tags", experiment.tags)
            report.experiments_created += 1
        for run in source.runs(experiment):
            info = run.info
            if since_ms is not None and max(info.start_time or 0, info.end_time or 0) < since_ms:
                continue
            final = root / experiment_id / info.run_id
            report.run_ids[info.run_id] = info.run_id
            if final.exists():
                report.runs_up_to_date += 1
                continue
            _write_run(source, run, final, experiment_id, report)
            report.runs_copied += 1
    if registry:
        for model in source.models():
            if _write_model(root / "models" / model.name, model):
                report.models_changed += 1
                report.versions_created += len(model.versions)
    return report


def _write_run(source: Source, run: RunRecord, final: Path, experiment_id: str, report) -> None:
    info = run.info
    partial = final.with_name(f".{final.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    artifacts = partial / "artifacts"
    artifacts.mkdir(parents=True)
    _dump(
        partial / "meta.yaml",
        {
            "artifact_uri": (final / "artifacts").resolve().as_uri(),
            "end_time": info.end_time,
            "entry_point_name": "",
            "experiment_id": experiment_id,
            "lifecycle_stage": info.lifecycle_stage,
            "run_id": info.run_id,
            "run_name": info.run_name,
            "run_uuid": info.run_id,
            "source_name": "",
            "source_type": 4,
            "source_version": "",
            "start_time": info.start_time,
            "status": _STATUS_NUMBERS.get(info.status, 3),
            "tags": [],
            "user_id": info.user_id,
        },
    )
    from labtrack.transfer.copy import COPY_TAGS

    _write_values(partial / "params", run.params)
    _write_values(partial / "tags", {k: v for k, v in run.tags.items() if k not in COPY_TAGS})
    for key in run.metric_keys:
        points = source.metric_history(run, key)
        file = (partial / "metrics").joinpath(*key.split("/"))
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(
            "".join(f"{m.timestamp} {_number(m.value)} {m.step}\n" for m in points),
            encoding="utf-8",
        )
        report.metric_points += len(points)
    for path in sorted(source.artifacts(run)):
        target = artifacts.joinpath(*path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open_artifact(run, path) as stream, open(target, "wb") as out:
            shutil.copyfileobj(stream, out)
        report.artifact_files += 1
    partial.rename(final)


def _write_model(folder: Path, model: ModelRecord) -> bool:
    if folder.exists():
        return False
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    _dump(
        partial / "meta.yaml",
        {
            "name": model.name,
            "description": model.description,
            "aliases": {alias: str(v) for alias, v in model.aliases.items()},
            "creation_timestamp": _now(),
            "last_updated_timestamp": _now(),
        },
    )
    _write_values(partial / "tags", model.tags)
    _write_values(partial / "aliases", {alias: str(v) for alias, v in model.aliases.items()})
    for version in model.versions:
        _dump(
            partial / f"version-{version.version}" / "meta.yaml",
            {
                "name": model.name,
                "version": version.version,
                "source": version.source,
                "run_id": version.run_id,
                "run_link": version.run_link,
                "description": version.description,
                "current_stage": version.stage or "None",
                "status": "READY",
                "status_message": None,
                "user_id": None,
                "creation_timestamp": _now(),
                "last_updated_timestamp": _now(),
            },
        )
        _write_values(partial / f"version-{version.version}" / "tags", version.tags)
    partial.rename(folder)
    return True
