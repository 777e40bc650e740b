"""The background writer: the hot path appends to a buffer; a thread persists it in batches.

``log_metric`` costs the caller a lock and a list append. A daemon thread flushes the buffer
in one transaction every ``LABTRACK_FLUSH_INTERVAL`` seconds, or sooner once
``LABTRACK_FLUSH_ROWS`` points wait; ``flush()`` (called by ``end_run``, before reads, and
at interpreter exit) persists everything synchronously.

The early-flush threshold is high on purpose: a flush on this thread while the caller runs
a tight Python loop fights it for the GIL, and both slow down; a short burst is cheaper
persisted in one go afterwards. Memory stays bounded all the same: once ten times the
threshold waits, the logging call persists the backlog itself before it returns (so only
then can a logging call wait on the store, or raise its error). A batch that fails to persist stays
in the buffer and is retried; the error surfaces at the caller's next ``flush()``, never as
a traceback from the thread. The same thread sends heartbeats for this process's live runs.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from labtrack import env
from labtrack.errors import LabtrackError
from labtrack.store.sql.metrics import MetricRow
from labtrack.store.sql.store import SqlStore

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


class MetricWriter:
    def __init__(self, store: SqlStore):
        self.store = store
        self.interval = env.FLUSH_INTERVAL.get_float()
        self.max_rows = int(env.FLUSH_ROWS.get_float())
        self.max_pending = 10 * self.max_rows
        self.heartbeat_interval = env.HEARTBEAT_INTERVAL.get_float()
        self.live_runs: set[str] = set()
        self._buffer: list[MetricRow] = []
        self._buffer_lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one batch in flight at a time keeps order
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._last_heartbeat = time.monotonic()
        # Small jobs that need not hold up the caller (a tracked cell's source files), in
        # order; deque appends and pops are atomic, the run lock keeps one runner at a time.
        self._deferred: deque[Callable[[], None]] = deque()
        self._deferred_lock = threading.Lock()

    def add(self, row: MetricRow) -> None:
        with self._buffer_lock:
            self._buffer.append(row)
            pending = len(self._buffer)
        if pending >= self.max_rows or self._thread is None:  # inlined: the hot path
            self._after_append(pending)

    def add_many(self, rows: list[MetricRow]) -> None:
        with self._buffer_lock:
            self._buffer.extend(rows)
            pending = len(self._buffer)
        self._after_append(pending)

    def _after_append(self, pending: int) -> None:
        if self._thread is None:
            self._start()
        if pending >= self.max_rows:
            if pending >= self.max_pending:
                self.flush()  # the loop outpaces the writer: catch up rather than grow
            elif not self._wake.is_set():  # set() costs ~10 us; once is enough
                self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def defer(self, work: Callable[[], None]) -> None:
        """Run ``work`` on the writer thread at its next tick (or at the next ``flush()``, or
        at exit): for writes the caller need not wait for."""
        self._deferred.append(work)
        if self._thread is None:
            self._start()

    def run_deferred(self) -> None:
        """Do the deferred work now, in order; a job that raises stays queued."""
        with self._deferred_lock:
            while self._deferred:
                self._deferred[0]()
                self._deferred.popleft()

    def flush(self, also: Callable[[Connection], None] | None = None, deferred: bool = True) -> None:
        """Persist everything logged so far (and, with ``deferred``, do the deferred work);
        raise if the store cannot take it. ``also(conn)`` is more work for the same
        transaction (one commit instead of two)."""
        try:
            self._persist(also)
        except Exception as error:
            what = f"{self.pending} metric points" + (" and the run's end" if also else "")
            raise LabtrackError(
                f"could not persist {what} to {self.store.uri}: {error}. "
                "They are kept in memory and retried; call flush() again once the store is reachable."
            ) from error
        if deferred:
            try:
                self.run_deferred()
            except Exception as error:
                raise LabtrackError(
                    f"could not write a run's files ({len(self._deferred)} jobs waiting): {error}. "
                    "They are kept and retried at the next flush()."
                ) from error
        self._error = None

    def _persist(self, also: Callable[[Connection], None] | None = None) -> None:
        with self._flush_lock:
            with self._buffer_lock:
                batch, self._buffer = self._buffer, []
            if not batch and also is None:
                return
            try:
                self.store.insert_metrics(batch, also)
            except BaseException:
                with self._buffer_lock:
                    self._buffer[:0] = batch  # nothing lost: back in front, in order
                raise

    def _start(self) -> None:
        with self._buffer_lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="labtrack-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self._persist()
                self.run_deferred()
                if time.monotonic() - self._last_heartbeat >= self.heartbeat_interval:
                    self._last_heartbeat = time.monotonic()
                    self.store.heartbeat(list(self.live_runs))
            except Exception as error:  # reported at the next flush(); the data stays buffered
                self._error = error
                time.sleep(self.interval)

    def _reset_after_fork(self) -> None:
        self._buffer_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = None
        self._buffer = []  # the parent persists its own points
        self._deferred = deque()  # ... and does its own deferred work
        self._deferred_lock = threading.Lock()
        self.live_runs = set()


_writers: dict[str, MetricWriter] = {}
_writers_lock = threading.Lock()


def get_writer(store: SqlStore) -> MetricWriter:
    with _writers_lock:
        writer = _writers.get(store.uri)
        if writer is None or writer.store is not store:
            writer = _writers[store.uri] = MetricWriter(store)
        return writer


def flush_all() -> None:
    for writer in list(_writers.values()):
        writer.flush()


def _flush_at_exit() -> None:
    for writer in list(_writers.values()):
        try:
            writer.flush()
        except Exception as error:  # the interpreter is going away: say so, plainly
            print(f"labtrack: {error}", flush=True)


def _after_fork_in_child() -> None:
    for writer in _writers.values():
        writer._reset_after_fork()


atexit.register(_flush_at_exit)
os.register_at_fork(after_in_child=_after_fork_in_child)
