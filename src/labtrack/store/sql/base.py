"""What every part of the SQL store shares: one engine and the helpers that write through it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from labtrack.store.sql import connection

T = TypeVar("T")


def now_ms() -> int:
    """Now, in milliseconds since the epoch: the unit of every time the store keeps."""
    return int(time.time() * 1000)


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

    def write(self, work: Callable[[Connection], T]) -> T:
        """``work(conn)`` in one write transaction; returns what it returns."""
        return connection.run_write(self.engine, work)

    @staticmethod
    def upsert(conn: Connection, table: sa.Table):
        """An INSERT of ``table`` in ``conn``'s dialect, with ``on_conflict_do_*``."""
        return connection.upsert(conn, table)
