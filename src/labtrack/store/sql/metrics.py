"""Metric points: bulk inserts from the background writer, histories, latest values."""

from __future__ import annotations

import itertools
import json
import operator
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from labtrack.entities import Metric
from labtrack.store.sql import connection, driver, failures, schema
from labtrack.store.sql.base import Database, now_ms
from labtrack.store.sql.runs import Runs

m, lm, mk = schema.metrics, schema.latest_metrics, schema.metric_keys

# (run pk, key, value, timestamp ms, step): what the writer buffers per point.
MetricRow = tuple[int, str, float, int, int]
# A point the store refused, with the reason in words.
Rejected = tuple[MetricRow, str]


@dataclass
class InsertResult:
    """What ``insert_metrics`` did beyond writing: the points it set aside, and whether
    the batch (a replayed spool entry) had been written before, so nothing was."""

    rejected: list[Rejected] = field(default_factory=list)
    already_written: bool = False


_POINT_COLUMNS = ("run_id", "key_id", "step", "timestamp", "value", "is_nan")


class Metrics:
    """Metric points: written in batches by the background writer, which refers to runs
    by their integer keys; read by run id, which ``runs`` turns into a key."""

    def __init__(self, db: Database, runs: Runs):
        self.db = db
        self.runs = runs
        self._key_ids: dict[str, int] = {}  # metric name -> id; committed ids only
        # On a server database a COMMIT whose answer was lost may still have happened: the
        # writer then gives each batch an id, recorded with it, so a replay writes it once.
        # SQLite commits locally and never loses the answer.
        self.claims_batches = db.dialect != "sqlite"

    def _metric_key_ids(self, conn: Connection, keys: set[str]) -> dict[str, int]:
        """Ids of metric names, creating the missing ones inside ``conn``'s transaction."""
        ids = {key: self._key_ids[key] for key in keys if key in self._key_ids}
        missing = [key for key in keys if key not in ids]
        if missing:
            insert = self.db.upsert(conn, mk).on_conflict_do_nothing(index_elements=[mk.c.key])
            conn.execute(insert, [{"key": key} for key in missing])
            ids.update(
                conn.execute(sa.select(mk.c.key, mk.c.id).where(mk.c.key.in_(missing))).all()
            )
        return ids

    def insert_metrics(
        self,
        rows: Sequence[MetricRow],
        also: Callable[[Connection], None] | None = None,
        batch_id: str | None = None,
    ) -> InsertResult:
        """Persist a batch of points and move each (run, key)'s latest value, in one
        transaction; ``also(conn)`` runs in that transaction too (e.g. ending the run).

        Rows the store refuses for what they are (a constraint, an out-of-range number)
        never hold the others hostage: the batch is written again with each refused row set
        aside, and those come back in the result with the reason. With ``batch_id`` (a
        spool entry being replayed) nothing is written if that batch was written before.

        On SQLite the points' runs are checked once, not by a foreign-key lookup per row
        (those cost a tenth of a short run): ``also`` must not add rows for a run that is
        gone (the works of ``Runs`` check).
        """
        if not rows and also is None and batch_id is None:
            return InsertResult()
        check_each_row = self.db.dialect != "sqlite"

        def work(conn: Connection) -> dict[str, int] | None:
            if batch_id is not None and not _claim_batch(conn, batch_id):
                return None
            if rows and not check_each_row:
                _check_runs_exist(conn, rows)
            key_ids = self._insert_metrics(conn, rows) if rows else {}
            if also is not None:
                also(conn)
            return key_ids

        try:
            key_ids = self.db.write(work, foreign_keys=check_each_row)
        except _RunGone:  # the constraints, checked row by row, set its points aside
            return self._insert_setting_aside(rows, also, batch_id)
        except Exception as error:
            if not rows or not failures.is_row_error(error):
                raise
            return self._insert_setting_aside(rows, also, batch_id)
        if key_ids is None:
            return InsertResult(already_written=True)
        # Cache ids only once committed: a rolled-back or retried transaction creates none.
        self._key_ids.update(key_ids)
        return InsertResult()

    def forget_batches_work(self, batch_ids: Sequence[str]) -> Callable[[Connection], None]:
        """Work for a later write: drop the ids of batches known to be committed (only a batch
        whose commit went unanswered needs its id kept, for its spooled copy)."""
        ids = list(batch_ids)
        batches = schema.spool_batches

        def work(conn: Connection) -> None:
            conn.execute(batches.delete().where(batches.c.batch_id.in_(ids)))

        return work

    def _insert_setting_aside(
        self,
        rows: Sequence[MetricRow],
        also: Callable[[Connection], None] | None,
        batch_id: str | None,
    ) -> InsertResult:
        """``insert_metrics`` for a batch with bad rows: halves under savepoints until each
        refused row stands alone (a few bad rows in a big batch cost a few dozen savepoints)."""

        def work(conn: Connection) -> tuple[dict[str, int], list[Rejected]] | None:
            if batch_id is not None and not _claim_batch(conn, batch_id):
                return None
            key_ids: dict[str, int] = {}
            rejected: list[Rejected] = []

            def attempt(part: Sequence[MetricRow]) -> None:
                try:
                    with conn.begin_nested():
                        key_ids.update(self._insert_metrics(conn, part))
                except Exception as error:
                    if not failures.is_row_error(error):
                        raise
                    if len(part) == 1:
                        rejected.append((part[0], failures.describe(error)))
                        return
                    middle = len(part) // 2
                    attempt(part[:middle])
                    attempt(part[middle:])

            attempt(rows)
            if also is not None:
                also(conn)
            return key_ids, rejected

        written = self.db.write(work)
        if written is None:
            return InsertResult(already_written=True)
        self._key_ids.update(written[0])
        return InsertResult(rejected=written[1])

    def _insert_metrics(self, conn: Connection, rows: Sequence[MetricRow]) -> dict[str, int]:
        key_ids = self._metric_key_ids(conn, set(map(_KEY, rows)))
        # Comprehensions, not a loop of appends: this runs on the writer thread, and every
        # bytecode it spends holding the GIL slows the training loop that is logging.
        # NaN is stored as NULL with is_nan set (x != x only for NaN).
        points = [
            (
                run_pk,
                key_ids[key],
                step,
                timestamp,
                None if value != value else value,
                value != value,
            )
            for run_pk, key, value, timestamp, step in rows
        ]
        connection.insert_rows(conn, "metrics", _POINT_COLUMNS, points)
        one_run = len(set(map(_RUN, points))) == 1  # usually: then its keys are the pairs
        pairs = len(key_ids) if one_run else None
        driver.execute(conn, _latest_upsert(conn), _latest_points(points, pairs))
        return key_ids

    def get_metric_history(self, run_uuid: str, key: str) -> list[Metric]:
        steps, timestamps, values = self.metric_history_arrays(run_uuid, key)
        return [
            Metric(key, v, ts, s)
            for s, ts, v in zip(steps.tolist(), timestamps.tolist(), values.tolist(), strict=False)
        ]

    def metric_history_arrays(
        self, run_uuid: str, key: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A metric's points as three numpy columns (steps, timestamps, values), ordered by
        step. Read straight from the driver: a million points take a fraction of a second."""
        pk = self.runs.run_pk(run_uuid)
        with self.db.connect() as conn:
            key_id = conn.execute(sa.select(mk.c.id).where(mk.c.key == key)).scalar()
            rows = []
            if key_id is not None:
                with _driver_cursor(conn) as cursor:
                    cursor.execute(
                        "SELECT step, timestamp, value FROM metrics "
                        "WHERE run_id = {0} AND key_id = {0} "
                        "ORDER BY step, timestamp".format(connection.placeholder(conn)),
                        (pk, key_id),
                    )
                    rows = cursor.fetchall()
        return _point_columns(rows)

    def metric_history_extremes(
        self, run_uuid: str, key: str, buckets: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
        """For a chart of a long history: the lowest and highest point of each of ``buckets``
        equal step ranges, plus the first and last point, as (steps, timestamps, values,
        total points). None when the history is short enough to read whole.

        The points are picked in SQL down the (run, key, step) index, on SQLite and PostgreSQL
        alike, by one rule: a million points take a fraction of what reading them all into
        Python does, and a chart shows the same curve on either store.
        """
        pk = self.runs.run_pk(run_uuid)
        with self.db.connect() as conn:
            key_id = conn.execute(sa.select(mk.c.id).where(mk.c.key == key)).scalar()
        if key_id is None:
            return None
        if self.db.dialect == "sqlite":
            with _read_cursor(self.db) as cursor:
                picked = _extremes_sqlite(cursor, pk, key_id, buckets)
        else:
            picked = _extremes_postgres(self.db, pk, key_id, buckets)
        if picked is None:
            return None
        rows, total = picked
        # Sorted by (step, timestamp), each point once (a range's min and max may be one row).
        points = {row[:2]: row for row in rows}
        return (*_point_columns([points[at] for at in sorted(points)]), total)


def _step_ranges(low: int, high: int, buckets: int) -> list[tuple[int, int]]:
    """The rule's ``buckets`` equal ranges of the steps from ``low`` to ``high``, as
    inclusive (first, last) pairs, without the empty ones (more ranges than steps).

    Python's integers: steps span up to 2**64 - 1, and every bound must be exact and stay
    inside int64 (the last range ends at ``high``)."""
    span = high - low + 1
    bounds = [low + bucket * span // buckets for bucket in range(buckets + 1)]
    return [(first, after - 1) for first, after in itertools.pairwise(bounds) if after > first]


def _extremes_sqlite(cursor, pk: int, key_id: int, buckets: int) -> tuple[list, int] | None:
    """Each range's extremes by SQLite's rule that the other columns of a ``min()``/``max()``
    query come from the extreme row: the first it meets down the (run, key, step) index, so
    the lowest step among ties. Then the earliest timestamp of that point's step (a step may
    hold several points): up to four small queries per range, all in one read transaction."""
    where = "FROM metrics WHERE run_id = ? AND key_id = ?"
    long = cursor.execute(
        f"SELECT 1 {where} LIMIT 1 OFFSET ?", (pk, key_id, 2 * buckets + 2)
    ).fetchone()
    if long is None:
        return None
    rows = [
        cursor.execute(
            f"SELECT step, timestamp, value {where} ORDER BY step {order}, timestamp {order} "
            "LIMIT 1",
            (pk, key_id),
        ).fetchone()
        for order in ("ASC", "DESC")
    ]
    in_range = f"{where} AND step BETWEEN ? AND ?"
    earliest = f"SELECT min(timestamp) {where} AND step = ? AND value IS ?"
    total = 0
    for first, last in _step_ranges(rows[0][0], rows[1][0], buckets):
        bounds = (pk, key_id, first, last)
        step, lowest, count = cursor.execute(
            f"SELECT step, min(value), count(*) {in_range}", bounds
        ).fetchone()
        if not count:
            continue
        total += count
        if lowest is None:  # nothing but NaN: the range's first point, drawn as a gap
            picked = [(cursor.execute(f"SELECT min(step) {in_range}", bounds).fetchone()[0], None)]
        else:
            picked = [
                (step, lowest),
                cursor.execute(f"SELECT step, max(value) {in_range}", bounds).fetchone(),
            ]
        for step, value in picked:
            stamp = cursor.execute(earliest, (pk, key_id, step, value)).fetchone()[0]
            rows.append((step, stamp, value))
    return rows, total


# PostgreSQL has no bare-column rule (the other columns of a min() query from the min row).
# Its stand-in: the minimum of ARRAY[value, step, timestamp], compared element by element, is
# the point with the lowest value and, among ties, the earliest; -value gives the highest.
# One pass over each range's points instead of two sorted scans. Steps and timestamps travel
# in 32-bit halves, which float8 holds exactly (any int64). NULL is how NaN is stored, and an
# array's NULL sorts after every number, so NaN is picked only in a range of nothing but NaN,
# as SQLite's min()/max() do. Each range's point count comes with it.
_POSTGRES_RANGE_EXTREMES = """
SELECT picked.* FROM unnest(%(firsts)s::bigint[], %(lasts)s::bigint[]) AS ranges(first, last)
CROSS JOIN LATERAL (
    SELECT count(*), min(ARRAY[value, {point}]), min(ARRAY[-value, {point}])
    FROM metrics
    WHERE run_id = %(run)s AND key_id = %(key)s AND step BETWEEN ranges.first AND ranges.last
) AS picked
""".format(point="step >> 32, step & 4294967295, timestamp >> 32, timestamp & 4294967295")
_POSTGRES_LONG = (
    "SELECT 1 FROM metrics WHERE run_id = %(run)s AND key_id = %(key)s "
    "ORDER BY step LIMIT 1 OFFSET %(offset)s"
)
_POSTGRES_ENDS = """
(SELECT step, timestamp, value FROM metrics WHERE run_id = %(run)s AND key_id = %(key)s
 ORDER BY step, timestamp LIMIT 1)
UNION ALL
(SELECT step, timestamp, value FROM metrics WHERE run_id = %(run)s AND key_id = %(key)s
 ORDER BY step DESC, timestamp DESC LIMIT 1)
"""


def _extremes_postgres(db: Database, pk: int, key_id: int, buckets: int) -> tuple[list, int] | None:
    """The ranges are read in two halves at once, each on a connection of the pool:
    PostgreSQL runs a query on one core, and a server has more. Both halves cut the steps
    found first, so a live run's new points cannot shift one half against the other. No
    thread holds a connection while it waits for another (the pool may be short of them)."""
    history = {"run": pk, "key": key_id}
    with _read_cursor(db) as cursor:
        # With the statistics of a table that just grew (a new run's points), the planner
        # takes a history for a few points and reads all of them in a bitmap scan (0.06-0.2 s
        # for a million) where these need the first rows down the index.
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(_POSTGRES_LONG, {**history, "offset": 2 * buckets + 2})
        if cursor.fetchone() is None:
            return None
        cursor.execute(_POSTGRES_ENDS, history)
        ends = cursor.fetchall()
    if not ends:  # the run was removed meanwhile
        return None
    ranges = _step_ranges(ends[0][0], ends[-1][0], buckets)
    middle = len(ranges) // 2
    with ThreadPoolExecutor(max_workers=1) as other:
        second = other.submit(_postgres_range_extremes, db, history, ranges[middle:])
        extremes = _postgres_range_extremes(db, history, ranges[:middle])
        extremes += second.result()  # its error, if any, is raised here
    picked = [
        _picked_point(extreme, sign)
        for count, lowest, highest in extremes
        if count
        for extreme, sign in ((lowest, 1), (highest, -1))
    ]
    return ends + picked, sum(count for count, _, _ in extremes)


def _postgres_range_extremes(
    db: Database, history: dict, ranges: list[tuple[int, int]]
) -> list[tuple]:
    """(point count, lowest, highest) of each range; the extremes as the arrays of
    ``_POSTGRES_RANGE_EXTREMES`` (None for an empty range)."""
    if not ranges:
        return []
    firsts, lasts = [first for first, _ in ranges], [last for _, last in ranges]
    with _read_cursor(db) as cursor:
        # The planner prices the thousand small LATERAL scans as one huge query and compiles
        # it with JIT: 0.25 s of a 0.6 s read of a million points, for nothing.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(_POSTGRES_RANGE_EXTREMES, {**history, "firsts": firsts, "lasts": lasts})
        return cursor.fetchall()


@contextmanager
def _read_cursor(db: Database) -> Iterator:
    """``_driver_cursor`` on a connection of ``db``'s pool, in a transaction that ends, with
    the connection, when the block does (on SQLite the transaction's BEGIN is what gives
    every query one snapshot)."""
    with db.connect() as conn, conn.begin(), _driver_cursor(conn) as cursor:
        yield cursor


@contextmanager
def _driver_cursor(conn: Connection) -> Iterator:
    """The driver's own cursor on ``conn`` (plain tuples, no Row objects; it does not make
    SQLAlchemy begin), closed after the block. A damaged or read-only SQLite file is reported
    as labtrack's error, as SQLAlchemy's execution reports it (``translated_errors``)."""
    cursor = conn.connection.cursor()
    try:
        with connection.translated_errors(conn.engine):
            yield cursor
    finally:
        cursor.close()


def _picked_point(extreme: list, sign: int) -> tuple[int, int, float | None]:
    """(step, timestamp, value) of an extreme's array: ``sign`` -1 undoes the highest's
    negated value."""
    value, step_high, step_low, time_high, time_low = extreme
    return (
        (int(step_high) << 32) + int(step_low),
        (int(time_high) << 32) + int(time_low),
        None if value is None else sign * value,
    )


def _claim_batch(conn: Connection, batch_id: str) -> bool:
    """Record a batch's id in this transaction; False if it was recorded before (the batch
    is in the store already)."""
    batches = schema.spool_batches
    statement = (
        connection.upsert(conn, batches)
        .values(batch_id=batch_id, recorded_time=now_ms())
        .on_conflict_do_nothing()
        .returning(batches.c.batch_id)
    )  # rowcount is -1 on psycopg here
    return conn.execute(statement).first() is not None


class _RunGone(Exception):
    """A batch has points of a run no longer in the store (removed by another process)."""


def _check_runs_exist(conn: Connection, rows: Sequence[MetricRow]) -> None:
    """Raise ``_RunGone`` unless every run the points belong to is in the store: what the
    foreign keys of ``metrics`` and ``latest_metrics`` would check on each row."""
    pks = list(set(map(_RUN, rows)))
    if len(pks) <= _RUNS_PER_LIST:  # a list of each length is compiled once, then cached
        query, values = _COUNT_RUNS.format(", ".join("?" * len(pks))), pks
    else:  # more than SQLite binds at once
        query, values = _COUNT_RUNS.format("SELECT value FROM json_each(?)"), [json.dumps(pks)]
    with connection.translated_errors(conn.engine):
        found = conn.connection.driver_connection.execute(query, values).fetchone()[0]
    if found != len(pks):
        raise _RunGone()


_COUNT_RUNS = "SELECT count(*) FROM runs WHERE id IN ({})"
_RUNS_PER_LIST = 100


# A history's columns: steps and timestamps stay int64 (float64 rounds them above 2**53).
_POINT_DTYPE = np.dtype([("step", "<i8"), ("timestamp", "<i8"), ("value", "<f8")])


def _point_columns(rows: Sequence[tuple]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(step, timestamp, value) rows as int64, int64 and float64 columns, converted in one
    pass in C; a NULL value (how NaN is stored) becomes NaN."""
    table = np.array(rows, dtype=_POINT_DTYPE) if rows else np.empty(0, dtype=_POINT_DTYPE)
    return tuple(np.ascontiguousarray(table[name]) for name in _POINT_DTYPE.names)  # type: ignore[return-value]


def _latest_points(points: list[tuple], pairs: int | None) -> list[dict]:
    """The last point of each (run, key) in a batch: highest step, then latest timestamp
    (of equals, the one logged last). ``pairs``: how many (run, key) pairs the batch has,
    when known (one run: its number of keys).

    It runs over every point of every flush, so the work is done in C: two stable sorts on
    plain integers (by time, then by step: the order of (step, time)), about linear on points
    logged step by step; then, from the end, the first point of each pair, which with a
    known number of pairs stops after a few points.
    """
    ordered = sorted(sorted(points, key=_TIME), key=_STEP)
    if pairs is None:
        latest = dict(zip(map(_RUN_AND_KEY, ordered), ordered, strict=True))  # the last one wins
    else:
        latest = {}
        for point in reversed(ordered):
            latest.setdefault(point[:2], point)
            if len(latest) == pairs:
                break
    return [dict(zip(_POINT_COLUMNS, point, strict=False)) for point in latest.values()]


_RUN = operator.itemgetter(0)  # of a point or a MetricRow
_STEP, _TIME = operator.itemgetter(2), operator.itemgetter(3)  # of a point
_RUN_AND_KEY = operator.itemgetter(0, 1)  # of a point
_KEY = operator.itemgetter(1)  # of a MetricRow


_latest_upserts: dict[str, object] = {}


def _latest_upsert(conn: Connection):
    """Move each (run, key)'s latest point forward, never back. Built once per dialect:
    SQLAlchemy rebuilds ``excluded`` on every access, which costs about a millisecond."""
    statement = _latest_upserts.get(conn.dialect.name)
    if statement is None:
        insert = connection.upsert(conn, lm)
        excluded = insert.excluded
        newer = sa.or_(
            excluded.step > lm.c.step,
            sa.and_(excluded.step == lm.c.step, excluded.timestamp >= lm.c.timestamp),
        )
        statement = _latest_upserts[conn.dialect.name] = insert.on_conflict_do_update(
            index_elements=[lm.c.run_id, lm.c.key_id],
            set_={c: excluded[c] for c in ("step", "timestamp", "value", "is_nan")},
            where=newer,
        )
    return statement
