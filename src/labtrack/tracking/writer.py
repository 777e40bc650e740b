"""The background writer: the hot path appends to a buffer; a thread persists it in batches.

``log_metric`` costs the caller an append to a deque (atomic: no lock). A daemon thread
flushes the buffer in one transaction every ``LABTRACK_FLUSH_INTERVAL`` seconds, or sooner once
``LABTRACK_FLUSH_ROWS`` points wait; ``flush()`` (called by ``end_run``, before reads, and
at interpreter exit) persists everything synchronously.

The early-flush threshold is high on purpose: a flush on this thread while the caller runs
a tight Python loop fights it for the GIL, and both slow down; a short burst is cheaper
persisted in one go afterwards. Memory stays bounded all the same: once ten times the
threshold waits, the logging call persists the backlog itself before it returns (so only
then can a logging call wait on the store, or raise its error).

Nothing logged is lost on the way:
- While the store cannot take writes (a server down or restarting, a network drop, a full
  disk; for an http(s) store, a tracking server that does not answer, or answers 429, 502,
  503 or 504, after its retries), a batch goes to the store's spool on local disk
  (``labtrack.store.spool``) and logging goes on; spooled batches are written, in order
  and before anything newer, once the store answers again. Only if the spool cannot take
  it either does a batch stay in memory, and ``flush()`` says so.
- A point the store refuses for what it is (a constraint, an out-of-range number) is set
  aside, recorded in the spool file and reported at the next ``flush()``; the rest of its
  batch is written.
- A ``multiprocessing`` child (fork or spawn, a ``Pool`` worker included) persists what it
  logged before it exits, although such children skip ``atexit``.
The params and tags of a run this process started (``adopt_run``) travel the same way:
checked at the call site (a param logged again with another value raises there), then
persisted with the run's next points, so a short run costs two transactions (its start;
its params, tags, points and end), not one per call. While the store is away they are
written by the caller, as before, so an outage is reported where they are logged.
Errors surface in the caller's ``flush()``, never as a traceback from the thread. The same
thread sends heartbeats for this process's live runs and for every run it wrote points
to: a process that logs to a run another process started keeps that run alive too (it
registers as the run's keeper in the transaction that stores its first points there).
"""

from __future__ import annotations

import atexit
import itertools
import operator
import os
import signal
import sys
import threading
import time
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from labtrack import env
from labtrack.errors import InvalidParameter, InvalidState, LabtrackError, NotFound
from labtrack.store import is_current
from labtrack.store.spool import (
    ReplayReport,
    RunEnd,
    Spool,
    SpooledPoint,
    SpoolEntry,
    SpoolError,
    display_uri,
)
from labtrack.store.sql import failures
from labtrack.store.sql.base import in_order
from labtrack.store.sql.metrics import MetricRow, Rejected
from labtrack.store.sql.runs import param_conflict
from labtrack.store.sql.store import SqlStore
from labtrack.tracking.alerts import AlertConditions
from labtrack.tracking.validation import validate_point

# While the store is away, try it again at most this often (each try may wait on a connect).
_RETRY_AWAY_SECONDS = 1.0
# How often to look whether another process left spooled points for this store.
_SPOOL_CHECK_SECONDS = 1.0


class _StillAway(ConnectionError):
    """The store did not answer a moment ago: spool without trying it again yet."""


class MetricWriter:
    """The metric buffer and background writer of one store in this process (one per store:
    ``get_writer``). Logging calls ``add``; ``flush`` persists everything logged so far."""

    def __init__(self, store: SqlStore):
        self.store = store
        self.interval = env.FLUSH_INTERVAL.get_float()
        self.max_rows = int(env.FLUSH_ROWS.get_float())
        self.max_pending = 10 * self.max_rows
        self.heartbeat_interval = env.HEARTBEAT_INTERVAL.get_float()
        self.live_runs: set[str] = set()
        self._written_runs: set[int] = set()  # run keys written to since the last heartbeat
        self._kept_runs: set[int] = set()  # run keys this process registered as a keeper of
        # Points not yet persisted. A deque: appending to it is atomic, so the hot path
        # takes no lock; the writer takes points off its front (``_take_buffered``).
        self._buffer: deque[MetricRow] = deque()
        self._taking: list[MetricRow] = []  # taken off it for the write under way
        self._meta_lock = threading.Lock()  # for the queued params and tags (_meta), and _start
        self._flush_lock = threading.Lock()  # taken through _persisting()
        self._flush_owner: int | None = None
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._last_heartbeat = time.monotonic()
        # Small jobs that need not hold up the caller (a tracked cell's source files), in
        # order; deque appends and pops are atomic, the run lock keeps one runner at a time.
        self._deferred: deque[Callable[[], None]] = deque()
        self._deferred_lock = threading.Lock()
        self.spool = Spool(store.uri)
        # Another process may have spooled for this store and exited: replay that first.
        self._spool_pending = self.spool.exists()
        self._spool_broken = False  # the spool file cannot be read or written: do without it
        self._next_spool_check = 0.0
        # Whether each batch carries an id the store records with it, so that a spooled copy
        # of a batch whose COMMIT answer was lost is not written twice (the store's part says).
        self._claims_batches = store.metrics.claims_batches
        self._confirmed_claims: list[str] = []  # ids of batches known committed: to forget
        self._ends: list[RunEnd] = []  # run ends not yet written (kept with the points)
        self._away_since: float | None = None  # monotonic time the store stopped answering
        self._next_try = 0.0
        self.rejected: list[Rejected] = []  # points the store refused, kept for inspection
        self._unreported = 0  # how many of them the caller has not been told about
        self._unrecorded: list[Rejected] = []  # ... and how many are not on record yet
        # lt.alert_when's conditions, checked on this thread against the batches written.
        self.alert_conditions = AlertConditions(store)
        # Each written batch with the conditions active then.
        self._unchecked: deque[tuple[list[MetricRow], list]] = deque()
        # Runs this process started (adopt_run) -> their params as logged here: a changed
        # value is refused at the call site. Only stores that can write them with points.
        self._defers = hasattr(store.runs, "params_and_tags_work")
        self._own_params: dict[str, dict[str, str]] = {}
        self._meta: dict[str, tuple[dict, dict]] = {}  # run uuid -> (params, tags) to write
        self._conflicts: list[InvalidState] = []  # found in the store at write: for flush()

    def add(self, row: MetricRow) -> None:
        """Buffer one point (the hot path: one atomic append, no lock)."""
        buffer = self._buffer
        buffer.append(row)
        if len(buffer) >= self.max_rows or self._thread is None:  # inlined: the hot path
            self._after_append(len(buffer))

    def run_buffer(self, run_key: Callable[[], int]) -> Callable[..., None]:
        """``buffer(key, value, timestamp=None, step=None)`` for one run: validates a point
        (``validate_point``) and buffers it as ``add`` does, in one call: lt.log_metric's hot
        path. ``run_key()``, the run's key in the store, is asked once, at the first valid
        point (so a bad first point is refused before any lookup)."""
        validate, buffer = validate_point, self._buffer
        append = buffer.append
        key_of_run: list[int] = []

        def buffer_point(key, value, timestamp=None, step=None) -> None:
            key, value, timestamp, step = validate(key, value, timestamp, step)
            if not key_of_run:
                key_of_run.append(run_key())
            append((key_of_run[0], key, value, timestamp, step))
            if len(buffer) >= self.max_rows or self._thread is None:  # as in add
                self._after_append(len(buffer))

        return buffer_point

    def add_many(self, rows: list[MetricRow]) -> None:
        """Buffer many points at once."""
        self._buffer.extend(rows)
        self._after_append(len(self._buffer))

    def _take_buffered(self) -> list[MetricRow]:
        """The batch to write: points a failed write left (``_taking``), then the points
        buffered so far, taken off the buffer (points added meanwhile stay). One C call moves
        them, so a signal's handler (Ctrl+C) runs before or after it, never half-way: every
        point is in the buffer or in ``_taking`` until its batch is written or spooled."""
        self._taking.extend(
            itertools.starmap(self._buffer.popleft, itertools.repeat((), len(self._buffer)))
        )
        return self._taking

    def _after_append(self, pending: int) -> None:
        if self._thread is None:
            self._start()
        if pending >= self.max_rows:
            if pending >= self.max_pending:
                self.flush()  # the loop outpaces the writer: catch up rather than grow
            elif not self._wake.is_set():  # set() costs ~10 us; once is enough
                self._wake.set()

    def keep_alive(self, run_uuid: str) -> None:
        """Heartbeat a run this process runs until it ends, from the writer's thread (started
        here: a run that logs nothing for a while, a long fit, would otherwise have no
        heartbeat, and a process on another host reaps it as dead)."""
        self.live_runs.add(run_uuid)
        if self._thread is None:
            self._start()

    def adopt_run(self, run_uuid: str) -> None:
        """Take on a run this process just created: its params and tags may wait in memory,
        like its points, and go into the store with them (``defer_params_and_tags``)."""
        if self._defers:
            self._own_params[run_uuid] = {}
        # It names this process as its owner: no keeper to register with its first points.
        self._kept_runs.add(self.store.runs.run_pk(run_uuid))

    def release_run(self, run_uuid: str) -> None:
        """The run ended (its params and tags are written): later ones are written at once."""
        self._own_params.pop(run_uuid, None)

    def defer_params_and_tags(
        self, run_uuid: str, params: dict[str, str], tags: dict[str, str]
    ) -> bool:
        """Queue a run's validated params and tags to be written with its next points (within
        ``interval``, at ``flush()`` and at the run's end, in one transaction with them).

        Only for a run adopted by this process; otherwise returns False and queues nothing,
        and the caller writes them itself. While the store is away they go to the spool with
        the points, as points do: logging never fails for an outage. A param logged before
        with another value raises ``InvalidState`` here, queueing nothing.
        """
        known = self._own_params.get(run_uuid)
        if known is None:
            return False
        with self._meta_lock:
            for key, value in params.items():
                if known.get(key, value) != value:
                    raise param_conflict(run_uuid, key, known[key], value)
            known.update(params)
            queued_params, queued_tags = self._meta.setdefault(run_uuid, ({}, {}))
            queued_params.update(params)
            queued_tags.update(tags)
        if self._thread is None:
            self._start()
        return True

    def write_queued(self, run_uuid: str) -> None:
        """Write the run's queued params and tags now (with everything else buffered), before
        a change that must come after them (a deleted tag, a new name)."""
        if run_uuid in self._meta:
            self.flush(deferred=False, report=False)

    def _requeue_meta(self, meta: dict[str, tuple[dict, dict]]) -> None:
        """Put params and tags that were not written back, under anything queued since."""
        with self._meta_lock:
            for run_uuid, (params, tags) in meta.items():
                newer = self._meta.get(run_uuid, ({}, {}))
                self._meta[run_uuid] = ({**params, **newer[0]}, {**tags, **newer[1]})

    @property
    def pending(self) -> int:
        """Points buffered in memory, not yet persisted or spooled."""
        return len(self._buffer) + len(self._taking)

    @property
    def spool_pending(self) -> bool:
        """Whether spooled points wait to be written to the store."""
        return self._spool_pending

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

    def flush(self, end: RunEnd | None = None, deferred: bool = True, report: bool = True) -> None:
        """Persist everything logged so far (and, with ``deferred``, do the deferred work);
        ``end`` (run uuid, status, end time) ends that run in the same transaction as its
        last points.

        While the store is away, what cannot be written goes to the spool and this returns;
        it raises if the spool cannot take it either. Points the store refused (the others
        are written) are reported once: raised here with ``report``, else as a warning.
        """
        try:
            self._persist(end, retry_now=True)
        except Exception as error:
            ends = len(self._ends)
            what = (
                f"{self.pending} metric points"
                + (f", the params and tags of {len(self._meta)} run(s)" if self._meta else "")
                + (
                    ""
                    if not ends
                    else " and the run's end"
                    if ends == 1
                    else f" and the ends of {ends} runs"
                )
            )
            raise LabtrackError(
                f"could not persist {what} to {self.store_display}: {failures.describe(error)}. "
                "They are kept in memory and retried; call flush() again once the store is reachable."
            ) from error
        self._report_rejected(raise_error=report)
        self._report_conflicts(raise_error=report)
        if self._unchecked and self._thread is not None:
            self._wake.set()  # conditions are checked on the writer thread, not the caller's
        if deferred:
            try:
                self.run_deferred()
            except Exception as error:
                raise LabtrackError(
                    f"could not write a run's files ({len(self._deferred)} jobs waiting): {error}. "
                    "They are kept and retried at the next flush()."
                ) from error
        self._error = None

    @contextmanager
    def _persisting(self) -> Iterator[None]:
        """One batch in flight at a time (which keeps order); who holds it is known, so a
        signal handler can tell whether it interrupted a flush of its own thread."""
        with self._flush_lock:
            self._flush_owner = threading.get_ident()
            try:
                yield
            finally:
                self._flush_owner = None

    def can_flush_here(self) -> bool:
        """Whether this thread may flush now without waiting on itself: False when it was
        interrupted (by a signal handler) in the middle of logging or flushing."""
        if self._flush_owner == threading.get_ident():
            return False
        # Others hold these locks for a moment only (queueing params and tags, a job); if
        # one is not free in a moment, the interrupted code of this very thread holds it.
        for lock in (self._meta_lock, self._deferred_lock):
            if not lock.acquire(timeout=0.5):
                return False
            lock.release()
        return True

    def _persist(self, end: RunEnd | None = None, retry_now: bool = False) -> None:
        with self._persisting():
            self._notice_spooled_elsewhere()  # before the batch leaves the buffer: may raise
            if end is not None:
                self._ends.append(end)  # from here on kept until written, like the points
            batch = self._take_buffered()
            with self._meta_lock:
                meta, self._meta = self._meta, {}
            ends, self._ends = self._ends, []
            if not batch and not ends and not meta and not self._spool_pending:
                return
            batch_id = uuid.uuid4().hex if self._claims_batches and batch else None
            try:
                if (
                    self._away_since is not None
                    and not retry_now
                    and time.monotonic() < self._next_try
                ):
                    raise _StillAway()  # don't wait on a dead server every tick
                if self._spool_pending:
                    self._replay_spool_or_do_without()  # older points first
                if batch or ends or meta:
                    self._insert(batch, ends, batch_id, meta)
                self._taking = []  # written (interrupted just before, it is written again)
            except BaseException as error:
                if failures.is_store_away(error) and self._spill(
                    batch, ends, batch_id, error, meta
                ):
                    self._taking = []
                    return  # safe on local disk, params and tags too: logging goes on
                self._requeue_meta(meta)  # the points stay in _taking, before newer ones
                self._ends[:0] = ends
                raise
            self._record_refused()
            if batch and self.alert_conditions:
                self._unchecked.append((batch, self.alert_conditions.snapshot()))
            if self._away_since is not None:
                self._away_since = None
                warnings.warn(
                    f"labtrack: the store {self.store_display} answers again; "
                    "what was spooled meanwhile is written",
                    stacklevel=2,
                )

    def _notice_spooled_elsewhere(self) -> None:
        """Another process may spool for this store and exit; this one replays it then."""
        now = time.monotonic()
        if not self._spool_pending and now >= self._next_spool_check and self.spool.exists():
            self._next_spool_check = (
                now + _SPOOL_CHECK_SECONDS
            )  # a stat each time, a query each second
            try:
                self._spool_pending = self.spool.pending()
            except (
                Exception
            ):  # an unreadable spool must not stop logging; `labtrack spool` shows it
                pass

    def _insert(
        self,
        batch: list[MetricRow],
        ends: list[RunEnd],
        batch_id: str | None,
        meta: dict[str, tuple[dict, dict]],
    ) -> None:
        work = []
        conflicts: list[list[InvalidState]] = []
        for run_uuid, (params, tags) in meta.items():  # before the points and the run's end
            conflicts.append([])
            work.append(self.store.runs.params_and_tags_work(run_uuid, params, tags, conflicts[-1]))
        runs = set(map(operator.itemgetter(0), batch))  # in C: it runs over every point
        new_runs = runs - self._kept_runs
        if new_runs:  # first points here: keep those runs alive from this very transaction
            work.append(self.store.runs.heartbeat_work(run_pks=new_runs))
        for run_uuid, status, end_time in ends:
            work.append(self.store.runs.run_update(run_uuid, status=status, end_time=end_time))
        confirmed = self._confirmed_claims
        if confirmed:  # committed for sure: their ids need not be kept any longer
            work.append(self.store.metrics.forget_batches_work(confirmed))
        result = self.store.metrics.insert_metrics(
            batch, in_order(work) if work else None, batch_id=batch_id
        )
        self._confirmed_claims = [batch_id] if batch_id else []
        for found in conflicts:
            self._conflicts.extend(found)
        self._kept_runs |= new_runs
        self._written_runs |= runs
        self._set_aside(result.rejected)

    def _heartbeat(self) -> None:
        if not self._written_runs and not self.live_runs:
            return  # an idle process writes nothing
        runs, self._written_runs = self._written_runs, set()
        try:
            self.store.runs.heartbeat(run_uuids=list(self.live_runs), run_pks=runs)
        except BaseException:
            self._written_runs |= runs
            raise

    def _spill(
        self,
        batch: list[MetricRow],
        ends: list[RunEnd],
        batch_id: str | None,
        error: BaseException,
        meta: dict[str, tuple[dict, dict]] | None = None,
    ) -> bool:
        """Move what the store cannot take now into the spool. False if the spool cannot
        take it either (the local disk is full too): the caller keeps it in memory."""
        now = time.monotonic()
        self._next_try = now + _RETRY_AWAY_SECONDS
        if batch or ends or meta:
            if self._spool_broken:
                return False
            try:
                # The batch's own id: if the store did commit it (the answer was lost on the
                # way), the replay finds that id recorded and writes nothing.
                self.spool.add(self._spooled_points(batch), ends, batch_id=batch_id, meta=meta)
            except Exception:
                return False
            self._spool_pending = True
        if self._away_since is None:
            self._away_since = now
            warnings.warn(
                f"labtrack: the store {self.store_display} cannot take writes now ({failures.describe(error)}); "
                f"logging goes on, and what cannot be written waits in {self.spool.path} until the "
                "store answers again (or `labtrack spool replay`)",
                stacklevel=2,
            )
        return True

    @property
    def store_display(self) -> str:
        """The store's URI without its password: what messages show."""
        return display_uri(self.store.uri)

    def _spooled_points(self, batch: list[MetricRow]) -> list[SpooledPoint]:
        uuids = self.store.runs.run_uuids_by_pk()
        return [
            (uuids[pk], key, value, timestamp, step) for pk, key, value, timestamp, step in batch
        ]

    def replay_spool(self) -> ReplayReport:
        """Write what waits in this store's spool now, oldest first, before anything newer;
        raises ``LabtrackError`` if the store is still away."""
        with self._persisting():
            try:
                report = self._replay_spool()
            except Exception as error:
                raise LabtrackError(
                    f"could not replay the spool {self.spool.path} into {self.store_display}: "
                    f"{failures.describe(error)}. Nothing is lost: it stays spooled."
                ) from error
            self._record_refused()
        self._report_rejected(raise_error=True)
        return report

    def _replay_spool_or_do_without(self) -> None:
        """Replay the spool; if the spool file itself is unusable (damaged, another user's),
        say so once and go on writing to the store directly."""
        try:
            self._replay_spool()
        except SpoolError as error:
            self._spool_pending, self._spool_broken = False, True
            warnings.warn(f"labtrack: {error}; logging goes on without a spool", stacklevel=2)

    def _replay_spool(self) -> ReplayReport:
        """Write the spooled entries, oldest first (raises while the store is still away)."""
        report = self.spool.replay(self._write_spooled)
        self._spool_pending = False
        return report

    def _write_spooled(self, entry: SpoolEntry) -> bool:
        rows, orphans = [], []
        for point in entry.points:
            try:
                rows.append((self.store.runs.run_pk(point[0]), *point[1:]))
            except NotFound:  # the run is gone from the store (a store made anew at that URI)
                orphans.append((point, "its run does not exist in this store"))
        conflicts: list[InvalidState] = []
        work = [  # a run's params and tags before its points and its end, as when logged
            self.store.runs.params_and_tags_work(run_uuid, params, tags, conflicts)
            for run_uuid, (params, tags) in entry.meta.items()
            if self._run_exists(run_uuid)
        ]
        work += [
            self.store.runs.run_update(run_uuid, status=status, end_time=end_time)
            for run_uuid, status, end_time in entry.ends
            if self._run_exists(run_uuid)
        ]
        result = self.store.metrics.insert_metrics(
            rows, in_order(work) if work else None, batch_id=entry.batch_id
        )
        if not result.already_written:
            self._set_aside(result.rejected + orphans)
            self._conflicts.extend(conflicts)
        return not result.already_written

    def _run_exists(self, run_uuid: str) -> bool:
        try:
            self.store.runs.run_pk(run_uuid)
        except NotFound:
            return False
        return True

    def _set_aside(self, rejected: list[Rejected]) -> None:
        """Keep refused points: in ``self.rejected`` for this process, and on record in the
        spool file (``labtrack spool refused``), to be reported at the next flush."""
        if not rejected:
            return
        self.rejected.extend(rejected)
        self._unreported += len(rejected)
        self._unrecorded.extend(rejected)  # recorded once no replay holds the spool's lock

    def _record_refused(self) -> None:
        refused, self._unrecorded = self._unrecorded, []
        if not refused or self._spool_broken:
            return
        uuids = self.store.runs.run_uuids_by_pk()
        try:
            self.spool.keep_refused(
                [((uuids.get(row[0], str(row[0])), *row[1:]), reason) for row, reason in refused]
            )
        except Exception:  # the record is a courtesy: the report at flush() still names them
            pass

    def _report_rejected(self, raise_error: bool) -> None:
        """Tell the caller, once, about the points the store refused since the last report."""
        count, self._unreported = self._unreported, 0
        if not count:
            return
        uuids = self.store.runs.run_uuids_by_pk()
        examples = "; ".join(
            f"{key!r} step {step} of run {uuids.get(pk, pk)}: {reason}"
            for (pk, key, _value, _timestamp, step), reason in self.rejected[-count:][:3]
        )
        message = (
            f"the store refused {count} metric point(s), set aside (every other point is "
            f"saved): {examples}. `labtrack spool refused` lists them."
        )
        if raise_error:
            raise InvalidParameter(message)
        warnings.warn(f"labtrack: {message}", stacklevel=3)

    def _report_conflicts(self, raise_error: bool) -> None:
        """Tell the caller about params another process had logged with other values before
        this one's queued ones reached the store (those were left out; the rest is written)."""
        conflicts, self._conflicts = self._conflicts, []
        if not conflicts:
            return
        error = (
            conflicts[0]
            if len(conflicts) == 1
            else InvalidState(
                f"{len(conflicts)} params were not written: "
                + "; ".join(str(conflict) for conflict in conflicts[:3])
            )
        )
        if raise_error:
            raise error
        warnings.warn(f"labtrack: {error}", stacklevel=3)

    def _start(self) -> None:
        with self._meta_lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="labtrack-writer", daemon=True)
            self._thread.start()
        _persist_before_a_child_exits()

    def _run(self) -> None:
        # Signals for the process go to the main thread, which handles them: one delivered
        # here would leave a main thread blocked in C (a Pool worker waiting for work) asleep.
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self._persist()  # while the store is away, at most every _RETRY_AWAY_SECONDS
                self.run_deferred()
                self.check_alerts()
                if time.monotonic() - self._last_heartbeat >= self.heartbeat_interval:
                    self._last_heartbeat = time.monotonic()
                    self._heartbeat()
            except Exception as error:  # reported at the next flush(); the data stays buffered
                self._error = error
                time.sleep(self.interval)
            if self._retired() and self._stop_if_idle():
                return

    def _retired(self) -> bool:
        """Whether the process no longer reaches this writer through its store: the store was
        forgotten (``forget_stores``) or another writer took its URI."""
        return _writers.get(self.store.uri) is not self or not is_current(self.store)

    def _idle(self) -> bool:
        """Nothing buffered, queued or spooled, and no running run to heartbeat. (Runs merely
        written to, ``_written_runs``, need none: their keeper rows went in with the points.)"""
        return not (
            self._buffer
            or self._taking
            or self._meta
            or self._ends
            or self._deferred
            or self._unchecked
            or self.live_runs
            or self._spool_pending
        )

    def _stop_if_idle(self) -> bool:
        """End a retired writer's thread once it has nothing left to do, so that writers of
        forgotten stores do not each wake every ``interval`` for the life of the process.
        Logging to it again starts a new thread (``add`` and the others call ``_start``)."""
        with self._meta_lock:
            if not self._idle():
                return False
            self._thread = None
        if not self._idle():  # a point added before ``_thread`` was cleared: nobody started one
            self._start()
        return True

    def check_alerts(self) -> None:
        """Check lt.alert_when's conditions against the batches written since the last
        check (on the writer thread; at exit, on the exiting one)."""
        while self._unchecked:
            batch, conditions = self._unchecked.popleft()
            # Every point's run key was made by this process (run_pk): its uuid is known.
            uuid_of = self.store.runs.run_uuids_by_pk().__getitem__
            self.alert_conditions.check(batch, uuid_of, conditions)

    def _reset_after_fork(self) -> None:
        self._meta_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._flush_owner = None
        self._wake = threading.Event()
        self._thread = None
        # The parent persists its own points. Emptied, not replaced: run_buffer's closures
        # hold the deque.
        self._buffer.clear()
        self._taking = []
        self._deferred = deque()  # ... and does its own deferred work
        self._deferred_lock = threading.Lock()
        self.live_runs = set()
        self._written_runs, self._kept_runs = set(), set()  # a new process keeps runs anew
        self._away_since, self._next_try = None, 0.0  # it tries the store itself first
        self._ends, self._confirmed_claims = [], []
        self._own_params, self._meta, self._conflicts = {}, {}, []  # the parent writes its own
        self._unreported = 0
        self.rejected, self._unrecorded = [], []
        self._unchecked = deque()  # the parent checks its own points


_writers: dict[str, MetricWriter] = {}
_writers_lock = threading.Lock()


def get_writer(store: SqlStore) -> MetricWriter:
    with _writers_lock:
        writer = _writers.get(store.uri)
        if writer is None or writer.store is not store:
            writer = _writers[store.uri] = MetricWriter(store)
        return writer


def _flush_at_exit() -> None:
    for writer in list(_writers.values()):
        try:
            writer.flush()
            writer.check_alerts()  # the writer thread may not get to the last points
        except Exception as error:  # the interpreter is going away: say so, plainly
            print(f"labtrack: {error}", file=sys.stderr, flush=True)
        if writer.spool_pending and not writer.pending:
            print(
                f"labtrack: the store {writer.store_display} could not take writes; what this process "
                f"logged waits in {writer.spool.path} and is written by the next process that opens "
                "the store, or by `labtrack spool replay`",
                file=sys.stderr,
                flush=True,
            )


def _after_fork_in_child() -> None:
    for writer in _writers.values():
        writer._reset_after_fork()


_guarded_pid: int | None = None


def _persist_before_a_child_exits() -> None:
    """In a ``multiprocessing`` child, persist what it logged before it exits.

    Such a child ends with ``os._exit`` after its target (fork) and a ``Pool`` used as a
    context manager terminates its workers with SIGTERM, so ``atexit`` never runs there.
    multiprocessing runs its own exit finalizers in every child that ends normally; in a
    Pool worker a SIGTERM (where no one else handles it) persists first, then exits.
    Every point a child logged is stored when its parent joins it.
    """
    global _guarded_pid
    if _guarded_pid == os.getpid():
        return
    _guarded_pid = os.getpid()
    import multiprocessing

    if multiprocessing.parent_process() is None:
        return  # not a multiprocessing child: atexit does it
    from multiprocessing import util

    util.Finalize(None, _flush_as_the_child_exits, exitpriority=100)
    # Only a Pool's workers: terminate() ends them routinely (a Pool used as a context
    # manager). A child someone terminates on purpose keeps SIGTERM's usual meaning.
    pool_worker = "PoolWorker" in multiprocessing.current_process().name
    if (
        pool_worker
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    ):
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        # Waiting for its next task, the worker's main thread is blocked in C: a SIGTERM
        # that another thread gets would never run the handler there.
        from labtrack.tracking.signal_forwarding import forward_to_main_thread

        forward_to_main_thread(signal.SIGTERM)


def _exit_on_sigterm(signum, _frame) -> None:
    """SIGTERM in a multiprocessing child: persist, then exit as SIGTERM would have."""
    from multiprocessing import util

    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one is enough; the parent waits in join()
    if getattr(util, "_exiting", False):
        return  # already on its way out: the exit finalizers, ours among them, are under way
    # Flush here rather than only in the exit finalizers: a SystemExit raised just as the
    # child enters them (a Pool worker ending on its own) skips them all.
    if all(writer.can_flush_here() for writer in list(_writers.values())):
        _flush_at_exit()
    raise SystemExit(128 + signum)  # unwinds whatever was interrupted; the finalizers follow


def _flush_as_the_child_exits() -> None:
    # A Pool worker may be ending on its own when terminate() sends SIGTERM: that must not
    # cut the final flush short (the parent waits in join() until it is done).
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _flush_at_exit()


atexit.register(_flush_at_exit)
os.register_at_fork(after_in_child=_after_fork_in_child)
