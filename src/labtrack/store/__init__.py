"""Stores: the only code that speaks SQL (``sql/``) or to a tracking server (``rest/``, for an
http(s) URI). ``get_store`` gives one store per resolved URI."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labtrack.store.rest.store import RestStore
    from labtrack.store.sql.store import SqlStore

_stores: dict[str, SqlStore | RestStore] = {}
_lock = threading.Lock()


def get_store(uri: str) -> SqlStore | RestStore:
    """The store for ``uri`` (already resolved), opened once per process: a ``RestStore`` for
    ``http://`` or ``https://``, a ``SqlStore`` otherwise."""
    with _lock:
        store = _stores.get(uri)
        if store is None:
            from labtrack.store.rest import is_http_uri

            if is_http_uri(uri):  # a tracking server speaking MLflow's REST API
                from labtrack.store.rest.store import RestStore

                store = _stores[uri] = RestStore(uri)
            else:
                from labtrack.store.sql.store import SqlStore

                store = _stores[uri] = SqlStore(uri)
        return store


def is_current(store: SqlStore | RestStore) -> bool:
    """Whether ``store`` is the one ``get_store`` gives for its URI (not forgotten since)."""
    return _stores.get(store.uri) is store


def forget_stores() -> None:
    """Close every open store (after a fork, or when tests switch stores)."""
    with _lock:
        for store in _stores.values():
            store.close()
        _stores.clear()


def _after_fork_in_child() -> None:
    # Pooled connections belong to the parent; the child opens its own.
    for store in _stores.values():
        # An HTTP store has no connections of its own: its client starts anew by itself.
        drop = getattr(store, "drop_inherited_connections", None)
        if drop is not None:
            drop()


import os as _os  # noqa: E402

_os.register_at_fork(after_in_child=_after_fork_in_child)
