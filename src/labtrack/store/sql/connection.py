"""Opening a SQL store: the one place for engine options, SQLite pragmas and dialect quirks.

SQLite runs in WAL mode with a long busy timeout so several kernels can write one file.
Write transactions start with ``BEGIN IMMEDIATE``: a deferred transaction that reads and
then writes can fail with "database is locked" without ever waiting on the busy timeout.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from labtrack.errors import InvalidParameter

BUSY_TIMEOUT_MS = 60_000
_WRITE = "labtrack_write"
T = TypeVar("T")


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, or None for other schemes or in-memory."""
    url = sa.engine.make_url(uri)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def create_engine(uri: str) -> Engine:
    url = sa.engine.make_url(uri)
    backend = url.get_backend_name()
    if backend == "sqlite":
        path = sqlite_path(uri)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            poolclass=sa.pool.QueuePool if path is not None else sa.pool.StaticPool,
        )
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        if url.drivername == "postgresql":  # prefer psycopg 3, installed by labtrack[postgres]
            url = url.set(drivername="postgresql+psycopg")
        return sa.create_engine(url, pool_pre_ping=True)
    raise InvalidParameter(
        f"unsupported tracking URI scheme {url.drivername!r}: use sqlite:///path or postgresql://..."
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is always deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def _is_locked(error: sa.exc.OperationalError) -> bool:
    text = str(error.orig).lower()
    return "database is locked" in text or "database is busy" in text


def run_write(engine: Engine, work: Callable[[Connection], T], attempts: int = 5) -> T:
    """Run ``work(conn)`` in one write transaction; on SQLite it holds the write lock throughout.

    The busy timeout already waits a minute for other writers; should that still run out
    (a very long transaction elsewhere), the whole transaction is retried from the start.
    """
    for attempt in range(attempts):
        try:
            with engine.connect().execution_options(**{_WRITE: True}) as conn:
                with conn.begin():
                    return work(conn)
        except sa.exc.OperationalError as error:
            if not _is_locked(error) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        yield conn


def upsert(conn: Connection, table: sa.Table):
    """The dialect's INSERT ... ON CONFLICT construct (SQLite and PostgreSQL share its API)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def insert_rows(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Bulk-insert plain tuples through the driver's own cursor (no per-row SQLAlchemy work).

    On SQLite, multi-row ``VALUES`` statements of thousands of rows each, not ``executemany``:
    executemany takes the GIL back for every row, and a thread that does so while another
    thread runs a tight Python loop (a training loop logging metrics) waits up to the
    interpreter's 5 ms switch interval each time; 30,000 rows took 30 s instead of 0.1 s
    here. One statement binds a chunk at once and steps through it without the GIL, and is
    faster on its own too (the same statement text each time hits the statement cache).
    """
    if not rows:
        return
    cursor = conn.connection.cursor()
    try:
        names = ", ".join(columns)
        if conn.dialect.name != "sqlite":
            marks = ", ".join([placeholder(conn)] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
            return
        per_row = "(" + ", ".join("?" * len(columns)) + ")"
        # ~1,000 rows a statement: far longer VALUES lists parse slower than they insert.
        chunk = max(1, min(1000, _sqlite_max_variables(conn) // len(columns)))
        values = list(itertools.chain.from_iterable(rows))
        width = len(columns)
        for start in range(0, len(rows), chunk):
            count = min(chunk, len(rows) - start)
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES " + ", ".join([per_row] * count),
                values[start * width:(start + count) * width],
            )
    finally:
        cursor.close()


def _sqlite_max_variables(conn: Connection) -> int:
    import sqlite3

    getlimit = getattr(conn.connection.dbapi_connection, "getlimit", None)  # Python 3.11+
    if getlimit is not None:
        return getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999


def placeholder(conn: Connection) -> str:
    """The driver's positional parameter marker, for SQL sent to the driver directly."""
    return {"qmark": "?", "numeric": "?", "format": "%s", "pyformat": "%s"}.get(conn.dialect.paramstyle, "?")
