"""Schema versions and the ordered migrations between them.

A new store is created from the current tables in ``schema.py`` and stamped with
``SCHEMA_VERSION`` (on SQLite by running the DDL compiled from them ahead of time,
``new_store_ddl.py``: compiling it on the spot cost a new store's first cell ~0.1 s); an
older store is brought up by applying each migration after its version, in one transaction
under the database's write lock (SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock), so
that several processes opening one store never race.
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


def compile_new_store_ddl(dialect_name: str) -> tuple[str, ...]:
    """The statements ``metadata.create_all`` runs on an empty database of this dialect, in
    its order, as SQL text (what ``new_store_ddl.py`` holds, compiled ahead of time)."""
    statements: list[str] = []
    mock = sa.create_mock_engine(
        f"{dialect_name}://",
        lambda sql, *_args, **_kwargs: statements.append(
            str(sql.compile(dialect=mock.dialect)).strip()
        ),
    )
    schema.metadata.create_all(mock, checkfirst=False)
    # create_all follows each table with its indexes, in no set order: sort those.
    groups: list[list[str]] = []
    for statement in statements:
        if statement.startswith("CREATE TABLE") or not groups:
            groups.append([statement])
        else:
            groups[-1].append(statement)
    return tuple(statement for table, *rest in groups for statement in [table, *sorted(rest)])


def create_new_store(conn: Connection) -> None:
    """Create the current tables in an empty database (the caller has checked it is empty)."""
    from labtrack.store.sql import new_store_ddl

    if conn.dialect.name == "sqlite" and new_store_ddl.SCHEMA_VERSION == schema.SCHEMA_VERSION:
        for statement in new_store_ddl.statements():
            conn.exec_driver_sql(statement)
    else:  # an empty database: nothing to check first
        schema.metadata.create_all(conn, checkfirst=False)
    conn.execute(schema.schema_info.insert().values(version=schema.SCHEMA_VERSION))


def upgrade(
    engine: Engine, when_created: Callable[[Connection], None] | None = None
) -> tuple[int | None, int]:
    """Create or migrate the store to the current schema. Returns (version before, after).
    ``when_created(conn)`` runs in the transaction that creates a new store (its first rows)."""

    def work(conn: Connection) -> tuple[int | None, int]:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
        before = read_version(conn)
        check_version(before)
        if before is None:
            create_new_store(conn)
            if when_created is not None:
                when_created(conn)
        elif before < schema.SCHEMA_VERSION:
            for version in range(before + 1, schema.SCHEMA_VERSION + 1):
                MIGRATIONS[version](conn)
            conn.execute(schema.schema_info.update().values(version=schema.SCHEMA_VERSION))
        return before, schema.SCHEMA_VERSION

    return run_write(engine, work)


def current_version(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return read_version(conn)
