"""Stores: the only code that speaks SQL. ``get_store`` gives one store per resolved URI."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labtrack.store.sql.store import SqlStore

_stores: dict[str, SqlStore] = {}
_lock = threading.Lock()


def get_store(uri: str) -> SqlStore:
    """The store for ``uri`` (already resolved), opened once per process."""
    with _lock:
        store = _stores.get(uri)
        if store is None:
            from labtrack.store.sql.store import SqlStore

            store = _stores[uri] = SqlStore(uri)
        return store


def forget_stores() -> None:
    """Close every open store (after a fork, or when tests switch stores)."""
    with _lock:
        for store in _stores.values():
            store.close()
        _stores.clear()


def _after_fork_in_child() -> None:
    # Pooled connections belong to the parent; the child opens its own.
    for store in _stores.values():
        store.engine.dispose(close=False)


import os as _os  # noqa: E402

_os.register_at_fork(after_in_child=_after_fork_in_child)
