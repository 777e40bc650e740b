"""Schema versions and the ordered migrations between them.

A new store is created from the current tables in ``schema.py`` and stamped with
``SCHEMA_VERSION``; an older store is brought up by applying each migration after its
version, in one transaction under the database's write lock (SQLite ``BEGIN IMMEDIATE``,
a PostgreSQL advisory lock), so that several processes opening one store never race.
``tests/store/test_schema.py`` proves that migrating every old version gives the same
schema as creating a new store.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from labtrack.errors import SchemaError
from labtrack.store.sql import schema
from labtrack.store.sql.connection import run_write

_ADVISORY_LOCK_ID = 0x1AB7_2AC4


def _v2_liveness_and_latest_metrics(conn: Connection) -> None:
    """v2: runs record their process for liveness; a latest-value table serves run tables."""
    for column, kind in (
        ("heartbeat_time", "BIGINT"),
        ("host", "VARCHAR(256)"),
        ("pid", "INTEGER"),
    ):
        conn.exec_driver_sql(f"ALTER TABLE runs ADD COLUMN {column} {kind}")
    schema.latest_metrics.create(conn)
    m = schema.metrics
    ranked = sa.select(
        m.c.run_id,
        m.c.key_id,
        m.c.step,
        m.c.timestamp,
        m.c.value,
        m.c.is_nan,
        sa.func.row_number()
        .over(
            partition_by=(m.c.run_id, m.c.key_id),
            order_by=(m.c.step.desc(), m.c.timestamp.desc()),
        )
        .label("rank"),
    ).subquery()
    latest = sa.select(
        *(ranked.c[name] for name in ("run_id", "key_id", "step", "timestamp", "value", "is_nan"))
    )
    conn.execute(
        schema.latest_metrics.insert().from_select(
            ["run_id", "key_id", "step", "timestamp", "value", "is_nan"],
            latest.where(ranked.c.rank == 1),
        )
    )


def _v3_model_registry(conn: Connection) -> None:
    """v3: the model registry (models, versions, tags, aliases and their history)."""
    for table in schema.REGISTRY_TABLES:
        table.create(conn)


def _v4_process_identity_and_spool(conn: Connection) -> None:
    """v4: a process is its pid and start time; the other processes that log to a run;
    batches replayed from a spool."""
    conn.exec_driver_sql("ALTER TABLE runs ADD COLUMN pid_start BIGINT")
    schema.run_processes.create(conn)
    schema.spool_batches.create(conn)


def _v5_logged_models_and_datasets(conn: Connection) -> None:
    """v5: MLflow 3's logged models (params, tags, linked metrics), datasets and the runs that
    used them; a model version records the logged model it registers."""
    # A store that was at v2 got model_versions from v3, which creates the current table.
    columns = {c["name"] for c in sa.inspect(conn).get_columns("model_versions")}
    if "logged_model_id" not in columns:
        conn.exec_driver_sql("ALTER TABLE model_versions ADD COLUMN logged_model_id VARCHAR(64)")
    for table in schema.LOGGED_MODEL_TABLES:
        table.create(conn)


def _v6_alerts(conn: Connection) -> None:
    """v6: alerts on runs (lt.alert, lt.alert_when)."""
    schema.alerts.create(conn)


# MIGRATIONS[v] takes a store from version v - 1 to version v.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    2: _v2_liveness_and_latest_metrics,
    3: _v3_model_registry,
    4: _v4_process_identity_and_spool,
    5: _v5_logged_models_and_datasets,
    6: _v6_alerts,
}
assert sorted(MIGRATIONS) == list(range(2, schema.SCHEMA_VERSION + 1))


def read_version(conn: Connection) -> int | None:
    """The store's schema version; None for an empty database."""
    inspector = sa.inspect(conn)
    if not inspector.has_table(schema.schema_info.name):
        if inspector.get_table_names():
            raise SchemaError(
                "this database holds tables but is not a labtrack store; "
                "point LABTRACK_TRACKING_URI at a new or existing labtrack database"
            )
        return None
    version = conn.execute(sa.select(schema.schema_info.c.version)).scalar()
    return int(version) if version is not None else None


def check_version(version: int | None) -> None:
    if version is not None and version > schema.SCHEMA_VERSION:
        raise SchemaError(
            f"this store has schema version {version}, newer than the {schema.SCHEMA_VERSION} "
            "this labtrack understands: upgrade labtrack (pip install -U labtrack)"
        )


def upgrade(engine: Engine) -> tuple[int | None, int]:
    """Create or migrate the store to the current schema. Returns (version before, after)."""

    def work(conn: Connection) -> tuple[int | None, int]:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
        before = read_version(conn)
        check_version(before)
        if before is None:
            schema.metadata.create_all(conn)
            conn.execute(schema.schema_info.insert().values(version=schema.SCHEMA_VERSION))
        elif before < schema.SCHEMA_VERSION:
            for version in range(before + 1, schema.SCHEMA_VERSION + 1):
                MIGRATIONS[version](conn)
            conn.execute(schema.schema_info.update().values(version=schema.SCHEMA_VERSION))
        return before, schema.SCHEMA_VERSION

    return run_write(engine, work)


def current_version(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return read_version(conn)
