"""Warming labtrack up in a notebook kernel, so the first tracked cell is fast.

The first ``%%track`` cell of a fresh kernel used to pay for importing SQLAlchemy and the
store (about 0.6 s here), for reading installed packages' versions and for opening the store.
When labtrack is imported in IPython, the end of that cell starts a daemon thread that does
this work while the person reads or types. A cell that needs it meanwhile waits on Python's
import lock for what is left, never for more than it would have cost.

The store is opened only if it was named (``set_tracking_uri``, ``LABTRACK_TRACKING_URI``,
``MLFLOW_TRACKING_URI``) or already exists: importing labtrack creates no store. Failures are
left for the first cell to meet and report; this thread reports nothing.
"""

from __future__ import annotations

import threading

_started = threading.Event()


def start_after_this_cell(shell) -> None:
    """Start the warm-up once the current cell ends (so a ``set_tracking_uri`` in the cell
    that imported labtrack is seen), once per process."""

    def after_cell(*_args) -> None:
        shell.events.unregister("post_run_cell", after_cell)
        start()

    shell.events.register("post_run_cell", after_cell)


def start() -> threading.Thread | None:
    """Start the warm-up thread (at most once per process); returns it, or None if started."""
    if _started.is_set():
        return None
    _started.set()
    thread = threading.Thread(target=_warm_up, name="labtrack-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up() -> None:
    try:
        from labtrack.tracking import context, state, tracking_uri
        from labtrack.tracking.client import TrackingClient  # noqa: F401  (SQLAlchemy, the store)

        context.package_versions()
        if tracking_uri.is_tracking_uri_set() or _default_store_exists():
            state.client()
    except Exception:  # noqa: BLE001  (the first cell meets the same problem and reports it)
        pass


def _default_store_exists() -> bool:
    """Whether the default store (no URI named) has its database already; none is made here."""
    from labtrack import env

    return (env.default_home() / "labtrack.db").exists()
