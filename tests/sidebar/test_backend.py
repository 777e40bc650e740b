"""The server's Backend lets go of the store's connections when the extension unloads."""

from __future__ import annotations

import labtrack as lt
from labtrack.sidebar.app import Backend
from labtrack.sidebar.config import LabtrackServer


def test_close_releases_the_store_connections_and_the_store_still_works(tracking_uri):
    backend = Backend(LabtrackServer(tracking_uri=tracking_uri))
    assert backend.executor.submit(lambda: backend.client.search_experiments()).result()
    engine = backend.client.store.engine
    assert engine.pool.checkedin() >= 1  # an idle pooled connection to the database
    backend.close()
    assert engine.pool.checkedin() == 0
    # The store is shared process-wide: other clients keep working, with new connections.
    client = lt.Client(tracking_uri)
    assert client.store.engine is engine
    assert [e.name for e in client.search_experiments()] == ["Default"]
    with engine.connect() as conn:  # the SQLite pragmas still apply to the new pool
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 30_000
    backend.close()  # twice is harmless


def test_close_before_any_request_opens_nothing(tracking_uri):
    backend = Backend(LabtrackServer(tracking_uri=tracking_uri))
    backend.close()
    assert backend._client is None
