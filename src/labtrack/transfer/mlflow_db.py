"""An MLflow database (``sqlite:///mlflow.db``, ``postgresql://...``) read with SQLAlchemy
Core: the tracking tables, MLflow 3's logged models and the registry, checked against the
schema versions (Alembic revisions) this labtrack knows."""

from __future__ import annotations

import math
from collections import defaultdict

import sqlalchemy as sa

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
from labtrack.transfer import TransferError
from labtrack.transfer.mlflow_source import MlflowSource, latest_points
from labtrack.transfer.sources import ExperimentRecord, ModelRecord, RunRecord, VersionRecord

# MLflow's schema revisions this reader knows, oldest first: from the one that added model
# aliases (MLflow 2.3) to MLflow 3.17's. The tables read here are the same in all of them.
KNOWN_REVISIONS = (
    "3500859a5d39",
    "7f2a7d5fae7d",
    "2d6e25af4d3e",
    "acf3f17fdcc7",
    "867495a8f9d4",
    "5b0e9adcef9c",
    "4465047574b1",
    "f5a4f2784254",
    "0584bdc529eb",
    "400f98739977",
    "6953534de441",
    "bda7b8c39065",
    "cbc13b556ace",
    "770bee3ae1dd",
    "a1b2c3d4e5f6",
    "de4033877273",
    "1a0cddfcaa16",
    "534353b11cbc",
    "71994744cf8e",
    "3da73c924c2f",
    "bf29a5ff90ea",
    "1bd49d398cd23",
    "b7c8d9e0f1a2",
    "5d2d30f0abce",
    "c9d4e5f6a7b8",
    "2c33131f4dae",
    "d3e4f5a6b7c8",
    "d0e1f2a3b4c5",
    "c8d9e0f1a2b3",
    "1b5f0d9ad7c1",
    "e1f2a3b4c5d6",
    "76601a5f987d",
    "c3d6457b6d8a",
    "a5b4c3d2e1f0",
    "ae8bbe7743c9",
    "7d34483879f0",
    "da6fb0208061",
    "89d3d66ed43f",
    "b7e4c1a90f23",
    "a8b9c0d1e2f3",
    "c1d2e3f4a5b6",
    "c3d9e7f1a2b4",
    "6f8d9c3b2a1e",
    "1971f2d9a75b",
    "17e22815139b",
    "b7e2c1a4d9f3",
    "75868b020152",
    "dc11669786a5",
)

_TABLES = (
    "alembic_version",
    "experiments",
    "experiment_tags",
    "runs",
    "params",
    "tags",
    "metrics",
    "logged_models",
    "logged_model_params",
    "logged_model_tags",
    "logged_model_metrics",
    "datasets",
    "inputs",
    "input_tags",
    "registered_models",
    "registered_model_tags",
    "registered_model_aliases",
    "model_versions",
    "model_version_tags",
)


def _engine(uri: str) -> sa.Engine:
    try:
        url = sa.engine.make_url(uri)
    except sa.exc.ArgumentError as error:
        raise TransferError(f"{uri!r} is not a database URI ({error})") from None
    if url.drivername == "postgresql":  # psycopg 3, what labtrack's postgres extra installs
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername.startswith("sqlite"):
        from pathlib import Path

        if not url.database or not Path(url.database).is_file():
            raise TransferError(f"{uri}: no such SQLite file (an MLflow database)")
        # Read-only: importing never writes to MLflow's database.
        return sa.create_engine(f"sqlite:///file:{Path(url.database).resolve()}?mode=ro&uri=true")
    return sa.create_engine(url)


def check_revision(revision: str | None, where: str) -> None:
    """Refuse a database that is not MLflow's or whose schema this labtrack does not know."""
    if revision is None:
        raise TransferError(f"{where} is not an MLflow database: it has no alembic_version table")
    if revision not in KNOWN_REVISIONS:
        raise TransferError(
            f"{where} is an MLflow database at schema version {revision}, which this labtrack "
            f"cannot read: it knows MLflow's schema versions {KNOWN_REVISIONS[0]} (MLflow 2.3) "
            f"to {KNOWN_REVISIONS[-1]} (MLflow 3.17). Upgrade labtrack, or import through "
            "an MLflow server (labtrack import mlflow http://...)"
        )


class MlflowDatabaseSource(MlflowSource):
    """An MLflow tracking database, read whole (and checked) when opened; never written."""

    def __init__(self, uri: str):
        display = sa.engine.make_url(uri).render_as_string(hide_password=True)
        super().__init__(display)
        engine = _engine(uri)
        try:
            with engine.connect() as conn:
                self._read(conn)
        except sa.exc.SQLAlchemyError as error:
            raise TransferError(
                f"cannot read the MLflow database {display}: {error.__class__.__name__}: "
                f"{str(error).splitlines()[0]}"
            ) from None
        finally:
            engine.dispose()
        self._settle()

    def _read(self, conn: sa.Connection) -> None:
        metadata = sa.MetaData()
        present = set(sa.inspect(conn).get_table_names())
        metadata.reflect(conn, only=[t for t in _TABLES if t in present])
        tables = metadata.tables
        revision = (
            conn.execute(sa.select(tables["alembic_version"].c.version_num)).scalar()
            if "alembic_version" in tables
            else None
        )
        check_revision(revision, self.description)
        self._read_tracking(conn, tables)
        if "logged_models" in tables:
            self._read_logged_models(conn, tables)
        if {"datasets", "inputs", "input_tags"} <= set(tables):
            self._read_inputs(conn, tables)
        self._read_registry(conn, tables)

    def _read_inputs(self, conn: sa.Connection, tables) -> None:
        """The datasets each run used, with the tags of each use."""
        datasets = {
            row["dataset_uuid"]: Dataset(
                row["name"],
                row["digest"],
                row["dataset_source_type"],
                row["dataset_source"],
                row["dataset_schema"],
                row["dataset_profile"],
            )
            for row in conn.execute(sa.select(tables["datasets"])).mappings()
        }
        tags = defaultdict(list)
        for row in conn.execute(sa.select(tables["input_tags"])).mappings():
            tags[row["input_uuid"]].append(InputTag(row["name"], row["value"]))
        inputs = tables["inputs"]
        query = sa.select(inputs).where(
            inputs.c.source_type == "DATASET", inputs.c.destination_type == "RUN"
        )
        for row in conn.execute(query).mappings():
            dataset = datasets.get(row["source_id"])
            if dataset is not None:
                self._inputs.setdefault(row["destination_id"], []).append(
                    DatasetInput(dataset, tags[row["input_uuid"]])
                )

    def _read_logged_models(self, conn: sa.Connection, tables) -> None:
        """MLflow 3's logged models with their params, tags and linked points."""
        values = {"params": defaultdict(dict), "tags": defaultdict(dict)}
        for kind, prefix in (("params", "param"), ("tags", "tag")):
            table = tables.get(f"logged_model_{kind}")
            for row in conn.execute(sa.select(table)).mappings() if table is not None else ():
                values[kind][row["model_id"]][row[f"{prefix}_key"]] = row[f"{prefix}_value"]
        points = defaultdict(list)
        table = tables.get("logged_model_metrics")
        for row in conn.execute(sa.select(table)).mappings() if table is not None else ():
            value = row["metric_value"]
            points[row["model_id"]].append(
                LoggedModelMetric(
                    row["metric_name"],
                    math.nan if value is None else float(value),
                    int(row["metric_timestamp_ms"]),
                    int(row["metric_step"]),
                    row["model_id"],
                    row["dataset_name"],
                    row["dataset_digest"],
                    row["run_id"],
                )
            )
        for row in conn.execute(sa.select(tables["logged_models"])).mappings():
            if row.get("lifecycle_stage", LifecycleStage.ACTIVE) == LifecycleStage.DELETED:
                continue
            model_id = row["model_id"]
            self._logged_models.append(
                LoggedModel(
                    experiment_id=str(row["experiment_id"]),
                    model_id=model_id,
                    name=row["name"],
                    artifact_location=row["artifact_location"],
                    creation_timestamp=int(row["creation_timestamp_ms"]),
                    last_updated_timestamp=int(row["last_updated_timestamp_ms"]),
                    model_type=row["model_type"] or None,
                    source_run_id=row["source_run_id"] or None,
                    status=LoggedModelStatus.canonical(row["status"]),
                    status_message=row["status_message"] or None,
                    tags=values["tags"][model_id],
                    params=values["params"][model_id],
                    metrics=points[model_id],
                )
            )

    def _read_tracking(self, conn: sa.Connection, tables) -> None:
        e, r = tables["experiments"], tables["runs"]
        experiment_tags = defaultdict(dict)
        for row in conn.execute(sa.select(tables["experiment_tags"])).mappings():
            experiment_tags[str(row["experiment_id"])][row["key"]] = row["value"]
        for row in conn.execute(
            sa.select(e.c.experiment_id, e.c.name)
            .where(e.c.lifecycle_stage == LifecycleStage.ACTIVE)
            .order_by(e.c.experiment_id)
        ):
            key = str(row.experiment_id)
            self._experiments.append(ExperimentRecord(key, row.name, experiment_tags[key]))
        params, tags = defaultdict(dict), defaultdict(dict)
        for row in conn.execute(sa.select(tables["params"])).mappings():
            params[row["run_uuid"]][row["key"]] = row["value"]
        for row in conn.execute(sa.select(tables["tags"])).mappings():
            tags[row["run_uuid"]][row["key"]] = row["value"]
        histories = defaultdict(dict)
        m = tables["metrics"]
        for row in conn.execute(
            sa.select(m.c.run_uuid, m.c.key, m.c.value, m.c.is_nan, m.c.timestamp, m.c.step)
        ):
            value = math.nan if row.is_nan else float(row.value)
            histories[row.run_uuid].setdefault(row.key, []).append(
                Metric(row.key, value, int(row.timestamp), int(row.step or 0))
            )
        for row in conn.execute(sa.select(r).order_by(r.c.start_time)).mappings():
            run_id = row["run_uuid"]
            info = RunInfo(
                run_id=run_id,
                experiment_id=str(row["experiment_id"]),
                run_name=row["name"] or tags[run_id].get("mlflow.runName", ""),
                status=row["status"] or "FINISHED",
                start_time=int(row["start_time"] or 0),
                end_time=row["end_time"],
                lifecycle_stage=row["lifecycle_stage"] or LifecycleStage.ACTIVE,
                artifact_uri=row["artifact_uri"] or "",
                user_id=row["user_id"] or "",
            )
            for key, points in histories[run_id].items():
                self._histories[(run_id, key)] = sorted(points, key=lambda p: (p.step, p.timestamp))
            self._runs.setdefault(info.experiment_id, []).append(
                RunRecord(info, params[run_id], tags[run_id], latest_points(histories[run_id]))
            )

    def _read_registry(self, conn: sa.Connection, tables) -> None:
        if "registered_models" not in tables:
            return
        model_tags, aliases = defaultdict(dict), defaultdict(dict)
        version_tags = defaultdict(dict)
        for row in conn.execute(sa.select(tables["registered_model_tags"])).mappings():
            model_tags[row["name"]][row["key"]] = row["value"]
        if "registered_model_aliases" in tables:
            for row in conn.execute(sa.select(tables["registered_model_aliases"])).mappings():
                aliases[row["name"]][row["alias"]] = int(row["version"])
        for row in conn.execute(sa.select(tables["model_version_tags"])).mappings():
            version_tags[(row["name"], int(row["version"]))][row["key"]] = row["value"]
        versions = defaultdict(list)
        for row in conn.execute(sa.select(tables["model_versions"])).mappings():
            if row["current_stage"] == "Deleted_Internal":
                continue
            number = int(row["version"])
            versions[row["name"]].append(
                VersionRecord(
                    number,
                    row["source"] or row.get("storage_location") or "",
                    row["run_id"],
                    row["description"],
                    row["current_stage"] or "None",
                    version_tags[(row["name"], number)],
                    row["run_link"],
                )
            )
        rm = tables["registered_models"]
        for row in conn.execute(sa.select(rm).order_by(rm.c.name)).mappings():
            name = row["name"]
            self._models.append(
                ModelRecord(
                    name,
                    row["description"],
                    model_tags[name],
                    aliases[name],
                    sorted(versions[name], key=lambda v: v.version),
                )
            )
