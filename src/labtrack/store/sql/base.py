"""What every aggregate of the SQL store shares: the engine, write helper, artifact root."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine

from labtrack.store.sql import connection

T = TypeVar("T")


def now_ms() -> int:
    return int(time.time() * 1000)


class SqlStoreBase:
    engine: Engine
    uri: str
    artifact_root: Path

    def _write(self, work: Callable[[Connection], T]) -> T:
        return connection.run_write(self.engine, work)

    @staticmethod
    def _upsert(conn: Connection, table):
        return connection.upsert(conn, table)
