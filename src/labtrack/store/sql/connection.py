"""Opening a SQL store: the one place for engine options, SQLite pragmas and dialect quirks.

SQLite runs in WAL mode with a long busy timeout so several kernels can write one file.
Write transactions start with ``BEGIN IMMEDIATE``: a deferred transaction that reads and
then writes can fail with "database is locked" without ever waiting on the busy timeout.
Within one process, writers to a file also take a lock of its own first (``_write_lock``).

A SQLite file this user cannot write (or a ``?mode=ro`` URI) opens read-only: reads work,
writes raise ``ReadOnlyStore``. A damaged file raises ``CorruptStore`` wherever SQLite finds
the damage (on opening, or at a later read or write): each engine translates those driver
errors into labtrack's, naming the file and pointing to ``labtrack db check``.
"""

from __future__ import annotations

import atexit
import itertools
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from labtrack.errors import AlreadyExists, CorruptStore, InvalidParameter, ReadOnlyStore, StoreError
from labtrack.store import fork_guard

BUSY_TIMEOUT_MS = 60_000
PG_CONNECT_TIMEOUT_S = 10
_SQLITE_HEADER = b"SQLite format 3\x00"
T = TypeVar("T")


def backend_name(uri: str) -> str:
    """The database a URI names: ``sqlite``, ``postgresql``, ..."""
    return sa.engine.make_url(uri).get_backend_name()


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, or None for other schemes or in-memory."""
    url = sa.engine.make_url(uri)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


@dataclass(frozen=True)
class SqliteFile:
    """A store's SQLite file and how this process may use it."""

    path: Path
    read_only: str | None = None  # why it is read-only (in plain words), or None
    # the process's lock for writes to the file, shared by every SqliteFile of it
    write_lock: threading.RLock = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "write_lock", _write_lock(self.path))  # frozen: set once

    @property
    def uri(self) -> str:
        return f"sqlite:///{self.path}"


_files: weakref.WeakKeyDictionary[Engine, SqliteFile] = weakref.WeakKeyDictionary()


def sqlite_file(engine: Engine) -> SqliteFile | None:
    """The SQLite file behind an engine made by ``create_engine`` (None for other databases)."""
    return _files.get(engine)


def create_engine(uri: str) -> Engine:
    """An engine for a ``sqlite:///`` or ``postgresql://`` URI, configured for labtrack."""
    url = sa.engine.make_url(uri)
    backend = url.get_backend_name()
    if backend == "sqlite":
        path = sqlite_path(uri)
        if path is None:
            engine = sa.create_engine(
                url,
                connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
                poolclass=sa.pool.StaticPool,
            )
            _configure_sqlite(engine, None)
            return engine
        return _sqlite_file_engine(url.set(query={}), _sqlite_file(path, dict(url.query)))
    if backend == "postgresql":
        if url.drivername == "postgresql":  # prefer psycopg 3, installed by labtrack[postgres]
            url = url.set(drivername="postgresql+psycopg")
        # A bounded connect: behind a network drop, a connect would otherwise hang for
        # minutes, and the metric writer spools only once it gives up.
        args = {} if "connect_timeout" in url.query else {"connect_timeout": PG_CONNECT_TIMEOUT_S}
        return sa.create_engine(url, pool_pre_ping=True, connect_args=args)
    raise InvalidParameter(
        f"unsupported tracking URI scheme {url.drivername!r}: use sqlite:///path or postgresql://..."
    )


def _sqlite_file_engine(
    url: sa.URL, file: SqliteFile, foreign_keys: bool = True, pooled: bool = True
) -> Engine:
    # Our own connect function: a read-only file needs SQLite URI parameters.
    pool = sa.pool.QueuePool if pooled and not file.read_only else sa.pool.NullPool
    engine = sa.create_engine(url, creator=lambda: _connect(file), poolclass=pool)
    _files[engine] = file
    _configure_sqlite(engine, file, foreign_keys)
    return engine


# A SQLite file's second engine, for writes that check their rows' parents themselves: its
# connections never check foreign keys. Switching the pragma on one connection back and
# forth would cost more than the checks, as SQLite then compiles every statement anew.
class _UncheckedWrites:
    """A SQLite file's second engine and the connection each thread keeps on it.

    These writes are a short run's two transactions, and checking a connection out of a
    pool and back in cost about a tenth of such a run: a thread keeps its connection
    instead, used only while it holds the file's write lock (so ``close`` under that lock
    never closes one in use). The engine pools nothing (NullPool): a thread's connection
    closes once the thread is gone, and however many threads write, none waits for a pool.

    Kept by thread object, not in a ``threading.local``: a ``threading.local`` freed by the
    garbage collector takes the interpreter's thread-list lock, which Python 3.11 before
    3.11.9 already holds when a collection starts inside ``sys._current_frames()`` (as
    Dask's profiler calls it): the process hangs (CPython gh-106883).
    """

    def __init__(self, url: sa.URL, file: SqliteFile):
        self.engine = _sqlite_file_engine(url, file, foreign_keys=False, pooled=False)
        self._by_thread: weakref.WeakKeyDictionary[threading.Thread, Connection] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def open(self) -> list[Connection]:
        """The connections threads keep now."""
        return [conn for conn in list(self._by_thread.values()) if not conn.closed]

    def connection(self) -> Connection:
        """This thread's connection; call it holding the file's write lock."""
        thread = threading.current_thread()
        conn = self._by_thread.get(thread)
        if conn is None or conn.closed or conn.invalidated:
            conn = self._by_thread[thread] = self.engine.connect()
        return conn

    def close(self, close: bool = True) -> None:
        """Let go of every thread's connection, closing it unless ``close`` is false (in a
        forked child: they are the parent's)."""
        file = _files[self.engine]
        with _held(file.write_lock):
            kept = list(self._by_thread.values())
            self._by_thread = weakref.WeakKeyDictionary()
            for conn in kept if close else ():
                conn.close()


_unchecked: weakref.WeakKeyDictionary[Engine, _UncheckedWrites] = weakref.WeakKeyDictionary()
_unchecked_lock = threading.Lock()


def _unchecked_writes(engine: Engine) -> _UncheckedWrites:
    file = _files[engine]
    with _unchecked_lock:
        unchecked = _unchecked.get(engine)
        if unchecked is None:
            unchecked = _unchecked[engine] = _UncheckedWrites(engine.url, file)
    return unchecked


def dispose(engine: Engine, close: bool = True) -> None:
    """``engine.dispose(close)``, and the same for the connections ``run_write`` may keep
    on a second engine on its SQLite file (``foreign_keys=False``)."""
    engine.dispose(close=close)
    unchecked = _unchecked.get(engine)
    if unchecked is not None:
        unchecked.close(close=close)


def _sqlite_file(path: Path, query: dict) -> SqliteFile:
    """Decide how to open ``path``; create its folder when the store is new."""
    mode = query.get("mode")
    if set(query) - {"mode"} or mode not in (None, "ro"):
        given = "&".join(f"{key}={value}" for key, value in query.items())
        raise InvalidParameter(
            f"unsupported options ?{given} in the SQLite URI of {path}: labtrack supports only ?mode=ro"
        )
    if path.exists():
        read_only = "opened with ?mode=ro" if mode else _not_writable(path)
        return SqliteFile(path, read_only)
    if mode:
        raise StoreError(
            f"there is no labtrack store at {path} (opened with ?mode=ro, so none is created)"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(
            f"cannot create the labtrack store {path}: {error.strerror} ({path.parent})"
        ) from error
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise StoreError(
            f"cannot create the labtrack store {path}: its folder is not writable by this user"
        )
    return SqliteFile(path)


# One lock per SQLite file for the write transactions of this process's threads (the metric
# writer, the git-state thread, the caller's own). Between processes SQLite's busy handler
# makes a writer wait, but it polls: it sleeps 1 ms, then 2, 5, 10 ms..., so a thread
# meeting another's 50 us transaction lost a millisecond or more. Waiting on this lock, it
# goes on as soon as that transaction ends.
_write_locks: dict[str, threading.RLock] = {}
_write_locks_lock = threading.Lock()


def _write_lock(path: Path) -> threading.RLock:
    key = os.path.realpath(path)  # two URIs, one file: one lock
    with _write_locks_lock:
        return _write_locks.setdefault(key, threading.RLock())


def _not_writable(path: Path) -> str | None:
    # SQLite writes the file and creates its -wal and -shm files next to it.
    if not os.access(path, os.W_OK):
        return "the file is not writable by this user"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return "its folder is not writable by this user"
    return None


def _connect(file: SqliteFile) -> sqlite3.Connection:
    options = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    if not file.read_only:
        return sqlite3.connect(file.path, **options)
    uri = file.path.resolve().as_uri()
    wal = file.path.with_name(file.path.name + "-wal")
    if wal.exists():
        # A process has the store open (or died with it open): its latest changes may be
        # in the -wal file, which mode=ro reads through the writer's -shm file.
        conn = sqlite3.connect(uri + "?mode=ro", uri=True, **options)
        try:
            conn.execute("PRAGMA schema_version")  # SQLite opens lazily: this reads the files
            return conn
        except sqlite3.OperationalError as error:
            conn.close()
            if wal.stat().st_size > 0:
                raise StoreError(
                    f"cannot read the labtrack store {file.path}: it is read-only here "
                    f"({file.read_only}) and its latest changes are still in {wal.name}, which "
                    f"SQLite reads only through {file.path.name}-shm ({error}). Once the "
                    "processes writing it close it, the file holds every change and can be read."
                ) from error
    # No -wal content: the file alone is the whole store. `immutable` reads it without
    # creating -wal and -shm files, which, owned by this user, could keep the store's
    # owner from writing it later. Read-only engines connect anew for each use (NullPool),
    # so a later change by the owner is seen at the next read.
    return sqlite3.connect(uri + "?immutable=1", uri=True, **options)


def _configure_sqlite(engine: Engine, file: SqliteFile | None, foreign_keys: bool = True) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is always deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if file is None or not file.read_only:  # switching journal modes writes the file
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        if not conn.connection.driver_connection.in_transaction:  # else run_write began it
            conn.exec_driver_sql("BEGIN")

    if file is None:
        return

    @event.listens_for(engine, "handle_error")
    def _on_error(context):
        return store_error(context.original_exception, file)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        if _closing:  # see close_at_exit
            record.invalidate()


def store_error(error: BaseException, file: SqliteFile) -> StoreError | None:
    """labtrack's error for a SQLite error that says the file is damaged or read-only
    (None for any other error: a lock, a constraint, ...)."""
    error = getattr(error, "orig", None) or error  # unwrap SQLAlchemy's DBAPIError
    if not isinstance(error, sqlite3.DatabaseError):
        return None
    name = getattr(error, "sqlite_errorname", "")  # Python 3.11+; the text works everywhere
    text = str(error).lower()
    if (
        name.startswith("SQLITE_CORRUPT")
        or name == "SQLITE_NOTADB"
        or (not name and ("malformed" in text or "file is not a database" in text))
    ):
        return CorruptStore(corruption_message(file, str(error)))
    if name.startswith("SQLITE_READONLY") or (not name and "readonly database" in text):
        return ReadOnlyStore(read_only_message(file, file.read_only or f"SQLite: {error}"))
    return None


def read_only_message(file: SqliteFile, reason: str) -> str:
    return (
        f"cannot write to the labtrack store {file.path}: it is read-only here ({reason}). "
        "Reading it works; to log runs, use a store you can write "
        "(LABTRACK_TRACKING_URI, or a copy made with `labtrack db backup`)."
    )


def corruption_message(file: SqliteFile, detail: str) -> str:
    return (
        f"the labtrack store {file.path} is damaged: {diagnose(file.path, detail)}. "
        f"Run `labtrack --tracking-uri {file.uri} db check` to see what is wrong; "
        "restore the file from a backup, or move it aside to start a new store."
    )


def diagnose(path: Path, detail: str) -> str:
    """What is wrong with a file SQLite reports as damaged, in plain words."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
        size = path.stat().st_size
    except OSError as error:
        return f"it cannot be read ({error.strerror})"
    if not header.startswith(_SQLITE_HEADER):
        return (
            "it is not a SQLite database: its first bytes are not SQLite's header "
            "(another kind of file, or its start was overwritten)"
        )
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count in the header is valid when its change counter matches (SQLite >= 3.7).
    if header[24:28] == header[92:96] and pages * page_size > size:
        return (
            f"the file is cut short: {size:,} of the {pages * page_size:,} bytes its header "
            "announces (a copy that did not finish, or a full disk)"
        )
    return f"some of its pages are damaged (SQLite: {detail})"


# -- checking and copying a SQLite store --------------------------------------------------


def integrity_problems(file: SqliteFile) -> list[str]:
    """What SQLite's ``PRAGMA integrity_check`` finds wrong with the file ([] when sound).

    It reads every page, so it takes a while on a large store.
    """
    conn = _connect(file)
    try:
        rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:  # damage that stops the check itself
        return [diagnose(file.path, str(error))]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def backup(file: SqliteFile, dest: Path, overwrite: bool = False) -> Path:
    """Copy the store into ``dest`` (a file, or a folder to put a file of the same name in)
    with SQLite's online backup API, and return the file written.

    The copy is one consistent snapshot, as of when it starts, even while other processes
    write: it is made in a single step under one read transaction, which in WAL mode does
    not hold up writers (a copy made in several steps would restart at each of their
    commits). It is written beside ``dest`` and renamed into place once checked, so an
    interrupted backup never leaves a half-written ``dest``.
    """
    if dest.is_dir():
        dest = dest / file.path.name
    if not dest.parent.is_dir():
        raise InvalidParameter(f"cannot back up to {dest}: there is no folder {dest.parent}")
    if dest.exists() and dest.resolve() == file.path.resolve():
        raise InvalidParameter(f"{dest} is the store itself: back it up to another file")
    if dest.exists() and not overwrite:
        raise AlreadyExists(
            f"{dest} already exists: choose another name, or replace it with --force"
        )
    for suffix in ("-wal", "-shm"):
        if dest.with_name(dest.name + suffix).exists():
            # SQLite would read a leftover -wal into the new file and damage it.
            raise InvalidParameter(
                f"{dest}{suffix} exists: {dest} is open in another program, or was not closed "
                "cleanly; close it, or choose another name"
            )
    partial = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    try:
        source = _connect(file)
        try:
            target = sqlite3.connect(partial)
            try:
                source.backup(target)  # every page in one step
                problems = [row[0] for row in target.execute("PRAGMA quick_check")]
            finally:
                target.close()
        finally:
            source.close()
        if problems != ["ok"]:
            raise CorruptStore(corruption_message(file, "; ".join(problems[:5])))
        os.replace(partial, dest)
    except sqlite3.DatabaseError as error:
        translated = store_error(error, file) or StoreError(
            f"could not back up {file.path}: {error}"
        )
        raise translated from error
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)
    return dest


# -- closing: SQLite moves the -wal file into the database when its last connection closes --

_closing = False


def close_at_exit() -> None:
    """Close every pooled SQLite connection, and from now on close each connection as soon
    as it is returned to its pool, so that the last one to close checkpoints the -wal file
    into the database and removes it: a copy of the .db file alone then holds every run.

    Registered with ``atexit`` when this module loads. Closing on return makes the order of
    exit handlers irrelevant: labtrack's other exit work (the metric writer's final flush,
    the end of the active run, both registered by modules that may load before or after
    this one) may run before or after this, and whatever it opens is closed when it is done.
    """
    global _closing
    _closing = True
    for unchecked in list(_unchecked.values()):
        unchecked.close()
    for engine in list(_files):
        engine.dispose()


atexit.register(close_at_exit)


def _is_locked(error: BaseException) -> bool:
    text = str(getattr(error, "orig", error)).lower()
    return "database is locked" in text or "database is busy" in text


def run_write(
    engine: Engine,
    work: Callable[[Connection], T],
    attempts: int = 5,
    foreign_keys: bool = True,
) -> T:
    """Run ``work(conn)`` in one write transaction; on SQLite it holds the write lock throughout.

    The busy timeout already waits a minute for other writers; should that still run out
    (a very long transaction elsewhere), the whole transaction is retried from the start.
    ``work`` must not commit or begin a transaction itself (savepoints are fine).

    With ``foreign_keys=False`` a SQLite file does not check the parent of each row written
    (``work`` checks what it must, once): the write goes through a second engine on the
    file, whose connections skip those checks. PostgreSQL checks them always.
    """
    file = _files.get(engine)
    if file is not None and file.read_only:
        raise ReadOnlyStore(read_only_message(file, file.read_only))
    # PostgreSQL always checks; in memory, a second engine would be another database.
    unchecked = _unchecked_writes(engine) if not foreign_keys and file is not None else None
    for attempt in range(attempts):
        try:
            with fork_guard.writing():
                if file is None:
                    with engine.connect() as conn:
                        if engine.dialect.name == "sqlite":
                            return _sqlite_write(conn, work)
                        with conn.begin():
                            return work(conn)
                with _held(file.write_lock):
                    if unchecked is not None and not _closing:
                        return _sqlite_write(unchecked.connection(), work)
                    with (unchecked.engine if unchecked else engine).connect() as conn:
                        return _sqlite_write(conn, work)
        except (sa.exc.OperationalError, sqlite3.OperationalError) as error:
            if not _is_locked(error) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


class _held:
    """``with _held(lock):`` holds ``lock`` if it can be had within the busy timeout, and
    goes on without it otherwise: SQLite's own lock still serializes the writes, and a
    ``work`` that waits for another thread's write (which would wait for this lock) then
    fails with "database is locked" as it did before, instead of hanging."""

    __slots__ = ("lock", "acquired")

    def __init__(self, lock: threading.RLock):
        self.lock = lock

    def __enter__(self) -> None:
        self.acquired = self.lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000)

    def __exit__(self, *_exc) -> None:
        if self.acquired:
            self.lock.release()


def _sqlite_write(conn: Connection, work: Callable[[Connection], T]) -> T:
    """``work(conn)`` in a transaction begun IMMEDIATE (the write lock at once: no deadlock
    between two readers turning writers) and committed on the driver's own connection:
    SQLAlchemy's transaction costs ~60 us more, and every run makes two writes. Should
    ``work`` run a statement through SQLAlchemy, SQLAlchemy joins the transaction
    (``_on_begin`` sees it open) and then commits it itself."""
    dbapi = conn.connection.driver_connection
    with translated_errors(conn.engine):
        dbapi.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
        if conn.in_transaction():
            conn.commit()
        else:
            with translated_errors(conn.engine):
                dbapi.commit()
        return result
    except BaseException:
        try:
            if conn.in_transaction():
                conn.rollback()
            elif dbapi.in_transaction:
                dbapi.rollback()
        except Exception:  # the connection broke: the pool resets or drops it
            pass
        raise


class translated_errors:
    """Around a call to the driver's own connection or cursor (``with
    translated_errors(engine):``): a SQLite error that means a damaged or read-only file
    becomes labtrack's, as SQLAlchemy's error hook (which the driver's own calls bypass)
    makes it. A class, not a generator: every statement of every run passes through it."""

    __slots__ = ("engine",)

    def __init__(self, engine: Engine):
        self.engine = engine

    def __enter__(self) -> None:
        return None

    def __exit__(self, _kind, error, _traceback) -> None:
        if isinstance(error, sqlite3.DatabaseError):
            file = _files.get(self.engine)
            translated = store_error(error, file) if file is not None else None
            if translated is not None:
                raise translated from error


def upsert(conn: Connection, table: sa.Table):
    """The dialect's INSERT ... ON CONFLICT construct (SQLite and PostgreSQL share its API)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def insert_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[tuple]
) -> None:
    """Bulk-insert plain tuples through the driver's own cursor (no per-row SQLAlchemy work).

    On SQLite, multi-row ``VALUES`` statements of thousands of rows each, not ``executemany``:
    executemany takes the GIL back for every row, and a thread that does so while another
    thread runs a tight Python loop (a training loop logging metrics) waits up to the
    interpreter's 5 ms switch interval each time; 30,000 rows took 30 s instead of 0.1 s
    here. One statement binds a chunk at once and steps through it without the GIL, and is
    faster on its own too (the same statement text each time hits the statement cache).
    """
    if not rows:
        return
    cursor = conn.connection.cursor()
    try:
        with translated_errors(conn.engine):
            _insert_rows(conn, cursor, table, columns, rows)
    finally:
        cursor.close()


def _insert_rows(
    conn: Connection, cursor, table: str, columns: Sequence[str], rows: Sequence[tuple]
) -> None:
    names = ", ".join(columns)
    if conn.dialect.name != "sqlite":
        marks = ", ".join([placeholder(conn)] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        return
    per_row = "(" + ", ".join("?" * len(columns)) + ")"
    # ~1,000 rows a statement: far longer VALUES lists parse slower than they insert.
    chunk = max(1, min(1000, _sqlite_max_variables(conn) // len(columns)))
    values = list(itertools.chain.from_iterable(rows))
    width = len(columns)
    for start in range(0, len(rows), chunk):
        count = min(chunk, len(rows) - start)
        cursor.execute(
            f"INSERT INTO {table} ({names}) VALUES " + ", ".join([per_row] * count),
            values[start * width : (start + count) * width],
        )


def _sqlite_max_variables(conn: Connection) -> int:
    getlimit = getattr(conn.connection.dbapi_connection, "getlimit", None)  # Python 3.11+
    if getlimit is not None:
        return getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999


def placeholder(conn: Connection) -> str:
    """The driver's positional parameter marker, for SQL sent to the driver directly."""
    return {"qmark": "?", "numeric": "?", "format": "%s", "pyformat": "%s"}.get(
        conn.dialect.paramstyle, "?"
    )
