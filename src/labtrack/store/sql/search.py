"""Searching runs: filter, order and page in SQL; results as entities or as columns."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import sqlalchemy as sa

from labtrack.entities import Run, ViewType
from labtrack.errors import InvalidParameter
from labtrack.store.filter import parse_filter, parse_order_by
from labtrack.store.sql import connection, driver, schema
from labtrack.store.sql.base import Database
from labtrack.store.sql.filter_sql import filter_condition, order_runs
from labtrack.store.sql.paging import decode_page_token, page_query, split_page
from labtrack.store.sql.runs import Runs

r, p, t = schema.runs, schema.params, schema.tags
lm, mk = schema.latest_metrics, schema.metric_keys

# A run's fields in ``RunColumns.runs``, in this order: what a DataFrame of runs shows (and
# the run's key, which its params, tags and metrics name).
RUN_FIELDS = ("id", "run_uuid", "experiment_id", "status", "artifact_uri", "start_time", "end_time")

# What a search reads of its runs besides their fields, as (run key, key, value) rows: each
# read's name, query, and the column that names the run.
RUN_DATA = (
    ("params", sa.select(p.c.run_id, p.c.key, p.c.value), p.c.run_id),
    ("tags", sa.select(t.c.run_id, t.c.key, t.c.value), t.c.run_id),
    (
        "metrics",
        sa.select(lm.c.run_id, mk.c.key, sa.case((lm.c.is_nan, sa.null()), else_=lm.c.value)).join(
            mk, mk.c.id == lm.c.key_id
        ),
        lm.c.run_id,
    ),
)

# How many compiled search queries a store keeps (the oldest go first): a notebook re-runs
# the same search, and a run table reads its page again at each change.
QUERIES_KEPT = 64


@dataclass(frozen=True)
class RunColumns:
    """A page of runs in long form, cheap to pivot into a DataFrame.

    ``runs`` are plain tuples of the ``RUN_FIELDS`` in result order; ``params``, ``tags``
    and ``metrics`` are (run pk, key, value) triples for those runs.
    """

    runs: list[tuple]
    params: list[tuple[int, str, str]]
    tags: list[tuple[int, str, str]]
    metrics: list[tuple[int, str, float]]
    next_page_token: str | None


class RunSearch:
    """Searching runs: the filter and order compiled to SQL, a page at a time; whole runs
    come from ``runs``."""

    def __init__(self, db: Database, runs: Runs):
        self.db = db
        self.runs = runs
        # A search's queries compiled for the driver (``driver.prepare``), by the arguments
        # they were compiled from; or the SQLAlchemy statement, where it cannot be.
        self._queries: dict[Hashable, driver.Prepared | sa.Select] = {}
        self._queries_lock = threading.Lock()

    def _condition(
        self, experiment_ids: list[str], filter_string: str | None, view_type: int
    ) -> sa.ColumnElement[bool]:
        """The WHERE condition on ``runs`` of a search: its experiments, view and filter."""
        try:
            experiment_pks = [int(i) for i in experiment_ids]
        except (TypeError, ValueError):
            raise InvalidParameter(
                f"experiment ids must be integer strings, got {experiment_ids!r}"
            ) from None
        condition = r.c.experiment_id.in_(experiment_pks) & r.c.lifecycle_stage.in_(
            ViewType.stages(view_type)
        )
        node = parse_filter(filter_string)
        if node is not None:
            condition = condition & filter_condition(node, r, dialect_name=self.db.dialect)
        return condition

    def _matching_runs(
        self,
        experiment_ids: list[str],
        filter_string: str | None,
        view_type: int,
        order_by: list[str] | None,
    ) -> sa.Select:
        condition = self._condition(experiment_ids, filter_string, view_type)
        return self._ordered(condition, order_by)

    @staticmethod
    def _ordered(condition: sa.ColumnElement[bool], order_by: list[str] | None) -> sa.Select:
        orders = [parse_order_by(clause) for clause in order_by or []]
        query = order_runs(sa.select(r).where(condition), orders, r)
        return query.order_by(r.c.start_time.desc(), r.c.id.desc())

    def _reads_share_a_snapshot(self) -> bool:
        """Whether the reads of one connection here see one snapshot: a SQLite file this
        process may write (WAL: a read transaction keeps the snapshot of its first read).
        Not PostgreSQL (read committed), an in-memory store (one connection every thread
        shares) or a read-only file (maybe opened immutable: no change detection)."""
        file = connection.sqlite_file(self.db.engine)
        return file is not None and file.read_only is None

    def count_runs(
        self, experiment_ids: list[str], filter_string: str | None, view_type: int
    ) -> int:
        """How many runs match: one count in SQL, no run read."""
        experiment_ids = list(experiment_ids)  # read once: the key and the query share it

        def counted() -> sa.Select:
            query = self._matching_runs(experiment_ids, filter_string, view_type, None)
            return sa.select(sa.func.count()).select_from(query.order_by(None).subquery())

        arguments = ("count", *_matching_key(experiment_ids, filter_string, view_type))
        with self.db.connect() as conn:
            return int(self._rows(conn, self._query(conn, arguments, counted))[0][0])

    def search_run_columns(
        self,
        experiment_ids: list[str],
        filter_string: str | None = None,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> RunColumns:
        offset = decode_page_token(page_token)
        # Read once (an iterator would be spent by the key): the key and the query share them.
        experiment_ids, order_by = list(experiment_ids), list(order_by or [])
        where = _matching_key(experiment_ids, filter_string, view_type)
        page = (*where, tuple(order_by), max_results, offset)

        @functools.cache  # built only for the queries not compiled yet, and then once
        def condition() -> sa.ColumnElement[bool]:
            return self._condition(experiment_ids, filter_string, view_type)

        def runs_page() -> sa.Select:
            query = self._ordered(condition(), order_by)
            fields = query.with_only_columns(*(r.c[name] for name in RUN_FIELDS))
            return page_query(fields, max_results, offset)

        with self.db.connect() as conn:
            conn.begin()  # every read below in one transaction (the driver's cursor begins none)
            runs = self._rows(conn, self._query(conn, ("runs", *page), runs_page))
            runs, token = split_page(runs, max_results, offset)
            if not runs:
                return RunColumns([], [], [], [], None)
            if token is None and not offset and self._reads_share_a_snapshot():
                # Every matching run: their data is read by the same condition, in SQL (a
                # list of hundreds of run keys costs more to bind than the query to run);
                # in the same snapshot, it finds these very runs.
                def by_condition(query: sa.Select, run_column) -> Callable[[], sa.Select]:
                    return lambda: query.where(run_column.in_(sa.select(r.c.id).where(condition())))

                params, tags, metrics = (
                    self._rows(conn, self._query(conn, (name, *where), by_condition(q, column)))
                    for name, q, column in RUN_DATA
                )
            else:
                keys = [row[0] for row in runs]
                params, tags, metrics = (
                    self.db.tuples(conn, self.db.where_in(query, column, keys))
                    for _name, query, column in RUN_DATA
                )
        metrics = [
            (pk, key, float("nan") if value is None else value) for pk, key, value in metrics
        ]
        return RunColumns(runs, params, tags, metrics, token)

    def _query(
        self, conn, arguments: Hashable, build: Callable[[], sa.Select]
    ) -> driver.Prepared | sa.Select:
        """The query ``build`` makes from ``arguments``, compiled at its first use: a later
        search with the same arguments skips building it, compiling it and SQLAlchemy's
        execution (about 2 ms of the 10-12 ms a search over 500 runs takes here)."""
        found = self._queries.get(arguments)
        if found is None:
            statement = build()
            found = driver.prepare(conn, statement) or statement
            with self._queries_lock:
                if len(self._queries) >= QUERIES_KEPT:
                    del self._queries[next(iter(self._queries))]
                self._queries[arguments] = found
        return found

    @staticmethod
    def _rows(conn, query: driver.Prepared | sa.Select) -> list[tuple]:
        """A query's rows as the driver's plain tuples."""
        if isinstance(query, driver.Prepared):
            return driver.fetch_prepared(conn, query)
        return conn.execute(query).cursor.fetchall()

    def search_runs(
        self,
        experiment_ids: list[str],
        filter_string: str | None = None,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[Run], str | None]:
        offset = decode_page_token(page_token)
        experiment_ids, order_by = list(experiment_ids), list(order_by or [])  # read once

        def uuids_page() -> sa.Select:
            query = self._matching_runs(experiment_ids, filter_string, view_type, order_by)
            return page_query(query.with_only_columns(r.c.run_uuid), max_results, offset)

        arguments = ("uuids", *_matching_key(experiment_ids, filter_string, view_type))
        arguments += (tuple(order_by), max_results, offset)
        with self.db.connect() as conn:
            rows = self._rows(conn, self._query(conn, arguments, uuids_page))
        run_uuids, token = split_page([row[0] for row in rows], max_results, offset)
        return self.runs.get_runs(run_uuids), token


def _matching_key(experiment_ids: list[str], filter_string: str | None, view_type: int) -> tuple:
    """What the runs a search matches depend on, in the key of a query compiled for it."""
    return (tuple(experiment_ids), filter_string or "", view_type)
