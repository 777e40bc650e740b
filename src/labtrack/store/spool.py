"""The spool: where logged data waits on local disk while its store cannot be reached.

When a store is away (a PostgreSQL server restarting, a network drop), the metric writer
moves what it could not persist here, so a process that exits meanwhile loses nothing.
Each store has its own spool file under the labtrack home (``spool/<digest>.sqlite``, the
digest of the store's URI without its password). Entries are replayed in the order they
were written: by the process that spooled them once the store answers again, by the next
process that opens the same store, or by ``labtrack spool replay``.

Each entry carries a batch id that the store records in the same transaction as the
entry's rows (``spool_batches``), so an entry is written once even if a replay is cut
short between the store's commit and the spool's, or two processes replay at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from labtrack import env
from labtrack.store import fork_guard

# (run uuid, key, value, timestamp ms, step): a metric point named by its run's uuid, which
# stays valid wherever the point is replayed (a run's integer key is the store's own).
SpooledPoint = tuple[str, str, float, int, int]
# (run uuid, status, end time ms): a run's end that could not be written.
RunEnd = tuple[str, str, int]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id TEXT NOT NULL UNIQUE,
    created REAL NOT NULL,
    payload TEXT NOT NULL
)
"""
# Points a store refused for what they are (set aside by the writer), kept for the record.
_REFUSED = """
CREATE TABLE IF NOT EXISTS refused (
    created REAL NOT NULL,
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value REAL,
    timestamp INTEGER,
    step TEXT NOT NULL,
    reason TEXT NOT NULL
)
"""
# Spool writes are rare (only while a store is away) and must survive a crash right after.
_BUSY_TIMEOUT_S = 60
# Entries replayed per spool transaction: short holds of the spool's lock, so a process
# spooling meanwhile never waits long.
_REPLAY_CHUNK = 64


def display_uri(uri: str) -> str:
    """The store URI with any password masked: what the spool records and prints."""
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(uri).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy parses: show no part of it that may be secret
        return uri.split("@")[-1]


def spool_path(uri: str, home: Path | None = None) -> Path:
    """The spool file of the store at ``uri``."""
    digest = hashlib.sha256(display_uri(uri).encode()).hexdigest()[:24]
    return (home or env.default_home()) / "spool" / f"{digest}.sqlite"


@dataclass
class SpoolEntry:
    """What one flush could not write: runs' params and tags, points, and the ends of runs
    after them."""

    batch_id: str
    points: list[SpooledPoint] = field(default_factory=list)
    ends: list[RunEnd] = field(default_factory=list)
    # run uuid -> (params, tags) the writer had queued (runs this process started)
    meta: dict[str, tuple[dict, dict]] = field(default_factory=dict)


@dataclass
class ReplayReport:
    """What a replay did: entries written now, entries an earlier replay had written
    already, and how many points they carried."""

    replayed: int = 0
    already_written: int = 0
    points: int = 0


class Spool:
    """The spool file of one store."""

    def __init__(self, uri: str, home: Path | None = None):
        self.uri = uri
        self.path = spool_path(uri, home)

    def exists(self) -> bool:
        """Whether this store ever spooled here (cheap: one stat, asked at every flush)."""
        return os.path.exists(self.path)  # pathlib's exists costs twice as much

    def pending(self) -> bool:
        """Whether any entry waits to be replayed."""
        if not self.exists():
            return False
        with self._connect() as conn:
            return (
                _has_table(conn, "entries")
                and conn.execute("SELECT 1 FROM entries LIMIT 1").fetchone() is not None
            )

    @contextmanager
    def _connect(self, create: bool = False) -> Iterator[sqlite3.Connection]:
        if create:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)  # points may be private
            os.close(fd)
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous = FULL")
            if create:
                conn.execute(_SCHEMA)
                conn.execute(_REFUSED)
                conn.execute("CREATE TABLE IF NOT EXISTS store (uri TEXT NOT NULL)")
                if conn.execute("SELECT count(*) FROM store").fetchone()[0] == 0:
                    conn.execute("INSERT INTO store VALUES (?)", (display_uri(self.uri),))
            yield conn
        finally:
            conn.close()

    def add(
        self,
        points: Sequence[SpooledPoint],
        ends: Sequence[RunEnd] = (),
        batch_id: str | None = None,
        meta: dict[str, tuple[dict, dict]] | None = None,
    ) -> str:
        """Append one entry, durably, under ``batch_id`` (a new id if None); returns the id.
        Raises OSError or sqlite3.Error if the local disk cannot take it either."""
        batch_id = batch_id or uuid.uuid4().hex
        # One entry, one write: what one flush could not write is spooled whole or not at all.
        payload = json.dumps(  # NaN, inf: JSON's extension
            {"points": list(points), "ends": list(ends), "meta": meta or {}}
        )
        with fork_guard.writing(), self._connect(create=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO entries (batch_id, created, payload) VALUES (?, ?, ?)",
                (batch_id, time.time(), payload),
            )
            conn.execute("COMMIT")
        return batch_id

    def keep_refused(self, points: Sequence[tuple[SpooledPoint, str]]) -> None:
        """Record points the store refused, with the reason, so they outlive this process
        (``labtrack spool status`` counts them). A step is kept as text: it may be one no
        64-bit column holds, which is why it was refused."""
        rows = [
            (
                time.time(),
                run_id,
                key,
                value,
                timestamp if _fits(timestamp) else None,
                str(step),
                reason,
            )
            for (run_id, key, value, timestamp, step), reason in points
        ]
        with fork_guard.writing(), self._connect(create=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO refused VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            conn.execute("COMMIT")

    def refused(self) -> list[tuple[str, str, float, int | None, str, str]]:
        """The refused points on record: (run id, key, value, timestamp, step, reason)."""
        if not self.exists():
            return []
        with self._connect() as conn:
            if not _has_table(conn, "refused"):
                return []
            return conn.execute(
                "SELECT run_id, key, value, timestamp, step, reason FROM refused ORDER BY rowid"
            ).fetchall()

    def count(self) -> tuple[int, int]:
        """(entries, points) waiting."""
        if not self.exists():
            return 0, 0
        with self._connect() as conn:
            return _waiting(conn)

    def replay(self, write) -> ReplayReport:
        """Hand every entry, oldest first, to ``write(entry) -> bool`` (False: the store had
        it already) and remove it once written. Stops at the first error, which propagates
        (``SpoolError`` if the spool file itself fails); what was written so far stays
        written and is not replayed again."""
        report = ReplayReport()
        if not self.exists():
            return report
        while True:
            with fork_guard.writing(), self._errors(), self._connect() as conn:
                if not _has_table(conn, "entries"):
                    return report
                # One replayer at a time: the lock is held while this chunk is written.
                conn.execute("BEGIN IMMEDIATE")
                rows = conn.execute(
                    "SELECT seq, batch_id, payload FROM entries ORDER BY seq LIMIT ?",
                    (_REPLAY_CHUNK,),
                ).fetchall()
                try:
                    for seq, batch_id, payload in rows:
                        entry = _entry(batch_id, payload)
                        with self._not_ours():  # the store's errors pass through as they are
                            written = write(entry)
                        report.replayed += written
                        report.already_written += not written
                        report.points += len(entry.points) if written else 0
                        conn.execute("DELETE FROM entries WHERE seq = ?", (seq,))
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("COMMIT")  # the entries written so far leave the spool
                    raise
                conn.execute("COMMIT")
                if len(rows) < _REPLAY_CHUNK:
                    # The empty file stays: removing it could lose an entry that a process
                    # which opened it a moment ago is about to write.
                    return report

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """The spool file's own failures, as ``SpoolError`` naming it."""
        try:
            yield
        except _StoreFailure as failure:
            raise failure.error from failure.error.__cause__
        except (sqlite3.Error, OSError, ValueError, KeyError) as error:  # ValueError: bad JSON
            raise SpoolError(
                f"the spool {self.path} cannot be used ({type(error).__name__}: {error})"
            ) from error

    @contextmanager
    def _not_ours(self) -> Iterator[None]:
        try:
            yield
        except Exception as error:  # carried past _errors() unchanged
            raise _StoreFailure(error) from None


class SpoolError(Exception):
    """The spool file cannot be read or written (damaged, not a database, another user's)."""


class _StoreFailure(Exception):
    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


def _entry(batch_id: str, payload: str) -> SpoolEntry:
    data = json.loads(payload)
    return SpoolEntry(
        batch_id,
        [tuple(p) for p in data["points"]],
        [tuple(end) for end in data["ends"]],
        {run: (params, tags) for run, (params, tags) in data.get("meta", {}).items()},
    )


def spools(home: Path | None = None) -> list[tuple[Path, str, int, int, int]]:
    """Every spool file under the labtrack home: (path, store URI masked, entries, points
    waiting, points refused on record)."""
    folder = (home or env.default_home()) / "spool"
    found = []
    for path in sorted(folder.glob("*.sqlite")):
        with sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S) as conn:
            row = (
                conn.execute("SELECT uri FROM store").fetchone()
                if _has_table(conn, "store")
                else None
            )
            if not _has_table(conn, "entries"):
                continue
            entries, points = _waiting(conn)
            refused = (
                conn.execute("SELECT count(*) FROM refused").fetchone()[0]
                if _has_table(conn, "refused")
                else 0
            )
        found.append((path, row[0] if row else "?", entries, points, refused))
    return found


def _fits(number: object) -> bool:
    return isinstance(number, int) and -(2**63) <= number < 2**63


def _waiting(conn: sqlite3.Connection) -> tuple[int, int]:
    """(entries, points) waiting in an open spool file."""
    if not _has_table(conn, "entries"):
        return 0, 0
    payloads = [
        json.loads(payload)["points"] for (payload,) in conn.execute("SELECT payload FROM entries")
    ]
    return len(payloads), sum(map(len, payloads))


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None
    )
