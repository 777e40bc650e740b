"""The SQL store: one class per aggregate, joined here over one engine."""

from __future__ import annotations

from pathlib import Path

from labtrack import env
from labtrack.store.sql import connection, migrations
from labtrack.store.sql.experiments import ExperimentStore
from labtrack.store.sql.metrics import MetricStore
from labtrack.store.sql.registry import RegistryStore
from labtrack.store.sql.runs import RunStore
from labtrack.store.sql.search import SearchStore


class SqlStore(ExperimentStore, RunStore, MetricStore, SearchStore, RegistryStore):
    """Experiments, runs, params, tags, metrics and the model registry in SQLite or PostgreSQL.

    Opening a store creates it, or upgrades an older schema in place; a store written by
    a newer labtrack is refused with a clear error.
    """

    def __init__(self, uri: str, upgrade: bool = True):
        self.uri = uri
        self.engine = connection.create_engine(uri)
        database = connection.sqlite_path(uri)
        self.artifact_root = (database.parent if database else env.default_home()) / "artifacts"
        self._run_pks: dict[str, int] = {}
        self._known_metric_keys: dict[str, int] = {}
        if upgrade:
            migrations.upgrade(self.engine)
            self._ensure_default_experiment()
        else:
            migrations.check_version(migrations.current_version(self.engine))

    @property
    def schema_version(self) -> int | None:
        return migrations.current_version(self.engine)

    @property
    def database_path(self) -> Path | None:
        return connection.sqlite_path(self.uri)

    def close(self) -> None:
        self.engine.dispose()
