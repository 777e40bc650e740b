"""What several tracking tests share."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from labtrack.store.sql import connection, schema


@pytest.fixture
def remove_run(tracking_uri) -> Callable[[str], int]:
    """``remove_run(run_id)``: remove a run and its rows outright from the test's store, as
    another process (not labtrack) might; returns the run's integer key."""

    def remove(run_id: str) -> int:
        other = sa.create_engine(tracking_uri.replace("postgresql://", "postgresql+psycopg://"))
        with other.begin() as conn:
            pk = conn.execute(
                sa.select(schema.runs.c.id).where(schema.runs.c.run_uuid == run_id)
            ).scalar()
            for table in (schema.tags, schema.params, schema.latest_metrics, schema.metrics):
                conn.execute(table.delete().where(table.c.run_id == pk))
            conn.execute(schema.runs.delete().where(schema.runs.c.id == pk))
        other.dispose()
        return pk

    return remove


@pytest.fixture
def count_writes(monkeypatch) -> Callable[..., list[str]]:
    """``count_writes(engine, thread=None)``: the write transactions begun on ``engine``
    from then on (by the thread named ``thread`` only, if given), as a list that grows by
    one at each: every write of a SQL store goes through ``connection.run_write``."""

    def start(engine, thread: str | None = None) -> list[str]:
        begun: list[str] = []
        run_write = connection.run_write

        def counted(write_engine, work, *args, **kwargs):
            if write_engine is engine and thread in (None, threading.current_thread().name):
                begun.append("begin")
            return run_write(write_engine, work, *args, **kwargs)

        monkeypatch.setattr(connection, "run_write", counted)
        return begun

    return start
