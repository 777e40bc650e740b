"""A run's git state, recorded in the background, with one ``git status`` at a time per folder.

Running git takes longer than starting a run (10-15 ms against a few), so it runs beside
the run. A loop of short runs in a repository would start one git process per run;
instead, the runs that start while git runs for their folder wait for the next call, which
starts after they did. Each run still gets the state as of its start or later (a commit
made before a run started is never missed).

Calls for one folder also start at least ``MIN_INTERVAL_S`` apart. Back to back, they kept
a core busy with git for as long as short runs kept starting (one call per ten 1.5 ms
runs), and each call's tags cost a write the runs' own writes had to wait for. A thousand
1.5 ms runs now cost about fifteen git processes; their tags land within a few tenths of a
second, and ``wait`` (at interpreter exit) cuts the pause short.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from labtrack.tracking import context

if TYPE_CHECKING:
    from labtrack.tracking.client import TrackingClient

MIN_INTERVAL_S = 0.1


class GitCaptures:
    """The captures of this process: runs waiting per folder, and the folder's worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified as each folder's worker ends
        self._hurry = threading.Condition(self._lock)  # notified as someone starts to wait
        self._waiters = 0
        self._last_call: dict[Path, float] = {}  # when git last started for each folder
        self._waiting: dict[Path, list[tuple[TrackingClient, str]]] = {}
        self._workers: dict[Path, threading.Thread] = {}

    def capture(self, client: TrackingClient, run_id: str, folder: Path) -> None:
        """Record the git state of ``folder`` as tags of the run, soon (outside a repository
        nothing runs: the check costs less than starting a thread)."""
        if not context.in_git_repository(folder):
            return
        with self._lock:
            self._waiting.setdefault(folder, []).append((client, run_id))
            if folder in self._workers:
                return  # its next git call starts after this run: it takes it along
            worker = threading.Thread(
                target=self._work, args=(folder,), name="labtrack-git-capture", daemon=True
            )
            self._workers[folder] = worker
        try:
            worker.start()
        except RuntimeError:  # no thread to be had (a process limit, interpreter exit)
            with self._lock:  # provenance is best effort: these runs go without it
                if self._workers.get(folder) is worker:
                    del self._workers[folder]
                    self._waiting.pop(folder, None)
                    self._idle.notify_all()

    def _work(self, folder: Path) -> None:
        while True:
            with self._lock:
                if not self._waiting.get(folder):
                    del self._workers[folder]
                    self._idle.notify_all()
                    return
                due = self._last_call.get(folder, float("-inf")) + MIN_INTERVAL_S
                pause = due - time.monotonic()
                if pause > 0:  # runs that start meanwhile join this call
                    self._hurry.wait_for(lambda: self._waiters > 0, timeout=pause)
                runs = self._waiting.pop(folder)
                self._last_call[folder] = time.monotonic()
            try:
                tags = context.git_tags(folder)
            except Exception:  # provenance is best effort; it never fails the user's run
                tags = {}
            if tags:
                _record(runs, tags)

    def wait(self, timeout: float) -> None:
        """Until every run that started so far has its git state recorded (or ``timeout``);
        runs that start meanwhile are waited for too."""
        with self._idle:
            self._waiters += 1
            self._hurry.notify_all()
            try:
                self._idle.wait_for(lambda: not self._workers, timeout)
            finally:
                self._waiters -= 1

    def _forget_after_fork(self) -> None:
        # The parent's workers do not exist in a child; the child captures its own runs.
        self.__init__()


def _record(runs: list[tuple[TrackingClient, str]], tags: dict[str, str]) -> None:
    """The git state as tags of the runs, one write per client (runs that ended meanwhile
    would otherwise cost a transaction each: in a loop of short runs, one per run)."""
    run_ids: dict[TrackingClient, list[str]] = {}  # a client hashes by identity
    for client, run_id in runs:
        run_ids.setdefault(client, []).append(run_id)
    for client, ids in run_ids.items():
        try:
            client.set_tags_of_runs(ids, tags)
        except Exception:  # the store may be gone by now: provenance is best effort
            pass


captures = GitCaptures()
os.register_at_fork(after_in_child=captures._forget_after_fork)
