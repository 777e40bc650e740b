"""Fixtures of the store tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from labtrack.store.sql import driver


class Statements:
    """The SQL statements an engine runs while watched, as (sql, parameters): through
    SQLAlchemy, or as prepared queries through the driver's own cursor. ``after``, if set,
    is called with each statement's SQL once it has run."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, object]] = []
        self.after: Callable[[str], None] | None = None

    @property
    def sql(self) -> list[str]:
        return [sql for sql, _ in self.seen]

    def ran(self, sql: str, parameters: object) -> None:
        self.seen.append((sql, parameters))
        if self.after is not None:
            self.after(sql)


@pytest.fixture
def statements(monkeypatch) -> Callable[[sa.Engine], Statements]:
    """``watch(engine)``: the ``Statements`` the engine runs from then on, until the test ends."""
    watched: list[tuple[sa.Engine, Callable]] = []
    recorders: dict[sa.Engine, Statements] = {}

    def fetch(conn, sql, values):
        rows = original(conn, sql, values)
        recorder = recorders.get(conn.engine)
        if recorder is not None:
            recorder.ran(sql, values)
        return rows

    original = driver._fetch
    monkeypatch.setattr(driver, "_fetch", fetch)

    def watch(engine: sa.Engine) -> Statements:
        recorder = Statements()

        def after(conn, cursor, statement, parameters, context, executemany) -> None:
            recorder.ran(statement, parameters)

        sa.event.listen(engine, "after_cursor_execute", after)
        watched.append((engine, after))
        recorders[engine] = recorder
        return recorder

    yield watch
    for engine, after in watched:
        sa.event.remove(engine, "after_cursor_execute", after)
