"""SQLAlchemy Core statements run through the driver's own cursor, for the writes every run
makes (its start, its params and tags, its end), and for the reads of a search repeated
with the same arguments (``prepare``).

SQLAlchemy's execution layer costs 25-60 us a statement (result set-up, events, the compiled
cache lookup); the driver itself takes about 1 us for the same statement. A short run makes
about a dozen of them, which was most of its cost beyond the SQL (``bench/run.py``'s
many-runs workload). Here a statement is still written once, in SQLAlchemy Core, and
compiled once per dialect, driver and set of parameter names; each call then only binds
values.

``execute`` and ``fetch`` take module-level statements over plain columns (integers,
strings, floats, booleans: no SQLAlchemy type conversion applies); one that needs
SQLAlchemy's execution (a missing value, a Python-side default, an expanding ``IN``) is
refused at its first use. ``prepare`` takes a statement built per call with its values, IN
lists and conversions included, for a caller that keeps what it returns. Errors are the
driver's own, as from ``connection.insert_rows`` (a lost PostgreSQL connection is not
marked invalid here: the pool's reset on return finds it); a damaged or read-only SQLite
file is reported as SQLAlchemy's error hook reports it (``connection.translated_errors``).
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
    # Per bound value, in the driver's order: its bind name, and the parameter it comes
    # from, or None with the literal the statement itself holds (``status == 'RUNNING'``).
    binds: tuple[tuple[str, str | None, object], ...]
    named: bool  # the driver takes a dict by bind name (psycopg), else a sequence (sqlite3)
    statement: Executable  # kept alive: its id is part of the cache key


# For module-level statements (one entry each per dialect and set of names): a statement
# built per call would add an entry per call.
_cache: dict[tuple[int, str, str, tuple[str, ...]], _Compiled] = {}
_cache_lock = threading.Lock()


def _compiled(conn: Connection, statement: Executable, names: tuple[str, ...]) -> _Compiled:
    dialect = conn.dialect
    key = (id(statement), dialect.name, dialect.driver, names)
    found = _cache.get(key)
    if found is not None:
        return found
    compiled = statement.compile(dialect=dialect, column_keys=list(names))
    _check_plain(statement, compiled, names)
    binds = []
    for bind in compiled.positiontup or list(compiled.binds):
        parameter = compiled.binds[bind]
        if parameter.key in names:
            binds.append((bind, parameter.key, None))
        else:
            binds.append((bind, None, parameter.effective_value))
    entry = _Compiled(compiled.string, tuple(binds), compiled.positiontup is None, statement)
    with _cache_lock:
        _cache[key] = entry
    return entry


def _check_plain(statement: Executable, compiled, names: tuple[str, ...]) -> None:
    """Refuse, at its first use, a statement that needs what only SQLAlchemy's execution
    does: a value the caller did not give, a default computed in Python, a bind name the
    driver would see escaped, or a placeholder rendered at execution time."""
    problems = [
        f"no value for {parameter.key!r}"
        for parameter in compiled.binds.values()
        if parameter.required and parameter.key not in names
    ]
    table = getattr(statement, "table", None)
    if table is not None and getattr(statement, "is_dml", False):
        hook = "default" if getattr(statement, "is_insert", False) else "onupdate"
        problems += [
            f"column {column.key!r} has a Python-side {hook}"
            for column in table.columns
            if getattr(column, hook) is not None and column.key not in names
        ]
    if getattr(compiled, "escaped_bind_names", None):
        problems.append(f"escaped bind names {sorted(compiled.escaped_bind_names)}")
    if "POSTCOMPILE" in compiled.string:
        problems.append("a placeholder rendered at execution (an expanding IN?)")
    if problems:
        raise ValueError(f"not a statement for the driver's cursor: {'; '.join(problems)}")


def _values(compiled: _Compiled, params: Mapping[str, object]) -> Sequence | dict:
    if compiled.named:
        return {
            bind: params[name] if name is not None else literal
            for bind, name, literal in compiled.binds
        }
    return [
        params[name] if name is not None else literal for _bind, name, literal in compiled.binds
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
    return _fetch(conn, compiled.sql, _values(compiled, params))


@dataclass(frozen=True)
class Prepared:
    """A query compiled for one dialect with its values bound (``prepare``): what the
    driver runs, as often as wanted (``fetch_prepared``)."""

    sql: str
    values: Sequence | dict


def prepare(conn: Connection, statement: Executable) -> Prepared | None:
    """``statement`` (built per call, values and all) compiled for ``conn``'s dialect, its
    values converted as SQLAlchemy's execution converts them (a float, a boolean, JSON on
    SQLite), or None where the driver would see escaped bind names. Compiling costs about
    what SQLAlchemy's execution does; keeping what this returns saves both."""
    dialect = conn.dialect
    compiled = statement.compile(dialect=dialect)
    if getattr(compiled, "escaped_bind_names", None):
        return None
    state = compiled.construct_expanded_state()  # IN lists rendered one value per bind
    converters = dict(state.processors)  # those of the values of IN lists
    for name, bind in compiled.binds.items():
        convert = bind.type.dialect_impl(dialect).bind_processor(dialect)  # as SQLAlchemy
        if convert is not None and name not in state.parameter_expansion:
            converters[name] = convert
    params = {
        name: converters[name](value) if name in converters else value
        for name, value in state.parameters.items()
    }
    if state.positiontup is None:  # named (psycopg)
        return Prepared(state.statement, params)
    return Prepared(state.statement, tuple(params[name] for name in state.positiontup))


def fetch_prepared(conn: Connection, prepared: Prepared) -> list[tuple]:
    """The rows of a prepared query, in ``conn``'s transaction, as plain tuples. On SQLite,
    ``conn`` must have begun (``conn.begin()``) for several reads to share one snapshot:
    the driver's own cursor does not make SQLAlchemy begin."""
    return _fetch(conn, prepared.sql, prepared.values)


def _fetch(conn: Connection, sql: str, values: Sequence | dict) -> list[tuple]:
    cursor = conn.connection.cursor()
    try:
        with connection.translated_errors(conn.engine):
            cursor.execute(sql, values)
            return cursor.fetchall()
    finally:
        cursor.close()
