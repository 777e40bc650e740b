"""The SQL store: one part per aggregate, each handed exactly what it uses.

``Database`` (the engine and its write helper) is what every part shares; ``runs`` also
keeps the run keys that ``metrics`` and ``search`` use. Nothing else passes between them.
"""

from __future__ import annotations

from pathlib import Path

from labtrack import env
from labtrack.errors import ReadOnlyStore
from labtrack.store import stamp
from labtrack.store.sql import connection, migrations, schema
from labtrack.store.sql.alerts import Alerts
from labtrack.store.sql.base import Database
from labtrack.store.sql.datasets import Datasets
from labtrack.store.sql.experiments import Experiments
from labtrack.store.sql.logged_models import LoggedModels
from labtrack.store.sql.metrics import Metrics
from labtrack.store.sql.registry import Registry
from labtrack.store.sql.runs import Runs
from labtrack.store.sql.search import RunSearch


class SqlStore:
    """Experiments, runs, params, tags, metrics and the model registry in SQLite or PostgreSQL.

    Its parts: ``experiments``, ``runs`` (with params, tags and liveness), ``metrics``,
    ``search`` (of runs), ``registry``, ``logged_models`` (MLflow 3's), ``datasets`` (the
    runs' inputs) and ``alerts``. Opening a store creates it, or upgrades an older
    schema in place; a store written by a newer labtrack is refused with a clear error. A
    SQLite file this user cannot write opens read-only (``read_only``): reads work, writes
    raise ``ReadOnlyStore``.

    ``artifact_root`` is where new experiments keep their artifacts: ``LABTRACK_ARTIFACTS_URI``
    when set (a folder or a URI such as ``s3://bucket/prefix``, kept as text), else the
    ``artifacts`` folder beside a SQLite file (or under the labtrack home).
    """

    # No HTTP session: run artifacts are reached at their own URIs, never through a tracking
    # server's proxy (the HTTP store's ``http`` is what ``mlflow-artifacts:/`` roots need).
    http = None

    def __init__(self, uri: str, upgrade: bool = True):
        self.uri = uri
        self.engine = connection.create_engine(uri)
        self.artifact_root: str = env.ARTIFACTS_URI.get() or str(
            (self.database_path.parent if self.database_path else env.default_home()) / "artifacts"
        )
        db = Database(self.engine)
        self.experiments = Experiments(db, self.artifact_root)
        self.runs = Runs(db)
        self.metrics = Metrics(db, self.runs)
        self.search = RunSearch(db, self.runs)
        self.registry = Registry(db)
        self.logged_models = LoggedModels(db)
        self.datasets = Datasets(db, self.runs)
        self.alerts = Alerts(db)
        try:
            if upgrade and not self.read_only:
                # A new store gets its default experiment in the transaction that creates it.
                before, _ = migrations.upgrade(self.engine, self.experiments.default_work)
                if before is not None:
                    self.experiments.ensure_default()
            else:
                self._check_version()
        except BaseException:
            connection.dispose(self.engine)  # no connection left open on a file we could not use
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
        """The schema version of the database (None before the first upgrade)."""
        return migrations.current_version(self.engine)

    @property
    def database_path(self) -> Path | None:
        """The SQLite file, or None for PostgreSQL or an in-memory database."""
        return connection.sqlite_path(self.uri)

    def change_stamp(self) -> str:
        """A string that differs whenever the store may have changed (``store.stamp``)."""
        return stamp.store_stamp(self.database_path)

    def close(self) -> None:
        """Close the pooled connections (the store opens new ones if used again)."""
        connection.dispose(self.engine)

    def drop_inherited_connections(self) -> None:
        """In a forked child: forget the parent's pooled connections without closing them
        (they are the parent's); the child opens its own."""
        connection.dispose(self.engine, close=False)
