"""The process's tracking state, in one place: the cached ``TrackingClient``, the active experiment,
the active-run stack, the last ended run and whether an exception went uncaught.

Everything here is **per process, shared by all threads** (MLflow, by contrast, keeps its
active-run stack per thread). In a notebook the code that needs the run a cell started does
not run on that cell's thread: widget refreshes, comm handlers and callbacks of training
libraries run on other threads, and they must see (and log to) that run. So one stack serves
the whole process, and ``run_lock()`` serializes every change to it: threads that start and
end runs at the same time never corrupt it. The price: runs started by concurrent threads
are nested in one another, in the order they started, and a run ending ends the runs opened
inside it, whichever thread opened them. Threads that need independent runs log through a
``Client`` with explicit run ids.

A forked child inherits a copy of the state; only the process that started a run ends it at
exit (``ActiveRun.pid``).

This module loads nothing heavy and sits below ``fluent``: it imports ``tracking_uri`` and, on
first use, ``client``; neither of them imports it.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from labtrack import env
from labtrack.errors import InvalidState
from labtrack.tracking import tracking_uri as _uri

if TYPE_CHECKING:
    from labtrack.tracking.client import TrackingClient
    from labtrack.tracking.fluent import ActiveRun


@dataclass
class ProcessState:
    """What the fluent API remembers between calls; see the module's docstring for threads."""

    client: TrackingClient | None = None
    # What the cached client was resolved from (set_tracking_uri's count and the environment):
    # while it is unchanged the client is reused without resolving the URI again.
    client_key: tuple | None = None
    experiment_id: str | None = None
    # The set_tracking_uri count the experiment was chosen under: it belongs to that store.
    experiment_uri_setting: int = -1
    runs: list[ActiveRun] = field(default_factory=list)  # the active-run stack, innermost last
    last_run_id: str | None = None  # the run end_run ended last
    uncaught: bool = False  # an exception reached sys.excepthook: runs open at exit FAILED
    lock: threading.RLock = field(default_factory=threading.RLock)


_process = ProcessState()


def process() -> ProcessState:
    """The process's state. Change ``runs`` only while holding ``run_lock()``."""
    return _process


def run_lock() -> threading.RLock:
    """The lock held by every change to the active-run stack (re-entrant)."""
    return _process.lock


def client() -> TrackingClient:
    """The ``TrackingClient`` for the current tracking URI, created on first use and cached."""
    state = _process
    cached = state.client
    # The hot path: reuse the client while neither set_tracking_uri nor the environment moved.
    environ = os.environ
    key = (
        _uri.setting_count(),
        _uri.registry_uri_setting(),
        environ.get(env.TRACKING_URI.name),
        environ.get(env.MLFLOW_TRACKING_URI.name),
        environ.get(env.MLFLOW_REGISTRY_URI.name),
        environ.get(env.HOME.name),
    )
    if cached is not None and state.client_key == key:
        return cached
    # No lock: two threads that miss at once each make a TrackingClient, and one is kept; harmless.
    tracking_uri = _uri.get_tracking_uri()
    _uri.check_registry_uri(tracking_uri)  # before anything is logged to the wrong place
    if cached is None or cached.tracking_uri != tracking_uri:
        from labtrack.tracking.client import TrackingClient

        cached = state.client = TrackingClient(tracking_uri)
    state.client_key = key
    return cached


def experiment_id() -> str | None:
    """The experiment ``set_experiment`` chose, or None if none was chosen since the tracking
    URI was last set (an experiment id belongs to one store)."""
    state = _process
    if state.experiment_uri_setting != _uri.setting_count():
        return None
    return state.experiment_id


def set_experiment_id(experiment_id: str) -> None:
    """Make ``experiment_id`` (of the current store) the active experiment."""
    state = _process
    state.experiment_id, state.experiment_uri_setting = experiment_id, _uri.setting_count()


def active_runs() -> tuple[ActiveRun, ...]:
    """The active runs of the process, outermost first (a snapshot: safe to iterate)."""
    return tuple(_process.runs)


def top_run() -> ActiveRun | None:
    """The innermost active run, or None; safe while other threads end runs."""
    try:
        return _process.runs[-1]
    except IndexError:  # no run, or the last one ended between a check and the read
        return None


def last_run_id() -> str | None:
    """The id of the run ``end_run`` ended last, or None."""
    return _process.last_run_id


def reset() -> None:
    """Forget the cached client, the active experiment and the last run: a fresh start, as
    after ``labtrack.store.forget_stores()``. Active runs must be ended first."""
    state = _process
    with state.lock:
        if state.runs:
            raise InvalidState(f"{len(state.runs)} run(s) still active: end them before reset()")
        state.client = state.client_key = state.experiment_id = state.last_run_id = None
        state.experiment_uri_setting = -1
