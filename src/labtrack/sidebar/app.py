"""Loading the extension: one ``Backend`` per server, and the route table."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from jupyter_server.utils import url_path_join

from labtrack.sidebar.config import LabtrackServer
from labtrack.sidebar.routes import ROUTES

API_PREFIX = "labtrack/api"


class Backend:
    """What every handler shares: the client of the store and the threads that call it."""

    def __init__(self, config: LabtrackServer):
        self.config = config
        self.executor = ThreadPoolExecutor(
            max_workers=max(1, config.workers), thread_name_prefix="labtrack-server"
        )

        self._client = None
        self._client_lock = threading.Lock()

    @property
    def client(self):
        """``labtrack.Client`` of the store; opened on first use, in a worker thread, because
        opening may migrate the store."""
        with self._client_lock:
            if self._client is None:
                import labtrack

                self._client = labtrack.Client(self.config.tracking_uri or None)
            return self._client

    def close(self) -> None:
        """Stop the threads and close the store's pooled connections.

        The store object is shared by every client of this process (``labtrack.store``
        caches one per URI), so it is not forgotten: disposing the engine closes the idle
        connections, and anyone still using the store transparently opens new ones. An
        in-memory SQLite store is left open: its one connection is the whole database.
        """
        self.executor.shutdown(wait=False, cancel_futures=True)
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()


def load(server_app) -> None:
    config = LabtrackServer(parent=server_app)
    backend = Backend(config)
    web_app = server_app.web_app
    web_app.settings["labtrack"] = backend
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$",
        [(url_path_join(base_url, API_PREFIX, pattern), handler) for pattern, handler in ROUTES],
    )
    server_app.log.info("labtrack: sidebar API at %s", url_path_join(base_url, API_PREFIX))
