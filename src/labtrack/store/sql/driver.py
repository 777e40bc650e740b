"""SQLAlchemy Core statements run through the driver's own cursor, for the writes every run
makes (its start, its params and tags, its end).

SQLAlchemy's execution layer costs 25-60 us a statement (result set-up, events, the compiled
cache lookup); the driver itself takes about 1 us for the same statement. A short run makes
about a dozen of them, which was most of its cost beyond the SQL (``bench/run.py``'s
many-runs workload). Here a statement is still written once, in SQLAlchemy Core, and
compiled once per dialect and set of parameter names; each call then only binds values.

Only for statements over plain columns (integers, strings, floats, booleans: no SQLAlchemy
type conversion applies) with no expanding ``IN`` parameters. Errors are the driver's own,
as from ``connection.insert_rows``; a damaged or read-only SQLite file is reported as
SQLAlchemy's error hook reports it (``connection.translated_errors``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable

from labtrack.store.sql import connection


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Per bound value, in the driver's order: the parameter name it comes from, or None
    # with the literal the statement itself holds (``status == 'RUNNING'``).
    binds: tuple[tuple[str | None, object], ...]
    named: bool  # the driver takes a dict by bind name (psycopg), else a sequence (sqlite3)
    statement: Executable  # kept alive: its id is part of the cache key


_cache: dict[tuple[int, str, tuple[str, ...]], _Compiled] = {}
_cache_lock = threading.Lock()


def _compiled(conn: Connection, statement: Executable, names: tuple[str, ...]) -> _Compiled:
    key = (id(statement), conn.dialect.name, names)
    found = _cache.get(key)
    if found is not None:
        return found
    compiled = statement.compile(dialect=conn.dialect, column_keys=list(names))
    order = compiled.positiontup or list(compiled.binds)
    binds = []
    for bind in order:
        parameter = compiled.binds[bind]
        if parameter.key in names:
            binds.append((parameter.key, None))
        else:
            binds.append((None, parameter.effective_value))
    named = compiled.positiontup is None
    entry = _Compiled(compiled.string, tuple(zip(order, binds, strict=True)), named, statement)  # type: ignore[arg-type]
    with _cache_lock:
        _cache[key] = entry
    return entry


def _values(compiled: _Compiled, params: Mapping[str, object]) -> Sequence | dict:
    if compiled.named:
        return {
            bind: params[name] if name is not None else literal
            for bind, (name, literal) in compiled.binds  # type: ignore[misc]
        }
    return [
        params[name] if name is not None else literal
        for _bind, (name, literal) in compiled.binds  # type: ignore[misc]
    ]


def execute(
    conn: Connection, statement: Executable, params: Mapping[str, object] | Sequence[Mapping]
) -> int:
    """Run ``statement`` in ``conn``'s transaction with one set of parameters (a mapping) or
    many (a list of mappings with the same names: one ``executemany``); the row count back
    (for many, the total, as both drivers report it)."""
    many = not isinstance(params, Mapping)
    rows: list[Mapping] = list(params) if many else [params]  # type: ignore[arg-type]
    if not rows:
        return 0
    compiled = _compiled(conn, statement, tuple(rows[0]))
    cursor = conn.connection.cursor()
    try:
        with connection.translated_errors(conn.engine):
            if many:
                cursor.executemany(compiled.sql, [_values(compiled, row) for row in rows])
            else:
                cursor.execute(compiled.sql, _values(compiled, rows[0]))
        return cursor.rowcount
    finally:
        cursor.close()


def fetch(
    conn: Connection, statement: Executable, params: Mapping[str, object] | None = None
) -> list[tuple]:
    """Run a query (or a statement with RETURNING) in ``conn``'s transaction; its rows as
    plain tuples."""
    params = params or {}
    compiled = _compiled(conn, statement, tuple(params))
    cursor = conn.connection.cursor()
    try:
        with connection.translated_errors(conn.engine):
            cursor.execute(compiled.sql, _values(compiled, params))
            return cursor.fetchall()
    finally:
        cursor.close()
