"""The SQL store: one class per aggregate, joined here over one engine."""

from __future__ import annotations

from pathlib import Path

from labtrack import env
from labtrack.errors import ReadOnlyStore
from labtrack.store.sql import connection, migrations, schema
from labtrack.store.sql.experiments import ExperimentStore
from labtrack.store.sql.metrics import MetricStore
from labtrack.store.sql.registry import RegistryStore
from labtrack.store.sql.runs import RunStore
from labtrack.store.sql.search import SearchStore


class SqlStore(ExperimentStore, RunStore, MetricStore, SearchStore, RegistryStore):
    """Experiments, runs, params, tags, metrics and the model registry in SQLite or PostgreSQL.

    Opening a store creates it, or upgrades an older schema in place; a store written by
    a newer labtrack is refused with a clear error. A SQLite file this user cannot write
    opens read-only (``read_only``): reads work, writes raise ``ReadOnlyStore``.
    """

    def __init__(self, uri: str, upgrade: bool = True):
        self.uri = uri
        self.engine = connection.create_engine(uri)
        database = connection.sqlite_path(uri)
        self.artifact_root = (database.parent if database else env.default_home()) / "artifacts"
        self._run_pks: dict[str, int] = {}
        self._known_metric_keys: dict[str, int] = {}
        try:
            if upgrade and not self.read_only:
                migrations.upgrade(self.engine)
                self._ensure_default_experiment()
            else:
                self._check_version()
        except BaseException:
            self.engine.dispose()  # no connection left open on a file we could not use
            raise

    def _check_version(self) -> None:
        version = migrations.current_version(self.engine)
        migrations.check_version(version)
        file = connection.sqlite_file(self.engine)
        if file is not None and file.read_only and version != schema.SCHEMA_VERSION:
            # Older tables lack columns this labtrack reads, and upgrading them is a write.
            state = (
                "empty"
                if version is None
                else f"at schema version {version}, not {schema.SCHEMA_VERSION}"
            )
            raise ReadOnlyStore(
                f"the labtrack store {file.path} is {state}, and it is read-only here "
                f"({file.read_only}), so labtrack cannot bring it up to date: run "
                f"`labtrack --tracking-uri {file.uri} db upgrade` as a user who can write it"
            )

    @property
    def read_only(self) -> bool:
        """Whether this process can only read the store (see ``connection.create_engine``)."""
        file = connection.sqlite_file(self.engine)
        return file is not None and file.read_only is not None

    @property
    def schema_version(self) -> int | None:
        return migrations.current_version(self.engine)

    @property
    def database_path(self) -> Path | None:
        return connection.sqlite_path(self.uri)

    def close(self) -> None:
        self.engine.dispose()
