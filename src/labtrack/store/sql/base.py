"""What every part of the SQL store shares: one engine and the helpers that write through it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from labtrack.store.sql import connection

T = TypeVar("T")
# Values per IN list on SQLite: under its limit of bound variables per statement.
_VALUES_PER_STATEMENT = 900


def now_ms() -> int:
    """Now, in milliseconds since the epoch: the unit of every time the store keeps."""
    return int(time.time() * 1000)


def in_order(works: Sequence[Callable[[Connection], object]]) -> Callable[[Connection], None]:
    """One work that runs ``works`` one after another, in the transaction it is given."""

    def run_all(conn: Connection) -> None:
        for work in works:
            work(conn)

    return run_all


class Database:
    """The engine of one store, handed to each of its parts (``SqlStore.experiments``,
    ``.runs``, ``.metrics``, ``.search``, ``.registry``): reads open a connection,
    writes go through ``write`` (one transaction, retried while the database is locked)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @property
    def dialect(self) -> str:
        """The database's dialect name: ``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def connect(self) -> Connection:
        """A connection for reading (a context manager, as ``Engine.connect``)."""
        return self.engine.connect()

    def write(self, work: Callable[[Connection], T], foreign_keys: bool = True) -> T:
        """``work(conn)`` in one write transaction; returns what it returns. With
        ``foreign_keys=False``, SQLite does not check the rows' parents (``work`` does)."""
        return connection.run_write(self.engine, work, foreign_keys=foreign_keys)

    @staticmethod
    def upsert(conn: Connection, table: sa.Table):
        """An INSERT of ``table`` in ``conn``'s dialect, with ``on_conflict_do_*``."""
        return connection.upsert(conn, table)

    def where_in(self, statement: sa.Select, column, values: list) -> list[sa.Select]:
        """``statement`` restricted to rows whose ``column`` is one of ``values``, as the
        statements to run: on PostgreSQL one, with the values as a single array parameter
        (one plan, however many values; a 50,000-item IN list costs seconds to render and
        plan); on SQLite an IN list, or for more values than its bound-variable limit allows,
        one JSON array read with ``json_each``."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects import postgresql

            array = sa.bindparam("values", values, type_=postgresql.ARRAY(column.type), unique=True)
            return [statement.where(column == sa.any_(array))]
        if len(values) > _VALUES_PER_STATEMENT:
            # Many values: one JSON array parameter, as PostgreSQL's array (binding thousands
            # of IN-list parameters, chunk after chunk, cost more than reading the rows).
            array = sa.bindparam("values", json.dumps(values), unique=True)
            each = sa.select(sa.column("value")).select_from(sa.func.json_each(array))
            return [statement.where(column.in_(each))]
        return [statement.where(column.in_(values))]

    @staticmethod
    def tuples(conn: Connection, statements: list[sa.Select]) -> list[tuple]:
        """The rows of ``statements`` as the driver's plain tuples: for the hundreds of
        thousands of (run, key, value) rows of a big read, SQLAlchemy Row objects would cost
        more than the query."""
        rows: list[tuple] = []
        for statement in statements:
            rows += conn.execute(statement).cursor.fetchall()
        return rows
